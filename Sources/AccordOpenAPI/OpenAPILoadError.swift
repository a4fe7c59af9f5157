import AccordDocuments

/// Why a contract's OpenAPI document (or a file it references) could not be loaded, and where.
public struct OpenAPILoadError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The file cannot be read, or a reference leaves the contract folder.
        case unreadable
        /// Not well-formed YAML or JSON.
        case syntax
        /// Well-formed, but not a valid OpenAPI document (OpenAPIKit's verdict).
        case invalidDocument
        /// A schema keyword with a value the validator cannot use.
        case invalidSchema
        /// A `$ref` whose target does not exist.
        case unresolvedReference
        /// Valid OpenAPI, but outside what Accord supports (remote references, OpenAPI 2).
        case unsupported
    }

    public let kind: Kind
    public let location: SourceLocation
    public let message: String

    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    /// A document that would not parse, in the OpenAPI loader's terms.
    public init(_ error: DocumentError) {
        let kind: Kind =
            switch error.kind {
            case .syntax: .syntax
            case .unsupported: .unsupported
            }
        self.init(kind, at: error.location, error.message)
    }

    /// `gateway.yaml:14:9 #/paths/~1orders/get/responses: Expected to find ...`
    public var description: String { "\(location): \(message)" }
}
