import NIOCore

/// How one request ended, as a transport adapter reports it to the load generator.
public struct RequestOutcome: Sendable {
    /// nil on success; otherwise the kind of error (`grpc.UNAVAILABLE`, `http.503`, `timeout`, …).
    public var error: String?
    /// When the request actually left (monotonic ns); service time is measured from here.
    public var sentAt: UInt64
    /// When the response (or the failure) arrived (monotonic ns).
    public var endedAt: UInt64
    /// Response messages a server-streaming call received (0 for other calls).
    public var messages: UInt32

    public init(error: String?, sentAt: UInt64, endedAt: UInt64, messages: UInt32 = 0) {
        self.error = error
        self.sentAt = sentAt
        self.endedAt = endedAt
        self.messages = messages
    }
}

/// A request that could not be made from its template: it is not sent, and counts as an error
/// of `kind`.
public struct PayloadFailure: Error, Sendable, Hashable {
    public let kind: String

    /// The template did not render into a valid message for this request.
    public static let payload = PayloadFailure(kind: "payload")
    /// The template takes a captured value (`${create.order.id}`) and none has been captured yet.
    public static let noCapture = PayloadFailure(kind: "no_capture")
}

/// One kind of request in a traffic mix: a gRPC method, a REST operation, an event publish.
///
/// `start` is called on the worker's event loop and must call `done` exactly once, on that
/// same loop, without blocking: transports bound to the worker's loop complete there with no
/// thread hop, which keeps the per-request path lean.
public protocol LoadInteraction: Sendable {
    var name: String { get }
    /// Its driver also runs on a `SocketEventLoop` (Accord's own loop, plain sockets), not only
    /// on NIO's loops. A run whose whole mix does runs there.
    var runsOnSocketEventLoop: Bool { get }
    /// Called on `eventLoop`: a driver for one worker, bound to that loop.
    func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver
}

extension LoadInteraction {
    public var runsOnSocketEventLoop: Bool { false }
}

/// An interaction bound to one worker's event loop; every call happens on that loop.
public protocol LoadInteractionDriver: AnyObject {
    /// Opens connections before the run starts, so connecting is not measured as latency.
    func connect() -> EventLoopFuture<Void>
    /// Fires request number `sequence` (unique in the run, for `${seq}`-style payloads).
    func start(sequence: UInt64, done: RequestCompletion)
    /// Releases connections at the end of the run (called on the worker's loop).
    func close() -> EventLoopFuture<Void>
}

/// Where one request's outcome goes: the worker that fired it, with what the worker records the
/// outcome under. A value rather than a closure, so firing a request allocates nothing of its own.
public struct RequestCompletion {
    let worker: LoadWorker
    let index: Int
    let intended: UInt64

    /// Call exactly once, on the worker's event loop.
    public func callAsFunction(_ outcome: RequestOutcome) {
        worker.completed(index: index, intended: intended, outcome: outcome)
    }
}
