import Crypto
import Foundation

/// Secrets live in files, never inline in the config. Missing ones are generated on first start with mode 0600.
public enum SecretFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the secret at `path`, creating it with 32 random bytes (hex) when it does not exist.
    /// Returns the secret and whether it was just created, so the caller can print its path once.
    public static func readOrCreate(at path: String) throws -> (secret: String, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try read(at: path), false) }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { bytes in
            bytes.map { String(format: "%02x", $0) }.joined()
        }
        // Created with 0600 from the start: never readable by others, not even for a moment.
        guard FileManager.default.createFile(
            atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Failure(description: "cannot create secret file \(path)")
        }
        return (secret, true)
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
