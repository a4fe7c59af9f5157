/// A protobuf message whose type is known only at run time, from a `MessageDescriptor`.
///
/// Fields are read and written by name as `ProtoValue`s. Fields without presence (proto3
/// scalars) read as their zero value when unset, like generated code; unset fields with
/// presence (messages, oneof members, `optional`) read as nil. Fields the descriptor does not
/// know, met while decoding, are kept as raw bytes and written back after the known ones.
public struct DynamicMessage: Sendable, Hashable {
    public let descriptor: MessageDescriptor
    /// Field values by index in `descriptor`'s fields; nil = unset (or zero without presence).
    var values: [ProtoValue?]
    /// Encoded fields the descriptor does not declare, in arrival order.
    public var unknownFields: [UInt8] = []

    public init(type: MessageDescriptor) {
        descriptor = type
        values = Array(repeating: nil, count: type.info.fields.count)
    }

    /// The value of the field with this proto or JSON name; nil when the message has no such
    /// field or the field has presence and is unset.
    public subscript(name: String) -> ProtoValue? {
        guard let index = descriptor.info.fieldNames[name] else { return nil }
        return value(at: index)
    }

    public subscript(field: FieldDescriptor) -> ProtoValue? {
        field.containingMessage == descriptor ? value(at: field.index) : self[field.name]
    }

    /// Whether the field is set (for fields without presence: set to something other than zero).
    public func has(_ name: String) -> Bool {
        guard let index = descriptor.info.fieldNames[name] else { return false }
        return values[index] != nil
    }

    /// The fields that are set, in field-number order.
    public var setFields: [(field: FieldDescriptor, value: ProtoValue)] {
        values.indices.compactMap { i in
            values[i].map { (FieldDescriptor(storage: descriptor.storage, message: descriptor.index, index: i), $0) }
        }
    }

    /// The member of the oneof `name` that is set, if any.
    public func whichOneof(_ name: String) -> FieldDescriptor? {
        guard let oneof = descriptor.info.oneofs.first(where: { $0.name == name }) else { return nil }
        return oneof.fieldIndices.first { values[$0] != nil }
            .map { FieldDescriptor(storage: descriptor.storage, message: descriptor.index, index: $0) }
    }

    /// Sets a field (nil clears it). Setting a oneof member clears the other members.
    /// Repeated fields take `.list`, maps take `.map`, each element of the field's type.
    public mutating func set(_ name: String, to value: ProtoValue?) throws(ProtoValueError) {
        guard let index = descriptor.info.fieldNames[name] else {
            throw ProtoValueError(message: descriptor.fullName, field: name, problem: "no such field")
        }
        let field = descriptor.info.fields[index]
        if let value {
            if let problem = problem(storing: value, in: field) {
                throw ProtoValueError(message: descriptor.fullName, field: field.name, problem: problem)
            }
        }
        store(value, at: index)
    }

    public mutating func clear(_ name: String) {
        if let index = descriptor.info.fieldNames[name] { values[index] = nil }
    }

    @inline(__always)
    func value(at index: Int) -> ProtoValue? {
        if let value = values[index] { return value }
        let field = descriptor.info.fields[index]
        if field.isMap { return .map([:]) }
        if field.isRepeated { return .list([]) }
        return field.hasPresence ? nil : ProtoValue.defaultValue(for: field.type)
    }

    /// Stores an already checked value: zero values of fields without presence are dropped, so
    /// they are neither written nor shown, and a oneof member displaces its siblings.
    mutating func store(_ value: ProtoValue?, at index: Int) {
        store(value, at: index, field: descriptor.info.fields[index])
    }

    @inline(__always)
    mutating func store(_ value: ProtoValue?, at index: Int, field: FieldInfo) {
        guard let value, field.hasPresence || !value.isDefault else {
            values[index] = nil
            return
        }
        if let oneof = field.oneofIndex {
            for sibling in descriptor.info.oneofs[oneof].fieldIndices where sibling != index { values[sibling] = nil }
        }
        values[index] = value
    }

    private func problem(storing value: ProtoValue, in field: FieldInfo) -> String? {
        if field.type == .group { return "groups are not supported" }
        let storage = descriptor.storage
        if field.isMap, let entry = field.messageIndex {
            guard case .map(let entries) = value else { return "expected a map, got \(value.kindName)" }
            let key = storage.messages[entry].fields[0], mapped = storage.messages[entry].fields[1]
            for (k, v) in entries {
                if !k.fits(key.type, message: nil) { return "map key \(k.kindName) is not \(key.type.rawValue)" }
                if !v.fits(mapped.type, message: mapped.typeName) {
                    return "map value \(v.kindName) is not \(mapped.typeName ?? mapped.type.rawValue)"
                }
            }
            return nil
        }
        let expected = field.typeName ?? field.type.rawValue
        if field.isRepeated {
            guard case .list(let items) = value else { return "expected a list, got \(value.kindName)" }
            for (i, item) in items.enumerated() where !item.fits(field.type, message: field.typeName) {
                return "element \(i) is \(item.kindName), expected \(expected)"
            }
            return nil
        }
        return value.fits(field.type, message: field.typeName) ? nil : "expected \(expected), got \(value.kindName)"
    }

    public static func == (a: DynamicMessage, b: DynamicMessage) -> Bool {
        a.descriptor == b.descriptor && a.values == b.values && a.unknownFields == b.unknownFields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(descriptor)
        hasher.combine(values)
        hasher.combine(unknownFields)
    }
}

/// A value that does not fit the field it was meant for.
public struct ProtoValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Full name of the message type.
    public let message: String
    public let field: String
    public let problem: String
    public var description: String { "\(message).\(field): \(problem)" }
}
