import AccordJSON

extension JSONValue {
    /// The member at a dotted path through nested objects (`order.id`); nil when any step is
    /// missing or not an object.
    func member(atPath path: String) -> JSONValue? {
        var current: JSONValue? = self
        for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
            current = current?[String(segment)]
        }
        return current
    }

    /// Whether a request carries the field at a dotted path. Proto3 JSON leaves zero values out,
    /// so an empty string or list counts as absent; a path through a list (`items.sku`) needs
    /// the rest of the path in every element.
    func hasValue(atPath path: String) -> Bool {
        hasValue(at: path.split(separator: ".", omittingEmptySubsequences: false)[...])
    }

    private func hasValue(at path: ArraySlice<Substring>) -> Bool {
        guard let first = path.first else { return !isEmptyValue }
        switch self {
        case .object(let members):
            guard let next = members[String(first)], !next.isEmptyValue else { return false }
            return next.hasValue(at: path.dropFirst())
        case .array(let items):
            return !items.isEmpty && items.allSatisfy { $0.hasValue(at: path) }
        default:
            return false
        }
    }

    private var isEmptyValue: Bool {
        switch self {
        case .null: true
        case .string(let text): text.isEmpty
        case .array(let items): items.isEmpty
        default: false
        }
    }
}
