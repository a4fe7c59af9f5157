import ArgumentParser
import Foundation
import Logging

@main
struct AccordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Contract tests and load tests for gRPC, REST and RabbitMQ services.",
        version: AccordVersion.current,
        subcommands: [Demo.self, Load.self, Report.self, Check.self, Serve.self, Broker.self]
    )

    /// As ArgumentParser's, except for the exit codes: a usage error (a bad flag or value) exits
    /// with 2 instead of 64, and so does any other error a command did not turn into its own
    /// exit code (a report folder that cannot be written, a port taken): 1 means findings or a
    /// failed threshold, which such an error is not.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if error is ExitCode || code == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            exit(withError: ExitCode(2))
        }
    }
}

enum AccordVersion {
    static let current = "0.1.0"
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    /// Structured logs to stderr; called once, by the subcommand's `run()`.
    func bootstrap() {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Bad input (a contract, a profile, a flag): exit code 2 with the message, no stack trace.
struct BadInput: Error, CustomStringConvertible {
    let message: String
    var description: String { message }

    /// Results that cannot be written: the path and the system's own reason ("Not a directory"),
    /// which Foundation's description on Linux hides behind "error 512".
    static func cannotWrite(_ path: String, _ error: any Error) -> BadInput {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] ?? error
        let reason = (underlying as? POSIXError).map { String(cString: strerror($0.code.rawValue)) }
            ?? error.localizedDescription
        return BadInput(message: "cannot write \(path): \(reason)")
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning `BadInput` into exit code 2 after printing its message.
    func exitingOnBadInput(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as BadInput {
            printError(error.message)
            throw ExitCode(2)
        }
    }
}

/// Writes one line to stdout at once, unbuffered: peers and CI logs see each line as it happens.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
