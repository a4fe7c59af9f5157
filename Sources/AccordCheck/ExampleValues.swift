import AccordJSON
import AccordLoad

/// The responses of the examples run so far, by example name, and the rendering of a later
/// example's payload: `${create.order.id}` takes a member of `create`'s response, the payload
/// generators (`${seq}`, `${uuid}`, ...) render as in load profiles.
struct ExampleValues {
    struct Unresolved: Error, CustomStringConvertible {
        let placeholder: String
        let reason: String
        var description: String { "${\(placeholder)}: \(reason)" }
    }

    private var responses: [String: JSONValue] = [:]

    mutating func record(_ response: JSONValue, for example: String) {
        responses[example] = response
    }

    /// `payload` with every reference to an earlier response replaced, then its generators rendered.
    func render(_ payload: JSONValue, sequence: UInt64) throws -> JSONValue {
        try PayloadTemplate(try resolve(payload)).render(sequence: sequence)
    }

    /// A path or query parameter: the same, as text.
    func render(_ text: String, sequence: UInt64) throws -> String {
        switch try render(.string(text), sequence: sequence) {
        case .string(let string): string
        case .number(let number): number.literal
        case let other: other.jsonText
        }
    }

    private func resolve(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text): try resolve(text)
        case .array(let items): .array(try items.map(resolve))
        case .object(let members): .object(try members.mapValues(resolve))
        default: value
        }
    }

    /// A string that is exactly one reference takes the referenced value with its JSON type;
    /// references inside longer text are spliced in as text.
    private func resolve(_ text: String) throws -> JSONValue {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            let name = String(rest[open.upperBound..<close])
            guard let value = try lookup(name) else {
                result += rest[..<rest.index(after: close)]
                rest = rest[rest.index(after: close)...]
                continue
            }
            if rest[..<open.lowerBound].isEmpty && result.isEmpty && rest.index(after: close) == rest.endIndex {
                return value
            }
            result += rest[..<open.lowerBound]
            switch value {
            case .string(let string): result += string
            case .number(let number): result += number.literal
            default: result += value.jsonText
            }
            rest = rest[rest.index(after: close)...]
        }
        return .string(result + rest)
    }

    /// The value `name` refers to; nil when it is a generator, not `<example>.<path>`.
    private func lookup(_ name: String) throws -> JSONValue? {
        guard !name.contains("("), let dot = name.firstIndex(of: ".") else { return nil }
        let example = String(name[..<dot])
        guard var value = responses[example] else {
            throw Unresolved(placeholder: name, reason: "example \(example) has no response (it failed or has not run)")
        }
        for segment in name[name.index(after: dot)...].split(separator: ".") {
            guard let member = value[String(segment)] else {
                throw Unresolved(placeholder: name, reason: "the response of \(example) has no \(segment)")
            }
            value = member
        }
        return value
    }
}
