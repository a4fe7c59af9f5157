import AccordJSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let v = try JSONParser.parse(#"{"a": [1, -2.5e3, true, false, null], "s": "x\u00e9\n\ud83d\ude00"}"#)
        #expect(v["a"] == [1, -2500.0, true, false, nil])
        #expect(v["s"] == .string("xé\n😀"))
    }

    @Test func keepsSixtyFourBitIntegersExact() throws {
        let v = try JSONParser.parse("[9223372036854775807, 18446744073709551615, -9223372036854775808]")
        guard case .number(let a) = v[0], case .number(let b) = v[1], case .number(let c) = v[2] else {
            Issue.record("not numbers"); return
        }
        #expect(a.int64Value == Int64.max)
        #expect(b.uint64Value == UInt64.max)
        #expect(c.int64Value == Int64.min)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9), ("[1 2]", 1, 4), ("\"abc", 1, 1), ("{\"a\":1}\n x", 2, 2),
        ("01", 1, 2), ("{\"a\":1,\"a\":2}", 1, 8), ("\"\\x\"", 1, 2), ("[\n\n tru]", 3, 2), ("", 1, 1),
    ])
    func rejectsMalformedTextWithItsPosition(text: String, line: Int, column: Int) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            guard let e = error as? JSONParser.Error else { return false }
            return e.line == line && e.column == column
        }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        #expect(throws: Never.self) { try JSONParser.parse(deep, maxDepth: 700) }
    }

    @Test func serializesWithSortedKeysAndEscapes() throws {
        let v: JSONValue = ["b": "q\"\u{1}", "a": [1, 2.5, nil]]
        #expect(v.jsonText == #"{"a":[1,2.5,null],"b":"q\"\u0001"}"#)
        #expect(try JSONParser.parse(v.prettyJSONText) == v)
    }

    @Test func numbersCompareByValue() {
        #expect(JSONNumber(literal: "1.0") == JSONNumber(literal: "1"))
        #expect(JSONNumber(literal: "1e2").isInteger)
        #expect(!JSONNumber(literal: "1.5").isInteger)
    }
}
