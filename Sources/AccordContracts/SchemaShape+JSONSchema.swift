import AccordDocuments
import AccordJSON
import AccordOpenAPI

extension SchemaShape {
    /// The shape of a JSON Schema (OpenAPI or standalone) as a field type: objects become shapes,
    /// arrays repeated fields, `format`s the integer widths and timestamps they name.
    public static func jsonSchema(_ schema: SchemaID, in set: SchemaSet, name: String)
        -> (type: ShapeType, isRepeated: Bool)
    {
        JSONShapeBuilder(set: set, budget: ShapeBudget()).type(schema, name: name, stack: [])
    }

    /// The object shape of a JSON Schema; an empty open object when the schema is not an object.
    public static func jsonObject(_ schema: SchemaID, in set: SchemaSet, name: String) -> SchemaShape
    {
        if case (.object(let shape), false) = jsonSchema(schema, in: set, name: name) { return shape }
        return SchemaShape(id: name, name: name, origin: .jsonSchema, location: set.location(of: schema),
                           fields: [])
    }
}

private struct JSONShapeBuilder {
    let set: SchemaSet
    /// Recursion proper is cut by `stack`; the budget bounds everything else.
    let budget: ShapeBudget

    /// Follows `$ref`s that stand for their target (nothing else alongside).
    private func resolved(_ id: SchemaID) -> (id: SchemaID, outline: SchemaOutline) {
        var current = id
        var outline = set.outline(of: id)
        var seen: Set<SchemaID> = [id]
        while let target = outline.reference, outline.types == nil, outline.properties.isEmpty, outline.items == nil,
            outline.enumValues == nil, outline.allOf.isEmpty, seen.insert(target).inserted
        {
            current = target
            outline = set.outline(of: target)
        }
        return (current, outline)
    }

    func type(_ id: SchemaID, name: String, stack: [SchemaID]) -> (type: ShapeType, isRepeated: Bool) {
        let (id, outline) = resolved(id)
        var types = (outline.types ?? inferredTypes(outline)).filter { $0 != "null" }
        if outline.types == nil, types.isEmpty, !(outline.allOf + outline.anyOf + outline.oneOf).isEmpty {
            types = ["object"]
        }
        guard types.count == 1 else { return (.any, false) }
        switch types[0] {
        case "string":
            if let values = outline.enumValues {
                let names = values.compactMap(\.stringValue).map { EnumShape.Value(name: $0) }
                return (.enumeration(EnumShape(name: name, values: names, location: outline.location)), false)
            }
            switch outline.format {
            case "date-time": return (.timestamp, false)
            case "byte", "binary": return (.bytes, false)
            case "duration": return (.duration, false)
            default: return (.string, false)
            }
        case "integer":
            return (.integer(outline.format.flatMap(ShapeType.IntegerWidth.init(rawValue:))), false)
        case "number":
            return (.number(outline.format.flatMap(ShapeType.FloatWidth.init(rawValue:))), false)
        case "boolean":
            return (.bool, false)
        case "array":
            guard let items = outline.items else { return (.any, true) }
            let element = type(items, name: name, stack: stack)
            return (element.isRepeated ? .any : element.type, true)
        case "object":
            return (object(id, outline, name: name, stack: stack), false)
        default:
            return (.any, false)
        }
    }

    private func inferredTypes(_ outline: SchemaOutline) -> [String] {
        if !outline.properties.isEmpty || outline.additionalProperties != nil { return ["object"] }
        if outline.items != nil { return ["array"] }
        if let first = outline.enumValues?.first {
            return [first.typeName == "integer" ? "integer" : first.typeName]
        }
        return []
    }

    private func object(_ id: SchemaID, _ outline: SchemaOutline, name: String, stack: [SchemaID]) -> ShapeType {
        let key = Self.key(outline.location)
        let display = Self.componentName(outline.location) ?? outline.title ?? name
        if stack.contains(id) { return .recursive(id: key, name: display) }
        guard budget.spend() else { return .any }
        let inside = stack + [id]
        // allOf members add their properties; anyOf/oneOf members may, so theirs are never required.
        var properties: [(name: String, schema: SchemaID, required: Bool)] = []
        var isOpen = outline.allowsAdditionalProperties
        func add(_ outline: SchemaOutline, required: Bool) {
            for (property, schema) in outline.properties.sorted(by: { $0.key < $1.key })
            where !properties.contains(where: { $0.name == property }) {
                properties.append((property, schema, required && outline.required.contains(property)))
            }
        }
        add(outline, required: true)
        for member in outline.allOf { add(resolved(member).outline, required: true) }
        for member in outline.anyOf + outline.oneOf {
            add(resolved(member).outline, required: false)
            isOpen = true
        }
        if properties.isEmpty, let additional = outline.additionalProperties {
            let value = type(additional, name: name, stack: inside)
            return .map(value.isRepeated ? .any : value.type)
        }
        let fields = properties.map { property in
            let (type, repeated) = type(property.schema, name: property.name, stack: inside)
            return ShapeField(name: property.name, type: type, isRepeated: repeated, isRequired: property.required,
                              location: set.location(of: property.schema))
        }
        return .object(SchemaShape(id: key, name: display, origin: .jsonSchema, location: outline.location,
                                   fields: fields, isOpen: isOpen))
    }

    private static func key(_ location: SourceLocation) -> String { location.file + "#" + location.pointer }

    /// `Order` for `#/components/schemas/Order` or `#/$defs/Order`.
    private static func componentName(_ location: SourceLocation) -> String? {
        guard let tokens = JSONPointer.tokens(location.pointer), tokens.count >= 2 else { return nil }
        let container = tokens[tokens.count - 2]
        return ["schemas", "$defs", "definitions"].contains(container) ? tokens.last : nil
    }
}
