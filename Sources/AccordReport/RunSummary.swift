import Foundation

/// Everything a run found and measured: the content of `summary.json`, from which the HTML
/// report is rendered (and re-rendered by `accord report`). Latencies are in milliseconds.
/// Fields are added, never repurposed, so older summaries still decode.
public struct RunSummary: Codable, Sendable, Equatable {
    /// `load` or `check`.
    public var kind: String
    /// The profile's or the system's name.
    public var name: String
    public var metadata: RunMetadata
    public var verdict: Verdict
    public var thresholds: [ThresholdResult]
    public var interactions: [InteractionSummary]
    /// One point per second of the run.
    public var timeline: [TimelinePoint]
    public var generator: GeneratorSummary?
    public var shutdown: ShutdownSummary?
    public var messages: [MessageAccounting]
    public var findings: [Finding]
    /// Check runs: every interaction and consumer edge that was checked, so the ones without
    /// findings show as passing (a JUnit test case each). Nil in load runs and older summaries.
    public var checked: [CheckedInteraction]?

    public init(
        kind: String, name: String, metadata: RunMetadata, verdict: Verdict, thresholds: [ThresholdResult] = [],
        interactions: [InteractionSummary] = [], timeline: [TimelinePoint] = [], generator: GeneratorSummary? = nil,
        shutdown: ShutdownSummary? = nil, messages: [MessageAccounting] = [], findings: [Finding] = [],
        checked: [CheckedInteraction]? = nil
    ) {
        self.kind = kind
        self.name = name
        self.metadata = metadata
        self.verdict = verdict
        self.thresholds = thresholds
        self.interactions = interactions
        self.timeline = timeline
        self.generator = generator
        self.shutdown = shutdown
        self.messages = messages
        self.findings = findings
        self.checked = checked
    }
}

/// An interaction a check run covered, or one consumer's edge to it.
public struct CheckedInteraction: Codable, Sendable, Equatable {
    /// `orders.CreateOrder`, `gateway POST /orders`, `event order.created`.
    public var interaction: String
    /// Set for a consumer edge: the consuming service.
    public var consumer: String?

    public init(interaction: String, consumer: String? = nil) {
        self.interaction = interaction
        self.consumer = consumer
    }

    /// `orders.CreateOrder`, or `gateway -> orders.CreateOrder` for an edge.
    public var name: String { consumer.map { "\($0) -> \(interaction)" } ?? interaction }

    /// Whether `finding` is about this interaction (and this consumer, for an edge).
    public func covers(_ finding: Finding) -> Bool {
        finding.interaction == interaction && (consumer == nil || finding.consumer == consumer)
    }
}

public struct RunMetadata: Codable, Sendable, Equatable {
    public var accordVersion: String
    public var gitCommit: String?
    /// Profile or contracts path as given on the command line.
    public var profile: String?
    public var contracts: String?
    public var hostname: String
    public var cores: Int
    public var operatingSystem: String
    public var startedAt: Date
    public var endedAt: Date
    /// True when the run was interrupted (SIGINT) or a target died: the figures are partial.
    public var partial: Bool

    public init(
        accordVersion: String, gitCommit: String? = nil, profile: String? = nil, contracts: String? = nil,
        hostname: String, cores: Int, operatingSystem: String, startedAt: Date, endedAt: Date, partial: Bool = false
    ) {
        self.accordVersion = accordVersion
        self.gitCommit = gitCommit
        self.profile = profile
        self.contracts = contracts
        self.hostname = hostname
        self.cores = cores
        self.operatingSystem = operatingSystem
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.partial = partial
    }
}

public struct Verdict: Codable, Sendable, Equatable {
    public var passed: Bool
    /// The process exit code the run ended with: 0 pass, 1 threshold or finding, 2 bad input or infrastructure.
    public var exitCode: Int
    /// Loud notes: the generator fell behind, a target died, the run was interrupted.
    public var notes: [String]

    public init(passed: Bool, exitCode: Int, notes: [String] = []) {
        self.passed = passed
        self.exitCode = exitCode
        self.notes = notes
    }
}

public struct ThresholdResult: Codable, Sendable, Equatable {
    /// As written in the profile: `p99 < 25ms`, `errors < 0.1%`, `shutdown.failed_in_flight == 0`.
    public var expression: String
    /// The interaction it applies to, nil for the whole run.
    public var interaction: String?
    /// The measured value in the threshold's unit, nil when nothing was measured.
    public var actual: Double?
    public var unit: String
    public var passed: Bool

    public init(expression: String, interaction: String? = nil, actual: Double?, unit: String, passed: Bool) {
        self.expression = expression
        self.interaction = interaction
        self.actual = actual
        self.unit = unit
        self.passed = passed
    }
}

public struct LatencySummary: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public var mean: Double

    public init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
    }
}

/// One point of a percentile distribution (HdrHistogram style: percentile vs value).
public struct PercentilePoint: Codable, Sendable, Equatable {
    public var percentile: Double
    public var milliseconds: Double

    public init(percentile: Double, milliseconds: Double) {
        self.percentile = percentile
        self.milliseconds = milliseconds
    }
}

public struct InteractionSummary: Codable, Sendable, Equatable {
    public var name: String
    /// `grpc`, `http` or `amqp`.
    public var transport: String
    public var count: UInt64
    public var errors: UInt64
    public var errorsByKind: [String: UInt64]
    /// Requests per second the schedule asked for (open model), and what completed.
    public var intendedRate: Double?
    public var achievedRate: Double
    /// From the intended send time (coordinated-omission corrected).
    public var latency: LatencySummary
    /// From the actual send.
    public var serviceTime: LatencySummary
    public var distribution: [PercentilePoint]
    /// Response messages received by server-streaming calls; nil for other interactions.
    public var messages: UInt64?

    public init(
        name: String, transport: String, count: UInt64, errors: UInt64, errorsByKind: [String: UInt64],
        intendedRate: Double?, achievedRate: Double, latency: LatencySummary, serviceTime: LatencySummary,
        distribution: [PercentilePoint], messages: UInt64? = nil
    ) {
        self.name = name
        self.transport = transport
        self.count = count
        self.errors = errors
        self.errorsByKind = errorsByKind
        self.intendedRate = intendedRate
        self.achievedRate = achievedRate
        self.latency = latency
        self.serviceTime = serviceTime
        self.distribution = distribution
        self.messages = messages
    }
}

public struct TimelinePoint: Codable, Sendable, Equatable {
    public struct Sample: Codable, Sendable, Equatable {
        public var count: UInt64
        public var errors: UInt64
        public var p50: Double
        public var p99: Double

        public init(count: UInt64, errors: UInt64, p50: Double, p99: Double) {
            self.count = count
            self.errors = errors
            self.p50 = p50
            self.p99 = p99
        }
    }

    /// Seconds since the start.
    public var second: Double
    public var inFlight: Int
    /// Per interaction name.
    public var interactions: [String: Sample]
    /// How long the interval lasted, in seconds; nil means 1. The last one of a run is usually
    /// shorter, and rates divide by this so the chart does not show a false drop at the end.
    public var length: Double?

    public init(second: Double, inFlight: Int, interactions: [String: Sample], length: Double? = nil) {
        self.second = second
        self.inFlight = inFlight
        self.interactions = interactions
        self.length = length
    }

    /// Requests per second of `interaction` in this interval (0 when it had none); nil when the
    /// interval is too short (under a quarter second) for its count to say much about a rate.
    public func rate(of interaction: String) -> Double? {
        let seconds = length ?? 1
        guard seconds >= 0.25 else { return nil }
        return Double(interactions[interaction]?.count ?? 0) / seconds
    }
}

public struct GeneratorSummary: Codable, Sendable, Equatable {
    public var scheduled: UInt64
    public var sent: UInt64
    /// Sends more than 10 ms after their intended time.
    public var late: UInt64
    public var maxLagMilliseconds: Double
    /// True when the generator could not keep its schedule (the report says so loudly).
    public var fellBehind: Bool

    public init(scheduled: UInt64, sent: UInt64, late: UInt64, maxLagMilliseconds: Double, fellBehind: Bool) {
        self.scheduled = scheduled
        self.sent = sent
        self.late = late
        self.maxLagMilliseconds = maxLagMilliseconds
        self.fellBehind = fellBehind
    }
}

/// A graceful-shutdown scenario: its timeline, the requests in its windows sorted by fate, one
/// entry per step (a rolling restart has several), and latency in the drain windows against
/// steady state. The counts at the top cover every step's window (a request once); fields that
/// older summaries lack are optional.
public struct ShutdownSummary: Codable, Sendable, Equatable {
    public struct Event: Codable, Sendable, Equatable {
        /// Seconds since the run's start.
        public var second: Double
        /// `signal_sent`, `goaway`, `connection_close`, `connection_closed`, `goaway_race`, `last_success`,
        /// `first_refusal`, `exit`, `grace_expired`, `restart`, `ready`, `error`.
        public var kind: String
        public var detail: String
        /// The step (0-based) it belongs to, and the service replica it concerns, when known.
        public var step: Int?
        public var service: String?
        public var replica: Int?
        /// Connection events: the client connection (`SayHello #1.2`: interaction, client, number)
        /// and the address it went to.
        public var connection: String?
        public var address: String?
        /// GOAWAY events: the last-stream-id and the error code the server sent.
        public var lastStreamID: Int?
        public var errorCode: String?

        public init(
            second: Double, kind: String, detail: String, step: Int? = nil, service: String? = nil,
            replica: Int? = nil, connection: String? = nil, address: String? = nil, lastStreamID: Int? = nil,
            errorCode: String? = nil
        ) {
            self.second = second
            self.kind = kind
            self.detail = detail
            self.step = step
            self.service = service
            self.replica = replica
            self.connection = connection
            self.address = address
            self.lastStreamID = lastStreamID
            self.errorCode = errorCode
        }
    }

    /// Requests of a window sorted by how they ended.
    public struct Accounting: Codable, Sendable, Equatable {
        public var completed: UInt64
        /// Never processed, safe to retry: connect refused, REFUSED_STREAM, above GOAWAY's last-stream-id.
        public var refusedBeforeProcessing: UInt64
        /// Accepted, then reset, dropped or closed without a response: the defect.
        public var failedInFlight: UInt64
        public var timedOut: UInt64
        /// Streams lost to a single GOAWAY followed at once by a close (also counted in failedInFlight).
        public var goawayRace: UInt64

        public init(
            completed: UInt64, refusedBeforeProcessing: UInt64, failedInFlight: UInt64, timedOut: UInt64,
            goawayRace: UInt64
        ) {
            self.completed = completed
            self.refusedBeforeProcessing = refusedBeforeProcessing
            self.failedInFlight = failedInFlight
            self.timedOut = timedOut
            self.goawayRace = goawayRace
        }
    }

    public struct Step: Codable, Sendable, Equatable {
        public var service: String
        /// The replica signalled; nil when the step signalled every replica.
        public var replica: Int?
        public var signal: String
        /// When the signal went out (seconds since the start); nil when the step never ran.
        public var signalSecond: Double?
        /// Signal to exit (to the last exit, when several replicas stopped).
        public var drainSeconds: Double?
        public var requests: Accounting

        public init(
            service: String, replica: Int?, signal: String, signalSecond: Double?, drainSeconds: Double?,
            requests: Accounting
        ) {
            self.service = service
            self.replica = replica
            self.signal = signal
            self.signalSecond = signalSecond
            self.drainSeconds = drainSeconds
            self.requests = requests
        }
    }

    /// Latency (from the intended send time, ms) and counts of one interaction over some requests.
    public struct WindowLatency: Codable, Sendable, Equatable {
        public var count: UInt64
        public var errors: UInt64
        public var p50: Double
        public var p99: Double
        public var max: Double

        public init(count: UInt64, errors: UInt64, p50: Double, p99: Double, max: Double) {
            self.count = count
            self.errors = errors
            self.p50 = p50
            self.p99 = p99
            self.max = max
        }
    }

    /// One interaction before the first signal (steady) and in the shutdown windows (drain).
    public struct InteractionLatency: Codable, Sendable, Equatable {
        public var name: String
        public var steady: WindowLatency
        public var drain: WindowLatency

        public init(name: String, steady: WindowLatency, drain: WindowLatency) {
            self.name = name
            self.steady = steady
            self.drain = drain
        }
    }

    /// The first step's service and signal (every step's are in `steps`).
    public var service: String
    public var signal: String
    /// In time order.
    public var events: [Event]
    public var completed: UInt64
    public var refusedBeforeProcessing: UInt64
    public var failedInFlight: UInt64
    public var timedOut: UInt64
    /// The longest step's signal-to-exit time.
    public var drainSeconds: Double?
    public var goawayRace: UInt64?
    public var steps: [Step]?
    public var latency: [InteractionLatency]?

    public init(
        service: String, signal: String, events: [Event], completed: UInt64, refusedBeforeProcessing: UInt64,
        failedInFlight: UInt64, timedOut: UInt64, drainSeconds: Double?, goawayRace: UInt64? = nil,
        steps: [Step]? = nil, latency: [InteractionLatency]? = nil
    ) {
        self.service = service
        self.signal = signal
        self.events = events
        self.completed = completed
        self.refusedBeforeProcessing = refusedBeforeProcessing
        self.failedInFlight = failedInFlight
        self.timedOut = timedOut
        self.drainSeconds = drainSeconds
        self.goawayRace = goawayRace
        self.steps = steps
        self.latency = latency
    }
}

/// Id accounting for one event's messages.
public struct MessageAccounting: Codable, Sendable, Equatable {
    public var event: String
    public var published: UInt64
    public var confirmed: UInt64
    public var nacked: UInt64
    public var unconfirmed: UInt64
    public var consumed: UInt64
    public var redelivered: UInt64
    public var duplicated: UInt64
    public var lost: UInt64
    public var publishToConfirm: LatencySummary?
    public var publishToConsume: LatencySummary?
    /// The event's consumers the run started, each accounted for from its own output and its queue;
    /// nil when the run started none (and in older summaries).
    public var consumers: [ConsumerAccounting]?

    public init(
        event: String, published: UInt64, confirmed: UInt64, nacked: UInt64, unconfirmed: UInt64, consumed: UInt64,
        redelivered: UInt64, duplicated: UInt64, lost: UInt64, publishToConfirm: LatencySummary? = nil,
        publishToConsume: LatencySummary? = nil, consumers: [ConsumerAccounting]? = nil
    ) {
        self.event = event
        self.published = published
        self.confirmed = confirmed
        self.nacked = nacked
        self.unconfirmed = unconfirmed
        self.consumed = consumed
        self.redelivered = redelivered
        self.duplicated = duplicated
        self.lost = lost
        self.publishToConfirm = publishToConfirm
        self.publishToConsume = publishToConsume
        self.consumers = consumers
    }
}

/// One consumer service's share of an event's messages: what it said it did with the run's
/// messages (in its own output), what was left in its queue at the end, and what is therefore lost.
public struct ConsumerAccounting: Codable, Sendable, Equatable {
    public var service: String
    public var queue: String
    /// The run's messages it processed (distinct ids).
    public var processed: UInt64
    /// The run's messages it processed more than once: redelivered after a restart or a requeue.
    public var redelivered: UInt64
    /// Received and not yet processed when a shutdown step signalled it (summed over its steps);
    /// nil when no step signalled it or it does not report receipts.
    public var inHand: UInt64?
    /// Messages ready in its queue at the end (the run's or not); nil when the queue could not be inspected.
    public var leftInQueue: UInt64?
    /// Confirmed, never processed, and not left in the queue: acked and dropped, or gone with a process.
    public var lost: UInt64
    /// Messages it processed that the run did not publish (another producer's, an earlier run's).
    public var untracked: UInt64
    /// Consumers of its queue at the end that the run did not start: they take messages that then
    /// count as lost here. Nil when the queue could not be inspected.
    public var otherConsumers: UInt64?

    public init(
        service: String, queue: String, processed: UInt64, redelivered: UInt64, inHand: UInt64?,
        leftInQueue: UInt64?, lost: UInt64, untracked: UInt64, otherConsumers: UInt64? = nil
    ) {
        self.service = service
        self.queue = queue
        self.processed = processed
        self.redelivered = redelivered
        self.inHand = inHand
        self.leftInQueue = leftInQueue
        self.lost = lost
        self.untracked = untracked
        self.otherConsumers = otherConsumers
    }
}

/// One contract finding (`accord check`): where, what each side says, and what to do.
public struct Finding: Codable, Sendable, Equatable {
    /// A stable kind: `missing_field`, `type_mismatch`, `repeated_mismatch`, `unknown_enum_value`,
    /// `missing_required_request_field`, `proto_copy_conflict`, `proto_copy_renumbered`,
    /// `proto_copy_reserved_reused`, `wire_schema_violation`, `status_mismatch`, …
    public var kind: String
    public var system: String
    public var producer: String
    public var consumer: String?
    /// `orders.CreateOrder`, `gateway POST /orders`, `event order.created`.
    public var interaction: String
    public var fieldPath: String?
    public var producerSays: String
    public var consumerExpects: String
    public var suggestion: String?
    /// `file:line` of each side's declaration.
    public var producerLocation: String?
    public var consumerLocation: String?

    public init(
        kind: String, system: String, producer: String, consumer: String?, interaction: String, fieldPath: String?,
        producerSays: String, consumerExpects: String, suggestion: String?, producerLocation: String?,
        consumerLocation: String?
    ) {
        self.kind = kind
        self.system = system
        self.producer = producer
        self.consumer = consumer
        self.interaction = interaction
        self.fieldPath = fieldPath
        self.producerSays = producerSays
        self.consumerExpects = consumerExpects
        self.suggestion = suggestion
        self.producerLocation = producerLocation
        self.consumerLocation = consumerLocation
    }
}
