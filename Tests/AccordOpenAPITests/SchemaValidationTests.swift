import AccordJSON
import AccordOpenAPI
import AccordTestSupport
import Foundation
import Testing

@Suite struct SchemaValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let schema: String
        let instance: String
        /// The keyword that must fail, nil when the instance is valid.
        let keyword: String?
        var pointer = ""
        var testDescription: String { "\(file) \(schema) \(instance) -> \(keyword ?? "valid")" }
    }

    static let v30 = "keywords-3.0.yaml"
    static let v31 = "keywords-3.1.yaml"

    static let cases: [Case] = [
        Case(file: v30, schema: "Str", instance: #""a""#, keyword: nil),
        Case(file: v30, schema: "Str", instance: "1", keyword: "type"),
        Case(file: v30, schema: "Str", instance: "null", keyword: "type"),
        // nullable: 3.0 allows null, 3.1 ignores the keyword; 3.1 says it with a type list.
        Case(file: v30, schema: "NullableStr", instance: "null", keyword: nil),
        Case(file: v30, schema: "NullableStr", instance: "1", keyword: "type"),
        Case(file: v31, schema: "NullableStr", instance: "null", keyword: "type"),
        Case(file: v31, schema: "StrOrNull", instance: "null", keyword: nil),
        Case(file: v31, schema: "StrOrNull", instance: #""x""#, keyword: nil),
        Case(file: v31, schema: "StrOrNull", instance: "true", keyword: "type"),
        Case(file: v30, schema: "Obj", instance: #"{"a": 1}"#, keyword: nil),
        Case(file: v30, schema: "Obj", instance: #"{"a": 1.0}"#, keyword: nil),
        Case(file: v30, schema: "Obj", instance: #"{"a": 1.5}"#, keyword: "type", pointer: "/a"),
        Case(file: v30, schema: "Obj", instance: "{}", keyword: "required", pointer: "/a"),
        Case(file: v30, schema: "Obj", instance: #"{"a": 1, "b": 2}"#, keyword: "additionalProperties", pointer: "/b"),
        Case(file: v30, schema: "Obj", instance: "[]", keyword: "type"),
        Case(file: v30, schema: "Map", instance: #"{"x": 1, "y": 2}"#, keyword: nil),
        Case(file: v30, schema: "Map", instance: #"{"x": "1"}"#, keyword: "type", pointer: "/x"),
        Case(file: v30, schema: "List", instance: #"["a"]"#, keyword: nil),
        Case(file: v30, schema: "List", instance: "[]", keyword: "minItems"),
        Case(file: v30, schema: "List", instance: #"["a", "b", "c"]"#, keyword: "maxItems"),
        Case(file: v30, schema: "List", instance: #"["a", 2]"#, keyword: "type", pointer: "/1"),
        Case(file: v30, schema: "Color", instance: #""red""#, keyword: nil),
        Case(file: v30, schema: "Color", instance: #""blue""#, keyword: "enum"),
        Case(file: v31, schema: "Answer", instance: "42", keyword: nil),
        Case(file: v31, schema: "Answer", instance: "42.0", keyword: nil),
        Case(file: v31, schema: "Answer", instance: "41", keyword: "const"),
        Case(file: v30, schema: "Int32", instance: "2147483647", keyword: nil),
        Case(file: v30, schema: "Int32", instance: "2147483648", keyword: "format"),
        Case(file: v30, schema: "Int64", instance: "9223372036854775807", keyword: nil),
        Case(file: v30, schema: "Int64", instance: "9223372036854775808", keyword: "format"),
        Case(file: v30, schema: "When", instance: #""2024-02-29T13:05:00.25+02:00""#, keyword: nil),
        Case(file: v30, schema: "When", instance: #""2023-02-29T13:05:00Z""#, keyword: "format"),
        Case(file: v30, schema: "When", instance: #""2024-01-01 10:00""#, keyword: "format"),
        Case(file: v30, schema: "Id", instance: #""123e4567-e89b-12d3-a456-426614174000""#, keyword: nil),
        Case(file: v30, schema: "Id", instance: #""123e4567e89b12d3a456426614174000""#, keyword: "format"),
        Case(file: v30, schema: "Mail", instance: #""ada@example.com""#, keyword: nil),
        Case(file: v30, schema: "Mail", instance: #""ada.example.com""#, keyword: "format"),
        Case(file: v30, schema: "Range", instance: "1", keyword: nil),
        Case(file: v30, schema: "Range", instance: "10", keyword: nil),
        Case(file: v30, schema: "Range", instance: "0.5", keyword: "minimum"),
        Case(file: v30, schema: "Range", instance: "10.5", keyword: "maximum"),
        Case(file: v30, schema: "ExclusiveRange", instance: "1.5", keyword: nil),
        Case(file: v30, schema: "ExclusiveRange", instance: "1", keyword: "exclusiveMinimum"),
        Case(file: v30, schema: "ExclusiveRange", instance: "10", keyword: "exclusiveMaximum"),
        Case(file: v31, schema: "ExclusiveRange", instance: "9.99", keyword: nil),
        Case(file: v31, schema: "ExclusiveRange", instance: "1", keyword: "exclusiveMinimum"),
        Case(file: v31, schema: "ExclusiveRange", instance: "10", keyword: "exclusiveMaximum"),
        Case(file: v30, schema: "Name", instance: #""abcd""#, keyword: nil),
        Case(file: v30, schema: "Name", instance: #""a""#, keyword: "minLength"),
        Case(file: v30, schema: "Name", instance: #""abcde""#, keyword: "maxLength"),
        Case(file: v30, schema: "Name", instance: #""ab1""#, keyword: "pattern"),
        Case(file: v30, schema: "OneOf", instance: #""x""#, keyword: nil),
        Case(file: v30, schema: "OneOf", instance: "7", keyword: nil),
        Case(file: v30, schema: "OneOf", instance: "150", keyword: "oneOf"),
        Case(file: v30, schema: "OneOf", instance: "true", keyword: "oneOf"),
        Case(file: v30, schema: "AnyOf", instance: "false", keyword: nil),
        Case(file: v30, schema: "AnyOf", instance: "1", keyword: "anyOf"),
        Case(file: v30, schema: "AllOf", instance: #"{"name": "n", "id": 1}"#, keyword: nil),
        Case(file: v30, schema: "AllOf", instance: #"{"id": 1}"#, keyword: "required", pointer: "/name"),
        Case(file: v30, schema: "AllOf", instance: #"{"name": "n", "id": "1"}"#, keyword: "type", pointer: "/id"),
        // $ref cycles: a recursive list, and references that loop without consuming the value.
        Case(file: v30, schema: "Node", instance: #"{"value": 1, "next": {"value": 2, "next": {"value": 3}}}"#,
             keyword: nil),
        Case(file: v30, schema: "Node", instance: #"{"value": 1, "next": {"value": 2, "next": {}}}"#,
             keyword: "required", pointer: "/next/next/value"),
        Case(file: v30, schema: "LoopA", instance: "3", keyword: nil),
        Case(file: v30, schema: "LoopA", instance: #""3""#, keyword: "type"),
        // $ref siblings: ignored in 3.0, applied in 3.1.
        Case(file: v30, schema: "RefWithSiblings", instance: #""abc""#, keyword: nil),
        Case(file: v31, schema: "RefWithSiblings", instance: #""abc""#, keyword: "maxLength"),
        Case(file: v31, schema: "RefWithSiblings", instance: "1", keyword: "type"),
    ]

    @Test(arguments: cases)
    func keyword(_ c: Case) throws {
        let contract = try FixtureContracts.load(c.file)
        let schema = try #require(contract.componentSchemas[c.schema])
        let violations = contract.schemas.validate(try JSONParser.parse(c.instance), against: schema)
        guard let keyword = c.keyword else {
            #expect(violations.isEmpty, "\(violations)")
            return
        }
        let match = violations.first { $0.keyword == keyword }
        #expect(match?.instancePointer == c.pointer, "\(violations)")
        #expect(match?.schema.file == c.file)
    }

    @Test func violationNamesTheKeywordsFileLineAndPointer() throws {
        let contract = try FixtureContracts.load(Self.v30)
        let schema = try #require(contract.componentSchemas["Name"])
        let violation = try #require(contract.schemas.validate("a", against: schema).first)
        #expect(violation.keyword == "minLength")
        #expect(violation.schema.pointer == "/components/schemas/Name/minLength")
        #expect(violation.schema.line == 60)
        #expect("\(violation)".contains("keywords-3.0.yaml:60"))
    }

    @Test(arguments: [
        ("type: [string, \"null\"]", "3.0", "type"),
        ("exclusiveMinimum: 3", "3.0", "exclusiveMinimum"),
        ("exclusiveMinimum: true", "3.1", "exclusiveMinimum"),
        ("minLength: -1", "3.1", "minLength"),
        ("pattern: \"([a-z\"", "3.1", "pattern"),
        ("type: strin", "3.1", "type"),
    ])
    func rejectsSchemasItCannotUse(keywordLine: String, version: String, keyword: String) throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("api.yaml")
        try """
            openapi: \(version).0
            info: {title: t, version: "1"}
            paths: {}
            components:
              schemas:
                Bad:
                  \(keywordLine)
            """.write(to: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try OpenAPIContract.load(file: file)
        } throws: { error in
            guard let error = error as? OpenAPILoadError else { return false }
            // OpenAPIKit rejects some of these first, at the schema; Accord's compiler at the keyword.
            return error.location.file == "api.yaml"
                && error.location.pointer.hasPrefix("/components/schemas/Bad")
                && (error.location.line == 6 || error.location.line == 7)
                && "\(error)".contains(keyword)
        }
    }
}
