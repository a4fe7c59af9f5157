import AccordDocuments
import Testing

@Suite struct DocumentReaderTests {
    static let text = """
        name: peak
        stages:
          - { rate: 10/s, for: 10s }
          - { rat: 5/s, for: soon }
        limits: { max_in_flight: many }
        """

    @Test func collectsEveryProblemWithLineAndKey() throws {
        var reader = DocumentReader(try SourceDocument(file: "p.yaml", text: Self.text))
        _ = reader.object("", keys: ["name", "stages", "limits", "model"])
        _ = reader.object("/stages/1", keys: ["rate", "for"])
        _ = reader.duration("/stages/1/for")
        _ = reader.integer("/limits/max_in_flight")
        _ = reader.string("/model", required: true)
        let messages = reader.diagnostics.map(\.description)
        #expect(messages.contains { $0.hasPrefix("p.yaml:4:7: stages[1].rat: unknown key (did you mean \"rate\"?)") },
            "\(messages)")
        #expect(messages.contains { $0.hasPrefix("p.yaml:4:17: stages[1].for: expected a duration") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("p.yaml:5:11: limits.max_in_flight: expected an integer") }, "\(messages)")
        #expect(messages.contains { $0.contains("model: missing") }, "\(messages)")
        #expect(messages.count == 4)
    }

    @Test(arguments: [("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1.5s", .milliseconds(1500))])
    func parsesDurations(text: String, duration: Duration) {
        #expect(DocumentReader.parseDuration(text) == duration)
    }
}

extension DocumentReaderTests {
    /// Refused rather than trapping on the conversion to 64-bit nanoseconds.
    @Test(arguments: ["99999999999999999999s", "1e300h", "-1s", "infs", "1.5", "soon"])
    func refusesWhatIsNotADurationItCanHold(text: String) {
        #expect(DocumentReader.parseDuration(text) == nil)
    }
}
