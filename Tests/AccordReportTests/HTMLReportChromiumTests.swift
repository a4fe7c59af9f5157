import AccordReport
import AccordTestSupport
import Foundation
import Testing

/// The report as a browser shows it: Debian's headless Chromium, the page opened from disk.
@Suite struct HTMLReportChromiumTests {
    /// The browser, or nil to skip locally; in CI a missing chromium fails the test.
    static func chromium(scratch: URL) throws -> HeadlessChromium? {
        guard try ExternalTool.available("chromium"), try ExternalTool.available("python3") else { return nil }
        return HeadlessChromium(binary: ExternalTool.path(of: "chromium")!, scratch: scratch)
    }

    /// Perceived brightness, 0 (black) to 255 (white).
    static func luminance(_ rgb: [UInt8]) -> Double {
        0.2126 * Double(rgb[0]) + 0.7152 * Double(rgb[1]) + 0.0722 * Double(rgb[2])
    }

    @Test(arguments: ["load", "check", "xss"])
    func rendersWithoutConsoleErrorsOrRequests(fixture: String) async throws {
        let scratch = try Repository.temporaryDirectory("accord-chromium")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard let chromium = try Self.chromium(scratch: scratch) else { return }
        let page = try HTMLReport(try ReportFixtures.summary(fixture)).write(to: scratch)

        let shot = try await chromium.screenshot(page)
        #expect(shot.consoleLines.isEmpty, "console: \(shot.consoleLines)")
        #expect(shot.image.width == 1280 && shot.image.height == 2000)
        let light = shot.image.background()
        // Not blank: text, tables and charts cover a real share of the page in many colours.
        #expect(light.otherShare > 0.01, "only \(light.otherShare) of the pixels differ from the background")
        #expect(light.distinctColors > 50)
        #expect(Self.luminance(light.color) > 200, "light mode background \(light.color)")

        let audit = try await chromium.audit(page)
        #expect(audit.loaded)
        #expect(audit.requests.isEmpty, "the page requested \(audit.requests)")
        #expect(audit.console.isEmpty, "console: \(audit.console)")
    }

    @Test func followsTheDarkColourScheme() async throws {
        let scratch = try Repository.temporaryDirectory("accord-chromium")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard let chromium = try Self.chromium(scratch: scratch) else { return }
        let page = try HTMLReport(try ReportFixtures.summary("load")).write(to: scratch)
        let dark = try await chromium.screenshot(page, darkMode: true).image.background()
        #expect(Self.luminance(dark.color) < 60, "dark mode background \(dark.color)")
        #expect(dark.otherShare > 0.01)
    }

    /// The detectors can fail: a page that logs an error and fetches an image is caught by both.
    @Test func detectorsCatchAPageThatMisbehaves() async throws {
        let scratch = try Repository.temporaryDirectory("accord-chromium")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard let chromium = try Self.chromium(scratch: scratch) else { return }
        let page = scratch.appendingPathComponent("misbehaving.html")
        try """
            <!doctype html><html><head><meta charset="utf-8"><title>probe</title></head><body><p>probe</p>
            <img src="http://accord-probe.invalid/pixel.png"><script>console.error("accord-console-probe")</script>
            </body></html>
            """.write(to: page, atomically: true, encoding: .utf8)
        let shot = try await chromium.screenshot(page)
        #expect(shot.consoleLines.contains { $0.contains("accord-console-probe") }, "\(shot.consoleLines)")
        let audit = try await chromium.audit(page)
        #expect(audit.requests == ["http://accord-probe.invalid/pixel.png"])
        #expect(audit.console.contains { $0.contains("accord-console-probe") }, "\(audit.console)")
    }
}
