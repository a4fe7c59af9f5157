import Foundation

/// A program or Python module that a test needs from the machine (set up by `scripts/setup`).
///
/// Locally a missing peer is a reason to skip; in CI (`CI=true`) it is a failure, because a
/// suite that silently skips its interoperability tests proves nothing.
public enum ExternalTool {
    public struct Missing: Error, CustomStringConvertible {
        public let what: String
        public var description: String { "\(what) is not installed: run scripts/setup" }
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The absolute path of `name` on PATH, or nil.
    public static func path(of name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether the test should run: true when `name` exists; throws in CI when it does not.
    public static func available(_ name: String) throws -> Bool {
        if path(of: name) != nil { return true }
        if isCI { throw Missing(what: name) }
        return false
    }

    /// Whether `python3` can import `module`; throws in CI when it cannot.
    public static func pythonModuleAvailable(_ module: String) throws -> Bool {
        let result = try? ChildProcess.run(["python3", "-c", "import \(module)"])
        if result?.status == 0 { return true }
        if isCI { throw Missing(what: "python module \(module)") }
        return false
    }
}
