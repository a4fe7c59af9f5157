import AccordDocuments

public enum ProtoFieldType: String, Sendable, Hashable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes
    case uint32, enumeration = "enum", sfixed32, sfixed64, sint32, sint64
}

/// The label protoc records; proto3 `optional` is `.optional` with `isProto3Optional`.
public enum ProtoFieldLabel: String, Sendable, Hashable {
    case optional, required, repeated
}

public struct MessageDescriptor: Sendable, Hashable, CustomStringConvertible {
    let storage: SchemaStorage
    let index: Int

    var info: MessageInfo { storage.messages[index] }

    public var fullName: String { info.fullName }
    public var name: String { info.name }
    /// The .proto file (as protoc names it) that declares the message.
    public var file: String { info.file }
    public var location: SourceLocation? { info.location }
    /// Fields in field-number order.
    public var fields: [FieldDescriptor] {
        info.fields.indices.map { FieldDescriptor(storage: storage, message: index, index: $0) }
    }
    public var isMapEntry: Bool { info.isMapEntry }
    /// Field numbers the message reserves (`reserved 8, 10 to 12;`): numbers of removed fields.
    public var reservedNumbers: [ReservedNumbers] { info.reservedNumbers }
    /// Field names the message reserves (`reserved "coupon_code";`).
    public var reservedNames: [ReservedName] { info.reservedNames }
    /// Real oneofs only (not the synthetic ones behind proto3 `optional`).
    public var oneofNames: [String] { info.oneofs.filter { !$0.isSynthetic }.map(\.name) }
    public var description: String { fullName }

    /// A field by its proto name or its JSON name.
    public func field(named name: String) -> FieldDescriptor? {
        info.fieldNames[name].map { FieldDescriptor(storage: storage, message: index, index: $0) }
    }

    public func field(number: Int32) -> FieldDescriptor? {
        info.fieldIndex(number: number).map { FieldDescriptor(storage: storage, message: index, index: $0) }
    }

    public static func == (a: MessageDescriptor, b: MessageDescriptor) -> Bool {
        a.storage === b.storage && a.index == b.index
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(storage))
        hasher.combine(index)
    }
}

public struct FieldDescriptor: Sendable, Hashable, CustomStringConvertible {
    let storage: SchemaStorage
    let message: Int
    let index: Int

    var info: FieldInfo { storage.messages[message].fields[index] }

    public var name: String { info.name }
    public var number: Int32 { info.number }
    public var jsonName: String { info.jsonName }
    public var type: ProtoFieldType { info.type }
    public var label: ProtoFieldLabel { info.label }
    public var isRepeated: Bool { info.isRepeated }
    public var isProto3Optional: Bool { info.isProto3Optional }
    /// Whether "set to the default" differs from "unset" (messages, oneof members, `optional`).
    public var hasPresence: Bool { info.hasPresence }
    public var isPacked: Bool { info.isPacked }
    public var isMap: Bool { info.isMap }
    /// The real oneof the field belongs to (nil for plain fields and proto3 `optional`).
    public var oneofName: String? {
        guard let oneof = info.oneofIndex else { return nil }
        let decl = storage.messages[message].oneofs[oneof]
        return decl.isSynthetic ? nil : decl.name
    }
    /// Full name of the message or enum type, for message and enum fields.
    public var typeName: String? { info.typeName }
    public var messageType: MessageDescriptor? {
        info.messageIndex.map { MessageDescriptor(storage: storage, index: $0) }
    }
    public var enumType: EnumDescriptor? { info.enumIndex.map { EnumDescriptor(storage: storage, index: $0) } }
    /// For map fields, the entry's key and value fields.
    public var mapKey: FieldDescriptor? { isMap ? messageType?.field(number: 1) : nil }
    public var mapValue: FieldDescriptor? { isMap ? messageType?.field(number: 2) : nil }
    public var containingMessage: MessageDescriptor { MessageDescriptor(storage: storage, index: message) }
    public var location: SourceLocation? { info.location }
    public var description: String { "\(storage.messages[message].fullName).\(name)" }

    public static func == (a: FieldDescriptor, b: FieldDescriptor) -> Bool {
        a.storage === b.storage && a.message == b.message && a.index == b.index
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(storage))
        hasher.combine(message)
        hasher.combine(index)
    }
}

/// A `reserved` range of field numbers, both ends included.
public struct ReservedNumbers: Sendable, Hashable {
    public let range: ClosedRange<Int32>
    public let location: SourceLocation?

    public init(range: ClosedRange<Int32>, location: SourceLocation?) {
        self.range = range
        self.location = location
    }
}

public struct ReservedName: Sendable, Hashable {
    public let name: String
    public let location: SourceLocation?

    public init(name: String, location: SourceLocation?) {
        self.name = name
        self.location = location
    }
}

public struct EnumValueDescriptor: Sendable, Hashable {
    public let name: String
    public let number: Int32
    public let location: SourceLocation?
}

public struct EnumDescriptor: Sendable, Hashable, CustomStringConvertible {
    let storage: SchemaStorage
    let index: Int

    var info: EnumInfo { storage.enums[index] }

    public var fullName: String { info.fullName }
    public var name: String { info.name }
    public var file: String { info.file }
    public var location: SourceLocation? { info.location }
    public var values: [EnumValueDescriptor] { info.values }
    public var description: String { fullName }

    /// The first name declared for `number` (aliases share a number).
    public func name(of number: Int32) -> String? { info.numberToName[number] }
    public func number(of name: String) -> Int32? { info.nameToNumber[name] }

    public static func == (a: EnumDescriptor, b: EnumDescriptor) -> Bool {
        a.storage === b.storage && a.index == b.index
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(storage))
        hasher.combine(index)
    }
}

public struct ServiceDescriptor: Sendable, CustomStringConvertible {
    let storage: SchemaStorage
    let index: Int

    var info: ServiceInfo { storage.services[index] }

    public var fullName: String { info.fullName }
    public var name: String { info.name }
    public var file: String { info.file }
    public var location: SourceLocation? { info.location }
    public var methods: [MethodDescriptor] {
        info.methods.indices.map { MethodDescriptor(storage: storage, service: index, index: $0) }
    }
    public var description: String { fullName }

    public func method(named name: String) -> MethodDescriptor? {
        info.methods.firstIndex { $0.name == name }
            .map { MethodDescriptor(storage: storage, service: index, index: $0) }
    }
}

public struct MethodDescriptor: Sendable, CustomStringConvertible {
    let storage: SchemaStorage
    let service: Int
    let index: Int

    var info: MethodInfo { storage.services[service].methods[index] }

    public var name: String { info.name }
    public var serviceName: String { storage.services[service].fullName }
    /// The HTTP/2 `:path` of the method: `/pkg.Service/Method`.
    public var path: String { "/\(serviceName)/\(name)" }
    public var inputType: MessageDescriptor { MessageDescriptor(storage: storage, index: info.inputIndex) }
    public var outputType: MessageDescriptor { MessageDescriptor(storage: storage, index: info.outputIndex) }
    public var clientStreaming: Bool { info.clientStreaming }
    public var serverStreaming: Bool { info.serverStreaming }
    public var location: SourceLocation? { info.location }
    public var description: String { path }
}
