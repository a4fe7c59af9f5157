import AccordContracts
import AccordJSON

/// Every method and route of a reference service, without I/O: what each answers to a request
/// against a store. Methods of the gRPC interface that the behaviour does not list answer
/// UNIMPLEMENTED, operations of the OpenAPI document it does not list 501.
public struct ReferenceHandlers: Sendable {
    /// By method name.
    public let rpcs: [String: RPCHandler]
    /// By `METHOD /path` of the operation.
    public let routes: [String: RouteHandler]

    public init(system: ContractSystem, service: ContractService, behaviour: ReferenceBehaviour)
        throws(ReferenceSetupError)
    {
        var rpcs: [String: RPCHandler] = [:]
        for rpc in behaviour.rpcs {
            let required = service.grpc?.required[rpc.method.name]?.map(\.name) ?? []
            rpcs[rpc.method.name] = try RPCHandler(behaviour: rpc, required: required,
                                                   location: system.display(rpc.location))
        }
        self.rpcs = rpcs
        var routes: [String: RouteHandler] = [:]
        if let schemas = service.rest?.contract.schemas {
            for route in behaviour.routes {
                routes[route.route] = RouteHandler(behaviour: route, schemas: schemas)
            }
        }
        self.routes = routes
    }

    public func rpc(_ method: String, request: JSONValue, store: inout RecordStore) -> RPCResult {
        rpcs[method]?.handle(request, in: &store) ?? .unimplemented(method)
    }

    /// `route` is `METHOD /path` as the OpenAPI document declares it.
    public func route(_ route: String, request: RouteRequest, store: inout RecordStore) -> RouteResult {
        guard let handler = routes[route] else { return .answered(.unimplemented(route), change: nil, events: []) }
        return handler.handle(request, in: &store)
    }
}
