import AccordLoad
import AccordReport
import AccordSystem
import ArgumentParser
import Dispatch
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
                everything measured. Exit codes: 0 thresholds pass, 1 a threshold failed, 2 bad input or a \
                target that cannot be reached at the start.
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
                guard (1...System.coreCount).contains(self.workers) else {
                    let cores = System.coreCount
                    throw BadInput(message: "--workers \(self.workers): expected 1 to \(cores) (one per core)")
                }
                let workers = self.workers
                // From here on a signal stops the run, or the start-up before it, and what the run
                // started is stopped; held until the results are written, so a second signal does
                // not lose them (the teardown is bounded by the drain timeout and the fleet's grace).
                let interruption = Interruption()
                let trap = SignalTrap([SIGINT, SIGTERM]) { interruption.interrupt() }
                defer { trap.cancel() }
                // The contract's services the profile does not stand in for, started by the run.
                let logLevel = global.logLevel
                let contractServices: ContractServices
                do {
                    contractServices = try await interruption.phase {
                        try await ContractServices.prepare(for: profile, logLevel: logLevel)
                    }
                } catch where interruption.isInterrupted {
                    throw BadInput(message: "\(profile.file): interrupted before the run began")
                }
                // Connection events matter only to a shutdown's timeline.
                let connectionEvents = profile.shutdown.isEmpty ? nil : ConnectionEventLog()
                let plan: LoadPlan
                do {
                    // protoc runs as a child process: off the cooperative pool.
                    plan = try await NIOThreadPool.singleton.runIfActive {
                        try ProfileRun.plan(
                            for: profile, workers: workers, services: contractServices.directory,
                            connectionEvents: connectionEvents)
                    }
                } catch {
                    await contractServices.broker?.stop()
                    throw BadInput(message: "\(error)")
                }
                let traffic = ProfileRun.traffic(of: plan)
                // The consumers the run starts report, in their output, each message they process.
                let consumers = traffic.flatMap { traffic in
                    profile.accountedConsumers.isEmpty
                        ? nil : ConsumerTracking(consumers: profile.accountedConsumers, traffic: traffic)
                }
                // The services the profile owns start first: one that will not start is an
                // infrastructure failure (exit 2), never a run against nothing.
                let fleet = ServiceFleet(
                    profile.services + contractServices.specs, lineObservers: consumers?.lineObservers ?? [:])
                do {
                    try await interruption.phase { try await fleet.start() }
                    if interruption.isInterrupted { throw CancellationError() }
                } catch {
                    await fleet.stop(grace: .seconds(5))
                    await contractServices.broker?.stop()
                    let reason = interruption.isInterrupted ? "interrupted before the run began" : "\(error)"
                    throw BadInput(message: "\(profile.file): \(reason)")
                }
                let scenario = connectionEvents.map {
                    ShutdownScenario(steps: profile.shutdown, fleet: fleet, connections: $0)
                }
                for route in traffic?.routes ?? [] {
                    guard let queue = traffic?.tapQueues[route.event] else { continue }
                    say("tap: \(route.event) (\(route.exchange) \(route.routingKey)) -> queue \(queue)")
                }
                for consumer in consumers?.consumers ?? [] {
                    say("consumer: \(consumer.service) reads \(consumer.event) from queue \(consumer.queue)")
                }
                let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator().prefix(workers))
                let progress = ProgressLine(total: plan.duration, names: plan.mix.map(\.interaction.name))
                let startedAt = Date()
                let outcome: LoadOutcome
                do {
                    // Cancelled, the runner ends early and returns what it measured (partial).
                    outcome = try await interruption.phase {
                        try await LoadRunner().run(
                            plan, on: loops, onInterval: { progress.show($0) }, scenario: scenario?.run)
                    }
                } catch {
                    _ = await traffic?.finish(drainTimeout: .zero)
                    await fleet.stop(grace: .seconds(5))
                    await contractServices.broker?.stop()
                    throw BadInput(message: "\(profile.file): cannot start the run: \(error)")
                }
                // The taps, and the consumers the run started, get the drain timeout to consume what
                // the broker confirmed; the consumers are accounted for before the fleet stops.
                async let tapped = traffic?.finish(drainTimeout: plan.drainTimeout)
                let processed = await consumers?.finish(
                    drainTimeout: plan.drainTimeout, signals: scenario?.signalsSent ?? [])
                var messages = await tapped
                if let processed { messages?.attach(processed) }
                await fleet.stop()
                await contractServices.broker?.stop()
                progress.finish()
                let metadata = RunMetadata.current(profile: self.profile, startedAt: startedAt, partial: outcome.interrupted)
                let summary = ProfileRun.summary(
                    profile: profile, outcome: outcome, metadata: metadata, shutdown: scenario?.summary(of: outcome),
                    messages: messages)
                let folder = RunFolder(
                    URL(fileURLWithPath: reports)
                        .appendingPathComponent("\(profile.name)-\(RunMetadata.folderTimestamp(startedAt))"))
                // Printed first: a folder that cannot be written (exit 2) still leaves the figures.
                SummaryPrinter.print(summary)
                do {
                    try await NIOThreadPool.singleton.runIfActive {
                        try ProfileRun.write(summary, outcome: outcome, to: folder)
                    }
                } catch {
                    throw BadInput.cannotWrite(folder.directory.path, error)
                }
                say("report: \(folder.htmlURL.path)")
                if summary.verdict.exitCode != 0 { throw ExitCode(Int32(summary.verdict.exitCode)) }
            }
        }
    }
}
