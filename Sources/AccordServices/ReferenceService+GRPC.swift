import AccordContracts
import AccordGRPC
import AccordJSON
import AccordProto
import Logging

extension ReferenceService {
    /// Every method of the service's gRPC interface: the listed ones answer from the store,
    /// the others UNIMPLEMENTED.
    func grpcHandlers(_ grpc: GRPCInterface, publisher: EventPublisher?) -> [String: GRPCHandler] {
        ProtoGRPCService(service: grpc.service) { request in
            try await self.answer(request, publisher: publisher)
        }.handlers
    }

    private func answer(_ request: ProtoGRPCRequest, publisher: EventPublisher?) async throws -> [DynamicMessage] {
        let method = request.method
        let correlationID = CorrelationID.resolve(request.metadata.text(CorrelationID.grpcMetadataKey))
        var logger = self.logger
        logger[metadataKey: ServiceLogKey.correlationID] = "\(correlationID)"
        logger[metadataKey: ServiceLogKey.method] = "\(method.name)"
        request.setResponseMetadata(GRPCMetadata([(CorrelationID.grpcMetadataKey, .text(correlationID))]))
        await Self.take(handlers.rpcs[method.name]?.behaviour.delay ?? .zero)
        let outcome = await outcome(of: request, publisher: publisher, correlationID: correlationID, logger: logger)
        await pace.settle()
        switch outcome {
        case .success(let responses):
            logger.info("answered", metadata: [
                ServiceLogKey.status: "OK", ServiceLogKey.records: "\(responses.count)",
            ])
            return responses
        case .failure(let status):
            logger.info("answered", metadata: [ServiceLogKey.status: "\(status.code)",
                                               ServiceLogKey.reason: "\(status.message)"])
            throw status
        }
    }

    private func outcome(of request: ProtoGRPCRequest, publisher: EventPublisher?, correlationID: String,
                         logger: Logger) async -> Result<[DynamicMessage], GRPCStatus> {
        let method = request.method
        let json: JSONValue
        do {
            json = try request.message.jsonValue(options: ProtoJSONOptions(preserveProtoFieldNames: true))
        } catch {
            return .failure(GRPCStatus(.invalidArgument, "the request has no JSON form: \(error)"))
        }
        let result = store.withLock { handlers.rpc(method.name, request: json, store: &$0) }
        guard result.status == .ok else { return .failure(GRPCStatus(result.status, result.message)) }
        do {
            try await commit(result.change, events: result.events, publisher: publisher, correlationID: correlationID,
                             logger: logger)
        } catch {
            return .failure(GRPCStatus(.unavailable, error.description))
        }
        var responses: [DynamicMessage] = []
        for response in result.responses {
            do {
                responses.append(try DynamicMessage(json: response, type: method.outputType,
                                                    options: ProtoJSONOptions(ignoreUnknownFields: true)))
            } catch {
                return .failure(GRPCStatus(
                    .internal, "the record does not make a \(method.outputType.fullName): \(error)"))
            }
        }
        return .success(responses)
    }

    /// A behaviour's `delay:`: the work a call or request takes before the handler acts. A
    /// graceful drain lets it run out; nothing cancels it early.
    static func take(_ delay: Duration) async {
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}
