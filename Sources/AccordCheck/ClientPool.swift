import AccordGRPC
import AccordHTTP
import Synchronization

/// One client per address, made on first use and closed at the end of the check.
final class ClientPool: Sendable {
    struct BadAddress: Error, CustomStringConvertible {
        let address: String
        var description: String { "\(address) is not host:port" }
    }

    private let grpcClients = Mutex<[String: GRPCClient]>([:])
    private let httpClients = Mutex<[String: HTTPClient]>([:])

    func grpc(_ address: String) throws -> GRPCClient {
        let (host, port) = try Self.split(address)
        return grpcClients.withLock { clients in
            if let existing = clients[address] { return existing }
            let client = GRPCClient(configuration: .init(host: host, port: port, connections: 1))
            clients[address] = client
            return client
        }
    }

    func http(_ address: String) throws -> HTTPClient {
        let (host, port) = try Self.split(address)
        let target = try HTTPTarget(host: host, port: port)
        return httpClients.withLock { clients in
            if let existing = clients[address] { return existing }
            let client = HTTPClient(target: target)
            clients[address] = client
            return client
        }
    }

    func close() async {
        for client in grpcClients.withLock({ Array($0.values) }) { await client.close() }
        for client in httpClients.withLock({ Array($0.values) }) { await client.shutdown() }
    }

    private static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw BadAddress(address: address)
        }
        return (String(address[..<colon]), port)
    }
}
