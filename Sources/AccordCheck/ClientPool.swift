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
        let (host, port) = try Self.split(address)
        return grpcClients.withLock { clients in
            if let existing = clients[address] { return existing }
            let client = GRPCClient(configuration: .init(host: host, port: port, connections: 1))
            clients[address] = client
            return client
        }
    }

    func http(_ address: String) async throws -> HTTPClient {
        if let existing = httpClients.withLock({ $0[address] }) { return existing }
        let (host, port) = try Self.split(address)
        // A host name is a blocking lookup: off the cooperative pool, once per address.
        let target = try await NIOThreadPool.singleton.runIfActive { try HTTPTarget(host: host, port: port) }
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

    /// `host:port`, `[v6]:port`: the host without brackets.
    private static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw BadAddress(address: address)
        }
        var host = address[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }
}
