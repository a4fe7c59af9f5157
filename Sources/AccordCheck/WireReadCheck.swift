import AccordContracts
import AccordDocuments
import AccordJSON
import AccordReport

/// What one consumer reads, checked against a payload seen on the wire: a field it reads that
/// is absent (when the producer's schema requires it, or a near miss is there instead: the
/// renamed field), a list where it reads one value or the reverse, a value of another type, an
/// enum value it does not list. The static check compares declarations; this compares bytes.
struct WireReadCheck {
    let system: ContractSystem
    let edge: ConsumerEdge
    let producer: String
    /// `example create`, `a message on shop.events/order.created`: where the payload was seen.
    let seen: String
    /// Where the producer declares what it sends (its schema's file:line).
    let producerLocation: SourceLocation?
    /// The producer's declared schema of the payload, when it has one: which members it
    /// requires, and which names it declares (to tell a drifted producer from a misreading consumer).
    let declared: SchemaShape?

    func findings(reads: SchemaShape, payload: JSONValue) -> [Finding] {
        var findings: [Finding] = []
        check(reads, payload, path: "", into: &findings)
        return findings
    }

    private func check(_ shape: SchemaShape, _ payload: JSONValue, path: String, into findings: inout [Finding]) {
        // A list of objects is read member by member: `items.sku` reads `sku` of every item.
        if case .array(let items) = payload {
            for item in items { check(shape, item, path: path, into: &findings) }
            return
        }
        guard case .object(let members) = payload else { return }
        for field in shape.fields {
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            guard let value = members[field.name], value != .null else {
                let near = NearMiss.closest(to: field.name, among: members.keys)
                guard near != nil || declared?.requires(fieldPath) == true else { continue }
                let parent = path.isEmpty ? "" : path + "."
                let suggestion: String
                if let near, declared?.declares(parent + near) == true {
                    suggestion = "read \(parent + near): the name on the wire and in the producer's contract"
                } else if let near {
                    suggestion = "the producer sends \(near) where its contract says \(field.name): fix the producer"
                } else {
                    suggestion = "the producer's schema requires \(fieldPath): send it"
                }
                append(.wireMissingField, fieldPath, into: &findings,
                       says: near.map { "\(seen) has no \(fieldPath); it has \($0)" } ?? "\(seen) has no \(fieldPath)",
                       expects: "reads \(fieldPath) as \(field.type)", suggestion: suggestion)
                continue
            }
            if let repeated = field.isRepeated {
                let isList = if case .array = value { true } else { false }
                if repeated != isList {
                    append(.wireRepeatedMismatch, fieldPath, into: &findings,
                           says: "\(seen) has \(fieldPath) as \(isList ? "a list" : "one \(value.typeName)")",
                           expects: "reads it as \(repeated ? "a list" : "one value")", suggestion: nil)
                    continue
                }
            }
            let elements: [JSONValue] = if case .array(let items) = value { items } else { [value] }
            for element in elements {
                if !check(element, as: field.type, path: fieldPath, into: &findings) { break }
            }
        }
    }

    /// False after a finding, so a list reports its first bad element only.
    private func check(_ value: JSONValue, as type: ShapeType, path: String, into findings: inout [Finding]) -> Bool {
        let fits: Bool
        switch (type, value) {
        case (.any, _), (.recursive, _), (_, .null): return true
        case (.object(let inner), .object):
            check(inner, value, path: path, into: &findings)
            return true
        case (.enumeration(let shape), .string(let name)):
            guard shape.values.isEmpty || shape.values.contains(where: { $0.name == name }) else {
                append(.wireUnknownEnumValue, path, into: &findings, says: "\(seen) has \(path) = \(name)",
                       expects: "knows \(shape.values.map(\.name).joined(separator: ", "))",
                       suggestion: "handle \(name), or stop the producer from sending it")
                return false
            }
            return true
        case (.string, .string), (.bytes, .string), (.timestamp, .string), (.duration, .string), (.bool, .bool),
             (.map, .object), (.enumeration, .number):
            fits = true
        case (.integer, .number(let number)): fits = number.isInteger
        // proto3 JSON writes 64-bit integers as strings, and NaN/Infinity as strings.
        case (.integer, .string(let text)): fits = Int64(text) != nil || UInt64(text) != nil
        case (.number, .number): fits = true
        case (.number, .string(let text)): fits = ["NaN", "Infinity", "-Infinity"].contains(text) || Double(text) != nil
        default: fits = false
        }
        if !fits {
            append(.wireTypeMismatch, path, into: &findings, says: "\(seen) has \(path) = \(value.jsonText)",
                   expects: "reads it as \(type)", suggestion: nil)
        }
        return fits
    }

    private func append(_ kind: DynamicFindingKind, _ path: String, into findings: inout [Finding], says: String,
                        expects: String, suggestion: String?) {
        findings.append(Finding(
            kind: kind.rawValue, system: system.name, producer: producer, consumer: edge.consumer,
            interaction: edge.interaction, fieldPath: path, producerSays: says, consumerExpects: expects,
            suggestion: suggestion, producerLocation: system.display(producerLocation),
            consumerLocation: system.display(edge.location)))
    }
}
