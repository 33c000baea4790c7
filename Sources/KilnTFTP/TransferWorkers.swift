import Dispatch
import Foundation

/// Threads that run transfers, kept warm between them. A fresh thread per
/// transfer starts wherever the scheduler puts it, often on another core
/// than the client it will talk to, and on this hardware a cross-core
/// wake-up per block costs more than the block; an idle thread that just
/// served a transfer is woken near its waker. Idle workers wait up to a
/// minute for the next transfer, then exit; there is no upper bound, so a
/// burst of hundreds of transfers gets hundreds of threads (small stacks).
final class TransferWorkers: @unchecked Sendable {
    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        var job: (() -> Void)?
    }

    private let lock = NSLock()
    private var idle: [Worker] = []
    static let idleLifetime: DispatchTimeInterval = .seconds(60)
    static let stackSize = 256 * 1024

    static let shared = TransferWorkers()

    func run(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        if let worker = idle.popLast() {
            worker.job = job
            lock.unlock()
            worker.wake.signal()
            return
        }
        lock.unlock()
        let worker = Worker()
        worker.job = job
        let thread = Thread { [self] in self.loop(worker) }
        thread.stackSize = Self.stackSize
        thread.name = "kiln-tftp"
        thread.start()
    }

    private func loop(_ worker: Worker) {
        while true {
            lock.lock()
            let job = worker.job
            worker.job = nil
            lock.unlock()
            job?()
            lock.lock()
            idle.append(worker)
            lock.unlock()
            if worker.wake.wait(timeout: .now() + Self.idleLifetime) == .timedOut {
                lock.lock()
                if let index = idle.firstIndex(where: { $0 === worker }) {
                    idle.remove(at: index)
                    lock.unlock()
                    return
                }
                lock.unlock()
                // Claimed just as the wait ended: the signal is on its way.
                worker.wake.wait()
            }
        }
    }
}
