import AccordDocuments
import AccordJSON
import Foundation

/// A value inside a contract's YAML file, with its pointer (for the line) and its key path
/// (for the message).
struct YAMLNode {
    let document: SourceDocument
    let pointer: String
    let value: JSONValue
    /// `services.orders.grpc`, `services.gateway.consumes[0]`; keys holding dots are quoted.
    let keyPath: String

    init(document: SourceDocument) {
        self.init(document: document, pointer: "", value: document.root, keyPath: "")
    }

    private init(document: SourceDocument, pointer: String, value: JSONValue, keyPath: String) {
        self.document = document
        self.pointer = pointer
        self.value = value
        self.keyPath = keyPath
    }

    var location: SourceLocation { document.location(pointer) }

    /// The member `key` of a mapping, nil when absent or when this is not a mapping.
    func child(_ key: String) -> YAMLNode? {
        guard let value = value[key] else { return nil }
        let quoted = key.contains(where: { $0 == "." || $0 == " " || $0 == "[" }) ? "\"\(key)\"" : key
        return YAMLNode(document: document, pointer: JSONPointer.appending(key, to: pointer), value: value,
                        keyPath: keyPath.isEmpty ? quoted : keyPath + "." + quoted)
    }

    /// The items of a list, empty when this is not a list.
    var items: [YAMLNode] {
        guard case .array(let items) = value else { return [] }
        return items.indices.map { index in
            YAMLNode(document: document, pointer: JSONPointer.appending(String(index), to: pointer),
                     value: items[index], keyPath: keyPath + "[\(index)]")
        }
    }

    /// The members of a mapping in the order they are written.
    var members: [(key: String, node: YAMLNode)] {
        guard case .object(let members) = value else { return [] }
        return members.keys.compactMap { key in child(key).map { (key, $0) } }
            .sorted { a, b in
                let x = a.node.location, y = b.node.location
                return (x.line ?? 0, x.column ?? 0, a.key) < (y.line ?? 0, y.column ?? 0, b.key)
            }
    }

    /// What kind of value this is, for "expected a mapping, found a list".
    var kindName: String {
        switch value {
        case .null: "nothing"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}

/// The diagnostics of one load, in the order they were found.
final class DiagnosticLog {
    private(set) var diagnostics: [Diagnostic] = []

    func error(_ node: YAMLNode, _ message: String) {
        diagnostics.append(Diagnostic(location: node.location, key: node.keyPath, message: message))
    }

    func error(at location: SourceLocation, key: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(location: location, key: key, message: message))
    }

    /// File by file, top to bottom, so the report reads like the files.
    var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let x = a.element.location, y = b.element.location
            return (x.file, x.line ?? 0, x.column ?? 0, a.offset) < (y.file, y.line ?? 0, y.column ?? 0, b.offset)
        }.map(\.element)
    }
}

/// A mapping whose keys were checked against the keys it may have.
struct YAMLMapping {
    let node: YAMLNode

    subscript(key: String) -> YAMLNode? { node.child(key) }
}

/// Typed reading of YAML values; every problem goes to the log and the reader returns nil, so a
/// load reports all problems rather than the first.
struct YAMLReader {
    let log: DiagnosticLog

    /// `node` as a mapping with only `allowed` keys (unknown ones are reported with a did-you-mean)
    /// and every `required` key.
    func mapping(_ node: YAMLNode, allowed: [String], required: [String] = []) -> YAMLMapping? {
        guard case .object = node.value else {
            log.error(node, "expected a mapping, found \(node.kindName)")
            return nil
        }
        for (key, member) in node.members where !allowed.contains(key) {
            var message = "unknown key \"\(key)\""
            if let near = NearMiss.closest(to: key, among: allowed) {
                message += " (did you mean \"\(near)\"?)"
            } else {
                message += " (expected one of: \(allowed.joined(separator: ", ")))"
            }
            log.error(member, message)
        }
        for key in required where node.child(key) == nil {
            log.error(node, "missing key \"\(key)\"")
        }
        return YAMLMapping(node: node)
    }

    func string(_ node: YAMLNode) -> String? {
        guard case .string(let text) = node.value else {
            log.error(node, "expected a string, found \(node.kindName)")
            return nil
        }
        guard !text.isEmpty else {
            log.error(node, "must not be empty")
            return nil
        }
        return text
    }

    /// A string that must be one of `choices`.
    func choice(_ node: YAMLNode, _ choices: [String]) -> String? {
        guard let text = string(node) else { return nil }
        guard choices.contains(text) else {
            let hint = NearMiss.closest(to: text, among: choices).map { "did you mean \"\($0)\"? " } ?? ""
            log.error(node, "\"\(text)\" is not allowed (\(hint)expected one of: \(choices.joined(separator: ", ")))")
            return nil
        }
        return text
    }

    func integer(_ node: YAMLNode, in range: ClosedRange<Int>) -> Int? {
        guard case .number(let number) = node.value, let value = number.int64Value.map(Int.init) else {
            log.error(node, "expected a whole number, found \(node.kindName)")
            return nil
        }
        guard range.contains(value) else {
            log.error(node, "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
            return nil
        }
        return value
    }

    func number(_ node: YAMLNode, in range: ClosedRange<Double>) -> Double? {
        guard case .number(let number) = node.value else {
            log.error(node, "expected a number, found \(node.kindName)")
            return nil
        }
        guard range.contains(number.doubleValue) else {
            log.error(node, "\(number) is out of range (\(range.lowerBound)...\(range.upperBound))")
            return nil
        }
        return number.doubleValue
    }

    /// A list of strings; a single string counts as a list of one when `single` allows it.
    func strings(_ node: YAMLNode, single: Bool = false) -> [(text: String, node: YAMLNode)]? {
        if single, case .string = node.value {
            return string(node).map { [($0, node)] }
        }
        guard case .array = node.value else {
            log.error(node, "expected a list\(single ? " or a string" : ""), found \(node.kindName)")
            return nil
        }
        var result: [(String, YAMLNode)] = []
        var failed = false
        for item in node.items {
            if let text = string(item) { result.append((text, item)) } else { failed = true }
        }
        return failed ? nil : result
    }

    /// `250ms`, `1.5s`, `2m`, `500us` (`DocumentReader`'s forms); `0` alone means none.
    func duration(_ node: YAMLNode) -> Duration? {
        switch node.value {
        case .string(let text):
            if let duration = DocumentReader.parseDuration(text) { return duration }
            log.error(node, "\"\(text)\" is not a duration (a number with ms, s, m, h or us)")
            return nil
        case .number(let number) where number.doubleValue == 0:
            return .zero
        default:
            log.error(node, "expected a duration such as 250ms or 2s, found \(node.kindName)")
            return nil
        }
    }
}
