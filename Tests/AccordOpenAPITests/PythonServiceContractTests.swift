import AccordDocuments
import AccordHTTP
import AccordJSON
import AccordOpenAPI
import AccordTestSupport
import Foundation
import Testing

/// A REST service nobody here wrote (Python's standard http.server) called by the accord client,
/// its responses validated against the contract.
@Suite struct PythonServiceContractTests {
    struct Call {
        let path: String
        let status: Int
        let validation: ResponseValidation
    }

    /// Starts the fixture service, calls `paths` with the accord client, validates each answer.
    static func calls(_ paths: [String], renameUserID: Bool) async throws -> [Call] {
        let contract = try FixtureContracts.load("users/openapi.yaml")
        let port = FreePort.next()
        var command = ["python3", FixtureContracts.url("users_service.py").path, String(port)]
        if renameUserID { command.append("--rename-user-id") }
        let service = try ChildProcess(command)
        _ = try await service.waitForOutput(containing: "READY")
        let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port))
        var calls: [Call] = []
        for path in paths {
            let response = try await client.execute(HTTPClientRequest(path: path, authority: client.target.authority))
                .result.get()
            let operation = try #require(contract.operation(method: "GET", path: path))
            let body = try JSONParser.parse(response.body.readableBytesView)
            let validation = contract.validateResponse(
                body, status: response.status, mediaType: response.header("content-type") ?? "", of: operation)
            calls.append(Call(path: path, status: response.status, validation: validation))
        }
        await client.shutdown()
        service.signal(SIGKILL)
        _ = try await service.wait(timeout: 10)
        return calls
    }

    @Test func responsesMatchTheContract() async throws {
        guard try ExternalTool.available("python3") else { return }
        let calls = try await Self.calls(["/users", "/users/u-1", "/users/u-2", "/users/nobody"], renameUserID: false)
        #expect(calls.map(\.status) == [200, 200, 200, 404])
        for call in calls { #expect(call.validation == .valid, "\(call.path): \(call.validation)") }
    }

    @Test func aRenamedFieldIsReportedWithItsPointerAndTheNearMiss() async throws {
        guard try ExternalTool.available("python3") else { return }
        let calls = try await Self.calls(["/users/u-1", "/users"], renameUserID: true)
        guard case .violations(let one) = calls[0].validation, case .violations(let list) = calls[1].validation else {
            Issue.record("the rename went unnoticed: \(calls.map(\.validation))"); return
        }
        let missing = try #require(one.first { $0.keyword == "required" })
        #expect(missing.instancePointer == "/user_id")
        #expect(missing.nearMiss == "userId")
        #expect(missing.schema.file == "openapi.yaml")
        #expect(missing.schema.pointer == "/components/schemas/User/required")
        #expect(missing.schema.line == 53)
        let unexpected = try #require(one.first { $0.keyword == "additionalProperties" })
        #expect(unexpected.instancePointer == "/userId")
        #expect(unexpected.nearMiss == "user_id")
        #expect("\(unexpected)".contains("did you mean \"user_id\"?"))
        // In the list, each item's pointer carries its index.
        #expect(Set(list.map(\.instancePointer)) == ["/0/user_id", "/0/userId", "/1/user_id", "/1/userId"])
    }
}
