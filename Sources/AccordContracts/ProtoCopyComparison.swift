import AccordDocuments
import AccordProto
import AccordReport

/// Two copies of one protobuf message, the producer's and a consumer's, compared the way the
/// wire sees them: by field number first. A name that changed is wire-compatible but wrong
/// data in JSON and code; a type that changed decodes garbage; a number that moved is read as
/// absent; a reserved number reused means old and new meanings meet on the wire.
struct ProtoCopyComparison {
    /// Which way the message travels: a consumer reads responses and events, writes requests.
    enum Direction {
        case toConsumer, toProducer
    }

    let context: FindingContext
    private(set) var findings: [Finding] = []
    /// Message pairs already compared: each is reported once, and recursive messages end.
    private var visited: Set<[String]> = []

    init(context: FindingContext) {
        self.context = context
    }

    mutating func compare(producer: SchemaShape, copy: SchemaShape, direction: Direction) {
        compare(producer, copy, path: "", direction: direction, producerStack: [], copyStack: [])
    }

    private mutating func compare(_ producer: SchemaShape, _ copy: SchemaShape, path: String, direction: Direction,
                                  producerStack: [SchemaShape], copyStack: [SchemaShape]) {
        guard visited.insert([producer.id, copy.id]).inserted else { return }
        let producerStack = producerStack + [producer], copyStack = copyStack + [copy]
        for field in copy.fields {
            guard let wire = field.wire else { continue }
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            if let same = producer.field(number: wire.number) {
                compareField(same, field, in: producer, path: path, direction: direction,
                             producerStack: producerStack, copyStack: copyStack)
            } else if let moved = producer.fields.first(where: { $0.name == field.name }), let movedWire = moved.wire {
                findings.append(context.finding(
                    .protoCopyRenumbered, path: fieldPath,
                    producerSays: "\(producer.name).\(field.name) is field \(movedWire.number)",
                    consumerExpects: "its copy has \(field.name) = \(wire.number)",
                    suggestion: "field numbers are the wire identity: number \(field.name) \(movedWire.number) in the "
                        + "copy (as it is, the field reads as absent and \(wire.number) means nothing)",
                    producerAt: moved.location, consumerAt: field.location))
            } else if let reserved = producer.isReserved(wire.number) {
                findings.append(reservedFinding(
                    path: fieldPath, producerSays: "\(producer.name) reserves field \(wire.number) (a removed field)",
                    consumerExpects: "its copy still has \(wire.declaration) \(field.name) = \(wire.number)",
                    suggestion: "delete \(field.name) from the copy and reserve \(wire.number) there too: the "
                        + "producer no longer sends it and may not reuse it",
                    producerAt: reserved.location, consumerAt: field.location))
            } else if let reserved = producer.reservedNames.first(where: { $0.name == field.name }) {
                findings.append(reservedFinding(
                    path: fieldPath,
                    producerSays: "\(producer.name) reserves the name \(field.name) (a removed field)",
                    consumerExpects: "its copy has \(field.name) = \(wire.number)",
                    suggestion: "delete \(field.name) from the copy: the producer removed it",
                    producerAt: reserved.location, consumerAt: field.location))
            } else if direction == .toConsumer {
                let near = NearMiss.closest(to: field.name, among: producer.fields.map(\.name))
                    .flatMap(producer.field(named:))
                findings.append(context.finding(
                    .missingField, path: fieldPath,
                    producerSays: "\(producer.name) has no field \(wire.number) or \(field.name)"
                        + (near.map { "; it sends \($0.name) = \($0.wire?.number ?? 0)" } ?? ""),
                    consumerExpects: "its copy reads \(wire.declaration) \(field.name) = \(wire.number)",
                    suggestion: near.map { "the copy's \(field.name) looks like the producer's \($0.name): sync it" }
                        ?? "remove \(field.name) from the copy, or add it to the producer's .proto",
                    producerAt: near?.location ?? producer.location, consumerAt: field.location))
            }
        }
        for field in producer.fields {
            guard let wire = field.wire, copy.field(number: wire.number) == nil,
                let reserved = copy.isReserved(wire.number)
            else { continue }
            findings.append(reservedFinding(
                path: path.isEmpty ? field.name : path + "." + field.name,
                producerSays: "\(producer.name) uses field \(wire.number) for \(wire.declaration) \(field.name)",
                consumerExpects: "its copy reserves \(wire.number) (a removed field)",
                suggestion: "a removed field's number came back with a new meaning: give \(field.name) a new number "
                    + "in the producer and keep \(wire.number) reserved",
                producerAt: field.location, consumerAt: reserved.location))
        }
    }

    private func reservedFinding(path: String, producerSays: String, consumerExpects: String,
                                 suggestion: String, producerAt: SourceLocation?, consumerAt: SourceLocation?)
        -> Finding
    {
        context.finding(.protoCopyReservedReused, path: path, producerSays: producerSays,
                        consumerExpects: consumerExpects, suggestion: suggestion, producerAt: producerAt,
                        consumerAt: consumerAt)
    }

    /// The producer's and the copy's field with the same number.
    private mutating func compareField(_ theirs: ShapeField, _ ours: ShapeField, in producer: SchemaShape,
                                       path: String, direction: Direction,
                                       producerStack: [SchemaShape], copyStack: [SchemaShape]) {
        guard let a = theirs.wire, let b = ours.wire else { return }
        let fieldPath = path.isEmpty ? theirs.name : path + "." + theirs.name
        var differences: [String] = []
        if theirs.name != ours.name { differences.append("name") }
        if !Self.sameType(a, b) { differences.append("type") }
        if a.label != b.label { differences.append("label") }
        if !differences.isEmpty {
            let elsewhere = producer.fields.first { $0.name == ours.name && $0.wire?.number != b.number }
            var suggestion = "make field \(a.number) \(a.declaration) \(theirs.name) in the copy"
            if differences == ["name"] {
                suggestion += ": the bytes decode, but code and JSON see them under the wrong name"
            } else if differences.contains("type") {
                suggestion += ": the same bytes decode as another type"
            }
            if let elsewhere, let number = elsewhere.wire?.number {
                suggestion += " (the producer's \(ours.name) is field \(number))"
            }
            findings.append(context.finding(
                .protoCopyConflict, path: fieldPath,
                producerSays: "field \(a.number) is \(a.declaration) \(theirs.name)",
                consumerExpects: "its copy has field \(b.number) as \(b.declaration) \(ours.name) "
                    + "(\(differences.joined(separator: ", ")) \(differences.count == 1 ? "differs" : "differ"))",
                suggestion: suggestion, producerAt: theirs.location, consumerAt: ours.location))
            return
        }
        switch (ShapeComparison.resolve(theirs.type, producerStack), ShapeComparison.resolve(ours.type, copyStack)) {
        case (.object(let inner), .object(let copied)):
            compare(inner, copied, path: fieldPath, direction: direction, producerStack: producerStack,
                    copyStack: copyStack)
        case (.map(.object(let inner)), .map(.object(let copied))):
            compare(inner, copied, path: fieldPath, direction: direction, producerStack: producerStack,
                    copyStack: copyStack)
        case (.enumeration(let values), .enumeration(let known)) where direction == .toConsumer:
            let unknown = values.values.filter { value in
                !known.values.contains { $0.number == value.number && $0.name == value.name }
            }
            guard let first = unknown.first else { return }
            func listed(_ values: [EnumShape.Value]) -> String {
                values.map { "\($0.name) = \($0.number ?? 0)" }.joined(separator: ", ")
            }
            let names = listed(unknown)
            findings.append(context.finding(
                .unknownEnumValue, path: fieldPath, producerSays: "\(fieldPath) (\(values.name)) can be \(names)",
                consumerExpects: "its copy knows \(listed(known.values))",
                suggestion: "add \(unknown.map(\.name).joined(separator: ", ")) to the copy's \(known.name)",
                producerAt: first.location ?? theirs.location, consumerAt: ours.location))
        default:
            return
        }
    }

    /// Scalars by their exact proto type (int64 and sint64 are different bytes); messages and
    /// enums are compared member by member, so only their kind must agree.
    private static func sameType(_ a: ShapeField.Wire, _ b: ShapeField.Wire) -> Bool {
        switch (a.type, b.type) {
        case (.message, .message), (.group, .group), (.enumeration, .enumeration): true
        default: a.type == b.type
        }
    }
}
