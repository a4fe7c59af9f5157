import CSpawnShim
import Foundation

/// posix_spawn the way Accord starts every process it owns:
/// - in a process group of its own, so a Ctrl-C on the terminal (SIGINT to Accord's group) reaches
///   Accord alone, which then stops its children in order;
/// - with no blocked signals and default dispositions (Swift's threads block signals and Accord
///   ignores SIGINT while it traps it, and a child inherits both);
/// - with no descriptor but its standard three: Accord's sockets and pipes are not all
///   close-on-exec, and a child holding one keeps a connection, or the pipe a watchdog waits on
///   to see Accord gone, open after Accord has closed it or died.
enum ChildSpawn {
    /// Where one of the child's standard descriptors comes from.
    enum Source {
        case null
        case descriptor(Int32)
    }

    /// Starts `path` with `arguments` (the first is its name) and exactly `environment`; stdin
    /// from `input`, stdout and stderr both to `output`. Returns its pid, which is also its
    /// process group's id.
    static func spawn(
        _ path: String, arguments: [String], environment: [String], input: Source, output: Source,
        display: String
    ) throws(ManagedProcess.LaunchFailed) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Each returns an error number (ENOMEM, EBADF): a child spawned without one of them would
        // read Accord's stdin, write to its terminal, or hold its descriptors.
        func check(_ result: Int32, _ action: String) throws(ManagedProcess.LaunchFailed) {
            guard result == 0 else {
                let text = String(cString: strerror(result))
                throw ManagedProcess.LaunchFailed(command: display, reason: "\(action): \(text)")
            }
        }
        switch input {
        case .null:
            try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "stdin from /dev/null")
        case .descriptor(let descriptor):
            try check(posix_spawn_file_actions_adddup2(&actions, descriptor, 0), "stdin from descriptor \(descriptor)")
        }
        switch output {
        case .null:
            try check(posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0), "stdout to /dev/null")
        case .descriptor(let descriptor):
            try check(posix_spawn_file_actions_adddup2(&actions, descriptor, 1), "stdout to descriptor \(descriptor)")
        }
        try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "stderr to stdout")
        // Every other descriptor, in the child: whatever any thread opens meanwhile included.
        try check(accord_spawn_file_actions_addclosefrom(&actions, 3), "closing descriptors from 3")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Group 0: a new group whose id is the child's pid.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ManagedProcess.LaunchFailed(command: display, reason: String(cString: strerror(result)))
        }
        return pid
    }
}
