import AccordGRPC
import AccordTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

/// h2load (nghttp2's load generator) against the accord gRPC server, with gRPC headers and a
/// length-prefixed body: every request must succeed by h2load's own counts.
@Suite struct GRPCH2LoadTests {
    @Test func everyH2LoadRequestSucceeds() async throws {
        guard try ExternalTool.available("h2load") else { return }
        let completed = Atomic<Int>(0)
        let say = EchoService.handlers[EchoService.prefix + "Say"]!
        let server = GRPCServer(handlers: [
            EchoService.prefix + "Say": GRPCHandler { call in
                try await say.handle(call)
                completed.add(1, ordering: .relaxed)
            }
        ])
        let port = try await server.start()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var body = ByteBuffer()
        body.writeInteger(UInt8(0))
        let request = EchoMessage(text: "h2load").encoded
        body.writeInteger(UInt32(request.readableBytes))
        body.writeImmutableBuffer(request)
        let bodyFile = directory.appendingPathComponent("body.bin")
        try Data(body.readableBytesView).write(to: bodyFile)

        let h2load = try ChildProcess([
            "h2load", "-n", "3000", "-c", "4", "-m", "16", "-H", "content-type: application/grpc", "-H", "te: trailers",
            "-d", bodyFile.path, "http://127.0.0.1:\(port)\(EchoService.prefix)Say",
        ])
        let result = try await h2load.wait(timeout: 60)
        await server.shutdown(grace: .seconds(1))
        #expect(result.status == 0, "h2load failed: \(result.stderr)")
        let requests = result.stdout.split(separator: "\n").first { $0.hasPrefix("requests:") }.map(String.init) ?? ""
        #expect(requests.contains("3000 succeeded, 0 failed, 0 errored, 0 timeout"), "h2load said: \(result.stdout)")
        #expect(result.stdout.contains("status codes: 3000 2xx"), "h2load said: \(result.stdout)")
        #expect(completed.load(ordering: .relaxed) == 3000)
    }
}
