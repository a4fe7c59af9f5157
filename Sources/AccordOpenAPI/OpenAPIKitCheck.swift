import Yams

/// OpenAPIKit's verdict on a whole document: decoding finds structural errors (a parameter `in`
/// an unknown place, a missing field), validation finds semantic ones (duplicate operation ids,
/// `$ref`s to missing components). Each problem has the coding path inside the document, which
/// the loader turns into a JSON pointer and a line.
enum OpenAPIKitCheck {
    struct Problem {
        let path: [String]
        let message: String
    }

    static func problems(_ text: String, version: OpenAPIVersion) -> [Problem] {
        switch version {
        case .v3_0: problems30(text)
        case .v3_1: problems31(text)
        }
    }

    /// Decodes `text` as `Document`, then validates it; the two OpenAPIKit modules share this
    /// shape but not their types, so each passes its own.
    static func problems<Document: Decodable>(
        _ text: String, as type: Document.Type, describe: (Error) -> Problem,
        validate: (Document) throws -> Void, validationProblems: (Error) -> [Problem]?
    ) -> [Problem] {
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: text)
        } catch {
            return [describe(error)]
        }
        do {
            try validate(document)
        } catch {
            return validationProblems(error) ?? [Problem(path: [], message: "\(error)")]
        }
        return []
    }

    static func tokens(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
    }
}
