import Foundation

/// Processes on this machine, from /proc (Linux).
public enum ProcessTable {
    /// Whether `pid` runs: it exists and is not a zombie. An orphan that has ended stays a zombie
    /// where init does not reap (some containers), so `kill(pid, 0)` alone would say it runs.
    public static func isRunning(_ pid: Int32) -> Bool {
        entry(pid)?.running ?? false
    }

    /// The processes of group `group` that run (zombies left out). Not `kill(-group, 0)`: it
    /// succeeds while a zombie leader alone is left of the group.
    static func running(inGroup group: Int32) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name in
            guard let pid = Int32(name), let entry = entry(pid), entry.running && entry.group == group else {
                return nil
            }
            return pid
        }
    }

    /// The state and process group fields of /proc/PID/stat, which follow the name in parentheses
    /// (the name may itself hold spaces and parentheses, so the last one ends it).
    private static func entry(_ pid: Int32) -> (running: Bool, group: Int32)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // State, parent pid, process group.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let group = Int32(fields[2]) else { return nil }
        return (fields[0] != "Z" && fields[0] != "X", group)
    }
}
