import NIOCore

/// One interaction over several addresses of a service (its replicas): `parts` hold one
/// interaction per address, and each worker sends its requests through them in turn, so
/// connections and requests spread evenly.
public struct SpreadInteraction: LoadInteraction {
    public let name: String
    public let parts: [any LoadInteraction]

    public init(name: String, parts: [any LoadInteraction]) {
        self.name = name
        self.parts = parts
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(drivers: parts.map { $0.makeDriver(on: eventLoop) }, eventLoop: eventLoop)
    }

    final class Driver: LoadInteractionDriver {
        let drivers: [any LoadInteractionDriver]
        let eventLoop: EventLoop
        private var next = 0

        init(drivers: [any LoadInteractionDriver], eventLoop: EventLoop) {
            self.drivers = drivers
            self.eventLoop = eventLoop
        }

        func connect() -> EventLoopFuture<Void> {
            EventLoopFuture.andAllSucceed(drivers.map { $0.connect() }, on: eventLoop)
        }

        func start(sequence: UInt64, done: @escaping (RequestOutcome) -> Void) {
            let driver = drivers[next]
            next = (next + 1) % drivers.count
            driver.start(sequence: sequence, done: done)
        }

        func close() -> EventLoopFuture<Void> {
            EventLoopFuture.andAllComplete(drivers.map { $0.close() }, on: eventLoop)
        }
    }
}
