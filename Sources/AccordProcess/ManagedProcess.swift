import CSpawnShim
import Foundation
import Synchronization

/// A service process Accord launched and owns: started in a process group of its own with signals
/// deliverable, probed for readiness, signalled, and watched until it exits, with the time of each
/// step kept for a shutdown timeline. Its group is killed with SIGKILL if the handle is released
/// while it still runs, and ended by Accord's child reaper if Accord itself ends first.
public final class ManagedProcess: Sendable {
    /// How the process ended: an exit code, or the signal that ended it; `unknown` when something
    /// else in Accord reaped it first, and its status went with it.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        case code(Int32)
        case signal(Int32)
        case unknown

        public var description: String {
            switch self {
            case .code(let code): "exit code \(code)"
            case .signal(let number): "killed by \(SignalName.of(number))"
            case .unknown: "ended, status lost (reaped elsewhere)"
            }
        }
    }

    /// When is a service ready: when its port accepts connections, when a health check answers
    /// 2xx, or when it prints a line.
    public enum Readiness: Sendable, Hashable {
        case port(Int)
        case httpGet(port: Int, path: String)
        case outputLine(containing: String)
    }

    public struct NotReady: Error, CustomStringConvertible {
        public let command: String
        public let reason: String
        public var description: String { "\(command) did not become ready: \(reason)" }
    }

    /// Monotonic nanoseconds of each step, for timelines.
    public struct Timeline: Sendable, Hashable {
        public var launched: UInt64
        public var ready: UInt64?
        public var signalled: [(signal: Int32, at: UInt64)] = []
        public var exited: UInt64?
        /// Sent to its process group after it exited, to end what it left running there.
        public var groupSignalled: [(signal: Int32, at: UInt64)] = []

        public static func == (a: Timeline, b: Timeline) -> Bool {
            a.launched == b.launched && a.ready == b.ready && a.exited == b.exited
                && a.signalled.elementsEqual(b.signalled) { $0.signal == $1.signal && $0.at == $1.at }
                && a.groupSignalled.elementsEqual(b.groupSignalled) { $0.signal == $1.signal && $0.at == $1.at }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(launched)
            hasher.combine(exited)
        }
    }

    private struct State: Sendable {
        var timeline: Timeline
        var exit: Exit?
        var output = Data()
        /// The markers readiness waits for, and whether each has been printed: noted as the output
        /// arrives, since more than the kept 64 KiB after a marker would hide it from the next poll.
        var markers: [String: Bool] = [:]
        /// Every writer has closed the output pipe and all of it has been taken in.
        var outputEnded = false
        /// What it left in its group has been ended and it has been reaped (or was, elsewhere).
        var reaped = false

        /// Keeps what the process printed (the last 64 KiB), noting the markers in it.
        mutating func append(_ bytes: ArraySlice<UInt8>) {
            output.append(contentsOf: bytes)
            for (marker, seen) in markers where !seen {
                let pattern = Data(marker.utf8)
                // The new bytes, and as many before them as a marker split across two reads needs.
                let from = output.index(output.endIndex, offsetBy: -min(output.count, bytes.count + pattern.count - 1))
                markers[marker] = output[from...].range(of: pattern) != nil
            }
            if output.count > 64 << 10 { output.removeFirst(output.count - (64 << 10)) }
        }

        /// Whether `marker` has been printed; watched as the output arrives from now on.
        mutating func printed(_ marker: String) -> Bool {
            if let seen = markers[marker] { return seen }
            let seen = output.range(of: Data(marker.utf8)) != nil
            markers[marker] = seen
            return seen
        }
    }

    /// The state behind a lock that outlives the handle: the thread waiting for the exit records it
    /// under the lock signals are sent with before it reaps the child, so no signal from `send`
    /// reaches a pid that has been reaped (and may belong to another process by now).
    private final class Guarded: Sendable {
        private let mutex: Mutex<State>

        init(_ state: State) { mutex = Mutex(state) }

        func withLock<Result: Sendable>(_ body: (inout State) -> Result) -> Result {
            mutex.withLock { body(&$0) }
        }
    }

    public let command: [String]
    /// The child's pid, which is also its process group's id.
    public let pid: Int32
    private let state: Guarded

    private init(command: [String], pid: Int32, launched: UInt64) {
        self.command = command
        self.pid = pid
        self.state = Guarded(State(timeline: Timeline(launched: launched)))
    }

    deinit {
        let pid = self.pid
        state.withLock { if $0.exit == nil { kill(-pid, SIGKILL) } }
    }

    public struct LaunchFailed: Error, CustomStringConvertible {
        public let command: String
        public let reason: String
        public var description: String { "cannot start \(command): \(reason)" }
    }

    /// Starts `command` (looked up on PATH) with `environment` added to Accord's own. Its
    /// stdout and stderr are kept (the last 64 KiB) for readiness lines and error messages, and
    /// each line also goes to `onLine` when given (called on the reader thread, in order).
    ///
    /// posix_spawn, not Foundation's `Process` (see `ChildSpawn`): the child starts in a process
    /// group of its own with no blocked signals, default dispositions and only its standard
    /// descriptors, and a thread of ours waits for exactly this pid, so the exit is seen when it
    /// happens, even if grandchildren keep the output pipe open. When it exits, what it left
    /// running in its group is ended (SIGTERM, SIGKILL 5 s later) before it is reaped. The group
    /// is registered with Accord's child reaper, started with the first launch.
    public static func launch(
        _ command: [String], environment: [String: String] = [:], directory: URL? = nil,
        onLine: (@Sendable (String) -> Void)? = nil
    ) throws(LaunchFailed) -> ManagedProcess {
        let display = command.joined(separator: " ")
        var pipeEnds: [Int32] = [-1, -1]
        // Close-on-exec: a process another thread starts meanwhile (Foundation's `Process`) must
        // not hold the pipe. The child's copies, made by dup2 onto 1 and 2, do not inherit the flag.
        guard accord_pipe_cloexec(&pipeEnds) == 0 else {
            throw LaunchFailed(command: display, reason: String(cString: strerror(errno)))
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        // env finds the program on PATH and, with -C, enters the directory (posix_spawn's own
        // chdir action is a glibc extension Swift does not import).
        let prefix = directory.map { ["/usr/bin/env", "-C", $0.path] } ?? ["/usr/bin/env"]
        let pid: pid_t
        do {
            pid = try ChildSpawn.spawn(
                "/usr/bin/env", arguments: prefix + command, environment: merged.map { "\($0.key)=\($0.value)" },
                input: .null, output: .descriptor(writeEnd), display: display)
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        do {
            try ChildReaper.shared.register(group: pid)
        } catch {
            // Without the reaper nothing would end it should Accord die: do not keep it.
            kill(-pid, SIGKILL)
            while waitpid(pid, nil, 0) < 0 && errno == EINTR {}
            close(readEnd)
            throw LaunchFailed(command: display, reason: "no child reaper: \(error)")
        }
        let managed = ManagedProcess(command: command, pid: pid, launched: now())
        managed.collectOutput(from: readEnd, onLine: onLine)
        managed.reapWhenExited()
        return managed
    }

    /// Reads the child's output on a thread of its own until every writer has closed the pipe.
    private func collectOutput(from descriptor: Int32, onLine: (@Sendable (String) -> Void)?) {
        let thread = Thread { [weak self, state] in
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            var partial: [UInt8] = []
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0, self != nil else { break }
                if let onLine {
                    partial += chunk[0..<count]
                    while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                        onLine(String(decoding: partial[..<newline], as: UTF8.self))
                        partial.removeSubrange(...newline)
                    }
                }
                state.withLock { $0.append(chunk[0..<count]) }
            }
            if let onLine, !partial.isEmpty { onLine(String(decoding: partial, as: UTF8.self)) }
            close(descriptor)
            state.withLock { $0.outputEnded = true }
        }
        thread.start()
    }

    /// Waits for the exit on a thread of its own, records it at once, ends what the process left
    /// in its group, then reaps it.
    private func reapWhenExited() {
        let (pid, state) = (self.pid, self.state)
        let thread = Thread {
            // Waited for without reaping: the child stays a zombie, its pid (and group id) ours,
            // until the exit is recorded (no signal from `send` goes out after that), what it left
            // running in its group is ended, and the reaper told.
            var info = siginfo_t()
            var waited: Int32
            repeat {
                waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
            } while waited < 0 && errno == EINTR
            let exited = ManagedProcess.now()
            let status = info._sifields._sigchld.si_status
            let exit: Exit =
                if waited < 0 {
                    .unknown
                } else if info.si_code == CLD_EXITED {
                    .code(status)
                } else {
                    .signal(status)
                }
            state.withLock { state in
                state.exit = exit
                state.timeline.exited = exited
            }
            // Reaped elsewhere (ECHILD): its group id may be another's by now, so nothing is sent.
            if exit != .unknown { ManagedProcess.endLeftovers(inGroup: pid, state: state) }
            ChildReaper.shared.unregister(group: pid)
            if exit != .unknown { while waitpid(pid, nil, 0) < 0 && errno == EINTR {} }
            state.withLock { $0.reaped = true }
        }
        thread.start()
    }

    /// Ends what an exited process left running in its group (a `sh -c` command's children when
    /// the shell died of SIGTERM, which would keep its ports): SIGTERM, up to 5 s for them to go,
    /// then SIGKILL. The unreaped leader pins the group id, so the signals reach no other group.
    private static func endLeftovers(inGroup group: Int32, state: Guarded) {
        func signal(_ number: Int32) {
            state.withLock { $0.timeline.groupSignalled.append((number, now())) }
            kill(-group, number)
        }
        guard !ProcessTable.running(inGroup: group).isEmpty else { return }
        signal(SIGTERM)
        for _ in 0..<100 {
            usleep(50_000)
            if ProcessTable.running(inGroup: group).isEmpty { return }
        }
        signal(SIGKILL)
    }

    public var exit: Exit? { state.withLock { $0.exit } }
    public var timeline: Timeline { state.withLock { $0.timeline } }
    /// What the process printed (stdout and stderr interleaved), at most the last 64 KiB.
    public var output: String { state.withLock { String(decoding: $0.output, as: UTF8.self) } }

    /// Waits until `readiness` holds; fails at once if the process exits, or after `timeout`.
    public func waitUntilReady(_ readiness: Readiness, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit {
                let output = await outputOnceEnded()
                throw NotReady(
                    command: command.joined(separator: " "), reason: "it ended (\(exit)): \(output.suffix(2000))")
            }
            let ready =
                switch readiness {
                case .port(let port): LocalPort.accepts(port)
                case .httpGet(let port, let path): await Self.offPool { LocalPort.answersHTTP(port, path: path) }
                case .outputLine(let marker): state.withLock { $0.printed(marker) }
                }
            if ready {
                state.withLock { $0.timeline.ready = Self.now() }
                return
            }
            guard ContinuousClock.now < deadline else {
                throw NotReady(command: command.joined(separator: " "), reason: "not ready after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// What it printed, once the output has ended, for an error that quotes an ended process: the
    /// last of it may still be on its way to the reader when the exit is seen. The pipe ends with
    /// the process unless something it started holds it, so the wait is short or bounded (200 ms).
    private func outputOnceEnded() async -> String {
        await wait(upTo: .milliseconds(200)) { $0.outputEnded }
        return output
    }

    /// Sends `signal` (recorded in the timeline) unless the process has already exited. SIGKILL
    /// goes to its whole process group, so nothing a `sh -c` command started lingers; any other
    /// signal to the process alone, whose handling of it is what a shutdown measures.
    public func send(_ signal: Int32) {
        let pid = self.pid
        state.withLock { state in
            guard state.exit == nil else { return }
            state.timeline.signalled.append((signal, Self.now()))
            kill(signal == SIGKILL ? -pid : pid, signal)
        }
    }

    /// Waits for the exit, up to `timeout`; nil when it is still running then.
    public func waitForExit(timeout: Duration) async -> Exit? {
        await wait(upTo: timeout) { $0.exit != nil }
        return exit
    }

    /// SIGTERM, then SIGKILL (to its group) if it has not exited within `grace`; returns how it
    /// ended, once it is gone (see `waitUntilGone`).
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Exit? {
        send(SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            send(SIGKILL)
            guard await waitForExit(timeout: .seconds(5)) != nil else { return nil }
        }
        await waitUntilGone(timeout: .seconds(10))
        return exit
    }

    /// Waits, up to `timeout`, until it has exited, what it left in its group has been ended (up
    /// to 5 s after the exit) and it has been reaped: nothing of it holds its ports any more, and
    /// an Accord that exits next leaves no zombie behind. False when that did not happen in time.
    @discardableResult
    public func waitUntilGone(timeout: Duration) async -> Bool {
        await wait(upTo: timeout) { $0.reaped }
        return state.withLock { $0.reaped }
    }

    /// Polls the state until `condition` holds, up to `timeout`. Not Task.sleep alone: a
    /// cancelled caller must still see what it waits for.
    private func wait(upTo timeout: Duration, until condition: (State) -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ condition($0) }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
            if Task.isCancelled { break }
        }
    }

    /// Runs a blocking probe on a thread of its own, not on Swift's cooperative pool.
    private static func offPool(_ probe: @escaping @Sendable () -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: probe()) }.start()
        }
    }

    /// CLOCK_MONOTONIC, the clock NIO's deadlines (and so every load timestamp) read on Linux,
    /// so a timeline's steps and the requests around them share one time base.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// `SIGTERM` for 15: the names timelines and reports print.
public enum SignalName {
    public static func of(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGKILL: "SIGKILL"
        case SIGQUIT: "SIGQUIT"
        case SIGHUP: "SIGHUP"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(number)"
        }
    }

    public static func number(_ name: String) -> Int32? {
        let upper = name.uppercased()
        let full = upper.hasPrefix("SIG") ? upper : "SIG" + upper
        return [SIGTERM, SIGINT, SIGKILL, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2].first { of($0) == full }
    }
}
