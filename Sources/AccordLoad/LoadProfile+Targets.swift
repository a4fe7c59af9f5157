import AccordAMQP
import AccordContracts
import AccordDocuments
import AccordJSON

extension LoadProfile {
    /// `targets:`: addresses for services of the contract, which take the place of the ones the
    /// run's `ServiceDirectory` has for that service and interface.
    static func targets(_ r: inout DocumentReader, contracts: ProfileContracts) -> ServiceDirectory {
        guard let value = r.document.value(at: "/targets") else { return ServiceDirectory() }
        guard case .object(let members) = value else {
            r.report("/targets", "expected a mapping of service names, got \(value.typeName)")
            return ServiceDirectory()
        }
        if case .absent = contracts {
            r.report("/targets", "targets: give addresses to services of contracts:; add contracts: <system folder>")
        }
        var directory = ServiceDirectory()
        for name in members.keys.sorted() {
            let pointer = JSONPointer.appending(name, to: "/targets")
            _ = r.object(pointer, keys: ["grpc", "http"])
            let endpoints = ServiceDirectory.Endpoints(
                grpc: (addresses(&r, pointer + "/grpc", required: false) ?? []).map(\.description),
                http: (addresses(&r, pointer + "/http", required: false) ?? []).map(\.description))
            if let system = contracts.system {
                guard let service = system.service(named: name) else {
                    r.report(pointer, noService(name, in: system))
                    continue
                }
                if service.grpc == nil && !endpoints.grpc.isEmpty {
                    r.report(pointer + "/grpc", "service \(name) has no grpc: interface")
                }
                if service.rest == nil && !endpoints.http.isEmpty {
                    r.report(pointer + "/http", "service \(name) has no rest: interface")
                }
            }
            directory.services[name] = endpoints
        }
        return directory
    }


    /// `amqp_url:`, checked as the broker client reads it.
    static func amqpURL(_ r: inout DocumentReader) -> String? {
        guard let url = r.string("/amqp_url") else { return nil }
        do {
            _ = try AMQPEndpoint(url: url)
            return url
        } catch {
            r.report("/amqp_url", error.text)
            return nil
        }
    }
}
