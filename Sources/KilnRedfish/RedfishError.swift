/// Why a BMC did not do what was asked, in words an operator can act on.
/// Never carries a credential.
public enum RedfishError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case unauthorized(url: String)
    case timedOut(url: String, seconds: Int)
    case redirected(url: String, location: String)
    case malformedJSON(url: String, reason: String)
    case status(url: String, code: Int, message: String)
    case missing(String)
    case notSupported(String)
    case waitExpired(String)
    case badEndpoint(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "BMC unreachable at \(url): \(reason)"
        case .unauthorized(let url): "the BMC refused the credentials (401) at \(url)"
        case .timedOut(let url, let seconds): "the BMC did not answer \(url) within \(seconds) s"
        case .redirected(let url, let location): "the BMC redirected \(url) to \(location); Kiln does not follow a BMC's redirects (give the URL it redirects to)"
        case .malformedJSON(let url, let reason): "the BMC's answer at \(url) is not valid JSON: \(reason)"
        case .status(let url, let code, let message): "the BMC answered \(code) at \(url)" + (message.isEmpty ? "" : ": \(message)")
        case .missing(let what): "the BMC does not show \(what)"
        case .notSupported(let what): "the BMC does not support \(what)"
        case .waitExpired(let what): what
        case .badEndpoint(let reason): reason
        }
    }
}
