import AccordContracts
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordRPCStatus

/// A REST request as a route sees it, without the transport: what `RouteHandler` turns into a
/// request object (proto3 JSON for forwarded routes).
public struct RouteRequest: Sendable {
    /// Percent-decoded template parameters (`order_id`).
    public var pathParameters: [String: String]
    public var query: [(name: String, value: String)]
    /// Header names as sent (matched without regard to case).
    public var headerNames: [String]
    public var body: [UInt8]

    public init(pathParameters: [String: String] = [:], query: [(name: String, value: String)] = [],
                headerNames: [String] = [], body: [UInt8] = []) {
        self.pathParameters = pathParameters
        self.query = query
        self.headerNames = headerNames
        self.body = body
    }
}

/// An HTTP answer: a status and a JSON body.
public struct RouteAnswer: Sendable, Hashable {
    public let status: Int
    public let body: JSONValue

    public init(status: Int, body: JSONValue) {
        self.status = status
        self.body = body
    }

    /// Every error answers `{"code": "<gRPC status name>", "message": "..."}`: the shape of the
    /// shop's `Problem`, and the status a forwarded call ended with.
    public static func problem(_ status: Int, code: RPCStatus, _ message: String) -> RouteAnswer {
        RouteAnswer(status: status, body: ["code": .string(code.name), "message": .string(message)])
    }

    /// An operation the OpenAPI document declares and the behaviour does not list.
    public static func unimplemented(_ route: String) -> RouteAnswer {
        problem(501, code: .unimplemented, "\(route) is not implemented by this reference service")
    }
}

/// One REST operation of a reference service, without I/O: checks a request against the
/// operation (required parameters, the JSON body's `required` members), turns it into a request
/// object, and turns a store plan or a forwarded call's result into an answer.
public struct RouteHandler: Sendable {
    public let behaviour: RouteBehaviour
    private let requiredParameters: [(name: String, place: OpenAPIParameter.Place)]
    private let bodyRequired: Bool
    private let requiredMembers: [String]
    /// Forward, or a store handler built once (a list filters on the path and query parameters).
    private enum Action {
        case forward(service: String, method: MethodDescriptor)
        case store(StoreHandler)
    }

    private let action: Action

    public init(behaviour: RouteBehaviour, schemas: SchemaSet) {
        self.behaviour = behaviour
        let operation = behaviour.operation
        requiredParameters = operation.parameters.filter { $0.required && $0.place != .cookie }
            .map { ($0.name, $0.place) }
        bodyRequired = operation.requestBody?.required ?? false
        if let schema = operation.requestBody?.content.schema(for: "application/json") {
            requiredMembers = SchemaShape.jsonObject(schema, in: schemas, name: behaviour.route).fields
                .filter(\.isRequired).map(\.name)
        } else {
            requiredMembers = []
        }
        switch behaviour.handling {
        case .forward(let service, let method):
            action = .forward(service: service, method: method)
        case .store(let handling):
            let filters = handling.action == .list
                ? operation.parameters.filter { $0.place == .path || $0.place == .query }.map(\.name) : []
            action = .store(StoreHandler(handling: handling, filters: filters))
        }
    }

    /// The answer to a request, or for a forwarding route the call to make.
    public func handle(_ input: RouteRequest, in store: inout RecordStore) -> RouteResult {
        let request: JSONValue
        switch self.request(input) {
        case .success(let object): request = object
        case .failure(let rejection): return .answered(answer(rejection), change: nil, events: [])
        }
        switch action {
        case .forward(let service, let method):
            return .forward(service: service, method: method, request: request)
        case .store(let handler):
            let plan = handler.plan(request, in: &store)
            return .answered(answer(plan, handling: handler.handling), change: plan.change, events: plan.events)
        }
    }

    /// The request as one JSON object: the body's members, then query items, then path
    /// parameters (a parameter wins over a body member of the same name); or why it is invalid.
    func request(_ input: RouteRequest) -> Result<JSONValue, RouteRejection> {
        for (name, place) in requiredParameters {
            let present = switch place {
            case .path: input.pathParameters[name].map { !$0.isEmpty } ?? false
            case .query: input.query.contains { $0.name == name }
            case .header: input.headerNames.contains { $0.lowercased() == name.lowercased() }
            case .cookie: true
            }
            if !present { return .failure(RouteRejection("missing required \(place.rawValue) parameter \(name)")) }
        }
        var members: [String: JSONValue] = [:]
        if input.body.isEmpty {
            if bodyRequired { return .failure(RouteRejection("the request body is required")) }
        } else {
            let body: JSONValue
            do {
                body = try JSONParser.parse(input.body)
            } catch {
                return .failure(RouteRejection("malformed JSON body: \(error.description)"))
            }
            guard case .object(let object) = body else {
                return .failure(RouteRejection("expected a JSON object as the body, found \(body.typeName)"))
            }
            let absent = requiredMembers.filter { object[$0] == nil }
            guard absent.isEmpty else {
                let noun = absent.count == 1 ? "member" : "members"
                return .failure(RouteRejection("the body lacks required \(noun) \(absent.joined(separator: ", "))"))
            }
            members = object
        }
        for item in input.query { members[item.name] = .string(item.value) }
        for (name, value) in input.pathParameters { members[name] = .string(value) }
        return .success(.object(members))
    }

    /// The answer to an invalid request.
    public func answer(_ rejection: RouteRejection) -> RouteAnswer {
        .problem(behaviour.invalid, code: .invalidArgument, rejection.message)
    }

    /// The answer to a store plan: the record (or `{record: ...}`), a list of them, or a problem.
    private func answer(_ plan: StorePlan, handling: StoreHandling) -> RouteAnswer {
        switch plan.outcome {
        case .missing: return .problem(behaviour.missing, code: .notFound, plan.message)
        case .invalid: return .problem(behaviour.invalid, code: .invalidArgument, plan.message)
        case .ok: break
        }
        let records = plan.records.map(JSONValue.object)
        let body = handling.action == .list ? JSONValue.array(records) : records.first ?? [:]
        return RouteAnswer(status: behaviour.status, body: handling.record.map { [$0: body] } ?? body)
    }

    /// The answer to a forwarded call: its response (proto3 JSON with proto field names; a list
    /// for a server-streaming method) with the route's status, or its gRPC status mapped to HTTP.
    public func answer(forwarded status: RPCStatus, message: String, response: JSONValue) -> RouteAnswer {
        switch status {
        case .ok: RouteAnswer(status: behaviour.status, body: response)
        case .notFound: .problem(behaviour.missing, code: status, message)
        case .invalidArgument: .problem(behaviour.invalid, code: status, message)
        default: .problem(Self.httpStatus(for: status), code: status, message)
        }
    }

    /// How a gateway maps the other gRPC statuses: ALREADY_EXISTS 409, UNAVAILABLE 503, the rest 500.
    public static func httpStatus(for status: RPCStatus) -> Int {
        switch status {
        case .ok: 200
        case .notFound: 404
        case .invalidArgument: 400
        case .alreadyExists: 409
        case .unavailable: 503
        default: 500
        }
    }
}

/// What a route does with a request.
public enum RouteResult: Sendable {
    /// Answered from the store (or refused); the change is made once the events are published.
    case answered(RouteAnswer, change: RecordChange?, events: [PlannedEvent])
    /// Call `method` of `service` with `request` (proto3 JSON); `answer(forwarded:...)` answers.
    case forward(service: String, method: MethodDescriptor, request: JSONValue)
}

/// Why a route refused a request before doing anything.
public struct RouteRejection: Error, Sendable, Hashable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}
