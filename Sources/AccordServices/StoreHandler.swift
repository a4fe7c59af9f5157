import AccordContracts
import AccordJSON

/// One RPC method's or REST route's store behaviour as a function without I/O: a request (proto3
/// JSON with proto field names, or a route's parameters and body merged) and a snapshot of the
/// store in, the records to answer with, the change to make and the events to publish out.
/// The service publishes the events first and applies the change only once the broker confirmed
/// them, so a client that sees an error may retry without creating a twin.
public struct StoreHandler: Sendable {
    public let handling: StoreHandling
    /// Dotted request paths the request must carry (`grpc.required`, proto2 `required`, a
    /// route's required parameters and body members); any absent one makes the request invalid.
    public let required: [String]
    /// `list`: request fields that records also have (`user_id` of `ListOrdersRequest` and
    /// `Order`); a request that sets one lists only the records with the same value.
    public let filters: [String]

    public init(handling: StoreHandling, required: [String] = [], filters: [String] = []) {
        self.handling = handling
        self.required = required
        self.filters = filters
    }

    /// What the request does to `store`. A create draws its record's id from the store; records
    /// change only through `RecordStore.apply` of the plan's change.
    public func plan(_ request: JSONValue, in store: inout RecordStore) -> StorePlan {
        let absent = required.filter { !request.hasValue(atPath: $0) }
        guard absent.isEmpty else {
            let noun = absent.count == 1 ? "field" : "fields"
            return .failed(.invalid, "missing required \(noun) \(absent.joined(separator: ", "))")
        }
        switch handling.action {
        case .create:
            var record = source(of: request)
            record[store.idField] = .string(store.makeID())
            for (name, value) in handling.set { record[name] = value }
            return succeeded(records: [record], change: .insert(record), request: request)
        case .list:
            // By key text: a query parameter is always a string, and a proto3 JSON int64 is one too.
            let wanted = filters.compactMap { name in RecordStore.key(request[name]).map { (name, $0) } }
            let records = store.records.filter { record in wanted.allSatisfy { RecordStore.key(record[$0.0]) == $0.1 } }
            return succeeded(records: records, change: nil, request: request)
        case .get, .update, .delete:
            let keyField = handling.key ?? store.idField
            guard let key = RecordStore.key(request[keyField]), !key.isEmpty else {
                return .failed(.invalid, "missing required field \(keyField)")
            }
            guard var record = store.record(id: key) else {
                return .failed(.missing, "\(store.name) has no record \(key)")
            }
            switch handling.action {
            case .update:
                var fields = source(of: request)
                fields[keyField] = nil
                fields[store.idField] = nil
                for (name, value) in handling.set { fields[name] = value }
                record.merge(fields) { _, new in new }
                return succeeded(records: [record], change: .merge(id: key, fields: fields), request: request)
            case .delete:
                return succeeded(records: [record], change: .remove(id: key), request: request)
            default:
                return succeeded(records: [record], change: nil, request: request)
            }
        }
    }

    /// The fields a create or update takes: the request's `record` member when it holds one
    /// (`CreateOrderRequest { Order order = 1; }`), else the request's own members.
    private func source(of request: JSONValue) -> [String: JSONValue] {
        if let record = handling.record, case .object(let members)? = request[record] { return members }
        if case .object(let members) = request { return members }
        return [:]
    }

    private func succeeded(records: [[String: JSONValue]], change: RecordChange?, request: JSONValue) -> StorePlan {
        let events = handling.publish.flatMap { spec in
            records.map { record in
                PlannedEvent(event: spec.event, fields: Self.eventFields(spec, record: record, request: request))
            }
        }
        return StorePlan(outcome: .ok, message: "", records: records, change: change, events: events)
    }

    /// The record's members, with each `fields` entry taken from its source instead: a record
    /// path, or `request.<path>`. A source that is absent leaves the event field out.
    static func eventFields(_ spec: PublishSpec, record: [String: JSONValue], request: JSONValue)
        -> [String: JSONValue]
    {
        var fields = record
        for (eventField, path) in spec.fields {
            let value = path.hasPrefix("request.")
                ? request.member(atPath: String(path.dropFirst("request.".count)))
                : JSONValue.object(record).member(atPath: path)
            fields[eventField] = value
        }
        return fields
    }
}

/// What a store handler decided.
public struct StorePlan: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case ok
        /// The key names no record (`missing:` gives the status).
        case missing
        /// The key or a required field is absent (`invalid:` gives the status).
        case invalid
    }

    public var outcome: Outcome
    /// Why it failed, for the status message or the error body.
    public var message: String
    /// The records the answer carries: one, or for `list` every record listed, in store order.
    public var records: [[String: JSONValue]]
    public var change: RecordChange?
    public var events: [PlannedEvent]

    public static func failed(_ outcome: Outcome, _ message: String) -> StorePlan {
        StorePlan(outcome: outcome, message: message, records: [], change: nil, events: [])
    }
}

/// An event to publish, its fields as JSON (proto field names for protobuf events); fields the
/// event does not declare are dropped when it is encoded.
public struct PlannedEvent: Sendable, Hashable {
    public let event: String
    public let fields: [String: JSONValue]

    public init(event: String, fields: [String: JSONValue]) {
        self.event = event
        self.fields = fields
    }
}
