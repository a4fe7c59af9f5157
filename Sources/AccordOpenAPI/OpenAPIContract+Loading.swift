import AccordDocuments
import AccordJSON
import Foundation

extension OpenAPIContract {
    /// Loads the document at `file` and every file its `$ref`s reach inside `folder` (by default
    /// the document's own folder).
    ///
    /// OpenAPIKit judges the document (structure and semantic rules), but the model is built from
    /// the raw YAML/JSON tree: OpenAPIKit's model has no source positions, does not follow
    /// references into other files without its ExternalLoading machinery, and folds the 3.0 and
    /// 3.1 schema dialects into types where `nullable` and `exclusiveMinimum` lose the distinction
    /// validation needs.
    public static func load(file: URL, folder: URL? = nil) throws(OpenAPILoadError) -> OpenAPIContract {
        let store = DocumentStore(folder: folder ?? file.deletingLastPathComponent())
        let document = try store.document(at: file)
        let (versionText, version) = try detectVersion(document)
        if let problem = OpenAPIKitCheck.problems(document.text, version: version).first {
            throw OpenAPILoadError(.invalidDocument, at: document.location(JSONPointer.make(problem.path)),
                                   problem.message)
        }
        var builder = ModelBuilder(store: store, compiler: SchemaCompiler(store: store, version: version))
        let root = DocumentStore.Located(document: document, pointer: "", value: document.root)
        let operations = try builder.operations(root)
        let components = try builder.componentSchemas(root)
        return OpenAPIContract(
            openapiVersion: versionText, version: version,
            title: document.root["info"]?["title"]?.stringValue ?? "", file: document.file,
            operations: operations, componentSchemas: components, schemas: builder.compiler.set)
    }

    private static func detectVersion(
        _ document: SourceDocument
    ) throws(OpenAPILoadError) -> (String, OpenAPIVersion) {
        guard case .string(let text)? = document.root["openapi"] else {
            let swagger = document.root["swagger"] != nil
            throw OpenAPILoadError(swagger ? .unsupported : .invalidDocument, at: document.location("/openapi"),
                                   swagger ? "Swagger 2.0 is not supported; convert it to OpenAPI 3"
                                       : "missing \"openapi\" version field")
        }
        if text.hasPrefix("3.0.") || text == "3.0" { return (text, .v3_0) }
        if text.hasPrefix("3.1.") || text == "3.1" { return (text, .v3_1) }
        throw OpenAPILoadError(.unsupported, at: document.location("/openapi"),
                               "OpenAPI \(text) is not supported (3.0 and 3.1 are)")
    }
}

/// Walks paths, operations, parameters, bodies and responses of the raw tree, following `$ref`s
/// across files and compiling each schema it meets.
private struct ModelBuilder {
    typealias Located = DocumentStore.Located

    let store: DocumentStore
    var compiler: SchemaCompiler

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    mutating func operations(_ root: Located) throws(OpenAPILoadError) -> [OpenAPIOperation] {
        guard let paths = root.child("paths"), case .object(let items) = paths.value else { return [] }
        var operations: [OpenAPIOperation] = []
        for template in items.keys.sorted() where template.hasPrefix("/") {
            guard let site = paths.child(template) else { continue }
            let item = try store.dereference(site)
            let shared = try parameters(item.child("parameters"))
            for method in Self.methods {
                guard let operation = item.child(method) else { continue }
                operations.append(try self.operation(operation, method: method, template: template, shared: shared))
            }
        }
        return operations
    }

    /// Every schema under `components/schemas`, used by an operation or not.
    mutating func componentSchemas(_ root: Located) throws(OpenAPILoadError) -> [String: SchemaID] {
        guard let schemas = root.child("components")?.child("schemas"), case .object(let named) = schemas.value
        else { return [:] }
        var result: [String: SchemaID] = [:]
        for name in named.keys.sorted() {
            guard let site = schemas.child(name) else { continue }
            result[name] = try compiler.compile(site)
        }
        return result
    }

    private mutating func operation(
        _ site: Located, method: String, template: String, shared: [OpenAPIParameter]
    ) throws(OpenAPILoadError) -> OpenAPIOperation {
        let own = try parameters(site.child("parameters"))
        let merged = shared.filter { p in !own.contains { $0.name == p.name && $0.place == p.place } } + own
        var responses: [OpenAPIResponseKey: OpenAPIResponse] = [:]
        if let declared = site.child("responses"), case .object(let byStatus) = declared.value {
            for status in byStatus.keys.sorted() {
                guard let key = Self.responseKey(status), let response = declared.child(status) else { continue }
                responses[key] = try self.response(response)
            }
        }
        return OpenAPIOperation(
            method: method.uppercased(), path: template, operationId: site.value["operationId"]?.stringValue,
            parameters: merged, requestBody: try site.child("requestBody").map { b throws(OpenAPILoadError) in
                try requestBody(b)
            }, responses: responses, location: site.location)
    }

    private mutating func parameters(_ list: Located?) throws(OpenAPILoadError) -> [OpenAPIParameter] {
        guard let list, case .array(let items) = list.value else { return [] }
        var result: [OpenAPIParameter] = []
        for index in items.indices {
            guard let entry = list.child(index) else { continue }
            let site = try store.dereference(entry)
            guard let name = site.value["name"]?.stringValue, let placeText = site.value["in"]?.stringValue,
                let place = OpenAPIParameter.Place(rawValue: placeText)
            else {
                throw OpenAPILoadError(.invalidDocument, at: site.location, "a parameter needs \"name\" and \"in\"")
            }
            var schema: SchemaID?
            if let declared = site.child("schema") {
                schema = try compiler.compile(declared)
            } else {
                let byType = try content(site.child("content")).schemas
                schema = byType.keys.sorted().first.flatMap { byType[$0] } ?? nil
            }
            result.append(OpenAPIParameter(
                name: name, place: place, required: site.value["required"] == .bool(true) || place == .path,
                schema: schema, location: site.location))
        }
        return result
    }

    private mutating func requestBody(_ entry: Located) throws(OpenAPILoadError) -> OpenAPIRequestBody {
        let site = try store.dereference(entry)
        return OpenAPIRequestBody(
            required: site.value["required"] == .bool(true), content: try content(site.child("content")),
            location: site.location)
    }

    private mutating func response(_ entry: Located) throws(OpenAPILoadError) -> OpenAPIResponse {
        let site = try store.dereference(entry)
        return OpenAPIResponse(
            description: site.value["description"]?.stringValue ?? "", content: try content(site.child("content")),
            location: site.location)
    }

    private mutating func content(_ site: Located?) throws(OpenAPILoadError) -> OpenAPIContent {
        guard let site, case .object(let types) = site.value else { return OpenAPIContent(schemas: [:]) }
        var result: [String: SchemaID?] = [:]
        for mediaType in types.keys.sorted() {
            let schema = site.child(mediaType)?.child("schema")
            result[mediaType] = try schema.map { s throws(OpenAPILoadError) in try compiler.compile(s) }
        }
        return OpenAPIContent(schemas: result)
    }

    private static func responseKey(_ status: String) -> OpenAPIResponseKey? {
        if status == "default" { return .default }
        if let code = Int(status), (100...599).contains(code) { return .code(code) }
        let upper = status.uppercased()
        if upper.count == 3, upper.hasSuffix("XX"), let hundreds = Int(upper.prefix(1)), (1...5).contains(hundreds) {
            return .range(hundreds)
        }
        return nil
    }
}
