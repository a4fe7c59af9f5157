import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordRPCStatus

/// One example a service must answer as stated: a call and its expected status (and, optionally,
/// fields of the response). String values may hold placeholders the runner fills in: the payload
/// generators of load profiles (`${seq}`, `${uuid}`, `${random_int(a,b)}`, `${pick(a,b)}`), and
/// `${<example>.<dotted.path>}`, a field of an earlier example's response, by that example's `name`.
public struct ContractExample: Sendable {
    public enum Call: Sendable {
        case rpc(MethodDescriptor, request: JSONValue)
        /// `params` fill the path template and the query; `body` is sent as JSON.
        case route(OpenAPIOperation, params: [String: String], body: JSONValue?)
    }

    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case rpc(RPCStatus)
        case http(Int)

        public var description: String {
            switch self {
            case .rpc(let status): status.name
            case .http(let code): String(code)
            }
        }
    }

    /// As written (`name:`), or `<service> example <n>` (1-based) when unnamed.
    public let name: String
    public let service: String
    public let call: Call
    public let expectedStatus: Status
    /// Members the response must contain with these values (a partial match, recursively).
    public let expectedBody: JSONValue?
    public let location: SourceLocation

    public init(name: String, service: String, call: Call, expectedStatus: Status, expectedBody: JSONValue?,
                location: SourceLocation) {
        self.name = name
        self.service = service
        self.call = call
        self.expectedStatus = expectedStatus
        self.expectedBody = expectedBody
        self.location = location
    }

    /// `orders.CreateOrder`, `gateway POST /orders`.
    public var interaction: String {
        switch call {
        case .rpc(let method, _): Interaction.rpc(service: service, method: method.name)
        case .route(let operation, _, _):
            Interaction.rest(service: service, method: operation.method, path: operation.path)
        }
    }
}
