import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a running Kiln's API is and the token to use: `--server` and
/// `--token-file`, or KILN_SERVER and KILN_TOKEN_FILE.
struct APIOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The API's base URL, e.g. http://127.0.0.1:8081 (env KILN_SERVER).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("File holding an API token, as kiln token add printed it (env KILN_TOKEN_FILE).", valueName: "file"))
    var tokenFile: String?

    /// Set when --server or KILN_SERVER names a server.
    var isGiven: Bool { !Environment.value(server, "KILN_SERVER", default: "").isEmpty }

    func client() throws -> APIClient {
        let base = Environment.value(server, "KILN_SERVER", default: "")
        guard !base.isEmpty else { throw ValidationError("give the API's URL with --server or KILN_SERVER (kiln serve --api-address)") }
        guard let url = URL(string: base.hasSuffix("/") ? String(base.dropLast()) : base), ["http", "https"].contains(url.scheme ?? "") else {
            throw ValidationError("--server \"\(base)\" is not an http:// or https:// URL")
        }
        let path = Environment.value(tokenFile, "KILN_TOKEN_FILE", default: "")
        var token: String?
        if !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the token file \(path)") }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return APIClient(base: url, token: token)
    }
}

/// A small client for Kiln's API: one request, a status, a body, and the
/// API's one-line error on failure.
struct APIClient {
    let base: URL
    let token: String?

    struct Reply {
        var status: Int
        var body: Data
        var etag: String?

        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }

        /// The API's error line and its reasons.
        var problem: String {
            guard let object = json, let error = object["error"] as? String else {
                return "HTTP \(status): " + String(decoding: body.prefix(200), as: UTF8.self)
            }
            return ([error] + ((object["reasons"] as? [String]) ?? []).map { "  " + $0 }).joined(separator: "\n")
        }
    }

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json", headers: [String: String] = [:],
              timeout: TimeInterval = 60) async throws -> Reply {
        guard let url = URL(string: base.absoluteString + path) else { throw ValidationError("bad API path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            return Reply(status: http?.statusCode ?? 0, body: data, etag: http?.value(forHTTPHeaderField: "ETag"))
        } catch {
            printError("kiln: cannot reach \(base.absoluteString): \(error.localizedDescription)")
            throw ExitCode(3)
        }
    }

    /// Exit codes: 1 refused (4xx), 3 the server failed or is unreachable.
    func failure(_ what: String, _ reply: Reply) -> ExitCode {
        printError("kiln: \(what): \(reply.problem)")
        return reply.status >= 500 || reply.status == 0 ? ExitCode(3) : ExitCode(1)
    }

    static func escape(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:@"))) ?? component
    }
}
