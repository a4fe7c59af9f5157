@testable import AccordCheck
import AccordContracts
import AccordJSON
import Foundation
import Testing

/// A consumer's reads against payloads as they come off the wire.
@Suite struct WireReadCheckTests {
    static let system: ContractSystem = {
        let folder = Bundle.module.url(forResource: "Fixtures/reads", withExtension: nil)!
        return try! ContractLoader().load(folder: folder, displayFolder: "reads")
    }()

    static func findings(_ payload: JSONValue) throws -> [(kind: String, path: String?)] {
        let edge = try #require(system.consumerEdges.first)
        return try check(edge).findings(reads: try #require(edge.reads), payload: payload).map { ($0.kind, $0.fieldPath) }
    }

    /// The check as the dynamic check makes it, with the producer's declared response schema.
    static func check(_ edge: ConsumerEdge) throws -> WireReadCheck {
        let contract = try #require(system.service(named: "catalog")?.rest?.contract)
        let operation = try #require(contract.operations.first)
        let schema = try #require(operation.response(for: 200)?.content.schema(for: "application/json"))
        return WireReadCheck(system: system, edge: edge, producer: "catalog", seen: "the response",
                             producerLocation: nil,
                             declared: .jsonObject(schema, in: contract.schemas, name: "GET /items/{id}"))
    }

    static let good: [String: JSONValue] = [
        "item_id": "i-1", "price_cents": "1250", "tags": ["a"], "state": "ACTIVE", "owner": ["name": "Ada"],
        "variants": [["sku": "s-1"], ["sku": "s-2"]],
    ]

    static func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        var members = good
        members[key] = value
        return .object(members)
    }

    @Test func aPayloadAsTheConsumerReadsItHasNoFindings() throws {
        #expect(try Self.findings(.object(Self.good)).isEmpty)
        // Optional members may be absent; 64-bit integers may come as numbers or as strings.
        var sparse = Self.good
        sparse["tags"] = nil
        sparse["owner"] = nil
        sparse["price_cents"] = 7
        #expect(try Self.findings(.object(sparse)).isEmpty)
    }

    @Test(arguments: [
        (Self.with("item_id", nil), "wire_missing_field", "item_id"),
        (Self.with("price_cents", 1.5), "wire_type_mismatch", "price_cents"),
        (Self.with("tags", "a"), "wire_repeated_mismatch", "tags"),
        (Self.with("state", "DRAFT"), "wire_unknown_enum_value", "state"),
        (Self.with("owner", ["name": 3]), "wire_type_mismatch", "owner.name"),
        (Self.with("variants", [["sku": "s-1"], ["sku": true]]), "wire_type_mismatch", "variants.sku"),
        (Self.with("owner", "Ada"), "wire_type_mismatch", "owner"),
    ] as [(JSONValue, String, String)])
    func eachDisagreementIsFoundAtItsPath(payload: JSONValue, kind: String, path: String) throws {
        let found = try Self.findings(payload)
        #expect(found.count == 1 && found.first?.kind == kind && found.first?.path == path, "\(found)")
    }

    @Test func anOptionalFieldRenamedOnTheWireIsFoundByItsNearMissAndBlamesTheProducer() throws {
        var members = Self.good
        members["state"] = nil
        members["State"] = "ACTIVE"
        let edge = try #require(Self.system.consumerEdges.first)
        let found = try Self.check(edge).findings(reads: try #require(edge.reads), payload: .object(members))
        #expect(found.map(\.kind) == ["wire_missing_field"] && found.first?.fieldPath == "state", "\(found)")
        #expect(found.first?.suggestion?.contains("fix the producer") == true, "\(found)")
    }
}
