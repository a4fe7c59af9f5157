@testable import AccordProcess
import AccordTestSupport
import Foundation
import Testing

/// The child reaper on its own: a private one, released (its end of the socket closes, as when
/// Accord dies), acts on the process groups listed with it, and on those alone.
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
        let stubbornChild = try #require(
            stubborn.output.split(separator: "\n").first { $0.hasPrefix("up ") }.flatMap { Int32($0.dropFirst(3)) })
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
}
