import ArgumentParser
import CoalmineChat
import CoalmineEngine
import CoalmineCore
import Foundation

/// How client commands find the server and its API token.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Config file to take server.publicURL and server.api.tokenFile from.")
    var config: String?

    @Option(name: .long, help: "Server base URL (default: server.publicURL from the config).")
    var server: String?

    /// Resolves the server URL and token: flags, then `COALMINE_API_TOKEN`, then the config's files.
    func client() throws -> APIClient {
        let path = ConfigLoader.resolvePath(config)
        let loaded = try? ConfigLoader.load(path: path)
        guard let base = server ?? loaded?.server.publicURL else {
            throw ValidationError("cannot read \(path) to find the server; pass --server URL")
        }
        let token: String
        if let fromEnvironment = Environment.value("COALMINE_API_TOKEN") {
            token = fromEnvironment
        } else {
            let tokenFile = loaded?.server.apiTokenFile ?? ServerSettings().apiTokenFile
            do {
                token = try SecretFile.read(at: tokenFile)
            } catch {
                throw ValidationError("no API token: set COALMINE_API_TOKEN or make \(tokenFile) readable (\(error))")
            }
        }
        return APIClient(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token)
    }
}
