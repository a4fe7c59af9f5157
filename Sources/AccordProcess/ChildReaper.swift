import Foundation
import Synchronization

/// A sidecar process that ends Accord's children when Accord ends without stopping them:
/// killed by SIGKILL, crashed, or a caller that never called `stop`.
///
/// A small /bin/sh script in a process group of its own (terminal signals do not reach it) reads
/// its stdin, a socket whose other end only Accord holds (close-on-exec, so no child inherits
/// it). Accord writes `+PGID` when it launches a child and `-PGID` once the child has exited but
/// before reaping it, while its pid is still reserved, so the reaper never signals a group whose
/// id may since have been reused. End of file means Accord is gone, however it ended: the
/// reaper sends SIGTERM to every group still listed, waits up to `grace` for them to go, sends
/// SIGKILL to those still there, and exits.
///
/// Two narrow gaps remain: a child spawned but not yet listed when Accord dies is not ended; and a
/// child that exited just before Accord died is still listed, so were init to reap it and its pid
/// be reused in the moment before the reaper's SIGTERM, the new group would get that signal.
///
/// Not PR_SET_PDEATHSIG: it fires when the *thread* that forked the child exits, and Accord
/// launches from Swift's pool and other short-lived threads; it must be set in the child between
/// fork and exec, which posix_spawn cannot do; and it reaches the child alone, not what a
/// `sh -c` command started.
///
/// A socket rather than a pipe: a write to a reaper that died would raise SIGPIPE in Accord,
/// which `send(MSG_NOSIGNAL)` turns into an error.
final class ChildReaper: Sendable {
    /// The reaper of this process, started with its first child (and again should it die).
    static let shared = Registry(grace: .seconds(5))

    /// Lines of `+PGID` and `-PGID` on stdin; $1 is the grace in tenths of a second.
    private static let script = """
        groups=' '
        while read -r line; do
            group=${line#?}
            case $group in ''|*[!0-9]*) continue ;; esac
            case $line in
                +*) groups="$groups$group " ;;
                -*) case $groups in *" $group "*) groups="${groups%% $group *} ${groups#* $group }" ;; esac ;;
            esac
        done
        for group in $groups; do kill -TERM -"$group" 2>/dev/null; done
        tenths=0
        while [ "$tenths" -lt "$1" ]; do
            alive=
            for group in $groups; do kill -0 -"$group" 2>/dev/null && alive="$alive $group"; done
            groups=$alive
            [ -n "$groups" ] || exit 0
            sleep 0.1
            tenths=$((tenths + 1))
        done
        for group in $groups; do kill -KILL -"$group" 2>/dev/null; done
        """

    /// What errors call it.
    static let display = "/bin/sh (accord's child reaper)"

    /// The reaper's own pid.
    let pid: Int32
    /// Accord's end of the reaper's stdin; writes are whole lines, one writer at a time.
    private let descriptor: Mutex<Int32>

    /// Starts a reaper; it acts once this instance is released (its end of the socket closes)
    /// or this process ends.
    init(grace: Duration) throws(ManagedProcess.LaunchFailed) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw ManagedProcess.LaunchFailed(command: Self.display, reason: String(cString: strerror(errno)))
        }
        let tenths = grace.components.seconds * 10 + grace.components.attoseconds / 100_000_000_000_000_000
        do {
            pid = try ChildSpawn.spawn(
                "/bin/sh", arguments: ["sh", "-c", Self.script, "accord-child-reaper", String(tenths)],
                environment: ["PATH=/usr/bin:/bin"], input: .descriptor(ends[1]), output: .null, display: Self.display)
        } catch {
            close(ends[0])
            close(ends[1])
            throw error
        }
        close(ends[1])
        descriptor = Mutex(ends[0])
        // Reaped here should it exit while this process lives (a released reaper, or one killed).
        let pid = self.pid
        Thread { while waitpid(pid, nil, 0) < 0 && errno == EINTR {} }.start()
    }

    deinit {
        _ = descriptor.withLock { close($0) }
    }

    /// Lists `group`; false when the reaper cannot be told (it is gone).
    func register(group: Int32) -> Bool {
        tell("+\(group)\n")
    }

    /// Unlists `group`: call it after the child exited, before it is reaped.
    func unregister(group: Int32) {
        _ = tell("-\(group)\n")
    }

    private func tell(_ line: String) -> Bool {
        var bytes = Array(line.utf8)[...]
        return descriptor.withLock { descriptor in
            while !bytes.isEmpty {
                let sent = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                bytes = bytes.dropFirst(sent)
            }
            return true
        }
    }
}
