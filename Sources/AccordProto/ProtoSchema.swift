import AccordDocuments
import SwiftProtobuf

/// The messages, enums and services of a set of compiled .proto files, looked up by full name
/// (`shop.orders.v1.OrderService`, no leading dot). Immutable and cheap to share.
public struct ProtoSchema: Sendable {
    let storage: SchemaStorage

    init(storage: SchemaStorage) { self.storage = storage }

    /// Compiles `files` with protoc (see `ProtoCompiler`) and indexes the result.
    public static func compile(files: [String], importPaths: [String],
                               compiler: ProtoCompiler = ProtoCompiler()) throws(ProtoCompileError) -> ProtoSchema {
        let set = try compiler.compile(files: files, importPaths: importPaths)
        var diskPaths: [String: String] = [:]
        for file in set.file {
            if let path = ProtoDiagnostic.diskPath(file.name, importPaths) { diskPaths[file.name] = path }
        }
        return try ProtoSchema(descriptorSet: set, diskPaths: diskPaths)
    }

    /// Indexes a descriptor set that holds every file its files import (`--include_imports`).
    /// `diskPaths` maps file names, as protoc records them, to paths for source locations.
    public init(descriptorSet: Google_Protobuf_FileDescriptorSet,
                diskPaths: [String: String] = [:]) throws(ProtoCompileError) {
        var builder = SchemaBuilder(set: descriptorSet, diskPaths: diskPaths)
        storage = try builder.build()
    }

    public func message(named fullName: String) -> MessageDescriptor? {
        storage.messageIndex[Self.trimmed(fullName)].map { MessageDescriptor(storage: storage, index: $0) }
    }

    public func enumType(named fullName: String) -> EnumDescriptor? {
        storage.enumIndex[Self.trimmed(fullName)].map { EnumDescriptor(storage: storage, index: $0) }
    }

    public func service(named fullName: String) -> ServiceDescriptor? {
        storage.serviceIndex[Self.trimmed(fullName)].map { ServiceDescriptor(storage: storage, index: $0) }
    }

    /// The method a gRPC path (`/pkg.Service/Method`) names.
    public func method(path: String) -> MethodDescriptor? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2, let service = service(named: String(parts[0])) else { return nil }
        return service.method(named: String(parts[1]))
    }

    public var messages: [MessageDescriptor] {
        storage.messages.indices.map { MessageDescriptor(storage: storage, index: $0) }
    }

    public var enums: [EnumDescriptor] {
        storage.enums.indices.map { EnumDescriptor(storage: storage, index: $0) }
    }

    public var services: [ServiceDescriptor] {
        storage.services.indices.map { ServiceDescriptor(storage: storage, index: $0) }
    }

    /// The message an `Any` type URL (`type.googleapis.com/pkg.Message`) names.
    public func message(typeURL: String) -> MessageDescriptor? {
        guard let slash = typeURL.lastIndex(of: "/") else { return nil }
        return message(named: String(typeURL[typeURL.index(after: slash)...]))
    }

    private static func trimmed(_ name: String) -> String {
        name.hasPrefix(".") ? String(name.dropFirst()) : name
    }
}

/// The shared, immutable tables behind every descriptor of one schema. Descriptors are small
/// values (this storage plus an index), which keeps recursive message types free of cycles.
final class SchemaStorage: Sendable {
    let messages: [MessageInfo]
    let enums: [EnumInfo]
    let services: [ServiceInfo]
    let messageIndex: [String: Int]
    let enumIndex: [String: Int]
    let serviceIndex: [String: Int]

    init(messages: [MessageInfo], enums: [EnumInfo], services: [ServiceInfo],
         messageIndex: [String: Int], enumIndex: [String: Int], serviceIndex: [String: Int]) {
        self.messages = messages
        self.enums = enums
        self.services = services
        self.messageIndex = messageIndex
        self.enumIndex = enumIndex
        self.serviceIndex = serviceIndex
    }
}

/// The well-known types whose JSON form is special (`Empty` is not: it is an ordinary `{}`).
enum WellKnownType: Sendable {
    case any, timestamp, duration, fieldMask, structValue, value, listValue
    case doubleValue, floatValue, int64Value, uint64Value, int32Value, uint32Value, boolValue, stringValue, bytesValue

    init?(fullName: String) {
        switch fullName {
        case "google.protobuf.Any": self = .any
        case "google.protobuf.Timestamp": self = .timestamp
        case "google.protobuf.Duration": self = .duration
        case "google.protobuf.FieldMask": self = .fieldMask
        case "google.protobuf.Struct": self = .structValue
        case "google.protobuf.Value": self = .value
        case "google.protobuf.ListValue": self = .listValue
        case "google.protobuf.DoubleValue": self = .doubleValue
        case "google.protobuf.FloatValue": self = .floatValue
        case "google.protobuf.Int64Value": self = .int64Value
        case "google.protobuf.UInt64Value": self = .uint64Value
        case "google.protobuf.Int32Value": self = .int32Value
        case "google.protobuf.UInt32Value": self = .uint32Value
        case "google.protobuf.BoolValue": self = .boolValue
        case "google.protobuf.StringValue": self = .stringValue
        case "google.protobuf.BytesValue": self = .bytesValue
        default: return nil
        }
    }
}

/// Classes rather than structs: the codecs read them on every field, and a class reference is
/// one retain where a struct of strings and arrays is a dozen.
final class MessageInfo: Sendable {
    let fullName: String
    let name: String
    let file: String
    let location: SourceLocation?
    /// Fields in field-number order, the order they are written in.
    let fields: [FieldInfo]
    let oneofs: [OneofInfo]
    let isMapEntry: Bool
    let reservedNumbers: [ReservedNumbers]
    let reservedNames: [ReservedName]
    let wellKnown: WellKnownType?
    /// Field number -> index in `fields`, dense for the usual small numbers, else hashed.
    let denseNumbers: [Int32]
    let sparseNumbers: [Int32: Int]
    /// Proto name and JSON name -> index in `fields`.
    let fieldNames: [String: Int]

    init(fullName: String, name: String, file: String, location: SourceLocation?, fields: [FieldInfo],
         oneofs: [OneofInfo], isMapEntry: Bool, reservedNumbers: [ReservedNumbers], reservedNames: [ReservedName],
         wellKnown: WellKnownType?, denseNumbers: [Int32], sparseNumbers: [Int32: Int], fieldNames: [String: Int]) {
        self.fullName = fullName
        self.name = name
        self.file = file
        self.location = location
        self.fields = fields
        self.oneofs = oneofs
        self.isMapEntry = isMapEntry
        self.reservedNumbers = reservedNumbers
        self.reservedNames = reservedNames
        self.wellKnown = wellKnown
        self.denseNumbers = denseNumbers
        self.sparseNumbers = sparseNumbers
        self.fieldNames = fieldNames
    }

    @inline(__always)
    func fieldIndex(number: Int32) -> Int? {
        if number >= 0, Int(number) < denseNumbers.count {
            let index = denseNumbers[Int(number)]
            return index >= 0 ? Int(index) : nil
        }
        return sparseNumbers[number]
    }
}

struct OneofInfo: Sendable {
    let name: String
    /// The one-field oneof protoc makes for a proto3 `optional` field.
    let isSynthetic: Bool
    var fieldIndices: [Int]
}

final class FieldInfo: Sendable {
    let name: String
    let jsonName: String
    let number: Int32
    let type: ProtoFieldType
    let label: ProtoFieldLabel
    let isProto3Optional: Bool
    let hasPresence: Bool
    /// Written packed (proto3 scalars unless `[packed = false]`; proto2 when `[packed = true]`).
    let isPacked: Bool
    let oneofIndex: Int?
    /// Full name (no leading dot) of the message or enum type.
    let typeName: String?
    let messageIndex: Int?
    let enumIndex: Int?
    let isMap: Bool
    let location: SourceLocation?
    let isRepeated: Bool
    /// The wire type of one unpacked value.
    let wireType: UInt8

    init(name: String, jsonName: String, number: Int32, type: ProtoFieldType, label: ProtoFieldLabel,
         isProto3Optional: Bool, hasPresence: Bool, isPacked: Bool, oneofIndex: Int?, typeName: String?,
         messageIndex: Int?, enumIndex: Int?, isMap: Bool, location: SourceLocation?) {
        self.name = name
        self.jsonName = jsonName
        self.number = number
        self.type = type
        self.label = label
        self.isProto3Optional = isProto3Optional
        self.hasPresence = hasPresence
        self.isPacked = isPacked
        self.oneofIndex = oneofIndex
        self.typeName = typeName
        self.messageIndex = messageIndex
        self.enumIndex = enumIndex
        self.isMap = isMap
        self.location = location
        isRepeated = label == .repeated
        wireType = WireType.of(type)
    }
}

struct EnumInfo: Sendable {
    let fullName: String
    let name: String
    let file: String
    let location: SourceLocation?
    let values: [EnumValueDescriptor]
    let numberToName: [Int32: String]
    let nameToNumber: [String: Int32]
}

struct ServiceInfo: Sendable {
    let fullName: String
    let name: String
    let file: String
    let location: SourceLocation?
    let methods: [MethodInfo]
}

struct MethodInfo: Sendable {
    let name: String
    let inputIndex: Int
    let outputIndex: Int
    let clientStreaming: Bool
    let serverStreaming: Bool
    let location: SourceLocation?
}
