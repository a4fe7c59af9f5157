import AccordGRPC
import AccordJSON
import AccordTestSupport
import Foundation
import NIOCore
import Testing

/// Interoperability with Python grpcio, an implementation nobody here wrote, both ways.
@Suite struct GRPCInteropTests {
    static let peer = Bundle.module.path(forResource: "grpc_peer", ofType: "py", inDirectory: "Fixtures")!

    static func peerAvailable() throws -> Bool {
        try ExternalTool.pythonModuleAvailable("grpc") && ExternalTool.pythonModuleAvailable("grpc_tools")
    }

    @Test func accordClientCallsGrpcioServer() async throws {
        guard try Self.peerAvailable() else { return }
        let port = FreePort.next()
        let server = try ChildProcess(["python3", Self.peer, "server", "\(port)"])
        _ = try await server.waitForOutput(containing: "READY")
        let client = GRPCClient(configuration: .init(port: port, connections: 2))
        defer { Task { await client.close() } }
        let prefix = EchoService.prefix

        // Unary, with text and binary metadata both ways.
        var metadata = GRPCMetadata()
        metadata.add("x-trace", "t-1")
        metadata.add("x-blob-bin", .binary([0, 1, 0xFE, 0xFF]))
        let unary = await client.unary(path: prefix + "Say", request: EchoMessage(text: "hi").encoded, metadata: metadata)
        #expect(unary.status == .ok)
        #expect(unary.outcome == .completed)
        #expect(unary.messages.map(EchoMessage.init) == [EchoMessage(text: "echo:hi")])
        #expect(unary.initialMetadata.text("x-trace") == "t-1")
        #expect(unary.initialMetadata.binary("x-blob-bin") == [0, 1, 0xFE, 0xFF])
        #expect(unary.trailingMetadata.text("x-trace-trailer") == "t-1")
        #expect(unary.trailingMetadata.binary("x-blob-trailer-bin") == [0, 1, 0xFE, 0xFF])
        #expect(unary.timings.requestSent != nil && unary.timings.headersReceived != nil)
        #expect(unary.timings.firstMessage != nil && unary.timings.ended >= unary.timings.started)

        // A status error with its (percent-encoded on the wire) message.
        let failed = await client.unary(path: prefix + "Say", request: EchoMessage(text: "fail").encoded)
        #expect(failed.status == GRPCStatus(.notFound, EchoService.failMessage))

        // A deadline that expires: the server sleeps 3 s, we allow 200 ms.
        let slow = await client.unary(
            path: prefix + "Say", request: EchoMessage(text: "slow", delayMS: 3000).encoded, timeout: .milliseconds(200))
        #expect(slow.status.code == .deadlineExceeded)
        #expect(slow.timings.ended - slow.timings.started < 2_000_000_000)

        // Server streaming.
        let expanded = await client.serverStreaming(path: prefix + "Expand", request: EchoMessage(text: "x", number: 5).encoded)
        #expect(expanded.status == .ok)
        #expect(expanded.messages.compactMap(EchoMessage.init) == (0..<5).map { EchoMessage(text: "x-\($0)", number: $0) })

        // Client streaming.
        let collect = await client.makeStreamingCall(path: prefix + "Collect")
        for text in ["a", "b", "c"] { await collect.send(EchoMessage(text: text).encoded) }
        await collect.finish()
        var collected: [EchoMessage] = []
        for await message in collect.responses { collected.append(EchoMessage(message)!) }
        #expect(await collect.result().status == .ok)
        #expect(collected == [EchoMessage(text: "a+b+c")])

        // Bidirectional: each reply is read before the next request is sent.
        let chat = await client.makeStreamingCall(path: prefix + "Chat")
        var replies = chat.responses.makeAsyncIterator()
        var chatted: [String] = []
        for text in ["p", "q", "r"] {
            await chat.send(EchoMessage(text: text).encoded)
            if let reply = await replies.next() { chatted.append(EchoMessage(reply)!.text) }
        }
        await chat.finish()
        #expect(await replies.next() == nil)
        #expect(await chat.result().status == .ok)
        #expect(chatted == ["chat:p", "chat:q", "chat:r"])

        // An unknown method.
        let unknown = await client.unary(path: prefix + "Nope", request: ByteBuffer())
        #expect(unknown.status.code == .unimplemented)
    }

    @Test func grpcioClientCallsAccordServer() async throws {
        guard try Self.peerAvailable() else { return }
        let server = GRPCServer(handlers: EchoService.handlers)
        let port = try await server.start()
        let client = try ChildProcess(["python3", Self.peer, "client", "\(port)"])
        let result = try await client.wait(timeout: 60)
        await server.shutdown(grace: .seconds(1))
        #expect(result.status == 0, "grpcio client failed: \(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let json = try JSONParser.parse(line)

        #expect(json["unary"]?["text"] == "echo:hi")
        #expect(json["unary"]?["initial"]?["x-trace"] == "t-1")
        #expect(json["unary"]?["initial"]?["x-blob-bin"] == "0001feff")
        #expect(json["unary"]?["trailing"]?["x-trace-trailer"] == "t-1")
        #expect(json["unary"]?["trailing"]?["x-blob-trailer-bin"] == "0001feff")
        #expect(json["error"] == ["code": "NOT_FOUND", "details": .string(EchoService.failMessage)])
        #expect(json["deadline"] == ["code": "DEADLINE_EXCEEDED"])
        #expect(json["server_streaming"] == .array((0..<5).map { .array([.string("x-\($0)"), .number(JSONNumber($0))]) }))
        #expect(json["client_streaming"] == "a+b+c")
        #expect(json["bidi"] == ["chat:p", "chat:q"])
        #expect(json["unknown"] == "UNIMPLEMENTED")
    }
}
