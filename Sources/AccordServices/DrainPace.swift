import AccordContracts
import Synchronization

/// How in-flight work ends once a shutdown began. Graceful: as it would have. Slow: every call,
/// request and message that completes after the signal is held until `slowHold` after it, and
/// the process exits no sooner: longer than a runner's usual grace period (10 s), so its
/// deadline SIGKILL shows.
public final class DrainPace: Sendable {
    public static let slowHold: Duration = .seconds(30)

    public let style: ShutdownStyle
    private let began = Mutex<ContinuousClock.Instant?>(nil)

    public init(style: ShutdownStyle) {
        self.style = style
    }

    /// The shutdown began (the signal arrived).
    public func begin() {
        began.withLock { if $0 == nil { $0 = .now } }
    }

    /// Called as a piece of work is about to complete, and before the process exits; returns at
    /// once unless the style is slow and the shutdown began.
    public func settle() async {
        guard style == .slow, let began = began.withLock({ $0 }) else { return }
        try? await Task.sleep(until: began + Self.slowHold, clock: .continuous)
    }
}
