import NIOCore
import NIOHTTP1

/// A request encoded once into the exact bytes that go on the wire, so sending it again costs a
/// reference count, not an encoding.
public struct HTTPClientRequest: Sendable {
    /// Request line, headers and body.
    public let bytes: ByteBuffer
    /// False for HEAD: the response carries no body whatever its headers say.
    public let expectsResponseBody: Bool

    /// `Host` is `authority`; `Content-Length` is added for a body (or for POST, PUT and PATCH).
    public init(
        method: HTTPMethod = .GET, path: String, authority: String,
        headers: [(name: String, value: String)] = [], body: ByteBuffer? = nil
    ) {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64 + path.utf8.count + (body?.readableBytes ?? 0))
        buffer.writeString(method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(path)
        buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
        buffer.writeString(authority)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        let needsLength = body != nil || method == .POST || method == .PUT || method == .PATCH
        if needsLength {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(body?.readableBytes ?? 0))
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        if var body { buffer.writeBuffer(&body) }
        self.bytes = buffer
        self.expectsResponseBody = method != .HEAD
    }
}
