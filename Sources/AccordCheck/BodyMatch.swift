import AccordJSON

/// `expect.body` of an example: every member it gives must be in the response with that value,
/// recursively; lists match element by element. A number and a string holding the same literal
/// match (proto3 JSON writes 64-bit integers as strings).
enum BodyMatch {
    struct Mismatch: Equatable {
        /// Dotted path of the first member that differs.
        let path: String
        let expected: String
        let actual: String
    }

    static func firstMismatch(expected: JSONValue, actual: JSONValue, path: String = "") -> Mismatch? {
        switch (expected, actual) {
        case (.object(let wanted), .object(let members)):
            for (key, expected) in wanted.sorted(by: { $0.key < $1.key }) {
                let inner = path.isEmpty ? key : path + "." + key
                guard let value = members[key] else {
                    return Mismatch(path: inner, expected: "\(inner) = \(expected.jsonText)", actual: "no \(inner)")
                }
                if let mismatch = firstMismatch(expected: expected, actual: value, path: inner) { return mismatch }
            }
            return nil
        case (.array(let wanted), .array(let items)):
            guard wanted.count <= items.count else {
                let name = path.isEmpty ? "the body" : path
                return Mismatch(path: path, expected: "\(name) with \(wanted.count) items",
                                actual: items.count == 1 ? "1 item" : "\(items.count) items")
            }
            for (index, item) in wanted.enumerated() {
                let inner = path.isEmpty ? "\(index)" : "\(path).\(index)"
                if let mismatch = firstMismatch(expected: item, actual: items[index], path: inner) {
                    return mismatch
                }
            }
            return nil
        case (.number(let number), .string(let text)), (.string(let text), .number(let number)):
            return number.literal == text ? nil : difference(expected, actual, path)
        default:
            return expected == actual ? nil : difference(expected, actual, path)
        }
    }

    private static func difference(_ expected: JSONValue, _ actual: JSONValue, _ path: String) -> Mismatch {
        let name = path.isEmpty ? "the body" : path
        return Mismatch(path: path, expected: "\(name) = \(expected.jsonText)", actual: "\(name) = \(actual.jsonText)")
    }
}
