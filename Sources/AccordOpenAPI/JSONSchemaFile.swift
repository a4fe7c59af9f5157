import AccordDocuments
import AccordJSON
import Foundation

/// A standalone JSON Schema file (a queue message's body, a consumer's copy of a producer's
/// schema), compiled with the OpenAPI 3.1 dialect: JSON Schema 2020-12.
public struct JSONSchemaFile: Sendable {
    /// The file as given to `load`, relative to its folder.
    public let file: String
    public let schemas: SchemaSet
    public let root: SchemaID

    /// Loads `file` and every file its `$ref`s reach inside `folder` (by default the file's own
    /// folder); references may not leave the folder.
    public static func load(file: URL, folder: URL? = nil) throws(OpenAPILoadError) -> JSONSchemaFile {
        let store = DocumentStore(folder: folder ?? file.deletingLastPathComponent())
        let document = try store.document(at: file)
        var compiler = SchemaCompiler(store: store, version: .v3_1)
        let root = try compiler.compile(DocumentStore.Located(document: document, pointer: "", value: document.root))
        return JSONSchemaFile(file: document.file, schemas: compiler.set, root: root)
    }

    /// Every violation of the root schema by `value`.
    public func validate(_ value: JSONValue) -> [SchemaViolation] {
        schemas.validate(value, against: root)
    }
}
