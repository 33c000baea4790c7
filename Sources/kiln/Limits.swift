import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import KilnHTTP
import Logging

/// What one client may take of Kiln's boot listeners; defaults close to
/// nginx's and tftpd-hpa's behaviour, documented in docs/endpoints.md.
struct ListenerLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Seconds a new HTTP connection has to send its request head (env KILN_HTTP_HEADER_TIMEOUT; default 60, as nginx's client_header_timeout).", valueName: "seconds"))
    var httpHeaderTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds a kept-alive HTTP connection may wait for its next request (env KILN_HTTP_IDLE_TIMEOUT; default 75, as nginx's keepalive_timeout).", valueName: "seconds"))
    var httpIdleTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Open HTTP connections on the boot listener; past it new ones are closed at once (env KILN_HTTP_MAX_CONNECTIONS; default 16384, lowered to fit the open-file limit).", valueName: "n"))
    var httpMaxConnections: Int?

    @Option(name: .long, help: ArgumentHelp("TFTP transfers at once (env KILN_TFTP_MAX_TRANSFERS; default 1024).", valueName: "n"))
    var tftpMaxTransfers: Int?

    @Option(name: .long, help: ArgumentHelp("TFTP transfers at once from one client address (env KILN_TFTP_MAX_TRANSFERS_PER_CLIENT; default 8).", valueName: "n"))
    var tftpMaxTransfersPerClient: Int?

    func http(openFileLimit: Int) throws -> HTTPLimits {
        var limits = HTTPLimits()
        limits.headerTimeout = try seconds(httpHeaderTimeout, "KILN_HTTP_HEADER_TIMEOUT", default: 60, flag: "--http-header-timeout")
        limits.idleTimeout = try seconds(httpIdleTimeout, "KILN_HTTP_IDLE_TIMEOUT", default: 75, flag: "--http-idle-timeout")
        let requested = try count(httpMaxConnections, "KILN_HTTP_MAX_CONNECTIONS", default: 16384, flag: "--http-max-connections")
        // Leave room for files, TFTP sockets, the inventory and the API.
        limits.maxConnections = max(1, min(requested, openFileLimit - 512))
        return limits
    }

    func tftp() throws -> (transfers: Int, perClient: Int) {
        (try count(tftpMaxTransfers, "KILN_TFTP_MAX_TRANSFERS", default: 1024, flag: "--tftp-max-transfers"),
         try count(tftpMaxTransfersPerClient, "KILN_TFTP_MAX_TRANSFERS_PER_CLIENT", default: 8, flag: "--tftp-max-transfers-per-client"))
    }

    private func seconds(_ flag: Double?, _ variable: String, default fallback: Double, flag name: String) throws -> Duration {
        let text = Environment.value(flag.map { String($0) }, variable, default: String(fallback))
        guard let value = Double(text), value > 0, value <= 86400 else {
            throw ValidationError("\(name) (or \(variable)) \(text) is not a number of seconds between 0 and 86400")
        }
        return .milliseconds(Int64(value * 1000))
    }

    private func count(_ flag: Int?, _ variable: String, default fallback: Int, flag name: String) throws -> Int {
        let text = Environment.value(flag.map(String.init), variable, default: String(fallback))
        guard let value = Int(text), value >= 1, value <= 1_000_000 else {
            throw ValidationError("\(name) (or \(variable)) \(text) is not a whole number between 1 and 1000000")
        }
        return value
    }
}

enum OpenFileLimit {
    /// Raises the soft open-file limit to the hard one, so connections and
    /// transfers are bounded by Kiln's own limits rather than a 1024
    /// default; returns the limit now in force.
    static func raise(logger: Logger) -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        let before = limits.rlim_cur
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        let now = Int(min(UInt64(limits.rlim_cur), UInt64(Int32.max)))
        logger.info("open-file limit", metadata: ["before": "\(before)", "now": "\(now)", "hard": "\(limits.rlim_max)"])
        return now
    }
}
