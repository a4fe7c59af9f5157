@testable import AccordHTTP
import NIOCore
import Testing

@Suite struct HTTPResponseParserTests {
    /// What the parser made of a byte stream: status, keep-alive and body per response.
    struct Parsed: Equatable {
        var status: Int
        var keepAlive: Bool
        var body: String
    }

    /// Feeds `text` in pieces of `step` bytes, keeping unconsumed bytes as the connection does.
    static func parse(_ text: String, step: Int, bodyExpected: Bool = true, eof: Bool = false) throws -> [Parsed] {
        var parser = HTTPResponseParser()
        var results: [Parsed] = []
        var pending = ByteBuffer()
        let bytes = Array(text.utf8)
        var offset = 0
        func drain(_ event: HTTPResponseParser.Event) {
            switch event {
            case .head(let head): results.append(Parsed(status: head.status, keepAlive: head.keepAlive, body: ""))
            case .body(let slice): results[results.count - 1].body += String(buffer: slice)
            case .end: break
            }
        }
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            pending.writeBytes(bytes[offset..<end])
            offset = end
            while let event = try parser.next(&pending, bodyExpected: bodyExpected) { drain(event) }
            pending.discardReadBytes()
        }
        if eof, let event = try parser.endOfInput() { drain(event) }
        #expect(parser.isIdle)
        return results
    }

    static let steps = [1, 2, 7, 1000]

    @Test(arguments: steps)
    func contentLengthBodiesKeepAlive(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
            + "HTTP/1.1 404 Not Found\r\ncontent-length:0\r\n\r\n"
        #expect(try Self.parse(text, step: step) == [
            Parsed(status: 200, keepAlive: true, body: "hello"), Parsed(status: 404, keepAlive: true, body: ""),
        ])
    }

    @Test(arguments: steps)
    func chunkedBodiesWithExtensionsAndTrailers(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, world! 1\r\n0\r\nX-Trailer: yes\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
        #expect(try Self.parse(text, step: step) == [
            Parsed(status: 200, keepAlive: true, body: "hello, world! 1"),
            Parsed(status: 201, keepAlive: true, body: ""),
        ])
    }

    @Test(arguments: steps)
    func bodyUntilCloseEndsWithTheConnection(step: Int) throws {
        let text = "HTTP/1.0 200 OK\r\n\r\nall of it"
        let parsed = try Self.parse(text, step: step, eof: true)
        #expect(parsed == [Parsed(status: 200, keepAlive: false, body: "all of it")])
    }

    @Test func connectionHeaderDecidesReuse() throws {
        let text = "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n"
            + "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
        #expect(try Self.parse(text, step: 1000).map(\.keepAlive) == [false, true])
    }

    @Test func responsesWithoutBodies() throws {
        let informational = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
        #expect(try Self.parse(informational, step: 3) == [Parsed(status: 204, keepAlive: true, body: "")])
        let toHead = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
        let headOnly = try Self.parse(toHead, step: 3, bodyExpected: false)
        #expect(headOnly == [Parsed(status: 200, keepAlive: true, body: "")])
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    ])
    func malformedResponsesAreErrors(text: String) {
        #expect(throws: HTTPResponseParser.Error.self) { _ = try Self.parse(text, step: 1000) }
    }

    @Test func headsHaveALimit() {
        var parser = HTTPResponseParser(maxHeadBytes: 64)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100))
        #expect(throws: HTTPResponseParser.Error.self) { _ = try parser.next(&buffer, bodyExpected: true) }
    }

    @Test func truncatedResponseIsAnErrorAtEndOfInput() throws {
        var parser = HTTPResponseParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        while try parser.next(&buffer, bodyExpected: true) != nil {}
        #expect(throws: HTTPResponseParser.Error.self) { _ = try parser.endOfInput() }
    }

    @Test func headerLookupIsCaseInsensitive() throws {
        var parser = HTTPResponseParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type:  application/json \r\nX-A: 1\r\n\r\n")
        guard case .head(let head)? = try parser.next(&buffer, bodyExpected: false) else {
            Issue.record("no head"); return
        }
        let response = HTTPClientResponse(status: 200, head: head.bytes, body: ByteBuffer(), connectionClose: false)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("X-A") == "1")
        #expect(response.header("X") == nil)
    }
}
