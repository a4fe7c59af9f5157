import AccordContracts
import AccordDocuments
import AccordGRPC
import AccordHTTP
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordReport
import NIOCore
import NIOHTTP1

/// An infrastructure failure of the dynamic check (no broker to watch events on): exit 2.
public struct DynamicCheckError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The dynamic half of `accord check`, against a running system: every example is driven
/// through the real services, in the order the contract declares them (so later examples can
/// use earlier responses), each status is compared with the expected one, and every payload
/// seen on the wire (gRPC responses, REST bodies, and the events a tap queue per event sees) is
/// decoded against the producer's own declared schema, and JSON payloads (REST bodies, JSON
/// events) also against every consumer's `reads`: what a consumer reads of protobuf bytes
/// decoded with the producer's message is settled by the static check.
public struct DynamicCheck: Sendable {
    public struct Report: Sendable {
        public var findings: [Finding] = []
        /// The examples, in the order run, and whether each answered as expected.
        public var examples: [(name: String, interaction: String, passed: Bool)] = []
        public var messagesSeen = 0
    }

    public let system: ContractSystem
    public let directory: ServiceDirectory
    public var callTimeout: Duration = .seconds(5)
    /// After the last example, events are awaited until none arrived for `eventQuiet`.
    public var eventQuiet: Duration = .milliseconds(500)

    public init(system: ContractSystem, directory: ServiceDirectory) {
        self.system = system
        self.directory = directory
    }

    public func run() async throws(DynamicCheckError) -> Report {
        var tap: EventTap?
        if !system.events.isEmpty {
            guard let url = directory.amqpURL else {
                throw DynamicCheckError(message: "\(system.name) has events but no broker to watch them on")
            }
            do {
                tap = try await EventTap.start(events: system.events, system: system.name, url: url)
            } catch {
                throw DynamicCheckError(message: "cannot watch \(system.name)'s events on the broker: \(error)")
            }
        }
        var report = Report()
        var values = ExampleValues()
        let clients = ClientPool(requestTimeout: callTimeout)
        var sequence: UInt64 = 0
        for service in system.services {
            for example in service.examples {
                sequence += 1
                let exchange = await call(example, sequence: sequence, values: values, clients: clients)
                let findings = judge(example, exchange, sequence: sequence, values: &values)
                report.findings += findings
                let answered = !findings.contains { DynamicFindingKind.exampleOutcomes.contains($0.kind) }
                report.examples.append((example.name, example.interaction, answered))
            }
        }
        await clients.close()
        if let tap {
            let seen = await tap.finish(quiet: eventQuiet, limit: .seconds(5))
            report.messagesSeen = seen.count
            for message in seen { report.findings += check(message) }
        }
        report.findings = Self.distinct(report.findings)
        return report
    }

    // MARK: Examples

    /// Makes an example's call; a failure to render or send it is its result.
    private func call(_ example: ContractExample, sequence: UInt64, values: ExampleValues,
                      clients: ClientPool) async -> Result<Exchange, any Error> {
        let findings = PayloadFindings(system: system, example: example)
        do {
            switch example.call {
            case .rpc(let method, let request):
                return .success(try await call(method, request: try values.render(request, sequence: sequence),
                                               example: example, clients: clients, findings: findings))
            case .route(let operation, let params, let body):
                return .success(try await call(
                    operation, params: try params.mapValues { try values.render($0, sequence: sequence) },
                    body: try body.map { try values.render($0, sequence: sequence) }, example: example,
                    clients: clients, findings: findings))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Compares what the call produced with the example's expectations, and keeps its response
    /// for later examples. (Apart from `call`: the async part takes no inout, which also keeps
    /// Swift 6.3's optimizer from crashing on it.)
    private func judge(_ example: ContractExample, _ outcome: Result<Exchange, any Error>, sequence: UInt64,
                       values: inout ExampleValues) -> [Finding] {
        let findings = PayloadFindings(system: system, example: example)
        let exchange: Exchange
        switch outcome {
        case .success(let made): exchange = made
        case .failure(let error): return [findings.failed(example, "\(error)")]
        }
        var result = exchange.wire
        if exchange.status != example.expectedStatus {
            result.append(findings.status(example, exchange.status, message: exchange.statusMessage))
        }
        if let body = exchange.body {
            values.record(body, for: example.name)
            if let expected = example.expectedBody, exchange.status == example.expectedStatus {
                do {
                    let wanted = try values.render(expected, sequence: sequence)
                    if let mismatch = BodyMatch.firstMismatch(expected: wanted, actual: body) {
                        result.append(findings.body(example, mismatch))
                    }
                } catch {
                    result.append(findings.failed(example, "expect.body: \(error)"))
                }
            }
        } else if example.expectedBody != nil && exchange.status == example.expectedStatus {
            result.append(findings.body(example, BodyMatch.Mismatch(path: "", expected: "a response body", actual: "no body")))
        }
        return result
    }

    /// What one example's call produced: its status, its body, and what the wire showed.
    private struct Exchange {
        var status: ContractExample.Status
        var statusMessage: String?
        var body: JSONValue?
        var wire: [Finding] = []
    }

    private func call(_ method: MethodDescriptor, request: JSONValue, example: ContractExample, clients: ClientPool,
                      findings: PayloadFindings) async throws -> Exchange {
        guard let address = directory.addresses(of: example.service, .grpc).first else {
            throw DynamicCheckError(message: "\(example.service) has no gRPC address")
        }
        let message: DynamicMessage
        do {
            message = try DynamicMessage(json: request, type: method.inputType)
        } catch {
            throw DynamicCheckError(message: "the request is not a \(method.inputType.fullName): \(error)")
        }
        var metadata = GRPCMetadata()
        metadata.add("x-correlation-id", findings.correlationID(example))
        let result = try await clients.grpc(address).unary(
            path: method.path, request: ByteBuffer(bytes: message.serializedBytes()), metadata: metadata,
            timeout: callTimeout)
        guard result.outcome == .completed else {
            throw DynamicCheckError(message: "\(method.path) at \(address) got no answer: \(result.outcome)")
        }
        let status = ContractExample.Status.rpc(result.status.code)
        guard result.status.code == .ok else {
            return Exchange(status: status, statusMessage: result.status.message.isEmpty ? nil : result.status.message)
        }
        guard let bytes = result.messages.first else {
            return Exchange(status: status, wire: [findings.wire(
                path: nil, says: "answered OK without a response message", expects: "a \(method.outputType.fullName)",
                at: nil)])
        }
        let response: DynamicMessage
        do {
            response = try DynamicMessage(binary: bytes.readableBytesView, type: method.outputType)
        } catch {
            return Exchange(status: status, wire: [findings.wire(
                path: nil, says: "does not decode: \(error)", expects: "a \(method.outputType.fullName)", at: nil)])
        }
        let unknown = response.unknownFieldPaths.map { path, number in
            findings.unknownField(number: number, in: path, type: method.outputType)
        }
        let json = try? response.jsonValue(options: ProtoJSONOptions(preserveProtoFieldNames: true))
        return Exchange(status: status, body: json, wire: unknown)
    }

    private func call(_ operation: OpenAPIOperation, params: [String: String], body: JSONValue?,
                      example: ContractExample, clients: ClientPool,
                      findings: PayloadFindings) async throws -> Exchange {
        guard let address = directory.addresses(of: example.service, .http).first,
            let contract = system.service(named: example.service)?.rest?.contract
        else {
            throw DynamicCheckError(message: "\(example.service) has no HTTP address")
        }
        var headers = [("X-Correlation-ID", findings.correlationID(example)), ("Accept", "application/json")]
        var bytes: ByteBuffer?
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = ByteBuffer(string: body.jsonText)
        }
        let request = HTTPClientRequest(
            method: HTTPMethod(rawValue: operation.method),
            path: operation.requestTarget(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
            authority: address, headers: headers.map { (name: $0.0, value: $0.1) }, body: bytes)
        let response: HTTPClientResponse
        switch try await clients.http(address).execute(request).result {
        case .success(let answer): response = answer
        case .failure(let error):
            throw DynamicCheckError(message: "\(operation.method) \(operation.path) at \(address) got no answer: \(error)")
        }
        let status = ContractExample.Status.http(response.status)
        guard response.body.readableBytes > 0 else { return Exchange(status: status) }
        let mediaType = response.header("content-type") ?? "application/octet-stream"
        guard mediaType.lowercased().hasPrefix("application/json") else { return Exchange(status: status) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(response.body.readableBytesView)
        } catch {
            return Exchange(status: status, wire: [findings.wire(
                path: nil, says: "is not JSON: \(error)", expects: "JSON, as its content type says",
                at: operation.location)])
        }
        var wire: [Finding] = []
        switch contract.validateResponse(json, status: response.status, mediaType: mediaType, of: operation) {
        case .valid: break
        case .undeclaredStatus(let code):
            wire.append(findings.wire(path: nil, says: "answered \(code), which the operation does not declare",
                                      expects: "a declared response", at: operation.location))
        case .undeclaredMediaType(let type):
            wire.append(findings.wire(path: nil, says: "answered \(type), which the response does not declare",
                                      expects: "a declared media type", at: operation.location))
        case .violations(let violations):
            wire += violations.map(findings.violation)
        }
        if (200...299).contains(response.status) {
            let shape = Self.responseShape(operation, status: response.status, contract: contract)
            for edge in system.consumerEdges {
                guard case .rest(let service, let target) = edge.target, service == example.service,
                    target.method == operation.method, target.path == operation.path, let reads = edge.reads
                else { continue }
                let check = WireReadCheck(system: system, edge: edge, producer: example.service,
                                          seen: "the response to example '\(example.name)'",
                                          producerLocation: shape?.location ?? operation.location, declared: shape)
                wire += check.findings(reads: reads, payload: json)
            }
        }
        return Exchange(status: status, body: json, wire: wire)
    }

    private static func responseShape(_ operation: OpenAPIOperation, status: Int,
                                      contract: OpenAPIContract) -> SchemaShape? {
        guard let schema = operation.response(for: status)?.content.schema(for: "application/json") else { return nil }
        return SchemaShape.jsonObject(schema, in: contract.schemas, name: "\(operation.method) \(operation.path)")
    }

    // MARK: Events

    private func check(_ seen: EventTap.Seen) -> [Finding] {
        let event = seen.event
        let findings = PayloadFindings(system: system, event: event)
        var result: [Finding] = []
        if let type = seen.message.properties.contentType, type != event.payload.contentType {
            result.append(findings.make(.wireContentType, path: nil, says: "\(findings.seen) has content type \(type)",
                                        expects: event.payload.contentType))
        }
        switch event.payload {
        case .protobuf(let type):
            do {
                let message = try DynamicMessage(binary: seen.message.body, type: type)
                result += message.unknownFieldPaths.map { findings.unknownField(number: $1, in: $0, type: type) }
            } catch {
                result.append(findings.wire(path: nil, says: "does not decode: \(error)", expects: type.fullName,
                                            at: type.location))
            }
        case .json(let schema):
            let json: JSONValue
            do {
                json = try JSONParser.parse(seen.message.body)
            } catch {
                return result + [findings.wire(path: nil, says: "is not JSON: \(error)", expects: "JSON",
                                               at: event.location)]
            }
            result += schema.validate(json).map(findings.violation)
            let shape = SchemaShape.jsonObject(schema.root, in: schema.schemas, name: event.name)
            for edge in system.consumerEdges {
                guard case .event(let name) = edge.target, name == event.name, let reads = edge.reads else { continue }
                let check = WireReadCheck(system: system, edge: edge, producer: findings.producer,
                                          seen: "a message of \(event.name)", producerLocation: shape.location,
                                          declared: shape)
                result += check.findings(reads: reads, payload: json)
            }
        }
        return result
    }

    /// One wire finding per kind, interaction, consumer and path: a drift repeats in every
    /// message. Each example's own outcome stays, since two examples of one call fail apart.
    static func distinct(_ findings: [Finding]) -> [Finding] {
        var seen = Set<[String]>()
        return findings.filter {
            DynamicFindingKind.exampleOutcomes.contains($0.kind)
                || seen.insert([$0.kind, $0.interaction, $0.consumer ?? "", $0.fieldPath ?? "", $0.producer]).inserted
        }
    }
}

extension SchemaShape {
    /// Whether the member at this dotted path is required (each step through required objects).
    func requires(_ path: String) -> Bool {
        fields(along: path)?.allSatisfy(\.isRequired) ?? false
    }

    /// Whether the schema declares a member at this dotted path.
    func declares(_ path: String) -> Bool {
        fields(along: path) != nil
    }

    /// The fields a dotted path goes through, through nested objects; nil where it leaves the schema.
    private func fields(along path: String) -> [ShapeField]? {
        var shape: SchemaShape? = self
        var found: [ShapeField] = []
        for segment in path.split(separator: ".") {
            // A step past a field that is not an object leaves the schema.
            guard let field = shape?.field(named: String(segment)) else { return nil }
            found.append(field)
            if case .object(let inner) = field.type { shape = inner } else { shape = nil }
        }
        return found.isEmpty ? nil : found
    }
}
