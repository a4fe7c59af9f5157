import AccordContracts
import AccordJSON
import AccordProto
import AccordRPCStatus

/// One gRPC method of a reference service, without I/O: which request fields it requires, how a
/// store plan becomes response messages (proto3 JSON) and a status.
public struct RPCHandler: Sendable {
    public let behaviour: RPCBehaviour
    public let store: StoreHandler
    /// A unary `list`: the response's repeated field that holds the records.
    public let listField: String?

    /// `required` are the method's `grpc.required` paths; proto2 `required` fields of the request
    /// join them. Throws when a unary `list` has no repeated message field to answer with.
    public init(behaviour: RPCBehaviour, required: [String], location: String?) throws(ReferenceSetupError) {
        let method = behaviour.method
        let handling = behaviour.handling
        let proto2Required = method.inputType.fields.filter { $0.label == .required }.map(\.name)
        self.behaviour = behaviour
        var listField: String?
        var recordType = method.outputType
        if let record = handling.record, let type = method.outputType.field(named: record)?.messageType {
            recordType = type
        }
        if handling.action == .list && !method.serverStreaming {
            let candidates = handling.record.map { [method.outputType.field(named: $0)].compactMap { $0 } }
                ?? method.outputType.fields.filter { $0.isRepeated && !$0.isMap && $0.messageType != nil }
            guard candidates.count == 1, let field = candidates.first, field.isRepeated, let type = field.messageType
            else {
                throw ReferenceSetupError(location: location,
                    "\(method.name) lists records in a unary response: give record: naming the repeated field of "
                        + "\(method.outputType.fullName) that holds them")
            }
            listField = field.name
            recordType = type
        }
        self.listField = listField
        let filters = handling.action == .list
            ? method.inputType.fields.map(\.name).filter { recordType.field(named: $0) != nil } : []
        store = StoreHandler(handling: handling, required: required + proto2Required.filter { !required.contains($0) },
                             filters: filters)
    }

    /// The answer to one request: the plan's status (the behaviour's `missing` and `invalid`
    /// statuses for those outcomes) and, when OK, the response messages as proto3 JSON.
    public func handle(_ request: JSONValue, in store: inout RecordStore) -> RPCResult {
        let plan = self.store.plan(request, in: &store)
        switch plan.outcome {
        case .ok:
            return RPCResult(status: .ok, message: "", responses: responses(for: plan), change: plan.change,
                             events: plan.events)
        case .missing: return RPCResult(status: behaviour.missing, message: plan.message)
        case .invalid: return RPCResult(status: behaviour.invalid, message: plan.message)
        }
    }

    /// The record itself or wrapped in the `record` field; `list` streams one message per
    /// record, or fills the repeated field of a unary response.
    private func responses(for plan: StorePlan) -> [JSONValue] {
        let records = plan.records.map(JSONValue.object)
        if let listField { return [[listField: .array(records)]] }
        let wrapped = records.map { record in
            behaviour.handling.record.map { JSONValue.object([$0: record]) } ?? record
        }
        guard behaviour.handling.action == .list else { return Array(wrapped.prefix(1)) }
        return wrapped
    }
}

/// What a gRPC method answers: a status, and when it is OK the response messages (proto3 JSON),
/// the change to make to the store and the events to publish first.
public struct RPCResult: Sendable, Hashable {
    public var status: RPCStatus
    public var message: String
    public var responses: [JSONValue]
    public var change: RecordChange?
    public var events: [PlannedEvent]

    public init(status: RPCStatus, message: String, responses: [JSONValue] = [], change: RecordChange? = nil,
                events: [PlannedEvent] = []) {
        self.status = status
        self.message = message
        self.responses = responses
        self.change = change
        self.events = events
    }

    /// A method the behaviour does not list.
    public static func unimplemented(_ method: String) -> RPCResult {
        RPCResult(status: .unimplemented, message: "\(method) is not implemented by this reference service")
    }
}
