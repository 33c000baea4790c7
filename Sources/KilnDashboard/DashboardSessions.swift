import Crypto
import Foundation
import KilnAPI
import Synchronization

/// Logged-in browsers. A session remembers which token logged in, not
/// the token: it lasts until it expires, the user logs out, or the token
/// leaves the tokens file (checked on every request, so revoking a token
/// and sending SIGHUP ends its sessions too). Sessions live in memory: a
/// restart logs everyone out, which is the safe way round.
public final class DashboardSessions: Sendable {
    public struct Session: Sendable, Equatable {
        public var tokenName: String
        /// Echoed in every form; a POST without it is refused.
        public var csrf: String
        public var expires: Date
    }

    /// How long a login lasts.
    public let lifetime: TimeInterval
    /// The most sessions kept; the oldest go first.
    let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    public init(lifetime: TimeInterval = 8 * 3600, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new session for a token's name; returns the cookie value.
    public func open(for tokenName: String, now: Date = Date()) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(tokenName: tokenName, csrf: Self.randomToken(), expires: now.addingTimeInterval(lifetime))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions.removeValue(forKey: oldest.key)
            }
            // Stored under its hash: a memory dump or a log of keys gives no cookie away.
            sessions[Self.key(id)] = session
        }
        return (id, session)
    }

    public func session(_ id: String, now: Date = Date()) -> Session? {
        let key = Self.key(id)
        return sessions.withLock { sessions in
            guard let session = sessions[key] else { return nil }
            guard session.expires > now else {
                sessions.removeValue(forKey: key)
                return nil
            }
            return session
        }
    }

    public func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: Self.key(id)) }
    }

    public var count: Int { sessions.withLock { $0.count } }

    /// 256 random bits, base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func key(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two secrets in time that depends only on their lengths.
    static func same(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
