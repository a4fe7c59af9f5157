@testable import AccordHTTP
import NIOHTTP1
import Testing

@Suite struct HTTPRouterTests {
    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        for (method, template) in [
            (HTTPMethod.GET, "/orders/{order_id}"), (.DELETE, "/orders/{id}"), (.GET, "/orders/mine"),
            (.GET, "/reports/{name}.json"), (.POST, "/orders"),
        ] {
            try router.add(method, template) { _ in HTTPServerResponse() }
        }
        return router
    }

    static func route(_ router: HTTPRouter, _ method: HTTPMethod, _ path: String) -> String {
        switch router.match(method: method, path: Substring(path)) {
        case .found(let route, let parameters):
            let sorted = parameters.sorted { $0.key < $1.key }
            return route.template.text + sorted.map { " \($0.key)=\($0.value)" }.joined()
        case .methodNotAllowed(let allowed): return "405 " + allowed.map(\.rawValue).joined(separator: ",")
        case .notFound: return "404"
        }
    }

    @Test(arguments: [
        (HTTPMethod.GET, "/orders/42", "/orders/{order_id} order_id=42"),
        (.GET, "/orders/mine", "/orders/mine"),
        (.GET, "/orders/a%2Fb%20c", "/orders/{order_id} order_id=a/b c"),
        (.DELETE, "/orders/7", "/orders/{id} id=7"),
        (.HEAD, "/orders/7", "/orders/{order_id} order_id=7"),
        (.GET, "/reports/q1.json", "/reports/{name}.json name=q1"),
        (.GET, "/reports/.json", "404"),
        (.PUT, "/orders/7", "405 GET,DELETE"),
        (.GET, "/orders", "405 POST"),
        (.GET, "/orders/7/items", "404"),
        (.GET, "/", "404"),
    ])
    func routesByMethodAndTemplate(method: HTTPMethod, path: String, expected: String) throws {
        #expect(Self.route(try Self.router(), method, path) == expected)
    }

    @Test(arguments: ["orders", "/a/{", "/a/{}", "/a/{x}{y}", "/a/b}"])
    func rejectsBadTemplates(template: String) {
        var router = HTTPRouter()
        #expect(throws: HTTPRouter.TemplateError.self) { try router.add(.GET, template) { _ in HTTPServerResponse() } }
    }

    @Test func rejectsTwoRoutesForTheSamePaths() throws {
        var router = try Self.router()
        #expect(throws: HTTPRouter.TemplateError.self) {
            try router.add(.GET, "/orders/{other}") { _ in HTTPServerResponse() }
        }
    }

    @Test func parsesQueries() {
        let items = HTTPServerRequest.parseQuery("a=1&b=x+y&c=%E2%9C%93&d&=e&bad=%zz")
        #expect(items.map { "\($0.name)=\($0.value)" } == ["a=1", "b=x y", "c=✓", "d=", "=e", "bad=%zz"])
    }
}
