import AccordTestSupport
import Foundation
import Testing

/// `accord serve` refusing what it cannot run: exit 2, with the reason and where it is written.
@Suite struct ServeCommandTests {
    static func serve(_ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess([Repository.accordBinary, "serve"] + arguments).wait(timeout: 60)
    }

    @Test func anUnknownServiceIsBadInput() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let result = try await Self.serve([ServeFixtures.shop, "--service", "billing"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(
            "no service billing in system shop (services: orders, gateway, notifier, audit)"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aServiceAccordDoesNotRunIsBadInput() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let result = try await Self.serve([system.path, "--service", "legacy"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(system.path)/system.yaml:"), "\(result.stderr)")
        #expect(result.stderr.contains("service legacy has run: address; only run: reference services can be served"))
    }

    @Test func contractErrorsAreBadInputWithFileAndLine() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let folder = Repository.root
            .appendingPathComponent("Tests/AccordContractsTests/Fixtures/malformed/unknown-key")
        let result = try await Self.serve([folder.path, "--service", "orders"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").dropFirst()
        #expect(!lines.isEmpty)
        for line in lines {
            let located = line.range(of: #"^\#(folder.path)/[^:]+:\d+:\d+: "#, options: .regularExpression)
            #expect(located != nil, "\(line)")
        }
    }

    @Test func aPeerOrBrokerItNeedsAndLacksIsBadInput() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let noPeer = try await Self.serve([ServeFixtures.shop, "--service", "gateway"])
        #expect(noPeer.status == 2)
        #expect(noPeer.stderr.contains("\(ServeFixtures.shop)/system.yaml:80: POST /orders forwards to "
            + "orders.CreateOrder, but no address of orders is given (--peer orders.grpc=HOST:PORT)"),
                "\(noPeer.stderr)")
        let badPeer = try await Self.serve([ServeFixtures.shop, "--service", "gateway", "--peer", "orders=1.2.3.4"])
        #expect(badPeer.status == 2)
        #expect(badPeer.stderr.contains("--peer orders=1.2.3.4: expected SERVICE.grpc=HOST:PORT"))

        let unreachable = try await Self.serve([ServeFixtures.shop, "--service", "notifier",
                                                "--amqp-url", "amqp://127.0.0.1:\(FreePort.next())"])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains(
            "service notifier: cannot reach the broker at amqp://guest:***@127.0.0.1:"), "\(unreachable.stderr)")
        #expect(unreachable.stdout.isEmpty)
    }
}
