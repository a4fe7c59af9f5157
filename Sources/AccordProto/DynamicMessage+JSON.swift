import AccordJSON

extension DynamicMessage {
    /// The proto3 JSON form: JSON names, 64-bit integers as strings, enums by name, bytes as
    /// base64, unset and zero fields left out, well-known types in their special forms.
    public func jsonValue(options: ProtoJSONOptions = ProtoJSONOptions()) throws(ProtoJSONError) -> JSONValue {
        try ProtoJSONWriter(options: options).message(self)
    }

    /// Reads the proto3 JSON form (proto or JSON field names; numbers or strings for integers;
    /// enum names or numbers; standard or URL-safe base64).
    public init(json: JSONValue, type: MessageDescriptor,
                options: ProtoJSONOptions = ProtoJSONOptions()) throws(ProtoJSONError) {
        self = try ProtoJSONReader(options: options).message(json, type: type, depth: 0)
    }

    public init(jsonText: String, type: MessageDescriptor,
                options: ProtoJSONOptions = ProtoJSONOptions()) throws(ProtoJSONError) {
        let json: JSONValue
        do { json = try JSONParser.parse(jsonText) } catch { throw ProtoJSONError(.invalidJSON(error)) }
        try self.init(json: json, type: type, options: options)
    }
}

/// Message to JSON.
struct ProtoJSONWriter {
    let options: ProtoJSONOptions

    func message(_ message: DynamicMessage) throws(ProtoJSONError) -> JSONValue {
        let info = message.descriptor.info
        if let wellKnown = info.wellKnown {
            return try self.wellKnown(message, wellKnown)
        }
        return .object(try members(of: message))
    }

    func members(of message: DynamicMessage) throws(ProtoJSONError) -> [String: JSONValue] {
        let storage = message.descriptor.storage
        let info = message.descriptor.info
        var members: [String: JSONValue] = [:]
        for index in message.values.indices {
            guard let value = message.values[index] else { continue }
            let field = info.fields[index]
            let key = options.preserveProtoFieldNames ? field.name : field.jsonName
            do {
                members[key] = try fieldValue(value, field, storage)
            } catch {
                throw error.inside(key)
            }
        }
        return members
    }

    func fieldValue(_ value: ProtoValue, _ field: FieldInfo, _ storage: SchemaStorage)
        throws(ProtoJSONError) -> JSONValue
    {
        switch value {
        case .map(let entries):
            let valueField = storage.messages[field.messageIndex ?? 0].fields[1]
            var object: [String: JSONValue] = [:]
            for (key, mapped) in entries {
                let name = Self.mapKey(key)
                do { object[name] = try single(mapped, valueField, storage) } catch { throw error.inside(name) }
            }
            return .object(object)
        case .list(let items):
            var array: [JSONValue] = []
            array.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                do { array.append(try single(item, field, storage)) } catch { throw error.inside("[\(i)]") }
            }
            return .array(array)
        default:
            return try single(value, field, storage)
        }
    }

    func single(_ value: ProtoValue, _ field: FieldInfo, _ storage: SchemaStorage)
        throws(ProtoJSONError) -> JSONValue
    {
        switch value {
        case .bool(let v): return .bool(v)
        case .int32(let v): return .number(JSONNumber(v))
        case .uint32(let v): return .number(JSONNumber(v))
        case .int64(let v): return .string(String(v))
        case .uint64(let v): return .string(String(v))
        case .float(let v): return Self.floatingPoint(v.isNaN, v.isInfinite, v < 0, v.description)
        case .double(let v): return Self.floatingPoint(v.isNaN, v.isInfinite, v < 0, v.description)
        case .string(let v): return .string(v)
        case .bytes(let v): return .string(Base64.encode(v))
        case .enumNumber(let v):
            guard let enumIndex = field.enumIndex else { return .number(JSONNumber(v)) }
            let info = storage.enums[enumIndex]
            if info.fullName == "google.protobuf.NullValue" { return .null }
            return info.numberToName[v].map(JSONValue.string) ?? .number(JSONNumber(v))
        case .message(let m): return try message(m)
        case .list, .map: return try fieldValue(value, field, storage)
        }
    }

    static func floatingPoint(_ isNaN: Bool, _ isInfinite: Bool, _ negative: Bool, _ text: String) -> JSONValue {
        if isNaN { return .string("NaN") }
        if isInfinite { return .string(negative ? "-Infinity" : "Infinity") }
        return .number(JSONNumber(literal: text))
    }

    static func mapKey(_ key: ProtoValue) -> String {
        switch key {
        case .string(let v): v
        case .bool(let v): v ? "true" : "false"
        case .int32(let v): String(v)
        case .int64(let v): String(v)
        case .uint32(let v): String(v)
        case .uint64(let v): String(v)
        default: "\(key)"
        }
    }
}

/// JSON to message.
struct ProtoJSONReader {
    let options: ProtoJSONOptions

    func message(_ json: JSONValue, type: MessageDescriptor, depth: Int) throws(ProtoJSONError) -> DynamicMessage {
        guard depth <= options.maxDepth else { throw ProtoJSONError(.nestingTooDeep(limit: options.maxDepth)) }
        let info = type.info
        if let wellKnown = info.wellKnown {
            return try self.wellKnown(json, wellKnown, type: type, depth: depth)
        }
        guard case .object(let members) = json else {
            throw ProtoJSONError(.wrongJSONType(expected: "an object for \(info.fullName)", found: json.typeName))
        }
        var message = DynamicMessage(type: type)
        try fill(&message, from: members, depth: depth)
        return message
    }

    /// Sets the fields named by `members`; `skipping` names members that are not fields (`@type`).
    func fill(_ message: inout DynamicMessage, from members: [String: JSONValue], depth: Int,
              skipping: String? = nil) throws(ProtoJSONError) {
        let storage = message.descriptor.storage
        let info = message.descriptor.info
        var oneofMembers: [Int: String] = [:]
        var seen: Set<Int> = []
        // Sorted so that, of several problems, the same one is reported every time.
        for key in members.keys.sorted() where key != skipping {
            let json = members[key] ?? .null
            guard let index = info.fieldNames[key] else {
                if options.ignoreUnknownFields { continue }
                throw ProtoJSONError(.unknownField(name: key, message: info.fullName), path: key)
            }
            let field = info.fields[index]
            guard seen.insert(index).inserted else {
                throw ProtoJSONError(.duplicateField(name: field.name), path: key)
            }
            if json == .null, !Self.takesNull(field, storage) { continue }
            if let oneof = field.oneofIndex, !info.oneofs[oneof].isSynthetic {
                if let first = oneofMembers[oneof] {
                    throw ProtoJSONError(.duplicateOneof(oneof: info.oneofs[oneof].name, first: first, second: key),
                                         path: key)
                }
                oneofMembers[oneof] = key
            }
            do {
                if let value = try fieldValue(json, field, storage, depth: depth) { message.store(value, at: index) }
            } catch {
                throw error.inside(key)
            }
        }
    }

    /// Whether JSON null is a value of the field rather than "unset": `google.protobuf.Value`
    /// and `NullValue` fields.
    static func takesNull(_ field: FieldInfo, _ storage: SchemaStorage) -> Bool {
        guard !field.isRepeated else { return false }
        return field.typeName == "google.protobuf.Value" || field.typeName == "google.protobuf.NullValue"
    }

    func fieldValue(_ json: JSONValue, _ field: FieldInfo, _ storage: SchemaStorage, depth: Int)
        throws(ProtoJSONError) -> ProtoValue?
    {
        if field.isMap {
            guard case .object(let members) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "an object for map \(field.name)", found: json.typeName))
            }
            let entry = storage.messages[field.messageIndex ?? 0]
            let keyField = entry.fields[0], valueField = entry.fields[1]
            var map: [ProtoValue: ProtoValue] = [:]
            for (name, member) in members {
                do throws(ProtoJSONError) {
                    let key = try Self.mapKey(name, keyField.type)
                    if member == .null, valueField.typeName != "google.protobuf.Value" {
                        throw ProtoJSONError(.wrongJSONType(expected: "a map value", found: "null"))
                    }
                    if let value = try single(member, valueField, storage, depth: depth) { map[key] = value }
                } catch {
                    throw error.inside(name)
                }
            }
            return .map(map)
        }
        if field.isRepeated {
            guard case .array(let items) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "an array for \(field.name)", found: json.typeName))
            }
            var list: [ProtoValue] = []
            list.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                do throws(ProtoJSONError) {
                    if item == .null, field.typeName != "google.protobuf.Value" {
                        throw ProtoJSONError(.wrongJSONType(expected: "a list element", found: "null"))
                    }
                    if let value = try single(item, field, storage, depth: depth) { list.append(value) }
                } catch {
                    throw error.inside("[\(i)]")
                }
            }
            return .list(list)
        }
        return try single(json, field, storage, depth: depth)
    }

    /// One value of the field's type; nil for an unknown enum name skipped by `ignoreUnknownFields`.
    func single(_ json: JSONValue, _ field: FieldInfo, _ storage: SchemaStorage, depth: Int)
        throws(ProtoJSONError) -> ProtoValue?
    {
        switch field.type {
        case .int32, .sint32, .sfixed32:
            return .int32(try Self.integer(json, Int32.self))
        case .int64, .sint64, .sfixed64:
            return .int64(try Self.integer(json, Int64.self))
        case .uint32, .fixed32:
            return .uint32(try Self.integer(json, UInt32.self))
        case .uint64, .fixed64:
            return .uint64(try Self.integer(json, UInt64.self))
        case .float:
            let value = try Self.floatingPoint(json)
            // In range when it rounds to a finite float: the shortest text of the largest float
            // (3.4028235e38) is a little above it as a double.
            guard !value.isFinite || Float(value).isFinite else {
                throw ProtoJSONError(.invalidValue(expected: "a float in range", found: json.jsonText))
            }
            return .float(Float(value))
        case .double:
            return .double(try Self.floatingPoint(json))
        case .bool:
            guard case .bool(let v) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "a boolean", found: json.typeName))
            }
            return .bool(v)
        case .string:
            guard case .string(let v) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "a string", found: json.typeName))
            }
            return .string(v)
        case .bytes:
            guard case .string(let v) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "a base64 string", found: json.typeName))
            }
            guard let bytes = Base64.decode(v) else {
                throw ProtoJSONError(.invalidValue(expected: "base64", found: json.jsonText))
            }
            return .bytes(bytes)
        case .enumeration:
            return try enumValue(json, storage.enums[field.enumIndex ?? 0])
        case .message:
            let type = MessageDescriptor(storage: storage, index: field.messageIndex ?? 0)
            return .message(try message(json, type: type, depth: depth + 1))
        case .group:
            throw ProtoJSONError(.wrongJSONType(expected: "no value (groups are not supported)", found: json.typeName))
        }
    }

    func enumValue(_ json: JSONValue, _ info: EnumInfo) throws(ProtoJSONError) -> ProtoValue? {
        switch json {
        case .string(let name):
            if let number = info.nameToNumber[name] { return .enumNumber(number) }
            if options.ignoreUnknownFields { return nil }
            throw ProtoJSONError(.unknownEnumValue(name: name, enumType: info.fullName))
        case .number:
            return .enumNumber(try Self.integer(json, Int32.self))
        case .null where info.fullName == "google.protobuf.NullValue":
            return .enumNumber(0)
        default:
            throw ProtoJSONError(.wrongJSONType(expected: "an enum name or number", found: json.typeName))
        }
    }

    /// An integer from a JSON number or a string holding one, in any integral form (`5`, `5.0`,
    /// `5e0`), as Python's and Go's parsers accept.
    static func integer<I: FixedWidthInteger>(_ json: JSONValue, _: I.Type) throws(ProtoJSONError) -> I {
        let number: JSONNumber?
        switch json {
        case .number(let n):
            number = n
        case .string(let s):
            if case .number(let n)? = try? JSONParser.parse(s) { number = n } else { number = nil }
        default:
            throw ProtoJSONError(.wrongJSONType(expected: "an integer", found: json.typeName))
        }
        let value: I? = number.flatMap { n in
            if let exact = I(n.literal) { return exact }
            return I.isSigned ? n.int64Value.flatMap { I(exactly: $0) } : n.uint64Value.flatMap { I(exactly: $0) }
        }
        guard let value else {
            throw ProtoJSONError(.invalidValue(expected: "an integer that fits \(I.self)", found: json.jsonText))
        }
        return value
    }

    /// A double from a number, a numeric string, or "NaN", "Infinity", "-Infinity".
    static func floatingPoint(_ json: JSONValue) throws(ProtoJSONError) -> Double {
        switch json {
        case .number(let n):
            let value = n.doubleValue
            guard value.isFinite else {
                throw ProtoJSONError(.invalidValue(expected: "a finite number", found: n.literal))
            }
            return value
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let s):
            guard case .number(let n)? = try? JSONParser.parse(s), n.doubleValue.isFinite else {
                throw ProtoJSONError(.invalidValue(expected: "a number", found: json.jsonText))
            }
            return n.doubleValue
        default:
            throw ProtoJSONError(.wrongJSONType(expected: "a number", found: json.typeName))
        }
    }

    static func mapKey(_ name: String, _ type: ProtoFieldType) throws(ProtoJSONError) -> ProtoValue {
        let key: ProtoValue? = switch type {
        case .string: .string(name)
        case .bool: name == "true" ? .bool(true) : name == "false" ? .bool(false) : nil
        case .int32, .sint32, .sfixed32: Int32(name).map(ProtoValue.int32)
        case .int64, .sint64, .sfixed64: Int64(name).map(ProtoValue.int64)
        case .uint32, .fixed32: UInt32(name).map(ProtoValue.uint32)
        case .uint64, .fixed64: UInt64(name).map(ProtoValue.uint64)
        default: nil
        }
        guard let key else {
            throw ProtoJSONError(.invalidValue(expected: "a \(type.rawValue) map key", found: "\"\(name)\""))
        }
        return key
    }
}
