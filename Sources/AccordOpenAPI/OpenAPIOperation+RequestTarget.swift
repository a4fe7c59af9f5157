import Foundation

extension OpenAPIOperation {
    /// The request target for these parameter values: the path template with its `{name}`
    /// parameters filled in, the others as the query (in the order given), all percent-encoded.
    public func requestTarget(_ parameters: [(name: String, value: String)]) -> String {
        var target = path
        var query: [String] = []
        for (name, value) in parameters {
            if target.contains("{\(name)}") {
                target = target.replacingOccurrences(of: "{\(name)}", with: Self.encoded(value, .pathSegment))
            } else {
                query.append("\(Self.encoded(name, .queryPart))=\(Self.encoded(value, .queryPart))")
            }
        }
        return query.isEmpty ? target : target + "?" + query.joined(separator: "&")
    }

    enum URLPart {
        case pathSegment, queryPart
    }

    /// Percent-encodes what may not stand in a path segment or a query name or value.
    static func encoded(_ text: String, _ part: URLPart) -> String {
        // ASCII only: `alphanumerics` would let other scripts' letters through unencoded.
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        if part == .pathSegment { allowed.insert(charactersIn: "!$&'()*+,;=:@") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
