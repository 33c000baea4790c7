import NIOPosix

/// Runs async operations one after another, in arrival order, without an
/// actor's reentrancy: an operation that suspends still holds the gate, so
/// a check and the write it guards are never split by another write.
final class SerialGate: Sendable {
    private let queue = GateQueue()

    func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let turn = await queue.enqueue()
        defer { turn.finish.finish() }
        await turn.waitUntilFirst()
        return try await operation()
    }
}

private actor GateQueue {
    private var tail: Task<Void, Never>?

    /// The operation's turn: it may start when the one before has finished.
    func enqueue() -> Turn {
        let previous = tail
        let (done, finish) = AsyncStream.makeStream(of: Never.self)
        tail = Task {
            for await _ in done {}
        }
        return Turn(previous: previous, finish: finish)
    }
}

private struct Turn: Sendable {
    let previous: Task<Void, Never>?
    let finish: AsyncStream<Never>.Continuation

    func waitUntilFirst() async {
        await previous?.value
    }
}

/// Blocking work (files, SQLite reads) on NIO's thread pool, never on the
/// cooperative threads that answer requests.
public enum NIOThreadPoolRunner {
    public static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
