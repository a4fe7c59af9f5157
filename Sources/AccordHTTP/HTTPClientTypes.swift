import NIOCore

/// Where a client sends its requests: a resolved address and the `Host` value.
public struct HTTPTarget: Sendable, Hashable, CustomStringConvertible {
    public let address: SocketAddress
    public let authority: String

    public init(address: SocketAddress, authority: String) {
        self.address = address
        self.authority = authority
    }

    /// Resolves `host` (a blocking lookup for names: call it off event loops and the cooperative pool
    /// for anything but IP literals).
    public init(host: String, port: Int) throws {
        if let literal = try? SocketAddress(ipAddress: host, port: port) {
            self.address = literal
        } else {
            self.address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        self.authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public var description: String { authority }
}

/// Monotonic time in nanoseconds: the clock of every client timestamp. A load scheduler takes its
/// intended start times from it too.
public enum HTTPClock {
    @inline(__always)
    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// When each step of one request happened, in `HTTPClock` nanoseconds; 0 for a step that did not.
public struct HTTPRequestTimestamps: Sendable, Equatable {
    /// When the caller wanted the request to start; latency counts from here, so time spent
    /// waiting for a connection is not hidden (coordinated omission).
    public var intendedStart: UInt64
    /// When the bytes were handed to the socket.
    public var written: UInt64 = 0
    /// When the read with the first byte of the response arrived.
    public var firstByte: UInt64 = 0
    /// When the read with the last byte of the response arrived.
    public var complete: UInt64 = 0

    public init(intendedStart: UInt64) {
        self.intendedStart = intendedStart
    }
}

/// A response as the load client keeps it: status and framing parsed, other headers left as bytes.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    /// The status line and headers as received.
    public let head: ByteBuffer
    public let body: ByteBuffer
    /// The server sent `Connection: close` (or closes after this response for another reason).
    public let connectionClose: Bool

    /// The first header called `name` (ASCII case-insensitive), parsed only when asked for.
    public func header(_ name: String) -> String? {
        let wanted = Array(name.lowercased().utf8)
        return head.withUnsafeReadableBytes { bytes -> String? in
            var lineStart = 0
            var i = 0
            while i + 1 < bytes.count {
                guard bytes[i] == 0x0D && bytes[i + 1] == 0x0A else { i += 1; continue }
                defer { lineStart = i + 2; i += 2 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<i])
                guard line.count > wanted.count, line[wanted.count] == UInt8(ascii: ":") else { continue }
                let matches = (0..<wanted.count).allSatisfy {
                    let b = line[$0]
                    return (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) == wanted[$0]
                }
                guard matches else { continue }
                let value = String(decoding: line[(wanted.count + 1)...], as: UTF8.self)
                return value.trimmingCharacters(in: " \t")
            }
            return nil
        }
    }

    /// The body as text (UTF-8), for diagnostics and tests.
    public var bodyText: String { String(buffer: body) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// Why a request got no response.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// No connection could be made: the port is closed.
        case connectRefused
        /// No connection could be made for another reason (timeout, unreachable).
        case connectFailed
        /// The connection ended after the request was written, before any byte of the response.
        case resetBeforeResponse
        /// The connection ended in the middle of the response.
        case resetDuringResponse
        /// No complete response within the timeout; the connection is closed.
        case timeout
        /// The response could not be parsed; the connection is closed.
        case malformedResponse
        /// The pool was closed.
        case poolClosed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// One request's outcome, delivered on the pool's event loop.
public struct HTTPClientExchange: Sendable {
    public let timestamps: HTTPRequestTimestamps
    public let result: Result<HTTPClientResponse, HTTPClientError>
}

/// What happened to a connection, for the shutdown timeline.
public struct HTTPConnectionEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case connected
        case connectRefused
        case connectFailed
        /// The peer ended the connection while a request waited for its first response byte.
        case resetBeforeResponse
        /// The peer ended the connection in the middle of a response.
        case resetDuringResponse
        /// The peer closed an idle keep-alive connection, after at least one response.
        case closedByPeerAfterResponse
        /// A response carried `Connection: close` (or HTTP/1.0 without keep-alive).
        case connectionCloseSeen
        case timedOut
        case malformedResponse
    }

    public let kind: Kind
    /// `HTTPClock` nanoseconds.
    public let time: UInt64
    /// The pool's number for the connection (stable for its life, never reused by the pool).
    public let connection: Int
    /// Where the connection goes (one of the pool's targets).
    public let target: HTTPTarget
}

/// Counts of connection events by kind, kept by every pool whether or not anything observes its events.
public struct HTTPConnectionEventCounts: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: HTTPConnectionEvent.Kind.allCases.count)

    public init() {}

    public subscript(kind: HTTPConnectionEvent.Kind) -> Int {
        counts[Self.index(kind)]
    }

    mutating func record(_ kind: HTTPConnectionEvent.Kind) {
        counts[Self.index(kind)] += 1
    }

    private static func index(_ kind: HTTPConnectionEvent.Kind) -> Int {
        HTTPConnectionEvent.Kind.allCases.firstIndex(of: kind) ?? 0
    }
}
