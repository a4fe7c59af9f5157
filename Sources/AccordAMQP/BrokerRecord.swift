import Foundation
import Logging

/// A note in the state directory that a managed broker runs, and for which process. A broker whose
/// owner is gone is an orphan: the next start kills it and removes its files.
struct BrokerRecord: Codable, Hashable {
    var nodeName: String
    var baseDirectory: String
    var ownerPID: Int32
    /// The owner's start time (clock ticks after boot), so a reused pid is not mistaken for the owner.
    var ownerStartTime: UInt64
    var watchdogPID: Int32

    init(nodeName: String, baseDirectory: String, watchdogPID: Int32) {
        self.nodeName = nodeName
        self.baseDirectory = baseDirectory
        ownerPID = getpid()
        ownerStartTime = ProcFS.startTime(of: getpid()) ?? 0
        self.watchdogPID = watchdogPID
    }

    func write(in stateDirectory: URL) throws {
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(self)
        try data.write(to: Self.file(for: nodeName, in: stateDirectory), options: .atomic)
    }

    static func remove(nodeName: String, in stateDirectory: URL) {
        try? FileManager.default.removeItem(at: file(for: nodeName, in: stateDirectory))
    }

    private static func file(for nodeName: String, in stateDirectory: URL) -> URL {
        stateDirectory.appendingPathComponent("\(nodeName).json")
    }

    /// Whether the process that started the broker still runs.
    var ownerIsAlive: Bool {
        ProcFS.startTime(of: ownerPID).map { $0 == ownerStartTime } ?? false
    }

    /// The processes of this broker: everything with its private mnesia directory in its environment
    /// (the watchdog, beam.smp, erl_child_setup, a rabbitmqctl), except epmd, which brokers share.
    func processes() -> [Int32] {
        let marker = Array("RABBITMQ_MNESIA_BASE=\(baseDirectory)/mnesia".utf8)
        return ProcFS.pids().filter { pid in
            pid != getpid() && ProcFS.command(of: pid) != "epmd"
                && ProcFS.environment(of: pid).contains { $0.elementsEqual(marker) }
        }
    }

    /// Kills the brokers whose owners are gone (SIGTERM, then SIGKILL after 10 s) and removes their files.
    static func cleanUpOrphans(in stateDirectory: URL, logger: Logger) async throws {
        let files = (try? FileManager.default.contentsOfDirectory(at: stateDirectory, includingPropertiesForKeys: nil))
            ?? []
        for file in files where file.pathExtension == "json" {
            guard let data = try? Data(contentsOf: file), let record = try? JSONDecoder().decode(Self.self, from: data)
            else {
                try? FileManager.default.removeItem(at: file)
                continue
            }
            guard !record.ownerIsAlive else { continue }
            let pids = record.processes()
            logger.warning("stopping an orphaned managed RabbitMQ",
                           metadata: [AMQPLogKey.node: "\(record.nodeName)", AMQPLogKey.count: "\(pids.count)"])
            for pid in pids { kill(pid, SIGTERM) }
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while clock.now < deadline, pids.contains(where: ProcFS.isAlive) {
                try await Task.sleep(for: .milliseconds(100))
            }
            for pid in pids where ProcFS.isAlive(pid) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: record.baseDirectory)
            try? FileManager.default.removeItem(at: file)
        }
    }
}

/// Reading processes from /proc (Linux).
enum ProcFS {
    static func pids() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let state = statFields(of: pid)?.first else { return false }
        return state != "Z" && state != "X"
    }

    static func startTime(of pid: Int32) -> UInt64? {
        // Field 22 of /proc/PID/stat; the fields after the command start at field 3.
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func environment(of pid: Int32) -> [ArraySlice<UInt8>] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [] }
        return Array(data).split(separator: 0)
    }

    /// The fields of /proc/PID/stat after "pid (command)", which may itself hold spaces and parentheses.
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
