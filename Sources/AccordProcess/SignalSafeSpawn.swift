import Foundation

/// Starts processes with no blocked signals.
///
/// A child inherits the signal mask of the thread that spawns it, and Foundation's `Process` does not
/// reset it. Swift's cooperative pool runs on libdispatch threads, which block nearly every signal: a
/// service started from one never sees SIGTERM (it stays pending) and so cannot be stopped gently,
/// which would make every graceful-shutdown measurement a lie.
public enum SignalSafeSpawn {
    public static func run(_ process: Process) async throws {
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                var none = sigset_t()
                sigemptyset(&none)
                pthread_sigmask(SIG_SETMASK, &none, nil)
                do {
                    try process.run()
                    started.resume()
                } catch {
                    started.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}

/// TCP ports on 127.0.0.1.
public enum LocalPort {
    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "no free local port: \(reason)" }
    }

    /// A port that was free a moment ago: bound to port 0, read back, released.
    public static func free() throws(Unavailable) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Unavailable(reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else { throw Unavailable(reason: String(cString: strerror(errno))) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
    public static func accepts(_ port: Int) -> Bool {
        guard let descriptor = connected(to: port) else { return false }
        close(descriptor)
        return true
    }

    /// Whether `GET path` on 127.0.0.1:`port` answers 2xx within about a second (a health check).
    /// Blocking: call it off Swift's cooperative pool.
    public static func answersHTTP(_ port: Int, path: String) -> Bool {
        guard let descriptor = connected(to: port) else { return false }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { return false }
        // The status line fits in the first read: "HTTP/1.1 200".
        var head = [UInt8](repeating: 0, count: 64)
        let count = head.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 12 else { return false }
        let status = String(decoding: head[9..<12], as: UTF8.self)
        return head.starts(with: Array("HTTP/1.".utf8)) && status.hasPrefix("2")
    }

    private static func connected(to port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(descriptor)
            return nil
        }
        return descriptor
    }
}
