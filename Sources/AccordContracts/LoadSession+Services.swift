import AccordDocuments
import AccordOpenAPI
import AccordProto

extension LoadSession {
    /// Phase 1: a service's interfaces and the events it publishes, which later phases refer to.
    func declareService(_ name: String, node: YAMLNode, mapping: YAMLMapping) -> Declared {
        var service = Declared(name: name, node: node, mapping: mapping)
        if let grpcNode = mapping["grpc"] {
            service.grpc = loadGRPC(grpcNode)
            if service.grpc == nil { service.broken.insert(.grpc) }
        }
        if let restNode = mapping["rest"] {
            if let rest = read.mapping(restNode, allowed: ["openapi"], required: ["openapi"]),
                let openapiNode = rest["openapi"], let (file, contract) = openAPI(openapiNode)
            {
                service.rest = RESTInterface(openapiFile: file, contract: contract, location: restNode.location)
            } else {
                service.broken.insert(.http)
            }
        }
        if let publishes = mapping["publishes"], let names = read.strings(publishes) {
            service.publishes = names.map { NamedReference(name: $0.text, location: $0.node.location) }
        }
        return service
    }

    private func loadGRPC(_ node: YAMLNode) -> GRPCInterface? {
        guard let grpc = read.mapping(node, allowed: ["protos", "import_paths", "service", "required"],
                                      required: ["protos"]),
            let protos = grpc["protos"],
            let (files, roots, schema) = compileProtos(protos, importPaths: grpc["import_paths"])
        else { return nil }
        let declaredHere = schema.services.filter { files.contains(locate($0.location)?.file ?? $0.file) }
        let service: ServiceDescriptor
        if let serviceNode = grpc["service"] {
            guard let name = read.string(serviceNode) else { return nil }
            guard let found = schema.service(named: name) else {
                let hint = Self.hint(name, fullNames: schema.services.map(\.fullName))
                log.error(serviceNode, "the .proto files declare no service \"\(name)\"\(hint)")
                return nil
            }
            service = found
        } else {
            let candidates = declaredHere.isEmpty ? schema.services : declaredHere
            guard candidates.count == 1, let only = candidates.first else {
                let names = candidates.map(\.fullName).joined(separator: ", ")
                log.error(node, candidates.isEmpty ? "the .proto files declare no service"
                          : "missing key \"service\" (the files declare \(names))")
                return nil
            }
            service = only
        }
        var required: [String: [NamedReference]] = [:]
        for (methodName, listNode) in mappingMembers(grpc["required"]) {
            guard let method = method(methodName, of: service, at: listNode) else { continue }
            guard let paths = read.strings(listNode) else { continue }
            required[methodName] = paths.compactMap { path, pathNode in
                field(path, in: method.inputType, at: pathNode).map { _ in
                    NamedReference(name: path, location: pathNode.location)
                }
            }
        }
        return GRPCInterface(protoFiles: files, importPaths: roots, schema: schema, service: service,
                             required: required, location: node.location)
    }

    /// A method of `service`, or a diagnostic naming the closest one.
    func method(_ name: String, of service: ServiceDescriptor, at node: YAMLNode) -> MethodDescriptor? {
        if let found = service.method(named: name) { return found }
        let hint = NearMiss.closest(to: name, among: service.methods.map(\.name))
            .map { " (did you mean \"\($0)\"?)" } ?? ""
        log.error(node, "\(service.fullName) has no method \"\(name)\"\(hint)")
        return nil
    }

    /// Phase 3: everything that refers to other services and events.
    func loadService(_ service: Declared) -> ContractService {
        let mapping = service.mapping
        for published in service.publishes where event(named: published.name) == nil
            && !brokenEvents.contains(published.name)
        {
            let hint = NearMiss.closest(to: published.name, among: events.map(\.name))
                .map { " (did you mean \"\($0)\"?)" } ?? ""
            log.error(at: published.location, key: service.node.keyPath + ".publishes",
                      "no event \"\(published.name)\" under events\(hint)")
        }
        let consumes = mapping["consumes"].map { consumerEdges($0, consumer: service) } ?? []
        let (run, replicas) = runMode(service)
        var reference: ReferenceBehaviour?
        if let referenceNode = mapping["reference"] {
            if case .reference = run {
                reference = referenceBehaviour(referenceNode, service: service, consumes: consumes)
            } else {
                log.error(referenceNode,
                          "reference: describes a run: reference service, but this one has run: \(run.name)")
            }
        } else if case .reference = run {
            reference = ReferenceBehaviour(store: service.name, idField: "id", rpcs: [], routes: [], consumers: [],
                                           shutdown: .graceful, location: service.node.location)
        }
        let declaredExamples = mapping["examples"].map { examples($0, service: service) } ?? []
        return ContractService(
            name: service.name, location: service.node.location, summary: mapping["description"].flatMap(read.string),
            grpc: service.grpc, rest: service.rest, publishes: service.publishes, consumes: consumes, run: run,
            replicas: replicas, reference: reference, examples: declaredExamples)
    }
}
