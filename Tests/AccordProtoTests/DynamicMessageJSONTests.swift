import AccordJSON
import AccordProto
import Testing

/// The proto3 JSON mapping against Python's `google.protobuf.json_format`.
@Suite struct DynamicMessageJSONTests {
    /// Inputs in the many forms the mapping accepts; Python's `Parse` reads each the same way.
    /// Float subnormals are left out: Python prints them with six digits, Swift with the fewest
    /// that round-trip, so the texts differ as doubles while naming the same float. So is the
    /// largest float, whose shortest text Python prints but cannot read (see `readsItsOwnFloats`).
    static let messages: [(type: String, json: String)] = DynamicMessageBinaryTests.messages + [
        ("shop.orders.v1.Scalars", """
            {"f_int32": "-5", "f_int64": 42, "f_uint32": "7", "f_uint64": 1e3, "f_sint32": 3.0, "f_sint64": "1e3",
             "f_fixed64": "18446744073709551615", "f_status": 2, "f_bytes": "-_8", "f_float": "1.25",
             "f_double": "-Infinity", "f_money": {"currency": 1}}
            """),
        ("shop.orders.v1.Scalars", #"{"fFloat": 0.1, "fDouble": 0.1, "fBytes": "YWJj", "fString": "\u0000\n\"\\"}"#),
        ("shop.orders.v1.Scalars", #"{"fFloat": -3.4e38, "fDouble": 1.7976931348623157e308}"#),
        ("shop.orders.v1.Scalars", #"{"fFloat": 1.5e-30, "fDouble": 5e-324, "fInt64": "-1"}"#),
        ("shop.orders.v1.Scalars", #"{"fInt32": null, "fMoney": null, "fStatus": null}"#),
        ("shop.orders.v1.Repeated", #"{"rFloat": ["NaN", "Infinity", 1e-7], "rBytes": ["YQ", "YWI", "_-8="]}"#),
        ("shop.orders.v1.Repeated", #"{"rInt32": null, "rString": []}"#),
        ("shop.orders.v1.Maps", #"{"boolToString": {"false": ""}, "sint64ToMoney": {"0": {"currency": "EUR"}}}"#),
        ("shop.orders.v1.Maps", #"{"string_to_string": {"k": ""}, "uint64_to_double": {"1": "NaN"}}"#),
        ("shop.orders.v1.Choice", #"{"card_token": "", "address": "x"}"#),
        ("shop.orders.v1.Presence", #"{"count": null, "label": "x", "status": 2}"#),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "1970-01-01T00:00:00Z", "timeout": "0s", "wString": null, "anything": 1.5,
             "list": [[], {}, "s", false], "mask": "", "nothing": {}}
            """),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "0001-01-01T00:00:00Z", "timeout": "315576000000s", "anything": "text"}
            """),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "9999-12-31T23:59:59.999999999Z", "timeout": "-315576000000.999999999s",
             "anything": {"nested": {"deeper": [1, 2, {"x": null}]}}}
            """),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "2024-06-01T08:30:00.5+02:00", "timeout": "0.000001s", "anything": [true]}
            """),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "1969-12-31T23:59:59.000001Z", "timeout": "-0.25s", "wBytes": "",
             "wDouble": "NaN", "wFloat": "-Infinity", "wUint64": 0, "wBool": true, "mask": "a,bC.dE"}
            """),
        ("shop.orders.v1.WellKnown", """
            {"details": {"@type": "type.googleapis.com/google.protobuf.Timestamp", "value": "2020-01-01T00:00:00Z"},
             "moreDetails": [
               {"@type": "type.googleapis.com/google.protobuf.Struct", "value": {"a": 1}},
               {"@type": "type.googleapis.com/google.protobuf.Value", "value": [1, "x"]},
               {"@type": "type.googleapis.com/google.protobuf.Int32Value", "value": 0},
               {"@type": "type.googleapis.com/google.protobuf.Empty"},
               {"@type": "type.googleapis.com/google.protobuf.FieldMask", "value": "fooBar"},
               {"@type": "type.googleapis.com/shop.orders.v1.Order", "orderId": "o-1",
                "createdAt": "2020-01-01T00:00:00Z", "items": [{"sku": "s", "qty": 2}], "status": "PENDING"},
               {"@type": "type.googleapis.com/google.protobuf.Any",
                "value": {"@type": "type.googleapis.com/shop.common.v1.Money", "cents": "7"}}
             ]}
            """),
    ]

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func agreesWithPythonJSONFormat() async throws {
        let inputs = try Self.messages.map { try JSONParser.parse($0.json) }
        let results = try await ProtoFixtures.python(zip(Self.messages, inputs).map { item, json in
            ["op": "from_json", "type": .string(item.type), "json": json]
        })
        for ((item, input), result) in zip(zip(Self.messages, inputs), results) {
            try #require(result["error"] == nil, "Python rejected \(item.json): \(result.jsonText)")
            let type = try ProtoFixtures.message(item.type)
            let fromPython = try DynamicMessage(binary: try ProtoFixtures.bytes(base64: result["binary"]), type: type)
            // Python's JSON of its message is Swift's JSON of the same message.
            #expect(try fromPython.jsonValue() == result["json"], "\(item.json) \(result.jsonText)")
            // Both read the input JSON to the same message.
            #expect(try DynamicMessage(json: input, type: type) == fromPython, "\(item.json)")
        }
    }

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func pythonParsesSwiftJSON() async throws {
        let results = try await ProtoFixtures.pythonChecks(Self.messages)
        for (item, result) in zip(Self.messages, results) {
            #expect(result["json_equal"] == .bool(true), "\(item.json): \(result.jsonText)")
        }
    }

    /// JSON that Swift rejects, with the problem and path it reports. Python rejects it too,
    /// except where noted in `pythonAccepts`.
    static let rejected: [(type: String, json: String, problem: ProtoJSONError.Problem, path: String)] = [
        ("shop.orders.v1.Scalars", #"{"nope": 1}"#,
         .unknownField(name: "nope", message: "shop.orders.v1.Scalars"), "nope"),
        ("shop.orders.v1.Scalars", #"[]"#,
         .wrongJSONType(expected: "an object for shop.orders.v1.Scalars", found: "array"), ""),
        ("shop.orders.v1.Scalars", #"{"fInt32": 2147483648}"#,
         .invalidValue(expected: "an integer that fits Int32", found: "2147483648"), "fInt32"),
        ("shop.orders.v1.Scalars", #"{"fInt32": 1.5}"#,
         .invalidValue(expected: "an integer that fits Int32", found: "1.5"), "fInt32"),
        ("shop.orders.v1.Scalars", #"{"fUint64": "-1"}"#,
         .invalidValue(expected: "an integer that fits UInt64", found: "\"-1\""), "fUint64"),
        ("shop.orders.v1.Scalars", #"{"fInt64": "1.5"}"#,
         .invalidValue(expected: "an integer that fits Int64", found: "\"1.5\""), "fInt64"),
        ("shop.orders.v1.Scalars", #"{"fBool": "true"}"#,
         .wrongJSONType(expected: "a boolean", found: "string"), "fBool"),
        ("shop.orders.v1.Scalars", #"{"fString": 5}"#, .wrongJSONType(expected: "a string", found: "integer"),
         "fString"),
        ("shop.orders.v1.Scalars", #"{"fBytes": "a*b"}"#, .invalidValue(expected: "base64", found: "\"a*b\""),
         "fBytes"),
        ("shop.orders.v1.Scalars", #"{"fFloat": 1e39}"#,
         .invalidValue(expected: "a float in range", found: "1e39"), "fFloat"),
        ("shop.orders.v1.Scalars", #"{"fDouble": "nan"}"#, .invalidValue(expected: "a number", found: "\"nan\""),
         "fDouble"),
        ("shop.orders.v1.Scalars", #"{"fStatus": "BOGUS"}"#,
         .unknownEnumValue(name: "BOGUS", enumType: "shop.orders.v1.Status"), "fStatus"),
        ("shop.orders.v1.Scalars", #"{"fMoney": {"cents": "x"}}"#,
         .invalidValue(expected: "an integer that fits Int64", found: "\"x\""), "fMoney.cents"),
        ("shop.orders.v1.Scalars", #"{"fInt32": 1, "f_int32": 2}"#, .duplicateField(name: "f_int32"), "f_int32"),
        ("shop.orders.v1.Repeated", #"{"rMoney": [{}, {"bad": 1}]}"#,
         .unknownField(name: "bad", message: "shop.common.v1.Money"), "rMoney[1].bad"),
        ("shop.orders.v1.Repeated", #"{"rInt32": [1, null]}"#,
         .wrongJSONType(expected: "a list element", found: "null"), "rInt32[1]"),
        ("shop.orders.v1.Repeated", #"{"rInt32": 1}"#,
         .wrongJSONType(expected: "an array for r_int32", found: "integer"), "rInt32"),
        ("shop.orders.v1.Maps", #"{"int32ToInt64": {"x": "1"}}"#,
         .invalidValue(expected: "a int32 map key", found: "\"x\""), "int32ToInt64.x"),
        ("shop.orders.v1.Maps", #"{"boolToString": {"True": "1"}}"#,
         .invalidValue(expected: "a bool map key", found: "\"True\""), "boolToString.True"),
        ("shop.orders.v1.Choice", #"{"cardToken": "a", "voucher": 1}"#,
         .duplicateOneof(oneof: "payment", first: "cardToken", second: "voucher"), "voucher"),
        ("shop.orders.v1.WellKnown", #"{"createdAt": "2023-02-29T00:00:00Z"}"#,
         .invalidValue(expected: "an RFC 3339 timestamp", found: "\"2023-02-29T00:00:00Z\""), "createdAt"),
        ("shop.orders.v1.WellKnown", #"{"createdAt": "2024-01-01 00:00:00Z"}"#,
         .invalidValue(expected: "an RFC 3339 timestamp", found: "\"2024-01-01 00:00:00Z\""), "createdAt"),
        ("shop.orders.v1.WellKnown", #"{"createdAt": 0}"#,
         .wrongJSONType(expected: "a google.protobuf.Timestamp string", found: "integer"), "createdAt"),
        ("shop.orders.v1.WellKnown", #"{"timeout": "1.5"}"#,
         .invalidValue(expected: "a duration such as \"1.5s\"", found: "\"1.5\""), "timeout"),
        ("shop.orders.v1.WellKnown", #"{"timeout": "315576000001s"}"#,
         .invalidValue(expected: "a duration such as \"1.5s\"", found: "\"315576000001s\""), "timeout"),
        ("shop.orders.v1.WellKnown", #"{"attributes": [1]}"#, .wrongJSONType(expected: "an object", found: "array"),
         "attributes"),
        ("shop.orders.v1.WellKnown", #"{"details": {"@type": "type.googleapis.com/no.Such"}}"#,
         .unresolvableAnyType(typeURL: "type.googleapis.com/no.Such"), "details.@type"),
        ("shop.orders.v1.WellKnown", #"{"details": {"cents": "1"}}"#,
         .wrongJSONType(expected: "a string", found: "nothing"), "details.@type"),
        ("shop.orders.v1.WellKnown",
         #"{"details": {"@type": "type.googleapis.com/shop.common.v1.Money", "cents": true}}"#,
         .wrongJSONType(expected: "an integer", found: "boolean"), "details.cents"),
    ]

    /// Where Swift is stricter than Python (C++ and Go reject these too): a non-object message,
    /// and one field given under both its names.
    static let pythonAccepts: Set<String> = [#"[]"#, #"{"fInt32": 1, "f_int32": 2}"#]

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func rejectsWhatPythonRejects() async throws {
        let results = try await ProtoFixtures.python(try Self.rejected.map { item in
            ["op": "from_json", "type": .string(item.type), "json": try JSONParser.parse(item.json)]
        })
        for (item, result) in zip(Self.rejected, results) {
            let rejected = result["error"] != nil
            #expect(rejected != Self.pythonAccepts.contains(item.json), "\(item.json): \(result.jsonText)")
        }
    }

    @Test(arguments: rejected.indices)
    func reportsProblemAndPath(index: Int) throws {
        let item = Self.rejected[index]
        let type = try ProtoFixtures.message(item.type)
        let error = #expect(throws: ProtoJSONError.self) { try DynamicMessage(jsonText: item.json, type: type) }
        #expect(error?.problem == item.problem, "\(item.json)")
        #expect(error?.path == item.path, "\(item.json)")
    }

    @Test func readsItsOwnFloats() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.Repeated")
        let floats: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               .leastNormalMagnitude, 0.1, -0.0, .ulpOfOne]
        var message = DynamicMessage(type: type)
        try message.set("r_float", to: .list(floats.map(ProtoValue.float)))
        try message.set("r_double", to: .list([.double(.greatestFiniteMagnitude), .double(.leastNonzeroMagnitude)]))
        #expect(try DynamicMessage(json: message.jsonValue(), type: type) == message)
        #expect(throws: ProtoJSONError.self) { try DynamicMessage(json: ["rFloat": [3.5e38]], type: type) }
    }

    @Test func ignoresUnknownFieldsOnRequest() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.Scalars")
        let options = ProtoJSONOptions(ignoreUnknownFields: true)
        let message = try DynamicMessage(jsonText: #"{"fInt32": 3, "extra": {}, "fStatus": "NEW_IN_V2"}"#,
                                         type: type, options: options)
        #expect(message["f_int32"] == .int32(3))
        #expect(message["f_status"] == .enumNumber(0))
    }

    @Test func writesProtoNamesOnRequest() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.CreateOrderRequest")
        let message = try DynamicMessage(jsonText: #"{"userId": "u", "items": [{"sku": "s"}]}"#, type: type)
        let json = try message.jsonValue(options: ProtoJSONOptions(preserveProtoFieldNames: true))
        #expect(json == ["user_id": "u", "items": [["sku": "s"]]])
    }

    @Test func limitsNesting() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.Tree")
        var json: JSONValue = [:]
        for _ in 0..<101 { json = ["parent": json] }
        let error = #expect(throws: ProtoJSONError.self) { try DynamicMessage(json: json, type: type) }
        #expect(error?.problem == .nestingTooDeep(limit: 100))
        var value: JSONValue = 1
        for _ in 0..<101 { value = [value] }
        let wellKnown = try ProtoFixtures.message("shop.orders.v1.WellKnown")
        let valueError = #expect(throws: ProtoJSONError.self) {
            try DynamicMessage(json: ["anything": value], type: wellKnown)
        }
        #expect(valueError?.problem == .nestingTooDeep(limit: 100))
    }

    @Test func reportsInvalidJSONText() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.Scalars")
        let error = #expect(throws: ProtoJSONError.self) { try DynamicMessage(jsonText: "{\"a\": }", type: type) }
        guard case .invalidJSON(let parserError)? = error?.problem else {
            Issue.record("expected a JSON syntax error, got \(String(describing: error))")
            return
        }
        #expect(parserError.column == 7)
    }

    /// Messages that exist in binary but have no JSON form.
    @Test func refusesToWriteWhatJSONCannotHold() throws {
        let wellKnown = try ProtoFixtures.message("shop.orders.v1.WellKnown")
        let cases: [(json: String, problem: ProtoJSONError.Problem, path: String)] = [
            (#"{"details": {"@type": "type.googleapis.com/shop.common.v1.Money"}}"#,
             .unresolvableAnyType(typeURL: "example.com/shop.common.v1.Nope"), "details"),
            (#"{"createdAt": "2020-01-01T00:00:00Z"}"#,
             .invalidValue(expected: "a google.protobuf.Timestamp in range",
                           found: "seconds 253402300800, nanos 0"), "createdAt"),
            (#"{"anything": 1}"#, .invalidValue(expected: "a finite number_value", found: "inf"), "anything"),
        ]
        for item in cases {
            var message = try DynamicMessage(jsonText: item.json, type: wellKnown)
            let field = try #require(message.setFields.first?.field)
            guard var inner = message[field.name]?.messageValue else {
                Issue.record("no message in \(item.json)")
                continue
            }
            switch field.name {
            case "details": try inner.set("type_url", to: .string("example.com/shop.common.v1.Nope"))
            case "created_at": try inner.set("seconds", to: .int64(253_402_300_800))
            default: try inner.set("number_value", to: .double(.infinity))
            }
            try message.set(field.name, to: .message(inner))
            let error = #expect(throws: ProtoJSONError.self) { try message.jsonValue() }
            #expect(error?.problem == item.problem)
            #expect(error?.path == item.path)
        }
    }
}
