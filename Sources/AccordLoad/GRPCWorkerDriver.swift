import AccordGRPC
import NIOCore

/// What every gRPC driver of a worker has: a client whose connections all live on the
/// worker's event loop, opened before the run and closed after it. Subclasses add `start`.
class GRPCWorkerDriver {
    // Final: the request path reads them directly, never through a subclass's override.
    final let eventLoop: EventLoop
    final let client: GRPCClient

    init(host: String, port: Int, connections: Int, eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.client = GRPCClient(
            configuration: .init(host: host, port: port, connections: connections), group: eventLoop)
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
