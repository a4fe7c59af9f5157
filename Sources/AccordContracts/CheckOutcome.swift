import AccordReport

/// The result of checking one system: its findings, and the interactions and consumer edges
/// they belong to (every one becomes a JUnit test case, passing or not).
public struct CheckOutcome: Sendable {
    public struct Edge: Sendable, Hashable {
        public let consumer: String
        public let interaction: String

        public init(consumer: String, interaction: String) {
            self.consumer = consumer
            self.interaction = interaction
        }

        /// `gateway -> orders.CreateOrder`
        public var name: String { "\(consumer) -> \(interaction)" }
    }

    public let system: String
    public let interactions: [String]
    public let edges: [Edge]
    public var findings: [Finding]

    public init(system: String, interactions: [String], edges: [Edge], findings: [Finding]) {
        self.system = system
        self.interactions = interactions
        self.edges = edges
        self.findings = findings
    }

    public init(system: ContractSystem, findings: [Finding]) {
        self.init(system: system.name, interactions: system.interactions,
                  edges: system.consumerEdges.map { Edge(consumer: $0.consumer, interaction: $0.interaction) },
                  findings: findings)
    }

    /// The findings of an interaction, or of one consumer edge of it.
    public func findings(of interaction: String, consumer: String? = nil) -> [Finding] {
        findings.filter { $0.interaction == interaction && (consumer == nil || $0.consumer == consumer) }
    }

    /// `shop-drifted: 9 findings (3 missing_field, 1 type_mismatch, ...) in 8 consumer edges`
    public var countLine: String {
        let edgesText = "\(edges.count) consumer edge\(edges.count == 1 ? "" : "s")"
        guard !findings.isEmpty else { return "\(system): no findings in \(edgesText)" }
        var counts: [(String, Int)] = []
        for finding in findings {
            if let index = counts.firstIndex(where: { $0.0 == finding.kind }) {
                counts[index].1 += 1
            } else {
                counts.append((finding.kind, 1))
            }
        }
        let kinds = counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        let total = findings.count == 1 ? "1 finding" : "\(findings.count) findings"
        return "\(system): \(total) (\(kinds)) in \(edgesText)"
    }
}

extension Finding {
    /// The terminal block: where, what each side says, what to do, and both declarations.
    public var block: String {
        var lines = [
            "[\(kind)] \(system)/\(producer)\(consumer.map { " -> \($0)" } ?? ""), \(interaction)"
                + (fieldPath.map { ", field \($0)" } ?? ""),
            "  producer says:    \(producerSays)",
            "  consumer expects: \(consumerExpects)",
        ]
        if let suggestion { lines.append("  suggestion:       \(suggestion)") }
        lines.append("  producer at:      \(producerLocation ?? "(not located)")")
        lines.append("  consumer at:      \(consumerLocation ?? "(not located)")")
        return lines.joined(separator: "\n")
    }
}
