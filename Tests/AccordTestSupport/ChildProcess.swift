import Foundation
import Synchronization

/// A child process started by a test: a real peer (grpcio, pika, curl, h2load, wrk) or an
/// accord binary. It is killed when the handle is released, so a failing test leaves
/// nothing behind.
public final class ChildProcess: @unchecked Sendable {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public struct Timeout: Error, CustomStringConvertible {
        public let command: [String]
        public let seconds: Double
        public var description: String { "\(command.joined(separator: " ")) did not finish within \(seconds)s" }
    }

    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let output: OutputBox
    public let command: [String]

    /// The output collected so far, shared with the reader threads.
    private final class OutputBox: Sendable {
        private let state = Mutex<(out: Data, err: Data, openReaders: Int)>((Data(), Data(), 2))
        func append(_ data: Data, toStdout: Bool) {
            state.withLock { if toStdout { $0.out.append(data) } else { $0.err.append(data) } }
        }
        func readerFinished() { state.withLock { $0.openReaders -= 1 } }
        var readersDone: Bool { state.withLock { $0.openReaders == 0 } }
        var out: String { state.withLock { String(decoding: $0.out, as: UTF8.self) } }
        var err: String { state.withLock { String(decoding: $0.err, as: UTF8.self) } }
    }

    public init(_ command: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        self.command = command
        self.output = OutputBox()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var env = ProcessInfo.processInfo.environment
        env["PYTHONUNBUFFERED"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        // One reader thread per pipe, to the end of file: `wait` joins them, so nothing the
        // child printed last is missing from its result.
        for (pipe, isOut) in [(stdoutPipe, true), (stderrPipe, false)] {
            let output = self.output
            Thread {
                let handle = pipe.fileHandleForReading
                while true {
                    let data = handle.availableData
                    guard !data.isEmpty else { break }
                    output.append(data, toStdout: isOut)
                }
                output.readerFinished()
            }.start()
        }
        // The child inherits this thread's signal mask, and Swift's cooperative-pool threads block
        // nearly every signal: without this, a SIGTERM or SIGINT the test sends would stay pending.
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate(); kill(process.processIdentifier, SIGKILL) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public var stdout: String { output.out }
    public var stderr: String { output.err }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// The child ended before printing what a test waited for.
    public struct ExitedEarly: Error, CustomStringConvertible {
        public let command: [String]
        public let marker: String
        public let status: Int32
        public let stderr: String
        public var description: String {
            "\(command.joined(separator: " ")) exited with \(status) before printing \(marker): \(stderr.suffix(4000))"
        }
    }

    /// Waits (off the cooperative pool's threads: it polls with short sleeps) for the line
    /// `marker` on stdout, e.g. a peer's "READY 50051".
    public func waitForOutput(containing marker: String, timeout: Double = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if !process.isRunning {
                let result = try await wait(timeout: 1)
                if let line = result.stdout.split(separator: "\n").first(where: { $0.contains(marker) }) {
                    return String(line)
                }
                throw ExitedEarly(command: command, marker: marker, status: result.status, stderr: result.stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(command: command, seconds: timeout)
    }

    /// Waits for exit, killing the process after `timeout` seconds.
    public func wait(timeout: Double = 60) async throws -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw Timeout(command: command, seconds: timeout)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        // The readers finish at end of file; a grandchild still holding the pipe gets 2 s.
        let drained = Date().addingTimeInterval(2)
        while !output.readersDone && Date() < drained {
            try await Task.sleep(for: .milliseconds(5))
        }
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Runs a short command to completion, synchronously. For set-up steps, not for peers.
    public static func run(_ command: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting so a chatty child cannot block on a full pipe.
        let errData = Mutex(Data())
        let errReader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: errData.withLock { String(decoding: $0, as: UTF8.self) })
    }
}
