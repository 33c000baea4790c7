import HTTPTypes
import Hummingbird
import KilnRender
import NIOCore

/// What a handler decided, before it becomes a Response: the pipeline
/// turns it into one and records it with the labels, group and profile it
/// matched.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    private(set) var body: ResponseBody
    /// For errors: the one-line reason, also the body.
    var reason: String?
    /// Butane warnings about the config served, logged with the request.
    var warnings: [String] = []
    /// A file sent as it is (a kernel, an initrd), in place of `body`.
    var file: FileBody?

    static let plainText = "text/plain; charset=utf-8"

    /// The body's bytes when they are known at once, as for every reply
    /// built by `text`, `bytes` and `failure`: what an immediate answer sends.
    private(set) var buffer: ByteBuffer?

    init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: ResponseBody = ResponseBody()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    init(status: HTTPResponse.Status, headers: HTTPFields, buffer: ByteBuffer) {
        self.init(status: status, headers: headers, body: ResponseBody(byteBuffer: buffer))
        self.buffer = buffer
    }

    static func text(_ text: String, contentType: String = plainText, status: HTTPResponse.Status = .ok) -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Reply(status: status, headers: headers, buffer: ByteBuffer(string: text))
    }

    static func bytes(_ bytes: [UInt8], contentType: String) -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Reply(status: .ok, headers: headers, buffer: ByteBuffer(bytes: bytes))
    }

    /// An error with a one-line plain-text reason, which is also logged.
    static func failure(_ status: HTTPResponse.Status, _ reason: String) -> Reply {
        var reply = text(reason + "\n", status: status)
        reply.reason = reason
        return reply
    }

    /// A machine's answer as sent: text and bytes as they are; a config
    /// drive's contents are never sent raw (image endpoints bake them).
    static func answer(_ answer: MachineAnswer) -> Reply {
        var reply: Reply
        switch answer.body {
        case .text(let text): reply = .text(text, contentType: answer.contentType)
        case .bytes(let bytes): reply = .bytes(bytes, contentType: answer.contentType)
        case .configDrive: reply = .failure(.internalServerError, "a config drive's contents are sent as an image")
        }
        reply.warnings = answer.warnings
        return reply
    }

    /// 404 when the profile lacks what was asked for, 500 when a template
    /// failed to render.
    static func refusal(_ failure: AnswerFailure) -> Reply {
        switch failure {
        case .unavailable(let reason): return .failure(.notFound, reason)
        case .renderFailed(let error): return .failure(.internalServerError, error.description)
        }
    }

    /// This reply with Butane's warnings about the config it was built from.
    func warning(_ warnings: [String]) -> Reply {
        var reply = self
        reply.warnings = warnings
        return reply
    }
}
