@testable import AccordHTTP
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The handler on an `EmbeddedChannel`: decoded parts in, response parts and read requests out.
@Suite struct HTTPServerConnectionHandlerTests {
    /// Counts the `read` requests that get past the handler.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0

        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    static func channel(_ counter: ReadCounter = ReadCounter()) throws -> EmbeddedChannel {
        var router = HTTPRouter()
        try router.add(.POST, "/orders") { _ in HTTPServerResponse() }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(HTTPServerConnectionHandler(
            router: router, maxBodyBytes: 10, lingerTime: .seconds(1), logger: Logger(label: "accord.http.test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return channel
    }

    /// The status, headers and body of the next response written.
    static func response(_ channel: EmbeddedChannel) throws -> (HTTPResponseHead, String)? {
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        var body = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .body(.byteBuffer(let buffer)): body += String(buffer: buffer)
            case .end: return (head, body)
            default: break
            }
        }
        return (head, body)
    }

    @Test func answersUnknownPathsAndMethodsWithoutRunningAHandler() throws {
        let channel = try Self.channel()
        try channel.writeInbound(HTTPServerRequestPart.head(.init(version: .http1_1, method: .GET, uri: "/x?y=1")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (notFound, notFoundBody) = try #require(try Self.response(channel))
        #expect(notFound.status == .notFound)
        #expect(notFoundBody == #"{"error":{"message":"no route for GET /x","status":404}}"#)
        #expect(notFound.headers["connection"].isEmpty)

        try channel.writeInbound(HTTPServerRequestPart.head(.init(version: .http1_1, method: .GET, uri: "/orders")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (notAllowed, _) = try #require(try Self.response(channel))
        #expect(notAllowed.status == .methodNotAllowed)
        #expect(notAllowed.headers["allow"] == ["POST"])
        #expect(channel.isActive)
    }

    @Test func stopsReadingWhileThePeerDoesNotTakeItsResponses() throws {
        let counter = ReadCounter()
        let channel = try Self.channel(counter)
        channel.read()
        #expect(counter.reads == 1)
        channel.isWritable = false
        channel.read()
        #expect(counter.reads == 1)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2)
    }

    @Test func shutdownClosesAnIdleConnection() throws {
        let channel = try Self.channel()
        channel.pipeline.fireUserInboundEventTriggered(HTTPServerShutdownEvent())
        #expect(!channel.isActive)
    }

    @Test func headerOverflowIsAnswered431ThenTheOutputCloses() throws {
        let channel = try Self.channel()
        channel.pipeline.fireErrorCaught(HTTPParserError.headerOverflow)
        let (head, _) = try #require(try Self.response(channel))
        #expect(head.status == .requestHeaderFieldsTooLarge)
        #expect(head.headers["connection"] == ["close"])
    }
}
