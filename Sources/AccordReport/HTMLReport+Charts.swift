extension HTMLReport {
    /// Interaction names in the summary's order, then any the timeline adds: each keeps one colour.
    var seriesNames: [String] {
        var names = summary.interactions.map(\.name)
        let extra = Set(summary.timeline.flatMap { $0.interactions.keys }).subtracting(names)
        names += extra.sorted()
        return names
    }

    /// The x axis of the per-second charts: 0 to the end of the last interval.
    var timeAxis: SVGChart.Axis {
        let end = summary.timeline.map { $0.second + ($0.length ?? 1) }.max() ?? 1
        var axis = SVGChart.Axis.linear(upTo: end, title: "seconds since start")
        axis.maximum = max(end, 1)
        axis.ticks = axis.ticks.filter { $0.value <= axis.maximum }
        return axis
    }

    /// The shaded shutdown windows, one per step: from the signal to the step's last exit,
    /// restart or ready event (older summaries without steps: one band over all events).
    var shutdownBand: [SVGChart.Band] {
        guard let shutdown = summary.shutdown else { return [] }
        let ends = ["exit", "restart", "ready"]
        guard let steps = shutdown.steps, !steps.isEmpty else {
            guard let first = shutdown.events.map(\.second).min() else { return [] }
            let start = shutdown.events.first { $0.kind == "signal_sent" }?.second ?? first
            let end = shutdown.events.filter { ends.contains($0.kind) }.map(\.second).max()
                ?? shutdown.drainSeconds.map { start + $0 } ?? timeAxis.maximum
            return [Self.band(from: start, to: end, "shutdown: \(shutdown.service) \(shutdown.signal)")]
        }
        return steps.enumerated().compactMap { index, step in
            guard let start = step.signalSecond else { return nil }
            let end = shutdown.events.filter { $0.step == index && ends.contains($0.kind) }.map(\.second).max()
                ?? step.drainSeconds.map { start + $0 } ?? timeAxis.maximum
            let who = step.service + (step.replica.map { "[\($0)]" } ?? "")
            let label = steps.count > 1 ? "\(index + 1): \(who)" : "shutdown: \(who) \(step.signal)"
            return Self.band(from: start, to: end, label)
        }
    }

    private static func band(from start: Double, to end: Double, _ label: String) -> SVGChart.Band {
        // A long service name would run off the chart: the table below has it in full.
        SVGChart.Band(from: start, to: max(start, end), label: label.count > 60 ? label.prefix(59) + "…" : label)
    }

    /// The middle of each interval, where its figures are plotted, and that interaction's sample if it had requests.
    func samples(of name: String) -> [(x: Double, sample: TimelinePoint.Sample?)] {
        summary.timeline.sorted { $0.second < $1.second }.map { point in
            let sample = point.interactions[name]
            return (point.second + (point.length ?? 1) / 2, (sample?.count ?? 0) > 0 ? sample : nil)
        }
    }

    func latencyOverTimeSection() -> String? {
        let names = seriesNames
        let peak = summary.timeline.flatMap { $0.interactions.values.filter { $0.count > 0 }.map(\.p99) }.max()
        guard let peak else { return nil }
        var chart = SVGChart(
            title: "p50 and p99 latency per second", x: timeAxis,
            y: .linear(upTo: peak, title: "latency (ms)"), bands: shutdownBand)
        var legend: [(String, Int, Bool)] = []
        for (color, name) in names.enumerated() {
            let points = samples(of: name)
            chart.series.append(.init(label: "\(name) p99", color: color, points: points.map { point in
                point.sample.map { (point.x, $0.p99) }
            }))
            chart.series.append(.init(label: "\(name) p50", color: color, dashed: true, points: points.map { point in
                point.sample.map { (point.x, $0.p50) }
            }))
            legend += [("\(name) p99", color, false), ("\(name) p50", color, true)]
        }
        return section(
            id: "latency-over-time", title: "Latency over time",
            intro: "Each second's p50 (dashed) and p99 (solid), from the intended send time.", chart: chart,
            legend: legend)
    }

    func distributionSection() -> String? {
        let curves = summary.interactions.enumerated().filter { !$0.element.distribution.isEmpty }
        guard !curves.isEmpty else { return nil }
        let axis = LogPercentileAxis(covering: curves.flatMap { $0.element.distribution.map(\.percentile) })
        let peak = curves.flatMap { $0.element.distribution.map(\.milliseconds) }.max() ?? 1
        var chart = SVGChart(
            title: "Latency by percentile",
            x: .init(
                minimum: 0, maximum: Double(axis.decades), ticks: axis.ticks.map { ($0.position, $0.label) },
                title: "percentile (log scale: each step adds a nine)"),
            y: .linear(upTo: peak, title: "latency (ms)"))
        for (color, interaction) in curves {
            let points = interaction.distribution.sorted { $0.percentile < $1.percentile }.map { point in
                (x: axis.clampedPosition(ofPercentile: point.percentile), y: point.milliseconds)
            }
            chart.series.append(.init(label: interaction.name, color: color, points: points))
        }
        return section(
            id: "distribution", title: "Percentile distribution",
            intro: "HdrHistogram style: the whole run, with the tail spread out; 100% (the maximum) sits at the "
                + "right edge.",
            chart: chart, legend: curves.map { ($0.element.name, $0.offset, false) })
    }

    func throughputSection() -> String? {
        guard !summary.timeline.isEmpty else { return nil }
        let names = seriesNames
        let timeline = summary.timeline.sorted { $0.second < $1.second }
        func series(_ value: @escaping (TimelinePoint, String) -> Double?) -> [SVGChart.Series] {
            names.enumerated().map { color, name in
                .init(label: name, color: color, points: timeline.map { point in
                    value(point, name).map { (point.second + (point.length ?? 1) / 2, $0) }
                })
            }
        }
        let rates = series { point, name in point.rate(of: name) }
        let peakRate = rates.flatMap { $0.points.compactMap { $0?.y } }.max() ?? 1
        let throughput = SVGChart(
            title: "Completed requests per second", x: timeAxis, y: .linear(upTo: peakRate, title: "requests/s"),
            series: rates, bands: shutdownBand)
        let legend = names.enumerated().map { ($0.element, $0.offset, false) }
        let errors = series { point, name in
            // As for rates: an interval too short to give a rate gives no error rate either.
            point.rate(of: name) == nil ? nil : Double(point.interactions[name]?.errors ?? 0) / (point.length ?? 1)
        }
        let peakErrors = errors.flatMap { $0.points.compactMap { $0?.y } }.max() ?? 0
        let anyErrors = timeline.contains { $0.interactions.values.contains { $0.errors > 0 } }
        var errorPart = "<p class=\"pass\">No errors in any second.</p>"
        if anyErrors {
            let chart = SVGChart(
                title: "Errors per second", x: timeAxis, y: .linear(upTo: peakErrors, title: "errors/s"),
                series: errors, bands: shutdownBand)
            errorPart = "<h3>Errors per second</h3>\(chart.svg())\(legendList(legend))"
        }
        return section(
            id: "throughput", title: "Throughput and errors",
            intro: "Requests completed per second, per interaction"
                + (summary.shutdown == nil ? "." : "; the shaded band is the shutdown window."),
            chart: throughput, legend: legend, then: errorPart)
    }

    func section(
        id: String, title: String, intro: String, chart: SVGChart, legend: [(String, Int, Bool)],
        then more: String = ""
    ) -> String {
        "<section id=\"\(id)\"><h2>\(e(title))</h2><p class=\"muted\">\(e(intro))</p>\(chart.svg())"
            + legendList(legend) + more + "</section>"
    }

    func legendList(_ entries: [(label: String, color: Int, dashed: Bool)]) -> String {
        "<ul class=\"legend\">" + entries.map { entry in
            "<li><span class=\"swatch s\(entry.color % SVGChart.colors)\(entry.dashed ? " dashed" : "")\"></span>"
                + "\(e(entry.label))</li>"
        }.joined() + "</ul>"
    }
}
