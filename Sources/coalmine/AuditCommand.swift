import CoalmineCore
import ArgumentParser
import CoalmineChat
import CoalmineEngine
import CoalmineHTTP
import CoalmineJournal
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the journal's tamper evidence.", subcommands: [Verify.self, Head.self])

    /// The journal the config names, with its audit key when there is one, opened read-only: an audit changes
    /// nothing, not even the schema.
    static func openJournal(_ config: CoalmineConfig) async throws -> any JournalStore {
        if config.store.postgres == nil, !FileManager.default.fileExists(atPath: config.store.sqlitePath) {
            print("coalmine: no journal at \(config.store.sqlitePath)")
            throw ExitCode(1)
        }
        let keyFile = config.store.auditKeyFile
        let key = FileManager.default.fileExists(atPath: keyFile) ? try SecretFile.read(at: keyFile) : nil
        do {
            return try await CoalmineRuntime.openJournal(
                config.store, auditKey: key, readOnly: true, logger: makeLogger("coalmine"))
        } catch let mismatch as JournalSchemaMismatch {
            print("coalmine: \(config.store.location): \(mismatch)")
            throw ExitCode(1)
        } catch let differs as SharedKeyDiffers {
            print("coalmine: \(config.store.location): \(differs) (the key at \(keyFile))")
            throw ExitCode(1)
        } catch let missing as AuditKeyMissing {
            print("coalmine: \(config.store.location): \(missing) (not found at \(keyFile))")
            throw ExitCode(1)
        } catch let unreachable as PostgresStoreError {
            print("coalmine: \(unreachable)")
            throw ExitCode(1)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the journal's hash chain offline and name the first broken entry (exit 1).",
            discussion: """
                With --expect SEQ:HASH (from `coalmine audit head` or an `audit-anchor` log line), also fails when \
                that entry is missing or differs: the journal was cut short or rewritten since.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(name: .long, help: "An anchor, SEQ:HASH, the journal must still hold.", transform: { text in
            guard let head = JournalHead(text) else {
                throw ValidationError("--expect takes SEQ:HASH as `coalmine audit head` prints it, found '\(text)'")
            }
            return head
        })
        var expect: JournalHead?

        func run() async throws {
            let config = try options.load(refusing: "cannot find the journal")
            let journal = try await AuditCommand.openJournal(config)
            let journalPath = config.store.location
            let verdict = try await journal.verifyChain(expecting: expect)
            await journal.close()
            switch verdict {
            case .intact(let entries):
                let keys = journal.keyedFrom.map { from in
                    from > Int64(entries) ? "; no entry keyed yet (keys apply from \(from))"
                        : from == 1 ? "; every entry keyed" : "; entries \(from)–\(entries) keyed, 1–\(from - 1) from before keys"
                } ?? "; no entry keyed (no audit key)"
                let anchored = expect.map { "; anchor \($0.sequence) matches" } ?? ""
                print("\(journalPath): hash chain intact, \(entries) entries\(keys)\(anchored)")
            case .broken(let sequence, let reason):
                print("\(journalPath): hash chain BROKEN at entry \(sequence): \(reason)")
                throw ExitCode(1)
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "head",
            abstract: "Print the journal's newest entry as SEQ HASH: an anchor to keep elsewhere and check with verify --expect.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load(refusing: "cannot find the journal")
            let journal = try await AuditCommand.openJournal(config)
            let newest = try await journal.head()
            await journal.close()
            guard let head = newest else {
                print("coalmine: the journal is empty")
                throw ExitCode(1)
            }
            print("\(head.sequence) \(head.hash)")
        }
    }
}
