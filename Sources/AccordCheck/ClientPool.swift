import AccordContracts
import AccordGRPC
import AccordHTTP
import NIOCore
import NIOPosix
import Synchronization

/// One client per address, made on first use and closed at the end of the check.
final class ClientPool: Sendable {
    struct BadAddress: Error, CustomStringConvertible {
        let address: String
        var description: String { "\(address) is not host:port" }
    }

    /// How long one example's call may take (REST; gRPC calls carry it as their deadline).
    private let requestTimeout: Duration
    private let grpcClients = Mutex<[String: GRPCClient]>([:])
    private let httpClients = Mutex<[String: HTTPClient]>([:])

    init(requestTimeout: Duration) {
        self.requestTimeout = requestTimeout
    }

    func grpc(_ address: String) throws -> GRPCClient {
        if let existing = grpcClients.withLock({ $0[address] }) { return existing }
        let parsed = try Self.parse(address)
        return grpcClients.withLock { clients in
            if let existing = clients[address] { return existing }
            let client = GRPCClient(configuration: .init(host: parsed.host, port: parsed.port, connections: 1))
            clients[address] = client
            return client
        }
    }

    func http(_ address: String) async throws -> HTTPClient {
        if let existing = httpClients.withLock({ $0[address] }) { return existing }
        let parsed = try Self.parse(address)
        // A host name is a blocking lookup: off the cooperative pool, once per address.
        let target = try await NIOThreadPool.singleton.runIfActive {
            try HTTPTarget(host: parsed.host, port: parsed.port)
        }
        let configuration = HTTPConnectionPool.Configuration(
            requestTimeout: .nanoseconds(requestTimeout.nanoseconds))
        return httpClients.withLock { clients in
            if let existing = clients[address] { return existing }
            let client = HTTPClient(target: target, configuration: configuration)
            clients[address] = client
            return client
        }
    }

    func close() async {
        for client in grpcClients.withLock({ Array($0.values) }) { await client.close() }
        for client in httpClients.withLock({ Array($0.values) }) { await client.shutdown() }
    }

    private static func parse(_ address: String) throws -> HostPort {
        guard let parsed = HostPort(address) else { throw BadAddress(address: address) }
        return parsed
    }
}
