import Testing

/// One test at a time for tests that measure time (load runs, latency comparisons) or that
/// load the whole machine (browsers). Test targets share one process and run in parallel:
/// without this, a Chromium rendering beside a 2,000 requests/s run makes the run measure
/// the browser. Tests that take it wait for each other; others still run alongside.
public actor MachineLock {
    public static let shared = MachineLock()

    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Set inside `exclusively`, so a nested call (a helper taking the lock inside a test that
    /// already holds it) runs at once instead of waiting for itself.
    @TaskLocal private static var isHeld = false

    /// Runs `body` while holding the lock, and releases it however `body` ends.
    public static func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if isHeld { return try await body() }
        await shared.acquire()
        do {
            let result = try await $isHeld.withValue(true) { try await body() }
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }

    private func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the lock to the next waiter in arrival order, or frees it.
    private func release() {
        if waiting.isEmpty {
            held = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// `@Suite(.exclusiveMachine)` or `@Test(.exclusiveMachine)`: each test case runs holding the
/// `MachineLock`.
public struct ExclusiveMachineTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MachineLock.exclusively { try await function() }
    }
}

extension Trait where Self == ExclusiveMachineTrait {
    public static var exclusiveMachine: Self { ExclusiveMachineTrait() }
}
