import AccordDocuments
import AccordJSON
import AccordProcess
import AccordSystem
import Foundation

/// `services:` (processes the run owns, with replicas) and `shutdown:` (one step or a list).
extension LoadProfile {
    static func services(_ r: inout DocumentReader, directory: URL) -> [ServiceSpec] {
        guard case .object(let members)? = r.document.value(at: "/services") else {
            if r.document.value(at: "/services") != nil {
                r.report("/services", "expected a mapping of service names")
            }
            return []
        }
        return members.keys.sorted().compactMap { name in
            service(&r, JSONPointer.appending(name, to: "/services"), name: name, directory: directory)
        }
    }

    private static func service(
        _ r: inout DocumentReader, _ pointer: String, name: String, directory: URL
    ) -> ServiceSpec? {
        _ = r.object(pointer, keys: ["command", "env", "ready", "replicas", "port"])
        let count = r.integer(pointer + "/replicas", range: 1...64) ?? 1
        let ports = self.ports(&r, pointer + "/port", replicas: count)
        let hasPorts = r.document.value(at: pointer + "/port") != nil
        let commandItems = r.array(pointer + "/command", required: true) ?? []
        if r.document.value(at: pointer + "/command") != nil && commandItems.isEmpty {
            r.report(pointer + "/command", "expected the program and its arguments")
        }
        let command = commandItems.indices.compactMap { index in
            placeholders(&r, pointer + "/command/\(index)", hasPorts: hasPorts)
        }
        var environment: [String: String] = [:]
        for (key, _) in stringMap(&r, pointer + "/env") {
            environment[key] = placeholders(&r, JSONPointer.appending(key, to: pointer + "/env"), hasPorts: hasPorts)
        }
        let readiness = self.readiness(&r, pointer + "/ready", hasPorts: hasPorts)
        guard command.count == commandItems.count, !command.isEmpty, let readiness, let ports else { return nil }
        let replicas = (0..<count).map { index in
            let port = ports.isEmpty ? nil : ports[index]
            let fill = { (text: String) in
                text.replacingOccurrences(of: "${replica}", with: "\(index)")
                    .replacingOccurrences(of: "${port}", with: port.map(String.init) ?? "")
            }
            let ready: ManagedProcess.Readiness =
                switch readiness {
                case .port(let text): .port(Int(fill(text)) ?? 0)
                case .output(let text): .outputLine(containing: fill(text))
                }
            return ServiceSpec.Replica(
                index: index, command: command.map(fill), environment: environment.mapValues(fill), readiness: ready,
                port: port)
        }
        if case .port = readiness, let bad = replicas.first(where: { !Self.isPort($0.readiness) }) {
            r.report(pointer + "/ready/port", "replica \(bad.index): not a port number after filling in ${port}")
            return nil
        }
        return ServiceSpec(name: name, directory: directory, replicas: replicas)
    }

    private static func isPort(_ readiness: ManagedProcess.Readiness) -> Bool {
        if case .port(let port) = readiness { return (1...65535).contains(port) }
        return true
    }

    /// `port: N` (replica i gets N+i) or `port: [N, M, ...]` (one per replica); [] without it.
    private static func ports(_ r: inout DocumentReader, _ pointer: String, replicas: Int) -> [Int]? {
        switch r.document.value(at: pointer) {
        case nil:
            return []
        case .array(let items)?:
            guard items.count == replicas else {
                r.report(pointer, "expected \(replicas) ports, one per replica, got \(items.count)")
                return nil
            }
            let ports = items.indices.compactMap { r.integer(pointer + "/\($0)", required: true, range: 1...65535) }
            if Set(ports).count != ports.count { r.report(pointer, "two replicas cannot share a port") }
            return ports.count == replicas ? ports : nil
        default:
            guard let base = r.integer(pointer, range: 1...65535) else { return nil }
            guard base + replicas - 1 <= 65535 else {
                r.report(pointer, "\(replicas) replicas from port \(base) run past 65535")
                return nil
            }
            return (0..<replicas).map { base + $0 }
        }
    }

    /// A string that may hold `${replica}` and `${port}` (the latter only with `port:`).
    private static func placeholders(_ r: inout DocumentReader, _ pointer: String, hasPorts: Bool) -> String? {
        guard let text = r.string(pointer, required: true) else { return nil }
        if text.contains("${port}") && !hasPorts {
            r.report(pointer, "${port} needs port: on the service (the first port, or one per replica)")
            return nil
        }
        return text
    }

    private enum ReadinessTemplate {
        case port(String)
        case output(String)
    }

    /// `ready: { port: N | "${port}" }` or `{ output: "text" }`; without it, the service's `${port}`.
    private static func readiness(_ r: inout DocumentReader, _ pointer: String, hasPorts: Bool) -> ReadinessTemplate? {
        guard r.object(pointer, keys: ["port", "output"], required: false) != nil else {
            if r.document.value(at: pointer) == nil {
                if hasPorts { return .port("${port}") }
                r.report(pointer, "missing: give ready: { port: N } or { output: \"text\" } (or port: on the service)")
            }
            return nil
        }
        switch (r.document.value(at: pointer + "/port"), r.document.value(at: pointer + "/output")) {
        case (.number?, nil):
            return r.integer(pointer + "/port", range: 1...65535).map { .port("\($0)") }
        case (.string?, nil):
            return placeholders(&r, pointer + "/port", hasPorts: hasPorts).map { .port($0) }
        case (nil, .some):
            return placeholders(&r, pointer + "/output", hasPorts: hasPorts).map { .output($0) }
        case (let port?, nil):
            r.report(pointer + "/port", "expected a port number or \"${port}\", got \(port.jsonText)")
            return nil
        case (nil, nil):
            r.report(pointer, "give port: N or output: \"text\"")
            return nil
        default:
            r.report(pointer, "give port: N or output: \"text\", not both")
            return nil
        }
    }

    /// `shutdown:` as one step (a mapping) or a list of steps, run in order.
    /// `replicas`: how many processes each service the run owns has (the profile's `services:`,
    /// and the contract's services it starts), by name.
    static func shutdown(_ r: inout DocumentReader, replicas: [String: Int]) -> [ShutdownScenario.Step] {
        switch r.document.value(at: "/shutdown") {
        case nil:
            return []
        case .array(let items)?:
            if items.isEmpty { r.report("/shutdown", "expected at least one step") }
            return items.indices.compactMap { step(&r, "/shutdown/\($0)", replicas: replicas) }
        default:
            return step(&r, "/shutdown", replicas: replicas).map { [$0] } ?? []
        }
    }

    private static func step(
        _ r: inout DocumentReader, _ pointer: String, replicas: [String: Int]
    ) -> ShutdownScenario.Step? {
        guard r.object(pointer, keys: ["service", "replica", "at", "signal", "grace", "restart"]) != nil else {
            return nil
        }
        let service = r.string(pointer + "/service", required: true)
        let count = service.flatMap { replicas[$0] }
        if let service, count == nil {
            let known = replicas.keys.sorted().joined(separator: ", ")
            r.report(pointer + "/service", "\"\(service)\" is not one of the services the run starts (\(known))")
        }
        let replica = r.integer(pointer + "/replica", range: 0...63)
        if let replica, let service, let count, replica >= count {
            r.report(pointer + "/replica", "\(service) has \(count) replicas, numbered from 0")
        }
        let at = r.duration(pointer + "/at", required: true)
        let signalName = r.string(pointer + "/signal") ?? "SIGTERM"
        let signal = SignalName.number(signalName)
        if signal == nil { r.report(pointer + "/signal", "unknown signal \(signalName)") }
        var restart = false
        switch r.document.value(at: pointer + "/restart") {
        case .bool(let value)?: restart = value
        case nil: break
        case let other?: r.report(pointer + "/restart", "expected true or false, got \(other.jsonText)")
        }
        let grace = r.duration(pointer + "/grace") ?? .seconds(10)
        guard let service, let at, let signal else { return nil }
        return ShutdownScenario.Step(
            service: service, replica: replica, at: at, signal: signal, grace: grace, restart: restart)
    }
}
