/// The kinds of finding the dynamic check reports, as `Finding.kind` spells them.
enum DynamicFindingKind: String, Sendable {
    /// An example's call answered with another status than it expects.
    case statusMismatch = "status_mismatch"
    /// An example's response lacks a member it expects, or has another value there.
    case bodyMismatch = "body_mismatch"
    /// An example could not be run: its payload did not render, or the call never got an answer.
    case exampleFailed = "example_failed"
    /// A payload on the wire breaks the producer's own declared schema.
    case wireSchemaViolation = "wire_schema_violation"
    /// A protobuf payload carries a field number its declared message does not have.
    case wireUnknownField = "wire_unknown_field"
    /// A message's content type is not the one its event declares.
    case wireContentType = "wire_content_type"
    /// A consumer reads a field that the payload on the wire does not have.
    case wireMissingField = "wire_missing_field"
    /// A consumer reads a field as another type than the wire carries.
    case wireTypeMismatch = "wire_type_mismatch"
    /// A list on the wire where the consumer reads one value, or the reverse.
    case wireRepeatedMismatch = "wire_repeated_mismatch"
    /// An enum value on the wire that the consumer does not list.
    case wireUnknownEnumValue = "wire_unknown_enum_value"

    /// The kinds that mean an example did not answer as stated (the others are about the wire).
    static let exampleOutcomes: Set<String> = [statusMismatch.rawValue, bodyMismatch.rawValue, exampleFailed.rawValue]
}
