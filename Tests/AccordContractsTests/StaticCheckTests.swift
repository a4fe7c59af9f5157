import AccordContracts
import AccordReport
import AccordTestSupport
import Foundation
import Testing

/// Each kind of static mismatch, found with its field path and both declarations' file:line.
@Suite struct StaticCheckTests {
    struct Expected: CustomStringConvertible, Sendable {
        let kind: FindingKind
        let service: String
        let interaction: String
        let path: String
        /// (file, text on the line) of the producer's and the consumer's declarations.
        let producerAt: (file: String, text: String)
        let consumerAt: (file: String, text: String)
        let suggestion: String?

        var description: String { "\(kind.rawValue) (\(service))" }
    }

    static let kinds: [Expected] = [
        Expected(kind: .missingField, service: "ui", interaction: "catalog.GetItem", path: "displayName",
                 producerAt: ("catalog.proto", "string display_name = 2"),
                 consumerAt: ("system.yaml", "displayName: string"),
                 suggestion: "display_name (JSON \"title\")"),
        Expected(kind: .missingField, service: "mailer", interaction: "event price.changed", path: "itemSku",
                 producerAt: ("price-changed.json", "\"item_sku\""), consumerAt: ("system.yaml", "itemSku: string"),
                 suggestion: "read item_sku"),
        Expected(kind: .typeMismatch, service: "billing", interaction: "catalog.GetItem", path: "price_cents",
                 producerAt: ("catalog.proto", "int64 price_cents = 3;"),
                 consumerAt: ("system.yaml", "price_cents: int32"),
                 suggestion: "read price_cents as int64"),
        Expected(kind: .repeatedMismatch, service: "search", interaction: "catalog.GetItem", path: "tags",
                 producerAt: ("catalog.proto", "repeated string tags"), consumerAt: ("system.yaml", "tags: string"),
                 suggestion: "as a list"),
        Expected(kind: .unknownEnumValue, service: "shipping", interaction: "catalog.GetItem",
                 path: "replacement.state", producerAt: ("catalog.proto", "STATE_RETIRED = 2"),
                 consumerAt: ("system.yaml", "replacement.state:"), suggestion: "handle STATE_RETIRED"),
        Expected(kind: .missingRequiredRequestField, service: "importer", interaction: "catalog.PutItem", path: "sku",
                 producerAt: ("catalog.proto", "string sku = 1;\n  string display_name = 2;"),
                 consumerAt: ("system.yaml", "sends: { display_name"), suggestion: "send sku"),
        Expected(kind: .missingRequiredRequestField, service: "web", interaction: "store POST /carts",
                 path: "customer_id", producerAt: ("store.yaml", "customer_id: { type"),
                 consumerAt: ("system.yaml", "customerId: string"), suggestion: "the consumer sends customerId"),
        Expected(kind: .protoCopyConflict, service: "warehouse", interaction: "event item.added", path: "price_cents",
                 producerAt: ("catalog.proto", "int64 price_cents = 3;\n  reserved"),
                 consumerAt: ("copies/warehouse/catalog.proto", "int32 price_cents = 3"),
                 suggestion: "int64 price_cents"),
        Expected(kind: .protoCopyRenumbered, service: "warehouse", interaction: "event item.added", path: "name",
                 producerAt: ("catalog.proto", "string name = 2"),
                 consumerAt: ("copies/warehouse/catalog.proto", "name = 7"),
                 suggestion: "number name 2"),
        Expected(kind: .protoCopyReservedReused, service: "warehouse", interaction: "event item.added",
                 path: "legacy_bin", producerAt: ("catalog.proto", "reserved 9;"),
                 consumerAt: ("copies/warehouse/catalog.proto", "legacy_bin = 9"), suggestion: "reserve 9"),
    ]

    static let kindsFindings = Result { try StaticCheck(system: ContractFixtures.load("kinds")).findings() }

    @Test(arguments: kinds)
    func reportsTheKindWithPathAndBothLocations(_ expected: Expected) throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let findings = try Self.kindsFindings.get().filter { $0.consumer == expected.service }
        // Each consumer of the fixture drifts in one way (warehouse's copy in three).
        let finding = try #require(findings.first { $0.kind == expected.kind.rawValue }, "\(findings)")
        #expect(finding.system == "kinds")
        #expect(finding.interaction == expected.interaction)
        #expect(finding.fieldPath == expected.path)
        #expect(finding.producerLocation
            == (try Self.located(expected.producerAt.text, in: expected.producerAt.file)))
        #expect(finding.consumerLocation
            == (try Self.located(expected.consumerAt.text, in: expected.consumerAt.file)))
        if let suggestion = expected.suggestion {
            #expect(finding.suggestion?.contains(suggestion) == true, "\(finding.suggestion ?? "none")")
        }
        #expect(!finding.producerSays.isEmpty && !finding.consumerExpects.isEmpty)
        let sameKind = findings.filter { $0.kind == expected.kind.rawValue }
        #expect(sameKind.count == 1, "\(sameKind)")
    }

    /// A multi-line marker's first line is where the declaration is.
    static func located(_ text: String, in file: String) throws -> String {
        let url = ContractFixtures.url("kinds").appendingPathComponent(file)
        let content = try String(contentsOf: url, encoding: .utf8)
        let range = try #require(content.range(of: text), "\(text) not in \(file)")
        let line = content[..<range.lowerBound].filter { $0 == "\n" }.count + 1
        return "kinds/\(file):\(line)"
    }

    @Test func everyKindIsCoveredAndNothingElseIsReported() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let findings = try Self.kindsFindings.get()
        #expect(Set(findings.map(\.kind)) == Set(FindingKind.allCases.map(\.rawValue)))
        #expect(findings.count == Self.kinds.count, "\(findings.map(\.kind))")
    }

    @Test func theShippedShopHasNoFindings() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let system = try ContractFixtures.shipped("shop")
        #expect(StaticCheck(system: system).findings() == [])
        #expect(system.consumerEdges.count == 6)
    }

    @Test func theShippedDriftedShopHasEveryKind() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let findings = StaticCheck(system: try ContractFixtures.shipped("shop-drifted")).findings()
        #expect(Set(findings.map(\.kind)) == Set(FindingKind.allCases.map(\.rawValue)))
        for finding in findings {
            #expect(finding.producerLocation?.hasPrefix("contracts/shop-drifted/") == true, "\(finding)")
            #expect(finding.consumerLocation?.hasPrefix("contracts/shop-drifted/") == true, "\(finding)")
            #expect(finding.suggestion != nil)
        }
    }
}
