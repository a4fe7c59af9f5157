import AccordJSON
import AccordProto
import Foundation
import Testing

/// The binary codec against Python's protobuf runtime, in both directions.
@Suite struct DynamicMessageBinaryTests {
    /// Messages given in proto3 JSON; Python turns each into its canonical (deterministic) bytes.
    static let messages: [(type: String, json: String)] = [
        ("shop.orders.v1.Scalars", "{}"),
        ("shop.orders.v1.Scalars", """
            {"fDouble": 1.5, "fFloat": -2.25, "fInt32": -7, "fInt64": "-9000000000", "fUint32": 4000000000,
             "fUint64": "18446744073709551615", "fSint32": -300, "fSint64": "-4611686018427387904",
             "fFixed32": 4294967295, "fFixed64": "1", "fSfixed32": -2147483648,
             "fSfixed64": "-9223372036854775808", "fBool": true, "fString": "héllo ✓ 𝄞",
             "fBytes": "AAEC/w==", "fStatus": "SHIPPED", "fMoney": {"currency": "EUR", "cents": "1999"}}
            """),
        ("shop.orders.v1.Scalars", #"{"fInt32": 2147483647, "fStatus": "CANCELLED", "fDouble": -0.0}"#),
        ("shop.orders.v1.Scalars", #"{"fDouble": "NaN", "fFloat": "-Infinity", "fStatus": 42}"#),
        ("shop.orders.v1.Scalars", #"{"fMoney": {}}"#),
        ("shop.orders.v1.Repeated", """
            {"rDouble": [1, -1.5, 0], "rFloat": [0.5, 3], "rInt32": [0, -1, 2147483647], "rInt64": ["-1", "2"],
             "rUint32": [1, 4294967295], "rUint64": ["18446744073709551615"], "rSint32": [-1, 1, -2147483648],
             "rSint64": ["-1", "9223372036854775807"], "rFixed32": [7], "rFixed64": ["8"], "rSfixed32": [-9],
             "rSfixed64": ["-10"], "rBool": [true, false, true], "rString": ["a", "", "ü"],
             "rBytes": ["", "AP8="], "rStatus": ["PENDING", "STATUS_UNSPECIFIED", 77],
             "rMoney": [{"cents": "1"}, {}], "rUnpacked": [1, -2, 300]}
            """),
        ("shop.orders.v1.Maps", """
            {"stringToString": {"b": "2", "a": "1", "": "empty", "é": "x"}, "int32ToInt64": {"-1": "5", "3": "0"},
             "int64ToBool": {"9000000000": true, "-2": false}, "uint32ToBytes": {"7": "AQI="},
             "uint64ToDouble": {"18446744073709551615": 0.25}, "sint32ToStatus": {"-3": "SHIPPED", "4": 0},
             "sint64ToMoney": {"-5": {"cents": "3"}, "6": {}}, "fixed32ToFloat": {"1": 1.5},
             "fixed64ToString": {"2": "two"}, "sfixed32ToUint32": {"-4": 4}, "sfixed64ToUint64": {"-6": "6"},
             "boolToString": {"true": "yes", "false": "no"}}
            """),
        ("shop.orders.v1.Choice", #"{"cardToken": "tok", "pickup": false, "note": "n"}"#),
        ("shop.orders.v1.Choice", #"{"credit": {"cents": "100"}, "address": ""}"#),
        ("shop.orders.v1.Choice", #"{"voucher": 0}"#),
        ("shop.orders.v1.Presence", #"{"count": 0, "label": "", "status": "STATUS_UNSPECIFIED", "flag": false}"#),
        ("shop.orders.v1.Presence", #"{"plain": 0}"#),
        ("shop.orders.v1.Tree", """
            {"name": "root", "children": [{"name": "a", "children": [{"name": "a1"}]}, {"name": "b"}],
             "parent": {"name": "up", "parent": {}}}
            """),
        ("shop.orders.v1.WellKnown", """
            {"createdAt": "2024-02-29T12:34:56.789Z", "timeout": "-1.5s", "wDouble": 0, "wFloat": 1.5,
             "wInt64": "-1", "wUint64": "1", "wInt32": 0, "wUint32": 3, "wBool": false, "wString": "",
             "wBytes": "YQ==", "attributes": {"a": [1, "x", null, true, {"b": {}}]}, "anything": null,
             "list": [], "nothing": {}, "mask": "userId,items.sku",
             "details": {"@type": "type.googleapis.com/shop.common.v1.Money", "currency": "USD", "cents": "5"},
             "moreDetails": [{"@type": "type.googleapis.com/google.protobuf.Duration", "value": "3s"}, {}]}
            """),
    ]

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func reencodesPythonBytesByteForByte() async throws {
        let results = try await ProtoFixtures.python(try Self.messages.map { item in
            ["op": "from_json", "type": .string(item.type), "json": try JSONParser.parse(item.json)]
        })
        for (item, result) in zip(Self.messages, results) {
            let expected = try ProtoFixtures.bytes(base64: result["binary"])
            let type = try ProtoFixtures.message(item.type)
            let message = try DynamicMessage(binary: expected, type: type)
            let bytes = message.serializedBytes()
            if type.fields.contains(where: \.isMap) {
                // Map order is not canonical: upb's deterministic order (longer string keys before
                // their prefixes, true before false) differs from C++'s and ours (plain ascending).
                #expect(bytes.count == expected.count, "\(item.json)")
                #expect(try DynamicMessage(binary: bytes, type: type) == message, "\(item.json)")
            } else {
                #expect(bytes == expected, "\(item.type) \(item.json)")
            }
        }
    }

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func pythonDecodesSwiftBytes() async throws {
        let results = try await ProtoFixtures.pythonChecks(Self.messages)
        for (item, result) in zip(Self.messages, results) {
            #expect(result["error"] == nil, "\(item.json): \(result["error"]?.jsonText ?? "")")
            #expect(result["binary_equal"] == .bool(true), "\(item.type) \(item.json): \(result.jsonText)")
        }
    }

    /// Encodings that are valid but not canonical, given as hex: the Swift codec must read them
    /// to the same message Python reads, shown by both re-encoding to the same bytes.
    static let nonCanonical: [(type: String, hex: String, what: String)] = [
        ("shop.orders.v1.Repeated", "18011802187f", "packed field sent unpacked"),
        ("shop.orders.v1.Repeated", "1a0201021803", "packed and unpacked runs of one field"),
        ("shop.orders.v1.Repeated", "920103010203", "unpacked field sent packed"),
        ("shop.orders.v1.Repeated", "150000803f", "packed float sent as one unpacked value"),
        ("shop.orders.v1.Scalars", "180518076801", "singular field twice: the last wins"),
        ("shop.orders.v1.Scalars", "68011805", "fields out of number order"),
        ("shop.orders.v1.Scalars", "8a010208018a01021005", "message field twice: merged"),
        ("shop.orders.v1.Scalars", "800163", "enum value the schema does not declare"),
        ("shop.orders.v1.Scalars", "18ffffffffffffffffff01", "negative int32 as ten bytes"),
        ("shop.orders.v1.Scalars", "1880808080f7ffffffff01", "int32 varint with high bits set, truncated"),
        ("shop.orders.v1.Scalars", "6802", "bool encoded as 2"),
        ("shop.orders.v1.Scalars", "1800", "zero written for a field without presence"),
        ("shop.orders.v1.Choice", "0a01611805", "two members of one oneof: the last wins"),
        ("shop.orders.v1.Maps", "0a060a01611201310a060a0161120132", "duplicate map key: the last wins"),
        ("shop.orders.v1.Maps", "0a0312016e", "map entry without its key"),
        ("shop.orders.v1.Maps", "3a02087f", "map entry without its message value"),
        ("shop.orders.v1.Maps", "0a0612016e0a0178", "map entry with value before key"),
        ("shop.orders.v1.ScalarsPrefix", "150000c03f1805208080808080014a04ffffffff8a010210016801",
         "unknown fields kept"),
        ("shop.orders.v1.ScalarsPrefix", "f8ffffff0f01", "unknown field with the largest field number"),
        ("shop.orders.v1.Presence", "280008001200", "optional fields set to zero keep their presence"),
    ]

    @Test(.enabled(if: try ProtoFixtures.pythonAvailable()))
    func readsNonCanonicalEncodingsLikePython() async throws {
        let inputs = try Self.nonCanonical.map { try Self.bytes(hex: $0.hex) }
        let results = try await ProtoFixtures.python(zip(Self.nonCanonical, inputs).map { item, bytes in
            ["op": "normalize", "type": .string(item.type), "binary": .string(ProtoFixtures.base64(bytes))]
        })
        for ((item, input), result) in zip(zip(Self.nonCanonical, inputs), results) {
            #expect(result["error"] == nil, "Python rejected \(item.what): \(result.jsonText)")
            let canonical = try ProtoFixtures.bytes(base64: result["binary"])
            let message = try DynamicMessage(binary: input, type: try ProtoFixtures.message(item.type))
            #expect(message.serializedBytes() == canonical, "\(item.what)")
        }
    }

    @Test func keepsUnknownFieldsAfterTheKnownOnes() throws {
        let full = try ProtoFixtures.message("shop.orders.v1.Scalars")
        let prefix = try ProtoFixtures.message("shop.orders.v1.ScalarsPrefix")
        var original = DynamicMessage(type: full)
        try original.set("f_double", to: .double(2))
        try original.set("f_string", to: .string("kept"))
        try original.set("f_money", to: .message(try DynamicMessage(json: ["cents": "5"],
                                                                  type: try #require(full.field(named: "f_money")?
                                                                      .messageType))))
        let bytes = original.serializedBytes()
        var partial = try DynamicMessage(binary: bytes, type: prefix)
        #expect(partial["f_double"] == .double(2))
        #expect(!partial.unknownFields.isEmpty)
        let unknown = try ["f_string", "f_money"].map { try #require(full.field(named: $0)?.number) }
        #expect(partial.unknownFieldPaths.map(\.number) == unknown)
        #expect(partial.unknownFieldPaths.map(\.path) == ["", ""])
        try partial.set("f_float", to: .float(1))
        let back = try DynamicMessage(binary: partial.serializedBytes(), type: full)
        #expect(back["f_string"] == .string("kept"))
        #expect(back["f_float"] == .float(1))
        #expect(back["f_money"]?.messageValue?["cents"] == .int64(5))
    }

    @Test func mergesConcatenatedEncodings() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.Repeated")
        let a = try DynamicMessage(json: ["rInt32": [1, 2], "rString": ["x"]], type: type)
        let b = try DynamicMessage(json: ["rInt32": [3], "rString": ["y"]], type: type)
        let merged = try DynamicMessage(binary: a.serializedBytes() + b.serializedBytes(), type: type)
        #expect(merged["r_int32"] == .list([.int32(1), .int32(2), .int32(3)]))
        #expect(merged["r_string"] == .list([.string("x"), .string("y")]))
    }

    @Test func acceptsAnyByteCollection() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.OrderItem")
        let bytes: [UInt8] = [0x0A, 0x02, 0x73, 0x31, 0x10, 0x02]
        let fromSlice = try DynamicMessage(binary: ([0xFF] + bytes)[1...], type: type)
        let fromData = try DynamicMessage(binary: Data(bytes), type: type)
        let fromLazy = try DynamicMessage(binary: bytes.lazy.map { $0 }, type: type)
        #expect(fromSlice["sku"] == .string("s1"))
        #expect(fromData == fromSlice)
        #expect(fromLazy == fromSlice)
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        return try stride(from: 0, to: digits.count, by: 2).map { i in
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else {
                throw FixtureError(description: "bad hex \(hex)")
            }
            return byte
        }
    }
}
