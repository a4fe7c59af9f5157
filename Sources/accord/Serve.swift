import AccordAMQP
import AccordContracts
import AccordServices
import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

extension AccordCommand {
    /// Runs a whole system as processes, or one reference service of it as this process, until
    /// SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a system's services, or one reference service, until SIGTERM/SIGINT.",
            discussion: """
                Without --service: starts every service of the system as its own process (run: reference as \
                `accord serve --service NAME`, run: command as its program) on free loopback ports, and a \
                managed broker when the system has events and AMQP_URL is not set; prints where each listens \
                and READY <system>; on SIGTERM/SIGINT stops them all gracefully (SIGKILL after --grace). \
                Each runs in a process group of its own (a Ctrl-C reaches accord alone); should accord be \
                killed, its child reaper sends them SIGTERM (SIGKILL 5 s later).

                With --service NAME: runs that service (run: reference) as its reference: behaviour states: \
                gRPC and REST on 127.0.0.1, its events on the broker. DIR is a system folder, or a \
                folder holding exactly one (default: contracts). When every listener and consumer is up it \
                prints one line on stdout, READY <service> grpc=<port> http=<port> (for the interfaces it has); \
                logs go to stderr. On SIGTERM/SIGINT it shuts down as its reference.shutdown says: graceful \
                (stop accepting, GOAWAY, finish in-flight calls and messages, ack, close; exit 0), slow (the \
                same, holding what is in flight 30 s) or abrupt (exit at once with 128 + the signal). \
                Exit 2: bad input (the contract's problems, an unknown service, a missing peer or broker), \
                or a broker lost while serving.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A system folder (with system.yaml), or a folder holding exactly one system.")
        var directory: String = "contracts"

        @Option(help: "The service to run in this process (a run: reference service of the system).")
        var service: String?

        @Option(help: "Without --service: seconds each process gets to exit after SIGTERM before SIGKILL.")
        var grace: Int = 10

        @Option(help: "Port of the gRPC interface (0 picks a free one).")
        var grpcPort: Int = 0

        @Option(help: "Port of the REST interface (0 picks a free one).")
        var httpPort: Int = 0

        @Option(help: "The broker, for a service that publishes or consumes events (default: AMQP_URL).")
        var amqpUrl: String?

        @Option(name: .customLong("peer"), parsing: .singleValue,
                help: "Where a service it forwards to listens: SERVICE.grpc=HOST:PORT (repeat it).")
        var peers: [String] = []

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                let system = try await loadSystem()
                guard let name = service else {
                    try await SystemServing.run(system, logLevel: "\(global.logLevel)", grace: .seconds(grace))
                    return
                }
                let logger = Logger(label: "accord.serve")
                let reference: ReferenceService
                do {
                    reference = try ReferenceService(
                        system: system, service: name, configuration: try serviceConfiguration(), logger: logger
                    ) { ports in
                        say(Self.readyLine(service: name, ports: ports))
                    }
                } catch let error as ReferenceSetupError {
                    throw BadInput(message: error.description)
                }
                // Its logs are best effort. Once the accord that launched it is gone (whose child reaper
                // then sends SIGTERM), a log line must fail with EPIPE rather than end the service by
                // SIGPIPE halfway through its graceful shutdown. (NIO ignores SIGPIPE too, but only once
                // it opens a socket: a service that only consumes events opens none.)
                signal(SIGPIPE, SIG_IGN)
                let abrupt = reference.behaviour.shutdown == .abrupt
                if abrupt { AbruptExit.install(on: [SIGTERM, SIGINT]) }
                let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                    services: [.init(service: reference, serviceName: "reference service \(name)")],
                    gracefulShutdownSignals: abrupt ? [] : [.sigterm, .sigint],
                    logger: logger))
                do {
                    try await group.run()
                } catch let error as ReferenceSetupError {
                    throw BadInput(message: "service \(name): \(error)")
                } catch {
                    // Infrastructure failing under the service (its broker gone): 2, as for bad input.
                    printError("service \(name): \(error)")
                    throw ExitCode(2)
                }
            }
        }

        /// `READY orders grpc=50051`, `READY gateway http=8080`: the line runners wait for.
        static func readyLine(service: String, ports: ReferenceService.Ports) -> String {
            (["READY", service] + [ports.grpc.map { "grpc=\($0)" }, ports.http.map { "http=\($0)" }].compactMap { $0 })
                .joined(separator: " ")
        }

        private func serviceConfiguration() throws -> ReferenceService.Configuration {
            var directory = ServiceDirectory()
            for peer in peers where !directory.addPeer(peer) {
                throw BadInput(message: "--peer \(peer): expected SERVICE.grpc=HOST:PORT")
            }
            var broker: AMQPEndpoint?
            if let amqpUrl {
                do {
                    broker = try AMQPEndpoint(url: amqpUrl)
                } catch {
                    throw BadInput(message: "--amqp-url: \(error)")
                }
            } else {
                do {
                    broker = try AMQPBrokerSource.endpointFromEnvironment()
                } catch {
                    throw BadInput(message: "AMQP_URL: \(error)")
                }
            }
            for (flag, port) in [("--grpc-port", grpcPort), ("--http-port", httpPort)]
            where !(0...65535).contains(port) {
                throw BadInput(message: "\(flag) \(port): expected a port from 0 to 65535")
            }
            return ReferenceService.Configuration(grpcPort: grpcPort, httpPort: httpPort, broker: broker,
                                                  peers: directory)
        }

        /// The one system DIR names, loaded off the cooperative pool (protoc runs as a child process).
        private func loadSystem() async throws -> ContractSystem {
            let root = URL(fileURLWithPath: directory)
            let folders = ContractLoader.systemFolders(at: root)
            guard let folder = folders.first else {
                throw BadInput(message: "\(directory): no \(ContractLoader.fileName) here or in its subfolders")
            }
            guard folders.count == 1 else {
                let names = folders.map(\.lastPathComponent).joined(separator: ", ")
                throw BadInput(message: "\(directory) holds several systems (\(names)): name one folder")
            }
            let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            let shown = folder == root ? display : display + "/" + folder.lastPathComponent
            let loaded = try await NIOThreadPool.singleton.runIfActive {
                Result { () throws(ContractLoadError) in
                    try ContractLoader().load(folder: folder, displayFolder: shown)
                }
            }
            do {
                return try loaded.get()
            } catch {
                throw BadInput(message: error.description)
            }
        }
    }
}
