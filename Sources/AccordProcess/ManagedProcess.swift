import Foundation
import Synchronization

/// A service process Accord launched and owns: started with signals deliverable, probed for
/// readiness, signalled, and watched until it exits, with the time of each step kept for a
/// shutdown timeline. Killed with SIGKILL if the handle is released while it still runs.
public final class ManagedProcess: Sendable {
    /// How the process ended: an exit code, or the signal that ended it.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        case code(Int32)
        case signal(Int32)

        public var description: String {
            switch self {
            case .code(let code): "exit code \(code)"
            case .signal(let number): "killed by \(SignalName.of(number))"
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

        public static func == (a: Timeline, b: Timeline) -> Bool {
            a.launched == b.launched && a.ready == b.ready && a.exited == b.exited
                && a.signalled.elementsEqual(b.signalled) { $0.signal == $1.signal && $0.at == $1.at }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(launched)
            hasher.combine(exited)
        }
    }

    private struct State {
        var timeline: Timeline
        var exit: Exit?
        var output = Data()
        /// The markers readiness waits for, and whether each has been printed: noted as the output
        /// arrives, since more than the kept 64 KiB after a marker would hide it from the next poll.
        var markers: [String: Bool] = [:]

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

    public let command: [String]
    public let pid: Int32
    private let state: Mutex<State>

    private init(command: [String], pid: Int32, launched: UInt64) {
        self.command = command
        self.pid = pid
        self.state = Mutex(State(timeline: Timeline(launched: launched)))
    }

    deinit {
        if exit == nil { kill(pid, SIGKILL) }
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
    /// posix_spawn, not Foundation's `Process`: the child starts with no blocked signals and
    /// default dispositions (Swift's threads block signals and Accord ignores SIGINT while it
    /// traps it, and children inherit both), and a thread of ours waits for exactly this pid,
    /// so the exit is seen when it happens, even if grandchildren keep the output pipe open.
    public static func launch(
        _ command: [String], environment: [String: String] = [:], directory: URL? = nil,
        onLine: (@Sendable (String) -> Void)? = nil
    ) throws(LaunchFailed) -> ManagedProcess {
        let display = command.joined(separator: " ")
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw LaunchFailed(command: display, reason: String(cString: strerror(errno))) }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        // env finds the program on PATH and, with -C, enters the directory (posix_spawn's own
        // chdir action is a glibc extension Swift does not import).
        let prefix = directory.map { ["/usr/bin/env", "-C", $0.path] } ?? ["/usr/bin/env"]
        let argv = (prefix + command).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, envp)
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw LaunchFailed(command: display, reason: String(cString: strerror(result)))
        }
        let managed = ManagedProcess(command: command, pid: pid, launched: now())
        managed.collectOutput(from: readEnd, onLine: onLine)
        managed.reapWhenExited()
        return managed
    }

    /// Reads the child's output on a thread of its own until every writer has closed the pipe.
    private func collectOutput(from descriptor: Int32, onLine: (@Sendable (String) -> Void)?) {
        let thread = Thread { [weak self] in
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            var partial: [UInt8] = []
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0, let self else { break }
                if let onLine {
                    partial += chunk[0..<count]
                    while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                        onLine(String(decoding: partial[..<newline], as: UTF8.self))
                        partial.removeSubrange(...newline)
                    }
                }
                self.state.withLock { $0.append(chunk[0..<count]) }
            }
            if let onLine, !partial.isEmpty { onLine(String(decoding: partial, as: UTF8.self)) }
            close(descriptor)
        }
        thread.start()
    }

    private func reapWhenExited() {
        let pid = self.pid
        let thread = Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // The wait status: low 7 bits the terminating signal (0 for a normal exit), then the code.
            let exit: Exit = status & 0x7F == 0 ? .code((status >> 8) & 0xFF) : .signal(status & 0x7F)
            self?.state.withLock { state in
                state.exit = exit
                state.timeline.exited = ManagedProcess.now()
            }
        }
        thread.start()
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
                throw NotReady(command: command.joined(separator: " "), reason: "it ended (\(exit)): \(output.suffix(2000))")
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

    /// Sends `signal` (recorded in the timeline) unless the process has already exited.
    public func send(_ signal: Int32) {
        guard exit == nil else { return }
        state.withLock { $0.timeline.signalled.append((signal, Self.now())) }
        kill(pid, signal)
    }

    /// Waits for the exit, up to `timeout`; nil when it is still running then.
    public func waitForExit(timeout: Duration) async -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while exit == nil && ContinuousClock.now < deadline {
            // Not Task.sleep alone: a cancelled caller must still see the exit it waits for.
            try? await Task.sleep(for: .milliseconds(10))
            if Task.isCancelled { break }
        }
        return exit
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns how it ended.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Exit? {
        send(SIGTERM)
        if let exit = await waitForExit(timeout: grace) { return exit }
        send(SIGKILL)
        return await waitForExit(timeout: .seconds(5))
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
