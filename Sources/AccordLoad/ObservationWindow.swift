/// The requests of one span a scenario watches (a shutdown step), per interaction, with the
/// moments its timeline derives from them.
struct ObservationWindow: Sendable {
    var start: UInt64
    var end: UInt64
    /// When the target exited (`.max` until known).
    var exitedAt: UInt64 = .max
    var stats: [LatencyStats]
    /// The last request that ended OK before the exit, and the first refused one (monotonic ns).
    var lastSuccess: UInt64?
    var firstRefusal: (at: UInt64, kind: String)?

    init(start: UInt64, end: UInt64, interactions: Int) {
        self.start = start
        self.end = end
        self.stats = Array(repeating: LatencyStats(), count: interactions)
    }

    mutating func record(index: Int, intended: UInt64, outcome: RequestOutcome) {
        stats[index].record(intended: intended, outcome: outcome)
        let ended = outcome.endedAt
        guard let error = outcome.error else {
            if ended <= exitedAt && ended > (lastSuccess ?? 0) { lastSuccess = ended }
            return
        }
        if RequestFate(errorKind: error) == .refused && ended < (firstRefusal?.at ?? .max) {
            firstRefusal = (ended, error)
        }
    }

    /// Merges another worker's view of the same window.
    mutating func add(_ other: ObservationWindow) {
        for (i, s) in other.stats.enumerated() { stats[i].add(s) }
        if let theirs = other.lastSuccess, theirs > (lastSuccess ?? 0) { lastSuccess = theirs }
        if let theirs = other.firstRefusal, theirs.at < (firstRefusal?.at ?? .max) { firstRefusal = theirs }
    }
}
