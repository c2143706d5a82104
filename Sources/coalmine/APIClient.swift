import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of the operator API for the CLI's verbs.
struct APIClient {
    let baseURL: String
    let token: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends a request and returns the body of a 2xx answer; otherwise throws the server's error message.
    func send(_ method: HTTPMethod, _ path: String, json body: [String: String]? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let (status, data) = try await HTTPClient.withHTTPClient { client in
            let response = try await client.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            return (response.status, Data(buffer.readableBytesView))
        }
        guard (200..<300).contains(status.code) else {
            let message =
                (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String
                ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "\(status.code) \(status.reasonPhrase): \(message)")
        }
        return data
    }
}

extension AsyncParsableCommand {
    /// Runs a client call, printing the server's refusal instead of a stack of Swift error text.
    func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as APIClient.Failure {
            print("coalmine: \(failure)")
            throw ExitCode(1)
        } catch let error as HTTPClientError {
            print("coalmine: cannot reach the server: \(error)")
            throw ExitCode(1)
        }
    }
}
