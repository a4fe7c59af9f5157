/// When a connection's calls run out of time, kept for one timer per connection instead of
/// one per call: scheduling and cancelling a timer for every call of a load test cost more
/// than the rest of starting the call. A value type without I/O; the handler arms the timer
/// it is asked for and ends the calls it is given.
///
/// Calls that share a timeout start in deadline order, so recording one is an append. Calls
/// that end are not searched for: they leave when they reach the front, which they usually
/// do at once, since calls mostly end in the order they started.
struct CallDeadlines {
    enum Action: Equatable {
        case none
        /// (Re)arm the timer to fire at this `MonotonicTime`, replacing any armed one.
        case arm(at: UInt64)
    }

    private var entries: [(deadline: UInt64, streamID: Int32)] = []
    /// Entries before `head` are gone; the storage is compacted once they are the majority.
    private var head = 0
    /// When the armed timer fires; nil when none is armed.
    private(set) var armedAt: UInt64?

    /// Calls recorded and not yet dropped (ended ones behind an open one included).
    var count: Int { entries.count - head }

    /// Records a call's deadline; `.arm` when the timer must fire earlier than it is set to.
    mutating func add(streamID: Int32, deadline: UInt64) -> Action {
        if head < entries.count, let last = entries.last, last.deadline > deadline {
            // A shorter timeout than a call already waiting: keep the order (binary search).
            var low = head
            var high = entries.count
            while low < high {
                let middle = (low + high) / 2
                if entries[middle].deadline <= deadline { low = middle + 1 } else { high = middle }
            }
            entries.insert((deadline, streamID), at: low)
        } else {
            entries.append((deadline, streamID))
        }
        if let armedAt, armedAt <= deadline { return .none }
        armedAt = deadline
        return .arm(at: deadline)
    }

    /// A call ended. When it is at the front it leaves, with the ended calls right behind it.
    mutating func ended(streamID: Int32, isOpen: (Int32) -> Bool) {
        guard head < entries.count, entries[head].streamID == streamID else { return }
        head += 1
        dropEnded(isOpen: isOpen)
    }

    /// The armed timer fired at `now`: the open calls whose deadline has passed, oldest first,
    /// and the timer to arm for the earliest call still open.
    mutating func timerFired(now: UInt64, isOpen: (Int32) -> Bool) -> (expired: [Int32], next: Action) {
        armedAt = nil
        var expired: [Int32] = []
        while head < entries.count, entries[head].deadline <= now {
            if isOpen(entries[head].streamID) { expired.append(entries[head].streamID) }
            head += 1
        }
        dropEnded(isOpen: isOpen)
        guard head < entries.count else { return (expired, .none) }
        armedAt = entries[head].deadline
        return (expired, .arm(at: entries[head].deadline))
    }

    private mutating func dropEnded(isOpen: (Int32) -> Bool) {
        while head < entries.count, !isOpen(entries[head].streamID) { head += 1 }
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= entries.count {
            entries.removeSubrange(0..<head)
            head = 0
        }
    }
}
