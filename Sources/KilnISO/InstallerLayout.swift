import Foundation

/// The places a CoreOS live ISO keeps for customisation, found the way
/// coreos-installer finds them.
public struct InstallerLayout: Sendable, Equatable {
    /// The Ignition embed area: a compressed cpio (an extra initrd for the
    /// live system), zero-filled when empty.
    public var ignition: ISOExtent
    public var kargs: KernelArgumentAreas?
    public var size: UInt64

    /// `coreos/kargs.json`: the same kernel command line is kept in each
    /// boot loader's config, in an area of fixed size padded with `#`.
    public struct KernelArgumentAreas: Sendable, Equatable {
        public var size: Int
        public var defaults: String
        public var areas: [Area]

        public struct Area: Sendable, Equatable {
            public var offset: UInt64
            public var pad: UInt8
            public var end: UInt8
        }

        /// The area's bytes for these arguments: the arguments, the end
        /// character, then padding.
        func contents(_ arguments: String, _ area: Area) throws(ISOError) -> [UInt8] {
            let text = Array(arguments.utf8)
            guard text.count < size else {
                throw ISOError("kernel arguments are \(text.count + 1) bytes with their end; the ISO's areas hold \(size)")
            }
            var bytes = [UInt8](repeating: area.pad, count: size)
            bytes.replaceSubrange(0..<text.count, with: text)
            bytes[text.count] = area.end
            return bytes
        }

        /// The arguments an area holds: padding and end character dropped.
        func arguments(in bytes: [UInt8], _ area: Area) -> String {
            var end = bytes.count
            while end > 0, bytes[end - 1] == area.pad { end -= 1 }
            while end > 0, bytes[end - 1] == area.end { end -= 1 }
            return String(decoding: bytes[..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
    }
}
