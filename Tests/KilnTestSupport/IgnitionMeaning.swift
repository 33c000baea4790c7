import KilnCore
import KilnIgnition

/// Ignition JSON reduced to what it means: data URLs decoded (so gzip
/// streams from different compressors compare equal), `compression`
/// dropped once applied, key order irrelevant.
public enum Meaning {
    public static func of(_ bytes: [UInt8]) throws -> JSONValue {
        normalise(try JSONReader.parse(bytes, positionDepth: 0).value)
    }

    static func normalise(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var object):
            if case .string(let source)? = object["source"], source.hasPrefix("data:") {
                let compression = object["compression"]?.stringValue
                if let decoded = IgnitionDataURL.decode(source, compression: compression) {
                    object["source"] = .string("decoded:" + String(decoding: decoded, as: UTF8.self))
                    object["compression"] = nil
                }
            }
            return .object(object.mapValues(normalise))
        case .array(let values):
            return .array(values.map(normalise))
        default:
            return value
        }
    }
}

