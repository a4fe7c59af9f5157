extension DynamicMessage {
    /// A message of `type` with every field set to a plausible value: one element for
    /// repeated fields and maps, the first member of each oneof, nested messages down to
    /// `depth`. For demos and default load payloads when a contract gives no example.
    public static func sample(of type: MessageDescriptor, depth: Int = 3) -> DynamicMessage {
        var message = DynamicMessage(type: type)
        var oneofsSet: Set<String> = []
        for field in type.fields {
            if let oneof = field.oneofName, !field.isProto3Optional {
                guard oneofsSet.insert(oneof).inserted else { continue }
            }
            guard let value = sampleValue(for: field, depth: depth) else { continue }
            // The values are built for the field's own type, so setting them cannot fail.
            try? message.set(field.name, to: value)
        }
        return message
    }

    private static func sampleValue(for field: FieldDescriptor, depth: Int) -> ProtoValue? {
        if field.isMap {
            guard let key = field.mapKey, let value = field.mapValue,
                let k = scalarSample(for: key, depth: depth), let v = scalarSample(for: value, depth: depth - 1)
            else { return nil }
            return .map([k: v])
        }
        guard let single = scalarSample(for: field, depth: depth) else { return nil }
        return field.isRepeated ? .list([single]) : single
    }

    private static func scalarSample(for field: FieldDescriptor, depth: Int) -> ProtoValue? {
        switch field.type {
        case .double: return .double(1.5)
        case .float: return .float(1.5)
        case .int64, .sint64, .sfixed64: return .int64(1)
        case .uint64, .fixed64: return .uint64(1)
        case .int32, .sint32, .sfixed32: return .int32(1)
        case .uint32, .fixed32: return .uint32(1)
        case .bool: return .bool(true)
        case .string: return .string("sample-\(field.name)")
        case .bytes: return .bytes([1, 2, 3])
        case .enumeration:
            let values = field.enumType?.values ?? []
            return .enumNumber((values.first { $0.number != 0 } ?? values.first)?.number ?? 0)
        case .message, .group:
            guard depth > 0, let type = field.messageType else { return nil }
            return .message(sample(of: type, depth: depth - 1))
        }
    }
}
