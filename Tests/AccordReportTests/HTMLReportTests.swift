import AccordReport
import AccordTestSupport
import Foundation
import Testing

@Suite struct HTMLReportTests {
    /// Every tag in `html`: its name and its attribute text.
    static func tags(_ html: String) -> [(name: String, attributes: String)] {
        html.matches(of: /<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/).map { (String($0.1).lowercased(), String($0.2)) }
    }

    static let allowedTags: Set<String> = [
        "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section", "article", "div",
        "h1", "h2", "h3", "p", "span", "strong", "code", "br", "ul", "li", "dl", "dt", "dd", "table", "caption",
        "thead", "tbody", "tr", "th", "td", "svg", "g", "rect", "line", "path", "text",
    ]

    @Test func hostileStringsFromTheSummaryComeOutAsText() throws {
        let html = HTMLReport(try ReportFixtures.summary("xss")).render()
        // No element or attribute that the data could have brought in.
        let lowered = html.lowercased()
        for raw in ["<script", "<img", "<svg onload", "</script>alert"] {
            #expect(!lowered.contains(raw), "raw \(raw) in the page")
        }
        for tag in Self.tags(html) {
            #expect(Self.allowedTags.contains(tag.name), "unexpected <\(tag.name)>")
            #expect(
                tag.attributes.firstMatch(of: /(?i)\son[a-z]+\s*=/) == nil,
                "event handler in <\(tag.name)\(tag.attributes)>")
        }
        // The payloads are there, as text, in every kind of place they came from.
        let script = "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"
        let image = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        #expect(html.contains("<title>Accord load peak\(script): failed</title>"))
        #expect(html.contains("<strong>\(script)svc.Method</strong>"), "interaction name")
        #expect(html.contains("<li>grpc.UNAVAILABLE \(script): 30</li>"), "error kind")
        #expect(html.contains("<li>http.\(image): 12</li>"), "error kind")
        #expect(html.contains("<p class=\"note\">target said: \(script)\(image)</p>"), "verdict message")
        #expect(html.contains("field order.\(script).name\(image)"), "field name")
        #expect(html.contains("body {&quot;name&quot;: &quot;\(script)&quot;"), "body")
        #expect(html.contains("<dd>host\(script), 8 cores"), "metadata")
        #expect(html.contains("<td>notifier\(script)</td><td><code>shop.notifier\(image)</code></td>"), "consumer")
        let consumer = try #require(html.firstMatch(of: /<tr><td>[^\n]*<code>shop\.notifier[^\n]*<\/tr>/)).0
        #expect(consumer.contains("<td class=\"num fail\">3</td>"), "a consumer's losses stand out: \(consumer)")
        #expect(html.contains("<dd>0.1.0&lt;/style&gt;&lt;script&gt;alert(4)&lt;/script&gt;</dd>"), "metadata in <dd>")
        // Inside SVG: legend titles and the shutdown band's label.
        #expect(html.contains("<title>\(script)svc.Method p99</title>"), "SVG title")
        let band = try #require(html.firstMatch(of: /<g class="band">.*?<\/g>/)).0
        #expect(band.contains("shutdown: orders\(image) &lt;scr"), "SVG text, cut short: \(band)")
        // Control characters from a body never reach the page.
        #expect(!html.contains("\u{1B}") && !html.contains("\u{01}"))
    }

    @Test(arguments: ["load", "check", "xss", "rolling"])
    func pageIsSelfContained(fixture: String) throws {
        let html = HTMLReport(try ReportFixtures.summary(fixture)).render()
        for tag in Self.tags(html) {
            #expect(tag.attributes.firstMatch(of: /(?i)\s(src|href|srcset|action|xlink:href)\s*=/) == nil,
                    "<\(tag.name)\(tag.attributes)> refers outside the page")
        }
        let style = try #require(html.firstMatch(of: /<style>([\s\S]*)<\/style>/)).1
        #expect(!style.contains("url(") && !style.contains("@import"))
        #expect(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'"), "CSP forbids every fetch")
        #expect(html.firstMatch(of: /(?i)\b-?(nan|inf)\b/) == nil, "a non-finite number reached the page")
    }

    @Test func sectionsFollowIssueOrder() throws {
        let html = HTMLReport(try ReportFixtures.summary("load")).render()
        let ids = html.matches(of: /<section id="([a-z-]+)"/).map { String($0.1) }
        #expect(ids == [
            "verdict", "interactions", "latency-over-time", "distribution", "throughput", "shutdown", "metadata",
        ])
        #expect(html.contains("99.99%</text>"), "the percentile axis reaches 99.99%")
        #expect(html.contains("<g class=\"band\">"), "the shutdown window is marked")
        #expect(html.contains("<td class=\"num fail\">48.2 ms</td>"), "the failed threshold's measured value")
        #expect(html.contains("<code>first_refusal</code>"), "the shutdown timeline")
        #expect(html.contains("<th class=\"num\">Redelivered</th>"), "message accounting")
        #expect(html.contains("<dd>3f2a9c1d</dd>"), "git commit")
    }

    @Test func aRollingRestartShowsEachStepDrainAgainstSteadyAndTheTimelineInOrder() throws {
        let html = HTMLReport(try ReportFixtures.summary("rolling")).render()
        let section = try #require(html.firstMatch(of: /<section id="shutdown">[\s\S]*?<\/section>/)).0
        #expect(section.contains("<h3>Rolling shutdown in 2 steps</h3>"))
        #expect(section.contains("<dd class=\"fail\">2</dd>"), "streams lost to the GOAWAY race, in the totals")
        let steps = try #require(section.firstMatch(of: /<caption>Requests in each step's window[\s\S]*?<\/table>/)).0
        #expect(steps.matches(of: /<tr><td class="num">/).count == 2)
        #expect(steps.contains("<td>peer[0]</td>") && steps.contains("<td>peer[1]</td>"))
        #expect(steps.contains("<td class=\"num fail\">2</td>"), "the race, in step 2's row")
        let latency = try #require(section.firstMatch(of: /<caption>Latency in ms while draining[\s\S]*?<\/table>/)).0
        #expect(latency.contains("<tr><td>SayHello</td>"))
        // The fixture lists its events backwards: the page shows them in time order.
        let timeline = try #require(section.firstMatch(of: /<caption>Timeline[\s\S]*?<\/table>/)).0
        let times = timeline.matches(of: /<tr><td class="num">([0-9.]+) s<\/td>/).compactMap { Double($0.1) }
        #expect(times.count == 17 && times == times.sorted(), "\(times)")
        #expect(timeline.contains("<td><code>goaway_race</code></td><td>peer[1]</td>"))
        #expect(timeline.contains("first of 2, last-stream-id 2147483647, NO_ERROR"))
        // Strings a server or a name brought in are text.
        let script = "&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt;"
        #expect(timeline.contains("SayHello #1.1\(script) → 127.0.0.1:50372&quot;&gt;&lt;img"))
        #expect(timeline.contains(", &lt;b&gt;NO_ERROR&lt;/b&gt;"))
        #expect(!html.lowercased().contains("<script") && !html.lowercased().contains("<img"))
        // One shaded band per step on each chart.
        let chart = try #require(html.firstMatch(of: /<section id="latency-over-time">[\s\S]*?<\/section>/)).0
        #expect(chart.matches(of: /<g class="band">/).count == 2)
        #expect(chart.contains(">1: peer[0]</text>") && chart.contains(">2: peer[1]</text>"))
    }

    @Test func aSummaryFromBeforeStepsStillRenders() throws {
        let summary = try ReportFixtures.summary("load")
        #expect(summary.shutdown?.steps == nil && summary.shutdown?.latency == nil)
        let html = HTMLReport(summary).render()
        #expect(html.contains("<h3>orders stopped with SIGTERM</h3>"))
        let goaway = "<td><code>goaway</code></td><td></td><td></td><td>connection 1, last-stream-id 8191</td>"
        #expect(html.contains(goaway), "an old event: kind and detail, nothing else")
    }

    @Test func checkRunShowsFindingsAndNoCharts() throws {
        let html = HTMLReport(try ReportFixtures.summary("check")).render()
        let ids = html.matches(of: /<section id="([a-z-]+)"/).map { String($0.1) }
        #expect(ids == ["verdict", "findings", "metadata"])
        #expect(!html.contains("<svg"))
        #expect(html.contains("Contract findings (2)"))
        #expect(html.contains("<dt>Consumer expects</dt><dd class=\"mono\">order.total_cents: int64</dd>"))
        #expect(html.contains("<dt>Suggestion</dt><dd class=\"mono\">did you mean order.totalCents?</dd>"))
        #expect(html.contains("<dd class=\"mono\">contracts/shop/system.yaml:34</dd>"))
    }

    @Test func aSecondWithoutRequestsIsAGapNotAZero() throws {
        let summary = ReportFixtures.synthetic([
            .init(name: "a", p50: 1, p99: 4, rate: 10, seconds: [(1, 4, 10), (1, 4, 10), (0, 0, 0), (1, 4, 10)])
        ])
        let html = HTMLReport(summary).render()
        let latency = try #require(html.firstMatch(of: /<section id="latency-over-time">[\s\S]*?<\/section>/)).0
        let p99 = try #require(latency.firstMatch(of: /<path class="line s0" d="([^"]*)"/)).1
        // Two segments: seconds 0-1, then second 3 alone (a dot), and nothing drawn at 0 ms for second 2.
        #expect(p99.matches(of: /M/).count == 2, "\(p99)")
    }

    @Test func anIntervalTooShortForARateIsNotPlottedAsOne() throws {
        var summary = ReportFixtures.synthetic([
            .init(name: "a", p50: 1, p99: 4, rate: 10, seconds: [(1, 4, 10), (1, 4, 10), (1, 4, 10), (1, 4, 2)])
        ])
        // The run's last interval lasted 0.1 s: 2 requests there are not a rate of 20/s.
        summary.timeline[3].length = 0.1
        let html = HTMLReport(summary).render()
        let throughput = try #require(html.firstMatch(of: /<section id="throughput">[\s\S]*?<\/section>/)).0
        let rates = try #require(throughput.firstMatch(of: /<path class="line s0" d="([^"]*)"/)).1
        #expect(rates.matches(of: /\ L/).count == 2, "three points, not four: \(rates)")
        #expect(summary.timeline[3].rate(of: "a") == nil && summary.timeline[0].rate(of: "a") == 10)
    }

    @Test func emptyRunSaysSoWithoutCharts() {
        let metadata = RunMetadata(
            accordVersion: "0.1.0", hostname: "h", cores: 1, operatingSystem: "Linux", startedAt: ReportFixtures.start,
            endedAt: ReportFixtures.start, partial: true)
        let summary = RunSummary(
            kind: "load", name: "empty", metadata: metadata,
            verdict: Verdict(passed: false, exitCode: 2, notes: ["target orders did not start"]))
        let html = HTMLReport(summary).render()
        #expect(html.matches(of: /<section id="([a-z-]+)"/).map { String($0.1) } == ["verdict", "metadata"])
        #expect(html.contains("target orders did not start"))
        #expect(html.contains("every figure below is partial"))
        #expect(html.contains("No thresholds"))
    }

    @Test func writesIndexHTMLIntoTheFolder() throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = HTMLReport(try ReportFixtures.summary("load"))
        let url = try report.write(to: directory)
        #expect(url.lastPathComponent == "index.html")
        #expect(try String(contentsOf: url, encoding: .utf8) == report.render())
    }
}
