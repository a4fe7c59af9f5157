import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` as the CLI tests run it: a profile written into a fresh folder, its summary.json
/// read back, and what the tests read out of it.
enum LoadRun {
    /// Runs `accord load` on `profile` and reads its summary.json (nil when the run wrote none).
    static func run(
        _ profile: String, environment: [String: String] = [:], timeout: Double = 90,
        whileRunning: (ChildProcess) async throws -> Void = { _ in }
    ) async throws -> (ChildProcess.Result, JSONValue?) {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("profile.yaml")
        try profile.write(to: file, atomically: true, encoding: .utf8)
        let reports = directory.appendingPathComponent("reports")
        let load = try ChildProcess(
            [Repository.accordBinary, "load", file.path, "--reports", reports.path], environment: environment)
        try await whileRunning(load)
        let result = try await load.wait(timeout: timeout)
        guard let run = try? FileManager.default.contentsOfDirectory(atPath: reports.path).first else {
            return (result, nil)
        }
        let data = try Data(contentsOf: reports.appendingPathComponent(run).appendingPathComponent("summary.json"))
        return (result, try JSONParser.parse(data))
    }

    static func count(_ value: JSONValue?) -> Int64 { value?.numberValue?.int64Value ?? -1 }

    /// A shutdown summary's timeline.
    static func events(_ shutdown: JSONValue?) -> [JSONValue] {
        guard case .array(let events)? = shutdown?["events"] else { return [] }
        return events
    }

    /// Expects the first event of each of `kinds` for `service` (and `replica`, when given) in
    /// that order, each with its own position in a timeline whose seconds never go back.
    static func expectInOrder(
        _ kinds: [String], in events: [JSONValue], service: String? = nil, replica: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let seconds = events.map { $0["second"]?.numberValue?.doubleValue ?? -1 }
        #expect(seconds.allSatisfy { $0 >= 0 } && seconds == seconds.sorted(), "\(seconds)",
                sourceLocation: sourceLocation)
        let positions = kinds.map { kind in
            events.firstIndex { event in
                event["kind"]?.stringValue == kind && (service.map { event["service"]?.stringValue == $0 } ?? true)
                    && (replica.map { count(event["replica"]) == Int64($0) } ?? true)
            }
        }
        let shown = events.map { event in
            let kind = event["kind"]?.stringValue ?? "?"
            // An error says why (a restart that failed, or did not finish before the run ended).
            return "\(kind) \(event["service"]?.stringValue ?? "")"
                + (kind == "error" ? ": \(event["detail"]?.stringValue ?? "")" : "")
        }
        #expect(positions.allSatisfy { $0 != nil }, "\(kinds) of \(service ?? "any") in \(shown)",
                sourceLocation: sourceLocation)
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted() && Set(found).count == found.count, "\(kinds) at \(found) in \(shown)",
                sourceLocation: sourceLocation)
    }
}
