/// Bytes to write over a base image at an offset.
public struct ISOPatch: Sendable, Equatable {
    public var offset: UInt64
    public var bytes: [UInt8]
}
