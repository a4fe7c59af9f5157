import AccordContracts
import AccordSystem
import Foundation

/// `accord serve DIR`: every service of a system as its own process (and a managed broker when
/// it has events and no AMQP_URL), until SIGTERM or SIGINT, then a graceful stop of them all.
enum SystemServing {
    static func run(_ system: ContractSystem, logLevel: String, grace: Duration) async throws {
        // Every service's log lines, prefixed with its name, on our stderr: one stream to follow a
        // correlation id through the system.
        var options = SystemRunner.Options.forThisAccord(logLevel: logLevel)
        options.onLine = { service, line in FileHandle.standardError.write(Data("[\(service)] \(line)\n".utf8)) }
        let (stopped, stop) = AsyncStream<Void>.makeStream()
        // Trapped before anything starts, so a signal during start-up still stops what started.
        let trap = SignalTrap([SIGTERM, SIGINT]) { stop.yield() }
        defer { trap.cancel() }
        let runner: SystemRunner
        do {
            runner = try await SystemRunner.start(system, options: options)
        } catch {
            throw BadInput(message: "\(system.displayFolder): cannot run the system: \(error)")
        }
        for (name, endpoints) in runner.directory.services.sorted(by: { $0.key < $1.key }) {
            let addresses = endpoints.grpc.map { "grpc \($0)" } + endpoints.http.map { "http \($0)" }
            say("\(name): \(addresses.isEmpty ? "running" : addresses.joined(separator: ", "))")
        }
        if let url = runner.directory.amqpURL { say("broker: \(url)") }
        say("READY \(system.name)")
        let watcher = Task { await reportExits(of: runner) }
        for await _ in stopped { break }
        watcher.cancel()
        say("stopping \(system.name)")
        await runner.stop(grace: grace)
    }

    /// Says once when a service's process ends while the system runs (it is not restarted).
    private static func reportExits(of runner: SystemRunner) async {
        var reported = Set<ReplicaID>()
        while !Task.isCancelled {
            for launch in runner.plan.launches {
                guard !reported.contains(launch.id), let exit = runner.fleet.process(launch.id)?.exit else { continue }
                reported.insert(launch.id)
                printError("service \(launch.service) (replica \(launch.replica)) ended: \(exit)")
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
