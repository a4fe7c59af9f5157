@testable import AccordCheck
import AccordContracts
import AccordReport
import Testing

/// The dynamic check's pure parts: which findings it keeps, and how it reads a declared schema.
@Suite struct DynamicCheckTests {
    static func finding(_ kind: DynamicFindingKind, consumer: String? = nil, path: String? = nil, at line: Int)
        -> Finding
    {
        Finding(
            kind: kind.rawValue, system: "s", producer: "orders", consumer: consumer, interaction: "orders.GetOrder",
            fieldPath: path, producerSays: "", consumerExpects: "", suggestion: nil, producerLocation: nil,
            consumerLocation: "system.yaml:\(line)")
    }

    @Test func aDriftSeenInEveryMessageIsReportedOnce() {
        let repeated = (1...3).map { _ in Self.finding(.wireMissingField, consumer: "audit", path: "order.id", at: 9) }
        let other = Self.finding(.wireMissingField, consumer: "notifier", path: "order.id", at: 12)
        #expect(DynamicCheck.distinct(repeated + [other]).count == 2)
    }

    @Test func everyFailedExampleOfOneCallIsKept() {
        let failures = [
            Self.finding(.statusMismatch, at: 20), Self.finding(.statusMismatch, at: 30),
            Self.finding(.exampleFailed, at: 40), Self.finding(.exampleFailed, at: 50),
        ]
        #expect(DynamicCheck.distinct(failures).map(\.consumerLocation) == failures.map(\.consumerLocation))
    }

    static func field(_ name: String, _ type: ShapeType) -> ShapeField {
        ShapeField(name: name, type: type, isRepeated: false, isRequired: true, location: nil)
    }

    static let shape = SchemaShape(id: "Item", name: "Item", origin: .jsonSchema, location: nil, fields: [
        field("owner", .object(SchemaShape(
            id: "Owner", name: "Owner", origin: .jsonSchema, location: nil, fields: [field("name", .string)]))),
        field("label", .string),
    ])

    @Test func pathsFollowNestedObjectsOnly() {
        #expect(Self.shape.declares("owner.name") && Self.shape.requires("owner.name"))
        #expect(!Self.shape.declares("owner.nick"))
        // `label` is a string: nothing lies below it, even a name its parent has.
        #expect(!Self.shape.declares("label.owner"))
        #expect(!Self.shape.requires("label.label"))
    }
}
