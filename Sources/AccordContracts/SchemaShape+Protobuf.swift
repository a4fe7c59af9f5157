import AccordDocuments
import AccordProto

extension SchemaShape {
    /// The shape of a protobuf message, nested messages included (a message that contains itself
    /// becomes `.recursive`). `requiredPaths` adds dotted field paths the contract marks required
    /// (`grpc.required`) to proto2's `required` fields.
    public static func protobuf(_ message: MessageDescriptor, requiredPaths: Set<String> = []) -> SchemaShape {
        ProtoShapeBuilder(requiredPaths: requiredPaths, budget: ShapeBudget()).shape(message, path: "", stack: [])
    }
}

private struct ProtoShapeBuilder {
    let requiredPaths: Set<String>
    /// Recursion proper is cut by `stack`; the budget bounds everything else.
    let budget: ShapeBudget

    func shape(_ message: MessageDescriptor, path: String, stack: [String]) -> SchemaShape {
        let inside = stack + [message.fullName]
        let fields = message.fields.map { field in
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            let (type, repeated) = fieldType(field, path: fieldPath, stack: inside)
            return ShapeField(
                name: field.name, jsonName: field.jsonName, type: type, isRepeated: repeated,
                isRequired: field.label == .required || requiredPaths.contains(fieldPath),
                wire: .init(number: field.number, type: field.type, typeName: field.typeName, label: field.label),
                location: field.location)
        }
        return SchemaShape(
            id: message.fullName, name: message.fullName, origin: .protobuf, location: message.location,
            fields: fields, isOpen: false,
            reservedNumbers: message.reservedNumbers, reservedNames: message.reservedNames)
    }

    private func fieldType(_ field: FieldDescriptor, path: String, stack: [String]) -> (ShapeType, Bool) {
        if field.isMap, let value = field.mapValue {
            return (.map(valueType(value, path: path, stack: stack).type), false)
        }
        let (type, list) = valueType(field, path: path, stack: stack)
        return (type, field.isRepeated || list)
    }

    /// The type of one value; `list` is true for `google.protobuf.ListValue`, a list in JSON.
    private func valueType(_ field: FieldDescriptor, path: String, stack: [String]) -> (type: ShapeType, list: Bool) {
        switch field.type {
        case .double: return (.number(.double), false)
        case .float: return (.number(.float), false)
        case .int32, .sint32, .sfixed32: return (.integer(.int32), false)
        case .int64, .sint64, .sfixed64: return (.integer(.int64), false)
        case .uint32, .fixed32: return (.integer(.uint32), false)
        case .uint64, .fixed64: return (.integer(.uint64), false)
        case .bool: return (.bool, false)
        case .string: return (.string, false)
        case .bytes: return (.bytes, false)
        case .enumeration:
            guard let type = field.enumType else { return (.any, false) }
            let values = type.values.map { EnumShape.Value(name: $0.name, number: $0.number, location: $0.location) }
            return (.enumeration(EnumShape(name: type.fullName, values: values, location: type.location)), false)
        case .message, .group:
            guard let type = field.messageType else { return (.any, false) }
            return messageType(type, path: path, stack: stack)
        }
    }

    /// Well-known types as their JSON forms; other messages as nested shapes.
    private func messageType(_ type: MessageDescriptor, path: String, stack: [String])
        -> (type: ShapeType, list: Bool)
    {
        switch type.fullName {
        case "google.protobuf.Timestamp": return (.timestamp, false)
        case "google.protobuf.Duration": return (.duration, false)
        case "google.protobuf.FieldMask": return (.string, false)
        case "google.protobuf.Struct": return (.map(.any), false)
        case "google.protobuf.Value", "google.protobuf.Any": return (.any, false)
        case "google.protobuf.ListValue": return (.any, true)
        case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
            "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
            "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
            // A wrapper is its one `value` field, in JSON and for readers.
            guard let value = type.field(number: 1) else { return (.any, false) }
            return valueType(value, path: path, stack: stack)
        default:
            if stack.contains(type.fullName) { return (.recursive(id: type.fullName, name: type.fullName), false) }
            guard budget.spend() else { return (.any, false) }
            return (.object(shape(type, path: path, stack: stack)), false)
        }
    }
}
