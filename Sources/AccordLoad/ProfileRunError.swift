import AccordSystem

/// Why a profile's run did not start, or its load could not begin. Each names the profile file;
/// everything that had started was stopped before it was thrown.
public enum ProfileRunError: Error, CustomStringConvertible {
    /// Cancelled (a signal) before the load began.
    case interrupted(profile: String)
    /// The broker the run needs, or a service (the profile's or the contract's), would not start:
    /// which one, where it is declared, why, and what it printed.
    case didNotStart(profile: String, SystemStartError)
    /// The mix could not become a plan: a .proto, a payload, a service without an address, no
    /// broker for a publish. The message names the profile's line.
    case invalidPlan(profile: String, ProfileRun.SetupError)
    /// An interaction could not connect, so no request was sent; `entry` is where the profile
    /// declares it (`file:line:column`).
    case cannotConnect(profile: String, entry: String?, any Error)

    public var profile: String {
        switch self {
        case .interrupted(let profile), .didNotStart(let profile, _), .invalidPlan(let profile, _),
            .cannotConnect(let profile, _, _):
            profile
        }
    }

    public var description: String {
        switch self {
        case .interrupted(let profile): "\(profile): interrupted before the run began"
        // A service's error names the file and line that declare it; the broker's, its system.
        case .didNotStart(let profile, let error): error.location == nil ? "\(profile): \(error)" : "\(error)"
        case .invalidPlan(_, let error): "\(error)"
        case .cannotConnect(let profile, let entry, let error): "\(entry ?? profile): cannot start the run: \(error)"
        }
    }
}
