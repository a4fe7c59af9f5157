import AccordProcess
import Foundation
import Synchronization

/// The watchdog shell and the broker it runs. The watchdog's stdin is a pipe whose write end only this
/// process holds: closing it (`requestStop`, or this process exiting in any way) makes the watchdog
/// send SIGTERM to the broker, then SIGKILL if it is still there 30 s later.
final class BrokerProcess: Sendable {
    private let process: Process
    private let stopPipe: Pipe
    private let pid = Mutex<Int32?>(nil)

    private static let watchdog = """
        exec 3<&0 </dev/null
        "$@" &
        broker=$!
        (
            read -r _ <&3
            kill -TERM "$broker" 2>/dev/null
            i=0
            while [ "$i" -lt 300 ] && kill -0 "$broker" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
            kill -KILL "$broker" 2>/dev/null
        ) &
        reader=$!
        exec 3<&-
        wait "$broker"
        status=$?
        kill "$reader" 2>/dev/null
        exit "$status"
        """

    private init(process: Process, stopPipe: Pipe) {
        self.process = process
        self.stopPipe = stopPipe
    }

    static func spawn(server: String, environment: [String: String], log: URL) async throws -> BrokerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", watchdog, "accord-broker-watchdog", server]
        process.environment = environment
        let stopPipe = Pipe()
        process.standardInput = stopPipe
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let logHandle = try FileHandle(forWritingTo: log)
        logHandle.seekToEndOfFile()
        process.standardOutput = logHandle
        process.standardError = logHandle
        try await SignalSafeSpawn.run(process)
        try? logHandle.close()
        return BrokerProcess(process: process, stopPipe: stopPipe)
    }

    var watchdogPID: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The broker's own pid (beam.smp), once known from its pid file.
    var brokerPID: Int32? {
        get { pid.withLock { $0 } }
        set { pid.withLock { $0 = newValue } }
    }

    /// Asks the watchdog to stop the broker (closing, not writing: a write to a gone reader would SIGPIPE us).
    func requestStop() {
        try? stopPipe.fileHandleForWriting.close()
    }

    /// Waits, without blocking a thread, until the watchdog exited (it exits once the broker has);
    /// returns false on timeout.
    @discardableResult
    func waitForExit(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline, (try? await Task.sleep(for: .milliseconds(50))) != nil else { return false }
        }
        return true
    }
}

/// Runs a short helper command (rabbitmqctl) to completion without blocking a thread.
enum HostProcess {
    struct Result {
        let status: Int32
        let output: String
    }

    /// Output goes to a temporary file rather than a pipe: a daemon the command starts (epmd) could keep a
    /// pipe open forever.
    static func run(_ executable: String, arguments: [String], environment: [String: String],
                    timeout: Duration) async throws -> Result {
        let outputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("accord-cmd-\(UInt64.random(in: 0...UInt64.max)).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let handle = try FileHandle(forWritingTo: outputFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try await SignalSafeSpawn.run(process)
        try? handle.close()
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            if clock.now >= deadline {
                process.terminate()
                throw AMQPError(.timeout, operation: "\(executable) \(arguments.joined(separator: " "))",
                                text: "no exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output)
    }
}
