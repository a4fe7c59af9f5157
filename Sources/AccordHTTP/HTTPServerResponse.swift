import AccordJSON
import NIOCore
import NIOHTTP1

/// A complete response from a route handler. The server adds `Content-Length` and `Connection`.
public struct HTTPServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response (`Content-Type: application/json`).
    public static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> HTTPServerResponse {
        HTTPServerResponse(
            status: status,
            headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: value.jsonText)
        )
    }

    /// The JSON error body every failure uses: `{"error": {"status": 404, "message": "..."}}`.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPServerResponse {
        json(["error": ["status": .number(JSONNumber(Int(status.code))), "message": .string(message)]], status: status)
    }
}

/// An error a handler throws to answer with a given status and a JSON error body.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponseStatus
    public let message: String

    public init(_ status: HTTPResponseStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(status.reasonPhrase): \(message)" }
}
