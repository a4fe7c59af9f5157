import AccordJSON
import AccordTestSupport
import Foundation

/// Debian's `chromium`, headless, on a page from disk: a screenshot with the console logged to
/// stderr, and an audit of the page's own requests and console over the DevTools protocol.
/// Each browser holds the `MachineLock` while it runs, so it never skews a timing test.
struct HeadlessChromium {
    struct Screenshot {
        let image: PNGImage
        /// Console messages Chromium logged for the page (`INFO:CONSOLE…` lines on stderr).
        let consoleLines: [String]
    }

    struct Audit {
        let loaded: Bool
        let requests: [String]
        let console: [String]
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    let binary: String
    let scratch: URL

    /// `--headless --disable-gpu --no-sandbox --screenshot --window-size=1280,2000`, logging to stderr.
    /// The proxy refuses, so nothing the page might request leaves the machine.
    func screenshot(_ page: URL, darkMode: Bool = false) async throws -> Screenshot {
        let png = scratch.appendingPathComponent("\(UUID().uuidString).png")
        var arguments = [
            binary, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--screenshot=\(png.path)",
            "--window-size=1280,2000", "--enable-logging=stderr", "--v=0", "--proxy-server=127.0.0.1:1",
            "--no-first-run", "--user-data-dir=\(try profile().path)",
        ]
        if darkMode { arguments.append("--force-dark-mode") }
        let command = arguments + [page.absoluteString]
        let result = try await MachineLock.exclusively { try await ChildProcess(command).wait(timeout: 60) }
        guard result.status == 0, FileManager.default.fileExists(atPath: png.path) else {
            throw Failed(description: "chromium exited \(result.status) without a screenshot: \(result.stderr)")
        }
        let console = result.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Screenshot(image: try PNGImage(contentsOf: png), consoleLines: console)
    }

    /// Loads `page` under the DevTools protocol (Fixtures/page_audit.py explains why not a proxy).
    func audit(_ page: URL) async throws -> Audit {
        let script = try ReportFixtures.url("page_audit.py")
        let command = ["python3", script.path, binary, page.absoluteString, try profile().path]
        let result = try await MachineLock.exclusively { try await ChildProcess(command).wait(timeout: 90) }
        guard result.status == 0 else {
            throw Failed(description: "page_audit.py exited \(result.status): \(result.stderr)")
        }
        let json = try JSONParser.parse(result.stdout)
        func strings(_ key: String) -> [String] {
            guard case .array(let items)? = json[key] else { return [] }
            return items.compactMap(\.stringValue)
        }
        return Audit(loaded: json["loaded"] == .bool(true), requests: strings("requests"), console: strings("console"))
    }

    /// A fresh profile per run: parallel browsers never share (or lock) one.
    private func profile() throws -> URL {
        let url = scratch.appendingPathComponent("profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
