import CoalmineCore
import ArgumentParser
import CoalmineEngine
import CoalmineJournal
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the journal's tamper evidence.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the journal's hash chain offline and name the first broken entry (exit 1).")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load(refusing: "cannot find the journal")
            let journalPath = config.store.sqlitePath
            guard FileManager.default.fileExists(atPath: journalPath) else {
                print("coalmine: no journal at \(journalPath)")
                throw ExitCode(1)
            }
            switch try await SQLiteJournal(path: journalPath).verifyChain() {
            case .intact(let entries):
                print("\(journalPath): hash chain intact, \(entries) entries")
            case .broken(let sequence, let reason):
                print("\(journalPath): hash chain BROKEN at entry \(sequence): \(reason)")
                throw ExitCode(1)
            }
        }
    }
}
