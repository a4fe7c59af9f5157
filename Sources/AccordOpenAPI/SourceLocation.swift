import Foundation

/// Where something is declared: a file, a JSON pointer inside it, and the line and column when
/// the file's parser gave them.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as the contract names it (relative to the contract folder where possible).
    public let file: String
    /// RFC 6901 pointer inside the file (`/components/schemas/User`); empty for the whole file.
    public let pointer: String
    public let line: Int?
    public let column: Int?

    public init(file: String, pointer: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.pointer = pointer
        self.line = line
        self.column = column
    }

    /// `openapi.yaml:12:5 #/components/schemas/User`
    public var description: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text + " #" + pointer
    }
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
