import AccordDocuments
import AccordJSON

/// One validation of a value against a `SchemaSet`: walks value and schema together, collecting
/// violations with the value's JSON pointer.
struct SchemaValidation {
    let set: SchemaSet
    private(set) var violations: [SchemaViolation] = []
    private var path: [String] = []
    /// Schemas applied at the current value without descending into it (via `$ref`, `allOf`, ...).
    /// Meeting one again means a reference cycle that consumes nothing: it is already being checked.
    private var active: [SchemaID] = []

    init(set: SchemaSet) {
        self.set = set
    }

    mutating func validate(_ value: JSONValue, _ id: SchemaID) {
        guard !active.contains(id) else { return }
        active.append(id)
        defer { active.removeLast() }
        let node = set.nodes[id.index]
        if node.rejectsEverything {
            report(node, "false", "no value is allowed here")
            return
        }
        if let ref = node.ref { validate(value, ref) }
        if let types = node.types, !types.contains(where: { $0.accepts(value) }) {
            let expected = types.map(\.rawValue).joined(separator: " or ")
            report(node, "type", "expected \(expected), found \(value.typeName)")
        }
        if let values = node.enumValues, !values.contains(value) {
            report(node, "enum", "\(Self.short(value)) is not one of \(Self.short(.array(values)))")
        }
        if let constant = node.constValue, constant != value {
            report(node, "const", "expected \(Self.short(constant)), found \(Self.short(value))")
        }
        switch value {
        case .string(let text): checkString(text, node)
        case .number(let number): checkNumber(number, node)
        case .array(let items): checkArray(items, node)
        case .object(let members): checkObject(members, node)
        case .null, .bool: break
        }
        for part in node.allOf { validate(value, part) }
        if !node.anyOf.isEmpty { checkAnyOf(value, node) }
        if !node.oneOf.isEmpty { checkOneOf(value, node) }
    }

    // MARK: - Keywords by value type

    private mutating func checkString(_ text: String, _ node: SchemaNode) {
        if node.minLength != nil || node.maxLength != nil {
            let length = text.unicodeScalars.count
            if let minimum = node.minLength, length < minimum {
                report(node, "minLength", "\(length) characters, at least \(minimum) expected")
            }
            if let maximum = node.maxLength, length > maximum {
                report(node, "maxLength", "\(length) characters, at most \(maximum) expected")
            }
        }
        if let pattern = node.pattern, !pattern.matches(text) {
            report(node, "pattern", "\(Self.short(.string(text))) does not match \(pattern.source)")
        }
        if let format = node.format, let problem = StringFormat.problem(text, format: format) {
            report(node, "format", "\(Self.short(.string(text))) is not a valid \(format): \(problem)")
        }
    }

    private mutating func checkNumber(_ number: JSONNumber, _ node: SchemaNode) {
        for bound in node.lowerBounds {
            let order = Self.compare(number, bound.value)
            if order < 0 || (bound.exclusive && order == 0) {
                report(node, bound.keyword, "\(number) is \(bound.exclusive ? "not above" : "below") \(bound.value)")
            }
        }
        for bound in node.upperBounds {
            let order = Self.compare(number, bound.value)
            if order > 0 || (bound.exclusive && order == 0) {
                report(node, bound.keyword, "\(number) is \(bound.exclusive ? "not below" : "above") \(bound.value)")
            }
        }
        switch node.format {
        case "int32"?:
            if !number.isInteger || number.int64Value.map({ Int32(exactly: $0) == nil }) ?? true {
                report(node, "format", "\(number) is not a 32-bit integer")
            }
        case "int64"?:
            if !number.isInteger || number.int64Value == nil {
                report(node, "format", "\(number) is not a 64-bit integer")
            }
        default:
            break
        }
    }

    private mutating func checkArray(_ items: [JSONValue], _ node: SchemaNode) {
        if let minimum = node.minItems, items.count < minimum {
            report(node, "minItems", "\(items.count) items, at least \(minimum) expected")
        }
        if let maximum = node.maxItems, items.count > maximum {
            report(node, "maxItems", "\(items.count) items, at most \(maximum) expected")
        }
        guard let schema = node.items else { return }
        for (index, item) in items.enumerated() {
            descend(String(index)) { $0.validate(item, schema) }
        }
    }

    private mutating func checkObject(_ members: [String: JSONValue], _ node: SchemaNode) {
        let undeclared = members.keys.filter { node.properties[$0] == nil }.sorted()
        for name in node.required where members[name] == nil {
            let hint = NearMiss.closest(to: name, among: undeclared)
            let message = "required property \"\(name)\" is missing" + (hint.map { "; the value has \"\($0)\"" } ?? "")
            descend(name) { $0.report(node, "required", message, nearMiss: hint) }
        }
        for name in members.keys.sorted() {
            guard let value = members[name] else { continue }
            if let schema = node.properties[name] {
                descend(name) { $0.validate(value, schema) }
                continue
            }
            switch node.additionalProperties {
            case .allowed:
                break
            case .schema(let schema):
                descend(name) { $0.validate(value, schema) }
            case .forbidden:
                let missing = node.properties.keys.filter { members[$0] == nil }.sorted()
                let hint = NearMiss.closest(to: name, among: missing)
                    ?? NearMiss.closest(to: name, among: node.properties.keys.sorted())
                let message = "property \"\(name)\" is not allowed" + (hint.map { "; did you mean \"\($0)\"?" } ?? "")
                descend(name) { $0.report(node, "additionalProperties", message, nearMiss: hint) }
            }
        }
    }

    // MARK: - Combinators

    private mutating func checkAnyOf(_ value: JSONValue, _ node: SchemaNode) {
        var firstProblems: [String] = []
        for (index, branch) in node.anyOf.enumerated() {
            let problems = trial(value, branch)
            if problems.isEmpty { return }
            firstProblems.append("#\(index): \(problems[0].message)")
        }
        let problems = firstProblems.joined(separator: "; ")
        report(node, "anyOf", "matches none of \(node.anyOf.count) subschemas (\(problems))")
    }

    private mutating func checkOneOf(_ value: JSONValue, _ node: SchemaNode) {
        var matched: [Int] = []
        var firstProblems: [String] = []
        for (index, branch) in node.oneOf.enumerated() {
            let problems = trial(value, branch)
            if problems.isEmpty {
                matched.append(index)
            } else {
                firstProblems.append("#\(index): \(problems[0].message)")
            }
        }
        if matched.isEmpty {
            report(node, "oneOf",
                   "matches none of \(node.oneOf.count) subschemas (\(firstProblems.joined(separator: "; ")))")
        } else if matched.count > 1 {
            report(node, "oneOf", "matches subschemas \(matched.map { "#\($0)" }.joined(separator: ", ")); "
                + "exactly one expected")
        }
    }

    /// The violations `value` would have against `branch`, without recording them.
    private func trial(_ value: JSONValue, _ branch: SchemaID) -> [SchemaViolation] {
        var copy = self
        copy.violations = []
        copy.validate(value, branch)
        return copy.violations
    }

    // MARK: - Helpers

    private mutating func descend(_ token: String, _ body: (inout SchemaValidation) -> Void) {
        path.append(token)
        let outer = active
        active = []
        body(&self)
        active = outer
        path.removeLast()
    }

    private mutating func report(_ node: SchemaNode, _ keyword: String, _ message: String, nearMiss: String? = nil) {
        violations.append(SchemaViolation(
            instancePointer: JSONPointer.make(path), keyword: keyword, message: message,
            schema: node.location(of: keyword), nearMiss: nearMiss))
    }

    /// -1, 0 or 1; exact for integers that fit 64 bits, by Double otherwise.
    private static func compare(_ a: JSONNumber, _ b: JSONNumber) -> Int {
        if let x = Int64(a.literal), let y = Int64(b.literal) { return x < y ? -1 : (x == y ? 0 : 1) }
        let x = a.doubleValue, y = b.doubleValue
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    /// A value for a message, cut short.
    private static func short(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }
}
