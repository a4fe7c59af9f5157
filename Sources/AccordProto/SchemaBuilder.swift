import AccordDocuments
import SwiftProtobuf

/// Turns protoc's descriptor protos into the index tables behind `ProtoSchema`, in two passes:
/// names first (types may be used before they are declared, and may be recursive), then bodies.
struct SchemaBuilder {
    private let set: Google_Protobuf_FileDescriptorSet
    private let diskPaths: [String: String]

    private var messageIndex: [String: Int] = [:]
    private var enumIndex: [String: Int] = [:]
    private var mapEntries: Set<String> = []

    init(set: Google_Protobuf_FileDescriptorSet, diskPaths: [String: String]) {
        self.set = set
        self.diskPaths = diskPaths
    }

    /// Source positions of one file, by descriptor path (e.g. [4, 0, 2, 1] = message 0, field 1).
    private struct Locations {
        let file: String
        let path: String?
        let spans: [[Int32]: [Int32]]

        func location(_ path: [Int32]) -> SourceLocation? {
            guard let span = spans[path], span.count >= 3 else { return nil }
            return SourceLocation(file: file, path: self.path, line: Int(span[0]) + 1, column: Int(span[1]) + 1)
        }
    }

    // Field numbers of the descriptor protos, as SourceCodeInfo paths use them.
    private enum Tag {
        static let fileMessage: Int32 = 4, fileEnum: Int32 = 5, fileService: Int32 = 6
        static let messageField: Int32 = 2, messageNested: Int32 = 3, messageEnum: Int32 = 4
        static let messageReservedRange: Int32 = 9, messageReservedName: Int32 = 10
        static let enumValue: Int32 = 2, serviceMethod: Int32 = 2
    }

    mutating func build() throws(ProtoCompileError) -> SchemaStorage {
        // Pass 1: every message and enum name.
        var messageCount = 0, enumCount = 0
        for file in set.file {
            let scope = file.package.isEmpty ? "" : file.package + "."
            try collectNames(file.messageType, scope: scope, messages: &messageCount, enums: &enumCount)
            try registerEnums(file.enumType, scope: scope, count: &enumCount)
        }

        // Pass 2: bodies, in the same order as pass 1 so indices line up.
        var messages: [MessageInfo] = []
        var enums: [EnumInfo] = []
        var services: [ServiceInfo] = []
        var serviceIndex: [String: Int] = [:]
        for file in set.file {
            let scope = file.package.isEmpty ? "" : file.package + "."
            var spans: [[Int32]: [Int32]] = [:]
            for location in file.sourceCodeInfo.location where spans[location.path] == nil {
                spans[location.path] = location.span
            }
            let locations = Locations(file: file.name, path: diskPaths[file.name], spans: spans)
            let proto3 = file.syntax == "proto3"
            for (i, message) in file.messageType.enumerated() {
                try buildMessage(message, scope: scope, path: [Tag.fileMessage, Int32(i)], proto3: proto3,
                                 locations: locations, messages: &messages, enums: &enums)
            }
            for (i, e) in file.enumType.enumerated() {
                enums.append(buildEnum(e, scope: scope, path: [Tag.fileEnum, Int32(i)], locations: locations))
            }
            for (i, service) in file.service.enumerated() {
                let fullName = scope + service.name
                if serviceIndex[fullName] != nil { throw .invalidSchema(reason: "service \(fullName) defined twice") }
                serviceIndex[fullName] = services.count
                services.append(try buildService(service, fullName: fullName, path: [Tag.fileService, Int32(i)],
                                                  locations: locations))
            }
        }
        return SchemaStorage(messages: messages, enums: enums, services: services,
                             messageIndex: messageIndex, enumIndex: enumIndex, serviceIndex: serviceIndex)
    }

    private mutating func collectNames(_ messages: [Google_Protobuf_DescriptorProto], scope: String,
                                       messages count: inout Int, enums: inout Int) throws(ProtoCompileError) {
        for message in messages {
            let fullName = scope + message.name
            if messageIndex[fullName] != nil { throw .invalidSchema(reason: "message \(fullName) defined twice") }
            messageIndex[fullName] = count
            count += 1
            if message.options.mapEntry { mapEntries.insert(fullName) }
            try collectNames(message.nestedType, scope: fullName + ".", messages: &count, enums: &enums)
            try registerEnums(message.enumType, scope: fullName + ".", count: &enums)
        }
    }

    private mutating func registerEnums(_ list: [Google_Protobuf_EnumDescriptorProto], scope: String,
                                        count: inout Int) throws(ProtoCompileError) {
        for e in list {
            let fullName = scope + e.name
            if enumIndex[fullName] != nil { throw .invalidSchema(reason: "enum \(fullName) defined twice") }
            enumIndex[fullName] = count
            count += 1
        }
    }

    // Appends the message, then its nested messages and enums, mirroring `collectNames`.
    private func buildMessage(_ message: Google_Protobuf_DescriptorProto, scope: String, path: [Int32], proto3: Bool,
                              locations: Locations, messages: inout [MessageInfo],
                              enums: inout [EnumInfo]) throws(ProtoCompileError) {
        let fullName = scope + message.name
        var oneofs = message.oneofDecl.map { OneofInfo(name: $0.name, isSynthetic: false, fieldIndices: []) }
        var fields: [FieldInfo] = []
        let declared = message.field.enumerated().sorted { $0.element.number < $1.element.number }
        for (declIndex, field) in declared {
            let info = try buildField(field, in: fullName, path: path + [Tag.messageField, Int32(declIndex)],
                                      proto3: proto3, locations: locations)
            if let oneof = info.oneofIndex {
                guard oneof < oneofs.count else {
                    throw .invalidSchema(reason: "\(fullName).\(field.name) names a missing oneof")
                }
                oneofs[oneof].fieldIndices.append(fields.count)
                if info.isProto3Optional {
                    oneofs[oneof] = OneofInfo(name: oneofs[oneof].name, isSynthetic: true,
                                              fieldIndices: oneofs[oneof].fieldIndices)
                }
            }
            fields.append(info)
        }

        let maxNumber = fields.last.map { Int($0.number) } ?? 0
        var dense: [Int32] = []
        var sparse: [Int32: Int] = [:]
        if maxNumber <= 4 * fields.count + 64 {
            dense = Array(repeating: -1, count: maxNumber + 1)
            for (i, f) in fields.enumerated() { dense[Int(f.number)] = Int32(i) }
        } else {
            for (i, f) in fields.enumerated() { sparse[f.number] = i }
        }
        var names: [String: Int] = [:]
        for (i, f) in fields.enumerated() {
            names[f.jsonName] = i
        }
        // Proto names win over a JSON name that happens to equal another field's proto name.
        for (i, f) in fields.enumerated() { names[f.name] = i }

        // Descriptor ranges end exclusively; `reserved 9 to max` ends at 2^29.
        let reservedNumbers = message.reservedRange.enumerated().compactMap { i, range -> ReservedNumbers? in
            guard range.end > range.start else { return nil }
            return ReservedNumbers(range: range.start...(range.end - 1),
                                   location: locations.location(path + [Tag.messageReservedRange, Int32(i)]))
        }
        let reservedNames = message.reservedName.enumerated().map { i, name in
            ReservedName(name: name, location: locations.location(path + [Tag.messageReservedName, Int32(i)]))
        }
        messages.append(MessageInfo(
            fullName: fullName, name: message.name, file: locations.file, location: locations.location(path),
            fields: fields, oneofs: oneofs, isMapEntry: message.options.mapEntry,
            reservedNumbers: reservedNumbers, reservedNames: reservedNames,
            wellKnown: WellKnownType(fullName: fullName), denseNumbers: dense, sparseNumbers: sparse,
            fieldNames: names))
        for (i, nested) in message.nestedType.enumerated() {
            try buildMessage(nested, scope: fullName + ".", path: path + [Tag.messageNested, Int32(i)],
                             proto3: proto3, locations: locations, messages: &messages, enums: &enums)
        }
        for (i, e) in message.enumType.enumerated() {
            enums.append(buildEnum(e, scope: fullName + ".", path: path + [Tag.messageEnum, Int32(i)],
                                   locations: locations))
        }
    }

    private func buildField(_ field: Google_Protobuf_FieldDescriptorProto, in message: String, path: [Int32],
                            proto3: Bool, locations: Locations) throws(ProtoCompileError) -> FieldInfo {
        let type = ProtoFieldType(field.type)
        let label: ProtoFieldLabel = switch field.label {
        case .repeated: .repeated
        case .required: .required
        default: .optional
        }
        var typeName: String?
        var messageIdx: Int?
        var enumIdx: Int?
        if type == .message || type == .group || type == .enumeration {
            let name = field.typeName.hasPrefix(".") ? String(field.typeName.dropFirst()) : field.typeName
            typeName = name
            if type == .enumeration {
                enumIdx = enumIndex[name]
                if enumIdx == nil { throw .invalidSchema(reason: "\(message).\(field.name): unknown enum \(name)") }
            } else {
                messageIdx = messageIndex[name]
                if messageIdx == nil { throw .invalidSchema(reason: "\(message).\(field.name): unknown type \(name)") }
            }
        }
        let isMap = label == .repeated && type == .message && typeName.map(mapEntries.contains) == true
        let packable = label == .repeated && type.isPackable
        let isPacked = packable && (field.options.hasPacked ? field.options.packed : proto3)
        let inOneof = field.hasOneofIndex
        let hasPresence = label != .repeated
            && (type == .message || type == .group || inOneof || field.proto3Optional || !proto3)
        return FieldInfo(
            name: field.name,
            jsonName: field.hasJsonName ? field.jsonName : Self.lowerCamelCase(field.name),
            number: field.number, type: type, label: label, isProto3Optional: field.proto3Optional,
            hasPresence: hasPresence, isPacked: isPacked, oneofIndex: inOneof ? Int(field.oneofIndex) : nil,
            typeName: typeName, messageIndex: messageIdx, enumIndex: enumIdx, isMap: isMap,
            location: locations.location(path))
    }

    private func buildEnum(_ e: Google_Protobuf_EnumDescriptorProto, scope: String, path: [Int32],
                           locations: Locations) -> EnumInfo {
        var values: [EnumValueDescriptor] = []
        var numberToName: [Int32: String] = [:]
        var nameToNumber: [String: Int32] = [:]
        for (i, value) in e.value.enumerated() {
            values.append(EnumValueDescriptor(name: value.name, number: value.number,
                                              location: locations.location(path + [Tag.enumValue, Int32(i)])))
            if numberToName[value.number] == nil { numberToName[value.number] = value.name }
            nameToNumber[value.name] = value.number
        }
        return EnumInfo(fullName: scope + e.name, name: e.name, file: locations.file,
                        location: locations.location(path), values: values,
                        numberToName: numberToName, nameToNumber: nameToNumber)
    }

    private func buildService(_ service: Google_Protobuf_ServiceDescriptorProto, fullName: String, path: [Int32],
                              locations: Locations) throws(ProtoCompileError) -> ServiceInfo {
        var methods: [MethodInfo] = []
        for (i, method) in service.method.enumerated() {
            let input = method.inputType.hasPrefix(".") ? String(method.inputType.dropFirst()) : method.inputType
            let output = method.outputType.hasPrefix(".") ? String(method.outputType.dropFirst()) : method.outputType
            guard let inputIndex = messageIndex[input], let outputIndex = messageIndex[output] else {
                throw .invalidSchema(reason: "\(fullName).\(method.name): unknown input or output type")
            }
            methods.append(MethodInfo(name: method.name, inputIndex: inputIndex, outputIndex: outputIndex,
                                      clientStreaming: method.clientStreaming, serverStreaming: method.serverStreaming,
                                      location: locations.location(path + [Tag.serviceMethod, Int32(i)])))
        }
        return ServiceInfo(fullName: fullName, name: service.name, file: locations.file,
                           location: locations.location(path), methods: methods)
    }

    /// protoc's json_name rule, for descriptor sets that lack json_name.
    static func lowerCamelCase(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for c in name {
            if c == "_" {
                upperNext = true
            } else if upperNext {
                result += c.uppercased()
                upperNext = false
            } else {
                result.append(c)
            }
        }
        return result
    }
}

extension ProtoFieldType {
    init(_ type: Google_Protobuf_FieldDescriptorProto.TypeEnum) {
        switch type {
        case .double: self = .double
        case .float: self = .float
        case .int64: self = .int64
        case .uint64: self = .uint64
        case .int32: self = .int32
        case .fixed64: self = .fixed64
        case .fixed32: self = .fixed32
        case .bool: self = .bool
        case .string: self = .string
        case .group: self = .group
        case .message: self = .message
        case .bytes: self = .bytes
        case .uint32: self = .uint32
        case .enum: self = .enumeration
        case .sfixed32: self = .sfixed32
        case .sfixed64: self = .sfixed64
        case .sint32: self = .sint32
        case .sint64: self = .sint64
        }
    }

    /// Scalars that may be written packed: everything but strings, bytes and messages.
    var isPackable: Bool {
        switch self {
        case .string, .bytes, .message, .group: false
        default: true
        }
    }
}
