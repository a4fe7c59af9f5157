@testable import AccordCheck
import Testing

@Suite struct RequestPathTests {
    @Test(arguments: [
        ("o-1", "o-1"), ("a b/c", "a%20b%2Fc"), ("é", "%C3%A9"), ("x~y_z.0-9", "x~y_z.0-9"),
    ])
    func encodesAllButUnreservedCharacters(text: String, encoded: String) {
        #expect(RequestPath.encode(text) == encoded)
    }
}

extension RequestPathTests {
    @Test func fillsPathParametersAndPutsTheOthersInTheQuery() throws {
        let operation = try #require(WireReadCheckTests.system.service(named: "catalog")?.rest?.contract.operations.first)
        #expect(RequestPath.fill(operation, ["id": "i 1", "expand": "owner"]) == "/items/i%201?expand=owner")
    }
}
