import AccordDocuments
import AccordJSON

/// The structure of one compiled schema, for tools that compare schemas rather than validate
/// values (`accord check` builds its schema shapes from these).
public struct SchemaOutline: Sendable {
    public let location: SourceLocation
    /// The schema a `$ref` points to. In OpenAPI 3.0 the reference replaces everything else.
    public let reference: SchemaID?
    /// JSON Schema type names (`string`, `integer`, ..., `null` for nullable); nil when unconstrained.
    public let types: [String]?
    public let title: String?
    public let format: String?
    /// Property schemas by name.
    public let properties: [String: SchemaID]
    public let required: [String]
    /// False when `additionalProperties: false`.
    public let allowsAdditionalProperties: Bool
    /// The schema of additional members, when `additionalProperties` is a schema.
    public let additionalProperties: SchemaID?
    public let items: SchemaID?
    public let enumValues: [JSONValue]?
    public let allOf: [SchemaID]
    public let anyOf: [SchemaID]
    public let oneOf: [SchemaID]
}

extension SchemaSet {
    public func outline(of schema: SchemaID) -> SchemaOutline {
        let node = nodes[schema.index]
        var additional: SchemaID?
        var allowsAdditional = !node.rejectsEverything
        switch node.additionalProperties {
        case .allowed: break
        case .forbidden: allowsAdditional = false
        case .schema(let id): additional = id
        }
        var enumValues = node.enumValues
        if enumValues == nil, let constant = node.constValue { enumValues = [constant] }
        return SchemaOutline(
            location: node.origin, reference: node.ref, types: node.types?.map(\.rawValue), title: node.title,
            format: node.format, properties: node.properties, required: node.required,
            allowsAdditionalProperties: allowsAdditional, additionalProperties: additional, items: node.items,
            enumValues: enumValues, allOf: node.allOf, anyOf: node.anyOf, oneOf: node.oneOf)
    }
}
