import Foundation

/// A run's `index.html`: one self-contained page (inline CSS and SVG, no script, no fetch)
/// rendered from its `summary.json`. Every string that came from the summary is escaped.
public struct HTMLReport: Sendable {
    public var summary: RunSummary

    public init(_ summary: RunSummary) {
        self.summary = summary
    }

    /// The whole page: verdict and thresholds, interactions, latency over time, percentile
    /// distribution, throughput and errors, shutdown and message accounting, findings, metadata.
    /// Sections without data are left out (findings say "none" for a check run).
    public func render() -> String {
        let sections: [String?] = [
            verdictSection(), interactionsSection(), latencyOverTimeSection(), distributionSection(),
            throughputSection(), shutdownSection(), findingsSection(), metadataSection(),
        ]
        let verdict = summary.verdict.passed ? "passed" : "failed"
        let latencyNote = summary.interactions.isEmpty
            ? "" : " Latencies are in milliseconds, measured from each request's intended send time."
        let title = "Accord \(summary.kind) \(summary.name): \(verdict)"
        let body = """
            <header><h1>\(e(title))</h1>
            <p class="muted">\(e(summary.metadata.profile ?? summary.metadata.contracts ?? "")) · \
            started \(e(ReportFormat.date(summary.metadata.startedAt)))</p></header>
            <main>
            \(sections.compactMap { $0 }.joined(separator: "\n"))
            </main>
            <footer>Rendered by Accord \(e(summary.metadata.accordVersion)) from summary.json.\(latencyNote)</footer>
            """
        return HTMLPage.document(title: title, body: body)
    }

    /// Writes `index.html` into `directory` and returns its URL.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("index.html")
        try Data(render().utf8).write(to: url, options: .atomic)
        return url
    }

    func e(_ text: String) -> String { HTMLEscaping.escape(text) }

    func verdictSection() -> String {
        let verdict = summary.verdict
        let state = verdict.passed ? "pass" : "fail"
        var out = """
            <section id="verdict"><h2>Verdict</h2>
            <p><span class="verdict \(state)">\(verdict.passed ? "PASSED" : "FAILED")</span> \
            <span class="muted">exit code \(verdict.exitCode)</span></p>
            """
        var notes = verdict.notes
        if summary.metadata.partial {
            notes.append("The run did not finish (interrupted, or a target died): every figure below is partial.")
        }
        if let generator = summary.generator, generator.fellBehind {
            notes.append(
                "The load generator fell behind its schedule: \(ReportFormat.count(generator.late)) of "
                    + "\(ReportFormat.count(generator.sent)) sends were late, up to "
                    + "\(ReportFormat.milliseconds(generator.maxLagMilliseconds)) ms. Latencies still count "
                    + "from the intended send time, but the target saw less load than planned.")
        }
        out += notes.map { "<p class=\"note\">\(e($0))</p>" }.joined()
        if !summary.thresholds.isEmpty {
            out += """
                <div class="table-wrap"><table><caption>Thresholds</caption>
                <thead><tr><th>Result</th><th>Threshold</th><th>Applies to</th><th class="num">Measured</th>
                </tr></thead>
                <tbody>
                """
            for threshold in summary.thresholds {
                let state = threshold.passed ? "pass" : "fail"
                let measured = ReportFormat.measured(threshold.actual, unit: threshold.unit)
                out += "<tr><td><span class=\"badge \(state)\">\(threshold.passed ? "✓ pass" : "✗ fail")</span>"
                    + "</td>"
                    + "<td><code>\(e(threshold.expression))</code></td>"
                    + "<td>\(e(threshold.interaction ?? "all interactions"))</td>"
                    + "<td class=\"num \(state)\">\(e(measured))</td>"
                    + "</tr>\n"
            }
            out += "</tbody></table></div>"
        } else if summary.kind == "load" {
            out += "<p class=\"muted\">No thresholds: the verdict reflects only whether the run completed.</p>"
        }
        return out + "</section>"
    }

    func metadataSection() -> String {
        let m = summary.metadata
        var facts: [(String, String)] = [("Run", "\(summary.kind) \(summary.name)")]
        if let profile = m.profile { facts.append(("Profile", profile)) }
        if let contracts = m.contracts { facts.append(("Contracts", contracts)) }
        facts.append(("Accord", m.accordVersion))
        facts.append(("Git commit", m.gitCommit ?? "none"))
        facts.append(("Machine", "\(m.hostname), \(m.cores) cores, \(m.operatingSystem)"))
        facts.append(("Started", ReportFormat.date(m.startedAt)))
        facts.append(("Ended", ReportFormat.date(m.endedAt)))
        facts.append(("Duration", ReportFormat.seconds(m.endedAt.timeIntervalSince(m.startedAt))))
        if m.partial { facts.append(("Partial", "yes: the run did not finish")) }
        let rows = facts.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined()
        return "<section id=\"metadata\"><h2>Run</h2><dl class=\"facts\">\(rows)</dl></section>"
    }
}
