#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A floor under the size of the deflate stream zlib would make, cheap
/// enough to run before compressing. Butane's rule compresses every file to
/// see whether gzip is shortest; for a small file that is most of the cost
/// of filling a config (zlib builds Huffman trees for any input), and for a
/// short text file the answer is nearly always no. When even this floor
/// cannot beat the other encodings, compressing is skipped and the choice
/// is the one compressing would have made.
///
/// Why it is a floor, for inputs small enough that zlib (with Kiln's window
/// and memory settings) writes one block:
/// - A byte can sit inside a back-reference only if one of the three
///   3-byte sequences covering it occurred earlier; every other byte is a
///   literal in any deflate stream.
/// - A stored block costs the input plus 5 bytes. A fixed-Huffman block
///   costs at least 8 bits per literal, plus 3 header bits and a 7-bit end.
/// - A dynamic block's codes obey Kraft's inequality, so coding those
///   literals and the end-of-block takes at least their Shannon entropy;
///   its header takes 17 bits, 12 for the smallest code-length code, and
///   at least one bit per code-length symbol needed to describe which
///   literals have codes (zero runs at their cheapest repeat codes).
enum DeflateLowerBound {
    /// Inputs up to this size are one block in zlib at the settings
    /// `Gzip.deflate` uses (512-byte window, 511 symbols a block).
    static let largestInput = 250

    /// The fewest bytes zlib's raw deflate stream of `input` can take, or
    /// nil when the input is too large for the argument above.
    static func bytes(_ input: [UInt8]) -> Int? {
        let count = input.count
        guard count <= largestInput else { return nil }
        return input.withUnsafeBufferPointer { bytes in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tableSize) { seen in
                withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { literals in
                    seen.initialize(repeating: 0)
                    literals.initialize(repeating: 0)
                    // A position is covered when the 3-byte sequence starting
                    // there, or at one of the two before, occurred earlier.
                    var present = SIMD4<UInt64>(repeating: 0)
                    var coveredUntil = -1
                    var literalCount = 0
                    for position in 0..<count {
                        if position + 2 < count {
                            let key = UInt32(bytes[position]) << 16 | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2])
                            if insertIsRepeat(key, into: seen) { coveredUntil = position + 2 }
                        }
                        if position > coveredUntil {
                            let value = Int(bytes[position])
                            literals[value] += 1
                            present[value >> 6] |= 1 << UInt64(value & 63)
                            literalCount += 1
                        }
                    }
                    let stored = (count + 5) * 8
                    let fixed = 10 + 8 * literalCount
                    // Entropy of the literals and one end-of-block:
                    // C·log2(C) − Σ c·log2(c), with a margin for rounding.
                    let symbols = literalCount + 1
                    var entropy = Double(symbols) * log2Table[symbols]
                    var header = 17 + 12 + 1  // block header, code-length code, one distance code
                    var previous = -1
                    var run = 0
                    func literal(_ value: Int, used: Int) {
                        entropy -= Double(used) * log2Table[used]
                        let gap = value - previous - 1
                        if gap > 0 {
                            header += nonzeroRunBits[run] + zeroRunBits[gap]
                            run = 0
                        }
                        run += 1
                        previous = value
                    }
                    for word in 0..<4 {
                        var bits = present[word]
                        while bits != 0 {
                            let value = word << 6 | bits.trailingZeroBitCount
                            bits &= bits - 1
                            literal(value, used: Int(literals[value]))
                        }
                    }
                    literal(256, used: 1)  // end of block
                    header += nonzeroRunBits[run]
                    let dynamic = header + Int((entropy - 0.01).rounded(.up))
                    return (min(stored, fixed, dynamic) + 7) / 8
                }
            }
        }
    }

    private static let tableSize = 512

    /// Open addressing over 3-byte keys (stored +1 so 0 means empty);
    /// true when the key was there already.
    private static func insertIsRepeat(_ key: UInt32, into table: UnsafeMutableBufferPointer<UInt32>) -> Bool {
        let stored = key + 1
        var slot = Int((key &* 2_654_435_761) >> 23) & (tableSize - 1)
        while true {
            if table[slot] == stored { return true }
            if table[slot] == 0 {
                table[slot] = stored
                return false
            }
            slot = (slot + 1) & (tableSize - 1)
        }
    }

    /// log2 of 0...largestInput+1 (entry 0 unused).
    private static let log2Table: [Double] = (0...(largestInput + 1)).map { $0 == 0 ? 0 : log2(Double($0)) }

    /// Cheapest description of `n` zero code lengths: each code-length
    /// symbol is at least one bit, plus its extra bits ('0' one length;
    /// 16 repeats 3–6 for 2 extra bits; 17 3–10 zeros for 3; 18 11–138 for 7).
    private static let zeroRunBits: [Int] = cheapestRuns(upTo: 257, symbols: [(1...1, 1), (3...6, 3), (3...10, 4), (11...138, 8)])

    /// Cheapest description of `n` non-zero lengths: a literal length, or
    /// 16 repeating the previous one.
    private static let nonzeroRunBits: [Int] = cheapestRuns(upTo: 258, symbols: [(1...1, 1), (3...6, 3)])

    private static func cheapestRuns(upTo limit: Int, symbols: [(ClosedRange<Int>, Int)]) -> [Int] {
        var cost = [0] + Array(repeating: Int.max / 2, count: limit)
        for length in 1...limit {
            for (covers, bits) in symbols {
                for covered in covers where covered <= length {
                    cost[length] = min(cost[length], cost[length - covered] + bits)
                }
            }
        }
        return cost
    }
}
