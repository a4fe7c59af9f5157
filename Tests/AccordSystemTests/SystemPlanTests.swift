import AccordContracts
import AccordProcess
@testable import AccordSystem
import AccordTestSupport
import Foundation
import Testing

/// Which processes a system needs, on which ports, knowing where their peers listen.
@Suite struct SystemPlanTests {
    static func load(_ path: String) throws -> ContractSystem {
        try ContractLoader().load(folder: Repository.root.appendingPathComponent(path), displayFolder: path)
    }

    static func plan(_ system: ContractSystem) -> SystemPlan {
        var next = 40000
        return SystemPlan(system: system, reference: .init(accordExecutable: "/bin/accord"),
                          amqpURL: "amqp://guest:guest@127.0.0.1:5672/") {
            next += 1
            return next
        }
    }

    @Test func referenceServicesServeOnTheirOwnPortsAndKnowTheirPeers() throws {
        guard try ExternalTool.available("protoc") else { return }
        let plan = Self.plan(try Self.load("contracts/shop"))
        #expect(plan.launches.map(\.service) == ["orders", "gateway", "notifier", "audit"])
        #expect(plan.directory.services["orders"]?.grpc == ["127.0.0.1:40001"])
        #expect(plan.directory.services["gateway"]?.http == ["127.0.0.1:40002"])
        let gateway = try #require(plan.launches.first { $0.service == "gateway" })
        #expect(gateway.command.starts(with: ["/bin/accord", "serve"]))
        let arguments = gateway.command.joined(separator: " ")
        #expect(arguments.contains("--service gateway") && arguments.contains("--http-port 40002"))
        #expect(arguments.contains("--peer orders.grpc=127.0.0.1:40001"), "\(arguments)")
        #expect(!arguments.contains("--peer gateway"), "\(arguments)")
        #expect(arguments.contains("--amqp-url amqp://guest:guest@127.0.0.1:5672/"))
        #expect(gateway.readiness == .outputLine(containing: "READY gateway"))
        #expect(SystemPlan.needsBroker(try Self.load("contracts/shop")))
    }

    @Test func commandsGetTheirPlaceholdersFilledAndConsumersOfCallsAloneAreNotStarted() throws {
        let plan = Self.plan(try Self.load("Tests/AccordCLITests/Fixtures/wire-drift"))
        #expect(plan.launches.map(\.service) == ["users"])
        let users = try #require(plan.launches.first)
        #expect(users.command == ["python3", "users.py", "40001"])
        #expect(users.readiness == .httpGet(port: 40001, path: "/healthz"))
        #expect(users.readyTimeout == .seconds(20))
        #expect(plan.directory.addresses(of: "users", .http) == ["127.0.0.1:40001"])
    }

    /// What a runner (or a load run) hands its fleet: one spec per service, the plan's replicas in order.
    @Test func aPlanBecomesAFleetOfOneSpecPerServiceWithItsReplicasAndPorts() throws {
        guard try ExternalTool.available("protoc") else { return }
        let plan = Self.plan(try Self.load("Tests/AccordContractsTests/Fixtures/runs"))
        let specs = ServiceSpec.specs(of: plan)
        #expect(specs.map(\.name) == ["items", "worker", "local", "stub", "web-stub"])
        #expect(specs.map { $0.replicas.map(\.index) } == [[0, 1], [0], [0], [0], [0]])
        #expect(specs.map { $0.replicas.map(\.port) } == [[40001, 40002], [nil], [40003], [40004], [40005]])
        for launch in plan.launches {
            let spec = try #require(specs.first { $0.name == launch.service })
            let replica = try #require(spec.replicas.first { $0.index == launch.replica })
            #expect(replica.command == launch.command && replica.environment == launch.environment)
            #expect(replica.readiness == launch.readiness && spec.directory == launch.directory)
        }
    }

    @Test func fillsKnownPlaceholdersAndLeavesOtherTextAlone() {
        let values = ["grpc_port": "5", "orders.http": "127.0.0.1:9"]
        #expect(SystemPlan.fill("--port=${grpc_port} http://${orders.http}/x ${other} $", values)
                    == "--port=5 http://127.0.0.1:9/x ${other} $")
    }
}
