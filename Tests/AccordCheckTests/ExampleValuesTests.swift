@testable import AccordCheck
import AccordJSON
import Testing

/// Payloads of later examples built from earlier responses and the payload generators.
@Suite struct ExampleValuesTests {
    static var values: ExampleValues {
        var values = ExampleValues()
        values.record(["order": ["id": "o-7", "total_cents": 2500]], for: "create")
        return values
    }

    @Test func referencesTakeTheValueWithItsTypeOrSpliceItIntoText() throws {
        let rendered = try Self.values.render(
            ["order_id": "${create.order.id}", "total": "${create.order.total_cents}", "note": "for ${create.order.id}",
             "user": "u-${seq}"],
            sequence: 3)
        #expect(rendered == ["order_id": "o-7", "total": 2500, "note": "for o-7", "user": "u-3"])
        #expect(try Self.values.render("${create.order.id}", sequence: 1) == "o-7")
    }

    @Test func aReferenceToAMissingResponseOrMemberSaysWhich() {
        #expect { try Self.values.render(["id": "${lookup.order.id}"], sequence: 1) } throws: {
            "\($0)".contains("example lookup has no response")
        }
        #expect { try Self.values.render(["id": "${create.order.user_id}"], sequence: 1) } throws: {
            "\($0)".contains("no user_id")
        }
    }
}
