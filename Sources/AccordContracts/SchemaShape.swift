import AccordDocuments
import AccordProto

/// One schema model over protobuf messages, JSON Schema objects and a consumer's inline `reads`:
/// an object with named fields. Every check compares shapes, whatever the schemas were written in.
public struct SchemaShape: Sendable, Hashable {
    public enum Origin: String, Sendable, Hashable {
        /// A protobuf message: fields match by proto name or JSON name; numbers are the wire identity.
        case protobuf
        /// A JSON Schema object: members match by exact name.
        case jsonSchema
        /// A consumer's inline `reads`/`sends` declaration.
        case inline
    }

    /// Unique within one schema: a message's full name, a schema's `file#pointer`. Recursive
    /// types refer back to an enclosing shape by this id (`ShapeType.recursive`).
    public let id: String
    /// For messages: `shop.orders.v1.Order`, `Order` (a JSON Schema component), `reads`.
    public let name: String
    public let origin: Origin
    public let location: SourceLocation?
    public let fields: [ShapeField]
    /// False when the object admits no members beyond `fields` (`additionalProperties: false`).
    public let isOpen: Bool
    /// protobuf: numbers and names of removed fields.
    public let reservedNumbers: [ReservedNumbers]
    public let reservedNames: [ReservedName]

    public init(id: String, name: String, origin: Origin, location: SourceLocation?, fields: [ShapeField],
                isOpen: Bool = true, reservedNumbers: [ReservedNumbers] = [], reservedNames: [ReservedName] = []) {
        self.id = id
        self.name = name
        self.origin = origin
        self.location = location
        self.fields = fields
        self.isOpen = isOpen
        self.reservedNumbers = reservedNumbers
        self.reservedNames = reservedNames
    }

    /// The field `name` names: for protobuf, its proto name or JSON name; otherwise the exact name.
    public func field(named name: String) -> ShapeField? {
        fields.first { $0.name == name } ?? (origin == .protobuf ? fields.first { $0.jsonName == name } : nil)
    }

    public func field(number: Int32) -> ShapeField? {
        fields.first { $0.wire?.number == number }
    }

    /// The names a consumer could have meant: proto and JSON names for protobuf.
    var candidateNames: [String] {
        fields.flatMap { origin == .protobuf && $0.jsonName != $0.name ? [$0.name, $0.jsonName] : [$0.name] }
    }

    public func isReserved(_ number: Int32) -> ReservedNumbers? {
        reservedNumbers.first { $0.range.contains(number) }
    }
}

public struct ShapeField: Sendable, Hashable {
    /// protobuf wire facts of a field, for comparing two copies of one message.
    public struct Wire: Sendable, Hashable {
        public let number: Int32
        /// The proto type as written: `int64`, `sint64`, `string`, `message`, `enum`.
        public let type: ProtoFieldType
        /// The message or enum type's full name.
        public let typeName: String?
        public let label: ProtoFieldLabel

        public init(number: Int32, type: ProtoFieldType, typeName: String?, label: ProtoFieldLabel) {
            self.number = number
            self.type = type
            self.typeName = typeName
            self.label = label
        }

        /// `int64`, `repeated shop.orders.v1.LineItem`, `map<string, int64>` is shown by its entry type.
        public var declaration: String {
            let base = type == .message || type == .enumeration || type == .group ? (typeName ?? type.rawValue)
                : type.rawValue
            return label == .optional ? base : "\(label.rawValue) \(base)"
        }
    }

    public let name: String
    /// proto3 JSON name (`userId`, or the `json_name` option); equals `name` elsewhere.
    public let jsonName: String
    public let type: ShapeType
    /// nil when the declaration does not say (the intermediate segments of an inline dotted path).
    public let isRepeated: Bool?
    /// Required in requests: JSON Schema `required`, proto2 `required`, or the contract's `grpc.required`.
    public let isRequired: Bool
    public let wire: Wire?
    public let location: SourceLocation?

    public init(name: String, jsonName: String? = nil, type: ShapeType, isRepeated: Bool?, isRequired: Bool = false,
                wire: Wire? = nil, location: SourceLocation?) {
        self.name = name
        self.jsonName = jsonName ?? name
        self.type = type
        self.isRepeated = isRepeated
        self.isRequired = isRequired
        self.wire = wire
        self.location = location
    }

    /// `user_email`, or `user_email (JSON "email")` when a `json_name` option renamed it.
    var displayName: String {
        jsonName == name || jsonName == Self.lowerCamelCase(name) ? name : "\(name) (JSON \"\(jsonName)\")"
    }

    /// protoc's default JSON name: `user_email` -> `userEmail`.
    static func lowerCamelCase(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else {
                result += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return result
    }
}

/// How many nested objects one shape may expand: a schema whose types each use the next one
/// several times would otherwise expand exponentially. Beyond it, nested objects are `.any`.
final class ShapeBudget {
    private var remaining: Int

    init(objects: Int = 10_000) {
        remaining = objects
    }

    /// Takes one object from the budget; false once it is spent.
    func spend() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }
}

/// The type of a field's value (of each element, for repeated fields).
public indirect enum ShapeType: Sendable, Hashable, CustomStringConvertible {
    public enum IntegerWidth: String, Sendable, Hashable {
        case int32, int64, uint32, uint64
    }

    public enum FloatWidth: String, Sendable, Hashable {
        case float, double
    }

    case string
    case bytes
    case bool
    /// nil width: any integer (JSON Schema `integer`, inline `integer`).
    case integer(IntegerWidth?)
    /// nil width: any number (JSON Schema `number`, inline `number`).
    case number(FloatWidth?)
    case timestamp
    case duration
    case enumeration(EnumShape)
    case object(SchemaShape)
    /// An object with arbitrary keys, all holding `value`.
    case map(ShapeType)
    /// The enclosing shape with this id (recursive messages and schemas).
    case recursive(id: String, name: String)
    /// Anything (`google.protobuf.Value`, a schema without a type, inline `any`).
    case any

    public var description: String {
        switch self {
        case .string: "string"
        case .bytes: "bytes"
        case .bool: "bool"
        case .integer(let width): width?.rawValue ?? "integer"
        case .number(let width): width?.rawValue ?? "number"
        case .timestamp: "timestamp"
        case .duration: "duration"
        case .enumeration(let e): "enum \(e.name)"
        case .object(let shape): shape.origin == .inline ? "object" : "object \(shape.name)"
        case .map(let value): "map of \(value)"
        case .recursive(_, let name): "object \(name)"
        case .any: "any"
        }
    }
}

public struct EnumShape: Sendable, Hashable {
    public struct Value: Sendable, Hashable {
        public let name: String
        /// The protobuf number; nil for JSON Schema and inline values.
        public let number: Int32?
        public let location: SourceLocation?

        public init(name: String, number: Int32? = nil, location: SourceLocation? = nil) {
            self.name = name
            self.number = number
            self.location = location
        }
    }

    /// `shop.orders.v1.OrderStatus`; for JSON Schema and inline enums, the field's name.
    public let name: String
    /// Empty for an inline `enum` that lists no values (any value is accepted).
    public let values: [Value]
    public let location: SourceLocation?

    public init(name: String, values: [Value], location: SourceLocation?) {
        self.name = name
        self.values = values
        self.location = location
    }
}
