import AccordDocuments
import AccordJSON
import Testing

@Suite struct SourceDocumentTests {
    static let yaml = """
        system: shop
        services:
          orders:
            publishes: [order.created]
            port: 9007199254740993
        """

    @Test func keepsTheLineOfEveryMember() throws {
        let document = try SourceDocument(file: "system.yaml", text: Self.yaml)
        #expect(document.value(at: "/services/orders/publishes/0") == "order.created")
        #expect(document.location("/services/orders").line == 3)
        #expect(document.location("/services/orders/publishes").description == "system.yaml:4:5 #/services/orders/publishes")
        // A pointer with no value of its own takes the line of its closest parent.
        #expect(document.location("/services/orders/missing").line == 3)
        // Numbers keep their exact literal.
        #expect(document.value(at: "/services/orders/port")?.numberValue?.literal == "9007199254740993")
    }

    @Test(arguments: [
        ("a: [1, 2\n", DocumentError.Kind.syntax),
        ("a: 1\na: 2\n", .syntax),
        ("", .syntax),
    ])
    func reportsBrokenFilesWithALocation(text: String, kind: DocumentError.Kind) {
        #expect {
            try SourceDocument(file: "bad.yaml", text: text)
        } throws: { error in
            guard let error = error as? DocumentError else { return false }
            return error.kind == kind && error.location.file == "bad.yaml"
        }
    }
}
