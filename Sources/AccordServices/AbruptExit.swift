#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `abrupt` shutdown style: the signal ends the process at once, from the signal handler
/// itself (`_exit` is async-signal-safe), with 128 + the signal's number as the exit code, the
/// code a shell reports for a process the signal killed. Nothing drains: in-flight calls fail, and
/// the messages consumers hold, which they acked on receipt (`ReferenceConsumer`), are lost.
public enum AbruptExit {
    public static func install(on signals: [Int32]) {
        for number in signals {
            signal(number) { received in _exit(128 + received) }
        }
    }
}
