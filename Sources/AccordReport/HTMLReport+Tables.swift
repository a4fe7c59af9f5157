extension HTMLReport {
    func interactionsSection() -> String? {
        guard !summary.interactions.isEmpty else { return nil }
        var out = """
            <section id="interactions"><h2>Interactions</h2><div class="table-wrap"><table>
            <caption>Latency from each request's intended send time, in ms</caption>
            <thead><tr><th>Interaction</th><th class="num">Requests</th><th class="num">Rate achieved / intended</th>
            <th class="num">Errors</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th>
            <th class="num">p99.9</th><th class="num">max</th></tr></thead><tbody>

            """
        for interaction in summary.interactions {
            let errorShare = interaction.count > 0 ? Double(interaction.errors) / Double(interaction.count) : 0
            let intended = interaction.intendedRate.map(ReportFormat.rate) ?? "closed model"
            let kinds = interaction.errorsByKind.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            let kindList = kinds.isEmpty ? "" : "<ul class=\"kinds\">"
                + kinds.map { "<li>\(e($0.key)): \(ReportFormat.count($0.value))</li>" }.joined() + "</ul>"
            out += "<tr><td><strong>\(e(interaction.name))</strong> <span class=\"muted\">\(e(interaction.transport))"
                + "</span></td><td class=\"num\">\(ReportFormat.count(interaction.count))</td>"
                + "<td class=\"num\">\(ReportFormat.rate(interaction.achievedRate)) / \(intended)</td>"
                + "<td class=\"num\(interaction.errors > 0 ? " fail" : "")\">"
                + "\(ReportFormat.count(interaction.errors)) "
                + "(\(ReportFormat.percent(errorShare)))\(kindList)</td>"
                + latencyCells(interaction.latency) + "</tr>\n"
        }
        out += "</tbody></table></div>"
        out += """
            <div class="table-wrap"><table><caption>Service time, from each request's actual send, in ms \
            (a gap to the table above is time spent waiting to be sent)</caption>
            <thead><tr><th>Interaction</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th>
            <th class="num">p99.9</th><th class="num">max</th></tr></thead><tbody>
            """
        for interaction in summary.interactions {
            out += "<tr><td>\(e(interaction.name))</td>\(latencyCells(interaction.serviceTime))</tr>\n"
        }
        out += "</tbody></table></div>"
        if let generator = summary.generator {
            out += "<p class=\"muted\">Generator: \(ReportFormat.count(generator.scheduled)) scheduled, "
                + "\(ReportFormat.count(generator.sent)) sent, \(ReportFormat.count(generator.late)) late by more "
                + "than 10 ms, largest lag \(ReportFormat.milliseconds(generator.maxLagMilliseconds)) ms.</p>"
        }
        return out + "</section>"
    }

    func latencyCells(_ latency: LatencySummary) -> String {
        [latency.p50, latency.p90, latency.p99, latency.p999, latency.max]
            .map { "<td class=\"num\">\(ReportFormat.milliseconds($0))</td>" }.joined()
    }

    func shutdownSection() -> String? {
        guard summary.shutdown != nil || !summary.messages.isEmpty else { return nil }
        var out = "<section id=\"shutdown\"><h2>Shutdown and accounting</h2>"
        if let shutdown = summary.shutdown {
            let steps = shutdown.steps ?? []
            out += steps.count > 1
                ? "<h3>Rolling shutdown in \(steps.count) steps</h3>"
                : "<h3>\(e(shutdown.service)) stopped with \(e(shutdown.signal))</h3>"
            let drain = shutdown.drainSeconds.map(ReportFormat.seconds) ?? "did not exit"
            var rows: [(String, String, Bool)] = [
                ("Completed", ReportFormat.count(shutdown.completed), false),
                ("Refused before processing (safe to retry)", ReportFormat.count(shutdown.refusedBeforeProcessing),
                 false),
                ("Failed in flight (accepted, then lost: the defect)", ReportFormat.count(shutdown.failedInFlight),
                 shutdown.failedInFlight > 0),
                ("Timed out", ReportFormat.count(shutdown.timedOut), shutdown.timedOut > 0),
            ]
            if let race = shutdown.goawayRace {
                rows.append(("Lost to the GOAWAY race (a single GOAWAY, then an immediate close)",
                             ReportFormat.count(race), race > 0))
            }
            rows.append((steps.count > 1 ? "Longest time to drain (signal to exit)" : "Time to drain (signal to exit)",
                         drain, false))
            out += "<dl class=\"facts\">" + rows.map { label, value, bad in
                "<dt>\(label)</dt><dd class=\"\(bad ? "fail" : "")\">\(value)</dd>"
            }.joined() + "</dl>"
            if steps.count > 1 { out += stepsTable(steps) }
            if let latency = shutdown.latency, !latency.isEmpty { out += drainLatencyTable(latency) }
            out += timelineTable(shutdown.events)
        }
        if !summary.messages.isEmpty { out += messagesTable() }
        return out + "</section>"
    }

    private func stepsTable(_ steps: [ShutdownSummary.Step]) -> String {
        var out = """
            <div class="table-wrap"><table><caption>Requests in each step's window</caption>
            <thead><tr><th class="num">Step</th><th>Service</th><th>Signal</th><th class="num">Sent at</th>
            <th class="num">Drain</th><th class="num">Completed</th><th class="num">Refused</th>
            <th class="num">Failed in flight</th><th class="num">Timed out</th><th class="num">GOAWAY race</th>
            </tr></thead><tbody>
            """
        for (index, step) in steps.enumerated() {
            let requests = step.requests
            func cell(_ count: UInt64, bad: Bool = false) -> String {
                "<td class=\"num\(bad && count > 0 ? " fail" : "")\">\(ReportFormat.count(count))</td>"
            }
            out += "<tr><td class=\"num\">\(index + 1)</td>"
                + "<td>\(e(step.service + (step.replica.map { "[\($0)]" } ?? " (every replica)")))</td>"
                + "<td>\(e(step.signal))</td>"
                + "<td class=\"num\">\(step.signalSecond.map(ReportFormat.seconds) ?? "not sent")</td>"
                + "<td class=\"num\">\(step.drainSeconds.map(ReportFormat.seconds) ?? "did not exit")</td>"
                + cell(requests.completed) + cell(requests.refusedBeforeProcessing)
                + cell(requests.failedInFlight, bad: true) + cell(requests.timedOut, bad: true)
                + cell(requests.goawayRace, bad: true) + "</tr>\n"
        }
        return out + "</tbody></table></div>"
    }

    private func drainLatencyTable(_ latency: [ShutdownSummary.InteractionLatency]) -> String {
        var out = """
            <div class="table-wrap"><table><caption>Latency in ms while draining (the shutdown windows) against \
            steady state (before the first signal)</caption>
            <thead><tr><th>Interaction</th><th class="num">Steady requests</th><th class="num">p50</th>
            <th class="num">p99</th><th class="num">max</th><th class="num">Draining requests</th>
            <th class="num">Errors</th><th class="num">p50</th><th class="num">p99</th><th class="num">max</th>
            </tr></thead><tbody>
            """
        for row in latency {
            func cells(_ window: ShutdownSummary.WindowLatency) -> String {
                [window.p50, window.p99, window.max]
                    .map { "<td class=\"num\">\(ReportFormat.milliseconds($0))</td>" }.joined()
            }
            out += "<tr><td>\(e(row.name))</td><td class=\"num\">\(ReportFormat.count(row.steady.count))</td>"
                + cells(row.steady) + "<td class=\"num\">\(ReportFormat.count(row.drain.count))</td>"
                + "<td class=\"num\(row.drain.errors > 0 ? " fail" : "")\">"
                + "\(ReportFormat.count(row.drain.errors))</td>"
                + cells(row.drain) + "</tr>\n"
        }
        return out + "</tbody></table></div>"
    }

    private func timelineTable(_ events: [ShutdownSummary.Event]) -> String {
        guard !events.isEmpty else { return "<p class=\"muted\">No shutdown events were recorded.</p>" }
        var out = """
            <div class="table-wrap"><table><caption>Timeline, seconds since the run started</caption>
            <thead><tr><th class="num">t</th><th>Event</th><th>Service</th><th>Connection</th><th>Detail</th>
            </tr></thead><tbody>
            """
        for event in events.sorted(by: { $0.second < $1.second }) {
            let who = event.service.map { $0 + (event.replica.map { "[\($0)]" } ?? "") } ?? ""
            let connection = [event.connection, event.address.map { "→ \($0)" }].compactMap { $0 }
                .joined(separator: " ")
            var detail = event.detail
            if let last = event.lastStreamID { detail += ", last-stream-id \(last)" }
            if let code = event.errorCode { detail += ", \(code)" }
            out += "<tr><td class=\"num\">\(ReportFormat.seconds(event.second))</td>"
                + "<td><code>\(e(event.kind))</code></td><td>\(e(who))</td><td>\(e(connection))</td>"
                + "<td>\(e(detail))</td></tr>\n"
        }
        return out + "</tbody></table></div>"
    }

    private func messagesTable() -> String {
        var out = """
            <div class="table-wrap"><table><caption>Messages by id, and publish latency p50 / p99 in ms</caption>
            <thead><tr><th>Event</th><th class="num">Published</th><th class="num">Confirmed</th>
            <th class="num">Nacked</th><th class="num">Unconfirmed</th><th class="num">Consumed</th>
            <th class="num">Redelivered</th><th class="num">Duplicated</th><th class="num">Lost</th>
            <th class="num">Publish→confirm</th><th class="num">Publish→consume</th></tr></thead><tbody>
            """
        func pair(_ latency: LatencySummary?) -> String {
            latency.map { "\(ReportFormat.milliseconds($0.p50)) / \(ReportFormat.milliseconds($0.p99))" } ?? "–"
        }
        for m in summary.messages {
            let counts = [m.published, m.confirmed, m.nacked, m.unconfirmed, m.consumed, m.redelivered, m.duplicated]
            out += "<tr><td>\(e(m.event))</td>"
                + counts.map { "<td class=\"num\">\(ReportFormat.count($0))</td>" }.joined()
                + "<td class=\"num\(m.lost > 0 ? " fail" : "")\">\(ReportFormat.count(m.lost))</td>"
                + "<td class=\"num\">\(pair(m.publishToConfirm))</td>"
                + "<td class=\"num\">\(pair(m.publishToConsume))</td>"
                + "</tr>\n"
        }
        out += "</tbody></table></div>"
        let consumers = summary.messages.flatMap { m in (m.consumers ?? []).map { (m.event, $0) } }
        return consumers.isEmpty ? out : out + consumersTable(consumers)
    }

    /// Each consumer the run started, as its own output and its queue account for the run's messages.
    private func consumersTable(_ consumers: [(event: String, consumer: ConsumerAccounting)]) -> String {
        var out = """
            <div class="table-wrap"><table><caption>The run's messages at each consumer it started, from the \
            consumer's own output and its queue's depth at the end (lost: confirmed, never processed, not left in \
            the queue)</caption>
            <thead><tr><th>Event</th><th>Consumer</th><th>Queue</th><th class="num">Processed</th>
            <th class="num">In hand at the signal</th><th class="num">Processed twice</th>
            <th class="num">Left in the queue</th><th class="num">Lost</th><th class="num">Not the run's</th>
            </tr></thead><tbody>
            """
        for (event, c) in consumers {
            let cells: [(text: String, bad: Bool)] = [
                (ReportFormat.count(c.processed), false),
                (c.inHand.map { ReportFormat.count($0) } ?? "–", false),
                (ReportFormat.count(c.redelivered), false),
                (c.leftInQueue.map { ReportFormat.count($0) } ?? "unknown", false),
                (ReportFormat.count(c.lost), c.lost > 0),
                (ReportFormat.count(c.untracked), false),
            ]
            out += "<tr><td>\(e(event))</td><td>\(e(c.service))</td><td><code>\(e(c.queue))</code></td>"
                + cells.map { "<td class=\"num\($0.bad ? " fail" : "")\">\(e($0.text))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody></table></div>"
    }

    func findingsSection() -> String? {
        guard !summary.findings.isEmpty || summary.kind == "check" else { return nil }
        var out = "<section id=\"findings\"><h2>Contract findings (\(summary.findings.count))</h2>"
        if summary.findings.isEmpty {
            out += "<p class=\"pass\">No mismatches between producers and consumers.</p>"
        }
        for finding in summary.findings {
            let consumer = finding.consumer.map { " → \($0)" } ?? ""
            let field = finding.fieldPath.map { " · field \($0)" } ?? ""
            var facts: [(String, String)] = [
                ("Where", "\(finding.system)/\(finding.producer)\(consumer), \(finding.interaction)\(field)"),
                ("Producer says", finding.producerSays),
                ("Consumer expects", finding.consumerExpects),
            ]
            if let suggestion = finding.suggestion { facts.append(("Suggestion", suggestion)) }
            if let location = finding.producerLocation { facts.append(("Producer declared at", location)) }
            if let location = finding.consumerLocation { facts.append(("Consumer declared at", location)) }
            out += "<article class=\"finding\"><h3><code>\(e(finding.kind))</code> \(e(finding.interaction))"
                + "\(e(field))</h3><dl class=\"facts\">"
                + facts.map { "<dt>\(e($0.0))</dt><dd class=\"mono\">\(e($0.1))</dd>" }.joined()
                + "</dl></article>\n"
        }
        return out + "</section>"
    }
}
