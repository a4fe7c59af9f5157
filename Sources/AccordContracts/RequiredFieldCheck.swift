import AccordDocuments
import AccordReport

/// Required request fields (JSON Schema `required`, proto2 `required`, `grpc.required`) that a
/// consumer does not send, level by level through the objects it does send.
struct RequiredFieldCheck {
    let context: FindingContext

    func findings(required: SchemaShape, sent: SchemaShape) -> [Finding] {
        findings(required, sent, path: "")
    }

    private func findings(_ required: SchemaShape, _ sent: SchemaShape, path: String) -> [Finding] {
        var findings: [Finding] = []
        for field in required.fields {
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            let match = sent.fields.first { matches($0, field, in: required) }
            if let match {
                if case .object(let inner) = field.type, case .object(let sentInner) = match.type,
                    !sentInner.fields.isEmpty
                {
                    findings += self.findings(inner, sentInner, path: fieldPath)
                }
                continue
            }
            guard field.isRequired else { continue }
            let near = NearMiss.closest(to: field.name, among: sent.fields.map(\.name))
            let names = sent.fields.map(\.name).joined(separator: ", ")
            findings.append(context.finding(
                .missingRequiredRequestField, path: fieldPath,
                producerSays: "\(required.name) requires \(field.displayName)",
                consumerExpects: sent.fields.isEmpty ? "sends none of its fields"
                    : "sends \(names)\(path.isEmpty ? "" : " in \(path)")",
                suggestion: near.map { "send \(field.name): the consumer sends \($0), which is not a field" }
                    ?? "send \(fieldPath), or the producer rejects the request",
                producerAt: field.location,
                consumerAt: sent.fields.first { $0.name == near }?.location ?? sent.location))
        }
        return findings
    }

    /// A sent field matches by name (protobuf: proto or JSON name; copies: by number).
    private func matches(_ sent: ShapeField, _ field: ShapeField, in required: SchemaShape) -> Bool {
        if let a = sent.wire?.number, let b = field.wire?.number { return a == b }
        return sent.name == field.name || (required.origin == .protobuf && sent.name == field.jsonName)
    }
}
