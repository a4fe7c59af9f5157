import AccordReport
import Foundation

/// `accord check --junit FILE`: one test suite per system, one test case per interaction and
/// per consumer edge; a case fails with the findings that concern it.
public enum JUnitWriter {
    public static func xml(_ outcomes: [CheckOutcome], seconds: Double) -> String {
        let time = String(format: "%.3f", max(0, seconds))
        var suites = ""
        var total = 0, failures = 0
        for outcome in outcomes {
            var cases: [(name: String, findings: [Finding])] = outcome.interactions.map {
                ($0, outcome.findings(of: $0))
            }
            cases += outcome.edges.map { ($0.name, outcome.findings(of: $0.interaction, consumer: $0.consumer)) }
            // Findings of an interaction the system does not list (a dynamic check's) still show.
            for finding in outcome.findings where !outcome.interactions.contains(finding.interaction)
                && !cases.contains(where: { $0.name == finding.interaction })
            {
                cases.append((finding.interaction, outcome.findings(of: finding.interaction)))
            }
            let failed = cases.filter { !$0.findings.isEmpty }.count
            total += cases.count
            failures += failed
            suites += "  <testsuite name=\"\(escape("accord check \(outcome.system)"))\" tests=\"\(cases.count)\" "
                + "failures=\"\(failed)\" errors=\"0\" skipped=\"0\" time=\"\(time)\">\n"
            let classname = escape("accord.check.\(outcome.system)")
            for testCase in cases {
                suites += "    <testcase classname=\"\(classname)\" name=\"\(escape(testCase.name))\" time=\"0\""
                guard let first = testCase.findings.first else {
                    suites += "/>\n"
                    continue
                }
                let message = testCase.findings.count == 1 ? "1 finding: \(first.kind)"
                    : "\(testCase.findings.count) findings, first: \(first.kind)"
                let body = testCase.findings.map(\.block).joined(separator: "\n\n")
                suites += ">\n      <failure message=\"\(escape(message))\" type=\"\(escape(first.kind))\">"
                    + "\(escape(body))</failure>\n    </testcase>\n"
            }
            suites += "  </testsuite>\n"
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"accord check\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" "
            + "time=\"\(time)\">\n"
            + suites + "</testsuites>\n"
    }

    /// XML text and attribute escaping; control characters XML 1.0 cannot hold become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar.value < 0x20 ? " " : scalar)
            }
        }
        return out
    }
}
