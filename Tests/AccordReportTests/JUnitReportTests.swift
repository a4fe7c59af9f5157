import AccordReport
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct JUnitReportTests {
    /// Parsed by Foundation's XML parser (libxml2): malformed XML throws.
    static func document(_ summary: RunSummary) throws -> XMLDocument {
        try XMLDocument(xmlString: JUnitReport(summary).xml())
    }

    static func cases(_ document: XMLDocument) throws -> [(name: String, failure: String?)] {
        try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }.map { element in
            (element.attribute(forName: "name")?.stringValue ?? "",
             element.elements(forName: "failure").first?.attribute(forName: "message")?.stringValue)
        }
    }

    @Test func loadRunHasOneCasePerThreshold() throws {
        let document = try Self.document(try ReportFixtures.summary("load"))
        let cases = try Self.cases(document)
        #expect(cases.map(\.name) == [
            "p99 < 25ms [orders.GetOrder]", "errors < 0.1%", "shutdown.failed_in_flight == 0", "messages.lost == 0",
        ])
        #expect(cases.map(\.failure) == ["measured 48.2 ms", nil, "measured 3", nil])
        let suite = try #require(try document.nodes(forXPath: "//testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "tests")?.stringValue == "4")
        #expect(suite.attribute(forName: "failures")?.stringValue == "2")
        #expect(suite.attribute(forName: "hostname")?.stringValue == "ci-runner-7")
    }

    @Test func checkRunHasOneCasePerInteractionWithItsFindings() throws {
        let document = try Self.document(try ReportFixtures.summary("check"))
        let cases = try Self.cases(document)
        #expect(cases.map(\.name) == ["orders.CreateOrder", "event order.created"])
        #expect(cases.map(\.failure) == [
            "1 finding(s), first: missing_field", "1 finding(s), first: unknown_enum_value",
        ])
        let body = try #require(try document.nodes(forXPath: "//testcase/failure").first?.stringValue)
        #expect(body.contains("consumer expects: order.total_cents: int64"))
        #expect(body.contains("consumer at:      contracts/shop/system.yaml:34"))
    }

    /// A static check lists what it covered: every interaction and consumer edge is a case, and
    /// an edge's case fails only with its own consumer's findings.
    @Test func checkRunHasOneCasePerCheckedInteractionAndEdge() throws {
        var check = try ReportFixtures.summary("check")
        let consumers = Set(check.findings.compactMap(\.consumer))
        check.checked = [CheckedInteraction(interaction: "orders.CreateOrder"),
                         CheckedInteraction(interaction: "orders.GetOrder")]
            + consumers.sorted().map { CheckedInteraction(interaction: "orders.CreateOrder", consumer: $0) }
            + [CheckedInteraction(interaction: "orders.CreateOrder", consumer: "nobody")]
        let cases = try Self.cases(try Self.document(check))
        let edges = consumers.sorted().map { "\($0) -> orders.CreateOrder" }
        let expected = ["orders.CreateOrder", "orders.GetOrder"] + edges
            + ["nobody -> orders.CreateOrder", "event order.created"]
        #expect(cases.map(\.name) == expected)
        #expect(cases.first { $0.name == "orders.GetOrder" }?.failure == nil)
        #expect(cases.first { $0.name == "nobody -> orders.CreateOrder" }?.failure == nil)
        #expect(cases.first { $0.name == edges.first }?.failure == "1 finding(s), first: missing_field")

        // Two systems in one document, a suite each.
        let document = try XMLDocument(xmlString: JUnitReport.xml([check, check]))
        #expect(try document.nodes(forXPath: "//testsuite").count == 2)
        let root = try #require(document.rootElement())
        #expect(root.attribute(forName: "tests")?.stringValue == "\(2 * cases.count)")
    }

    @Test func hostileStringsStayWellFormedText() throws {
        let summary = try ReportFixtures.summary("xss")
        let xml = JUnitReport(summary).xml()
        #expect(!xml.contains("<script") && !xml.contains("<img"))
        let document = try XMLDocument(xmlString: xml)
        // The parser gives back the original text (control characters replaced, as XML requires).
        let suite = try #require(try document.nodes(forXPath: "//testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "name")?.stringValue == "accord load peak<script>alert('xss')</script>")
        let names = try Self.cases(document).map(\.name)
        #expect(names.contains("p99 < 25ms [<script>alert('xss')</script>svc.Method]"))
        #expect(names.contains("errors < 0.1%\"><img src=x onerror=alert(1)>"))

        // As a check run, the findings (with a body full of control characters) become failures.
        var check = summary
        check.kind = "check"
        let failures = try XMLDocument(xmlString: JUnitReport(check).xml()).nodes(forXPath: "//testcase/failure")
        let failure = try #require(failures.compactMap(\.stringValue).first { $0.contains("producer says") })
        #expect(failure.contains("producer says:    body {\"name\": \"<script>alert('xss')</script>\""))
        #expect(failure.contains("\u{FFFD}\u{FFFD}[31m"))
    }

    @Test func aRunThatFailedWithoutAThresholdStillFails() throws {
        var summary = ReportFixtures.synthetic([])
        summary.verdict = Verdict(passed: false, exitCode: 2, notes: ["target orders exited with 1 before the run"])
        let cases = try Self.cases(try Self.document(summary))
        #expect(cases.map(\.name) == ["run"])
        #expect(cases.first?.failure == "exit code 2")

        summary.verdict = Verdict(passed: true, exitCode: 0)
        #expect(try Self.cases(try Self.document(summary)).map(\.failure) == [nil])
    }
}
