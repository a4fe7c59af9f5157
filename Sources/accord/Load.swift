import AccordLoad
import AccordReport
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

extension AccordCommand {
    /// Runs a load profile and writes its results.
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a load profile; exit 1 when a threshold fails.",
            discussion: """
                Sends requests at their intended times (open model) or from a fixed number of users (closed \
                model), measures latency from the intended send time, and writes summary.json and latency.hlog \
                into reports/<profile>-<UTC time>/. SIGINT or SIGTERM stops the run early and still writes \
                everything measured, marked partial. Exit codes: 0 thresholds pass, 1 a threshold failed, 2 an \
                interrupted run (its results are partial, whatever its thresholds say), bad input, or a service \
                or target that cannot be reached at the start.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The profile (loadprofiles/*.yaml).")
        var profile: String

        @Option(help: "Folder the run's results go under.")
        var reports: String = "reports"

        @Option(help: "Event loops generating load (default: one per core).")
        var workers: Int = System.coreCount

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                let profile: LoadProfile
                do {
                    // A profile with contracts: compiles their .proto files: off the cooperative pool.
                    profile = try await NIOThreadPool.singleton.runIfActive {
                        try LoadProfile.load(path: self.profile)
                    }
                } catch {
                    throw BadInput(message: "\(error)")
                }
                // Workers are the shared group's loops: at most one per core.
                guard (1...System.coreCount).contains(workers) else {
                    throw BadInput(message: "--workers \(workers): expected 1 to \(System.coreCount) (one per core)")
                }
                let options = ProfileRunSession.Options(
                    loops: Array(MultiThreadedEventLoopGroup.singleton.makeIterator().prefix(workers)),
                    accordExecutable: AccordExecutable.path, logLevel: global.logLevel)
                // From here on a signal stops the run, or the start-up before it, and what the run
                // started is stopped; held until the results are written, so a second signal does
                // not lose them (the teardown is bounded by the drain timeout and the fleet's grace).
                let interruption = Interruption()
                let trap = SignalTrap([SIGINT, SIGTERM]) { interruption.interrupt() }
                defer { trap.cancel() }
                let results: ProfileRunSession.Results
                do {
                    let session = try await interruption.phase {
                        try await ProfileRunSession.start(profile, options: options)
                    }
                    announce(session)
                    let progress = ProgressLine(
                        total: session.plan.duration, names: session.plan.mix.map(\.interaction.name))
                    results = try await interruption.phase { try await session.run { progress.show($0) } }
                    progress.finish()
                } catch let error as ProfileRunError {
                    throw BadInput(message: "\(error)")
                }
                try await report(results)
            }
        }

        /// The taps and consumers that will account for the run's messages.
        private func announce(_ session: ProfileRunSession) {
            for route in session.traffic?.routes ?? [] {
                guard let queue = session.traffic?.tapQueues[route.event] else { continue }
                say("tap: \(route.event) (\(route.exchange) \(route.routingKey)) -> queue \(queue)")
            }
            for consumer in session.consumers?.consumers ?? [] {
                say("consumer: \(consumer.service) reads \(consumer.event) from queue \(consumer.queue)")
            }
        }

        /// Prints the summary, writes the run folder, and exits by the verdict: 2 when interrupted.
        private func report(_ results: ProfileRunSession.Results) async throws {
            let startedAt = results.outcome.startedAt
            let summary = results.summary(
                metadata: .current(profile: profile, startedAt: startedAt, partial: results.outcome.interrupted))
            let folder = RunFolder(
                URL(fileURLWithPath: reports)
                    .appendingPathComponent("\(results.profile.name)-\(RunMetadata.folderTimestamp(startedAt))"))
            // Printed first: a folder that cannot be written (exit 2) still leaves the figures.
            SummaryPrinter.print(summary)
            do {
                try await NIOThreadPool.singleton.runIfActive { try results.write(summary, to: folder) }
            } catch {
                throw BadInput.cannotWrite(folder.directory.path, error)
            }
            say("report: \(folder.htmlURL.path)")
            if let interruption = results.interruption {
                // Not bad input: a run cut short, whose partial results never pass (exit 2).
                let line = "\(results.profile.file): the run was \(interruption): the results are partial\n"
                FileHandle.standardError.write(Data(line.utf8))
                throw ExitCode(2)
            }
            if summary.verdict.exitCode != 0 { throw ExitCode(Int32(summary.verdict.exitCode)) }
        }
    }
}
