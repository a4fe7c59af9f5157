@testable import AccordHTTP
import AccordJSON
import Foundation
import NIOCore
import Testing

@Suite struct HTTPServerTests {
    static func get(_ path: String, headers: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: t\r\n\(headers)\r\n"
    }

    static func post(_ path: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    static func responses(in text: String) -> [String] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0 }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await TestServer.with { _, port in
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send(
                Self.get("/orders/1") + Self.post("/orders", body: #"{"n": 2}"#) + Self.get("/orders/3?verbose=yes"))
            let text = await connection.read { Self.responses(in: $0).count == 3 && $0.hasSuffix("}") }
            let responses = Self.responses(in: text)
            #expect(responses.count == 3)
            #expect(responses.first?.hasPrefix("200 OK") == true)
            #expect(responses.first?.contains(#""order_id":"1""#) == true)
            #expect(responses.dropFirst().first?.hasPrefix("201 Created") == true)
            #expect(responses.dropFirst().first?.contains(#""received":{"n":2}"#) == true)
            #expect(responses.last?.contains(#""order_id":"3""#) == true)
            #expect(responses.last?.contains(#""verbose":"yes""#) == true)
            #expect(!connection.closedByPeer)
        }
    }

    @Test func errorsAreJSONWithTheRightStatus() async throws {
        let configuration = HTTPServer.Configuration(maxBodyBytes: 64, maxHeaderBytes: 1024)
        try await TestServer.with(configuration: configuration) { _, port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port))
            defer { Task { await client.shutdown() } }
            func send(_ request: HTTPClientRequest) async throws -> (HTTPClientResponse, JSONValue) {
                let response = try await client.execute(request).result.get()
                return (response, try JSONParser.parse(response.body.readableBytesView))
            }
            let authority = client.target.authority

            let (notFound, notFoundBody) = try await send(HTTPClientRequest(path: "/nope", authority: authority))
            #expect(notFound.status == 404)
            #expect(notFoundBody["error"]?["message"] == "no route for GET /nope")
            #expect(notFound.header("content-type") == "application/json")

            let delete = HTTPClientRequest(method: .DELETE, path: "/orders", authority: authority)
            let (wrongMethod, _) = try await send(delete)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "POST")

            let malformed = HTTPClientRequest(method: .POST, path: "/orders", authority: authority,
                                              body: ByteBuffer(string: #"{"n": 1,}"#))
            let (badRequest, badBody) = try await send(malformed)
            #expect(badRequest.status == 400)
            let reason = badBody["error"]?["message"]?.stringValue ?? ""
            #expect(reason.contains("malformed JSON body: line 1, column 9"))
            #expect(!badRequest.connectionClose)

            let big = HTTPClientRequest(method: .POST, path: "/orders", authority: authority,
                                        body: ByteBuffer(string: String(repeating: "x", count: 65)))
            let (tooLarge, _) = try await send(big)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.connectionClose)

            let headers = HTTPClientRequest(path: "/hello", authority: authority,
                                            headers: [("X-Big", String(repeating: "h", count: 2000))])
            let (tooManyHeaders, _) = try await send(headers)
            #expect(tooManyHeaders.status == 431)
            #expect(tooManyHeaders.connectionClose)
        }
    }

    @Test func rejectsAnOversizedChunkedBody() async throws {
        try await TestServer.with(configuration: .init(maxBodyBytes: 16)) { _, port in
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send(
                "POST /orders HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n")
            let text = await connection.read { $0.hasSuffix("}") }
            #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large"))
            #expect(text.contains("Connection: close"))
            #expect(await eventually { connection.closedByPeer })
        }
    }

    @Test func acceptsChunkedBodies() async throws {
        try await TestServer.with { _, port in
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send(
                "POST /orders HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\n{\"a\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n")
            let text = await connection.read { $0.hasSuffix("}}") }
            #expect(text.hasPrefix("HTTP/1.1 201 Created"))
            #expect(text.hasSuffix(#"{"received":{"a":1}}"#))
        }
    }

    @Test func survivesAClientThatLeavesMidBody() async throws {
        try await TestServer.with { server, port in
            let quitter = try await RawConnection.connect(port: port)
            try await quitter.send("POST /orders HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{\"partial\":")
            #expect(await eventually { server.connectionCount == 1 })
            await quitter.close()
            #expect(await eventually { server.connectionCount == 0 })
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send(Self.get("/hello"))
            #expect(await connection.read { $0.hasSuffix("}") }.hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test func servesASlowWriter() async throws {
        try await TestServer.with { _, port in
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            let request = Array(Self.post("/orders", body: #"{"slow": true}"#))
            for start in stride(from: 0, to: request.count, by: 8) {
                try await connection.send(String(request[start..<min(start + 8, request.count)]))
                try await Task.sleep(for: .milliseconds(5))
            }
            let text = await connection.read { $0.hasSuffix("}}") }
            #expect(text.hasPrefix("HTTP/1.1 201 Created"))
        }
    }

    @Test func closesIdleConnectionsAndTimesOutStalledRequests() async throws {
        try await TestServer.with(configuration: .init(idleTimeout: .milliseconds(200))) { _, port in
            let idle = try await RawConnection.connect(port: port)
            let stalled = try await RawConnection.connect(port: port)
            defer { Task { await idle.close(); await stalled.close() } }
            try await stalled.send("POST /orders HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n{")
            #expect(await eventually { idle.closedByPeer })
            #expect(idle.received.isEmpty)
            let text = await stalled.read { $0.hasSuffix("}") }
            #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout"))
        }
    }

    @Test func answersHeadWithoutABodyAndHTTP10WithClose() async throws {
        try await TestServer.with { _, port in
            let head = try await RawConnection.connect(port: port)
            let old = try await RawConnection.connect(port: port)
            defer { Task { await head.close(); await old.close() } }
            try await head.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let headText = await head.read { $0.hasSuffix("\r\n\r\n") }
            #expect(headText.hasPrefix("HTTP/1.1 200 OK"))
            #expect(headText.contains("Content-Length: 17"))
            try await old.send("GET /hello HTTP/1.0\r\n\r\n")
            let oldText = await old.read { $0.hasSuffix("}") }
            #expect(oldText.hasPrefix("HTTP/1.0 200 OK"))
            #expect(oldText.contains("Connection: close"))
            #expect(await eventually { old.closedByPeer })
        }
    }

    @Test func rejectsGarbage() async throws {
        try await TestServer.with { _, port in
            let connection = try await RawConnection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send("NOT HTTP AT ALL\r\n\r\n")
            let text = await connection.read { $0.hasSuffix("}") }
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(await eventually { connection.closedByPeer })
        }
    }
}
