extension ReportComparison {
    /// `compare.html`: the same table as the terminal's, with each run's per-second spread beside
    /// every figure, the rule, the notes and the verdict. Self-contained like `index.html`.
    public func html(failingBeyond fraction: Double? = nil) -> String {
        let e = HTMLEscaping.escape
        let limit = fraction ?? options.threshold
        let regressed = !regressions(beyond: limit).isEmpty
        let badge = regressed ? "<span class=\"verdict fail\">REGRESSION</span>"
            : "<span class=\"verdict pass\">NO REGRESSION</span>"
        var body = """
            <header><h1>Accord comparison: \(e(run.name))</h1>
            <p class="muted">BASE \(e(base.name)) started \(e(ReportFormat.date(base.metadata.startedAt))) · \
            RUN \(e(run.name)) started \(e(ReportFormat.date(run.metadata.startedAt)))</p></header>
            <main><section id="verdict"><h2>Verdict</h2>
            <p>\(badge)</p>
            <p>\(e(verdictLine(failingBeyond: fraction)))</p>
            \(notes.map { "<p class=\"note\">\(e($0))</p>" }.joined())
            </section>
            <section id="changes"><h2>Per interaction</h2><div class="table-wrap"><table>
            <caption>BASE → RUN, change, and each run's per-second spread (interquartile range)</caption>
            <thead><tr><th>Interaction</th><th class="num">p50 (ms)</th><th class="num">p99 (ms)</th>
            <th class="num">Throughput (/s)</th><th class="num">Errors</th></tr></thead><tbody>

            """
        for row in rows {
            guard let before = row.base, let after = row.run else {
                body += "<tr><td>\(e(row.name))</td><td colspan=\"4\" class=\"muted\">only in "
                    + "\(row.base == nil ? "RUN" : "BASE")</td></tr>\n"
                continue
            }
            body += "<tr><td><strong>\(e(row.name))</strong></td>" + row.changes.map(htmlCell).joined()
                + "<td class=\"num\">\(Self.errorRate(before)) → \(Self.errorRate(after))</td></tr>\n"
        }
        body += """
            </tbody></table></div><p class="muted">\(e(rule))</p></section></main>
            <footer>Rendered by Accord from two summary.json files.</footer>
            """
        return HTMLPage.document(title: "Accord comparison: \(run.name)", body: body)
    }

    private func htmlCell(_ change: Change) -> String {
        let value = change.metric == .throughput ? Self.rateNumber : ReportFormat.milliseconds
        let mark = mark(change)
        let state = mark == "worse" ? " fail" : mark == "better" ? " pass" : ""
        return "<td class=\"num\(state)\">\(value(change.base)) → \(value(change.run))<br>"
            + "<strong>\(ReportFormat.change(change.relative))</strong> \(mark)<br>"
            + "<span class=\"muted\">±\(Self.spread(change.baseSeconds)) / ±\(Self.spread(change.runSeconds))"
            + "</span></td>"
    }
}
