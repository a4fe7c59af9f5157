import AccordTestSupport
import Synchronization
import Testing

@Suite struct MachineLockTests {
    /// How many bodies are inside the lock now, and the most there ever were.
    final class Occupancy: Sendable {
        let counts = Mutex((now: 0, most: 0))
    }

    // The limit covers the wait behind every exclusive test of the run (load runs, shutdown
    // scenarios, browsers), which together take more than a minute.
    @available(macOS 13.0, *)
    @Test(.timeLimit(.minutes(5)))
    func holdersNeverOverlapAndANestedCallDoesNotWaitForItself() async throws {
        let inside = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await MachineLock.exclusively {
                        inside.counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                        try await Task.sleep(for: .milliseconds(5))
                        try await MachineLock.exclusively { try await Task.sleep(for: .milliseconds(1)) }
                        inside.counts.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(inside.counts.withLock { $0.most } == 1)
    }

    @Test func aThrowingBodyReleasesTheLock() async throws {
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await MachineLock.exclusively { throw Boom() } }
        #expect(try await MachineLock.exclusively { 42 } == 42)
    }
}
