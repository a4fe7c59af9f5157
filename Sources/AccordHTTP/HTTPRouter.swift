import NIOHTTP1

/// Routes requests by method and OpenAPI-style path template (`/orders/{order_id}`,
/// `/reports/{id}.json`) to async handlers. Built once, then shared read-only by every connection.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse

    /// A template the router cannot use, with the reason.
    public struct TemplateError: Error, Sendable, CustomStringConvertible {
        public let template: String
        public let reason: String
        public var description: String { "path template \"\(template)\": \(reason)" }
    }

    struct Route: Sendable {
        let method: HTTPMethod
        let template: PathTemplate
        let handler: Handler
    }

    /// What the router found for a method and path.
    enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists, but not for this method: the methods it does have, for `Allow`.
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. A more literal template wins over a templated one (`/orders/mine` before
    /// `/orders/{id}`), whatever the order they were added in.
    public mutating func add(
        _ method: HTTPMethod, _ template: String, handler: @escaping Handler
    ) throws(TemplateError) {
        let parsed = try PathTemplate(template)
        if routes.contains(where: { $0.method == method && $0.template.shape == parsed.shape }) {
            throw TemplateError(template: template, reason: "a route for \(method) with this shape exists already")
        }
        routes.append(Route(method: method, template: parsed, handler: handler))
        routes.sort { $0.template.specificity.lexicographicallyPrecedes($1.template.specificity) }
    }

    func match(method: HTTPMethod, path: Substring) -> Match {
        var allowed: [HTTPMethod] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for route in routes {
            guard let parameters = route.template.match(segments) else { continue }
            // HEAD is GET without the body (RFC 9110 9.3.2).
            if route.method == method || (method == .HEAD && route.method == .GET) {
                return .found(route, parameters: parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}

/// A parsed path template: per segment either a literal, or a parameter with an optional
/// literal prefix and suffix.
struct PathTemplate: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, prefix: String, suffix: String)
    }

    let text: String
    let segments: [Segment]

    /// Literal segments sort before parameters, so the most specific template is tried first.
    var specificity: [Int] { segments.map { if case .literal = $0 { 0 } else { 1 } } }

    /// The template with parameter names erased: two templates with one shape match the same paths.
    var shape: [Segment] {
        segments.map {
            if case .parameter(_, let p, let s) = $0 { .parameter(name: "", prefix: p, suffix: s) } else { $0 }
        }
    }

    init(_ text: String) throws(HTTPRouter.TemplateError) {
        guard text.hasPrefix("/") else { throw .init(template: text, reason: "must start with '/'") }
        self.text = text
        var segments: [Segment] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let open = raw.firstIndex(of: "{") else {
                if raw.contains("}") { throw .init(template: text, reason: "unmatched '}' in \"\(raw)\"") }
                segments.append(.literal(String(raw)))
                continue
            }
            guard let close = raw[open...].firstIndex(of: "}") else {
                throw .init(template: text, reason: "unclosed '{' in \"\(raw)\"")
            }
            let name = raw[raw.index(after: open)..<close]
            let suffix = raw[raw.index(after: close)...]
            guard !name.isEmpty else { throw .init(template: text, reason: "empty parameter name in \"\(raw)\"") }
            guard !suffix.contains("{"), !suffix.contains("}"), !raw[..<open].contains("}") else {
                throw .init(template: text, reason: "one parameter per segment at most: \"\(raw)\"")
            }
            segments.append(.parameter(name: String(name), prefix: String(raw[..<open]), suffix: String(suffix)))
        }
        self.segments = segments
    }

    func match(_ path: ArraySlice<Substring>) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, actual) in zip(segments, path) {
            switch segment {
            case .literal(let literal):
                guard actual == literal else { return nil }
            case .parameter(let name, let prefix, let suffix):
                guard actual.count > prefix.count + suffix.count, actual.hasPrefix(prefix), actual.hasSuffix(suffix)
                else { return nil }
                let value = actual.dropFirst(prefix.count).dropLast(suffix.count)
                parameters[name] = HTTPServerRequest.percentDecoded(value, plusIsSpace: false)
            }
        }
        return parameters
    }
}
