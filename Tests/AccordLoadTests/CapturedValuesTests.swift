import AccordJSON
import AccordLoad
import Testing

@Suite struct CapturedValuesTests {
    @Test func keepsOnlyTheMostRecentValues() {
        let captures = CapturedValues()
        #expect(captures.pick("create.order.id") == nil)
        for n in 0..<(CapturedValues.capacity * 3) { captures.record(.string("o-\(n)"), for: "create.order.id") }
        #expect(captures.count("create.order.id") == CapturedValues.capacity)
        let recent = Set(
            (CapturedValues.capacity * 2..<CapturedValues.capacity * 3).map { JSONValue.string("o-\($0)") })
        for _ in 0..<200 {
            let picked = captures.pick("create.order.id")
            #expect(picked.map(recent.contains) == true, "\(String(describing: picked)) is not among the latest")
        }
    }

    @Test func referencesAreKeptApart() {
        let captures = CapturedValues()
        captures.record("o-1", for: "create.order.id")
        #expect(captures.pick("web.order.id") == nil)
        #expect(captures.pick("create.order.id") == "o-1")
    }

    @Test func rulesReadThroughObjectsAndTheFirstElementOfLists() {
        let response: JSONValue = ["order": ["id": "o-7", "items": [["sku": "s-1"], ["sku": "s-2"]]]]
        #expect(CaptureRule(reference: "c.order.id", path: ["order", "id"]).value(in: response) == "o-7")
        #expect(
            CaptureRule(reference: "c.order.items.sku", path: ["order", "items", "sku"]).value(in: response) == "s-1")
        #expect(CaptureRule(reference: "c.order.nope", path: ["order", "nope"]).value(in: response) == nil)
        let captures = CapturedValues()
        captures.capture(
            [
                CaptureRule(reference: "c.order.id", path: ["order", "id"]),
                CaptureRule(reference: "c.order.nope", path: ["order", "nope"]),
            ], from: response)
        #expect(captures.pick("c.order.id") == "o-7")
        #expect(captures.count("c.order.nope") == 0)
    }
}
