import AccordAMQP
import AccordReport
import AccordSystem
import Foundation

extension RunMetadata {
    /// This machine, this binary and (when run inside a git checkout) its commit.
    static func current(profile: String? = nil, contracts: String? = nil, startedAt: Date, partial: Bool) -> RunMetadata {
        RunMetadata(
            accordVersion: AccordVersion.current, gitCommit: gitCommit(), profile: profile, contracts: contracts,
            hostname: ProcessInfo.processInfo.hostName, cores: ProcessInfo.processInfo.activeProcessorCount,
            operatingSystem: ProcessInfo.processInfo.operatingSystemVersionString, startedAt: startedAt,
            endedAt: Date(), partial: partial)
    }

    /// `20261124T213000Z`: sortable, and safe in folder names.
    static func folderTimestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    private static func gitCommit() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : nil
    }
}

/// This accord binary, for the reference services it launches as `accord serve` processes.
enum AccordExecutable {
    static var path: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}

extension SystemRunner.Options {
    /// Reference services run by this accord binary; the broker from AMQP_URL, else a managed one.
    static func forThisAccord(logLevel: String) -> SystemRunner.Options {
        SystemRunner.Options(
            reference: .init(accordExecutable: AccordExecutable.path, logLevel: logLevel),
            amqpURL: AMQPBrokerSource.urlFromEnvironment())
    }
}
