@testable import AccordProcess
import Testing

/// posix_spawn's set-up steps: one that cannot be done fails the launch rather than being skipped.
@Suite struct ChildSpawnTests {
    @Test func aDescriptorItCannotPassOnFailsTheLaunchWithTheReason() {
        #expect {
            try ChildSpawn.spawn(
                "/bin/true", arguments: ["true"], environment: [], input: .descriptor(-1), output: .null,
                display: "true")
        } throws: { error in
            "\(error)" == "cannot start true: stdin from descriptor -1: Bad file descriptor"
        }
    }
}
