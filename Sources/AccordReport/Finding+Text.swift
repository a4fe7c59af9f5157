extension Finding {
    /// The block `accord check` prints and JUnit failures carry: where, what each side says, what
    /// to do, and both declarations.
    public var block: String {
        var lines = [
            "[\(kind)] \(system)/\(producer)\(consumer.map { " -> \($0)" } ?? ""), \(interaction)"
                + (fieldPath.map { ", field \($0)" } ?? ""),
            "  producer says:    \(producerSays)",
            "  consumer expects: \(consumerExpects)",
        ]
        if let suggestion { lines.append("  suggestion:       \(suggestion)") }
        if let producerLocation { lines.append("  producer at:      \(producerLocation)") }
        if let consumerLocation { lines.append("  consumer at:      \(consumerLocation)") }
        return lines.joined(separator: "\n")
    }
}
