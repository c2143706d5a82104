import Crypto
import Foundation

/// Secrets live in files, never inline in the config. Missing ones are generated on first start with mode 0600.
public enum SecretFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the secret at `path`, creating it with 32 random bytes (hex) when it does not exist.
    /// Returns the secret and whether it was just created, so the caller can print its path once.
    ///
    /// Two processes starting at once on one folder end up with the same secret: the new one is written whole
    /// to a file of its own and then linked into place, which fails if any file is already there; the loser
    /// reads the winner's. A file that only exists is never read half written.
    public static func readOrCreate(at path: String) throws -> (secret: String, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try read(at: path), false) }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { bytes in
            bytes.map { String(format: "%02x", $0) }.joined()
        }
        let draft = "\(path).\(UUID().uuidString).new"
        // Created with 0600 from the start: never readable by others, not even for a moment.
        guard FileManager.default.createFile(
            atPath: draft, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Failure(description: "cannot create secret file \(path)")
        }
        defer { unlink(draft) }
        guard link(draft, path) == 0 else {
            let failure = errno
            guard failure == EEXIST else {
                throw Failure(description: "cannot create secret file \(path): \(String(cString: strerror(failure)))")
            }
            return (try read(at: path), false)
        }
        return (secret, true)
    }

    /// Reads a secret that several replicas share, which is never made up here: a missing file refuses the start,
    /// naming the config key that points to it.
    public static func readShared(at path: String, configKey: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(
                description: "\(configKey): no secret at \(path). Replicas on store.postgres share their secrets and"
                    + " never make them up: mount the one secret every replica holds there (see"
                    + " deploy/kubernetes-replicas/secrets.example.yaml)")
        }
        return try read(at: path)
    }

    /// Reads a secret, trimming the trailing newline editors and `echo` add.
    public static func read(at path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read secret file \(path): \(error.localizedDescription)")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw Failure(description: "secret file \(path) is empty") }
        return secret
    }
}
