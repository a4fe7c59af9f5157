import Foundation

/// A run's `junit.xml`, for CI systems that show test results: a load run has one test case per
/// threshold, a check run one per interaction and per consumer edge (findings are the failures). A run that failed
/// for another reason (bad input, a dead target) gets a failing `run` case, so CI never shows
/// green for a run that did not pass.
public struct JUnitReport: Sendable {
    struct TestCase {
        var name: String
        var failure: (message: String, type: String, body: String)?
    }

    public var summary: RunSummary

    public init(_ summary: RunSummary) {
        self.summary = summary
    }

    public func xml() -> String { Self.xml([summary]) }

    /// One document for several runs (`accord check` of a folder of systems): a suite each.
    public static func xml(_ summaries: [RunSummary]) -> String {
        let suites = summaries.map { JUnitReport($0).suite() }
        let tests = suites.reduce(0) { $0 + $1.tests }, failures = suites.reduce(0) { $0 + $1.failures }
        let seconds = String(format: "%.3f", suites.reduce(0) { $0 + $1.seconds })
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="accord" tests="\(tests)" failures="\(failures)" errors="0" time="\(seconds)">

            """ + suites.map(\.text).joined() + "</testsuites>\n"
    }

    private func suite() -> (tests: Int, failures: Int, seconds: Double, text: String) {
        let cases = testCases()
        let failures = cases.filter { $0.failure != nil }.count
        let m = summary.metadata
        let elapsed = max(0, m.endedAt.timeIntervalSince(m.startedAt))
        let seconds = String(format: "%.3f", elapsed)
        let suite = "accord \(summary.kind) \(summary.name)"
        var properties: [(String, String)] = [
            ("accord.version", m.accordVersion), ("exit_code", "\(summary.verdict.exitCode)"),
        ]
        if let profile = m.profile { properties.append(("profile", profile)) }
        if let contracts = m.contracts { properties.append(("contracts", contracts)) }
        if let commit = m.gitCommit { properties.append(("git.commit", commit)) }
        var out = """
              <testsuite name="\(x(suite))" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="0" \
            time="\(seconds)" timestamp="\(x(ReportFormat.date(m.startedAt)))" hostname="\(x(m.hostname))">
                <properties>

            """
        for (name, value) in properties {
            out += "      <property name=\"\(x(name))\" value=\"\(x(value))\"/>\n"
        }
        out += "    </properties>\n"
        let classname = x("accord.\(summary.kind).\(summary.name)")
        for testCase in cases {
            out += "    <testcase classname=\"\(classname)\" name=\"\(x(testCase.name))\" time=\"0\""
            if let failure = testCase.failure {
                out += ">\n      <failure message=\"\(x(failure.message))\" type=\"\(x(failure.type))\">"
                    + "\(x(failure.body))</failure>\n    </testcase>\n"
            } else {
                out += "/>\n"
            }
        }
        return (cases.count, failures, elapsed, out + "  </testsuite>\n")
    }

    private func x(_ text: String) -> String { HTMLEscaping.escape(text) }

    func testCases() -> [TestCase] {
        var cases = summary.kind == "check" ? checkCases() : thresholdCases()
        if !summary.verdict.passed && !cases.contains(where: { $0.failure != nil }) {
            let notes = summary.verdict.notes.isEmpty ? ["no reason recorded"] : summary.verdict.notes
            cases.append(TestCase(
                name: "run", failure: ("exit code \(summary.verdict.exitCode)", "run", notes.joined(separator: "\n"))))
        } else if cases.isEmpty {
            cases.append(TestCase(name: "run", failure: nil))
        }
        return cases
    }

    private func thresholdCases() -> [TestCase] {
        summary.thresholds.map { threshold in
            let name = threshold.expression + (threshold.interaction.map { " [\($0)]" } ?? "")
            let measured = ReportFormat.measured(threshold.actual, unit: threshold.unit)
            let failure = ("measured \(measured)", "threshold", "\(name): measured \(measured)")
            return TestCase(name: name, failure: threshold.passed ? nil : failure)
        }
    }

    /// One case per checked interaction and consumer edge (`summary.checked`), then one per other
    /// interaction that ran or has findings; an edge's case fails with its consumer's findings.
    private func checkCases() -> [TestCase] {
        var checked = summary.checked ?? []
        for name in summary.interactions.map(\.name) + summary.findings.map(\.interaction)
        where !checked.contains(where: { $0.consumer == nil && $0.interaction == name }) {
            checked.append(CheckedInteraction(interaction: name))
        }
        let interactions = Dictionary(summary.interactions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return checked.map { entry in
            let findings = summary.findings.filter(entry.covers)
            var lines = findings.map(\.block)
            if entry.consumer == nil, let interaction = interactions[entry.interaction], interaction.errors > 0 {
                let kinds = interaction.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                lines.append("\(interaction.errors) failed example(s): \(kinds.joined(separator: ", "))")
            }
            guard !lines.isEmpty else { return TestCase(name: entry.name, failure: nil) }
            let message = findings.isEmpty
                ? "failed examples" : "\(findings.count) finding(s), first: \(findings[0].kind)"
            let type = findings.first?.kind ?? "example"
            return TestCase(name: entry.name, failure: (message, type, lines.joined(separator: "\n\n")))
        }
    }
}
