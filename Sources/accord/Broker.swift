import AccordAMQP
import ArgumentParser
import Foundation

extension AccordCommand {
    /// A private RabbitMQ for a session of accord commands (`export AMQP_URL=...`), so each check
    /// or load run does not start its own.
    struct Broker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a private RabbitMQ on loopback until SIGTERM/SIGINT.",
            discussion: """
                Starts Debian's rabbitmq-server as a private node (its own directories, free loopback ports, \
                guest/guest), prints READY <amqp-url> on stdout once it accepts a login, and stops it on \
                SIGTERM/SIGINT (or when this process dies, however it dies). Commands given AMQP_URL use it \
                instead of starting their own. Exit 2 when the broker cannot start.
                """
        )

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                let (stopped, stop) = AsyncStream<Void>.makeStream()
                let trap = SignalTrap([SIGTERM, SIGINT]) { stop.yield() }
                defer { trap.cancel() }
                let broker: ManagedBroker
                do {
                    broker = try await ManagedBroker.start()
                } catch {
                    throw BadInput(message: "cannot start a broker: \(error)")
                }
                say("READY \(broker.endpoint.url)")
                for await _ in stopped { break }
                await broker.stop()
            }
        }
    }
}
