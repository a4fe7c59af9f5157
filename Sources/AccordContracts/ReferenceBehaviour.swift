import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordRPCStatus

/// What a `run: reference` service does, declared in the contract: handler -> service ->
/// repository, with one in-memory store per service.
public struct ReferenceBehaviour: Sendable {
    /// The in-memory repository's name (the service's name unless stated).
    public let store: String
    /// The record field that holds the key the store generates on create (`id` unless stated).
    public let idField: String
    /// By method name, in file order.
    public let rpcs: [RPCBehaviour]
    public let routes: [RouteBehaviour]
    /// How the service handles the events it consumes, by event name.
    public let consumers: [ConsumerBehaviour]
    public let shutdown: ShutdownStyle
    public let location: SourceLocation

    public init(store: String, idField: String, rpcs: [RPCBehaviour], routes: [RouteBehaviour],
                consumers: [ConsumerBehaviour], shutdown: ShutdownStyle, location: SourceLocation) {
        self.store = store
        self.idField = idField
        self.rpcs = rpcs
        self.routes = routes
        self.consumers = consumers
        self.shutdown = shutdown
        self.location = location
    }

    public func rpc(named method: String) -> RPCBehaviour? { rpcs.first { $0.method.name == method } }

    public func consumer(of event: String) -> ConsumerBehaviour? { consumers.first { $0.event == event } }
}

/// The repository operations a handler can perform.
public enum StoreAction: String, Sendable, Hashable, CaseIterable {
    case create, get, list, update, delete
}

/// What a handler does with the store.
public struct StoreHandling: Sendable {
    public let action: StoreAction
    /// get/update/delete: the request field (RPC) or parameter (REST) holding the record's key.
    public let key: String?
    /// The response field that holds the record (`order` in `GetOrderResponse { Order order = 1; }`);
    /// nil when the response is the record itself. For `list` on a unary method, the repeated field.
    public let record: String?
    /// update: fields set on the record (`{ status: ORDER_STATUS_CANCELLED }`), proto3 JSON.
    public let set: [String: JSONValue]
    /// Events published after the action succeeds.
    public let publish: [PublishSpec]

    public init(action: StoreAction, key: String?, record: String?, set: [String: JSONValue], publish: [PublishSpec]) {
        self.action = action
        self.key = key
        self.record = record
        self.set = set
        self.publish = publish
    }
}

/// An event published by a handler: the record mapped onto the event's fields (an event field
/// takes the record field of the same name unless `fields` maps it: `{ order_id: id }`).
public struct PublishSpec: Sendable {
    public let event: String
    /// Event field -> a dotted path into the record, or into the request when it starts with
    /// `request.` (`{ order_id: id, reason: request.reason }`).
    public let fields: [String: String]
    public let location: SourceLocation

    public init(event: String, fields: [String: String], location: SourceLocation) {
        self.event = event
        self.fields = fields
        self.location = location
    }
}

public struct RPCBehaviour: Sendable {
    public let method: MethodDescriptor
    public let handling: StoreHandling
    /// The status when the key names no record (NOT_FOUND unless stated).
    public let missing: RPCStatus
    /// The status when a key or `grpc.required` field is absent (INVALID_ARGUMENT unless stated).
    public let invalid: RPCStatus
    /// How long each call takes before the handler acts (zero unless stated): calls are in flight
    /// long enough for a shutdown to catch them.
    public let delay: Duration
    public let location: SourceLocation

    public init(method: MethodDescriptor, handling: StoreHandling, missing: RPCStatus, invalid: RPCStatus,
                delay: Duration = .zero, location: SourceLocation) {
        self.method = method
        self.handling = handling
        self.missing = missing
        self.invalid = invalid
        self.delay = delay
        self.location = location
    }
}

public struct RouteBehaviour: Sendable {
    public enum Handling: Sendable {
        case store(StoreHandling)
        /// The route calls another service's RPC: path parameters and the JSON body become the
        /// request (proto3 JSON), the response's proto3 JSON (proto field names) the body, and the
        /// gRPC status maps to HTTP (NOT_FOUND 404, INVALID_ARGUMENT 400, ... INTERNAL 500).
        case forward(service: String, method: MethodDescriptor)
    }

    public let operation: OpenAPIOperation
    public let handling: Handling
    /// The success status (the operation's lowest declared 2xx unless stated).
    public let status: Int
    /// The status when the key names no record (404 unless stated).
    public let missing: Int
    /// The status for a request without its key or a required body field (400 unless stated).
    public let invalid: Int
    /// How long each request takes before the route acts (zero unless stated).
    public let delay: Duration
    public let location: SourceLocation

    public init(operation: OpenAPIOperation, handling: Handling, status: Int, missing: Int, invalid: Int,
                delay: Duration = .zero, location: SourceLocation) {
        self.operation = operation
        self.handling = handling
        self.status = status
        self.missing = missing
        self.invalid = invalid
        self.delay = delay
        self.location = location
    }

    /// `POST /orders`
    public var route: String { "\(operation.method) \(operation.path)" }
}

/// How a reference consumer handles one event: after `delay`, ack; with probability
/// `failureRate`, nack and requeue instead. (A consumer whose service shuts down `abrupt` acks on
/// receipt instead, before the delay: at-most-once delivery, the classic defect.)
public struct ConsumerBehaviour: Sendable {
    public let event: String
    public let delay: Duration
    public let failureRate: Double
    public let location: SourceLocation

    public init(event: String, delay: Duration, failureRate: Double, location: SourceLocation) {
        self.event = event
        self.delay = delay
        self.failureRate = failureRate
        self.location = location
    }
}

/// How a reference service reacts to SIGTERM.
public enum ShutdownStyle: String, Sendable, Hashable, CaseIterable {
    /// Stop accepting, GOAWAY, finish in-flight calls and messages, ack, close (a good Go service).
    case graceful
    /// Exit at once: in-flight calls fail, and consumers, which ack on receipt, lose what they hold
    /// (the negative control).
    case abrupt
    /// Graceful, but each in-flight call takes longer to finish: shutdown drains visibly.
    case slow
}

