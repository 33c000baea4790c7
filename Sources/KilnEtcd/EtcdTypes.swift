/// One key as etcd holds it.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    public var keyText: String { String(decoding: key, as: UTF8.self) }
}

/// What a range read returned, at one revision of the whole store.
public struct EtcdRange: Sendable {
    public var revision: Int64
    public var kvs: [EtcdKeyValue]
    /// More keys matched than the limit let through.
    public var more: Bool
    public var count: Int64
}

/// A condition of a transaction, on one key.
public struct EtcdCompare: Sendable {
    public enum Target: Sendable {
        /// The revision of the key's last write; 0 compares with "no key".
        case modRevision(Int64)
        case createRevision(Int64)
        /// How many times it was written since it was created; 0 is "absent".
        case version(Int64)
        case value([UInt8])
    }

    public enum Result: String, Sendable {
        case equal = "EQUAL"
        case greater = "GREATER"
        case less = "LESS"
        case notEqual = "NOT_EQUAL"
    }

    public var key: [UInt8]
    /// Compares every key in `[key, rangeEnd)` instead of one (etcd 3.3+).
    public var rangeEnd: [UInt8]?
    public var target: Target
    public var result: Result

    public init(key: [UInt8], rangeEnd: [UInt8]? = nil, _ target: Target, _ result: Result = .equal) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.target = target
        self.result = result
    }
}

/// One operation inside a transaction.
public enum EtcdOperation: Sendable {
    case put(key: [UInt8], value: [UInt8], lease: Int64 = 0)
    /// Deletes one key, or every key in `[key, rangeEnd)`.
    case delete(key: [UInt8], rangeEnd: [UInt8]? = nil)
    case range(key: [UInt8], rangeEnd: [UInt8]? = nil)
}

public struct EtcdTransactionResult: Sendable {
    public var succeeded: Bool
    public var revision: Int64
}

/// One message of a watch: the changes of one or more revisions.
public struct EtcdWatchBatch: Sendable {
    public enum Kind: Sendable { case put, delete }

    public struct Event: Sendable {
        public var kind: Kind
        public var kv: EtcdKeyValue
    }

    public var revision: Int64
    public var events: [Event]
}

/// One member's view of the cluster, from `maintenance/status`.
public struct EtcdStatus: Sendable {
    public var endpoint: String
    public var version: String
    public var dbSize: Int64
    public var memberID: String
    public var leader: String
    public var raftTerm: Int64
    public var revision: Int64
    public var errors: [String]

    public var isLeader: Bool { !leader.isEmpty && leader == memberID }
}

public struct EtcdMember: Sendable {
    public var id: String
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
}

public struct EtcdError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No endpoint answered, or none in time.
        case unavailable
        /// The revision asked for is older than the store's compaction.
        case compacted(Int64)
        /// etcd refused the request (permission, auth, too large, no leader).
        case refused
        /// The answer could not be read.
        case malformed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension Array where Element == UInt8 {
    /// The first key after every key that starts with this one: the range
    /// end etcd takes for "every key with this prefix".
    public var prefixRangeEnd: [UInt8] {
        var end = self
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        // Every byte is 0xff: "\0" means "to the end of the keyspace".
        return [0]
    }
}
