/// A JSON document as a value. Numbers keep their literal text so 64-bit integers and
/// decimals survive a round trip exactly (proto3 JSON, schema bounds, reports).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// The JSON type name, as JSON Schema's `type` keyword spells it.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n.isInteger ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }
}

/// A JSON number, stored as its literal text (already validated by the parser or made
/// from a Swift number).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public let literal: String

    /// Trusts `literal` to be a JSON number; use `JSONParser` for untrusted text.
    public init(literal: String) { self.literal = literal }
    public init<I: BinaryInteger>(_ value: I) { literal = String(value) }
    public init(_ value: Double) {
        // Whole doubles print without ".0", as JSON encoders do: 2.0 -> 2.
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            literal = String(Int64(value))
        } else {
            literal = "\(value)"
        }
    }

    public var description: String { literal }

    /// True when the value is a whole number (`3`, `3.0`, `3e2`), as JSON Schema counts integers.
    public var isInteger: Bool {
        if !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return true }
        guard let d = Double(literal), d.isFinite else { return false }
        return d == d.rounded()
    }

    public var doubleValue: Double { Double(literal) ?? .nan }

    /// The exact value when it is a whole number that fits, else nil.
    public var int64Value: Int64? {
        if let v = Int64(literal) { return v }
        guard isInteger, let d = Double(literal), d >= -9.223372036854775808e18, d < 9.223372036854775808e18
        else { return nil }
        return Int64(d)
    }

    public var uint64Value: UInt64? {
        if let v = UInt64(literal) { return v }
        guard isInteger, let d = Double(literal), d >= 0, d < 1.8446744073709551616e19 else { return nil }
        return UInt64(d)
    }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        if a.literal == b.literal { return true }
        if let x = Int64(a.literal), let y = Int64(b.literal) { return x == y }
        return a.doubleValue == b.doubleValue
    }

    public func hash(into hasher: inout Hasher) {
        if let i = Int64(literal) { hasher.combine(Double(i)) } else { hasher.combine(doubleValue) }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
