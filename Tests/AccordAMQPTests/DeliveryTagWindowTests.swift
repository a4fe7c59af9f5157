@testable import AccordAMQP
import Testing

@Suite struct DeliveryTagWindowTests {
    private func window(_ tags: [UInt64]) -> DeliveryTagWindow<UInt64> {
        var window = DeliveryTagWindow<UInt64>()
        for tag in tags {
            let inserted = window.insert(tag, tag: tag)
            #expect(inserted)
        }
        return window
    }

    @Test func singleRemovalsInAnyOrder() {
        var window = window([1, 2, 3, 4])
        #expect(window.remove(tag: 3, multiple: false) == [3])
        #expect(window.remove(tag: 1, multiple: false) == [1])
        #expect(window.count == 2)
        #expect(window.remove(tag: 3, multiple: false).isEmpty, "already removed")
        #expect(window.contains(tag: 2) && window.contains(tag: 4) && !window.contains(tag: 3))
    }

    @Test(arguments: [
        (UInt64(3), [UInt64(1), 2, 3]),
        (UInt64(0), [UInt64(1), 2, 3, 5, 6]),   // tag 0 with multiple: everything outstanding
        (UInt64(9), [UInt64(1), 2, 3, 5, 6]),   // beyond the last: up to the last
    ])
    func multipleRemovesUpToAndIncluding(tag: UInt64, expected: [UInt64]) {
        var window = window([1, 2, 3, 5, 6])
        #expect(window.remove(tag: tag, multiple: true) == expected)
        #expect(window.count == 5 - expected.count)
    }

    @Test func multipleSkipsWhatWasSettledOutOfOrder() {
        var window = window([1, 2, 3, 4])
        _ = window.remove(tag: 2, multiple: false)
        #expect(window.remove(tag: 3, multiple: true) == [1, 3])
        #expect(window.remove(tag: 4, multiple: false) == [4])
        #expect(window.isEmpty)
    }

    @Test func tagsMustGrow() {
        var window = window([5])
        let repeated = window.insert(5, tag: 5), lower = window.insert(4, tag: 4), gap = window.insert(7, tag: 7)
        #expect(!repeated && !lower)
        #expect(gap, "a gap is allowed")
        _ = window.removeAll()
        let restarted = window.insert(1, tag: 1)
        #expect(restarted, "after removeAll numbering may restart")
    }

    @Test func unknownTagsRemoveNothing() {
        var window = window([1, 2])
        #expect(window.remove(tag: 7, multiple: false).isEmpty)
        #expect(window.remove(tag: 0, multiple: false).isEmpty)
        #expect(window.count == 2)
    }
}
