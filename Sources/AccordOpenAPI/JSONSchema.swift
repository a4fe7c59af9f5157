import AccordDocuments
import AccordJSON
import Foundation

/// Which JSON Schema dialect a document's schemas speak.
public enum OpenAPIVersion: String, Sendable, Hashable {
    /// OpenAPI 3.0: a JSON Schema draft-05 subset; `nullable`, boolean `exclusiveMinimum`, `$ref`
    /// replaces its siblings, `type` is one name.
    case v3_0 = "3.0"
    /// OpenAPI 3.1: JSON Schema 2020-12; `type` arrays with "null", numeric `exclusiveMinimum`,
    /// `$ref` applies alongside its siblings, `nullable` means nothing.
    case v3_1 = "3.1"
}

/// A compiled schema inside a `SchemaSet`.
public struct SchemaID: Sendable, Hashable {
    let index: Int
}

/// The JSON Schema types.
enum JSONSchemaType: String, CaseIterable, Sendable {
    case null, boolean, integer, number, string, array, object

    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.null, .null), (.boolean, .bool), (.number, .number), (.string, .string), (.array, .array),
            (.object, .object):
            true
        case (.integer, .number(let n)): n.isInteger
        default: false
        }
    }
}

/// A lower or upper numeric bound and the keyword that set it.
struct NumericBound: Sendable {
    let value: JSONNumber
    let exclusive: Bool
    let keyword: String
}

/// A compiled `pattern`. NSRegularExpression is immutable once made and documented thread-safe.
final class SchemaPattern: @unchecked Sendable {
    let source: String
    let regex: NSRegularExpression

    init(source: String, regex: NSRegularExpression) {
        self.source = source
        self.regex = regex
    }

    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// One schema object with its keywords parsed; references to other schemas are `SchemaID`s, so
/// recursive schemas are plain cycles in the set.
struct SchemaNode: Sendable {
    enum Additional: Sendable {
        case allowed
        case forbidden
        case schema(SchemaID)
    }

    var origin: SourceLocation
    /// Where each keyword of this schema is written, for violations.
    var keywordLocations: [String: SourceLocation] = [:]
    /// The boolean schema `false`.
    var rejectsEverything = false
    var ref: SchemaID?
    var types: [JSONSchemaType]?
    var properties: [String: SchemaID] = [:]
    var required: [String] = []
    var additionalProperties: Additional = .allowed
    var items: SchemaID?
    var enumValues: [JSONValue]?
    /// `.some(.null)` is `const: null`.
    var constValue: JSONValue?
    var format: String?
    var title: String?
    var lowerBounds: [NumericBound] = []
    var upperBounds: [NumericBound] = []
    var minLength: Int?
    var maxLength: Int?
    var pattern: SchemaPattern?
    var minItems: Int?
    var maxItems: Int?
    var allOf: [SchemaID] = []
    var anyOf: [SchemaID] = []
    var oneOf: [SchemaID] = []

    func location(of keyword: String) -> SourceLocation { keywordLocations[keyword] ?? origin }
}

/// The compiled schemas of one contract, shared read-only by every validation.
public struct SchemaSet: Sendable {
    var nodes: [SchemaNode]

    /// Where the schema is declared.
    public func location(of schema: SchemaID) -> SourceLocation { nodes[schema.index].origin }

    /// Every violation of `schema` by `value`; empty when it conforms.
    public func validate(_ value: JSONValue, against schema: SchemaID) -> [SchemaViolation] {
        var run = SchemaValidation(set: self)
        run.validate(value, schema)
        return run.violations
    }
}

/// One way a value breaks its schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer of the offending value; for a missing required member, of where it should be.
    public let instancePointer: String
    /// The schema keyword that failed (`required`, `type`, `additionalProperties`, ...).
    public let keyword: String
    public let message: String
    /// Where the failing keyword is declared.
    public let schema: SourceLocation
    /// For a missing or unexpected member: the member name that was probably meant.
    public let nearMiss: String?

    public var description: String {
        let pointer = instancePointer.isEmpty ? "(root)" : instancePointer
        return "\(pointer): \(keyword): \(message) [schema \(schema)]"
    }
}
