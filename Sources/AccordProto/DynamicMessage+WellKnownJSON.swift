import AccordJSON

// The special JSON forms of the well-known types. Their descriptors come from the loaded schema
// (the .proto files import them), so field numbers below are those of google/protobuf/*.proto.

extension ProtoJSONWriter {
    func wellKnown(_ message: DynamicMessage, _ kind: WellKnownType) throws(ProtoJSONError) -> JSONValue {
        let type = message.descriptor.fullName
        switch kind {
        case .timestamp, .duration:
            let seconds = message.value(at: 0)?.int64Value ?? 0
            let nanos = Int32(truncatingIfNeeded: message.value(at: 1)?.int64Value ?? 0)
            let text = kind == .timestamp
                ? ProtoTime.formatTimestamp(seconds: seconds, nanos: nanos)
                : ProtoTime.formatDuration(seconds: seconds, nanos: nanos)
            guard let text else {
                throw ProtoJSONError(.invalidValue(expected: "a \(type) in range",
                                                   found: "seconds \(seconds), nanos \(nanos)"))
            }
            return .string(text)
        case .fieldMask:
            var paths: [String] = []
            for path in message.value(at: 0)?.listValue ?? [] {
                let snake = path.stringValue ?? ""
                let camel = SchemaBuilder.lowerCamelCase(snake)
                guard ProtoJSONReader.snakeCase(camel) == snake else {
                    throw ProtoJSONError(.invalidValue(expected: "a field mask path in snake_case", found: snake))
                }
                paths.append(camel)
            }
            return .string(paths.joined(separator: ","))
        case .structValue:
            guard let fields = message.values[0]?.mapValue else { return .object([:]) }
            var object: [String: JSONValue] = [:]
            for (key, value) in fields {
                guard let name = key.stringValue, let nested = value.messageValue else { continue }
                do { object[name] = try self.message(nested) } catch { throw error.inside(name) }
            }
            return .object(object)
        case .listValue:
            var array: [JSONValue] = []
            for (i, item) in (message.value(at: 0)?.listValue ?? []).enumerated() {
                guard let nested = item.messageValue else { continue }
                do { array.append(try self.message(nested)) } catch { throw error.inside("[\(i)]") }
            }
            return .array(array)
        case .value:
            return try valueMessage(message)
        case .any:
            return try any(message)
        case .doubleValue, .floatValue, .int64Value, .uint64Value, .int32Value, .uint32Value, .boolValue,
             .stringValue, .bytesValue:
            // A wrapper shows its value even when zero: the wrapper's presence is the point.
            let field = message.descriptor.info.fields[0]
            guard let value = message.value(at: 0) else { return .null }
            return try single(value, field, message.descriptor.storage)
        }
    }

    private func valueMessage(_ message: DynamicMessage) throws(ProtoJSONError) -> JSONValue {
        guard let index = message.values.firstIndex(where: { $0 != nil }), let value = message.values[index] else {
            return .null
        }
        switch value {
        case .enumNumber: return .null
        case .double(let v):
            guard v.isFinite else {
                throw ProtoJSONError(.invalidValue(expected: "a finite number_value", found: "\(v)"))
            }
            return .number(JSONNumber(literal: v.description))
        case .string(let v): return .string(v)
        case .bool(let v): return .bool(v)
        case .message(let nested): return try self.message(nested)
        default: return .null
        }
    }

    private func any(_ message: DynamicMessage) throws(ProtoJSONError) -> JSONValue {
        let typeURL = message.value(at: 0)?.stringValue ?? ""
        let packed = message.value(at: 1)?.bytesValue ?? []
        if typeURL.isEmpty, packed.isEmpty { return .object([:]) }
        guard let type = ProtoSchema(storage: message.descriptor.storage).message(typeURL: typeURL) else {
            throw ProtoJSONError(.unresolvableAnyType(typeURL: typeURL))
        }
        let inner: DynamicMessage
        do {
            inner = try DynamicMessage(binary: packed, type: type, maxDepth: options.maxDepth)
        } catch {
            throw ProtoJSONError(.undecodableAny(error))
        }
        var object: [String: JSONValue]
        if let kind = type.info.wellKnown {
            object = ["value": try wellKnown(inner, kind)]
        } else {
            object = try members(of: inner)
        }
        object["@type"] = .string(typeURL)
        return .object(object)
    }
}

extension ProtoJSONReader {
    func wellKnown(_ json: JSONValue, _ kind: WellKnownType, type: MessageDescriptor, depth: Int)
        throws(ProtoJSONError) -> DynamicMessage
    {
        var message = DynamicMessage(type: type)
        switch kind {
        case .timestamp, .duration:
            guard case .string(let text) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "a \(type.fullName) string", found: json.typeName))
            }
            let parsed = kind == .timestamp ? ProtoTime.parseTimestamp(text) : ProtoTime.parseDuration(text)
            guard let (seconds, nanos) = parsed else {
                let form = kind == .timestamp ? "an RFC 3339 timestamp" : "a duration such as \"1.5s\""
                throw ProtoJSONError(.invalidValue(expected: form, found: json.jsonText))
            }
            message.store(.int64(seconds), at: 0)
            message.store(.int32(nanos), at: 1)
        case .fieldMask:
            guard case .string(let text) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "a field mask string", found: json.typeName))
            }
            let paths = text.split(separator: ",").map { ProtoValue.string(Self.snakeCase(String($0))) }
            message.store(.list(paths), at: 0)
        case .structValue:
            guard case .object(let members) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "an object", found: json.typeName))
            }
            message.store(try structFields(members, type: type, depth: depth), at: 0)
        case .listValue:
            guard case .array(let items) = json else {
                throw ProtoJSONError(.wrongJSONType(expected: "an array", found: json.typeName))
            }
            message.store(try listValues(items, type: type, depth: depth), at: 0)
        case .value:
            return try value(json, type: type, depth: depth)
        case .any:
            return try any(json, type: type, depth: depth)
        case .doubleValue, .floatValue, .int64Value, .uint64Value, .int32Value, .uint32Value, .boolValue,
             .stringValue, .bytesValue:
            let field = type.info.fields[0]
            if let value = try single(json, field, type.storage, depth: depth) { message.store(value, at: 0) }
        }
        return message
    }

    /// The `Value` message types a `Struct`/`ListValue`/`Value` refers to, from its own fields.
    private func valueType(of container: MessageDescriptor, field: Int) -> MessageDescriptor {
        let info = container.info.fields[field]
        let index = info.isMap
            ? container.storage.messages[info.messageIndex ?? 0].fields[1].messageIndex
            : info.messageIndex
        return MessageDescriptor(storage: container.storage, index: index ?? 0)
    }

    private func structFields(_ members: [String: JSONValue], type: MessageDescriptor, depth: Int)
        throws(ProtoJSONError) -> ProtoValue
    {
        let valueType = valueType(of: type, field: 0)
        var map: [ProtoValue: ProtoValue] = [:]
        for (key, member) in members {
            do { map[.string(key)] = .message(try value(member, type: valueType, depth: depth + 1)) } catch {
                throw error.inside(key)
            }
        }
        return .map(map)
    }

    private func listValues(_ items: [JSONValue], type: MessageDescriptor, depth: Int)
        throws(ProtoJSONError) -> ProtoValue
    {
        let valueType = valueType(of: type, field: 0)
        var list: [ProtoValue] = []
        for (i, item) in items.enumerated() {
            do { list.append(.message(try value(item, type: valueType, depth: depth + 1))) } catch {
                throw error.inside("[\(i)]")
            }
        }
        return .list(list)
    }

    /// A `google.protobuf.Value`: fields 1 null, 2 number, 3 string, 4 bool, 5 struct, 6 list.
    private func value(_ json: JSONValue, type: MessageDescriptor, depth: Int) throws(ProtoJSONError)
        -> DynamicMessage
    {
        guard depth <= options.maxDepth else { throw ProtoJSONError(.nestingTooDeep(limit: options.maxDepth)) }
        var message = DynamicMessage(type: type)
        let info = type.info
        func index(_ number: Int32) -> Int { info.fieldIndex(number: number) ?? 0 }
        switch json {
        case .null: message.store(.enumNumber(0), at: index(1))
        case .number(let n): message.store(.double(n.doubleValue), at: index(2))
        case .string(let s): message.store(.string(s), at: index(3))
        case .bool(let b): message.store(.bool(b), at: index(4))
        case .object(let members):
            let structType = MessageDescriptor(storage: type.storage, index: info.fields[index(5)].messageIndex ?? 0)
            var nested = DynamicMessage(type: structType)
            nested.store(try structFields(members, type: structType, depth: depth), at: 0)
            message.store(.message(nested), at: index(5))
        case .array(let items):
            let listType = MessageDescriptor(storage: type.storage, index: info.fields[index(6)].messageIndex ?? 0)
            var nested = DynamicMessage(type: listType)
            nested.store(try listValues(items, type: listType, depth: depth), at: 0)
            message.store(.message(nested), at: index(6))
        }
        return message
    }

    private func any(_ json: JSONValue, type: MessageDescriptor, depth: Int) throws(ProtoJSONError)
        -> DynamicMessage
    {
        guard case .object(let members) = json else {
            throw ProtoJSONError(.wrongJSONType(expected: "an object for google.protobuf.Any", found: json.typeName))
        }
        var result = DynamicMessage(type: type)
        if members.isEmpty { return result }
        guard case .string(let typeURL)? = members["@type"] else {
            throw ProtoJSONError(.wrongJSONType(expected: "a string", found: members["@type"]?.typeName ?? "nothing"),
                                 path: "@type")
        }
        guard let innerType = ProtoSchema(storage: type.storage).message(typeURL: typeURL) else {
            throw ProtoJSONError(.unresolvableAnyType(typeURL: typeURL), path: "@type")
        }
        let inner: DynamicMessage
        if innerType.info.wellKnown != nil {
            if let extra = members.keys.sorted().first(where: { $0 != "@type" && $0 != "value" }),
               !options.ignoreUnknownFields {
                throw ProtoJSONError(.unknownField(name: extra, message: "google.protobuf.Any"), path: extra)
            }
            do { inner = try message(members["value"] ?? .null, type: innerType, depth: depth + 1) } catch {
                throw error.inside("value")
            }
        } else {
            guard depth < options.maxDepth else { throw ProtoJSONError(.nestingTooDeep(limit: options.maxDepth)) }
            var fields = DynamicMessage(type: innerType)
            try fill(&fields, from: members, depth: depth + 1, skipping: "@type")
            inner = fields
        }
        result.store(.string(typeURL), at: 0)
        result.store(.bytes(inner.serializedBytes()), at: 1)
        return result
    }

    /// `fooBar` -> `foo_bar`, the inverse of the JSON name rule (field mask paths).
    static func snakeCase(_ camel: String) -> String {
        var result = ""
        for c in camel {
            if c.isUppercase {
                result += "_" + c.lowercased()
            } else {
                result.append(c)
            }
        }
        return result
    }
}
