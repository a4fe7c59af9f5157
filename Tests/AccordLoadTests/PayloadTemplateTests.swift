import AccordJSON
import AccordLoad
import Testing

@Suite struct PayloadTemplateTests {
    @Test func rendersEveryPlaceholder() throws {
        let template = try PayloadTemplate([
            "user_id": "u-${seq}", "seq": "${seq}", "qty": "${random_int(1,3)}", "sku": "${pick(a, b)}",
            "id": "${uuid}", "fixed": 7, "items": [["note": "n${seq}"]],
        ])
        #expect(!template.isConstant)
        let value = template.render(sequence: 42)
        #expect(value["user_id"] == "u-42")
        #expect(value["seq"] == 42)
        #expect((1...3).contains(value["qty"]?.numberValue?.int64Value ?? 0))
        #expect(["a", "b"].contains(value["sku"]?.stringValue ?? ""))
        #expect(value["id"]?.stringValue?.count == 36)
        #expect(value["fixed"] == 7)
        #expect(value["items"]?[0]?["note"] == "n42")
    }

    @Test func constantPayloadsAreMarked() throws {
        #expect(try PayloadTemplate(["a": "plain", "b": [1, 2]]).isConstant)
    }

    @Test(arguments: ["${nope}", "${random_int(5,1)}", "${pick()}", "x${seq"])
    func rejectsBadPlaceholders(text: String) {
        #expect(throws: PayloadTemplate.ParseError.self) { try PayloadTemplate(.string(text)) }
    }
}
