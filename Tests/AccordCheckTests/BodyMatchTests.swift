@testable import AccordCheck
import AccordJSON
import Testing

/// `expect.body` matching: partial, recursive, element by element.
@Suite struct BodyMatchTests {
    static let response: JSONValue = [
        "order": ["id": "o-1", "status": "ORDER_STATUS_PENDING", "total_cents": "2500", "items": [["sku": "a"]]],
    ]

    @Test(arguments: [
        ["order": ["status": "ORDER_STATUS_PENDING"]],
        ["order": ["total_cents": 2500]],
        ["order": ["items": [["sku": "a"]]]],
        [:],
    ] as [JSONValue])
    func aPartialExpectationMatches(expected: JSONValue) {
        #expect(BodyMatch.firstMismatch(expected: expected, actual: Self.response) == nil)
    }

    @Test(arguments: [
        (["order": ["status": "ORDER_STATUS_PAID"]], "order.status"),
        (["order": ["user_id": "u"]], "order.user_id"),
        (["order": ["items": [["sku": "a"], ["sku": "b"]]]], "order.items"),
        (["order": ["items": [["sku": "b"]]]], "order.items.0.sku"),
    ] as [(JSONValue, String)])
    func theFirstDifferenceIsNamedByPath(expected: JSONValue, path: String) {
        #expect(BodyMatch.firstMismatch(expected: expected, actual: Self.response)?.path == path)
    }

    /// A REST list answers an array at the top.
    @Test func aTopLevelListIsNamedFromItsIndex() {
        let list: JSONValue = [["id": "a"]]
        #expect(BodyMatch.firstMismatch(expected: [["id": "b"]], actual: list)?.path == "0.id")
        let short = BodyMatch.firstMismatch(expected: [["id": "a"], ["id": "b"]], actual: list)
        #expect(short == BodyMatch.Mismatch(path: "", expected: "the body with 2 items", actual: "1 item"))
    }
}
