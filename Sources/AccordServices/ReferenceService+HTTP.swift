import AccordContracts
import AccordGRPC
import AccordHTTP
import AccordJSON
import AccordProto
import Logging
import NIOCore
import NIOHTTP1

extension ReferenceService {
    /// A route for every operation of the service's OpenAPI document: the listed ones answer
    /// from the store or forward to a peer, the others 501.
    func router(_ rest: RESTInterface, publisher: EventPublisher?) throws(ReferenceSetupError) -> HTTPRouter {
        var router = HTTPRouter()
        for operation in rest.contract.operations {
            let route = "\(operation.method) \(operation.path)"
            do {
                try router.add(HTTPMethod(rawValue: operation.method), operation.path) { request in
                    await self.answer(request, route: route, publisher: publisher)
                }
            } catch {
                throw ReferenceSetupError(location: system.display(operation.location),
                                          "cannot route \(route)", cause: error.description)
            }
        }
        return router
    }

    private func answer(_ request: HTTPServerRequest, route: String, publisher: EventPublisher?) async
        -> HTTPServerResponse
    {
        let correlationID = CorrelationID.resolve(request.headers.first(name: CorrelationID.httpHeader))
        var logger = self.logger
        logger[metadataKey: ServiceLogKey.correlationID] = "\(correlationID)"
        logger[metadataKey: ServiceLogKey.route] = "\(route)"
        let input = RouteRequest(
            pathParameters: request.pathParameters, query: request.queryItems,
            headerNames: request.headers.map(\.name), body: Array(request.body.readableBytesView))
        await Self.take(handlers.routes[route]?.behaviour.delay ?? .zero)
        let answer: RouteAnswer
        switch store.withLock({ handlers.route(route, request: input, store: &$0) }) {
        case .answered(let answered, let change, let events):
            do {
                try await commit(change, events: events, publisher: publisher, correlationID: correlationID,
                                 logger: logger)
                answer = answered
            } catch {
                answer = .problem(503, code: .unavailable, error.description)
            }
        case .forward(let service, let method, let json):
            if let clients = peers[service], let handler = handlers.routes[route] {
                answer = await forward(json, to: method, of: clients, handler: handler, correlationID: correlationID,
                                       logger: logger)
            } else {
                answer = .problem(500, code: .internal, "\(route) has no peer \(service) to forward to")
            }
        }
        await pace.settle()
        logger.info("answered", metadata: [ServiceLogKey.status: "\(answer.status)"])
        var response = HTTPServerResponse.json(answer.body, status: HTTPResponseStatus(statusCode: answer.status))
        response.headers.add(name: CorrelationID.httpHeader, value: correlationID)
        return response
    }

    /// Calls the peer's method with the request as proto3 JSON; answers with its response as
    /// proto3 JSON with proto field names, or its status mapped to HTTP.
    private func forward(_ json: JSONValue, to method: MethodDescriptor, of clients: PeerClients,
                         handler: RouteHandler, correlationID: String, logger: Logger) async -> RouteAnswer {
        let request: DynamicMessage
        do {
            request = try DynamicMessage(json: json, type: method.inputType,
                                         options: ProtoJSONOptions(ignoreUnknownFields: true))
        } catch {
            return handler.answer(RouteRejection("the request does not make a \(method.inputType.fullName): "
                + error.description))
        }
        let metadata = GRPCMetadata([(CorrelationID.grpcMetadataKey, .text(correlationID))])
        let bytes = ByteBuffer(bytes: request.serializedBytes())
        let client = clients.client
        let result = method.serverStreaming
            ? await client.serverStreaming(path: method.path, request: bytes, metadata: metadata,
                                           timeout: Self.forwardTimeout)
            : await client.unary(path: method.path, request: bytes, metadata: metadata, timeout: Self.forwardTimeout)
        let status = result.status.code
        logger.info("forwarded", metadata: [
            ServiceLogKey.peer: "\(clients.service)", ServiceLogKey.method: "\(method.name)",
            ServiceLogKey.status: "\(status)",
        ])
        guard status == .ok else {
            return handler.answer(forwarded: status, message: result.status.message, response: [:])
        }
        var responses: [JSONValue] = []
        for bytes in result.messages {
            do {
                let message = try DynamicMessage(binary: bytes.readableBytesView, type: method.outputType)
                responses.append(try message.jsonValue(options: ProtoJSONOptions(preserveProtoFieldNames: true)))
            } catch {
                return .problem(502, code: .internal, "\(clients.service) answered something that is not a "
                    + "\(method.outputType.fullName): \(error)")
            }
        }
        if method.serverStreaming {
            return handler.answer(forwarded: .ok, message: "", response: .array(responses))
        }
        guard let response = responses.first else {
            return .problem(502, code: .internal, "\(clients.service) answered \(method.name) without a message")
        }
        return handler.answer(forwarded: .ok, message: "", response: response)
    }

    /// A forwarded call that takes longer is abandoned with DEADLINE_EXCEEDED (answered 500); longer
    /// than a slow peer's drain hold, so a slow shutdown downstream shows as slow, not as failed.
    static let forwardTimeout: Duration = .seconds(60)
}
