@testable import AccordProcess
import AccordTestSupport
import Foundation
import Testing

/// The child reaper on its own: a private one, released (its end of the socket closes, as when
/// Accord dies), acts on the process groups listed with it, and on those alone; and one started
/// again when it died, told of every group still listed.
@Suite struct ChildReaperTests {
    @Test func whenItsOwnerLetsGoItEndsTheGroupsStillListedAndNoOthers() async throws {
        var reaper: ChildReaper? = try ChildReaper(grace: .seconds(1))
        let reaperPID = try #require(reaper?.pid)
        // Exits 7 on SIGTERM: the signal it gets first.
        let graceful = try ManagedProcess.launch(["sh", "-c", "trap 'exit 7' TERM; echo up; sleep 30 & wait"])
        // Ignores SIGTERM (and so does its child): only the SIGKILL after the grace ends them.
        let stubborn = try ManagedProcess.launch(["sh", "-c", "trap '' TERM; sleep 30 & echo up $!; wait"])
        // Listed, then unlisted, as a child that exited is before it is reaped.
        let unlisted = try ManagedProcess.launch(["sleep", "30"])
        defer { unlisted.send(SIGKILL) }
        for process in [graceful, stubborn] { try await process.waitUntilReady(.outputLine(containing: "up")) }
        let stubbornChild = try #require(stubborn.announcedPID)
        for process in [graceful, stubborn, unlisted] { #expect(reaper?.register(group: process.pid) == true) }
        reaper?.unregister(group: unlisted.pid)

        reaper = nil
        #expect(await graceful.waitForExit(timeout: .seconds(20)) == .code(7))
        #expect(await stubborn.waitForExit(timeout: .seconds(20)) == .signal(SIGKILL))
        try await waitUntil("the stubborn shell's child is gone") { !ProcessTable.isRunning(stubbornChild) }
        // Gone once it has sent every signal it will send: the unlisted child got none.
        try await waitUntil("the reaper exits") { !ProcessTable.isRunning(reaperPID) }
        #expect(unlisted.exit == nil)
        #expect(stubborn.timeline.signalled.isEmpty, "the reaper's signals, not the handle's")
    }

    /// The script matches whole ids: `-5123` does not unlist 51234, nor `-51234` 512340000.
    /// The longer ids are above pid_max (no process has them) and within Int32 (kill does not
    /// wrap them onto a real one).
    @Test func groupIdsThatArePrefixesOrSuffixesOfOthersAreToldApart() async throws {
        let pidMax = try #require(
            Int32(try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
        func longer(_ group: Int32) throws -> [Int32] {
            let digits = String(group)
            let pad = 9 - digits.count
            let ids = [digits + String(repeating: "0", count: pad), String(repeating: "1", count: pad) + digits]
            return try ids.map { id in try #require(Int32(id).flatMap { $0 > pidMax ? $0 : nil }) }
        }
        func shorter(_ group: Int32) -> [Int32] {
            let digits = String(group)
            return [Int32(digits.dropLast()), Int32(digits.dropFirst())].compactMap { $0 }
        }
        var reaper: ChildReaper? = try ChildReaper(grace: .seconds(1))
        let reaperPID = try #require(reaper?.pid)
        let kept = try ManagedProcess.launch(["sleep", "30"])
        let dropped = try ManagedProcess.launch(["sleep", "30"])
        defer { dropped.send(SIGKILL) }
        for group in [kept.pid, dropped.pid] {
            let ids = try longer(group)
            for id in [ids[0], group, ids[1]] { #expect(reaper?.register(group: id) == true) }
        }
        // Unlisting ids that hold the kept group's digits leaves it listed...
        for id in try longer(kept.pid) + shorter(kept.pid) { reaper?.unregister(group: id) }
        // ...and unlisting the dropped group removes it, not the longer ids around it.
        reaper?.unregister(group: dropped.pid)

        reaper = nil
        #expect(await kept.waitForExit(timeout: .seconds(20)) == .signal(SIGTERM))
        try await waitUntil("the reaper exits") { !ProcessTable.isRunning(reaperPID) }
        #expect(dropped.exit == nil)
    }

    /// A reaper that died (here killed) makes the next launch start another, which is told of the
    /// groups the dead one held: released, it ends both the old group and the new.
    @Test func aReaperThatDiedIsReplacedAndToldOfTheGroupsStillListed() async throws {
        var registry: ChildReaper.Registry? = ChildReaper.Registry(grace: .seconds(1))
        let old = try ManagedProcess.launch(["sleep", "30"])
        defer { old.send(SIGKILL) }
        try registry?.register(group: old.pid)
        let dead = try #require(registry?.pid)
        kill(dead, SIGKILL)
        try await waitUntil("the reaper is gone") { !ProcessTable.isRunning(dead) }

        let new = try ManagedProcess.launch(["sleep", "30"])
        defer { new.send(SIGKILL) }
        try registry?.register(group: new.pid)
        let replacement = try #require(registry?.pid)
        #expect(replacement != dead)
        registry = nil
        #expect(await old.waitForExit(timeout: .seconds(20)) == .signal(SIGTERM))
        #expect(await new.waitForExit(timeout: .seconds(20)) == .signal(SIGTERM))
    }

    /// The same through `launch`, with the process's own reaper: a launch after it died succeeds.
    @Test func aLaunchAfterTheSharedReaperDiedSucceeds() async throws {
        let before = try ManagedProcess.launch(["sleep", "30"])
        defer { before.send(SIGKILL) }
        let dead = try #require(ChildReaper.shared.pid)
        kill(dead, SIGKILL)
        try await waitUntil("the reaper is gone") { !ProcessTable.isRunning(dead) }
        let after = try ManagedProcess.launch(["sleep", "30"])
        defer { after.send(SIGKILL) }
        #expect(ChildReaper.shared.pid != dead)
    }
}
