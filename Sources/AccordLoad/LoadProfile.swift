import AccordContracts
import AccordDocuments
import AccordJSON
import AccordSystem
import Foundation

/// A load profile (`loadprofiles/*.yaml`), validated: every problem in the file is reported
/// together with file, line, column and key. Keys are documented in docs/load-profiles.md.
public struct LoadProfile: Sendable {
    /// `host:port`.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { "\(host):\(port)" }
    }

    public enum Target: Sendable {
        /// A gRPC unary method on a running server (connections spread over several addresses:
        /// replicas), typed by a .proto the profile names.
        case grpc(
            addresses: [Address], proto: String, method: String, request: PayloadTemplate, metadata: [String: String])
        /// An HTTP/1.1 request to the URL's host and port (its Host header), over connections spread
        /// over `addresses` (the URL's own unless the entry lists replicas); the path may hold placeholders.
        case http(
            host: String, port: Int, addresses: [Address], method: String, path: String, headers: [String: String],
            body: PayloadTemplate?)
        /// An interaction of the profile's contract (`call:`, `publish:`), addressed through its targets.
        case contract(ContractCall)
    }

    public struct MixEntry: Sendable {
        public var name: String
        public var target: Target
        public var weight: Int
        public var location: SourceLocation
    }

    public var name: String
    /// The profile file as given; relative paths inside it resolve against its folder.
    public var file: String
    public var model: LoadPlan.Model
    public var warmup: Duration
    public var mix: [MixEntry]
    public var grpcConnections: Int
    public var httpConnections: Int
    public var maxInFlight: Int
    public var timeout: Duration
    public var thresholds: [Threshold]
    /// Services the run launches and owns (`services:`), and the shutdown steps (`shutdown:`).
    public var services: [ServiceSpec]
    /// Where each of `services` is declared (`profile.yaml:12`), for the message when it will not start.
    public var serviceLocations: [String: SourceLocation]
    public var shutdown: [ShutdownScenario.Step]
    /// `contracts:` (the loaded system), `targets:`, `amqp_url:` and `connections.amqp`
    /// (LoadProfile+Contracts.swift).
    public var contracts: ContractSystem?
    public var targets: ServiceDirectory
    public var amqpURL: String?
    public var amqpConnections: Int

    public var directory: URL { URL(fileURLWithPath: file).deletingLastPathComponent() }

    static let topKeys = [
        "name", "model", "stages", "users", "duration", "warmup", "mix", "connections", "limits", "thresholds",
        "contracts", "targets", "amqp_url", "services", "shutdown",
    ]

    /// Reads and validates `path`; throws every problem found, or a single one when unreadable.
    /// With `contracts:` it loads that system too (blocking: protoc runs as a child process, so
    /// call this off the cooperative pool).
    public static func load(path: String) throws(Diagnostics) -> LoadProfile {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw Diagnostics([Diagnostic(location: error.location, key: nil, message: "cannot read: \(error.reason)")])
        }
        let document: SourceDocument
        do {
            document = try SourceDocument(file: path, text: text)
        } catch {
            throw Diagnostics([Diagnostic(location: error.location, key: nil, message: error.message)])
        }
        var reader = DocumentReader(document)
        let profile = parse(&reader, file: path)
        if !reader.diagnostics.isEmpty { throw Diagnostics(reader.diagnostics) }
        return profile!
    }

    private static func parse(_ r: inout DocumentReader, file: String) -> LoadProfile? {
        _ = r.object("", keys: topKeys)
        let contracts = self.contracts(&r, file: file)
        let name = r.string("/name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let modelName = r.string("/model") ?? "open"
        var model: LoadPlan.Model?
        switch modelName {
        case "open":
            let stages = (r.array("/stages", required: true) ?? []).indices.compactMap { stage(&r, "/stages/\($0)") }
            if r.document.value(at: "/users") != nil { r.report("/users", "users belongs to the closed model") }
            if case .array(let items)? = r.document.value(at: "/stages"), items.isEmpty {
                r.report("/stages", "expected at least one stage")
            }
            model = .open(stages)
        case "closed":
            let users = r.integer("/users", required: true, range: 1...100_000)
            let duration = r.duration("/duration", required: true)
            if r.document.value(at: "/stages") != nil { r.report("/stages", "stages belong to the open model") }
            if let users, let duration { model = .closed(users: users, duration: duration) }
        default:
            r.report("/model", "expected open or closed, got \"\(modelName)\"")
        }
        _ = r.object("/connections", keys: ["http", "grpc", "amqp"], required: false)
        _ = r.object("/limits", keys: ["max_in_flight", "timeout"], required: false)
        var mix = (r.array("/mix", required: true) ?? []).indices.compactMap {
            entry(&r, "/mix/\($0)", contracts: contracts)
        }
        var names = Set<String>()
        for (index, entry) in mix.enumerated() where !names.insert(entry.name).inserted {
            r.report("/mix/\(index)", "another mix entry is also named \"\(entry.name)\"; add name: to tell them apart")
        }
        resolveCaptures(&r, in: &mix)
        let targets = self.targets(&r, contracts: contracts)
        let thresholds = (r.array("/thresholds") ?? []).indices.compactMap { threshold(&r, "/thresholds/\($0)") }
        for threshold in thresholds {
            guard let interaction = threshold.interaction, !names.contains(interaction) else { continue }
            let known = names.sorted().joined(separator: ", ")
            r.report("/thresholds", "threshold for unknown interaction \"\(interaction)\" (mix has: \(known))")
        }
        let services = self.services(&r, directory: URL(fileURLWithPath: file).deletingLastPathComponent())
        let serviceLocations = Dictionary(uniqueKeysWithValues: services.map { service in
            (service.name, r.document.location(JSONPointer.appending(service.name, to: "/services")))
        })
        var replicas = Dictionary(services.map { ($0.name, $0.replicas.count) }, uniquingKeysWith: { a, _ in a })
        let started = contracts.system.map {
            startedServices(of: $0, mix: mix, targets: targets, profileServices: services)
        } ?? []
        for service in started where replicas[service.name] == nil {
            replicas[service.name] = service.replicas
        }
        let shutdown = self.shutdown(&r, replicas: replicas)
        let warmup = r.duration("/warmup") ?? .zero
        let timeout = r.duration("/limits/timeout") ?? .seconds(5)
        if timeout == .zero { r.report("/limits/timeout", "must be longer than 0s: every request would time out") }
        guard let model else { return nil }
        if warmup > .zero, warmup >= model.duration {
            r.report("/warmup", "the warm-up (\(warmup)) must be shorter than the run (\(model.duration)): "
                + "nothing would be measured")
        }
        return LoadProfile(
            name: name, file: file, model: model, warmup: warmup, mix: mix,
            grpcConnections: r.integer("/connections/grpc", range: 1...1024) ?? 1,
            httpConnections: r.integer("/connections/http", range: 1...65_536) ?? 16,
            maxInFlight: r.integer("/limits/max_in_flight", range: 1...1_000_000) ?? 10_000,
            timeout: timeout, thresholds: thresholds, services: services,
            serviceLocations: serviceLocations, shutdown: shutdown, contracts: contracts.system, targets: targets,
            amqpURL: amqpURL(&r), amqpConnections: r.integer("/connections/amqp", range: 1...64) ?? 1)
    }

    /// The contract's services a run starts itself. When a `call:` names a service that
    /// `targets:` does not cover, the run brings the system up as it runs in production: every
    /// service it runs (reference and command) that neither `targets:` nor the profile's own
    /// `services:` stand in for. Otherwise (every call has a target, or the mix only publishes)
    /// it starts none.
    static func startedServices(of system: ContractSystem, mix: [MixEntry], targets: ServiceDirectory,
                                profileServices: [ServiceSpec]) -> [ContractService] {
        let untargeted = mix.contains { entry in
            guard case .contract(let call) = entry.target else { return false }
            switch call.kind {
            case .rpc(let service, _, _, _): return targets.addresses(of: service, .grpc).isEmpty
            case .rest(let service, _, _, _, _): return targets.addresses(of: service, .http).isEmpty
            case .publish: return false
            }
        }
        guard untargeted else { return [] }
        return system.services.filter { service in
            if case .address = service.run { return false }
            return targets.services[service.name] == nil && !profileServices.contains { $0.name == service.name }
        }
    }

    /// The contract's services this run starts itself (see `startedServices(of:mix:targets:profileServices:)`).
    public var startedContractServices: Set<String> {
        Set(contracts.map { Self.startedServices(of: $0, mix: mix, targets: targets, profileServices: services) }?
            .map(\.name) ?? [])
    }

    private static func stage(_ r: inout DocumentReader, _ pointer: String) -> RateStage? {
        _ = r.object(pointer, keys: ["rate", "for"])
        let duration = r.duration(pointer + "/for", required: true)
        guard let rateText = r.string(pointer + "/rate", required: true) else { return nil }
        guard let (from, to) = parseRate(rateText) else {
            r.report(
                pointer + "/rate",
                "expected a rate such as 2000/s or a ramp such as 0..2000/s, at most \(Int(maxRate))/s; "
                    + "got \"\(rateText)\"")
            return nil
        }
        guard let duration else { return nil }
        return RateStage(from: from, to: to, for: duration)
    }

    /// Far above what one machine sends; it keeps a stage's arrival count (rate x seconds) finite.
    static let maxRate: Double = 10_000_000

    /// `2000/s` or `0..2000/s`.
    static func parseRate(_ text: String) -> (Double, Double)? {
        guard text.hasSuffix("/s") else { return nil }
        let parts = text.dropLast(2).split(separator: "..", omittingEmptySubsequences: false).map {
            Double($0).flatMap { (0...maxRate).contains($0) ? $0 : nil }
        }
        switch parts.count {
        case 1: if let r = parts[0] { return (r, r) }
        case 2: if let a = parts[0], let b = parts[1] { return (a, b) }
        default: break
        }
        return nil
    }

    private static func entry(_ r: inout DocumentReader, _ pointer: String, contracts: ProfileContracts) -> MixEntry? {
        if case .object(let members)? = r.document.value(at: pointer),
            members["call"] != nil || members["publish"] != nil
        {
            return contractEntry(&r, pointer, contracts: contracts)
        }
        let keys = ["name", "weight", "grpc", "http", "call", "publish"]
        guard let members = r.object(pointer, keys: keys) else { return nil }
        let weight = r.integer(pointer + "/weight", range: 1...1_000_000) ?? 1
        let location = r.document.location(pointer)
        switch (members["grpc"], members["http"]) {
        case (.some, .none):
            guard let target = grpc(&r, pointer + "/grpc") else { return nil }
            guard case .grpc(_, _, let method, _, _) = target else { return nil }
            let name = r.string(pointer + "/name") ?? method.split(separator: "/").suffix(2).joined(separator: ".")
            return MixEntry(name: name, target: target, weight: weight, location: location)
        case (.none, .some):
            guard let target = http(&r, pointer + "/http") else { return nil }
            guard case .http(_, _, _, let method, let path, _, _) = target else { return nil }
            return MixEntry(
                name: r.string(pointer + "/name") ?? "\(method) \(path)", target: target, weight: weight,
                location: location)
        default:
            r.report(pointer, "each mix entry needs exactly one of grpc:, http:, call: or publish:")
            return nil
        }
    }

    static func address(_ r: inout DocumentReader, _ pointer: String) -> Address? {
        guard let text = r.string(pointer, required: true) else { return nil }
        guard let parsed = HostPort(text) else {
            r.report(pointer, "expected host:port, got \"\(text)\"")
            return nil
        }
        return Address(host: parsed.host, port: parsed.port)
    }

    /// `host:port`, or a list of them (replicas); nil after reporting a problem.
    static func addresses(_ r: inout DocumentReader, _ pointer: String, required: Bool) -> [Address]? {
        guard case .array(let items)? = r.document.value(at: pointer) else {
            if !required && r.document.value(at: pointer) == nil { return nil }
            return address(&r, pointer).map { [$0] }
        }
        if items.isEmpty { r.report(pointer, "expected at least one host:port") }
        let addresses = items.indices.compactMap { address(&r, pointer + "/\($0)") }
        return addresses.count == items.count && !items.isEmpty ? addresses : nil
    }

    static func template(_ r: inout DocumentReader, _ pointer: String) -> PayloadTemplate? {
        guard let value = r.document.value(at: pointer) else { return nil }
        do {
            return try PayloadTemplate(value)
        } catch {
            r.report(pointer, "\(error)")
            return nil
        }
    }

    static func stringMap(_ r: inout DocumentReader, _ pointer: String) -> [String: String] {
        guard case .object(let members)? = r.document.value(at: pointer) else {
            if r.document.value(at: pointer) != nil { r.report(pointer, "expected a mapping of strings") }
            return [:]
        }
        var map: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let s) = value else {
                r.report(JSONPointer.appending(key, to: pointer), "expected a string")
                continue
            }
            map[key] = s
        }
        return map
    }

    private static func grpc(_ r: inout DocumentReader, _ pointer: String) -> Target? {
        _ = r.object(pointer, keys: ["address", "proto", "method", "request", "metadata"])
        let addresses = addresses(&r, pointer + "/address", required: true)
        let proto = r.string(pointer + "/proto", required: true)
        let method = r.string(pointer + "/method", required: true)
        if let method, method.split(separator: "/").count != 2 {
            r.report(pointer + "/method", "expected package.Service/Method, got \"\(method)\"")
        }
        let request = template(&r, pointer + "/request") ?? (try! PayloadTemplate(.object([:])))
        let metadata = stringMap(&r, pointer + "/metadata")
        guard let addresses, let proto, let method else { return nil }
        return .grpc(addresses: addresses, proto: proto, method: method, request: request, metadata: metadata)
    }

    private static func http(_ r: inout DocumentReader, _ pointer: String) -> Target? {
        _ = r.object(pointer, keys: ["url", "addresses", "method", "headers", "body"])
        let addresses = addresses(&r, pointer + "/addresses", required: false)
        let method = (r.string(pointer + "/method") ?? "GET").uppercased()
        if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) {
            r.report(pointer + "/method", "unsupported HTTP method \(method)")
        }
        guard let url = r.string(pointer + "/url", required: true) else { return nil }
        guard url.hasPrefix("http://") else {
            r.report(pointer + "/url", "expected http://host:port/path (https is not supported), got \"\(url)\"")
            return nil
        }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard let parsed = HostPort(authority) else {
            r.report(pointer + "/url", "the URL needs a host and an explicit port: \"\(url)\"")
            return nil
        }
        do {
            _ = try PayloadTemplate.pieces(path)
        } catch {
            r.report(pointer + "/url", "\(error)")
        }
        let host = parsed.host, port = parsed.port
        return .http(
            host: host, port: port, addresses: addresses ?? [Address(host: host, port: port)], method: method,
            path: path,
            headers: stringMap(&r, pointer + "/headers"), body: template(&r, pointer + "/body"))
    }

    private static func threshold(_ r: inout DocumentReader, _ pointer: String) -> Threshold? {
        var interaction: String?
        let expression: String?
        if case .object = r.document.value(at: pointer) {
            _ = r.object(pointer, keys: ["for", "check"])
            interaction = r.string(pointer + "/for", required: true)
            expression = r.string(pointer + "/check", required: true)
        } else {
            expression = r.string(pointer, required: true)
        }
        guard let expression else { return nil }
        do {
            return try Threshold(expression, interaction: interaction)
        } catch {
            r.report(pointer, error.reason)
            return nil
        }
    }
}
