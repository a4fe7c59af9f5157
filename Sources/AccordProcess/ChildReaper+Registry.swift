import Synchronization

extension ChildReaper {
    /// The groups a process has listed, and the reaper that holds them: started when a group is
    /// first registered, and again when it cannot be told (it failed to start, or it died), in
    /// which case the new one is given every group still listed. One failure so never makes every
    /// later launch fail.
    final class Registry: Sendable {
        private struct State {
            var reaper: ChildReaper?
            var groups: Set<Int32> = []
        }

        private let grace: Duration
        private let state = Mutex(State())

        init(grace: Duration) {
            self.grace = grace
        }

        /// The pid of the reaper now holding the groups, if one runs.
        var pid: Int32? { state.withLock { $0.reaper?.pid } }

        /// Lists `group` with the reaper, starting a new one if there is none or the one there is
        /// has gone.
        func register(group: Int32) throws(ManagedProcess.LaunchFailed) {
            try state.withLock { (state: inout State) throws(ManagedProcess.LaunchFailed) in
                // A second reaper that cannot be told either is not worth a third.
                for _ in 0..<2 {
                    let reaper: ChildReaper
                    if let current = state.reaper {
                        reaper = current
                    } else {
                        reaper = try started(holding: state.groups)
                    }
                    if reaper.register(group: group) {
                        state.reaper = reaper
                        state.groups.insert(group)
                        return
                    }
                    state.reaper = nil
                }
                throw ManagedProcess.LaunchFailed(command: ChildReaper.display, reason: "it ends as soon as it starts")
            }
        }

        /// Unlists `group`: call it after the child exited, before it is reaped.
        func unregister(group: Int32) {
            state.withLock { state in
                state.groups.remove(group)
                state.reaper?.unregister(group: group)
            }
        }

        /// A new reaper, told of `groups`.
        private func started(holding groups: Set<Int32>) throws(ManagedProcess.LaunchFailed) -> ChildReaper {
            let reaper = try ChildReaper(grace: grace)
            // Should it fail to take them, it has gone, and so fails to take the next group too.
            for group in groups { _ = reaper.register(group: group) }
            return reaper
        }
    }
}
