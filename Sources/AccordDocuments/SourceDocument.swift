import AccordJSON
import Foundation
import Yams

/// One parsed YAML or JSON file: its value as `JSONValue`, and the line and column of every
/// member and item by JSON pointer (Yams' marks), so diagnostics can point into the file.
public struct SourceDocument: Sendable {
    public struct Position: Sendable, Hashable {
        public let line: Int
        public let column: Int
    }

    /// The path shown in diagnostics.
    public let file: String
    public let text: String
    public let root: JSONValue
    public let positions: [String: Position]

    public init(file: String, text: String) throws(DocumentError) {
        self.file = file
        self.text = text
        let wholeFile = SourceLocation(file: file, pointer: "")
        let yamlText: String
        if file.lowercased().hasSuffix(".json") {
            // Checked by the strict JSON parser first for its exact messages; then tabs, which
            // JSON allows as whitespace and YAML's scanner refuses, are made spaces for Yams.
            do {
                _ = try JSONParser.parse(text)
            } catch {
                throw DocumentError(.syntax, at: SourceLocation(file: file, line: error.line,
                                                                   column: error.column), error.message)
            }
            yamlText = text.replacing("\t", with: " ")
        } else {
            yamlText = text
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yamlText)
        } catch {
            throw Self.syntaxError(error, in: file)
        }
        guard let node else { throw DocumentError(.syntax, at: wholeFile, "the file is empty") }
        var positions: [String: Position] = [:]
        root = try Self.convert(node, pointer: "", file: file, positions: &positions)
        self.positions = positions
    }

    /// The value at `pointer`, or nil when nothing is there.
    public func value(at pointer: String) -> JSONValue? {
        guard let tokens = JSONPointer.tokens(pointer) else { return nil }
        var value = root
        for token in tokens {
            switch value {
            case .object(let members):
                guard let next = members[token] else { return nil }
                value = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else { return nil }
                value = items[index]
            default:
                return nil
            }
        }
        return value
    }

    /// `pointer` in this file, with the line of the closest enclosing value that has one.
    public func location(_ pointer: String) -> SourceLocation {
        var probe = Substring(pointer)
        while true {
            if let position = positions[String(probe)] {
                return SourceLocation(file: file, pointer: pointer, line: position.line, column: position.column)
            }
            guard let slash = probe.lastIndex(of: "/") else { break }
            probe = probe[..<slash]
        }
        return SourceLocation(file: file, pointer: pointer)
    }

    /// Yams' error with its mark as the location and its problem (without the echoed snippet) as text.
    private static func syntaxError(_ error: Error, in file: String) -> DocumentError {
        let parts: (YamlError.Context?, String, Mark)?
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _)?: parts = (context, problem, mark)
        case .parser(let context, let problem, let mark, _)?: parts = (context, problem, mark)
        case .composer(let context, let problem, let mark, _)?: parts = (context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            parts = (nil, "duplicate keys \(duplicates.joined(separator: ", "))", context.mark)
        default: parts = nil
        }
        guard let (context, problem, mark) = parts else {
            return DocumentError(.syntax, at: SourceLocation(file: file, pointer: ""), "\(error)")
        }
        let text = context.map { "\($0.text): \(problem)" } ?? problem
        return DocumentError(.syntax, at: location(mark, "", file), text)
    }

    private static func convert(
        _ node: Node, pointer: String, file: String, positions: inout [String: Position]
    ) throws(DocumentError) -> JSONValue {
        if positions[pointer] == nil, let mark = node.mark {
            positions[pointer] = Position(line: mark.line, column: mark.column)
        }
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar, tag: node.tag)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            items.reserveCapacity(sequence.count)
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, pointer: pointer + "/\(index)", file: file, positions: &positions))
            }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw DocumentError(.syntax, at: location(key.mark, pointer, file), "mapping keys must be scalars")
                }
                let name = keyScalar.string
                let memberPointer = JSONPointer.appending(name, to: pointer)
                guard members[name] == nil else {
                    throw DocumentError(.syntax, at: location(key.mark, memberPointer, file), "duplicate key \"\(name)\"")
                }
                // The key's line is where a reader looks for a member.
                if let mark = key.mark { positions[memberPointer] = Position(line: mark.line, column: mark.column) }
                members[name] = try convert(value, pointer: memberPointer, file: file, positions: &positions)
            }
            return .object(members)
        case .alias:
            throw DocumentError(.unsupported, at: location(node.mark, pointer, file), "YAML aliases are not supported")
        }
    }

    private static func location(_ mark: Mark?, _ pointer: String, _ file: String) -> SourceLocation {
        SourceLocation(file: file, pointer: pointer, line: mark?.line, column: mark?.column)
    }

    /// YAML's resolved tag decides the JSON type; numbers keep their literal text when it is
    /// valid JSON, so `9007199254740993` stays exact.
    private static func scalarValue(_ scalar: Node.Scalar, tag: Tag) -> JSONValue {
        let text = scalar.string
        switch Tag.Name(rawValue: tag.rawValue) {
        case .null:
            return .null
        case .bool:
            return .bool(Bool.construct(from: scalar) ?? false)
        case .int:
            if let number = try? JSONParser.parse(text), case .number = number { return number }
            if let value = Int.construct(from: scalar) { return .number(JSONNumber(value)) }
            return .string(text)
        case .float:
            if let number = try? JSONParser.parse(text), case .number = number { return number }
            if let value = Double.construct(from: scalar), value.isFinite { return .number(JSONNumber(value)) }
            return .string(text)
        default:
            return .string(text)
        }
    }
}
