import AccordGRPC
import AccordJSON
import AccordProto
import AccordServices
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix

extension AccordCommand {
    /// Starts an accord gRPC server for a .proto service and calls every method once.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a .proto service with reflecting handlers and call each of its methods.",
            discussion: """
                Compiles PROTO with protoc, serves its service on 127.0.0.1 (HTTP/2 over nghttp2), then \
                calls every method with a sample request and prints status, latency and the response as \
                proto3 JSON. With --keep-serving it then serves until SIGTERM or SIGINT and shuts down \
                gracefully (GOAWAY, in-flight calls finish).
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The .proto file (its folder is the import root).")
        var proto: String

        @Option(help: "Full name of the service to serve (default: the file's only or first service).")
        var service: String?

        @Option(help: "Port to listen on (0 picks a free one).")
        var port: Int = 0

        @Flag(help: "Keep serving after the calls, until SIGTERM/SIGINT.")
        var keepServing = false

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                // protoc runs as a child process and blocks: keep it off the cooperative pool.
                let descriptor = try await NIOThreadPool.singleton.runIfActive { try loadService() }
                let logger = Logger(label: "accord.demo")
                // Signals are trapped before the port opens: a SIGTERM that arrives while the
                // demo calls run must still mean "drain and exit", never the default kill.
                let (stopRequests, stop) = AsyncStream<Void>.makeStream()
                let trap = SignalTrap([SIGTERM, SIGINT]) { stop.yield() }
                defer { trap.cancel() }
                let server = GRPCServer(
                    configuration: .init(port: port),
                    handlers: ProtoGRPCService.reflecting(service: descriptor).handlers, logger: logger)
                let boundPort = try await server.start()
                say("serving \(descriptor.fullName) on 127.0.0.1:\(boundPort)")
                let client = GRPCClient(configuration: .init(port: boundPort))
                var failures = 0
                for method in descriptor.methods {
                    let line = await DemoCall(method: method, client: client).run()
                    if !line.ok { failures += 1 }
                    say(line.text)
                }
                await client.close()
                if keepServing {
                    say("READY \(boundPort)")
                    for await _ in stopRequests { break }
                    logger.notice("shutting down gracefully")
                }
                await server.shutdown(grace: .seconds(10))
                if failures > 0 { throw ExitCode(1) }
            }
        }

        private func loadService() throws -> ServiceDescriptor {
            let url = URL(fileURLWithPath: proto)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw BadInput(message: "\(proto): no such file")
            }
            let schema: ProtoSchema
            do {
                schema = try ProtoSchema.compile(
                    files: [url.lastPathComponent], importPaths: [url.deletingLastPathComponent().path])
            } catch {
                throw BadInput(message: "\(error)")
            }
            if let service {
                guard let found = schema.service(named: service) else {
                    let known = schema.services.map(\.fullName).joined(separator: ", ")
                    throw BadInput(message: "\(proto): no service \(service) (services: \(known))")
                }
                return found
            }
            guard let first = schema.services.first else { throw BadInput(message: "\(proto): declares no service") }
            return first
        }
    }
}

/// One demo call of any kind, with a sample request, summarised on one line.
struct DemoCall {
    let method: MethodDescriptor
    let client: GRPCClient

    func run() async -> (ok: Bool, text: String) {
        let request = ByteBuffer(bytes: DynamicMessage.sample(of: method.inputType).serializedBytes())
        let result: GRPCCallResult
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false): result = await client.unary(path: method.path, request: request)
        case (false, true): result = await client.serverStreaming(path: method.path, request: request)
        case (true, _):
            let call = await client.makeStreamingCall(path: method.path)
            for _ in 0..<2 { await call.send(request) }
            await call.finish()
            var messages: [ByteBuffer] = []
            for await message in call.responses { messages.append(message) }
            var ended = await call.result()
            ended.messages = messages
            result = ended
        }
        let kind = ["unary", "server-streaming", "client-streaming", "bidi"][
            (method.clientStreaming ? 2 : 0) + (method.serverStreaming ? 1 : 0)]
        let millis = Double(result.timings.ended - result.timings.started) / 1e6
        let responses = result.messages.map { bytes -> String in
            guard let message = try? DynamicMessage(binary: bytes.readableBytesView, type: method.outputType),
                let json = try? message.jsonValue()
            else { return "<undecodable \(method.outputType.fullName)>" }
            return json.jsonText
        }
        let text = "\(method.name) (\(kind)): \(result.status) in \(String(format: "%.2f", millis)) ms, "
            + "\(responses.count) response(s)\(responses.first.map { " e.g. \($0)" } ?? "")"
        return (result.status.code == .ok && !responses.isEmpty, text)
    }
}
