import Foundation
import AccordContracts
import AccordDocuments
import AccordOpenAPI
import AccordProto
import AccordReport

/// Findings about payloads one producer put on the wire for one interaction, seen by an example
/// (a call) or by the event tap (a message).
struct PayloadFindings {
    let system: ContractSystem
    let producer: String
    let interaction: String
    /// `the response to example create`, `a message of order.created`.
    let seen: String
    /// The producer's declaration (the service, or the event).
    let producerAt: SourceLocation?
    /// What exercised it: the example, when there is one.
    let seenAt: SourceLocation?

    func make(_ kind: DynamicFindingKind, path: String?, says: String, expects: String, suggestion: String? = nil,
              producerAt: SourceLocation? = nil) -> Finding {
        Finding(kind: kind.rawValue, system: system.name, producer: producer, consumer: nil, interaction: interaction,
                fieldPath: path, producerSays: says, consumerExpects: expects, suggestion: suggestion,
                producerLocation: system.display(producerAt ?? self.producerAt), consumerLocation: system.display(seenAt))
    }

    func wire(path: String?, says: String, expects: String, at location: SourceLocation?) -> Finding {
        make(.wireSchemaViolation, path: path, says: "\(seen) \(says)", expects: expects, producerAt: location)
    }

    func unknownField(number: Int32, in path: String, type: MessageDescriptor) -> Finding {
        make(.wireUnknownField, path: path.isEmpty ? "#\(number)" : "\(path).#\(number)",
             says: "\(seen) carries field number \(number)\(path.isEmpty ? "" : " in \(path)")",
             expects: "only the fields \(type.fullName) declares",
             suggestion: "declare field \(number) in the producer's .proto, or stop sending it",
             producerAt: type.location)
    }

    func violation(_ violation: SchemaViolation) -> Finding {
        make(.wireSchemaViolation, path: JSONPointerPath.dotted(violation.instancePointer),
             says: "\(seen): \(violation.message)", expects: "the producer's own schema (\(violation.keyword))",
             suggestion: violation.nearMiss.map { "the wire has \($0): the producer's code and contract disagree" },
             producerAt: violation.schema)
    }
}

extension PayloadFindings {
    /// For one example's call.
    init(system: ContractSystem, example: ContractExample) {
        self.init(system: system, producer: example.service, interaction: example.interaction,
                  seen: "the response to example '\(example.name)'",
                  producerAt: system.service(named: example.service)?.location, seenAt: example.location)
    }

    /// Sent as the call's correlation id, so the services' logs of this example can be found.
    func correlationID(_ example: ContractExample) -> String {
        "accord-check-" + String(example.name.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    func failed(_ example: ContractExample, _ reason: String) -> Finding {
        make(.exampleFailed, path: nil, says: reason, expects: "example '\(example.name)' to run")
    }

    func status(_ example: ContractExample, _ actual: ContractExample.Status, message: String?) -> Finding {
        let hint: String? = switch (example.expectedStatus, actual) {
        case (.rpc(.notFound), .rpc(.internal)):
            "answer NOT_FOUND for a missing record: clients retry INTERNAL, and a retry cannot find it either"
        default: nil
        }
        return make(.statusMismatch, path: nil, says: "answered \(actual)" + (message.map { ": \($0)" } ?? ""),
                    expects: "example '\(example.name)' expects \(example.expectedStatus)", suggestion: hint)
    }

    func body(_ example: ContractExample, _ mismatch: BodyMatch.Mismatch) -> Finding {
        make(.bodyMismatch, path: mismatch.path.isEmpty ? nil : mismatch.path,
             says: "\(seen) has \(mismatch.actual)",
             expects: "example '\(example.name)' expects \(mismatch.expected)")
    }

    /// For a message the event tap saw.
    init(system: ContractSystem, event: ContractEvent) {
        let publishers = system.publishers(of: event.name).map(\.name)
        self.init(system: system, producer: publishers.isEmpty ? "event \(event.name)" : publishers.joined(separator: ", "),
                  interaction: Interaction.event(event.name), seen: "a message of \(event.name)",
                  producerAt: event.location, seenAt: nil)
    }
}

/// `/order/items/0/sku` as `order.items.0.sku`.
enum JSONPointerPath {
    static func dotted(_ pointer: String) -> String? {
        guard !pointer.isEmpty else { return nil }
        return pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
            .joined(separator: ".")
    }
}
