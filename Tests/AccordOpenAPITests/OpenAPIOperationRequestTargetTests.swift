import AccordOpenAPI
import Testing

/// Request targets from an operation's path template and parameter values.
@Suite struct OpenAPIOperationRequestTargetTests {
    static func operation() throws -> OpenAPIOperation {
        try #require(try FixtureContracts.load("users/openapi.yaml").operation(method: "GET", path: "/users/{user_id}"))
    }

    @Test func fillsPathParametersAndPutsTheOthersInTheQueryInOrder() throws {
        let target = try Self.operation().requestTarget([("user_id", "u 1"), ("expand", "a&b"), ("page", "2")])
        #expect(target == "/users/u%201?expand=a%26b&page=2")
    }

    @Test(arguments: [
        ("o-1", "o-1"), ("a b/c", "a%20b%2Fc"), ("é", "%C3%A9"), ("x~y_z.0-9", "x~y_z.0-9"), ("a:b@c", "a:b@c"),
    ])
    func encodesWhatAPathSegmentMayNotHold(value: String, encoded: String) throws {
        #expect(try Self.operation().requestTarget([("user_id", value)]) == "/users/\(encoded)")
    }
}
