import Foundation
import AccordOpenAPI

/// The request target of a REST example: the operation's path template with its path
/// parameters filled in (percent-encoded), the other parameters as the query.
enum RequestPath {
    static func fill(_ operation: OpenAPIOperation, _ params: [String: String]) -> String {
        var path = operation.path
        var query: [String] = []
        for name in params.keys.sorted() {
            let value = params[name] ?? ""
            if path.contains("{\(name)}") {
                path = path.replacingOccurrences(of: "{\(name)}", with: encode(value))
            } else {
                query.append("\(encode(name))=\(encode(value))")
            }
        }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes.
    static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
