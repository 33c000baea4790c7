/// TFTP packets (RFC 1350) with options (RFC 2347). Pure: bytes in, values
/// out, and back. Every malformed input is a `TFTPDecodeError`, never a trap.
public enum TFTPPacket: Equatable, Sendable {
    case readRequest(TFTPRequest)
    case writeRequest(TFTPRequest)
    case data(block: UInt16, payload: [UInt8])
    case ack(block: UInt16)
    case error(code: TFTPErrorCode, message: String)
    case optionAck([TFTPOption])

    public enum Opcode: UInt16, Sendable {
        case readRequest = 1
        case writeRequest = 2
        case data = 3
        case ack = 4
        case error = 5
        case optionAck = 6
    }

    /// RFC 2347 limits a request, options included, to 512 bytes; some
    /// firmware sends a little more, so allow a margin, then refuse.
    public static let maxRequestSize = 1024
}

public struct TFTPRequest: Equatable, Sendable {
    public var filename: String
    /// Lowercased: "octet", "netascii" or "mail".
    public var mode: String
    /// In the order sent; names lowercased.
    public var options: [TFTPOption]

    public init(filename: String, mode: String, options: [TFTPOption] = []) {
        self.filename = filename
        self.mode = mode
        self.options = options
    }
}

public struct TFTPOption: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public enum TFTPErrorCode: UInt16, Sendable {
    case notDefined = 0
    case fileNotFound = 1
    case accessViolation = 2
    case diskFull = 3
    case illegalOperation = 4
    case unknownTransferID = 5
    case fileExists = 6
    case noSuchUser = 7
    case optionNegotiation = 8
}

public enum TFTPDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case unknownOpcode(UInt16)
    case missingTerminator
    case emptyFilename
    case oversized(Int)
    case optionWithoutValue(String)
    case duplicateOption(String)

    public var description: String {
        switch self {
        case .truncated: return "packet too short"
        case .unknownOpcode(let opcode): return "unknown opcode \(opcode)"
        case .missingTerminator: return "string field not NUL-terminated"
        case .emptyFilename: return "empty file name"
        case .oversized(let size): return "request of \(size) bytes is larger than \(TFTPPacket.maxRequestSize)"
        case .optionWithoutValue(let name): return "option \(name) has no value"
        case .duplicateOption(let name): return "option \(name) given twice"
        }
    }
}

extension TFTPPacket {
    /// The ACK's block number if `bytes` is an ACK: the packet a sender
    /// receives once per block, decoded without copying.
    @inlinable
    public static func ackBlock(_ bytes: some Collection<UInt8>) -> UInt16? {
        guard bytes.count >= 4 else { return nil }
        var index = bytes.startIndex
        guard bytes[index] == 0 else { return nil }
        bytes.formIndex(after: &index)
        guard bytes[index] == UInt8(Opcode.ack.rawValue) else { return nil }
        bytes.formIndex(after: &index)
        let high = bytes[index]
        bytes.formIndex(after: &index)
        return UInt16(high) << 8 | UInt16(bytes[index])
    }

    public init(decoding bytes: some Collection<UInt8>) throws(TFTPDecodeError) {
        let bytes = Array(bytes)
        guard bytes.count >= 2 else { throw .truncated }
        let rawOpcode = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let opcode = Opcode(rawValue: rawOpcode) else { throw .unknownOpcode(rawOpcode) }
        switch opcode {
        case .readRequest, .writeRequest:
            guard bytes.count <= Self.maxRequestSize else { throw .oversized(bytes.count) }
            var fields = try Self.strings(bytes[2...])
            guard fields.count >= 2 else { throw .missingTerminator }
            let filename = fields.removeFirst()
            guard !filename.isEmpty else { throw .emptyFilename }
            let mode = fields.removeFirst().lowercased()
            // Some clients pad with a trailing empty string: drop empties at the end.
            while fields.last == "" && fields.count % 2 == 1 { fields.removeLast() }
            guard fields.count % 2 == 0 else { throw .optionWithoutValue(fields.last ?? "") }
            var options: [TFTPOption] = []
            for index in stride(from: 0, to: fields.count, by: 2) {
                let name = fields[index].lowercased()
                if options.contains(where: { $0.name == name }) { throw .duplicateOption(name) }
                options.append(TFTPOption(name, fields[index + 1]))
            }
            let request = TFTPRequest(filename: filename, mode: mode, options: options)
            self = opcode == .readRequest ? .readRequest(request) : .writeRequest(request)
        case .data:
            guard bytes.count >= 4 else { throw .truncated }
            self = .data(block: UInt16(bytes[2]) << 8 | UInt16(bytes[3]), payload: Array(bytes[4...]))
        case .ack:
            guard bytes.count >= 4 else { throw .truncated }
            self = .ack(block: UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        case .error:
            guard bytes.count >= 5 else { throw .truncated }
            let rawCode = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let message = try Self.strings(bytes[4...]).first ?? ""
            self = .error(code: TFTPErrorCode(rawValue: rawCode) ?? .notDefined, message: message)
        case .optionAck:
            let fields = try Self.strings(bytes[2...])
            guard fields.count % 2 == 0 else { throw .optionWithoutValue(fields.last ?? "") }
            self = .optionAck(stride(from: 0, to: fields.count, by: 2).map { TFTPOption(fields[$0].lowercased(), fields[$0 + 1]) })
        }
    }

    /// NUL-terminated strings; the last one must be terminated too.
    private static func strings(_ bytes: ArraySlice<UInt8>) throws(TFTPDecodeError) -> [String] {
        guard !bytes.isEmpty else { return [] }
        guard bytes.last == 0 else { throw .missingTerminator }
        return bytes.dropLast().split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        func put16(_ value: UInt16) {
            out.append(UInt8(value >> 8))
            out.append(UInt8(value & 0xFF))
        }
        func putString(_ string: String) {
            out.append(contentsOf: string.utf8.filter { $0 != 0 })
            out.append(0)
        }
        switch self {
        case .readRequest(let request), .writeRequest(let request):
            put16(self.isRead ? Opcode.readRequest.rawValue : Opcode.writeRequest.rawValue)
            putString(request.filename)
            putString(request.mode)
            for option in request.options {
                putString(option.name)
                putString(option.value)
            }
        case .data(let block, let payload):
            put16(Opcode.data.rawValue)
            put16(block)
            out.append(contentsOf: payload)
        case .ack(let block):
            put16(Opcode.ack.rawValue)
            put16(block)
        case .error(let code, let message):
            put16(Opcode.error.rawValue)
            put16(code.rawValue)
            putString(message)
        case .optionAck(let options):
            put16(Opcode.optionAck.rawValue)
            for option in options {
                putString(option.name)
                putString(option.value)
            }
        }
        return out
    }

    private var isRead: Bool {
        if case .readRequest = self { return true }
        return false
    }
}
