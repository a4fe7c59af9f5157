import AccordReport
import AccordTestSupport
import Foundation
import Testing

@Suite struct RunFolderTests {
    static func folder(summary text: String?) throws -> URL {
        let directory = try Repository.temporaryDirectory()
        if let text {
            try text.write(to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        }
        return directory
    }

    static func readError(_ folder: RunFolder) -> RunFolder.ReadError? {
        do {
            _ = try folder.readSummary()
            return nil
        } catch {
            return error
        }
    }

    @Test func writesEveryFileAndReadsTheSummaryBack() throws {
        let directory = try Repository.temporaryDirectory().appendingPathComponent("run-1")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let summary = try ReportFixtures.summary("load")
        let folder = RunFolder(directory)
        try folder.write(summary)
        for file in ["summary.json", "index.html", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file)")
        }
        #expect(try folder.readSummary() == summary)
        // A path to the summary itself names the same folder.
        #expect(try RunFolder(path: folder.summaryURL.path).readSummary() == summary)
    }

    @Test func missingFolderOrSummaryIsNamed() throws {
        let missing = RunFolder(path: "/no/such/run")
        #expect(Self.readError(missing)?.reason == .noSuchFolder)
        #expect(Self.readError(missing)?.description == "/no/such/run: no such run folder")

        let empty = try Self.folder(summary: nil)
        defer { try? FileManager.default.removeItem(at: empty) }
        let error = Self.readError(RunFolder(empty))
        #expect(error?.reason == .noSummary)
        #expect(error?.path == empty.appendingPathComponent("summary.json").path)
    }

    @Test func brokenJSONGetsItsLineAndColumn() throws {
        let directory = try Self.folder(summary: "{\n  \"kind\": \"load\",\n  \"name\": oops\n}")
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(Self.readError(RunFolder(directory)))
        guard case .malformedJSON(let line, let column, _) = error.reason else {
            Issue.record("expected malformed JSON, got \(error)")
            return
        }
        #expect(line == 3 && column == 11)
        #expect(error.description.hasPrefix(directory.appendingPathComponent("summary.json").path + ":3:11: "))
    }

    @Test(arguments: [
        ("{\"kind\": \"load\"}", "missing key \"name\" in the top level"),
        ("[1, 2]", "the top level: expected"),
    ])
    func jsonThatIsNotASummaryIsNamed(text: String, detail: String) throws {
        let directory = try Self.folder(summary: text)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(Self.readError(RunFolder(directory)))
        guard case .notASummary(let found) = error.reason else {
            Issue.record("expected not a summary, got \(error)")
            return
        }
        #expect(found.contains(detail), "\(found)")
    }

    @Test func aWrongTypeDeepInsideNamesItsPath() throws {
        var text = try String(contentsOf: ReportFixtures.url("load-summary.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"cores\": 8", with: "\"cores\": \"eight\"")
        let directory = try Self.folder(summary: text)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(Self.readError(RunFolder(directory)))
        #expect(error.reason == .notASummary("metadata.cores: expected Int"), "\(error)")
    }
}
