import AccordProto
import Testing

/// Malformed binary input fails with a typed error that says what, in which field and where.
@Suite struct ProtoDecodingErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let what: String
        let type: String
        let hex: String
        let problem: ProtoDecodingError.Problem
        let messageType: String
        let fieldPath: String
        let offset: Int
        var testDescription: String { what }
    }

    static let scalars = "shop.orders.v1.Scalars"
    static let money = "shop.common.v1.Money"

    static let cases: [Case] = [
        Case(what: "input ends inside a value varint", type: scalars, hex: "18",
             problem: .truncatedVarint, messageType: scalars, fieldPath: "f_int32", offset: 1),
        Case(what: "input ends inside a tag", type: scalars, hex: "1801" + "80",
             problem: .truncatedVarint, messageType: scalars, fieldPath: "", offset: 2),
        Case(what: "varint of eleven bytes", type: scalars, hex: "18" + String(repeating: "ff", count: 10) + "01",
             problem: .varintTooLong, messageType: scalars, fieldPath: "f_int32", offset: 1),
        Case(what: "tag varint of eleven bytes", type: scalars, hex: String(repeating: "80", count: 10) + "01",
             problem: .varintTooLong, messageType: scalars, fieldPath: "", offset: 0),
        Case(what: "int32 field sent as fixed32", type: scalars, hex: "1d00000000",
             problem: .wrongWireType(expected: 0, found: 5), messageType: scalars, fieldPath: "f_int32", offset: 0),
        Case(what: "string field sent as varint", type: scalars, hex: "1801" + "7001",
             problem: .wrongWireType(expected: 2, found: 0), messageType: scalars, fieldPath: "f_string", offset: 2),
        Case(what: "message field sent as fixed64", type: scalars, hex: "89010000000000000000",
             problem: .wrongWireType(expected: 2, found: 1), messageType: scalars, fieldPath: "f_money", offset: 0),
        Case(what: "length past the end", type: scalars, hex: "720568",
             problem: .lengthPastEnd(length: 5, available: 1), messageType: scalars, fieldPath: "f_string",
             offset: 1),
        Case(what: "huge length", type: scalars, hex: "7a" + "ffffffffffffffff7f",
             problem: .lengthPastEnd(length: UInt64(Int64.max), available: 0), messageType: scalars,
             fieldPath: "f_bytes", offset: 1),
        Case(what: "unknown field's length past the end", type: scalars, hex: "fa0103abcd",
             problem: .lengthPastEnd(length: 3, available: 2), messageType: scalars, fieldPath: "", offset: 2),
        Case(what: "fixed64 cut short", type: scalars, hex: "09000000",
             problem: .truncatedFixed(width: 8), messageType: scalars, fieldPath: "f_double", offset: 1),
        Case(what: "fixed32 cut short", type: scalars, hex: "1500",
             problem: .truncatedFixed(width: 4), messageType: scalars, fieldPath: "f_float", offset: 1),
        Case(what: "start group on a known field", type: scalars, hex: "1b",
             problem: .groupWireType, messageType: scalars, fieldPath: "f_int32", offset: 0),
        Case(what: "start group on an unknown field", type: scalars, hex: "fb01",
             problem: .groupWireType, messageType: scalars, fieldPath: "", offset: 0),
        Case(what: "end group", type: scalars, hex: "1c",
             problem: .groupWireType, messageType: scalars, fieldPath: "f_int32", offset: 0),
        Case(what: "wire type 6", type: scalars, hex: "1e",
             problem: .invalidWireType(6), messageType: scalars, fieldPath: "f_int32", offset: 0),
        Case(what: "wire type 7 on an unknown field", type: scalars, hex: "ff01",
             problem: .invalidWireType(7), messageType: scalars, fieldPath: "", offset: 0),
        Case(what: "field number 0", type: scalars, hex: "0001",
             problem: .invalidFieldNumber(0), messageType: scalars, fieldPath: "", offset: 0),
        Case(what: "field number above 2^29-1", type: scalars, hex: "8080808080" + "02" + "01",
             problem: .invalidFieldNumber(1 << 33), messageType: scalars, fieldPath: "", offset: 0),
        Case(what: "string that is not UTF-8", type: scalars, hex: "7202c328",
             problem: .invalidUTF8, messageType: scalars, fieldPath: "f_string", offset: 2),
        Case(what: "truncated varint inside a nested message", type: scalars, hex: "8a01020880",
             problem: .truncatedVarint, messageType: money, fieldPath: "f_money.currency", offset: 4),
        Case(what: "nested length past its parent's end", type: "shop.orders.v1.Tree", hex: "1a020a0a",
             problem: .lengthPastEnd(length: 10, available: 0), messageType: "shop.orders.v1.Tree",
             fieldPath: "parent.name", offset: 3),
        Case(what: "second element of a repeated message", type: "shop.orders.v1.Repeated", hex: "8a01008a01020880",
             problem: .truncatedVarint, messageType: money, fieldPath: "r_money[1].currency", offset: 7),
        Case(what: "packed varints cut short", type: "shop.orders.v1.Repeated", hex: "1a020180",
             problem: .truncatedVarint, messageType: "shop.orders.v1.Repeated", fieldPath: "r_int32[1]", offset: 3),
        Case(what: "packed fixed32 of three bytes", type: "shop.orders.v1.Repeated", hex: "4a03000000",
             problem: .invalidPackedLength(length: 3, elementWidth: 4), messageType: "shop.orders.v1.Repeated",
             fieldPath: "r_fixed32[0]", offset: 2),
        Case(what: "map key past the entry's end", type: "shop.orders.v1.Maps", hex: "0a030a0561",
             problem: .lengthPastEnd(length: 5, available: 1),
             messageType: "shop.orders.v1.Maps.StringToStringEntry", fieldPath: "string_to_string.key", offset: 3),
    ]

    @Test(arguments: cases)
    func reportsWhatAndWhere(_ item: Case) throws {
        let type = try ProtoFixtures.message(item.type)
        let bytes = try DynamicMessageBinaryTests.bytes(hex: item.hex)
        let error = #expect(throws: ProtoDecodingError.self) { try DynamicMessage(binary: bytes, type: type) }
        #expect(error?.problem == item.problem)
        #expect(error?.messageType == item.messageType)
        #expect(error?.fieldPath == item.fieldPath)
        #expect(error?.offset == item.offset)
    }

    @Test func limitsNestingDepth() throws {
        let tree = try ProtoFixtures.message("shop.orders.v1.Tree")
        func nested(_ depth: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for _ in 0..<depth {
                // field 3 (parent), length-delimited, around what is inside
                var length = bytes.count
                var prefix: [UInt8] = [0x1A]
                while length >= 0x80 {
                    prefix.append(UInt8(length & 0x7F) | 0x80)
                    length >>= 7
                }
                prefix.append(UInt8(length))
                bytes = prefix + bytes
            }
            return bytes
        }
        let deepest = try DynamicMessage(binary: nested(100), type: tree)
        #expect(deepest["parent"] != nil)
        let error = #expect(throws: ProtoDecodingError.self) { try DynamicMessage(binary: nested(101), type: tree) }
        #expect(error?.problem == .nestingTooDeep(limit: 100))
        #expect(error?.fieldPath == Array(repeating: "parent", count: 101).joined(separator: "."))
        let shallow = #expect(throws: ProtoDecodingError.self) {
            try DynamicMessage(binary: nested(11), type: tree, maxDepth: 10)
        }
        #expect(shallow?.problem == .nestingTooDeep(limit: 10))
    }

    /// Every prefix and many corruptions of a rich valid message either decode to a stable message
    /// or fail with a `ProtoDecodingError`; none traps. (A fixed seed keeps the run reproducible.)
    @Test func survivesTruncationAndCorruption() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.WellKnown")
        let message = try DynamicMessage(jsonText: """
            {"createdAt": "2024-02-29T12:34:56.789Z", "attributes": {"a": [1, "x", null, {"b": {}}]},
             "details": {"@type": "type.googleapis.com/shop.common.v1.Money", "cents": "5"}, "mask": "a,b"}
            """, type: type)
        let valid = message.serializedBytes()
        var rejected = 0
        func attempt(_ bytes: [UInt8]) {
            do {
                // What decodes must be stable: its canonical encoding decodes to the same message.
                let decoded = try DynamicMessage(binary: bytes, type: type)
                #expect(try DynamicMessage(binary: decoded.serializedBytes(), type: type) == decoded)
            } catch {
                rejected += 1
            }
        }
        for end in 0...valid.count { attempt(Array(valid[..<end])) }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0...(next() % 3) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            attempt(bytes)
        }
        #expect(rejected > valid.count / 2)
    }
}
