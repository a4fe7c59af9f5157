/// Values by HTTP/2 stream id, for a connection's per-call lookups (several per call). Reads
/// like the Dictionary it replaces.
///
/// Open addressing with linear probing over a power-of-two table, hashed by a multiplication:
/// stream ids are distinct small integers chosen by the protocol, not by a peer that could
/// aim at collisions, so the seeded SipHash a Dictionary runs on every lookup buys nothing.
/// Removal shifts the following entries back, so there are no tombstones to clean up.
struct StreamTable<Value> {
    private var slotIDs: [Int32]
    private var slotValues: [Value?]
    private var mask: Int
    private(set) var count = 0

    /// Marks a free slot: stream id 0 is the connection itself, never a stream.
    private static var free: Int32 { 0 }

    init() {
        slotIDs = Array(repeating: Self.free, count: 16)
        slotValues = Array(repeating: nil, count: 16)
        mask = 15
    }

    var isEmpty: Bool { count == 0 }

    /// The stream ids present, in no particular order.
    var keys: [Int32] { slotIDs.filter { $0 != Self.free } }

    /// The values present, in no particular order.
    var values: [Value] { slotValues.compactMap { $0 } }

    /// Setting nil removes the stream. Stream ids are positive.
    subscript(streamID: Int32) -> Value? {
        get { find(streamID).flatMap { slotValues[$0] } }
        set {
            if let newValue { insert(newValue, for: streamID) } else { removeValue(forKey: streamID) }
        }
    }

    func contains(_ streamID: Int32) -> Bool { find(streamID) != nil }

    /// Changes a stream's value in place; nil (and nothing done) when the stream is absent.
    @discardableResult
    mutating func modify<Result>(_ streamID: Int32, _ body: (inout Value) -> Result) -> Result? {
        guard let slot = find(streamID) else { return nil }
        return body(&slotValues[slot]!)
    }

    @discardableResult
    mutating func removeValue(forKey streamID: Int32) -> Value? {
        guard var slot = find(streamID) else { return nil }
        let removed = slotValues[slot].take()
        slotIDs[slot] = Self.free
        count -= 1
        // Move back the entries that probed past the freed slot, so that lookups still reach them.
        var next = (slot + 1) & mask
        while slotIDs[next] != Self.free {
            let wanted = home(slotIDs[next])
            // An entry whose home lies cyclically in (slot, next] is where it belongs already.
            let inPlace = slot <= next ? (slot < wanted && wanted <= next) : (slot < wanted || wanted <= next)
            if !inPlace {
                slotIDs[slot] = slotIDs[next]
                slotValues[slot] = slotValues[next].take()
                slotIDs[next] = Self.free
                slot = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    mutating func removeAll() {
        self = StreamTable()
    }

    /// Adds or replaces a stream's value; it moves in (a call's state is not copied on the way).
    mutating func insert(_ value: consuming Value, for streamID: Int32) {
        precondition(streamID > 0, "stream ids start at 1")
        if let slot = find(streamID) {
            slotValues[slot] = value
            return
        }
        if (count + 1) * 2 > slotIDs.count { grow() }
        var slot = home(streamID)
        while slotIDs[slot] != Self.free { slot = (slot + 1) & mask }
        slotIDs[slot] = streamID
        slotValues[slot] = value
        count += 1
    }

    private func home(_ streamID: Int32) -> Int {
        // Fibonacci hashing: consecutive ids land far apart.
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: streamID)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private func find(_ streamID: Int32) -> Int? {
        guard streamID > 0 else { return nil }
        var slot = home(streamID)
        while true {
            let id = slotIDs[slot]
            if id == streamID { return slot }
            if id == Self.free { return nil }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let oldIDs = slotIDs
        var oldValues = slotValues
        slotIDs = Array(repeating: Self.free, count: oldIDs.count * 2)
        slotValues = Array(repeating: nil, count: oldIDs.count * 2)
        mask = slotIDs.count - 1
        count = 0
        for index in oldIDs.indices where oldIDs[index] != Self.free {
            insert(oldValues[index].take()!, for: oldIDs[index])
        }
    }
}
