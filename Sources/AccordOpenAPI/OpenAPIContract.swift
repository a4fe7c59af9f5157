import AccordDocuments
import AccordJSON

/// An OpenAPI 3.0 or 3.1 document as Accord uses it: operations with their parameters, request
/// bodies and responses, every schema compiled for validation and located in its file.
public struct OpenAPIContract: Sendable {
    /// The `openapi` field as written (`3.0.3`, `3.1.0`).
    public let openapiVersion: String
    public let version: OpenAPIVersion
    public let title: String
    /// The document's path, as given to `load`.
    public let file: String
    public let operations: [OpenAPIOperation]
    /// `components/schemas` by name.
    public let componentSchemas: [String: SchemaID]
    public let schemas: SchemaSet

    /// The operation whose template matches `path` (no query string) for `method`, literal
    /// segments winning over templated ones.
    public func operation(method: String, path: String) -> OpenAPIOperation? {
        let method = method.uppercased()
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return operations
            .filter { $0.method == method && $0.matches(segments) }
            .min { $0.literalSegmentRank.lexicographicallyPrecedes($1.literalSegmentRank) }
    }

    public func operation(id: String) -> OpenAPIOperation? {
        operations.first { $0.operationId == id }
    }

    /// Checks a response body against what `operation` declares for `status` and `mediaType`
    /// (parameters such as `; charset=utf-8` are ignored).
    public func validateResponse(
        _ body: JSONValue, status: Int, mediaType: String = "application/json", of operation: OpenAPIOperation
    ) -> ResponseValidation {
        guard let response = operation.response(for: status) else { return .undeclaredStatus(status) }
        guard let schema = response.content.schema(for: mediaType) else {
            return response.content.isEmpty ? .valid : .undeclaredMediaType(mediaType)
        }
        let violations = schemas.validate(body, against: schema)
        return violations.isEmpty ? .valid : .violations(violations)
    }
}

/// The outcome of `OpenAPIContract.validateResponse`.
public enum ResponseValidation: Sendable, Hashable {
    case valid
    /// Neither the code, its range (`2XX`) nor `default` is declared.
    case undeclaredStatus(Int)
    case undeclaredMediaType(String)
    case violations([SchemaViolation])
}

public struct OpenAPIOperation: Sendable {
    /// Uppercase: `GET`, `POST`, ...
    public let method: String
    /// The path template: `/orders/{order_id}`.
    public let path: String
    public let operationId: String?
    /// Path-level parameters merged in, overridden by operation-level ones with the same name and place.
    public let parameters: [OpenAPIParameter]
    public let requestBody: OpenAPIRequestBody?
    /// By status: `200`, `2XX`, `default`.
    public let responses: [OpenAPIResponseKey: OpenAPIResponse]
    public let location: SourceLocation

    /// The response declared for `status`: the exact code, else its range, else `default`.
    public func response(for status: Int) -> OpenAPIResponse? {
        responses[.code(status)] ?? responses[.range(status / 100)] ?? responses[.default]
    }

    fileprivate var literalSegmentRank: [Int] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0.contains("{") ? 1 : 0 }
    }

    fileprivate func matches(_ segments: ArraySlice<Substring>) -> Bool {
        let template = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard template.count == segments.count else { return false }
        return zip(template, segments).allSatisfy { expected, actual in
            guard let open = expected.firstIndex(of: "{"), let close = expected.lastIndex(of: "}") else {
                return expected == actual
            }
            let prefix = expected[..<open], suffix = expected[expected.index(after: close)...]
            return actual.count > prefix.count + suffix.count && actual.hasPrefix(prefix) && actual.hasSuffix(suffix)
        }
    }
}

public struct OpenAPIParameter: Sendable, Hashable {
    public enum Place: String, Sendable, Hashable {
        case path, query, header, cookie
    }

    public let name: String
    public let place: Place
    public let required: Bool
    /// From `schema`, or from the first `content` media type.
    public let schema: SchemaID?
    public let location: SourceLocation
}

public struct OpenAPIRequestBody: Sendable {
    public let required: Bool
    public let content: OpenAPIContent
    public let location: SourceLocation
}

/// The `content` of a request body or response: a schema per media type.
public struct OpenAPIContent: Sendable {
    /// Media type (`application/json`) to its schema, nil when it declares none.
    public let schemas: [String: SchemaID?]

    public var isEmpty: Bool { schemas.isEmpty }

    /// The schema for `mediaType` (parameters such as `; charset=utf-8` ignored): an exact match,
    /// then `type/*`, then `*/*`.
    public func schema(for mediaType: String) -> SchemaID? {
        let bare = mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? mediaType
        let type = bare.split(separator: "/").first.map(String.init) ?? bare
        for key in [bare, "\(type)/*", "*/*"] {
            if let schema = schemas[key] { return schema }
        }
        return nil
    }
}

public enum OpenAPIResponseKey: Sendable, Hashable, CustomStringConvertible {
    case code(Int)
    /// `2XX` is `.range(2)`.
    case range(Int)
    case `default`

    public var description: String {
        switch self {
        case .code(let code): String(code)
        case .range(let hundreds): "\(hundreds)XX"
        case .default: "default"
        }
    }
}

public struct OpenAPIResponse: Sendable {
    public let description: String
    public let content: OpenAPIContent
    public let location: SourceLocation
}
