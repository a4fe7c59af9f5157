import AccordGRPC

/// The GOAWAY race on one HTTP/2 connection, judged from what the client saw, without I/O.
///
/// A server that drains well sends GOAWAY(2^31-1) and a PING, waits for the ack, then sends
/// the final GOAWAY, and closes once its streams are done. One that sends a single GOAWAY and
/// closes at once loses the streams it had accepted and those the client sent before the
/// GOAWAY reached it. Such streams are the race's casualties: reset after that GOAWAY, or still
/// open when the connection closed within `immediateCloseNanos` of it. Streams above the
/// GOAWAY's last-stream-id, or reset with REFUSED_STREAM, were refused (safe to retry), never
/// casualties; a second GOAWAY or a PING after the first shows a drain, so no race.
public struct GoawayRace: Sendable, Hashable {
    public enum Event: Sendable, Hashable {
        case goaway(lastStreamID: Int32, at: UInt64)
        case ping(at: UInt64)
        case streamReset(streamID: Int32, code: HTTP2ErrorCode, at: UInt64)
        case closed(openStreams: [Int32], at: UInt64)
    }

    /// How soon after its GOAWAY a close counts as immediate.
    public static let defaultImmediateCloseNanos: UInt64 = 500_000_000

    public let immediateCloseNanos: UInt64
    private var goaways = 0
    private var lastStreamID: Int32 = .max
    private var goawayAt: UInt64 = 0
    private var drained = false
    private var resetsAfterGoaway = 0
    private var closed = false
    /// Streams lost to the race (0 when there was none).
    public private(set) var casualties = 0
    /// When the race showed: the close that followed the GOAWAY.
    public private(set) var seenAt: UInt64?

    public init(immediateCloseNanos: UInt64 = GoawayRace.defaultImmediateCloseNanos) {
        self.immediateCloseNanos = immediateCloseNanos
    }

    public var happened: Bool { casualties > 0 }

    public mutating func record(_ event: Event) {
        guard !closed else { return }
        switch event {
        case .goaway(let lastStreamID, let at):
            goaways += 1
            if goaways == 1 {
                self.lastStreamID = lastStreamID
                goawayAt = at
            }
        case .ping:
            if goaways > 0 { drained = true }
        case .streamReset(let streamID, let code, _):
            if goaways > 0 && code != .refusedStream && streamID <= lastStreamID { resetsAfterGoaway += 1 }
        case .closed(let openStreams, let at):
            closed = true
            guard goaways == 1, !drained, at >= goawayAt, at - goawayAt <= immediateCloseNanos else { return }
            let lost = resetsAfterGoaway + openStreams.filter { $0 <= lastStreamID }.count
            if lost > 0 {
                casualties = lost
                seenAt = at
            }
        }
    }
}
