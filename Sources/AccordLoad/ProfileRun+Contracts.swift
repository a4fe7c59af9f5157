import AccordAMQP
import AccordContracts
import AccordGRPC
import AccordHTTP
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordRPCStatus
import AccordSystem
import Foundation
import NIOCore
import NIOHTTP1

/// Builds the interactions of a profile's contract entries: addresses from the profile's
/// `targets:` (else the run's `ServiceDirectory`), payloads rendered with the run's captured
/// values, publishes through one `EventTraffic` for the run.
struct ContractPlanner {
    let profile: LoadProfile
    let workers: Int
    let services: ServiceDirectory
    let connectionEvents: ConnectionEventLog?
    let captures = CapturedValues()
    let traffic: EventTraffic?

    init(profile: LoadProfile, workers: Int, services: ServiceDirectory, environment: [String: String],
         connectionEvents: ConnectionEventLog?) throws {
        self.profile = profile
        self.workers = workers
        self.services = services
        self.connectionEvents = connectionEvents
        let routes = profile.mix.compactMap { entry -> EventTraffic.Route? in
            guard case .contract(let call) = entry.target, case .publish(let event, _, let consume) = call.kind else {
                return nil
            }
            return EventTraffic.Route(
                event: event.name, exchange: event.amqp.exchange,
                exchangeType: AMQPExchangeType(event.amqp.exchangeType),
                routingKey: event.amqp.routingKey, contentType: event.payload.contentType, tapped: consume)
        }
        guard let first = routes.first else {
            traffic = nil
            return
        }
        let url = profile.amqpURL ?? AMQPBrokerSource.urlFromEnvironment(environment) ?? services.amqpURL
        guard let url else {
            let problem = "\(first.event) is published, but there is no broker: give amqp_url: or set AMQP_URL"
            throw ProfileRun.SetupError(message: "\(profile.file): \(problem)")
        }
        do {
            traffic = EventTraffic(
                endpoint: try AMQPEndpoint(url: url), connections: profile.amqpConnections, routes: routes,
                runName: profile.name)
        } catch {
            throw ProfileRun.SetupError(message: "\(profile.file): \(error)")
        }
    }

    func interaction(for entry: LoadProfile.MixEntry, _ call: ContractCall) throws -> any LoadInteraction {
        switch call.kind {
        case .rpc(let service, let method, let request, let metadata):
            let endpoints = try addresses(entry, service, .grpc).map { GRPCClient.Endpoint(host: $0.host, port: $0.port) }
            return rpc(
                entry, call, method: method, request: request, metadata: metadata, endpoints: endpoints,
                connections: max(1, profile.grpcConnections / workers))
        case .rest(let service, let operation, let params, let body, let headers):
            let targets = try addresses(entry, service, .http).map { host, port in
                do {
                    return try HTTPTarget(host: host, port: port)
                } catch {
                    throw ProfileRun.SetupError(message: "\(entry.location.fileLine): \(entry.name): \(error)")
                }
            }
            return rest(
                entry, call, operation: operation, params: params, body: body, headers: headers, targets: targets,
                connections: max(1, profile.httpConnections / workers))
        case .publish(let event, let message, _):
            guard let traffic, let route = traffic.routes.first(where: { $0.event == event.name }) else {
                throw ProfileRun.SetupError(
                    message: "\(entry.location.fileLine): \(entry.name): no broker for \(event.name)")
            }
            return publish(entry, event: event, message: message, traffic: traffic, route: route)
        }
    }

    /// The service's addresses for `interface` (its replicas: each client spreads its connections
    /// over them); the profile's `targets:` win over the directory.
    private func addresses(_ entry: LoadProfile.MixEntry, _ service: String, _ interface: ServiceInterface)
        throws -> [(host: String, port: Int)]
    {
        let own = profile.targets.addresses(of: service, interface)
        let addresses = own.isEmpty ? services.addresses(of: service, interface) : own
        guard !addresses.isEmpty else {
            throw ProfileRun.SetupError(
                message: "\(entry.location.fileLine): \(entry.name): no \(interface.rawValue) address for service "
                    + "\(service): add targets: { \(service): { \(interface.rawValue): host:port } }")
        }
        return try addresses.map { address in
            guard let parsed = HostPort(address) else {
                let problem = "\(service) listens at \"\(address)\", not host:port"
                throw ProfileRun.SetupError(message: "\(entry.location.fileLine): \(entry.name): \(problem)")
            }
            return (parsed.host, parsed.port)
        }
    }

    private func rpc(
        _ entry: LoadProfile.MixEntry, _ call: ContractCall, method: MethodDescriptor, request: PayloadTemplate,
        metadata: [String: String], endpoints: [GRPCClient.Endpoint], connections: Int
    ) -> GRPCCallInteraction {
        let type = method.inputType
        let captures = self.captures
        @Sendable func encode(_ sequence: UInt64) -> Result<ByteBuffer, PayloadFailure> {
            let json: JSONValue
            do {
                json = try request.render(sequence: sequence, captures: captures)
            } catch {
                return .failure(.noCapture)
            }
            guard let message = try? DynamicMessage(json: json, type: type) else { return .failure(.payload) }
            return .success(ByteBuffer(bytes: message.serializedBytes()))
        }
        let constant = request.isConstant ? encode(0) : nil
        var grpcMetadata = GRPCMetadata()
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { grpcMetadata.add(key, value) }
        var expected = RPCStatus.ok
        if case .rpc(let status)? = call.expectedStatus { expected = status }
        let rules = call.captures
        let output = method.outputType
        var onSuccess: (@Sendable (ByteBuffer) -> Void)?
        if !rules.isEmpty {
            onSuccess = { response in
                let options = ProtoJSONOptions(preserveProtoFieldNames: true)
                guard let message = try? DynamicMessage(binary: response.readableBytesView, type: output),
                    let json = try? message.jsonValue(options: options)
                else { return }
                captures.capture(rules, from: json)
            }
        }
        return GRPCCallInteraction(
            name: entry.name, endpoints: endpoints, path: method.path,
            shape: method.serverStreaming ? .serverStreaming : .unary, connectionsPerWorker: connections,
            timeout: profile.timeout, metadata: grpcMetadata, expected: expected, connectionEvents: connectionEvents,
            constantRequest: try? constant?.get(), payload: { sequence in constant ?? encode(sequence) },
            onSuccess: onSuccess)
    }

    private func rest(
        _ entry: LoadProfile.MixEntry, _ call: ContractCall, operation: OpenAPIOperation,
        params: [String: PayloadTemplate], body: PayloadTemplate?, headers: [String: String], targets: [HTTPTarget],
        connections: Int
    ) -> HTTPInteraction {
        let captures = self.captures
        let needsContentType = body != nil && headers.keys.allSatisfy { $0.lowercased() != "content-type" }
        let headerList =
            headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            + (needsContentType ? [(name: "Content-Type", value: "application/json")] : [])
        let method = HTTPMethod(rawValue: operation.method)
        // One Host for every replica: the service's first address names it.
        let authority = targets[0].authority
        let ordered = params.sorted { $0.key < $1.key }
        @Sendable func build(_ sequence: UInt64) -> Result<HTTPClientRequest, PayloadFailure> {
            do {
                let path = operation.requestTarget(try ordered.map { name, value in
                    (name, try value.render(sequence: sequence, captures: captures).parameterText)
                })
                let bytes = try body.map {
                    ByteBuffer(string: try $0.render(sequence: sequence, captures: captures).jsonText)
                }
                return .success(
                    HTTPClientRequest(
                        method: method, path: path, authority: authority, headers: headerList, body: bytes))
            } catch {
                return .failure(.noCapture)
            }
        }
        let constant = ordered.allSatisfy(\.value.isConstant) && (body?.isConstant ?? true) ? build(0) : nil
        var expected: Int?
        if case .http(let code)? = call.expectedStatus { expected = code }
        let rules = call.captures
        var onSuccess: (@Sendable (HTTPClientResponse) -> Void)?
        if !rules.isEmpty {
            onSuccess = { response in
                guard let json = try? JSONParser.parse(Data(response.body.readableBytesView)) else { return }
                captures.capture(rules, from: json)
            }
        }
        return HTTPInteraction(
            name: entry.name, targets: targets, connectionsPerWorker: connections, timeout: profile.timeout,
            expectedStatus: expected, connectionEvents: connectionEvents, onSuccess: onSuccess,
            request: { sequence in constant ?? build(sequence) })
    }

    private func publish(
        _ entry: LoadProfile.MixEntry, event: ContractEvent, message: PayloadTemplate, traffic: EventTraffic,
        route: EventTraffic.Route
    ) -> AMQPPublishInteraction {
        let captures = self.captures
        let payload = event.payload
        @Sendable func encode(_ sequence: UInt64) -> Result<[UInt8], PayloadFailure> {
            let json: JSONValue
            do {
                json = try message.render(sequence: sequence, captures: captures)
            } catch {
                return .failure(.noCapture)
            }
            switch payload {
            case .protobuf(let type):
                guard let message = try? DynamicMessage(json: json, type: type) else { return .failure(.payload) }
                return .success(message.serializedBytes())
            case .json:
                return .success(Array(json.jsonText.utf8))
            }
        }
        let constant = message.isConstant ? encode(0) : nil
        return AMQPPublishInteraction(
            name: entry.name, traffic: traffic, route: route, body: { sequence in constant ?? encode(sequence) })
    }
}

extension JSONValue {
    /// A rendered parameter as URL text: strings as they are, other values as JSON.
    fileprivate var parameterText: String {
        switch self {
        case .string(let s): s
        case .number(let n): n.literal
        default: jsonText
        }
    }
}
