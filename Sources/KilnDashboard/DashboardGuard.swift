import Foundation
import Hummingbird
import HTTPTypes
import KilnAPI

/// Who may see `/ui/`: a bearer token or client certificate (found by the
/// API's authenticator, for scripts and tests), or a session cookie from
/// the login form. Without one, a page redirects to the login form and
/// anything else is refused. Every answer carries the headers that keep
/// the pages from being framed, sniffed or made to run a script they did
/// not load from Kiln.
struct DashboardGuard: RouterMiddleware {
    typealias Context = APIRequestContext
    let dashboard: Dashboard

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        let open = path == "/ui/login" || path.hasPrefix("/ui/static/")
        var response: Response
        do {
            if !open {
                if context.identity == nil, let (_, session) = dashboard.session(request) {
                    context.identity = dashboard.tokens.credential(named: session.tokenName)
                }
                if context.identity == nil {
                    guard request.method == .get || request.method == .head else {
                        throw DashboardError(.unauthorized, "Not logged in", "Log in first: the session has ended or was never opened.")
                    }
                    let target = path + (request.uri.query.map { "?" + $0 } ?? "")
                    return Self.secured(Dashboard.redirect("/ui/login?next=" + Dashboard.formEncode(target)), cache: false)
                }
            }
            response = try await next(request, context)
        } catch let error as DashboardError {
            response = dashboard.problemPage(error, request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = dashboard.problemPage(DashboardError(.notFound, "Not found", "There is no dashboard page at this address."), request, context)
        }
        return Self.secured(response, cache: path.hasPrefix("/ui/static/"))
    }

    static func secured(_ response: Response, cache: Bool) -> Response {
        var response = response
        for field in securityHeaders where response.headers[field.name] == nil { response.headers.append(field) }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = cache ? "max-age=300" : "no-store" }
        return response
    }
}
