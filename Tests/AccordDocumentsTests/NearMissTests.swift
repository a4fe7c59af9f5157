import AccordDocuments
import Testing

@Suite struct NearMissTests {
    @Test(arguments: [
        ("userId", ["user_id", "name"], "user_id"),
        ("user_id", ["name", "userId"], "userId"),
        ("OrderID", ["order_id", "order"], "order_id"),
        ("usr_id", ["user_id", "email"], "user_id"),
        ("emial", ["email", "name"], "email"),
        ("total", ["user_id", "name"], nil),
        ("id", ["ids", "idx"], "ids"),
        ("x", [], nil),
    ] as [(String, [String], String?)])
    func suggestsTheClosestName(name: String, candidates: [String], expected: String?) {
        #expect(NearMiss.closest(to: name, among: candidates) == expected)
    }

    @Test func foldingBeatsEditDistance() {
        // "user_ids" is one edit from "userId"'s fold... but "user_id" folds equal and wins.
        #expect(NearMiss.closest(to: "userId", among: ["user_ids", "user_id"]) == "user_id")
    }

    @Test func editDistanceStopsAtTheLimit() {
        #expect(NearMiss.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(NearMiss.editDistance(Array("kitten"), Array("sitting"), limit: 1) == 2)
    }
}
