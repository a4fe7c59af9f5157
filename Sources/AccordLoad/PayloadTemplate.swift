import AccordJSON
import Foundation

/// A JSON payload with placeholders, rendered per request: `${seq}` (the request's sequence
/// number), `${uuid}`, `${random_int(1,100)}`, `${pick(a,b,c)}`. A string that is exactly one
/// numeric placeholder renders as a number. Parsed once; rendering does no parsing.
public struct PayloadTemplate: Sendable {
    enum Piece: Sendable {
        case text(String)
        case sequence
        case uuid
        case randomInt(Int, Int)
        case pick([String])
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let placeholder: String
        public let reason: String
        public var description: String { "${\(placeholder)}: \(reason)" }
    }

    indirect enum Node: Sendable {
        case literal(JSONValue)
        case string([Piece])
        case array([Node])
        case object([String: Node])
    }

    let root: Node

    /// True when no placeholder appears: the payload can be encoded once.
    public let isConstant: Bool

    public init(_ value: JSONValue) throws(ParseError) {
        var constant = true
        root = try Self.parse(value, constant: &constant)
        isConstant = constant
    }

    public func render(sequence: UInt64) -> JSONValue {
        var random = SystemRandomNumberGenerator()
        return Self.render(root, sequence: sequence, random: &random)
    }

    /// Renders a single string template (a URL path), without JSON typing.
    public static func renderString(_ text: String, sequence: UInt64) throws(ParseError) -> String {
        var random = SystemRandomNumberGenerator()
        return try pieces(text).map { Self.text(of: $0, sequence: sequence, random: &random) }.joined()
    }

    private static func parse(_ value: JSONValue, constant: inout Bool) throws(ParseError) -> Node {
        switch value {
        case .string(let s) where s.contains("${"):
            constant = false
            return .string(try pieces(s))
        case .array(let items):
            var nodes: [Node] = []
            for item in items { nodes.append(try parse(item, constant: &constant)) }
            return .array(nodes)
        case .object(let members):
            var nodes: [String: Node] = [:]
            for (key, member) in members { nodes[key] = try parse(member, constant: &constant) }
            return .object(nodes)
        default:
            return .literal(value)
        }
    }

    static func pieces(_ text: String) throws(ParseError) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ParseError(placeholder: String(rest[open.upperBound...]), reason: "no closing }")
            }
            pieces.append(try piece(String(rest[open.upperBound..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }

    private static func piece(_ placeholder: String) throws(ParseError) -> Piece {
        let trimmed = placeholder.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "seq": return .sequence
        case "uuid": return .uuid
        default: break
        }
        func arguments(_ name: String) -> [String]? {
            guard trimmed.hasPrefix(name + "("), trimmed.hasSuffix(")") else { return nil }
            return trimmed.dropFirst(name.count + 1).dropLast().split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let args = arguments("random_int") {
            guard args.count == 2, let low = Int(args[0]), let high = Int(args[1]), low <= high else {
                throw ParseError(placeholder: placeholder, reason: "random_int takes two integers, low <= high")
            }
            return .randomInt(low, high)
        }
        if let args = arguments("pick") {
            guard !args.isEmpty else { throw ParseError(placeholder: placeholder, reason: "pick needs values") }
            return .pick(args)
        }
        throw ParseError(
            placeholder: placeholder, reason: "unknown placeholder (seq, uuid, random_int(a,b), pick(a,b,...))")
    }

    private static func render(_ node: Node, sequence: UInt64, random: inout SystemRandomNumberGenerator) -> JSONValue {
        switch node {
        case .literal(let value): return value
        case .array(let nodes): return .array(nodes.map { render($0, sequence: sequence, random: &random) })
        case .object(let nodes): return .object(nodes.mapValues { render($0, sequence: sequence, random: &random) })
        case .string(let pieces):
            if pieces.count == 1 {
                switch pieces[0] {
                case .sequence: return .number(JSONNumber(sequence))
                case .randomInt(let low, let high): return .number(JSONNumber(Int.random(in: low...high, using: &random)))
                default: break
                }
            }
            return .string(pieces.map { text(of: $0, sequence: sequence, random: &random) }.joined())
        }
    }

    private static func text(of piece: Piece, sequence: UInt64, random: inout SystemRandomNumberGenerator) -> String {
        switch piece {
        case .text(let s): s
        case .sequence: String(sequence)
        case .uuid: UUID().uuidString.lowercased()
        case .randomInt(let low, let high): String(Int.random(in: low...high, using: &random))
        case .pick(let values): values.randomElement(using: &random)!
        }
    }
}
