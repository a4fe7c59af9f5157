import Foundation

/// Processes on this machine, from /proc (Linux).
public enum ProcessTable {
    /// Whether `pid` runs: it exists and is not a zombie. An orphan that has ended stays a zombie
    /// where init does not reap (some containers), so `kill(pid, 0)` alone would say it runs.
    public static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let state = stat[stat.index(after: close)...].split(separator: " ").first
        else { return false }
        return state != "Z" && state != "X"
    }
}
