import AccordProcess

extension ManagedProcess {
    /// The pid a test's shell printed on a line `up PID` (the child it started, as `$!`).
    public var announcedPID: Int32? {
        output.split(separator: "\n").first { $0.hasPrefix("up ") }.flatMap { Int32($0.dropFirst(3)) }
    }
}
