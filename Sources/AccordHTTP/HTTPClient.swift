import NIOCore
import NIOPosix

/// A `Sendable` front for one `HTTPConnectionPool`, for callers outside its event loop (tests,
/// contract checks). Each call hops to the loop; the load path uses the pool directly instead.
public final class HTTPClient: Sendable {
    public let target: HTTPTarget
    public let eventLoop: EventLoop
    private let pool: NIOLoopBoundBox<HTTPConnectionPool?>
    private let configuration: HTTPConnectionPool.Configuration

    public init(
        target: HTTPTarget, configuration: HTTPConnectionPool.Configuration = .init(),
        eventLoop: EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        self.target = target
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.pool = .makeEmptyBox(valueType: HTTPConnectionPool.self, eventLoop: eventLoop)
    }

    /// Sends `request` and returns its outcome; failures are in the exchange's result.
    public func execute(_ request: HTTPClientRequest) async -> HTTPClientExchange {
        let start = HTTPClock.now()
        do {
            return try await eventLoop.flatSubmit { self.loopPool.execute(request, intendedStart: start) }.get()
        } catch {
            // The pool's future carries errors in the exchange; only a stopped event loop gets here.
            return HTTPClientExchange(
                timestamps: HTTPRequestTimestamps(intendedStart: start),
                result: .failure(HTTPClientError(.poolClosed, "event loop stopped: \(error)")))
        }
    }

    /// Connection events so far, by kind.
    public func eventCounts() async -> HTTPConnectionEventCounts {
        (try? await eventLoop.submit { self.loopPool.eventCounts }.get()) ?? HTTPConnectionEventCounts()
    }

    /// Closes the pool: waiting requests fail, connections close.
    public func shutdown() async {
        try? await eventLoop.flatSubmit { self.loopPool.close() }.get()
    }

    private var loopPool: HTTPConnectionPool {
        if let existing = pool.value { return existing }
        let created = HTTPConnectionPool(target: target, eventLoop: eventLoop, configuration: configuration)
        pool.value = created
        return created
    }
}
