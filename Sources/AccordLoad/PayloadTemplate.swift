import AccordJSON
import Foundation

/// A JSON payload with placeholders, rendered per request: `${seq}` (the request's sequence
/// number), `${uuid}`, `${random_int(1,100)}`, `${pick(a,b,c)}`, and `${entry.dotted.path}`, a
/// value captured from a recent response of another mix entry (`CapturedValues`). A string that
/// is exactly one numeric placeholder renders as a number, exactly one capture as the captured
/// value. Parsed once; rendering does no parsing.
public struct PayloadTemplate: Sendable {
    enum Piece: Sendable {
        case text(String)
        case sequence
        case uuid
        case randomInt(Int, Int)
        case pick([String])
        /// `create.order.id`: resolved against the mix's entry names by the profile.
        case capture(String)
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let placeholder: String
        public let reason: String
        public var description: String { "${\(placeholder)}: \(reason)" }
    }

    /// A capture the template needs has no value yet: the entry it comes from has not succeeded.
    public struct MissingCapture: Error, Sendable, Hashable, CustomStringConvertible {
        public let reference: String
        public var description: String { "${\(reference)}: nothing captured yet" }
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

    /// The captured values the template takes (`create.order.id`), each once, in order of appearance.
    public let captures: [String]

    public init(_ value: JSONValue) throws(ParseError) {
        var constant = true
        var captures: [String] = []
        root = try Self.parse(value, constant: &constant, captures: &captures)
        isConstant = constant
        self.captures = captures
    }

    /// A payload without placeholders, taken as it is (`{}` for a call that gives none).
    init(literal value: JSONValue) {
        root = .literal(value)
        isConstant = true
        captures = []
    }

    /// Renders request `sequence`; `captures` supplies `${entry.path}` values (a template with
    /// captures and no store, or a store without a value yet, throws `MissingCapture`).
    public func render(sequence: UInt64, captures: CapturedValues? = nil) throws(MissingCapture) -> JSONValue {
        var random = SystemRandomNumberGenerator()
        return try Self.render(root, sequence: sequence, random: &random, captures: captures)
    }

    /// Renders a single string template (a URL path), without JSON typing.
    public static func renderString(_ text: String, sequence: UInt64) throws(ParseError) -> String {
        var random = SystemRandomNumberGenerator()
        var rendered = ""
        for piece in try pieces(text) {
            do {
                rendered += try Self.text(of: piece, sequence: sequence, random: &random, captures: nil)
            } catch {
                throw ParseError(placeholder: error.reference, reason: "captured values need a contract entry")
            }
        }
        return rendered
    }

    private static func parse(_ value: JSONValue, constant: inout Bool, captures: inout [String]) throws(ParseError)
        -> Node
    {
        switch value {
        case .string(let s) where s.contains("${"):
            constant = false
            let parsed = try pieces(s)
            for case .capture(let reference) in parsed where !captures.contains(reference) {
                captures.append(reference)
            }
            return .string(parsed)
        case .array(let items):
            var nodes: [Node] = []
            for item in items { nodes.append(try parse(item, constant: &constant, captures: &captures)) }
            return .array(nodes)
        case .object(let members):
            var nodes: [String: Node] = [:]
            for (key, member) in members {
                nodes[key] = try parse(member, constant: &constant, captures: &captures)
            }
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
        // `entry.path`: a captured value; which entry it names, the profile decides.
        if trimmed.contains("."), !trimmed.contains("("), !trimmed.hasPrefix("."), !trimmed.hasSuffix(".") {
            return .capture(trimmed)
        }
        throw ParseError(
            placeholder: placeholder,
            reason: "unknown placeholder (seq, uuid, random_int(a,b), pick(a,b,...), or entry.path, a captured value)"
        )
    }

    private static func render(
        _ node: Node, sequence: UInt64, random: inout SystemRandomNumberGenerator, captures: CapturedValues?
    ) throws(MissingCapture) -> JSONValue {
        switch node {
        case .literal(let value):
            return value
        case .array(let nodes):
            var items: [JSONValue] = []
            items.reserveCapacity(nodes.count)
            for node in nodes {
                items.append(try render(node, sequence: sequence, random: &random, captures: captures))
            }
            return .array(items)
        case .object(let nodes):
            var members: [String: JSONValue] = [:]
            for (key, node) in nodes {
                members[key] = try render(node, sequence: sequence, random: &random, captures: captures)
            }
            return .object(members)
        case .string(let pieces):
            if pieces.count == 1 {
                switch pieces[0] {
                case .sequence: return .number(JSONNumber(sequence))
                case .randomInt(let low, let high): return .number(JSONNumber(Int.random(in: low...high, using: &random)))
                case .capture(let reference): return try captured(reference, from: captures)
                default: break
                }
            }
            var text = ""
            for piece in pieces {
                text += try Self.text(of: piece, sequence: sequence, random: &random, captures: captures)
            }
            return .string(text)
        }
    }

    private static func captured(_ reference: String, from captures: CapturedValues?) throws(MissingCapture)
        -> JSONValue
    {
        guard let value = captures?.pick(reference) else { throw MissingCapture(reference: reference) }
        return value
    }

    private static func text(
        of piece: Piece, sequence: UInt64, random: inout SystemRandomNumberGenerator, captures: CapturedValues?
    ) throws(MissingCapture) -> String {
        switch piece {
        case .text(let s): return s
        case .sequence: return String(sequence)
        case .uuid: return UUID().uuidString.lowercased()
        case .randomInt(let low, let high): return String(Int.random(in: low...high, using: &random))
        case .pick(let values): return values.randomElement(using: &random) ?? ""
        case .capture(let reference):
            // Inside a longer string a captured value is its text: strings as they are, others as JSON.
            switch try captured(reference, from: captures) {
            case .string(let s): return s
            case .number(let n): return n.literal
            case let other: return other.jsonText
            }
        }
    }
}
