import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 response parser for the load client, as a value over `ByteBuffer`: it reads
/// the status, the framing (`Content-Length`, chunked, or until close) and `Connection`, and
/// leaves every other header unparsed in the head's bytes. Bodies come out as slices of the
/// received buffers, without copying.
///
/// Call `next(_:)` until it returns nil; bytes it did not consume (an incomplete head or chunk
/// line) must be kept and handed back with the next read.
struct HTTPResponseParser {
    struct Head {
        let status: Int
        /// False when the peer sent `Connection: close`, spoke HTTP/1.0 without keep-alive, or
        /// delimits the body by closing.
        let keepAlive: Bool
        /// The status line and headers, CRLFs included.
        let bytes: ByteBuffer
    }

    enum Event {
        case head(Head)
        case body(ByteBuffer)
        case end
    }

    struct Error: Swift.Error, Equatable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case endPending
    }

    private var state: State = .head
    /// Some bytes of the next head have arrived, not all.
    private var headPending = false
    private let maxHeadBytes: Int

    init(maxHeadBytes: Int = 64 << 10) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// True between messages: an EOF here is a clean close.
    var isIdle: Bool {
        if case .head = state { return !headPending }
        return false
    }

    /// The next event from `buffer`, or nil when more bytes are needed. `bodyExpected` is false
    /// for the answer to a HEAD request.
    mutating func next(_ buffer: inout ByteBuffer, bodyExpected: Bool) throws(Error) -> Event? {
        while true {
            switch state {
            case .head:
                guard let head = try parseHead(&buffer, bodyExpected: bodyExpected) else { return nil }
                // 1xx responses (100 Continue) precede the real one.
                if (100..<200).contains(head.status) { continue }
                return .head(head)
            case .endPending:
                state = .head
                return .end
            case .fixed(let remaining):
                guard let (slice, left) = Self.take(&buffer, upTo: remaining) else { return nil }
                state = left == 0 ? .endPending : .fixed(remaining: left)
                return .body(slice)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkSize:
                guard let line = try readLine(&buffer, limit: 1024) else { return nil }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let (slice, left) = Self.take(&buffer, upTo: remaining) else { return nil }
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(slice)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw Error(message: "chunk without CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try readLine(&buffer, limit: maxHeadBytes) else { return nil }
                if line.readableBytes == 0 {
                    state = .head
                    return .end
                }
            }
        }
    }

    /// Up to `remaining` body bytes as a slice, and how many are still to come; nil when none arrived.
    private static func take(_ buffer: inout ByteBuffer, upTo remaining: Int) -> (ByteBuffer, Int)? {
        let count = min(remaining, buffer.readableBytes)
        guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
        return (slice, remaining - count)
    }

    /// The peer closed: ends a body delimited by the close; anywhere else mid-message it is an error.
    mutating func endOfInput() throws(Error) -> Event? {
        switch state {
        case .head where !headPending: return nil
        case .untilClose:
            state = .head
            return .end
        default:
            throw Error(message: "connection closed in the middle of a response")
        }
    }

    // MARK: - Head

    private mutating func parseHead(_ buffer: inout ByteBuffer, bodyExpected: Bool) throws(Error) -> Head? {
        let scanned = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(Error) in try Self.scanHead(bytes) }
        }
        guard let (framing, length) = try scanned.get() else {
            headPending = buffer.readableBytes > 0
            if buffer.readableBytes > maxHeadBytes {
                throw Error(message: "response head larger than \(maxHeadBytes) bytes")
            }
            return nil
        }
        headPending = false
        // `length` was measured in these readable bytes.
        guard let head = buffer.readSlice(length: length) else { return nil }
        let hasBody = bodyExpected && framing.status != 204 && framing.status != 304 && framing.status >= 200
        if !hasBody {
            state = .endPending
        } else if framing.chunked {
            state = .chunkSize
        } else if let length = framing.contentLength {
            state = length == 0 ? .endPending : .fixed(remaining: length)
        } else {
            state = .untilClose
        }
        let keepAlive = framing.keepAlive && (!hasBody || framing.chunked || framing.contentLength != nil)
        return Head(status: framing.status, keepAlive: keepAlive, bytes: head)
    }

    private struct Framing {
        var status = 0
        var keepAlive = true
        var contentLength: Int?
        var chunked = false
    }

    /// One pass over the head, line by line (memchr finds each LF): the framing and the head's
    /// length, or nil while the empty line that ends it has not arrived.
    private static func scanHead(_ bytes: UnsafeRawBufferPointer) throws(Error) -> (Framing, Int)? {
        guard let base = bytes.baseAddress else { return nil }
        var framing = Framing()
        var http11 = true
        var closeSeen = false
        var keepAliveSeen = false
        var lineStart = 0
        while lineStart < bytes.count {
            guard let found = memchr(base + lineStart, 0x0A, bytes.count - lineStart) else { return nil }
            let lineFeed = UnsafeRawPointer(found) - base
            guard lineFeed > lineStart, bytes[lineFeed - 1] == 0x0D else { throw Error(message: "line without CRLF") }
            let lineEnd = lineFeed - 1
            defer { lineStart = lineFeed + 1 }
            if lineStart == 0 {
                http11 = try statusLine(bytes, lineEnd, into: &framing)
                continue
            }
            if lineEnd == lineStart {
                framing.keepAlive = !closeSeen && (http11 || keepAliveSeen)
                return (framing, lineFeed + 1)
            }
            guard let colon = index(of: 0x3A, in: bytes, from: lineStart, to: lineEnd) else {
                throw Error(message: "header line without ':'")
            }
            let value = trimmed(bytes, colon + 1, lineEnd)
            switch colon - lineStart {
            case 14 where nameEquals(bytes, lineStart, colon, "content-length"):
                guard let length = decimal(bytes, value),
                    framing.contentLength == nil || framing.contentLength == length
                else { throw Error(message: "invalid Content-Length") }
                framing.contentLength = length
            case 17 where nameEquals(bytes, lineStart, colon, "transfer-encoding"):
                framing.chunked = endsWithToken(bytes, value, "chunked")
                if !framing.chunked { throw Error(message: "unsupported Transfer-Encoding") }
            case 10 where nameEquals(bytes, lineStart, colon, "connection"):
                closeSeen = closeSeen || containsToken(bytes, value, "close")
                keepAliveSeen = keepAliveSeen || containsToken(bytes, value, "keep-alive")
            default:
                break
            }
        }
        return nil
    }

    /// Reads "HTTP/1.x SSS ..." into `framing.status`; returns whether the version is 1.1.
    private static func statusLine(
        _ bytes: UnsafeRawBufferPointer, _ end: Int, into framing: inout Framing
    ) throws(Error) -> Bool {
        guard end >= 12, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50,
            bytes[4] == 0x2F, bytes[5] == 0x31, bytes[6] == 0x2E, bytes[8] == 0x20
        else { throw Error(message: "malformed status line") }
        guard bytes[7] == 0x31 || bytes[7] == 0x30 else { throw Error(message: "unsupported HTTP version") }
        for i in 9..<12 {
            guard bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw Error(message: "malformed status code") }
            framing.status = framing.status * 10 + Int(bytes[i] - 0x30)
        }
        return bytes[7] == 0x31
    }

    private static func crlf(in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        while i + 1 < bytes.count {
            if bytes[i] == 0x0D && bytes[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Range<Int> {
        var lower = from
        var upper = to
        while lower < upper && (bytes[lower] == 0x20 || bytes[lower] == 0x09) { lower += 1 }
        while upper > lower && (bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09) { upper -= 1 }
        return lower..<upper
    }

    /// ASCII case-insensitive comparison with a lowercase name.
    private static func nameEquals(
        _ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ name: StaticString
    ) -> Bool {
        guard to - from == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for i in 0..<(to - from) where lowercased(bytes[from + i]) != expected[i] { return false }
        return true
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    private static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for i in range {
            guard bytes[i] >= 0x30 && bytes[i] <= 0x39 else { return nil }
            value = value * 10 + Int(bytes[i] - 0x30)
        }
        return value
    }

    /// Whether the comma-separated list in `range` holds `token` (lowercase), ignoring case.
    private static func containsToken(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ token: StaticString
    ) -> Bool {
        var start = range.lowerBound
        while start < range.upperBound {
            let comma = index(of: 0x2C, in: bytes, from: start, to: range.upperBound) ?? range.upperBound
            let item = trimmed(bytes, start, comma)
            if nameEquals(bytes, item.lowerBound, item.upperBound, token) { return true }
            start = comma + 1
        }
        return false
    }

    /// Whether the last item of the comma-separated list in `range` is `token`.
    private static func endsWithToken(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ token: StaticString
    ) -> Bool {
        var start = range.lowerBound
        while let comma = index(of: 0x2C, in: bytes, from: start, to: range.upperBound) { start = comma + 1 }
        let item = trimmed(bytes, start, range.upperBound)
        return nameEquals(bytes, item.lowerBound, item.upperBound, token)
    }

    // MARK: - Chunks

    private mutating func readLine(_ buffer: inout ByteBuffer, limit: Int) throws(Error) -> ByteBuffer? {
        let end = buffer.withUnsafeReadableBytes { Self.crlf(in: $0, from: 0) }
        guard let end else {
            if buffer.readableBytes > limit { throw Error(message: "chunk or trailer line too long") }
            return nil
        }
        guard let line = buffer.readSlice(length: end) else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    private static func chunkSize(_ line: ByteBuffer) throws(Error) -> Int {
        try line.withUnsafeReadableBytes { bytes throws(Error) -> Int in
            var size = 0
            var digits = 0
            for byte in bytes {
                let value: UInt8
                switch byte {
                case 0x30...0x39: value = byte - 0x30
                case 0x41...0x46: value = byte - 0x41 + 10
                case 0x61...0x66: value = byte - 0x61 + 10
                case 0x3B, 0x20, 0x09: // chunk extensions are ignored
                    guard digits > 0 else { throw Error(message: "malformed chunk size") }
                    return size
                default: throw Error(message: "malformed chunk size")
                }
                digits += 1
                guard digits <= 15 else { throw Error(message: "chunk size too large") }
                size = size << 4 | Int(value)
            }
            guard digits > 0 else { throw Error(message: "malformed chunk size") }
            return size
        }
    }
}
