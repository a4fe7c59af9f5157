@testable import AccordGRPC
import Testing

@Suite struct StreamTableTests {
    @Test func setGetAndRemoveLikeADictionary() {
        var table = StreamTable<String>()
        #expect(table.isEmpty)
        table[1] = "one"
        table[3] = "three"
        table[3] = "THREE"
        #expect(table[1] == "one")
        #expect(table[3] == "THREE")
        #expect(table[5] == nil)
        #expect(table[0] == nil)
        #expect(table.count == 2)
        #expect(table.keys.sorted() == [1, 3])
        #expect(table.removeValue(forKey: 1) == "one")
        #expect(table.removeValue(forKey: 1) == nil)
        table[3] = nil
        #expect(table.isEmpty)
    }

    @Test func modifyChangesInPlaceAndSaysWhetherTheStreamWasThere() {
        var table = StreamTable<[Int]>()
        table[7] = [1]
        #expect(table.modify(7) { $0.append(2); return $0.count } == 2)
        #expect(table.modify(9) { $0.append(2) } == nil)
        #expect(table[7] == [1, 2])
    }

    /// Against a Dictionary, over enough ids to grow the table and to wrap probe runs around its
    /// end: every removal must leave the entries that probed past it reachable.
    @Test(arguments: [1, 2, 3])
    func matchesADictionaryUnderChurn(seed: UInt64) {
        var table = StreamTable<Int32>()
        var reference: [Int32: Int32] = [:]
        var random = seed
        func next(_ bound: Int32) -> Int32 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32(truncatingIfNeeded: random >> 33) % bound
        }
        for step in 0..<20_000 {
            let id = next(600) * 2 + 1
            if next(3) == 0 {
                #expect(table.removeValue(forKey: id) == reference.removeValue(forKey: id))
            } else {
                table[id] = Int32(step)
                reference[id] = Int32(step)
            }
        }
        #expect(table.count == reference.count)
        for id in Int32(1)...1_201 { #expect(table[id] == reference[id]) }
        #expect(Set(table.keys) == Set(reference.keys))
        #expect(Set(table.values) == Set(reference.values))
    }
}
