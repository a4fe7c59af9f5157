import OpenAPIKit30
import Yams

extension OpenAPIKitCheck {
    /// Decodes and validates `text` as an OpenAPI 3.0 document.
    static func problems30(_ text: String) -> [Problem] {
        let document: OpenAPIKit30.OpenAPI.Document
        do {
            document = try YAMLDecoder().decode(OpenAPIKit30.OpenAPI.Document.self, from: text)
        } catch {
            let described = OpenAPIKit30.OpenAPI.Error(from: error)
            return [Problem(path: tokens(described.codingPath), message: described.localizedDescription)]
        }
        do {
            try document.validate(strict: false)
        } catch let collection as OpenAPIKit30.ValidationErrorCollection {
            return collection.values.map { Problem(path: tokens($0.codingPath), message: $0.reason) }
        } catch {
            return [Problem(path: [], message: "\(error)")]
        }
        return []
    }
}
