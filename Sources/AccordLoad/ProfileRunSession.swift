import AccordAMQP
import AccordContracts
import AccordReport
import AccordSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One run of a load profile with everything it needs around the load: the broker (when its events
/// need one and none is given), the contract's services the profile does not stand in for, the plan,
/// the taps and consumers that account for its messages, and the profile's own services. `start`
/// brings them up; `run` sends the load, then stops them all, the one teardown every path takes.
///
/// Both are cancellable, which is how a signal interrupts them: `start` cancelled stops what it had
/// started and throws `.interrupted`, as does `run` cancelled before the load begins; `run` cancelled
/// during the load ends it early and returns the partial results.
public final class ProfileRunSession: Sendable {
    public struct Options: Sendable {
        /// The event loops that send the load, one worker each.
        public var loops: [any EventLoop]
        /// The accord binary whose `accord serve` runs the contract's reference services.
        public var accordExecutable: String
        /// The reference services' log level.
        public var logLevel: Logger.Level
        /// Where `AMQP_URL` is read when the profile gives no `amqp_url:`.
        public var environment: [String: String]
        /// How a broker the run needs is started (none is when `amqp_url:` or `AMQP_URL` names one).
        public var broker: ManagedBroker.Options

        public init(
            loops: [any EventLoop], accordExecutable: String, logLevel: Logger.Level = .notice,
            environment: [String: String] = ProcessInfo.processInfo.environment,
            broker: ManagedBroker.Options = ManagedBroker.Options()
        ) {
            self.loops = loops
            self.accordExecutable = accordExecutable
            self.logLevel = logLevel
            self.environment = environment
            self.broker = broker
        }
    }

    /// What a run measured, once everything the session started has stopped.
    public struct Results: Sendable {
        public let profile: LoadProfile
        public let outcome: LoadOutcome
        public let shutdown: ShutdownSummary?
        /// The message accounting, when the mix publishes.
        public let messages: MessageResults?

        /// `interrupted after 3.2 of 60 s` when a cancellation ended the load early: the results are partial.
        public var interruption: String? { outcome.interruption(planned: profile.model.duration) }

        /// The run's summary: figures, thresholds, verdict (exit code 2 when interrupted).
        public func summary(metadata: RunMetadata) -> RunSummary {
            ProfileRun.summary(
                profile: profile, outcome: outcome, metadata: metadata, shutdown: shutdown, messages: messages)
        }

        /// Writes the run folder (blocking file I/O: call it off the cooperative pool).
        public func write(_ summary: RunSummary, to folder: RunFolder) throws {
            try ProfileRun.write(summary, outcome: outcome, to: folder)
        }
    }

    public let profile: LoadProfile
    public let plan: LoadPlan
    /// The processes the run owns: the profile's `services:` and the contract's services it started.
    public let fleet: ServiceFleet
    private let started: Started
    private let scenario: ShutdownScenario?
    private let loops: [any EventLoop]
    /// Set by the first `run` or `stop`: a session runs once and tears down once.
    private let used = Mutex(false)

    private init(profile: LoadProfile, plan: LoadPlan, fleet: ServiceFleet, started: Started,
                 scenario: ShutdownScenario?, loops: [any EventLoop]) {
        self.profile = profile
        self.plan = plan
        self.fleet = fleet
        self.started = started
        self.scenario = scenario
        self.loops = loops
    }

    /// The broker side of the run's publishes: its routes and tap queues (nil without publishes).
    public var traffic: EventTraffic? { started.traffic }
    /// The consumer services the run accounts for (nil when it starts none for a published event).
    public var consumers: ConsumerTracking? { started.consumers }

    /// Brings up what the run needs, in order: the broker and the contract's services' plan, the load
    /// plan, the taps and consumer tracking, then every service, launched together and waited for.
    /// On any failure, or when cancelled, stops what it had started and throws.
    public static func start(_ profile: LoadProfile, options: Options) async throws(ProfileRunError)
        -> ProfileRunSession
    {
        var started = Started()
        do throws(ProfileRunError) {
            let session = try await bringUp(profile, options: options, &started)
            if Task.isCancelled { throw .interrupted(profile: profile.file) }
            return session
        } catch {
            await started.stop(draining: nil, grace: .seconds(5))
            throw Task.isCancelled ? .interrupted(profile: profile.file) : error
        }
    }

    private static func bringUp(_ profile: LoadProfile, options: Options, _ started: inout Started)
        async throws(ProfileRunError) -> ProfileRunSession
    {
        var directory = ServiceDirectory()
        var contractServices: [ServiceSpec] = []
        var contractStarts: [ServiceStart] = []
        if let system = profile.contracts {
            let only = profile.startedContractServices
            // Consumers log each message they process at info: the run's accounting reads those lines.
            let reference = SystemPlan.Reference(
                accordExecutable: options.accordExecutable, logLevel: "\(options.logLevel)",
                consumerLogLevel: "\(min(options.logLevel, .info))")
            let brokerNeed: String? =
                if !profile.publishedEvents.isEmpty { "the profile publishes events (no amqp_url:)" }
                else if !only.isEmpty && SystemPlan.needsBroker(system) { "the services the run starts use events" }
                else { nil }
            let prepared: PreparedSystem
            do {
                prepared = try await PreparedSystem.prepare(
                    system, reference: reference,
                    amqpURL: profile.amqpURL ?? AMQPBrokerSource.urlFromEnvironment(options.environment),
                    brokerNeed: brokerNeed, only: only, brokerOptions: options.broker)
            } catch {
                // Named by the profile, whose entries or services need what could not start.
                throw .didNotStart(
                    profile: profile.file,
                    SystemStartError(service: error.service, location: nil, reason: error.reason, output: error.output))
            }
            started.broker = prepared.broker
            directory = prepared.plan.directory
            contractServices = ServiceSpec.specs(of: prepared.plan)
            contractStarts = ServiceStart.starts(of: prepared.plan, in: system)
        }
        // Connection events matter only to a shutdown's timeline.
        let connectionEvents = profile.shutdown.isEmpty ? nil : ConnectionEventLog()
        let plan: LoadPlan
        do {
            // protoc runs as a child process: off the cooperative pool.
            plan = try await NIOThreadPool.singleton.runIfActive { [directory] in
                try ProfileRun.plan(
                    for: profile, workers: options.loops.count, services: directory,
                    environment: options.environment, connectionEvents: connectionEvents)
            }
        } catch let error as ProfileRun.SetupError {
            throw .invalidPlan(profile: profile.file, error)
        } catch {
            throw .invalidPlan(profile: profile.file, ProfileRun.SetupError(message: "\(profile.file): \(error)"))
        }
        let traffic = ProfileRun.traffic(of: plan)
        started.traffic = traffic
        // The consumers the run starts report, in their output, each message they process.
        let accounted = profile.accountedConsumers
        let consumers = traffic.flatMap { traffic in
            accounted.isEmpty ? nil : ConsumerTracking(consumers: accounted, traffic: traffic)
        }
        started.consumers = consumers
        let fleet = ServiceFleet(profile.services + contractServices, lineObservers: consumers?.lineObservers ?? [:])
        started.fleet = fleet
        let ownStarts = profile.services.map { service in
            ServiceStart(service: service.name, location: profile.serviceLocations[service.name]?.fileLine,
                         readyTimeout: .seconds(60))
        }
        do {
            // One that will not start is an infrastructure failure, never a run against nothing.
            try await fleet.launchAll(ownStarts + contractStarts)
        } catch {
            throw .didNotStart(profile: profile.file, error)
        }
        let scenario = connectionEvents.map {
            ShutdownScenario(steps: profile.shutdown, fleet: fleet, connections: $0)
        }
        return ProfileRunSession(
            profile: profile, plan: plan, fleet: fleet, started: started, scenario: scenario, loops: options.loops)
    }

    /// Sends the load (with the profile's shutdown steps beside it), then drains the taps and
    /// consumers and stops everything the session started. Cancelled during the load, it ends the
    /// load early and still returns what it measured.
    public func run(onInterval: @Sendable (LoadInterval) -> Void = { _ in }) async throws(ProfileRunError)
        -> Results
    {
        precondition(claim(), "a ProfileRunSession runs once")
        let outcome: LoadOutcome
        do throws(ProfileRunError) {
            guard !Task.isCancelled else { throw .interrupted(profile: profile.file) }
            do {
                outcome = try await LoadRunner().run(plan, on: loops, onInterval: onInterval, scenario: scenario?.run)
            } catch {
                let entry = (error as? ConnectError).flatMap { failed in
                    profile.mix.first { $0.name == failed.interaction }?.location.fileLine
                }
                throw .cannotConnect(profile: profile.file, entry: entry, error)
            }
        } catch {
            await started.stop(draining: nil, grace: .seconds(5))
            throw error
        }
        let messages = await started.stop(
            draining: plan.drainTimeout, grace: .seconds(10), signals: scenario?.signalsSent ?? [])
        return Results(
            profile: profile, outcome: outcome, shutdown: scenario?.summary(of: outcome), messages: messages)
    }

    /// Stops everything the session started, for a session that will not run (once it ran, or
    /// was stopped, there is nothing left to stop).
    public func stop() async {
        guard claim() else { return }
        await started.stop(draining: nil, grace: .seconds(10))
    }

    /// True for the first caller only.
    private func claim() -> Bool {
        used.withLock { used in
            defer { used = true }
            return !used
        }
    }
}

/// What a session has started, as far as it got: `stop` is the teardown of every path.
private struct Started: Sendable {
    var broker: ManagedBroker?
    var traffic: EventTraffic?
    var consumers: ConsumerTracking?
    var fleet: ServiceFleet?

    /// After a load (`drain` given), the taps, and the consumers the run started, get up to `drain`
    /// to consume what the broker confirmed, and are accounted for before the fleet stops; without
    /// one the taps just close. Then the services stop, each given `grace` to exit, then the broker.
    /// Runs to the end even when the calling task is cancelled (a signal must not cut the drain short).
    @discardableResult
    func stop(draining drain: Duration?, grace: Duration, signals: [ShutdownScenario.SentSignal] = []) async
        -> MessageResults?
    {
        await Task {
            async let tapped = traffic?.finish(drainTimeout: drain ?? .zero)
            var processed: [String: [ConsumerAccounting]]?
            if let drain { processed = await consumers?.finish(drainTimeout: drain, signals: signals) }
            var messages = await tapped
            if let processed { messages?.attach(processed) }
            await fleet?.stop(grace: grace)
            await broker?.stop()
            return drain == nil ? nil : messages
        }.value
    }
}
