/// `${name}` placeholders in contract strings.
enum Placeholders {
    /// The names inside `${...}`, in order.
    static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The generators of payload templates (as in load profiles): `seq`, `uuid`, `random_int(a,b)`,
    /// `pick(a,b,...)`.
    static func isGenerator(_ name: String) -> Bool {
        name == "seq" || name == "uuid" || name.hasPrefix("random_int(") || name.hasPrefix("pick(")
    }
}
