import AccordJSON

/// One problem in a user's file: where, which key, and what is wrong.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public let location: SourceLocation
    /// The key (last pointer token) the problem is about, when there is one.
    public let key: String?
    public let message: String

    public init(location: SourceLocation, key: String?, message: String) {
        self.location = location
        self.key = key
        self.message = message
    }

    /// `profile.yaml:7:5: stages[0].rate: expected "N/s" or "A..B/s", got "fast"`
    public var description: String {
        "\(location.fileLine): \(key.map { "\($0): " } ?? "")\(message)"
    }
}

/// Every problem found in one load of a file or a set of files, reported together.
public struct Diagnostics: Error, Sendable, Hashable, CustomStringConvertible {
    public let errors: [Diagnostic]
    public init(_ errors: [Diagnostic]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads typed values out of a `SourceDocument`, collecting a diagnostic (with file, line,
/// column and key) for each wrong type, missing key or unknown key instead of stopping at
/// the first, so a user fixes a file in one pass.
public struct DocumentReader {
    public let document: SourceDocument
    public private(set) var diagnostics: [Diagnostic] = []

    public init(_ document: SourceDocument) {
        self.document = document
    }

    /// Records a problem at `pointer`.
    public mutating func report(_ pointer: String, _ message: String) {
        diagnostics.append(Diagnostic(location: document.location(pointer), key: Self.keyPath(pointer), message: message))
    }

    /// Records problems found in another file the document names (a contract a profile loads).
    public mutating func add(_ others: [Diagnostic]) {
        diagnostics += others
    }

    /// `/stages/0/rate` -> `stages[0].rate`, as users write paths.
    public static func keyPath(_ pointer: String) -> String? {
        guard let tokens = JSONPointer.tokens(pointer), !tokens.isEmpty else { return nil }
        var path = ""
        for token in tokens {
            if Int(token) != nil { path += "[\(token)]" } else { path += path.isEmpty ? token : ".\(token)" }
        }
        return path
    }

    /// The members of the object at `pointer`; unknown keys are reported with a did-you-mean.
    public mutating func object(_ pointer: String, keys allowed: [String], required: Bool = true) -> [String: JSONValue]? {
        guard let value = document.value(at: pointer) else {
            if required { report(pointer, "missing") }
            return nil
        }
        guard case .object(let members) = value else {
            report(pointer, "expected a mapping, got \(value.typeName)")
            return nil
        }
        for key in members.keys.sorted() where !allowed.contains(key) {
            let hint = NearMiss.closest(to: key, among: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            report(JSONPointer.appending(key, to: pointer), "unknown key\(hint); allowed: \(allowed.joined(separator: ", "))")
        }
        return members
    }

    public mutating func string(_ pointer: String, required: Bool = false) -> String? {
        switch document.value(at: pointer) {
        case .string(let s)?: return s
        case nil:
            if required { report(pointer, "missing") }
            return nil
        case let other?:
            report(pointer, "expected a string, got \(other.typeName)")
            return nil
        }
    }

    public mutating func integer(_ pointer: String, required: Bool = false, range: ClosedRange<Int>? = nil) -> Int? {
        switch document.value(at: pointer) {
        case .number(let n)? where n.int64Value != nil:
            let value = Int(n.int64Value!)
            if let range, !range.contains(value) {
                report(pointer, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            return value
        case nil:
            if required { report(pointer, "missing") }
            return nil
        case let other?:
            report(pointer, "expected an integer, got \(other.jsonText)")
            return nil
        }
    }

    public mutating func array(_ pointer: String, required: Bool = false) -> [JSONValue]? {
        switch document.value(at: pointer) {
        case .array(let items)?: return items
        case nil:
            if required { report(pointer, "missing") }
            return nil
        case let other?:
            report(pointer, "expected a list, got \(other.typeName)")
            return nil
        }
    }

    /// `500ms`, `10s`, `2m`, `1h` (also `1.5s`).
    public mutating func duration(_ pointer: String, required: Bool = false) -> Duration? {
        guard let text = string(pointer, required: required) else { return nil }
        guard let duration = Self.parseDuration(text) else {
            report(pointer, "expected a duration such as 500ms, 10s, 2m (under 290 years); got \"\(text)\"")
            return nil
        }
        return duration
    }

    /// nil for anything else, and for what 64 bits of nanoseconds cannot hold (about 292 years).
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            let nanoseconds = (value * seconds * 1e9).rounded()
            guard nanoseconds < Double(Int64.max) else { return nil }
            return .nanoseconds(Int64(nanoseconds))
        }
        return nil
    }
}
