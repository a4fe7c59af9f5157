import AccordContracts
import AccordGRPC
import Logging

/// The gRPC client for a peer a reference service forwards to: one connection per address
/// (a peer with replicas has several), calls spread over them, each replica named as itself.
final class PeerClients: Sendable {
    let service: String
    let client: GRPCClient

    /// Nil when `directory` has no gRPC address for `service`.
    init?(service: String, directory: ServiceDirectory, logger: Logger) throws(ReferenceSetupError) {
        let addresses = directory.addresses(of: service, .grpc)
        guard !addresses.isEmpty else { return nil }
        var endpoints: [GRPCClient.Endpoint] = []
        for address in addresses {
            guard let parsed = HostPort(address) else {
                throw ReferenceSetupError("\(service).grpc=\(address): expected HOST:PORT")
            }
            endpoints.append(GRPCClient.Endpoint(host: parsed.host, port: parsed.port))
        }
        self.service = service
        self.client = GRPCClient(
            configuration: .init(endpoints: endpoints, connections: endpoints.count), logger: logger)
    }

    func close() async {
        await client.close()
    }
}
