/// Why a YAML or JSON file could not be read as a document, and where.
public struct DocumentError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Not well-formed YAML or JSON (or empty).
        case syntax
        /// Well-formed, but using a YAML feature Accord does not accept (aliases).
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

    public var description: String { "\(location): \(message)" }
}
