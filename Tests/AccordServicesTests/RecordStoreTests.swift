import AccordJSON
import AccordServices
import Testing

@Suite struct RecordStoreTests {
    @Test func idsAreFreshAndPrefixed() {
        var store = RecordStore(name: "orders", idField: "id", idPrefix: "p")
        #expect([store.makeID(), store.makeID(), store.makeID()] == ["p-1", "p-2", "p-3"])
    }

    @Test func recordsKeepInsertionOrderThroughChanges() {
        var store = RecordStore(name: "orders", idField: "id", idPrefix: "p")
        for id in ["a", "b", "c", "d"] { store.apply(.insert(["id": .string(id), "n": 1])) }
        store.apply(.remove(id: "b"))
        store.apply(.merge(id: "c", fields: ["n": 2, "id": "renamed"]))
        store.apply(.insert(["id": "a", "n": 3]))
        store.apply(.remove(id: "no-such-record"))
        store.apply(.merge(id: "no-such-record", fields: ["n": 4]))
        #expect(store.records.map { $0["id"] } == ["a", "c", "d"])
        // A merge never changes the key; an insert under a taken id replaces that record in place.
        #expect(store.record(id: "c") == ["id": "c", "n": 2])
        #expect(store.record(id: "a") == ["id": "a", "n": 3])
        #expect(store.record(id: "d") == ["id": "d", "n": 1])
        #expect(store.record(id: "b") == nil)
    }

    @Test func numericKeysMatchByTheirLiteral() {
        var store = RecordStore(name: "notes", idField: "id", idPrefix: "p")
        store.apply(.insert(["id": 7]))
        #expect(store.record(id: "7") == ["id": 7])
        #expect(RecordStore.key(.bool(true)) == nil)
    }
}
