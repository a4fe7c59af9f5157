import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord demo` as a user runs it: the built binary, real signals, a grpcio peer.
@Suite struct DemoCommandTests {
    static let greeter = Repository.root.appendingPathComponent("contracts/demo/greeter.proto").path

    @Test func callsEveryMethodOfTheShippedProto() async throws {
        let demo = try ChildProcess([Repository.accordBinary, "demo", Self.greeter])
        let result = try await demo.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        for method in ["SayHello (unary): OK", "StreamGreetings (server-streaming): OK",
                       "CollectNames (client-streaming): OK", "Chat (bidi): OK"] {
            #expect(result.stdout.contains(method), "\(result.stdout)")
        }
    }

    @Test func servesGrpcioAndStopsGracefullyOnSIGTERM() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc_tools") else { return }
        let demo = try ChildProcess([Repository.accordBinary, "demo", Self.greeter, "--keep-serving"])
        let ready = try await demo.waitForOutput(containing: "READY")
        let port = String(ready.split(separator: " ").last!)
        let script = Bundle.module.path(forResource: "call_greeter", ofType: "py", inDirectory: "Fixtures")!
        let call = try await ChildProcess(["python3", script, Repository.root.appendingPathComponent("contracts/demo").path, port])
            .wait(timeout: 60)
        #expect(call.status == 0, "\(call.stderr)")
        // The reflecting handler copies the fields the reply shares with the request.
        let reply = try JSONParser.parse(call.stdout)
        #expect(reply["name"] == "ada")
        #expect(reply["requestId"] == "42")
        #expect(reply["mood"] == "MOOD_GRUMPY")

        demo.signal(SIGTERM)
        let exit = try await demo.wait(timeout: 20)
        #expect(exit.status == 0, "\(exit.stderr)")
    }

    @Test func usageErrorsExitWithTwo() async throws {
        let result = try await ChildProcess([Repository.accordBinary, "demo", Self.greeter, "--port", "many"]).wait(timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--port"))
    }

    @Test func badInputExitsWithTwoAndNamesTheFile() async throws {
        let missing = try await ChildProcess([Repository.accordBinary, "demo", "/no/such.proto"]).wait(timeout: 30)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/no/such.proto: no such file"))

        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.proto")
        try "syntax = \"proto3\";\nmessage A {\n  strin name = 1;\n}\n".write(to: broken, atomically: true, encoding: .utf8)
        let bad = try await ChildProcess([Repository.accordBinary, "demo", broken.path]).wait(timeout: 30)
        #expect(bad.status == 2)
        // protoc's own diagnostic, with file and line.
        #expect(bad.stderr.contains("broken.proto:3:"), "\(bad.stderr)")
    }
}
