/// The value of one field of a `DynamicMessage`. The field's declared type says how it is
/// encoded: `.int32` holds int32, sint32 and sfixed32 fields alike.
public enum ProtoValue: Sendable, Hashable {
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case uint32(UInt32)
    case uint64(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    /// An enum value by number; numbers the enum does not declare are kept as they are.
    case enumNumber(Int32)
    indirect case message(DynamicMessage)
    case list([ProtoValue])
    case map([ProtoValue: ProtoValue])

    /// Floating-point values compare by bit pattern, so NaN equals itself and -0.0 differs from
    /// 0.0, as their encodings do: a message equals its own round trip.
    public static func == (a: ProtoValue, b: ProtoValue) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): x == y
        case (.int32(let x), .int32(let y)): x == y
        case (.int64(let x), .int64(let y)): x == y
        case (.uint32(let x), .uint32(let y)): x == y
        case (.uint64(let x), .uint64(let y)): x == y
        case (.float(let x), .float(let y)): x.bitPattern == y.bitPattern
        case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): x == y
        case (.bytes(let x), .bytes(let y)): x == y
        case (.enumNumber(let x), .enumNumber(let y)): x == y
        case (.message(let x), .message(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x == y
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let v): hasher.combine(v)
        case .int32(let v): hasher.combine(v)
        case .int64(let v): hasher.combine(v)
        case .uint32(let v): hasher.combine(v)
        case .uint64(let v): hasher.combine(v)
        case .float(let v): hasher.combine(v.bitPattern)
        case .double(let v): hasher.combine(v.bitPattern)
        case .string(let v): hasher.combine(v)
        case .bytes(let v): hasher.combine(v)
        case .enumNumber(let v): hasher.combine(v)
        case .message(let v): hasher.combine(v)
        case .list(let v): hasher.combine(v)
        case .map(let v): hasher.combine(v)
        }
    }

    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var bytesValue: [UInt8]? { if case .bytes(let v) = self { v } else { nil } }
    public var messageValue: DynamicMessage? { if case .message(let v) = self { v } else { nil } }
    public var listValue: [ProtoValue]? { if case .list(let v) = self { v } else { nil } }
    public var mapValue: [ProtoValue: ProtoValue]? { if case .map(let v) = self { v } else { nil } }

    /// Any integer kind (incl. enum numbers) as Int64, when it fits.
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): Int64(v)
        case .int64(let v): v
        case .uint32(let v): Int64(v)
        case .uint64(let v): Int64(exactly: v)
        case .enumNumber(let v): Int64(v)
        default: nil
        }
    }

    /// Any number kind as Double (64-bit integers may round).
    public var doubleValue: Double? {
        switch self {
        case .float(let v): Double(v)
        case .double(let v): v
        case .uint64(let v): Double(v)
        default: int64Value.map(Double.init)
        }
    }

    /// The kind of value `type` holds, for error messages.
    var kindName: String {
        switch self {
        case .bool: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .float: "float"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .enumNumber: "enum"
        case .message(let m): m.descriptor.fullName
        case .list: "list"
        case .map: "map"
        }
    }

    /// The zero value of a singular field of `type` (messages have none).
    static func defaultValue(for type: ProtoFieldType) -> ProtoValue? {
        switch type {
        case .bool: .bool(false)
        case .int32, .sint32, .sfixed32: .int32(0)
        case .int64, .sint64, .sfixed64: .int64(0)
        case .uint32, .fixed32: .uint32(0)
        case .uint64, .fixed64: .uint64(0)
        case .float: .float(0)
        case .double: .double(0)
        case .string: .string("")
        case .bytes: .bytes([])
        case .enumeration: .enumNumber(0)
        case .message, .group: nil
        }
    }

    /// Whether this is the zero value proto3 does not write for fields without presence.
    /// Negative zero is not: it has a distinct bit pattern and is written.
    var isDefault: Bool {
        switch self {
        case .bool(let v): !v
        case .int32(let v): v == 0
        case .int64(let v): v == 0
        case .uint32(let v): v == 0
        case .uint64(let v): v == 0
        case .float(let v): v.bitPattern == 0
        case .double(let v): v.bitPattern == 0
        case .string(let v): v.isEmpty
        case .bytes(let v): v.isEmpty
        case .enumNumber(let v): v == 0
        case .message: false
        case .list(let v): v.isEmpty
        case .map(let v): v.isEmpty
        }
    }

    /// Whether the value can be stored in a singular field of `type`.
    func fits(_ type: ProtoFieldType, message: String?) -> Bool {
        switch (self, type) {
        case (.bool, .bool), (.string, .string), (.bytes, .bytes), (.float, .float), (.double, .double),
             (.enumNumber, .enumeration):
            true
        case (.int32, .int32), (.int32, .sint32), (.int32, .sfixed32),
             (.int64, .int64), (.int64, .sint64), (.int64, .sfixed64),
             (.uint32, .uint32), (.uint32, .fixed32), (.uint64, .uint64), (.uint64, .fixed64):
            true
        case (.message(let m), .message):
            m.descriptor.fullName == message
        default:
            false
        }
    }
}
