import Foundation

/// Where something is declared: a file, a JSON pointer inside it for YAML/JSON documents,
/// and the 1-based line and column when the file's parser gave them. One type for every
/// kind of contract file (.proto, OpenAPI, system.yaml, load profiles), so diagnostics and
/// findings print locations the same way.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file as the contract names it (relative to its folder or import root where possible).
    public let file: String
    /// The file on disk, when it differs from `file` and is known.
    public let path: String?
    /// RFC 6901 pointer inside the file (`/components/schemas/User`); empty for the whole file
    /// and for non-JSON files.
    public let pointer: String
    public let line: Int?
    public let column: Int?

    public init(file: String, path: String? = nil, pointer: String = "", line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.path = path
        self.pointer = pointer
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and CI annotations jump to.
    public var fileLine: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }

    /// `openapi.yaml:12:5 #/components/schemas/User`; without the pointer when there is none.
    public var description: String { pointer.isEmpty ? fileLine : fileLine + " #" + pointer }
}

/// RFC 6901 JSON pointers, built from and split into reference tokens.
public enum JSONPointer {
    /// `/a~1b/0` for the tokens `a/b`, `0`.
    public static func make<S: Sequence>(_ tokens: S) -> String where S.Element: StringProtocol {
        tokens.reduce(into: "") { $0 += "/" + escape($1) }
    }

    public static func appending(_ token: some StringProtocol, to pointer: String) -> String {
        pointer + "/" + escape(token)
    }

    public static func escape(_ token: some StringProtocol) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return String(token) }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The unescaped tokens of `pointer`, or nil when it is not a pointer (does not start with `/`).
    public static func tokens(_ pointer: some StringProtocol) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.first == "/" else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }
}
