import AccordReport

/// The result of checking one system: its findings, and every interaction and consumer edge
/// that was checked (each a JUnit test case, passing or not).
public struct CheckOutcome: Sendable {
    public let system: String
    public let checked: [CheckedInteraction]
    public var findings: [Finding]
    /// What the dynamic check ran (`6 examples run, 5 as expected; 4 messages seen`); nil when it did not.
    public var dynamicLine: String?

    public init(system: ContractSystem, findings: [Finding], dynamicLine: String? = nil) {
        self.system = system.name
        self.dynamicLine = dynamicLine
        checked = system.interactions.map { CheckedInteraction(interaction: $0) }
            + system.consumerEdges.map { CheckedInteraction(interaction: $0.interaction, consumer: $0.consumer) }
        self.findings = findings
    }

    /// `shop-drifted: 9 findings (3 missing_field, 1 type_mismatch, ...) in 8 consumer edges`
    public var countLine: String {
        let edges = checked.filter { $0.consumer != nil }.count
        let edgesText = "\(edges) consumer edge\(edges == 1 ? "" : "s")"
        guard !findings.isEmpty else { return "\(system): no findings in \(edgesText)" }
        var counts: [(kind: String, count: Int)] = []
        for finding in findings {
            if let index = counts.firstIndex(where: { $0.kind == finding.kind }) {
                counts[index].count += 1
            } else {
                counts.append((finding.kind, 1))
            }
        }
        let kinds = counts.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
        let total = findings.count == 1 ? "1 finding" : "\(findings.count) findings"
        return "\(system): \(total) (\(kinds)) in \(edgesText)"
    }

    /// The run's `summary.json`: exit code 1 with findings, 0 without.
    public func summary(metadata: RunMetadata) -> RunSummary {
        let exitCode = findings.isEmpty ? 0 : 1
        return RunSummary(
            kind: "check", name: system, metadata: metadata,
            verdict: Verdict(passed: exitCode == 0, exitCode: exitCode, notes: [countLine] + (dynamicLine.map { [$0] } ?? [])),
            findings: findings,
            checked: checked)
    }
}
