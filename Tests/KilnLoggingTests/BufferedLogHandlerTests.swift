import Foundation
import KilnLogging
import Logging
import Testing

@Suite struct BufferedLogHandlerTests {
    /// Reads what is in the pipe right now, without waiting for more.
    private func available(_ pipe: Pipe) -> String {
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var bytes = [UInt8](repeating: 0, count: 65536)
        let count = read(descriptor, &bytes, bytes.count)
        return count > 0 ? String(decoding: bytes[..<count], as: UTF8.self) : ""
    }

    @Test func infoWaitsForAFlushWarningsGoAtOnceAndInOrder() {
        let pipe = Pipe()
        let sink = LogSink(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let logger = Logger(label: "kiln") { BufferedLogHandler(label: $0, sink: sink, logLevel: .info) }
        logger.info("first", metadata: ["b": "2", "a": "1"])
        #expect(available(pipe) == "")
        logger.warning("second")
        let lines = available(pipe).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" info kiln: a=1 b=2 [KilnLoggingTests] first") == true)
        #expect(lines.last?.hasSuffix(" warning kiln: [KilnLoggingTests] second") == true)
        logger.debug("not at this level")
        logger.info("third")
        sink.flush()
        #expect(available(pipe).hasSuffix("info kiln: [KilnLoggingTests] third\n"))
    }
}
