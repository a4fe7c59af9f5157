import DequeModule

/// Values keyed by a channel's delivery tags, which only grow, settled one at a time or "up to and
/// including" a tag (AMQP's `multiple`). Used for publisher confirms (our tags, one per publish) and
/// for a consumer's unsettled deliveries (the broker's tags). Pure bookkeeping: no I/O.
struct DeliveryTagWindow<Value> {
    /// The tag of `slots.first`.
    private var base: UInt64 = 1
    /// One slot per tag from `base`; nil once settled out of order.
    private var slots: Deque<Value?> = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Records `value` under `tag`. Tags must grow; a skipped tag is simply never outstanding.
    /// Returns false (and records nothing) for a tag that is not above every earlier one.
    mutating func insert(_ value: Value, tag: UInt64) -> Bool {
        if slots.isEmpty {
            guard tag >= base else { return false }
            base = tag
        }
        let next = base + UInt64(slots.count)
        guard tag >= next else { return false }
        for _ in next..<tag { slots.append(nil) }
        slots.append(value)
        count += 1
        return true
    }

    /// Removes and returns the value of `tag`, or with `multiple` every value up to and including it,
    /// oldest first. A tag of 0 with `multiple` means every outstanding value, as AMQP defines it.
    /// Unknown or already settled tags give an empty result.
    mutating func remove(tag: UInt64, multiple: Bool) -> [Value] {
        guard !slots.isEmpty, tag >= base || (multiple && tag == 0) else { return [] }
        var removed: [Value] = []
        if multiple {
            let last = tag == 0 ? slots.count - 1 : Int(min(tag - base, UInt64(slots.count - 1)))
            removed.reserveCapacity(last + 1)
            for index in 0...last {
                if let value = slots[index].take() { removed.append(value) }
            }
            // Everything up to `last` is settled now: drop it in one step.
            slots.removeFirst(last + 1)
            base += UInt64(last + 1)
        } else {
            let index = tag - base
            guard index < UInt64(slots.count), let value = slots[Int(index)].take() else { return [] }
            removed.append(value)
        }
        count -= removed.count
        trimSettledPrefix()
        return removed
    }

    /// Empties the window, returning what was outstanding, oldest first; tags may start again at 1.
    mutating func removeAll() -> [Value] {
        let removed = slots.compactMap { $0 }
        slots.removeAll()
        base = 1
        count = 0
        return removed
    }

    /// Whether `tag` is outstanding.
    func contains(tag: UInt64) -> Bool {
        guard tag >= base, tag - base < UInt64(slots.count) else { return false }
        return slots[Int(tag - base)] != nil
    }

    private mutating func trimSettledPrefix() {
        let settled = slots.prefix { $0 == nil }.count
        guard settled > 0 else { return }
        slots.removeFirst(settled)
        base += UInt64(settled)
    }
}
