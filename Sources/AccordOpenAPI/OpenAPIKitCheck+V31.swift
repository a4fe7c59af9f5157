import OpenAPIKit

extension OpenAPIKitCheck {
    /// Decodes and validates `text` as an OpenAPI 3.1 document.
    static func problems31(_ text: String) -> [Problem] {
        problems(
            text, as: OpenAPI.Document.self,
            describe: { error in
                let described = OpenAPI.Error(from: error)
                return Problem(path: tokens(described.codingPath), message: described.localizedDescription)
            },
            validate: { try $0.validate(strict: false) },
            validationProblems: { error in
                (error as? ValidationErrorCollection)?.values.map {
                    Problem(path: tokens($0.codingPath), message: $0.reason)
                }
            })
    }
}
