import AccordJSON
import AccordOpenAPI
import AccordTestSupport
import Foundation
import Testing

@Suite struct OpenAPIContractLoadingTests {
    @Test func loadsOperationsParametersAndResponses() throws {
        let contract = try FixtureContracts.load("users/openapi.yaml")
        #expect(contract.version == .v3_0)
        #expect(contract.title == "Users")
        #expect(contract.operations.map { "\($0.method) \($0.path)" } == ["GET /users", "GET /users/{user_id}"])

        let list = try #require(contract.operation(id: "listUsers"))
        #expect(list.parameters.map(\.name) == ["limit"])
        #expect(list.parameters.first?.place == .query)
        #expect(list.parameters.first?.required == false)
        #expect(Set(list.responses.keys) == [.code(200), .default])

        let get = try #require(contract.operation(method: "get", path: "/users/u-1"))
        #expect(get.operationId == "getUser")
        let id = try #require(get.parameters.first)
        #expect(id.name == "user_id" && id.place == .path && id.required)
        #expect(get.location.line == 29)
    }

    @Test func followsReferencesIntoOtherFilesOfTheFolder() throws {
        let contract = try FixtureContracts.load("users/openapi.yaml")
        let get = try #require(contract.operation(id: "getUser"))
        let problem = try #require(get.response(for: 404)?.content.schema(for: "application/json"))
        #expect(contract.schemas.location(of: problem).file == "schemas/common.yaml")
        let pointer = contract.schemas.location(of: problem).pointer
        #expect(pointer == "/components/responses/Problem/content/application~1json/schema")
        // `default` answers every undeclared status.
        let list = try #require(contract.operation(id: "listUsers"))
        #expect(list.response(for: 503)?.description == "an error")
        let bad: JSONValue = ["code": "gone", "message": "x"]
        guard case .violations(let violations) = contract.validateResponse(bad, status: 503, of: list) else {
            Issue.record("expected violations"); return
        }
        #expect(violations.map(\.keyword) == ["enum"])
        #expect(violations.first?.schema.file == "schemas/common.yaml")
        #expect(violations.first?.schema.line == 16)
    }

    @Test func loadsJSONDocumentsWithLinesAndTabs() throws {
        let contract = try FixtureContracts.load("json/openapi.json")
        #expect(contract.version == .v3_1)
        let get = try #require(contract.operation(method: "GET", path: "/orders/42"))
        #expect(get.location.line == 6)
        let order: JSONValue = ["id": "not-a-uuid", "total_cents": -1, "note": nil]
        guard case .violations(let violations) = contract.validateResponse(order, status: 200, of: get) else {
            Issue.record("expected violations"); return
        }
        #expect(violations.map(\.instancePointer) == ["/id", "/total_cents"])
        #expect(violations.map(\.schema.file) == ["schemas/order.json", "schemas/order.json"])
        #expect(violations.map(\.schema.line) == [5, 6])
        #expect(contract.validateResponse(order, status: 500, of: get) == .undeclaredStatus(500))
    }

    @Test func invalidDocumentNamesFilePathAndLine() throws {
        // `in: body` is Swagger 2, not OpenAPI 3.
        let error = try #require(throws: OpenAPILoadError.self) {
            _ = try FixtureContracts.load("invalid/openapi.yaml")
        }
        #expect(error.kind == .invalidDocument)
        #expect(error.location.file == "openapi.yaml")
        #expect(error.location.pointer == "/paths/~1orders/get/parameters/0")
        #expect(error.location.line == 9)
        #expect("\(error)".hasPrefix("openapi.yaml:9:11 #/paths/~1orders/get/parameters/0: "))
    }

    @Test func referencesMayNotLeaveTheContractFolder() throws {
        let error = try #require(throws: OpenAPILoadError.self) {
            _ = try OpenAPIContract.load(file: FixtureContracts.url("escape/openapi.yaml"))
        }
        #expect(error.kind == .unreadable)
        #expect(error.location.file == "openapi.yaml")
        #expect(error.location.line == 14)
        #expect(error.message.contains("outside the contract folder"))
    }

    @Test(arguments: [
        ("openapi: 3.1.0\ninfo: {title: t, version: \"1\"}\npaths:\n  /a: [unclosed\n",
         OpenAPILoadError.Kind.syntax, 5),
        ("openapi: 3.1.0\ninfo: {title: t, version: \"1\"}\npaths: {}\ninfo: {}\n", .syntax, 2),
        ("swagger: \"2.0\"\n", .unsupported, 1),
        ("openapi: 3.1.0\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    get:\n      responses:\n"
            + "        \"200\": {$ref: \"#/components/responses/Nope\"}\n", .invalidDocument, 7),
    ] as [(String, OpenAPILoadError.Kind, Int?)])
    func badInputFailsWithALocation(text: String, kind: OpenAPILoadError.Kind, line: Int?) throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("api.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: OpenAPILoadError.self) { _ = try OpenAPIContract.load(file: file) }
        #expect(error.kind == kind, "\(error)")
        #expect(error.location.file == "api.yaml")
        #expect(error.location.line == line, "\(error)")
        #expect(error.location.column != nil, "\(error)")
    }
}
