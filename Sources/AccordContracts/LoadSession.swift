import AccordDocuments
import AccordOpenAPI
import AccordProto
import Foundation

/// One load of one system: the YAML being read, the diagnostics found so far, and what earlier
/// phases resolved (interfaces before events, both before the edges that refer to them).
final class LoadSession {
    static let topKeys = ["system", "description", "services", "events"]
    static let serviceKeys = [
        "description", "grpc", "rest", "publishes", "consumes", "run", "command", "env", "ready", "address",
        "replicas", "reference", "examples",
    ]

    /// What phase 1 learned about a service.
    struct Declared {
        let name: String
        let node: YAMLNode
        let mapping: YAMLMapping
        var grpc: GRPCInterface?
        var rest: RESTInterface?
        /// An interface was declared but failed to load: references to it are not reported again.
        var broken: Set<ServiceInterface> = []
        var publishes: [NamedReference] = []
    }

    let folder: URL
    let displayFolder: String
    let document: SourceDocument
    let compiler: ProtoCompiler
    let log = DiagnosticLog()
    var read: YAMLReader { YAMLReader(log: log) }

    var declared: [Declared] = []
    var events: [ContractEvent] = []
    /// Events declared but not loadable: edges to them are not reported again.
    var brokenEvents: Set<String> = []
    var systemName = ""
    private var protoCache: [String: ProtoSchema?] = [:]

    init(folder: URL, displayFolder: String, document: SourceDocument, compiler: ProtoCompiler) {
        self.folder = folder
        self.displayFolder = displayFolder
        self.document = document
        self.compiler = compiler
    }

    func load() -> ContractSystem? {
        let root = YAMLNode(document: document)
        guard let top = read.mapping(root, allowed: Self.topKeys, required: ["system", "services"]) else { return nil }
        // The name becomes report folders and queue names: the same rule as service names.
        let name = top["system"].flatMap { node in
            read.string(node).flatMap { checkName($0, node: node, what: "system") ? $0 : nil }
        }
        systemName = name ?? ""
        let summary = top["description"].flatMap(read.string)

        for (serviceName, node) in mappingMembers(top["services"]) {
            guard checkName(serviceName, node: node, what: "service"),
                let mapping = read.mapping(node, allowed: Self.serviceKeys)
            else { continue }
            declared.append(declareService(serviceName, node: node, mapping: mapping))
        }
        for (eventName, node) in mappingMembers(top["events"]) {
            if let event = loadEvent(eventName, node: node) {
                events.append(event)
            } else {
                brokenEvents.insert(eventName)
            }
        }
        let services = declared.map(loadService)
        guard let name else { return nil }
        return ContractSystem(name: name, summary: summary, folder: folder, displayFolder: displayFolder,
                              location: top["system"]?.location ?? root.location, services: services, events: events)
    }

    /// The members of an optional mapping-valued key.
    func mappingMembers(_ node: YAMLNode?) -> [(key: String, node: YAMLNode)] {
        guard let node else { return [] }
        guard case .object = node.value else {
            log.error(node, "expected a mapping, found \(node.kindName)")
            return []
        }
        return node.members
    }

    /// Service names appear in references (`orders.CreateOrder`) and placeholders: no dots or spaces.
    private func checkName(_ name: String, node: YAMLNode, what: String) -> Bool {
        let allowed = name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_"
        }
        guard allowed, !name.isEmpty else {
            log.error(node, "\(what) name \"\(name)\" may hold only letters, digits, - and _")
            return false
        }
        return true
    }

    func declaredService(_ name: String) -> Declared? { declared.first { $0.name == name } }

    func event(named name: String) -> ContractEvent? { events.first { $0.name == name } }

    /// A service, or a diagnostic naming the closest one.
    func service(_ name: String, at node: YAMLNode) -> Declared? {
        if let found = declaredService(name) { return found }
        let hint = NearMiss.closest(to: name, among: declared.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
        log.error(node, "no service \"\(name)\" in this system\(hint)")
        return nil
    }

    /// An event, or a diagnostic naming the closest one (silent when the event itself failed to load).
    func eventReference(_ name: String, at node: YAMLNode) -> ContractEvent? {
        if let found = event(named: name) { return found }
        if brokenEvents.contains(name) { return nil }
        let hint = NearMiss.closest(to: name, among: events.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
        log.error(node, "no event \"\(name)\" under events\(hint)")
        return nil
    }

    // MARK: Files

    /// A file named by the contract: relative, inside the system folder, existing.
    func file(_ node: YAMLNode) -> (relative: String, url: URL)? {
        guard let text = read.string(node) else { return nil }
        guard let (relative, url) = inside(text, node: node) else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
        else {
            log.error(node, "no such file: \(relative)")
            return nil
        }
        return (relative, url)
    }

    func directory(_ node: YAMLNode) -> URL? {
        guard let text = read.string(node), let (relative, url) = inside(text, node: node) else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            log.error(node, "no such folder: \(relative)")
            return nil
        }
        return url
    }

    private func inside(_ text: String, node: YAMLNode) -> (String, URL)? {
        guard !text.hasPrefix("/") else {
            log.error(node, "\"\(text)\" is absolute: paths are relative to the system folder")
            return nil
        }
        let url = folder.appendingPathComponent(text).standardizedFileURL
        if url.path == folder.path { return (".", url) }
        guard let relative = ContractPaths.relative(url.path, to: folder) else {
            log.error(node, "\"\(text)\" leaves the system folder (paths may not go above \(displayFolder))")
            return nil
        }
        return (relative, url)
    }

    /// A location made relative to the system folder (protoc names files relative to their import root).
    func locate(_ location: SourceLocation?) -> SourceLocation? {
        guard let location, let path = location.path, let relative = ContractPaths.relative(path, to: folder),
            relative != location.file
        else { return location }
        return SourceLocation(file: relative, path: path, pointer: location.pointer, line: location.line,
                              column: location.column)
    }

    // MARK: Schemas

    /// Compiles the .proto files `protos` names (a path or a list) with `importPaths` (the system
    /// folder unless given). protoc's diagnostics become the load's, at their own file and line.
    func compileProtos(_ protos: YAMLNode, importPaths: YAMLNode?)
        -> (files: [String], roots: [String], ProtoSchema)?
    {
        guard let entries = read.strings(protos, single: true) else { return nil }
        let files = entries.compactMap { file($0.node) }
        var roots = [folder]
        if let importPaths {
            guard let listed = read.strings(importPaths, single: true) else { return nil }
            roots = listed.compactMap { directory($0.node) }
            guard roots.count == listed.count else { return nil }
        }
        guard files.count == entries.count, !files.isEmpty else {
            if entries.isEmpty { log.error(protos, "names no .proto file") }
            return nil
        }
        var names: [String] = []
        for (index, file) in files.enumerated() {
            guard let name = roots.lazy.compactMap({ ContractPaths.relative(file.url.path, to: $0) }).first else {
                log.error(entries[index].node, "\(file.relative) is not under any of the import paths")
                return nil
            }
            names.append(name)
        }
        let rootPaths = roots.map(\.path)
        let key = names.joined(separator: "\u{0}") + "\u{1}" + rootPaths.joined(separator: "\u{0}")
        if let cached = protoCache[key] { return cached.map { (files.map(\.relative), rootPaths, $0) } }
        var schema: ProtoSchema?
        do {
            schema = try ProtoSchema.compile(files: names, importPaths: rootPaths, compiler: compiler)
        } catch {
            report(error, at: protos)
        }
        protoCache[key] = schema
        return schema.map { (files.map(\.relative), rootPaths, $0) }
    }

    private func report(_ error: ProtoCompileError, at node: YAMLNode) {
        guard case .protocFailed(_, let diagnostics, _) = error, !diagnostics.isEmpty else {
            log.error(node, "\(error)")
            return
        }
        for diagnostic in diagnostics {
            guard !diagnostic.file.isEmpty else {
                log.error(node, "protoc: \(diagnostic.message)")
                continue
            }
            let file = diagnostic.path.flatMap { ContractPaths.relative($0, to: folder) } ?? diagnostic.file
            log.error(at: SourceLocation(file: file, path: diagnostic.path, line: diagnostic.line,
                                         column: diagnostic.column), "protoc: \(diagnostic.message)")
        }
    }

    func openAPI(_ node: YAMLNode) -> (String, OpenAPIContract)? {
        guard let (relative, url) = file(node) else { return nil }
        do {
            return (relative, try OpenAPIContract.load(file: url, folder: folder))
        } catch {
            // OpenAPIKit explains over several lines; one diagnostic is one line.
            let message = error.message.split(whereSeparator: \.isNewline).joined(separator: " ")
            log.error(at: error.location, "OpenAPI: \(message)")
            return nil
        }
    }

    func jsonSchema(_ node: YAMLNode) -> (String, JSONSchemaFile)? {
        guard let (relative, url) = file(node) else { return nil }
        do {
            return (relative, try JSONSchemaFile.load(file: url, folder: folder))
        } catch {
            log.error(at: error.location, "JSON Schema: \(error.message)")
            return nil
        }
    }

    /// The message `name` in `schema`, or a diagnostic with the closest full name.
    func message(_ name: String, in schema: ProtoSchema, at node: YAMLNode, what: String) -> MessageDescriptor? {
        if let found = schema.message(named: name) { return found }
        let names = schema.messages.filter { !$0.isMapEntry }.map(\.fullName)
        log.error(node, "no message \"\(name)\" in \(what)\(Self.hint(name, fullNames: names))")
        return nil
    }

    /// ` (did you mean "shop.orders.v1.OrderService"?)` for `OrderServce`, `OrderService` or a
    /// misspelt full name: full names first, then their last component.
    static func hint(_ name: String, fullNames: [String]) -> String {
        let short = fullNames.map { String($0.split(separator: ".").last ?? Substring($0)) }
        let match = NearMiss.closest(to: name, among: fullNames)
            ?? (short.firstIndex(of: name) ?? NearMiss.closest(to: name, among: short).flatMap(short.firstIndex))
                .map { fullNames[$0] }
        return match.map { " (did you mean \"\($0)\"?)" } ?? ""
    }

    /// The field a dotted path names inside `message` (through nested messages), or a diagnostic.
    func field(_ path: String, in message: MessageDescriptor, at node: YAMLNode) -> FieldDescriptor? {
        var current = message
        var found: FieldDescriptor?
        for segment in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            if let previous = found {
                guard let next = previous.messageType, !previous.isMap else {
                    log.error(node, "\(previous.name) in \(current.fullName) is \(previous.type.rawValue), "
                              + "not a message: \"\(path)\" cannot go inside it")
                    return nil
                }
                current = next
            }
            guard let field = current.field(named: segment) else {
                let names = current.fields.map(\.name)
                let hint = NearMiss.closest(to: segment, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                log.error(node, "\(current.fullName) has no field \"\(segment)\"\(hint)")
                return nil
            }
            found = field
        }
        return found
    }
}
