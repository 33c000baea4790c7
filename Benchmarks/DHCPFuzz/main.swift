import Foundation
import KilnCore
import KilnDHCP
import KilnTestSupport

// make bench: a million (by default) seeded random and mutated packets
// through the DHCP decoder and the proxyDHCP responder. Any trap ends the
// run with a crash, so finishing is the result; it prints the time per
// packet and what the responder decided, and fails if anything that does
// not decode was answered.

func request(_ options: [(UInt8, [UInt8])]) -> [UInt8] {
    var packet = DHCPPacket(op: .request, transactionID: 7, clientHardware: [0x52, 0x54, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 10),
                            options: DHCPOptions(options))
    packet.flags = 0x8000
    return packet.encode()
}

let seeds: [[UInt8]] = [
    request([(53, [1]), (57, [5, 0xC0]), (93, [0, 7]), (94, [1, 3, 0]), (97, [0] + [UInt8](repeating: 7, count: 16)), (60, Array("PXEClient:Arch:00007:UNDI:003000".utf8))]),
    request([(53, [1]), (93, [0, 0]), (60, Array("PXEClient:Arch:00000:UNDI:002001".utf8)), (77, Array("iPXE".utf8)), (175, [177, 1, 1])]),
    request([(53, [1]), (93, [0, 16]), (60, Array("HTTPClient:Arch:00016:UNDI:003000".utf8))]),
    request([(53, [3]), (54, [10, 0, 0, 1]), (93, [0, 0]), (60, Array("PXEClient".utf8)), (82, [1, 2, 3, 4])]),
    request([(53, [1]), (52, [3]), (93, [0, 7])]),
]

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
var generator = SplitMix64(seed: 20261201)
let responder = ProxyDHCPResponder(.init(serverAddress: IPv4(10, 0, 0, 1), httpBase: "http://10.0.0.1:8080"))
let catalog = Catalog(groups: [Group(id: "all", profile: "p")], profiles: [Profile(id: "p")])
var outcomes: [String: Int] = [:]
var wronglyAnswered = 0
let clock = ContinuousClock()
let started = clock.now
for _ in 0..<count {
    var bytes: [UInt8]
    switch generator.next() % 4 {
    case 0:
        bytes = (0..<Int(generator.next() % 700)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    case 1:
        // A valid header with random option bytes after the cookie.
        bytes = Array(seeds[0].prefix(240)) + (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    default:
        bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
        for _ in 0..<Int(generator.next() % 6 + 1) {
            let at = Int(generator.next() % UInt64(bytes.count))
            bytes[at] = UInt8(truncatingIfNeeded: generator.next() % 3 == 0 ? 255 : generator.next())
        }
        if generator.next() % 5 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
        if generator.next() % 7 == 0 { bytes += (0..<Int(generator.next() % 1400)).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
    }
    let port: ProxyDHCPResponder.Port = generator.next() % 3 == 0 ? .pxe : .dhcp
    switch responder.respond(to: bytes, on: port, catalog: catalog) {
    case .answer(let answer, _):
        outcomes["answered", default: 0] += 1
        if (try? DHCPPacket.decode(bytes)) == nil { wronglyAnswered += 1 }
        _ = answer.packet.encode()
    case .silence(let silence, _):
        outcomes["silent: " + silence.result, default: 0] += 1
    }
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("DHCP fuzz: \(count) seeded random and mutated packets through the decoder and the proxyDHCP responder in \(String(format: "%.2f", seconds)) s (\(String(format: "%.2f", seconds * 1e6 / Double(max(count, 1)))) µs each); nothing trapped")
for (outcome, number) in outcomes.sorted(by: { $0.key < $1.key }) {
    print("  \(outcome): \(number)")
}
if wronglyAnswered > 0 {
    print("FAIL: \(wronglyAnswered) packets that do not decode were answered")
    exit(1)
}
