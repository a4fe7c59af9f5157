import AccordDocuments
import AccordReport

/// What a consumer expects (inline `reads`, or its copy of a JSON Schema) against what the
/// producer sends: fields by name, then their types, repeatedness and enum values.
struct ShapeComparison {
    let context: FindingContext
    private(set) var findings: [Finding] = []

    init(context: FindingContext) {
        self.context = context
    }

    mutating func compare(expected: SchemaShape, produced: SchemaShape) {
        compare(expected, produced, path: "", expectedStack: [], producedStack: [])
    }

    private mutating func compare(_ expected: SchemaShape, _ produced: SchemaShape, path: String,
                                  expectedStack: [SchemaShape], producedStack: [SchemaShape]) {
        let expectedStack = expectedStack + [expected], producedStack = producedStack + [produced]
        for wanted in expected.fields {
            let fieldPath = path.isEmpty ? wanted.name : path + "." + wanted.name
            guard let sent = produced.field(named: wanted.name) else {
                // A JSON object without declared members is free-form: nothing to compare against.
                if produced.origin == .jsonSchema && produced.isOpen && produced.fields.isEmpty { continue }
                missing(wanted, in: produced, path: fieldPath)
                continue
            }
            let sentRepeated = sent.isRepeated ?? false
            if let repeated = wanted.isRepeated, repeated != sentRepeated {
                findings.append(context.finding(
                    .repeatedMismatch, path: fieldPath,
                    producerSays: "\(fieldPath) is \(Self.describe(sent.type, repeated: sentRepeated))",
                    consumerExpects: "reads it as \(Self.describe(wanted.type, repeated: repeated))",
                    suggestion: sentRepeated
                        ? "read \(fieldPath) as a list (repeated \(Self.inline(sent.type)))"
                        : "read \(fieldPath) as a single \(Self.inline(sent.type)), not a list",
                    producerAt: sent.location, consumerAt: wanted.location))
            }
            compareTypes(wanted, sent, path: fieldPath, expectedStack: expectedStack, producedStack: producedStack)
        }
    }

    private mutating func missing(_ wanted: ShapeField, in produced: SchemaShape, path: String) {
        let near = NearMiss.closest(to: wanted.name, among: produced.candidateNames).flatMap(produced.field(named:))
        var says = "\(produced.name) has no field \(wanted.name)"
        let suggestion: String
        if let near {
            says += "; it sends \(near.displayName)"
            let parent = path.split(separator: ".").dropLast().joined(separator: ".")
            let prefix = parent.isEmpty ? "" : parent + "."
            suggestion = "read \(prefix)\(near.displayName) (a near miss: the names differ "
                + (NearMiss.fold(near.name) == NearMiss.fold(wanted.name) ? "only in case or underscores)"
                   : "by a typo)")
        } else {
            suggestion = "stop reading \(path), or add it to \(produced.name)"
        }
        findings.append(context.finding(
            .missingField, path: path, producerSays: says,
            consumerExpects: "reads \(path) as \(Self.describe(wanted.type, repeated: wanted.isRepeated ?? false))",
            suggestion: suggestion, producerAt: near?.location ?? produced.location, consumerAt: wanted.location))
    }

    private mutating func compareTypes(_ wanted: ShapeField, _ sent: ShapeField, path: String,
                                       expectedStack: [SchemaShape], producedStack: [SchemaShape]) {
        let expected = Self.resolve(wanted.type, expectedStack), produced = Self.resolve(sent.type, producedStack)
        switch (expected, produced) {
        case (.any, _), (_, .any):
            return
        case (.object(let inner), .object(let sentInner)):
            compare(inner, sentInner, path: path, expectedStack: expectedStack, producedStack: producedStack)
        case (.object(let inner), .map(let value)):
            // Reading members of a map: each named member has the map's value type.
            let entries = ShapeField(name: "*", type: value, isRepeated: false, location: sent.location)
            for member in inner.fields {
                compareTypes(member, entries, path: path + "." + member.name, expectedStack: expectedStack,
                             producedStack: producedStack)
            }
        case (.map(let value), .map(let sentValue)):
            let a = ShapeField(name: "*", type: value, isRepeated: false, location: wanted.location)
            let b = ShapeField(name: "*", type: sentValue, isRepeated: false, location: sent.location)
            compareTypes(a, b, path: path, expectedStack: expectedStack, producedStack: producedStack)
        case (.map, .object):
            return
        case (.enumeration(let known), .enumeration(let values)):
            unknownValues(known, values, wanted: wanted, sent: sent, path: path)
        default:
            guard !Self.compatible(expected, produced) else { return }
            let narrowing = Self.isNarrowing(expected, produced)
            findings.append(context.finding(
                .typeMismatch, path: path, producerSays: "\(path) is \(produced)",
                consumerExpects: "reads it as \(expected)",
                suggestion: "read \(path) as \(Self.inline(produced))"
                    + (narrowing ? " (\(expected) cannot hold every \(produced) value)" : ""),
                producerAt: sent.location, consumerAt: wanted.location))
        }
    }

    private mutating func unknownValues(_ known: EnumShape, _ values: EnumShape, wanted: ShapeField, sent: ShapeField,
                                        path: String) {
        guard !known.values.isEmpty else { return }
        // A protobuf enum's zero value is what an unset field reads as; every consumer meets it.
        let unknown = values.values.filter { value in
            value.number != 0 && !known.values.contains { $0.name == value.name }
        }
        guard let first = unknown.first else { return }
        let names = unknown.map(\.name).joined(separator: ", ")
        findings.append(context.finding(
            .unknownEnumValue, path: path,
            producerSays: "\(path) (\(values.name)) can be \(names)",
            consumerExpects: "knows only \(known.values.map(\.name).joined(separator: ", "))",
            suggestion: "handle \(names) in the consumer, or give unknown values a safe default",
            producerAt: first.location ?? sent.location, consumerAt: wanted.location))
    }

    /// A `.recursive` type as the enclosing shape it refers to.
    static func resolve(_ type: ShapeType, _ stack: [SchemaShape]) -> ShapeType {
        guard case .recursive(let id, _) = type, let shape = stack.last(where: { $0.id == id }) else { return type }
        return .object(shape)
    }

    /// Whether a consumer expecting `expected` can take what the producer sends as `produced`.
    static func compatible(_ expected: ShapeType, _ produced: ShapeType) -> Bool {
        switch (expected, produced) {
        case (.string, .string), (.bytes, .bytes), (.bool, .bool), (.timestamp, .timestamp), (.duration, .duration):
            return true
        // Timestamps and durations are strings in JSON; enums are their names.
        case (.string, .timestamp), (.string, .duration), (.timestamp, .string), (.duration, .string),
            (.string, .enumeration), (.enumeration, .string):
            return true
        case (.integer(let wanted), .integer(let sent)):
            guard let wanted, let sent else { return true }
            return wanted == sent || widens(from: sent, to: wanted)
        case (.number, .integer):
            return true
        case (.number(let wanted), .number(let sent)):
            guard let wanted, let sent else { return true }
            return wanted == sent || (wanted == .double && sent == .float)
        default:
            return false
        }
    }

    private static func widens(from sent: ShapeType.IntegerWidth, to wanted: ShapeType.IntegerWidth) -> Bool {
        switch (sent, wanted) {
        case (.int32, .int64), (.uint32, .int64), (.uint32, .uint64): true
        default: false
        }
    }

    /// Same kind of value, smaller range: int64 read as int32, double read as float.
    private static func isNarrowing(_ expected: ShapeType, _ produced: ShapeType) -> Bool {
        switch (expected, produced) {
        case (.integer, .integer), (.number, .number), (.integer, .number): true
        default: false
        }
    }

    /// `a list of int64`, `a single object shop.orders.v1.Order`.
    static func describe(_ type: ShapeType, repeated: Bool) -> String {
        repeated ? "a list of \(type)" : "a single \(type)"
    }

    /// The type as an inline `reads` declaration writes it.
    static func inline(_ type: ShapeType) -> String {
        switch type {
        case .object, .recursive: "object"
        case .enumeration: "enum"
        case .map: "map"
        default: type.description
        }
    }
}
