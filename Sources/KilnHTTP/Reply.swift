import HTTPTypes
import Hummingbird
import KilnCore
import NIOCore

/// What a handler decided, before it becomes a Response: the wrapper in
/// `BootResponder` turns it into one, counts it and logs it with the
/// labels, group and profile involved.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    var body: ResponseBody = ResponseBody()
    /// Described only when the request is logged: it sorts keys.
    var labels: Labels?
    /// The raw query, when it could not be parsed into labels.
    var rawQuery: String?
    var group: String?
    var profile: String?
    /// For errors: the one-line reason, also the body.
    var reason: String?
    /// Butane warnings about the config served, logged with the request.
    var warnings: [String] = []

    static let plainText = "text/plain; charset=utf-8"

    static func text(_ text: String, contentType: String = plainText, status: HTTPResponse.Status = .ok) -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Reply(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func bytes(_ bytes: [UInt8], contentType: String) -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Reply(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An error with a one-line plain-text reason, which is also logged.
    static func failure(_ status: HTTPResponse.Status, _ reason: String) -> Reply {
        var reply = text(reason + "\n", status: status)
        reply.reason = reason
        return reply
    }

    /// This reply with the labels, group and profile another one matched
    /// (an answer built after matching, such as an image).
    func carryingMatch(of matched: Reply) -> Reply {
        var reply = self
        reply.labels = matched.labels
        reply.group = matched.group
        reply.profile = matched.profile
        reply.warnings = matched.warnings
        return reply
    }

    func response() -> Response {
        var headers = self.headers
        if let group { headers[.kilnGroup] = group }
        if let profile { headers[.kilnProfile] = profile }
        return Response(status: status, headers: headers, body: body)
    }
}

extension HTTPField.Name {
    /// Which group and profile answered: lets an operator see the matcher's
    /// choice with `curl -i` without reading server logs.
    static let kilnGroup = HTTPField.Name("X-Kiln-Group")!
    static let kilnProfile = HTTPField.Name("X-Kiln-Profile")!
}
