/// How a request counts in a shutdown: refused before processing (safe to retry), failed in
/// flight (accepted, then lost: the defect), timed out, or completed (the server answered,
/// with whatever status).
public enum RequestFate: Sendable, Hashable {
    case completed, refused, failedInFlight, timedOut

    /// The fate of a request that ended with `errorKind` (nil: success).
    public init(errorKind: String?) {
        guard let kind = errorKind else {
            self = .completed
            return
        }
        switch kind {
        case "refused", "connect_failed", "connect_refused": self = .refused
        case "connection_lost", "reset_before_response", "reset_during_response", "protocol", "pool_closed":
            self = .failedInFlight
        case "timeout": self = .timedOut
        default: self = kind.hasPrefix("reset.") ? .failedInFlight : .completed
        }
    }
}

/// Requests of one window sorted by fate.
public struct FateCounts: Sendable, Hashable {
    public var completed: UInt64 = 0
    public var refused: UInt64 = 0
    public var failedInFlight: UInt64 = 0
    public var timedOut: UInt64 = 0

    public init() {}

    /// Sorts what `stats` counted: every request without one of the other fates completed.
    public init(_ stats: LatencyStats) {
        for (kind, count) in stats.errors {
            switch RequestFate(errorKind: kind) {
            case .refused: refused += count
            case .failedInFlight: failedInFlight += count
            case .timedOut: timedOut += count
            case .completed: break
            }
        }
        completed = stats.requests - refused - failedInFlight - timedOut
    }
}
