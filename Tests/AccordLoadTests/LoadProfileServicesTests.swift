import AccordDocuments
import AccordLoad
import AccordProcess
import AccordTestSupport
import Foundation
import Testing

/// `services:` with replicas and placeholders, `shutdown:` as one step or a list, and mix entries
/// with several addresses, read from profile files.
@Suite struct LoadProfileServicesTests {
    /// Writes `text` as a profile and loads it (the file is removed afterwards): the profile, or
    /// its problems as `profile.yaml:LINE: key: message` lines (columns dropped).
    static func read(_ text: String) throws -> Result<LoadProfile, Diagnostics> {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("profile.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        do {
            return .success(try LoadProfile.load(path: file.path))
        } catch {
            return .failure(error)
        }
    }

    static func load(_ text: String) throws -> LoadProfile {
        try read(text).get()
    }

    static func problems(_ text: String) throws -> [String] {
        guard case .failure(let diagnostics) = try read(text) else { return [] }
        return diagnostics.errors.map { problem in
            "profile.yaml\(problem.location.line.map { ":\($0)" } ?? ""): \(problem.key ?? ""): \(problem.message)"
        }
    }

    static let head = """
        model: open
        stages: [{ rate: 10/s, for: 1s }]
        mix:
          - name: Call
            grpc:
              address: [127.0.0.1:7001, "127.0.0.1:7002"]
              proto: x.proto
              method: p.S/M
        """

    @Test func aRollingRestartOfReplicasOnTheirOwnPorts() throws {
        let profile = try Self.load(Self.head + """

              - name: Page
                http:
                  url: http://127.0.0.1:7001/page
                  addresses: [127.0.0.1:7001, 127.0.0.1:7002]
            services:
              peer:
                command: [python3, peer.py, "--port=${port}", "--name=peer-${replica}"]
                env: { REPLICA: "${replica}", LISTEN: "127.0.0.1:${port}" }
                replicas: 2
                port: [7001, 7002]
                ready: { output: "READY ${port}" }
              single:
                command: [sleep, "60"]
                ready: { port: 7100 }
            shutdown:
              - { service: peer, replica: 0, at: 1s, restart: true, grace: 3s }
              - { service: peer, replica: 1, at: 2s, signal: SIGINT }
              - { service: single, at: 3s }
            """)
        let peer = try #require(profile.services.first { $0.name == "peer" })
        #expect(peer.replicas.map(\.index) == [0, 1])
        #expect(peer.replicas.map(\.port) == [7001, 7002])
        #expect(peer.replicas[1].command == ["python3", "peer.py", "--port=7002", "--name=peer-1"])
        #expect(peer.replicas[0].environment == ["REPLICA": "0", "LISTEN": "127.0.0.1:7001"])
        #expect(peer.replicas.map(\.readiness) == ["READY 7001", "READY 7002"].map { .outputLine(containing: $0) })
        let single = try #require(profile.services.first { $0.name == "single" })
        #expect(single.replicas.map(\.readiness) == [.port(7100)])
        #expect(single.replicas.map(\.port) == [nil])

        #expect(profile.shutdown == [
            ShutdownScenario.Step(service: "peer", replica: 0, at: .seconds(1), grace: .seconds(3), restart: true),
            ShutdownScenario.Step(service: "peer", replica: 1, at: .seconds(2), signal: SIGINT),
            ShutdownScenario.Step(service: "single", at: .seconds(3)),
        ])
        guard case .grpc(let grpcAddresses, _, _, _, _) = profile.mix[0].target,
            case .http(let host, let port, let httpAddresses, _, _, _, _) = profile.mix[1].target
        else {
            Issue.record("unexpected targets")
            return
        }
        #expect(grpcAddresses.map(\.description) == ["127.0.0.1:7001", "127.0.0.1:7002"])
        #expect(httpAddresses.map(\.description) == ["127.0.0.1:7001", "127.0.0.1:7002"])
        #expect("\(host):\(port)" == "127.0.0.1:7001", "the URL still names the Host header")
    }

    @Test func aFirstPortCountsUpPerReplicaAndMakesReadinessDefault() throws {
        let profile = try Self.load(Self.head + """

            services:
              peer:
                command: [server, "${port}"]
                replicas: 3
                port: 6000
            shutdown: { service: peer, at: 1s }
            """)
        let replicas = try #require(profile.services.first).replicas
        #expect(replicas.map(\.command) == [["server", "6000"], ["server", "6001"], ["server", "6002"]])
        #expect(replicas.map(\.readiness) == [.port(6000), .port(6001), .port(6002)])
        // One mapping is one step; without replica: it signals every replica.
        #expect(profile.shutdown == [ShutdownScenario.Step(service: "peer", at: .seconds(1))])
        guard case .http(_, _, let addresses, _, _, _, _)? = try Self.load(Self.head + """

              - http: { url: "http://127.0.0.1:9/x" }
            """).mix.last?.target else {
            Issue.record("no http entry")
            return
        }
        #expect(addresses.map(\.description) == ["127.0.0.1:9"], "an HTTP entry defaults to its URL's address")
    }

    @Test(arguments: [
        (
            """
            services:
              peer:
                command: [server, "${port}"]
                ready: { output: READY }
            """,
            "profile.yaml:11: services.peer.command[1]: ${port} needs port: on the service"
        ),
        (
            """
            services:
              peer:
                command: [server]
                replicas: 3
                port: [7001, 7002]
            """,
            "profile.yaml:13: services.peer.port: expected 3 ports, one per replica, got 2"
        ),
        (
            """
            services:
              peer:
                command: [server]
                replicas: 2
                port: 65535
            """,
            "profile.yaml:13: services.peer.port: 2 replicas from port 65535 run past 65535"
        ),
        (
            """
            services:
              peer:
                command: [server]
            """,
            "profile.yaml:10: services.peer.ready: missing: give ready: { port: N } or { output: \"text\" }"
        ),
        (
            """
            services:
              peer: { command: [server], replicas: 2, port: 7001 }
            shutdown:
              - { service: peer, replica: 1, at: 1s }
              - { service: peer, replica: 2, at: 2s }
            """,
            "profile.yaml:13: shutdown[1].replica: peer has 2 replicas, numbered from 0"
        ),
        (
            """
            services:
              peer: { command: [server], port: 7001 }
            shutdown:
              - { service: peer, at: 1s }
              - { service: peers, at: 2s }
            """,
            "profile.yaml:13: shutdown[1].service: \"peers\" is not one of the services the run starts (peer)"
        ),
        (
            """
            services:
              peer: { command: [server], port: 7001 }
            shutdown: []
            """,
            "profile.yaml:11: shutdown: expected at least one step"
        ),
        (
            """
            services:
              peer: { command: [server], port: 7001 }
            shutdown:
              - { service: peer, at: 1s, replicas: 1 }
            """,
            "profile.yaml:12: shutdown[0].replicas: unknown key (did you mean \"replica\"?)"
        ),
    ])
    func problemsNameTheirLineAndKey(tail: String, expected: String) throws {
        let problems = try Self.problems(Self.head + "\n" + tail)
        #expect(problems.contains { $0.hasPrefix(expected) }, "\(problems)")
    }

    @Test func aBadAddressInAListIsReportedAtItsItem() throws {
        let problems = try Self.problems("""
            model: open
            stages: [{ rate: 10/s, for: 1s }]
            mix:
              - grpc:
                  address:
                    - 127.0.0.1:7001
                    - nowhere
                  proto: x.proto
                  method: p.S/M
            """)
        #expect(problems == ["profile.yaml:7: mix[0].grpc.address[1]: expected host:port, got \"nowhere\""])
    }
}
