import OpenAPIKit
import OpenAPIKit30
import Yams

/// OpenAPIKit's verdict on a whole document: decoding finds structural errors (a parameter `in`
/// an unknown place, a missing field), validation finds semantic ones (duplicate operation ids,
/// `$ref`s to missing components). Each problem has the coding path inside the document, which
/// the loader turns into a JSON pointer and a line. Both OpenAPIKit modules declare `OpenAPI`,
/// so their names are written in full here.
enum OpenAPIKitCheck {
    struct Problem {
        let path: [String]
        let message: String
    }

    static func problems(_ text: String, version: OpenAPIVersion) -> [Problem] {
        switch version {
        case .v3_0: problems(text, as: OpenAPIKit30.OpenAPI.Document.self) { try $0.validate(strict: false) }
        case .v3_1: problems(text, as: OpenAPIKit.OpenAPI.Document.self) { try $0.validate(strict: false) }
        }
    }

    private static func problems<Document: Decodable>(
        _ text: String, as type: Document.Type, validate: (Document) throws -> Void
    ) -> [Problem] {
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: text)
        } catch {
            // One error type (OpenAPIKitCore's) for both versions.
            let described = OpenAPIKit.OpenAPI.Error(from: error)
            return [Problem(path: tokens(described.codingPath), message: described.localizedDescription)]
        }
        do {
            try validate(document)
        } catch let collection as OpenAPIKit.ValidationErrorCollection {
            return collection.values.map { Problem(path: tokens($0.codingPath), message: $0.reason) }
        } catch let collection as OpenAPIKit30.ValidationErrorCollection {
            return collection.values.map { Problem(path: tokens($0.codingPath), message: $0.reason) }
        } catch {
            return [Problem(path: [], message: "\(error)")]
        }
        return []
    }

    private static func tokens(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
    }
}
