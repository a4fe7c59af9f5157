import AccordGRPC
import NIOCore

/// What every gRPC driver of a worker has: a client whose connections all live on the
/// worker's event loop, opened before the run and closed after it. Subclasses add `start`.
class GRPCWorkerDriver {
    // Final: the request path reads them directly, never through a subclass's override.
    final let eventLoop: EventLoop
    final let client: GRPCClient

    /// Connections spread over `endpoints` (a service's replicas); `onEvent` sees their GOAWAYs and closes.
    init(endpoints: [GRPCClient.Endpoint], connections: Int, eventLoop: EventLoop,
         onEvent: (@Sendable (GRPCConnectionEvent) -> Void)? = nil) {
        self.eventLoop = eventLoop
        self.client = GRPCClient(
            configuration: .init(endpoints: endpoints, connections: connections), group: eventLoop, onEvent: onEvent)
    }

    /// A client the subclass made (to prepare its methods on it first).

    init(client: GRPCClient, eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.client = client
    }

    func connect() -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { [client] in try await client.connectAll() }
        return promise.futureResult
    }

    func close() -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { [client] in await client.close() }
        return promise.futureResult
    }
}
