/// OpenAPIKit's verdict on a whole document: decoding finds structural errors (a response
/// without `description`, an unknown parameter location), validation finds semantic ones
/// (duplicate operation ids, `$ref`s to missing components). Each problem has the coding path
/// inside the document, which the loader turns into a JSON pointer and a line.
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

    static func tokens(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
    }
}
