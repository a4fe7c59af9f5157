import Histogram

/// What one interaction measured over some span of the run: HDR histograms in microseconds
/// (never a list of samples), request and error counts. Mergeable across workers and intervals.
public struct LatencyStats: Sendable {
    /// Latency from each request's intended send time: includes time spent waiting to be sent.
    public var corrected = LatencyStats.histogram()
    /// Latency from the actual send: what the target took.
    public var service = LatencyStats.histogram()
    public var requests: UInt64 = 0
    public var errors: [String: UInt64] = [:]
    /// Response messages of server-streaming calls.
    public var messages: UInt64 = 0

    public init() {}

    /// Empty, with histograms as wide as `other`'s already: an interval that starts where the
    /// run's latencies are does not grow bucket by bucket as they arrive (hdrhistogram-swift's
    /// growth costs thousands of allocations each time, on the event loop).
    init(sizedLike other: LatencyStats) {
        corrected = Self.histogram(upTo: other.corrected.highestTrackableValue)
        service = Self.histogram(upTo: other.service.highestTrackableValue)
    }

    static func histogram(upTo highest: UInt64 = 2) -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: max(2, highest), numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }

    public var errorCount: UInt64 { errors.values.reduce(0, +) }

    mutating func record(intended: UInt64, outcome: RequestOutcome) {
        requests += 1
        corrected.record(max(1, (outcome.endedAt &- intended) / 1000))
        service.record(max(1, (outcome.endedAt &- min(outcome.sentAt, outcome.endedAt)) / 1000))
        if let error = outcome.error { errors[error, default: 0] += 1 }
        messages += UInt64(outcome.messages)
    }

    public mutating func add(_ other: LatencyStats) {
        // Into nothing yet (a merge's first part): take it whole, instead of growing empty
        // histograms to its width (hdrhistogram-swift allocates thousands of times per growth).
        if requests == 0, errors.isEmpty, corrected.totalCount == 0, service.totalCount == 0 {
            self = other
            return
        }
        corrected.add(other.corrected)
        service.add(other.service)
        requests += other.requests
        messages += other.messages
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
    }
}

/// How closely the generator kept to its schedule.
public struct GeneratorStats: Sendable, Hashable {
    /// Requests the schedule called for so far, and those actually sent.
    public var scheduled: UInt64 = 0
    public var sent: UInt64 = 0
    /// Sends more than `lateThreshold` after their intended time (CPU, max in flight).
    public var late: UInt64 = 0
    public var maxLagNanos: UInt64 = 0

    public static let lateThresholdNanos: UInt64 = 10_000_000

    public init() {}

    public mutating func add(_ other: GeneratorStats) {
        scheduled += other.scheduled
        sent += other.sent
        late += other.late
        maxLagNanos = max(maxLagNanos, other.maxLagNanos)
    }
}
