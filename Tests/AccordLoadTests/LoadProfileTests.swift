import AccordLoad
import Testing

/// The open model's stages, read from profile files: rates and durations a run can hold, and
/// the line of anything else.
@Suite struct LoadProfileTests {
    static func profile(rate: String, for duration: String) -> String {
        """
        name: stages
        model: open
        stages: [{ rate: "\(rate)", for: "\(duration)" }]
        mix:
          - http: { url: "http://127.0.0.1:1/x" }
        """
    }

    @Test(arguments: [("2000/s", 2000.0, 2000.0), ("0..10000000/s", 0, 10_000_000), ("0.5/s", 0.5, 0.5)])
    func readsRatesAndRamps(text: String, from: Double, to: Double) throws {
        let profile = try LoadProfileServicesTests.load(Self.profile(rate: text, for: "1s"))
        guard case .open(let stages) = profile.model else {
            Issue.record("not an open model: \(profile.model)")
            return
        }
        #expect(stages == [RateStage(from: from, to: to, for: .seconds(1))])
    }

    /// An endless or enormous stage would never end, or trap when its arrivals are counted.
    @Test(arguments: ["inf/s", "1e30/s", "0..inf/s", "nan/s", "-1/s", "10000001/s", "fast"])
    func refusesRatesNoRunCanHold(text: String) throws {
        let problems = try LoadProfileServicesTests.problems(Self.profile(rate: text, for: "1s"))
        #expect(problems == [
            "profile.yaml:3: stages[0].rate: expected a rate such as 2000/s or a ramp such as 0..2000/s, "
                + "at most 10000000/s; got \"\(text)\""
        ])
    }

    @Test func refusesADurationTooLongForNanoseconds() throws {
        let problems = try LoadProfileServicesTests.problems(Self.profile(rate: "10/s", for: "99999999999999999999s"))
        #expect(problems == [
            "profile.yaml:3: stages[0].for: expected a duration such as 500ms, 10s, 2m (under 290 years); "
                + "got \"99999999999999999999s\""
        ])
    }
}

extension LoadProfileTests {
    static func closed(_ extra: String) -> String {
        """
        name: limits
        model: closed
        users: 2
        duration: 2s
        \(extra)
        mix:
          - http: { url: "http://127.0.0.1:1/x" }
        """
    }

    /// Profiles that would run and measure nothing, or fail every request, are refused at their line.
    @Test(arguments: [
        ("warmup: 2s", "profile.yaml:5: warmup: the warm-up (2.0 seconds) must be shorter than the run (2.0 seconds): "
            + "nothing would be measured"),
        ("limits: { timeout: 0s }",
         "profile.yaml:5: limits.timeout: must be longer than 0s: every request would time out"),
    ])
    func refusesLimitsThatLeaveNothingToMeasure(extra: String, problem: String) throws {
        #expect(try LoadProfileServicesTests.problems(Self.closed(extra)) == [problem])
    }

    @Test func anOpenModelNeedsAStage() throws {
        let text = Self.profile(rate: "1/s", for: "1s").replacingOccurrences(
            of: #"[{ rate: "1/s", for: "1s" }]"#, with: "[]")
        #expect(try LoadProfileServicesTests.problems(text) == ["profile.yaml:3: stages: expected at least one stage"])
    }
}
