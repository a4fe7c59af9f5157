import Dispatch
import Foundation
import Synchronization

/// Calls `handler` each time one of `signals` arrives, instead of the default termination,
/// until `cancel` gives the signals their default action back.
final class SignalTrap {
    private let signals: [Int32]
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
        self.signals = signals
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}

/// A command's work that a signal interrupts: the phase running when it arrives (a start-up,
/// the run) is cancelled, and later phases see `isInterrupted` instead of starting.
final class Interruption: Sendable {
    private let state = Mutex<(interrupted: Bool, cancelCurrent: (@Sendable () -> Void)?)>((false, nil))

    var isInterrupted: Bool { state.withLock { $0.interrupted } }

    func interrupt() {
        let cancel = state.withLock { state in
            state.interrupted = true
            return state.cancelCurrent
        }
        cancel?()
    }

    /// Runs `body` as the current phase: a signal meanwhile cancels it.
    func phase<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let interrupted = state.withLock { state in
            state.cancelCurrent = { task.cancel() }
            return state.interrupted
        }
        if interrupted { task.cancel() }
        defer { state.withLock { $0.cancelCurrent = nil } }
        return try await task.value
    }
}
