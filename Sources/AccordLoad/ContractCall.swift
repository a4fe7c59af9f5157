import AccordContracts
import AccordJSON
import AccordOpenAPI
import AccordProto

/// A mix entry that names an interaction of the profile's contract (`call:` or `publish:`),
/// resolved when the profile loads: the method, operation or event, and its payload.
public struct ContractCall: Sendable {
    public enum Kind: Sendable {
        /// A gRPC method of `service`, unary or server-streaming; `request` is proto3 JSON.
        case rpc(service: String, method: MethodDescriptor, request: PayloadTemplate, metadata: [String: String])
        /// A REST operation of `service`: `params` fill its path template and query string.
        case rest(
            service: String, operation: OpenAPIOperation, params: [String: PayloadTemplate], body: PayloadTemplate?,
            headers: [String: String])
        /// An event, published to its exchange with its routing key; `consume` taps it to account for it.
        case publish(event: ContractEvent, message: PayloadTemplate, consume: Bool)
    }

    public var kind: Kind
    /// What counts as success: the status the payload's example expects; without an example,
    /// OK (gRPC) or any status below 400 (REST).
    public var expectedStatus: ContractExample.Status?
    /// The contract example the payload comes from, by name.
    public var example: String?
    /// What this entry's successful responses feed to `${<this entry>.<path>}` placeholders.
    public var captures: [CaptureRule] = []
    /// Where the payload is written in the profile (its key, or `example:`), for diagnostics.
    var payloadPointer: String
    /// The shape of a successful response (the output message, the lowest 2xx JSON body), for
    /// checking capture paths.
    var response: SchemaShape?

    /// `grpc`, `http` or `amqp`, as reports name transports.
    public var transport: String {
        switch kind {
        case .rpc: "grpc"
        case .rest: "http"
        case .publish: "amqp"
        }
    }

    /// `orders.CreateOrder`, `gateway POST /orders`, `event order.created`: the contract's names.
    public var interaction: String {
        switch kind {
        case .rpc(let service, let method, _, _): Interaction.rpc(service: service, method: method.name)
        case .rest(let service, let operation, _, _, _):
            Interaction.rest(service: service, method: operation.method, path: operation.path)
        case .publish(let event, _, _): Interaction.event(event.name)
        }
    }

    /// Every template of the payload.
    var templates: [PayloadTemplate] {
        switch kind {
        case .rpc(_, _, let request, _): [request]
        case .rest(_, _, let params, let body, _):
            params.keys.sorted().compactMap { params[$0] } + (body.map { [$0] } ?? [])
        case .publish(_, let message, _): [message]
        }
    }
}

extension OpenAPIOperation {
    /// The body shape of the lowest 2xx response with a JSON schema, from `contract`'s schemas.
    func successShape(in contract: OpenAPIContract) -> SchemaShape? {
        let success = responses.compactMap { key, response -> (Int, SchemaID)? in
            guard case .code(let code) = key, (200...299).contains(code),
                let schema = response.content.schema(for: "application/json")
            else { return nil }
            return (code, schema)
        }.min { $0.0 < $1.0 }
        return success.map { code, schema in
            SchemaShape.jsonObject(schema, in: contract.schemas, name: "\(method) \(path) \(code) response")
        }
    }
}

extension PayloadTemplate {
    /// A rendering for checks at load time: captured values stand in as "1" (which proto3 JSON
    /// takes for strings and every integer type), as the contract loader samples its examples.
    var sample: JSONValue? {
        let stand = CapturedValues()
        for reference in captures { stand.record("1", for: reference) }
        return try? render(sequence: 1, captures: stand)
    }
}
