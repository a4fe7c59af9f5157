import Foundation

extension ReportComparison {
    /// Caveats a reader needs before trusting the table.
    public var notes: [String] {
        var notes: [String] = []
        if base.name != run.name || base.metadata.profile != run.metadata.profile {
            notes.append(
                "BASE and RUN are different plans (\(base.name) vs \(run.name)): figures may not be comparable.")
        }
        if base.metadata.hostname != run.metadata.hostname || base.metadata.cores != run.metadata.cores {
            notes.append(
                "BASE ran on \(base.metadata.hostname) (\(base.metadata.cores) cores), RUN on "
                    + "\(run.metadata.hostname) (\(run.metadata.cores) cores): the machine differs.")
        }
        for (label, summary) in [("BASE", base), ("RUN", run)] {
            if summary.metadata.partial { notes.append("\(label) is partial (interrupted or a target died).") }
            if summary.generator?.fellBehind == true {
                notes.append("\(label)'s generator fell behind its schedule: its target saw less load than planned.")
            }
        }
        let seconds = rows.flatMap { $0.changes.flatMap { [$0.baseSeconds?.seconds, $0.runSeconds?.seconds] } }
        if seconds.contains(nil) {
            notes.append("Some interaction has fewer than two seconds of data in a run: its noise is unknown, so only "
                + "the \(ReportFormat.milliseconds(options.latencyFloor)) ms floor guards its latency verdict.")
        } else if let shortest = seconds.compactMap({ $0 }).min(), shortest < 10 {
            notes.append(
                "The shortest series has \(shortest) seconds: the spread, and so the noise, is a rough estimate.")
        }
        for row in rows where row.base == nil || row.run == nil {
            notes.append("\(row.name) is only in \(row.base == nil ? "RUN" : "BASE"): not compared.")
        }
        return notes
    }

    /// How the verdict was reached, in one paragraph.
    public var rule: String {
        "A change counts when the whole-run figure moved by more than \(Self.percent(options.threshold)) and the "
            + "typical second (the median of per-second values) moved the same way by more than the noise: the "
            + "larger of the two runs' interquartile ranges of per-second values, and at least "
            + "\(ReportFormat.milliseconds(options.latencyFloor)) ms for latency."
    }

    /// The table for a terminal: one line per interaction, its noise below, then notes and the verdict.
    public func text(failingBeyond fraction: Double? = nil) -> String {
        let names = rows.map { Self.clean($0.name) }
        let width = min(40, max(11, names.map(\.count).max() ?? 0)) + 2
        func pad(_ text: String, _ count: Int) -> String {
            text.count >= count ? text + " " : text + String(repeating: " ", count: count - text.count)
        }
        var lines = [
            "BASE \(Self.clean(base.name)) (\(ReportFormat.date(base.metadata.startedAt))) -> "
                + "RUN \(Self.clean(run.name)) (\(ReportFormat.date(run.metadata.startedAt)))",
            pad("interaction", width) + Metric.allCases.map { pad("\($0.rawValue) \($0.unit)", 34) }.joined()
                + "errors",
        ]
        for (row, name) in zip(rows, names) {
            guard let before = row.base, let after = row.run else {
                lines.append(pad(name, width) + "only in \(row.base == nil ? "RUN" : "BASE")")
                continue
            }
            let cells = row.changes.map { pad(cell($0), 34) }.joined()
            lines.append(pad(name, width) + cells + "\(Self.errorRate(before)) -> \(Self.errorRate(after))")
            let spreads = row.changes.map { change in
                "\(change.metric.rawValue) \(Self.spread(change.baseSeconds))/\(Self.spread(change.runSeconds))"
                    + " \(change.metric.unit)"
            }
            lines.append(pad("", width) + "per-second spread (IQR) BASE/RUN: " + spreads.joined(separator: ", "))
        }
        lines.append("")
        lines.append(rule)
        lines += notes.map { "note: " + Self.clean($0) }
        lines.append(verdictLine(failingBeyond: fraction))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `REGRESSION: …` or `No …`: what the exit code will say.
    public func verdictLine(failingBeyond fraction: Double? = nil) -> String {
        let limit = fraction ?? options.threshold
        let found = regressions(beyond: limit)
        guard !found.isEmpty else {
            return "No p99 or throughput regression beyond \(Self.percent(limit)) and the noise."
        }
        return "REGRESSION beyond \(Self.percent(limit)) and the noise: " + found.map { name, change in
            "\(Self.clean(name)) \(change.metric.rawValue) \(ReportFormat.change(change.relative))"
        }.joined(separator: ", ")
    }

    func cell(_ change: Change) -> String {
        let value = change.metric == .throughput ? Self.rateNumber : ReportFormat.milliseconds
        return "\(value(change.base)) -> \(value(change.run)) \(ReportFormat.change(change.relative)) \(mark(change))"
    }

    /// `worse`/`better` when significant; `noise` when the figure moved past the threshold but not past the noise.
    func mark(_ change: Change) -> String {
        if change.isSignificant(beyond: options.threshold) { return change.isWorse ? "worse" : "better" }
        if let relative = change.relative, abs(relative) > options.threshold { return "(noise)" }
        return ""
    }

    static func rateNumber(_ value: Double) -> String { String(format: "%.1f", value) }

    static func percent(_ fraction: Double) -> String { String(format: "%g%%", fraction * 100) }

    static func spread(_ spread: PerSecondSpread?) -> String {
        guard let spread else { return "?" }
        return String(format: "%.3g", spread.interquartileRange)
    }

    static func errorRate(_ interaction: InteractionSummary) -> String {
        ReportFormat.percent(interaction.count > 0 ? Double(interaction.errors) / Double(interaction.count) : 0)
    }

    /// Control characters in a name would drive the terminal (escape sequences): shown as U+FFFD.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "\u{FFFD}" : scalar
        }))
    }
}
