import CoalmineEngine

extension ChainStatus {
    /// The last walk of the hash chain, in a sentence for the dashboard.
    var html: String {
        guard let check = lastCheck else {
            return #"<p class="chain muted">The hash chain has not been walked yet since this replica started leading (`coalmine audit verify` walks it now).</p>"#
        }
        switch check.verdict {
        case .intact(let entries):
            return #"<p class="chain ok">Hash chain intact: \#(entries) entries, walked at \#(check.at.rfc3339).</p>"#
        case .broken(let sequence, let reason):
            return #"<p class="chain broken" role="alert">Hash chain BROKEN at entry \#(sequence): \#(HTMLPage.escape(reason)) (walked at \#(check.at.rfc3339)).</p>"#
        }
    }
}
