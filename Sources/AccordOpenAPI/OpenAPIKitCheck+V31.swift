import OpenAPIKit
import Yams

extension OpenAPIKitCheck {
    /// Decodes and validates `text` as an OpenAPI 3.1 document.
    static func problems31(_ text: String) -> [Problem] {
        let document: OpenAPIKit.OpenAPI.Document
        do {
            document = try YAMLDecoder().decode(OpenAPIKit.OpenAPI.Document.self, from: text)
        } catch {
            let described = OpenAPIKit.OpenAPI.Error(from: error)
            return [Problem(path: tokens(described.codingPath), message: described.localizedDescription)]
        }
        do {
            try document.validate(strict: false)
        } catch let collection as OpenAPIKit.ValidationErrorCollection {
            return collection.values.map { Problem(path: tokens($0.codingPath), message: $0.reason) }
        } catch {
            return [Problem(path: [], message: "\(error)")]
        }
        return []
    }
}
