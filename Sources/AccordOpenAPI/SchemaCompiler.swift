import AccordDocuments
import AccordJSON
import Foundation

/// Compiles schema objects, read from the raw files so every keyword keeps its file, pointer and
/// line, into a `SchemaSet`. Each (file, pointer) compiles once: a `$ref` back to a schema being
/// compiled gets its id, which is how recursive schemas become cycles.
struct SchemaCompiler {
    let store: DocumentStore
    let version: OpenAPIVersion
    private(set) var nodes: [SchemaNode] = []
    private var compiled: [String: SchemaID] = [:]

    init(store: DocumentStore, version: OpenAPIVersion) {
        self.store = store
        self.version = version
    }

    var set: SchemaSet { SchemaSet(nodes: nodes) }

    mutating func compile(_ site: DocumentStore.Located) throws(OpenAPILoadError) -> SchemaID {
        let key = site.document.file + "#" + site.pointer
        if let known = compiled[key] { return known }
        let id = SchemaID(index: nodes.count)
        compiled[key] = id
        nodes.append(SchemaNode(origin: site.location))
        var node = SchemaNode(origin: site.location)
        switch site.value {
        case .bool(let accepts):
            node.rejectsEverything = !accepts
        case .object(let members):
            try parse(members, of: site, into: &node)
        default:
            throw OpenAPILoadError(.invalidSchema, at: site.location, "a schema must be an object")
        }
        nodes[id.index] = node
        return id
    }

    private mutating func parse(
        _ members: [String: JSONValue], of site: DocumentStore.Located, into node: inout SchemaNode
    ) throws(OpenAPILoadError) {
        for keyword in members.keys {
            node.keywordLocations[keyword] = site.document.location(JSONPointer.appending(keyword, to: site.pointer))
        }
        let located = node
        func invalid(_ keyword: String, _ message: String) -> OpenAPILoadError {
            OpenAPILoadError(.invalidSchema, at: located.location(of: keyword), "\(keyword): \(message)")
        }
        if case .string(let reference)? = members["$ref"] {
            node.ref = try compile(store.resolve(reference, at: site))
            // In 3.0 a $ref object is replaced by its target: the siblings mean nothing.
            if version == .v3_0 { return }
        } else if members["$ref"] != nil {
            throw invalid("$ref", "must be a string")
        }
        if let type = members["type"] {
            node.types = try types(type, invalid: invalid)
        }
        if version == .v3_0, case .bool(true)? = members["nullable"], node.types != nil {
            node.types?.append(.null)
        }
        if let properties = members["properties"] {
            guard case .object(let declared) = properties else { throw invalid("properties", "must be an object") }
            for name in declared.keys.sorted() {
                node.properties[name] = try compile(child(site, "properties", name))
            }
        }
        if let required = members["required"] {
            guard case .array(let names) = required else { throw invalid("required", "must be an array of names") }
            node.required = try names.map { name throws(OpenAPILoadError) in
                guard case .string(let s) = name else { throw invalid("required", "must be an array of names") }
                return s
            }
        }
        switch members["additionalProperties"] {
        case nil, .bool(true)?: break
        case .bool(false)?: node.additionalProperties = .forbidden
        case .object?: node.additionalProperties = .schema(try compile(child(site, "additionalProperties")))
        default: throw invalid("additionalProperties", "must be a boolean or a schema")
        }
        if members["items"] != nil {
            node.items = try compile(child(site, "items"))
        }
        if let values = members["enum"] {
            guard case .array(let list) = values, !list.isEmpty else {
                throw invalid("enum", "must be a non-empty array")
            }
            node.enumValues = list
        }
        node.constValue = members["const"]
        if let format = members["format"] {
            guard case .string(let name) = format else { throw invalid("format", "must be a string") }
            node.format = name
        }
        if let title = members["title"] {
            guard case .string(let text) = title else { throw invalid("title", "must be a string") }
            node.title = text
        }
        try parseBounds(members, into: &node, invalid: invalid)
        node.minLength = try count(members, "minLength", invalid: invalid)
        node.maxLength = try count(members, "maxLength", invalid: invalid)
        node.minItems = try count(members, "minItems", invalid: invalid)
        node.maxItems = try count(members, "maxItems", invalid: invalid)
        if let pattern = members["pattern"] {
            guard case .string(let source) = pattern else { throw invalid("pattern", "must be a string") }
            do {
                node.pattern = SchemaPattern(source: source, regex: try NSRegularExpression(pattern: source))
            } catch {
                throw invalid("pattern", "invalid regular expression \"\(source)\"")
            }
        }
        node.allOf = try list(site, members, "allOf", invalid: invalid)
        node.anyOf = try list(site, members, "anyOf", invalid: invalid)
        node.oneOf = try list(site, members, "oneOf", invalid: invalid)
    }

    private func types(
        _ value: JSONValue, invalid: (String, String) -> OpenAPILoadError
    ) throws(OpenAPILoadError) -> [JSONSchemaType] {
        func one(_ value: JSONValue) throws(OpenAPILoadError) -> JSONSchemaType {
            guard case .string(let name) = value, let type = JSONSchemaType(rawValue: name),
                version == .v3_1 || type != .null
            else {
                let allowed = JSONSchemaType.allCases.filter { version == .v3_1 || $0 != .null }
                let names = allowed.map(\.rawValue).joined(separator: ", ")
                throw invalid("type", "\(value.jsonText) is not one of \(names)")
            }
            return type
        }
        guard case .array(let names) = value else { return [try one(value)] }
        guard version == .v3_1 else { throw invalid("type", "a list of types needs OpenAPI 3.1 (3.0 has nullable)") }
        guard !names.isEmpty else { throw invalid("type", "must not be an empty list") }
        return try names.map { name throws(OpenAPILoadError) in try one(name) }
    }

    private func parseBounds(
        _ members: [String: JSONValue], into node: inout SchemaNode, invalid: (String, String) -> OpenAPILoadError
    ) throws(OpenAPILoadError) {
        for (keyword, exclusiveKeyword, isLower) in [
            ("minimum", "exclusiveMinimum", true), ("maximum", "exclusiveMaximum", false),
        ] {
            var bounds: [NumericBound] = []
            let exclusive = members[exclusiveKeyword]
            switch (version, exclusive) {
            case (_, nil), (.v3_0, .bool?): break
            case (.v3_1, .number(let limit)?):
                bounds.append(NumericBound(value: limit, exclusive: true, keyword: exclusiveKeyword))
            case (.v3_0, _?): throw invalid(exclusiveKeyword, "must be a boolean in OpenAPI 3.0")
            case (.v3_1, _?): throw invalid(exclusiveKeyword, "must be a number in OpenAPI 3.1")
            }
            if let limit = members[keyword] {
                guard case .number(let number) = limit else { throw invalid(keyword, "must be a number") }
                // 3.0: `exclusiveMinimum: true` makes `minimum` exclusive.
                let isExclusive = version == .v3_0 && exclusive == .bool(true)
                bounds.append(NumericBound(value: number, exclusive: isExclusive,
                                           keyword: isExclusive ? exclusiveKeyword : keyword))
            }
            if isLower { node.lowerBounds = bounds } else { node.upperBounds = bounds }
        }
    }

    private func count(
        _ members: [String: JSONValue], _ keyword: String, invalid: (String, String) -> OpenAPILoadError
    ) throws(OpenAPILoadError) -> Int? {
        guard let value = members[keyword] else { return nil }
        guard case .number(let number) = value, let count = number.int64Value, count >= 0, count <= Int.max else {
            throw invalid(keyword, "must be a non-negative integer")
        }
        return Int(count)
    }

    private mutating func list(
        _ site: DocumentStore.Located, _ members: [String: JSONValue], _ keyword: String,
        invalid: (String, String) -> OpenAPILoadError
    ) throws(OpenAPILoadError) -> [SchemaID] {
        guard let value = members[keyword] else { return [] }
        guard case .array(let items) = value, !items.isEmpty else {
            throw invalid(keyword, "must be a non-empty array")
        }
        var ids: [SchemaID] = []
        for index in items.indices {
            ids.append(try compile(child(site, keyword, String(index))))
        }
        return ids
    }

    private func child(_ site: DocumentStore.Located, _ tokens: String...) -> DocumentStore.Located {
        var current = site
        for token in tokens {
            // Every token was read from `site.value` by the caller, so the child exists.
            current = current.child(token) ?? current
        }
        return current
    }
}
