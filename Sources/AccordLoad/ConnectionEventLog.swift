import AccordGRPC
import AccordHTTP
import Synchronization

/// What happened to each client connection of a run once a shutdown began, for its timeline:
/// GOAWAYs (first and last, with last-stream-id and code), responses carrying
/// `Connection: close`, the close, and whether the connection lost streams to the GOAWAY race.
///
/// Fed by the transports' connection events (never per request), from their event loops.
/// Nothing is kept before `arm(at:)` (the first signal) except where each open gRPC connection
/// goes, and at most `limit` connections are kept (a server closing after every response would
/// otherwise grow it without bound); `dropped` counts the events that did not fit.
public final class ConnectionEventLog: Sendable {
    /// One connection: the interaction whose client opened it, that client (one per worker and
    /// interaction), and the client's number for it.
    public struct ConnectionKey: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var interaction: String
        public var client: Int
        public var connection: Int

        public var description: String { "\(interaction) #\(client).\(connection)" }

        public static func < (a: Self, b: Self) -> Bool {
            (a.interaction, a.client, a.connection) < (b.interaction, b.client, b.connection)
        }
    }

    /// One connection's story since the log was armed.
    public struct History: Sendable {
        public struct Goaway: Sendable, Hashable {
            public var at: UInt64
            public var lastStreamID: Int32
            public var code: HTTP2ErrorCode
        }

        public var key: ConnectionKey
        /// `host:port` the connection went to, when known.
        public var address: String?
        public var goaways = 0
        public var firstGoaway: Goaway?
        public var lastGoaway: Goaway?
        public var connectionCloses = 0
        public var firstConnectionClose: UInt64?
        public var lastConnectionClose: UInt64?
        /// When the connection ended, and how.
        public var closedAt: UInt64?
        public var closeDetail = ""
        public var race = GoawayRace()
    }

    private struct State {
        var armedAt: UInt64 = .max
        var clients = 0
        var addresses: [ConnectionKey: String] = [:]
        var histories: [ConnectionKey: History] = [:]
        var dropped = 0

        /// Changes `key`'s history (made if new and there is room), if the log is armed by `time`.
        mutating func update(
            _ key: ConnectionKey, at time: UInt64, limit: Int, address: String? = nil,
            _ change: (inout History) -> Void
        ) {
            guard time >= armedAt else { return }
            guard histories[key] != nil || histories.count < limit else {
                dropped += 1
                return
            }
            var history = histories[key] ?? History(key: key, address: address ?? addresses[key])
            change(&history)
            histories[key] = history
        }

        mutating func updateExisting(_ key: ConnectionKey, _ change: (inout History) -> Void) {
            guard var history = histories[key] else { return }
            change(&history)
            histories[key] = history
        }
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int = 1_000) {
        self.limit = limit
    }

    /// Starts keeping events from `time` on (monotonic ns); the earliest call wins.
    public func arm(at time: UInt64) {
        state.withLock { $0.armedAt = min($0.armedAt, time) }
    }

    /// Every connection with something kept, in key order.
    public var histories: [History] {
        state.withLock { $0.histories.values.sorted { $0.key < $1.key } }
    }

    /// Events that found no room (see `limit`).
    public var dropped: Int { state.withLock { $0.dropped } }

    /// The `onEvent` hook of one gRPC client of `interaction` (each call numbers a new client).
    public func grpcObserver(interaction: String) -> @Sendable (GRPCConnectionEvent) -> Void {
        let client = nextClient()
        return { [self] event in
            record(event) { ConnectionKey(interaction: interaction, client: client, connection: $0) }
        }
    }

    /// The `onEvent` hook of one HTTP pool of `interaction` (each call numbers a new client).
    public func httpObserver(interaction: String) -> @Sendable (HTTPConnectionEvent) -> Void {
        let client = nextClient()
        return { [self] event in
            record(event, key: ConnectionKey(interaction: interaction, client: client, connection: event.connection))
        }
    }

    private func nextClient() -> Int {
        state.withLock { state in
            state.clients += 1
            return state.clients
        }
    }

    private func record(_ event: GRPCConnectionEvent, key: (Int) -> ConnectionKey) {
        let now = MonotonicTime.now()
        state.withLock { state in
            switch event {
            case .connected(let id, let endpoint):
                state.addresses[key(id)] = endpoint.description
            case .connectFailed:
                break
            case .goaway(let id, let lastStreamID, let code, _):
                state.update(key(id), at: now, limit: limit) { history in
                    let goaway = History.Goaway(at: now, lastStreamID: lastStreamID, code: code)
                    history.goaways += 1
                    if history.firstGoaway == nil { history.firstGoaway = goaway }
                    history.lastGoaway = goaway
                    history.race.record(.goaway(lastStreamID: lastStreamID, at: now))
                }
            case .pingReceived(let id):
                // Only a PING after a GOAWAY says something (a drain); the history exists by then.
                state.updateExisting(key(id)) { $0.race.record(.ping(at: now)) }
            case .streamReset(let id, let streamID, let code):
                state.update(key(id), at: now, limit: limit) {
                    $0.race.record(.streamReset(streamID: streamID, code: code, at: now))
                }
            case .closed(let id, let openStreams):
                state.update(key(id), at: now, limit: limit) { history in
                    history.closedAt = now
                    history.closeDetail =
                        if !openStreams.isEmpty { "closed with \(openStreams.count) streams waiting for a response" }
                        else if history.goaways > 0 { "closed after the GOAWAY, no stream open" }
                        else { "closed by the peer, no stream open" }
                    history.race.record(.closed(openStreams: openStreams, at: now))
                }
                state.addresses[key(id)] = nil
            }
        }
    }

    private func record(_ event: HTTPConnectionEvent, key: ConnectionKey) {
        state.withLock { state in
            let at = event.time
            let closed: String? =
                switch event.kind {
                case .closedByPeerAfterResponse: "closed by the peer after a response"
                case .resetBeforeResponse: "closed by the peer while a request waited for its response"
                case .resetDuringResponse: "closed by the peer in the middle of a response"
                default: nil
                }
            if event.kind == .connectionCloseSeen {
                state.update(key, at: at, limit: limit, address: event.target.authority) { history in
                    history.connectionCloses += 1
                    if history.firstConnectionClose == nil { history.firstConnectionClose = at }
                    history.lastConnectionClose = at
                }
            } else if let closed {
                state.update(key, at: at, limit: limit, address: event.target.authority) { history in
                    history.closedAt = at
                    history.closeDetail = closed
                }
            }
        }
    }
}
