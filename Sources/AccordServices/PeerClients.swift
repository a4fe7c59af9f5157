import AccordContracts
import AccordGRPC
import Logging
import Synchronization

/// gRPC clients for the peers a reference service forwards to: one per address, used in turn
/// (a peer with replicas has several addresses).
final class PeerClients: Sendable {
    let service: String
    private let clients: [GRPCClient]
    private let next = Atomic<Int>(0)

    /// Nil when `directory` has no gRPC address for `service`.
    init?(service: String, directory: ServiceDirectory, logger: Logger) throws(ReferenceSetupError) {
        let addresses = directory.addresses(of: service, .grpc)
        guard !addresses.isEmpty else { return nil }
        var clients: [GRPCClient] = []
        for address in addresses {
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
                (1...65535).contains(port)
            else {
                throw ReferenceSetupError("\(service).grpc=\(address): expected HOST:PORT")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            clients.append(GRPCClient(configuration: .init(host: host, port: port), logger: logger))
        }
        self.service = service
        self.clients = clients
    }

    func client() -> GRPCClient {
        clients[next.wrappingAdd(1, ordering: .relaxed).oldValue % clients.count]
    }

    func close() async {
        for client in clients { await client.close() }
    }
}
