import AccordDocuments

/// The type of one inline `reads`/`sends` entry: `string`, `int64`, `repeated object`,
/// `enum PENDING|PAID`, ...
struct InlineType {
    let type: ShapeType
    let isRepeated: Bool
    /// True for `object`: the path may continue below it.
    var isObject: Bool { if case .object = type { true } else { false } }

    static let scalars: [String: ShapeType] = [
        "string": .string, "bytes": .bytes, "bool": .bool,
        "int32": .integer(.int32), "sint32": .integer(.int32), "sfixed32": .integer(.int32),
        "int64": .integer(.int64), "sint64": .integer(.int64), "sfixed64": .integer(.int64),
        "uint32": .integer(.uint32), "fixed32": .integer(.uint32),
        "uint64": .integer(.uint64), "fixed64": .integer(.uint64),
        "integer": .integer(nil), "float": .number(.float), "double": .number(.double), "number": .number(nil),
        "timestamp": .timestamp, "duration": .duration, "map": .map(.any), "any": .any,
    ]
    static let names = scalars.keys.sorted() + ["enum", "object"]

    /// Parses `text` for the field `name`; the error says what is wrong.
    static func parse(_ text: String, name: String, location: SourceLocation) -> Result<InlineType, InlineTypeError> {
        var words = text.split(separator: " ", maxSplits: 1).map(String.init)
        var repeated = false
        if words.first == "repeated" {
            repeated = true
            words = words.count > 1 ? words[1].split(separator: " ", maxSplits: 1).map(String.init) : []
        }
        guard let head = words.first else {
            return .failure(InlineTypeError(message: "\"\(text)\" names no type (expected one of: \(listed))"))
        }
        if head == "enum" {
            let values = words.count > 1
                ? words[1].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } : []
            if values.contains(where: \.isEmpty) {
                return .failure(InlineTypeError(message: "\"\(text)\": enum values are names separated by |"))
            }
            let shape = EnumShape(name: name, values: values.map { EnumShape.Value(name: $0) }, location: location)
            return .success(InlineType(type: .enumeration(shape), isRepeated: repeated))
        }
        guard words.count == 1 else {
            return .failure(InlineTypeError(message: "\"\(text)\" is not a type (expected one of: \(listed))"))
        }
        if head == "object" {
            let shape = SchemaShape(id: name, name: name, origin: .inline, location: location, fields: [])
            return .success(InlineType(type: .object(shape), isRepeated: repeated))
        }
        guard let type = scalars[head] else {
            let hint = NearMiss.closest(to: head, among: names).map { "did you mean \"\($0)\"? " } ?? ""
            return .failure(InlineTypeError(message: "unknown type \"\(head)\" (\(hint)expected one of: \(listed))"))
        }
        return .success(InlineType(type: type, isRepeated: repeated))
    }

    private static var listed: String { names.joined(separator: ", ") }
}

struct InlineTypeError: Error {
    let message: String
}
