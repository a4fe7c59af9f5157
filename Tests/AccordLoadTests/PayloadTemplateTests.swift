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
        let value = try template.render(sequence: 42)
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

    @Test func capturedValuesKeepTheirTypeAloneAndBecomeTextInsideStrings() throws {
        let template = try PayloadTemplate(["id": "${create.order.id}", "total": "${create.order.total}",
                                            "note": "order ${create.order.id} of ${create.order.total}"])
        #expect(Set(template.captures) == ["create.order.id", "create.order.total"])
        #expect(!template.isConstant)
        let captures = CapturedValues()
        captures.record("o-1", for: "create.order.id")
        captures.record(1250, for: "create.order.total")
        let value = try template.render(sequence: 1, captures: captures)
        #expect(value["id"] == "o-1")
        #expect(value["total"] == 1250)
        #expect(value["note"] == "order o-1 of 1250")
    }

    @Test func aCaptureWithoutAValueYetIsMissingNotEmpty() throws {
        let template = try PayloadTemplate(["order_id": "${create.order.id}"])
        let error = #expect(throws: PayloadTemplate.MissingCapture.self) {
            try template.render(sequence: 1, captures: CapturedValues())
        }
        #expect(error?.reference == "create.order.id")
        #expect(throws: PayloadTemplate.MissingCapture.self) { try template.render(sequence: 1) }
    }

    @Test(arguments: ["${nope}", "${random_int(5,1)}", "${pick()}", "x${seq", "${.order}", "${create.}"])
    func rejectsBadPlaceholders(text: String) {
        #expect(throws: PayloadTemplate.ParseError.self) { try PayloadTemplate(.string(text)) }
    }
}
