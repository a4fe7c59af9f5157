import AccordJSON
import AccordTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `accord check` as CI runs it: the built binary, its exit codes, text, JSON, JUnit and summary.json.
@Suite(.ownVirtualHost) struct CheckCommandTests {
    static let kinds = [
        "missing_field", "type_mismatch", "repeated_mismatch", "unknown_enum_value", "missing_required_request_field",
        "proto_copy_conflict", "proto_copy_renumbered", "proto_copy_reserved_reused",
    ]

    static func contracts(_ name: String) -> String {
        Repository.root.appendingPathComponent("contracts/\(name)").path
    }

    static func check(_ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess([Repository.accordBinary, "check"] + arguments).wait(timeout: 60)
    }

    /// The README's check: statically clean, then run (reference services as processes, the tests'
    /// shared broker) with every example answering as stated and the events seen on the wire.
    @Test func theShopChecksCleanAndWritesItsSummary() async throws {
        guard try ExternalTool.available("protoc"), try TestBroker.available() else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let broker = try await TestBroker.endpoint()
        let result = try await ChildProcess(
            [Repository.accordBinary, "check", Self.contracts("shop"), "--reports", reports.path],
            environment: ["AMQP_URL": broker.url]
        ).wait(timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.hasSuffix("""
            shop: no findings in 6 consumer edges
            shop: 9 examples run, 9 as expected; 3 messages seen on the wire

            """), "\(result.stdout)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        #expect(runs.count == 1 && runs[0].hasPrefix("check-shop-"), "\(runs)")
        let summary = try JSONParser.parse(
            String(contentsOf: reports.appendingPathComponent(runs[0]).appendingPathComponent("summary.json"),
                   encoding: .utf8))
        #expect(summary["kind"] == "check" && summary["name"] == "shop")
        #expect(summary["verdict"]?["passed"] == true && summary["verdict"]?["exitCode"] == 0)
        #expect(summary["findings"] == [])
    }

    static func fixture(_ name: String) -> String {
        Repository.root.appendingPathComponent("Tests/AccordCLITests/Fixtures/\(name)").path
    }

    /// A Python service started as `run: command` whose code answers `userId` where its own OpenAPI
    /// document says `user_id`: only the wire shows it, to the producer's schema and to the consumer.
    @Test func theDynamicCheckCatchesAProducerWhoseWireDiffersFromItsContract() async throws {
        guard try ExternalTool.available("python3") else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let result = try await Self.check([Self.fixture("wire-drift"), "--json", "--reports", reports.path])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let output = try JSONParser.parse(result.stdout)
        guard case .array(let findings)? = output["systems"]?[0]?["findings"] else {
            Issue.record("no findings in \(output)")
            return
        }
        let schema = try #require(findings.first { $0["kind"] == "wire_schema_violation" })
        #expect(schema["fieldPath"] == "user_id" && schema["interaction"] == "users GET /users/{id}")
        #expect(schema["suggestion"]?.stringValue?.contains("userId") == true)
        #expect(schema["producerLocation"]?.stringValue?.hasSuffix("wire-drift/users.yaml:15") == true, "\(schema)")
        #expect(schema["consumerLocation"]?.stringValue?.hasSuffix("wire-drift/system.yaml:11") == true, "\(schema)")
        let read = try #require(findings.first { $0["kind"] == "wire_missing_field" })
        #expect(read["consumer"] == "web" && read["fieldPath"] == "user_id")
        #expect(read["producerSays"]?.stringValue?.contains("it has userId") == true, "\(read)")
        #expect(read["consumerLocation"]?.stringValue?.hasSuffix("wire-drift/system.yaml:20") == true, "\(read)")
        #expect(findings.count == 2, "\(output)")
    }

    /// A grpcio service that answers INTERNAL where its example expects NOT_FOUND fails the check,
    /// and a field its .proto does not declare is reported from the bytes on the wire.
    @Test func anExampleExpectingNotFoundFailsWhenTheServiceAnswersInternal() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc") else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let result = try await Self.check([Self.fixture("status-drift"), "--reports", reports.path])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let blocks = result.stdout.components(separatedBy: "\n\n")
        let status = try #require(blocks.first { $0.hasPrefix("[status_mismatch] status-drift/things, things.GetThing") })
        #expect(status.contains("answered INTERNAL: lookup failed"), "\(status)")
        #expect(status.contains("expects NOT_FOUND") && status.contains("clients retry INTERNAL"), "\(status)")
        #expect(status.contains("status-drift/system.yaml:15"), "\(status)")
        let unknown = try #require(blocks.first { $0.hasPrefix("[wire_unknown_field]") })
        #expect(unknown.contains("field number 9") && unknown.contains("status-drift/things.proto:9"), "\(unknown)")
        #expect(result.stdout.contains("status-drift: 2 examples run, 1 as expected"), "\(result.stdout)")
    }

    /// A command that dies before it is ready is an infrastructure failure: exit 2 with its output.
    @Test func aServiceThatWillNotStartExitsWithTwoAndItsOutput() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            system: broken
            services:
              lonely:
                rest: { openapi: api.yaml }
                run: command
                command: [sh, -c, "echo cannot bind the port >&2; exit 3"]
            """.write(to: folder.appendingPathComponent("system.yaml"), atomically: true, encoding: .utf8)
        try """
            openapi: 3.1.0
            info: { title: t, version: "1" }
            paths: {}
            """.write(to: folder.appendingPathComponent("api.yaml"), atomically: true, encoding: .utf8)
        let result = try await Self.check([folder.path, "--reports", folder.path])
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("system.yaml:6"), "\(result.stderr)")
        #expect(result.stderr.contains("service lonely") && result.stderr.contains("exit code 3"), "\(result.stderr)")
        #expect(result.stderr.contains("cannot bind the port"), "\(result.stderr)")
    }

    @Test func theDriftedShopFailsWithEveryKindExplained() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let result = try await Self.check(["--static", Self.contracts("shop-drifted"), "--reports", reports.path])
        #expect(result.status == 1, "\(result.stderr)")
        let blocks = result.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("[") }
        for kind in Self.kinds {
            let block = try #require(blocks.first { $0.hasPrefix("[\(kind)] shop-drifted/") }, "no \(kind)")
            for label in ["producer says:", "consumer expects:", "suggestion:"] { #expect(block.contains(label)) }
            #expect(block.contains("producer at:      \(Self.contracts("shop-drifted"))/"), "\(block)")
            #expect(block.contains("consumer at:      \(Self.contracts("shop-drifted"))/"), "\(block)")
        }
        #expect(result.stdout.contains("shop-drifted: \(blocks.count) findings ("))
        let runs = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        let summary = try JSONParser.parse(
            String(contentsOf: reports.appendingPathComponent(runs[0]).appendingPathComponent("summary.json"),
                   encoding: .utf8))
        #expect(summary["verdict"]?["exitCode"] == 1)
        guard case .array(let findings)? = summary["findings"] else { Issue.record("no findings"); return }
        #expect(findings.count == blocks.count)
    }

    @Test func jsonAndJUnitOutputsParse() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let scratch = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let junit = scratch.appendingPathComponent("junit.xml")
        let result = try await Self.check(["--static", Self.contracts("shop-drifted"), "--json", "--junit", junit.path,
                                           "--reports", scratch.path])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        guard case .array(let findings)? = json["systems"]?[0]?["findings"] else { Issue.record("\(json)"); return }
        #expect(json["findings"] == .number(JSONNumber(findings.count)))
        #expect(Set(findings.compactMap { $0["kind"]?.stringValue }) == Set(Self.kinds))
        for finding in findings {
            #expect(finding["producerLocation"]?.stringValue?.contains(".") == true)
            #expect(finding["consumerLocation"]?.stringValue?.contains(".") == true)
        }

        let counter = JUnitCounter()
        let parser = XMLParser(data: try Data(contentsOf: junit))
        parser.delegate = counter
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        // The 4 RPCs, 3 REST operations and 2 events of the shop, and its 6 consumer edges.
        let interactionsAndEdges = 15
        #expect(counter.testCases.count == interactionsAndEdges, "\(counter.testCases)")
        #expect(counter.testCases.contains("notifier -> event order.created"))
        #expect(counter.failed.contains("audit -> event order.created"))
        #expect(counter.failed.contains("event order.created"))
        #expect(!counter.failed.contains("orders.ListOrders"))
    }

    @Test func checksEverySystemOfAFolder() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let result = try await Self.check(["--static", Repository.root.appendingPathComponent("contracts").path,
                                           "--reports", reports.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("shop: no findings"))
        #expect(result.stdout.contains("shop-drifted: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).count == 2)
    }

    static let malformed = ["unknown-key", "wrong-type", "undefined-service", "undefined-method", "undefined-field",
                            "undefined-event", "undefined-message", "path-escape", "bad-proto", "bad-openapi",
                            "bad-json-schema", "bad-yaml", "bad-reads", "bad-run", "many-errors"]

    @Test(arguments: malformed)
    func malformedContractsExitWithTwoAndNameFileAndLine(_ name: String) async throws {
        guard try ExternalTool.available("protoc") else { return }
        let folder = Repository.root
            .appendingPathComponent("Tests/AccordContractsTests/Fixtures/malformed/\(name)").path
        let result = try await Self.check([folder, "--reports", NSTemporaryDirectory()])
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("error: \(folder): ") == true, "\(result.stderr)")
        // Every diagnostic line: folder/file:line:column: [key: ]message.
        for line in lines.dropFirst() {
            #expect(line.range(of: #"^\#(folder)/[^:]+:\d+:\d+: "#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test func resultsThatCannotBeWrittenExitWithTwo() async throws {
        guard try ExternalTool.available("protoc") else { return }
        let reports = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let junit = reports.appendingPathComponent("no/such/folder/junit.xml").path
        let result = try await Self.check(["--static", Self.contracts("shop"), "--junit", junit, "--reports", reports.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot write \(junit)"), "\(result.stderr)")
    }

    @Test func aFolderWithoutSystemsIsBadInput() async throws {
        let result = try await Self.check([Self.contracts("demo")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no system.yaml here or in its subfolders"))
    }
}

/// Collects the test case names of a JUnit document, and those with a failure.
private final class JUnitCounter: NSObject, XMLParserDelegate {
    var testCases: [String] = []
    var failed: Set<String> = []

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if element == "testcase" { testCases.append(attributes["name"] ?? "") }
        if element == "failure", let current = testCases.last { failed.insert(current) }
    }
}
