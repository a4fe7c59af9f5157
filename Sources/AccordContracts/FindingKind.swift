import AccordDocuments
import AccordReport

/// The kinds of finding `accord check` reports statically, as `Finding.kind` spells them.
public enum FindingKind: String, Sendable, CaseIterable {
    /// A consumer reads a field the producer does not send.
    case missingField = "missing_field"
    /// A consumer reads a field as another type than the producer sends.
    case typeMismatch = "type_mismatch"
    /// One side has a list where the other has a single value.
    case repeatedMismatch = "repeated_mismatch"
    /// The producer can send enum values the consumer does not know.
    case unknownEnumValue = "unknown_enum_value"
    /// The producer requires a request field the consumer does not send.
    case missingRequiredRequestField = "missing_required_request_field"
    /// Two copies of a proto message give one field number another name, type or label.
    case protoCopyConflict = "proto_copy_conflict"
    /// Two copies of a proto message give one field name another number.
    case protoCopyRenumbered = "proto_copy_renumbered"
    /// One copy uses a field number (or name) the other reserved: a removed field reused.
    case protoCopyReservedReused = "proto_copy_reserved_reused"
}

/// Who and what a set of findings is about: one consumer edge, seen from the producer.
struct FindingContext {
    let system: ContractSystem
    let producer: String
    let consumer: String
    let interaction: String

    func finding(
        _ kind: FindingKind, path: String?, producerSays: String, consumerExpects: String, suggestion: String?,
        producerAt: SourceLocation?, consumerAt: SourceLocation?
    ) -> Finding {
        Finding(
            kind: kind.rawValue, system: system.name, producer: producer, consumer: consumer, interaction: interaction,
            fieldPath: path, producerSays: producerSays, consumerExpects: consumerExpects, suggestion: suggestion,
            producerLocation: system.display(producerAt), consumerLocation: system.display(consumerAt))
    }
}
