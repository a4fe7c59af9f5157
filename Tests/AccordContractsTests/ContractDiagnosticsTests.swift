import AccordContracts
import AccordDocuments
import Foundation
import Testing

/// Malformed contracts: each problem is reported with its file, line and key, and a load
/// reports every problem it finds, not only the first.
@Suite struct ContractDiagnosticsTests {
    struct Case: CustomStringConvertible, Sendable {
        let folder: String
        let file: String
        let line: Int
        /// The dotted YAML key, nil for problems inside .proto, OpenAPI and JSON Schema files.
        let key: String?
        let message: String

        var description: String { folder }
    }

    static let cases: [Case] = [
        Case(folder: "unknown-key", file: "system.yaml", line: 4, key: "services.items.grpc.servce",
             message: "unknown key \"servce\" (did you mean \"service\"?)"),
        Case(folder: "wrong-type", file: "system.yaml", line: 5, key: "services.items.replicas",
             message: "expected a whole number, found a string"),
        Case(folder: "undefined-service", file: "system.yaml", line: 7, key: "services.web.consumes[0].rpc",
             message: "no service \"itemz\" in this system (did you mean \"items\"?)"),
        Case(folder: "undefined-method", file: "system.yaml", line: 7, key: "services.web.consumes[0].rpc",
             message: "m.v1.Items has no method \"GetIten\" (did you mean \"GetItem\"?)"),
        Case(folder: "undefined-field", file: "system.yaml", line: 6, key: "services.items.grpc.required.GetItem[0]",
             message: "m.v1.GetItemRequest has no field \"skus\" (did you mean \"sku\"?)"),
        Case(folder: "undefined-event", file: "system.yaml", line: 4, key: "services.items.publishes",
             message: "no event \"item.addd\" under events (did you mean \"item.added\"?)"),
        Case(folder: "undefined-message", file: "system.yaml", line: 9, key: "events.\"item.added\".message",
             message: "no message \"m.v1.ItemAdded\" in the publishers' .proto files"),
        Case(folder: "path-escape", file: "system.yaml", line: 4, key: "services.items.grpc.protos[0]",
             message: "leaves the system folder"),
        Case(folder: "bad-proto", file: "items.proto", line: 10, key: nil,
             message: "protoc: \"strin\" is not defined."),
        Case(folder: "bad-openapi", file: "openapi.yaml", line: 7, key: nil, message: "OpenAPI: "),
        Case(folder: "bad-json-schema", file: "item.json", line: 4, key: nil,
             message: "JSON Schema: type: \"strng\" is not one of"),
        Case(folder: "bad-yaml", file: "system.yaml", line: 5, key: nil, message: "did not find expected ','"),
        Case(folder: "bad-reads", file: "system.yaml", line: 8, key: "services.web.consumes[0].reads.sku",
             message: "unknown type \"strng\" (did you mean \"string\"?"),
        Case(folder: "bad-delay", file: "system.yaml", line: 7, key: "services.items.reference.rpc.GetItem.delay",
             message: "\"soon\" is not a duration"),
        Case(folder: "forward-streaming", file: "system.yaml", line: 10,
             key: "services.web.reference.routes.\"POST /items\".forward",
             message: "forwards to items.Upload, a client-streaming method"),
        Case(folder: "bad-system-name", file: "system.yaml", line: 1, key: "system",
             message: "system name \"../../x\" may hold only letters, digits, - and _"),
    ]

    @Test(arguments: cases)
    func namesFileLineAndKey(_ expected: Case) throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let error = try ContractFixtures.loadError("malformed/\(expected.folder)")
        #expect(error.diagnostics.count == 1, "\(error)")
        let diagnostic = try #require(error.diagnostics.first)
        #expect(diagnostic.location.file == expected.file)
        #expect(diagnostic.location.line == expected.line)
        #expect(diagnostic.location.column != nil)
        #expect(diagnostic.key == expected.key)
        #expect(diagnostic.message.contains(expected.message), "\(diagnostic.message)")
        // As the CLI prints it: under the folder the user named.
        let shown = ContractLoadError.render(diagnostic, in: "malformed/\(expected.folder)")
        #expect(shown.hasPrefix("malformed/\(expected.folder)/\(expected.file):\(expected.line):"), "\(shown)")
    }

    @Test func reportsEveryProblemOfALoadInFileOrder() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let error = try ContractFixtures.loadError("malformed/many-errors")
        #expect(error.diagnostics.map(\.location.line) == [5, 8, 9, 12])
        #expect(error.diagnostics.map(\.key) == [
            "services.items.run", "services.items.examples[0].request.skuu",
            "services.items.examples[0].expect.status", "services.web.consumes[0].event",
        ])
        #expect(error.diagnostics[1].message.contains("unknown field \"skuu\" in m.v1.GetItemRequest"))
        #expect(error.diagnostics[2].message.contains("did you mean \"NOT_FOUND\"?"))
        #expect("\(error)".hasPrefix("malformed/many-errors: 4 errors in the contract\n"))
    }
}
