import AccordJSON
import NIOCore
import NIOHTTP1

/// One request as a route handler sees it: the whole body has arrived and the route matched.
public struct HTTPServerRequest: Sendable {
    public let method: HTTPMethod
    /// The request target as sent (`/orders/42?verbose=1`).
    public let uri: String
    /// The path part of the target, still percent-encoded.
    public let path: Substring
    /// The template of the route that matched (`/orders/{order_id}`).
    public let route: String
    /// Template parameters, percent-decoded: `["order_id": "42"]`.
    public let pathParameters: [String: String]
    /// Query items in order, percent-decoded (`+` is a space).
    public let queryItems: [(name: String, value: String)]
    public let headers: HTTPHeaders
    public let body: ByteBuffer

    /// The first query item called `name`.
    public func query(_ name: String) -> String? {
        queryItems.first(where: { $0.name == name })?.value
    }

    /// The body parsed as JSON; a malformed body throws a 400 whose message gives the parser's reason.
    public func jsonBody() throws(HTTPError) -> JSONValue {
        guard body.readableBytes > 0 else { throw HTTPError(.badRequest, "request body is empty, expected JSON") }
        do {
            return try body.withUnsafeReadableBytes { bytes throws(JSONParser.Error) in
                try JSONParser.parse(bytes)
            }
        } catch {
            throw HTTPError(.badRequest, "malformed JSON body: \(error.description)")
        }
    }
}

extension HTTPServerRequest {
    /// Splits a query string into percent-decoded items.
    static func parseQuery(_ query: Substring) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(pair[0], plusIsSpace: true)
            let value = pair.count > 1 ? percentDecoded(pair[1], plusIsSpace: true) : ""
            return (name, value)
        }
    }

    /// Percent-decodes `text`; a malformed escape is kept as written rather than rejected.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) })
        else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i != utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "%"),
                let h = utf8.index(i, offsetBy: 1, limitedBy: utf8.endIndex), h != utf8.endIndex,
                let l = utf8.index(h, offsetBy: 1, limitedBy: utf8.endIndex), l != utf8.endIndex,
                let hi = hexValue(utf8[h]), let lo = hexValue(utf8[l])
            {
                bytes.append(hi << 4 | lo)
                i = utf8.index(after: l)
                continue
            }
            bytes.append(plusIsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
            i = utf8.index(after: i)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
