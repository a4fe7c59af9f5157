import AccordContracts
import AccordDocuments

extension LoadProfile {
    /// Resolves every `${entry.path}` placeholder: `entry` must be a `call:` entry of the mix and
    /// `path` a field of its response; that entry then captures the value from its successful
    /// responses. The longest entry name that matches wins (`${orders.CreateOrder.order.id}`).
    static func resolveCaptures(_ r: inout DocumentReader, in mix: inout [MixEntry]) {
        let names = mix.map(\.name)
        let longestFirst = names.indices.sorted { names[$0].count > names[$1].count }
        for entry in mix {
            guard case .contract(let call) = entry.target else {
                rejectCaptures(&r, in: entry)
                continue
            }
            for reference in Set(call.templates.flatMap(\.captures)).sorted() {
                guard let source = longestFirst.first(where: { reference.hasPrefix(names[$0] + ".") }) else {
                    let first = reference.split(separator: ".").first.map(String.init) ?? reference
                    r.report(
                        call.payloadPointer,
                        "${\(reference)}: no mix entry is named \"\(first)\"\(hint(first, among: names))")
                    continue
                }
                let path = reference.dropFirst(names[source].count + 1).split(separator: ".").map(String.init)
                guard case .contract(var sourceCall) = mix[source].target else {
                    r.report(
                        call.payloadPointer,
                        "${\(reference)}: values are captured from call: entries only, "
                            + "and \(names[source]) is not one")
                    continue
                }
                let resolved: [String]
                switch responsePath(path, of: sourceCall) {
                case .success(let fields): resolved = fields
                case .failure(let problem):
                    r.report(call.payloadPointer, "${\(reference)}: \(problem.message)")
                    continue
                }
                let rule = CaptureRule(reference: reference, path: resolved)
                if !sourceCall.captures.contains(rule) { sourceCall.captures.append(rule) }
                mix[source].target = .contract(sourceCall)
            }
        }
    }

    /// `grpc:` and `http:` entries do not know their responses' types: no captures there.
    private static func rejectCaptures(_ r: inout DocumentReader, in entry: MixEntry) {
        let pointer = entry.location.pointer
        switch entry.target {
        case .grpc(_, _, _, let request, _):
            if let reference = request.captures.first {
                r.report(
                    pointer + "/grpc/request", "${\(reference)}: captured values work in call: and publish: entries")
            }
        case .http(_, _, _, _, let path, _, let body):
            let pathCaptures = (try? PayloadTemplate(.string(path)))?.captures ?? []
            if let reference = (pathCaptures + (body?.captures ?? [])).first {
                r.report(pointer + "/http", "${\(reference)}: captured values work in call: and publish: entries")
            }
        case .contract:
            break
        }
    }

    struct PathProblem: Error {
        let message: String
    }

    /// `path` checked against the response of `call`, with each field under its proto name (the
    /// form captured responses are read in).
    private static func responsePath(_ path: [String], of call: ContractCall) -> Result<[String], PathProblem> {
        switch (call.kind, call.response) {
        case (.publish, _):
            .failure(PathProblem(message: "\(call.interaction) is a publish: it has no response to capture from"))
        case (_, nil):
            .failure(PathProblem(message: "\(call.interaction) declares no JSON success response"))
        case (_, let shape?):
            fieldPath(path, in: shape)
        }
    }

    static func fieldPath(_ path: [String], in shape: SchemaShape) -> Result<[String], PathProblem> {
        var current = shape
        var resolved: [String] = []
        for (index, segment) in path.enumerated() {
            guard let field = current.field(named: segment) else {
                // An object that declares no members may hold anything.
                if current.fields.isEmpty && current.isOpen { return .success(resolved + path[index...]) }
                let names = current.fields.map(\.name)
                return .failure(
                    PathProblem(
                        message: "\(current.name) has no field \"\(segment)\"\(hint(segment, among: names))"))
            }
            resolved.append(field.name)
            switch field.type {
            case .object(let nested):
                current = nested
            case .recursive, .map, .any:
                return .success(resolved + path[(index + 1)...])
            default:
                if index + 1 < path.count {
                    let next = path[index + 1]
                    let message = "\(current.name).\(field.name) is \(field.type): it has no field \"\(next)\""
                    return .failure(PathProblem(message: message))
                }
            }
        }
        return .success(resolved)
    }
}
