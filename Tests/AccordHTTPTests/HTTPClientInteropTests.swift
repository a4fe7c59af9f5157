@testable import AccordHTTP
import AccordTestSupport
import Foundation
import NIOCore
import Testing

/// The load client against an HTTP/1.1 server nobody here wrote (Python's http.server), on both
/// kinds of loop: keep-alive reuse, a chunked body, `Connection: close` and the reconnect after it.
@Suite struct HTTPClientInteropTests {
    static func withPythonPeer(_ body: (Int) async throws -> Void) async throws {
        guard try ExternalTool.available("python3") else { return }
        let script = try #require(Bundle.module.path(forResource: "http11_peer", ofType: "py", inDirectory: "Fixtures"))
        let peer = try ChildProcess(["python3", script])
        defer { peer.signal(SIGKILL) }
        let ready = try await peer.waitForOutput(containing: "READY")
        try await body(try #require(Int(ready.split(separator: " ")[1])))
    }

    @Test(arguments: PoolLoop.allCases)
    func keepsAliveReadsChunkedBodiesAndReconnectsAfterConnectionClose(loop kind: PoolLoop) async throws {
        try await Self.withPythonPeer { port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port), eventLoop: kind.eventLoop)
            let authority = client.target.authority
            for number in 0..<20 {
                let response = try await client.execute(HTTPClientRequest(path: "/n/\(number)", authority: authority))
                    .result.get()
                #expect(response.status == 200)
                #expect(response.bodyText == #"{"path":"/n/\#(number)"}"#)
            }
            #expect(await client.eventCounts()[.connected] == 1)

            let chunked = try await client.execute(HTTPClientRequest(path: "/chunked", authority: authority))
                .result.get()
            #expect(chunked.bodyText == "hello, chunked world")
            #expect(!chunked.connectionClose)

            let closing = try await client.execute(HTTPClientRequest(path: "/close", authority: authority))
                .result.get()
            #expect(closing.bodyText == "bye")
            #expect(closing.connectionClose)
            #expect(try await client.execute(HTTPClientRequest(path: "/after", authority: authority))
                .result.get().status == 200)
            let counts = await client.eventCounts()
            #expect(counts[.connectionCloseSeen] == 1)
            #expect(counts[.connected] == 2)
            await client.shutdown()
        }
    }

    /// A peer that reads a 16 MiB body only after a pause: the socket takes part of it, the rest
    /// waits until it is writable again (NIO's pending writes; the socket loop's unsent bytes).
    @Test(arguments: PoolLoop.allCases)
    func sendsABodyThePeerIsSlowToRead(loop kind: PoolLoop) async throws {
        try await Self.withPythonPeer { port in
            let client = HTTPClient(
                target: try HTTPTarget(host: "127.0.0.1", port: port),
                configuration: .init(requestTimeout: .seconds(30)), eventLoop: kind.eventLoop)
            let size = 16 << 20
            let request = HTTPClientRequest(
                method: .POST, path: "/sink", authority: client.target.authority,
                body: ByteBuffer(repeating: UInt8(ascii: "x"), count: size))
            let response = try await client.execute(request).result.get()
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"received":\#(size)}"#)
            await client.shutdown()
        }
    }
}
