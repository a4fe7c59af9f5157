/// Why a reference service cannot be set up or started: a behaviour the contract states but that
/// cannot run, a peer or broker that is not given or not reachable, a port that cannot be bound.
/// Bad input for `accord serve` (exit 2), as opposed to a failure while serving.
public struct ReferenceSetupError: Error, Sendable, CustomStringConvertible {
    /// `contracts/shop/system.yaml:42`, when the problem is in the contract.
    public let location: String?
    public let message: String
    /// The underlying error's text (the broker's, the socket's), when there is one.
    public let cause: String?

    public init(location: String? = nil, _ message: String, cause: String? = nil) {
        self.location = location
        self.message = message
        self.cause = cause
    }

    public var description: String {
        (location.map { "\($0): " } ?? "") + message + (cause.map { ": \($0)" } ?? "")
    }
}
