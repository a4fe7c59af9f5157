import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// The accord server against clients nobody here wrote: curl and wrk.
@Suite struct HTTPServerInteropTests {
    /// Splits `curl -i` output into status line, lowercased headers, and body.
    static func split(_ output: String) -> (status: String, headers: [String: String], body: String) {
        let parts = output.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...]
            headers[line[..<colon].lowercased()] = value.trimmingCharacters(in: .whitespaces)
        }
        return (lines[0], headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func curlSeesStatusHeadersAndBody() async throws {
        guard try ExternalTool.available("curl") else { return }
        try await TestServer.with { _, port in
            let base = "http://127.0.0.1:\(port)"
            let get = try await ChildProcess(["curl", "-sS", "-i", "-H", "X-Request-Id: r-7",
                                              "\(base)/orders/a%20b?verbose=yes"]).wait(timeout: 20)
            #expect(get.status == 0, "\(get.stderr)")
            let (status, headers, body) = Self.split(get.stdout)
            #expect(status == "HTTP/1.1 200 OK")
            #expect(headers["content-type"] == "application/json")
            #expect(headers["content-length"] == String(body.utf8.count))
            #expect(try JSONParser.parse(body) == ["order_id": "a b", "verbose": "yes", "request_id": "r-7"])

            // A chunked upload, then a second request on the same connection (curl reuses it).
            let post = try await ChildProcess([
                "curl", "-sS", "-i", "-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked",
                "--data-binary", #"{"sku": "s-1", "qty": 2}"#, "\(base)/orders", "--next", "-sS", "-i", "\(base)/nope",
            ]).wait(timeout: 20)
            #expect(post.status == 0, "\(post.stderr)")
            let created = Self.split(post.stdout)
            #expect(created.status == "HTTP/1.1 201 Created")
            let bodies = created.body.components(separatedBy: "HTTP/1.1 ")
            #expect(try JSONParser.parse(bodies[0]) == ["received": ["sku": "s-1", "qty": 2]])
            #expect(bodies.last?.hasPrefix("404 Not Found") == true)
        }
    }

    @Test func wrkRunsFiveSecondsWithoutErrors() async throws {
        guard try ExternalTool.available("wrk") else { return }
        try await TestServer.with { _, port in
            let run = try await ChildProcess(["wrk", "-t1", "-c16", "-d5s", "http://127.0.0.1:\(port)/hello"])
                .wait(timeout: 30)
            #expect(run.status == 0, "\(run.stderr)")
            let summary = try WrkSummary(run.stdout)
            #expect(summary.requests > 0)
            #expect(summary.socketErrors == 0, "\(run.stdout)")
            #expect(summary.non2xx == 0, "\(run.stdout)")
        }
    }
}

/// The numbers of a wrk run's report.
struct WrkSummary {
    struct Unparsable: Error, CustomStringConvertible {
        let output: String
        var description: String { "wrk output without a request count:\n\(output)" }
    }

    let requests: Int
    /// connect + read + write + timeout errors ("Socket errors:" is absent when all are 0).
    let socketErrors: Int
    /// "Non-2xx or 3xx responses:"; 3xx would count as success there, and the routes send none.
    let non2xx: Int

    init(_ output: String) throws {
        var requests: Int?
        var socketErrors = 0
        var non2xx = 0
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.contains(" requests in ") {
                requests = Int(line.prefix(while: { $0.isNumber }))
            } else if line.hasPrefix("Socket errors:") {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                socketErrors = line.dropFirst("Socket errors:".count).split(separator: ",").compactMap {
                    Int($0.split(separator: " ").last ?? "")
                }.reduce(0, +)
            } else if line.hasPrefix("Non-2xx or 3xx responses:") {
                non2xx = Int(line.split(separator: " ").last ?? "") ?? Int.max
            }
        }
        guard let requests else { throw Unparsable(output: output) }
        self.requests = requests
        self.socketErrors = socketErrors
        self.non2xx = non2xx
    }
}

@Suite struct WrkSummaryTests {
    @Test func readsErrorsAndNon2xxResponses() throws {
        let output = """
            Running 5s test @ http://127.0.0.1:8080/hello
              1 threads and 16 connections
              93567 requests in 5.00s, 7.85MB read
              Socket errors: connect 0, read 2, write 1, timeout 4
              Non-2xx or 3xx responses: 12
            Requests/sec:  31158.19
            """
        let summary = try WrkSummary(output)
        #expect(summary.requests == 93567)
        #expect(summary.socketErrors == 7)
        #expect(summary.non2xx == 12)
        #expect(throws: WrkSummary.Unparsable.self) { try WrkSummary("unable to connect") }
    }
}
