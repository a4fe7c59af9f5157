import AccordJSON
import Synchronization

/// Values taken from recent successful responses, for `${entry.path}` placeholders: per reference
/// (`create.order.id`) a ring of the latest `capacity` values, shared by every worker. A request
/// takes one of them at random, so reads spread over recently created records.
public final class CapturedValues: Sendable {
    /// Enough to spread reads over recent records; small enough that the values stay recent.
    public static let capacity = 64

    private struct Ring {
        var values: [JSONValue] = []
        var next = 0

        mutating func insert(_ value: JSONValue) {
            if values.count < CapturedValues.capacity {
                values.append(value)
            } else {
                values[next] = value
            }
            next = (next + 1) % CapturedValues.capacity
        }
    }

    private let rings = Mutex<[String: Ring]>([:])

    public init() {}

    public func record(_ value: JSONValue, for reference: String) {
        rings.withLock { $0[reference, default: Ring()].insert(value) }
    }

    /// One of the recent values of `reference`, or nil before the first capture.
    public func pick(_ reference: String) -> JSONValue? {
        rings.withLock { rings in
            guard let values = rings[reference]?.values, !values.isEmpty else { return nil }
            return values[Int.random(in: 0..<values.count)]
        }
    }

    /// How many values `reference` holds now (at most `capacity`).
    public func count(_ reference: String) -> Int {
        rings.withLock { $0[reference]?.values.count ?? 0 }
    }
}

/// What one mix entry captures from its successful responses: for each reference that some
/// template uses, the path of the value in the response (as proto3 JSON with proto field names,
/// or the JSON body).
public struct CaptureRule: Sendable, Hashable {
    /// `create.order.id`: what templates write.
    public let reference: String
    /// `["order", "id"]`: where the value is in the response.
    public let path: [String]

    public init(reference: String, path: [String]) {
        self.reference = reference
        self.path = path
    }

    /// The value at `path` in `response`; through a list it takes the first element.
    public func value(in response: JSONValue) -> JSONValue? {
        var current = response
        for segment in path {
            if case .array(let items) = current, let first = items.first { current = first }
            guard case .object(let members) = current, let next = members[segment] else { return nil }
            current = next
        }
        return current
    }
}

extension CapturedValues {
    /// Records every rule's value found in `response`.
    public func capture(_ rules: [CaptureRule], from response: JSONValue) {
        for rule in rules {
            if let value = rule.value(in: response) { record(value, for: rule.reference) }
        }
    }
}
