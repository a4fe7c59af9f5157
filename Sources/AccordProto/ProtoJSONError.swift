import AccordJSON

/// Options of the proto3 JSON mapping.
public struct ProtoJSONOptions: Sendable, Hashable {
    /// Skip JSON members (and enum names) the schema does not know instead of failing.
    public var ignoreUnknownFields: Bool
    /// Write proto field names (`user_id`) instead of JSON names (`userId`).
    public var preserveProtoFieldNames: Bool
    /// The deepest message nesting accepted.
    public var maxDepth: Int

    public init(ignoreUnknownFields: Bool = false, preserveProtoFieldNames: Bool = false,
                maxDepth: Int = DynamicMessage.defaultMaxDepth) {
        self.ignoreUnknownFields = ignoreUnknownFields
        self.preserveProtoFieldNames = preserveProtoFieldNames
        self.maxDepth = maxDepth
    }
}

/// Why a message could not be mapped to or from JSON, with the path of the offending member
/// (`items[2].sku`, as the JSON spells it).
public struct ProtoJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The text is not JSON at all.
        case invalidJSON(JSONParser.Error)
        /// A member the message type does not declare.
        case unknownField(name: String, message: String)
        /// The same field given twice (by its proto and its JSON name).
        case duplicateField(name: String)
        /// Two members of one oneof.
        case duplicateOneof(oneof: String, first: String, second: String)
        case wrongJSONType(expected: String, found: String)
        /// A value of the right JSON type that the field cannot hold (range, format).
        case invalidValue(expected: String, found: String)
        case unknownEnumValue(name: String, enumType: String)
        /// An `Any` whose type URL names no message of the loaded schema.
        case unresolvableAnyType(typeURL: String)
        /// An `Any` whose packed bytes do not decode as its type.
        case undecodableAny(ProtoDecodingError)
        case nestingTooDeep(limit: Int)
    }

    public let problem: Problem
    /// Path of the member from the top of the document, empty for the document itself.
    public internal(set) var path: String

    init(_ problem: Problem, path: String = "") {
        self.problem = problem
        self.path = path
    }

    public var description: String {
        path.isEmpty ? "\(problem)" : "\(path): \(problem)"
    }

    /// The error seen from the enclosing object or array.
    func inside(_ step: String) -> ProtoJSONError {
        var copy = self
        if path.isEmpty {
            copy.path = step
        } else {
            copy.path = path.hasPrefix("[") ? step + path : "\(step).\(path)"
        }
        return copy
    }
}

extension ProtoJSONError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidJSON(let error): "invalid JSON: \(error)"
        case .unknownField(let name, let message): "unknown field \"\(name)\" in \(message)"
        case .duplicateField(let name): "field \(name) given twice"
        case .duplicateOneof(let oneof, let first, let second):
            "\"\(first)\" and \"\(second)\" are both members of oneof \(oneof)"
        case .wrongJSONType(let expected, let found): "expected \(expected), found \(found)"
        case .invalidValue(let expected, let found): "expected \(expected), found \(found)"
        case .unknownEnumValue(let name, let enumType): "\"\(name)\" is not a value of \(enumType)"
        case .unresolvableAnyType(let url): "Any type \"\(url)\" is not in the loaded schema"
        case .undecodableAny(let error): "Any value does not decode: \(error)"
        case .nestingTooDeep(let limit): "messages nested deeper than \(limit)"
        }
    }
}
