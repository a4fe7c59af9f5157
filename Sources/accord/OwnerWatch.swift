import AccordSystem
import Foundation

/// A process accord launched (`ACCORD_OWNER_PID` in its environment) watches its owner: once
/// its parent is no longer that process (it died and the child was re-parented), it sends
/// itself SIGTERM, so it shuts down the way its style says instead of lingering.
struct OwnerWatch: Sendable {
    let owner: Int32

    static func fromEnvironment() -> OwnerWatch? {
        ProcessInfo.processInfo.environment[SystemPlan.ownerVariable].flatMap(Int32.init).map(OwnerWatch.init)
    }

    func signalSelfWhenOwnerDies() async {
        while !Task.isCancelled {
            if getppid() != owner {
                kill(getpid(), SIGTERM)
                return
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
