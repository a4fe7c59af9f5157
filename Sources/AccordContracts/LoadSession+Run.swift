import AccordDocuments
import Foundation

extension LoadSession {
    /// `run`, `command`, `env`, `ready`, `address` and `replicas`, checked against each other.
    func runMode(_ service: Declared) -> (RunMode, Int) {
        let mapping = service.mapping
        var mode = "reference"
        if let runNode = mapping["run"] {
            mode = read.choice(runNode, ["reference", "command", "address"]) ?? "reference"
        }
        for key in ["command", "env", "ready"] where mode != "command" {
            if let node = mapping[key] {
                log.error(node, "\(key) applies to run: command (this service has run: \(mode))")
            }
        }
        if mode != "address", let node = mapping["address"] {
            log.error(node, "address applies to run: address (this service has run: \(mode))")
        }
        var replicas = 1
        if let node = mapping["replicas"] {
            if mode == "address" {
                log.error(node, "replicas applies to services accord starts (run: reference or command)")
            } else {
                replicas = read.integer(node, in: 1...64) ?? 1
            }
        }
        switch mode {
        case "command":
            return (commandRun(service).map(RunMode.command) ?? .reference, replicas)
        case "address":
            return (addressRun(service).map(RunMode.address) ?? .reference, replicas)
        default:
            return (.reference, replicas)
        }
    }

    private func commandRun(_ service: Declared) -> CommandRun? {
        let mapping = service.mapping
        guard let commandNode = mapping["command"] else {
            log.error(service.node, "run: command needs command: [program, arguments...]")
            return nil
        }
        guard let arguments = read.strings(commandNode) else { return nil }
        guard !arguments.isEmpty else {
            log.error(commandNode, "names no program")
            return nil
        }
        // Every argument is checked (not only up to the first bad one): all problems are reported.
        var valid = !arguments.map { checkPlaceholders($0.text, at: $0.node, service: service) }.contains(false)
        var environment: [CommandRun.Variable] = []
        for (name, node) in mappingMembers(mapping["env"]) {
            guard let value = scalarText(node) else {
                valid = false
                continue
            }
            valid = checkPlaceholders(value, at: node, service: service) && valid
            environment.append(.init(name: name, value: value))
        }
        guard let ready = readiness(service), valid else { return nil }
        return CommandRun(arguments: arguments.map(\.text), environment: environment, ready: ready,
                          location: commandNode.location)
    }

    /// Environment values may be written as numbers or booleans; they reach the program as text.
    private func scalarText(_ node: YAMLNode) -> String? {
        switch node.value {
        case .string(let text): return text
        case .number(let number): return number.literal
        case .bool(let flag): return flag ? "true" : "false"
        default:
            log.error(node, "expected a string, found \(node.kindName)")
            return nil
        }
    }

    private func readiness(_ service: Declared) -> Readiness? {
        let defaultTimeout = Duration.seconds(10)
        guard let node = service.mapping["ready"] else {
            if service.grpc != nil || service.broken.contains(.grpc) {
                return Readiness(probe: .port(.grpc), timeout: defaultTimeout)
            }
            if service.rest != nil || service.broken.contains(.http) {
                return Readiness(probe: .port(.http), timeout: defaultTimeout)
            }
            log.error(service.node, "a service without grpc: or rest: has no port to wait for: "
                      + "give ready: { output: <text it prints when ready> }")
            return nil
        }
        guard let ready = read.mapping(node, allowed: ["port", "http", "output", "timeout"]) else { return nil }
        let timeout = ready["timeout"].map { read.duration($0) ?? defaultTimeout } ?? defaultTimeout
        let probes = ["port", "http", "output"].compactMap { key in ready[key].map { (key, $0) } }
        guard probes.count == 1, let (kind, probeNode) = probes.first else {
            log.error(node, "give one of port:, http: or output:")
            return nil
        }
        switch kind {
        case "port":
            guard let text = read.choice(probeNode, ServiceInterface.allCases.map(\.rawValue)),
                let interface = ServiceInterface(rawValue: text)
            else { return nil }
            guard has(interface, service) else {
                log.error(probeNode, "this service has no \(interface == .grpc ? "grpc:" : "rest:") interface")
                return nil
            }
            return Readiness(probe: .port(interface), timeout: timeout)
        case "http":
            guard let path = read.string(probeNode) else { return nil }
            guard path.hasPrefix("/") else {
                log.error(probeNode, "\"\(path)\" is not a path (it starts with /)")
                return nil
            }
            guard has(.http, service) else {
                log.error(probeNode, "this service has no rest: interface to probe")
                return nil
            }
            return Readiness(probe: .http(path: path), timeout: timeout)
        default:
            return read.string(probeNode).map { Readiness(probe: .output($0), timeout: timeout) }
        }
    }

    private func has(_ interface: ServiceInterface, _ service: Declared) -> Bool {
        switch interface {
        case .grpc: service.grpc != nil || service.broken.contains(.grpc)
        case .http: service.rest != nil || service.broken.contains(.http)
        }
    }

    /// `${grpc_port}`, `${http_port}`, `${amqp_url}`, `${<service>.grpc}`, `${<service>.http}`.
    private func checkPlaceholders(_ text: String, at node: YAMLNode, service: Declared) -> Bool {
        var valid = true
        for name in Placeholders.names(in: text) {
            switch name {
            case "grpc_port", "http_port":
                let interface: ServiceInterface = name == "grpc_port" ? .grpc : .http
                if !has(interface, service) {
                    let declaration = interface == .grpc ? "grpc:" : "rest:"
                    log.error(node, "${\(name)}: this service has no \(declaration) interface")
                    valid = false
                }
            case "amqp_url":
                break
            default:
                let parts = name.split(separator: ".").map(String.init)
                guard parts.count == 2, let interface = ServiceInterface(rawValue: parts[1]) else {
                    let known = ["grpc_port", "http_port", "amqp_url", "<service>.grpc", "<service>.http"]
                    log.error(node, "unknown placeholder ${\(name)} (known: \(known.joined(separator: ", ")))")
                    valid = false
                    continue
                }
                guard let other = self.service(parts[0], at: node) else {
                    valid = false
                    continue
                }
                if !has(interface, other) {
                    log.error(node, "${\(name)}: service \(parts[0]) has no \(parts[1]) interface")
                    valid = false
                }
            }
        }
        return valid
    }

    private func addressRun(_ service: Declared) -> AddressRun? {
        guard let node = service.mapping["address"] else {
            log.error(service.node, "run: address needs address: host:port (or { grpc: host:port, http: host:port })")
            return nil
        }
        var grpc: String?, http: String?
        if case .string = node.value {
            guard let address = hostPort(node) else { return nil }
            let interfaces = ServiceInterface.allCases.filter { has($0, service) }
            guard interfaces.count == 1 else {
                log.error(node, interfaces.isEmpty ? "this service has no grpc: or rest: interface to reach"
                          : "this service has grpc: and rest:: give address: { grpc: host:port, http: host:port }")
                return nil
            }
            if interfaces[0] == .grpc { grpc = address } else { http = address }
        } else {
            guard let addresses = read.mapping(node, allowed: ["grpc", "http"]) else { return nil }
            grpc = addresses["grpc"].flatMap(hostPort)
            http = addresses["http"].flatMap(hostPort)
            for interface in ServiceInterface.allCases where has(interface, service) {
                if addresses[interface.rawValue] == nil { log.error(node, "missing key \"\(interface.rawValue)\"") }
            }
            for interface in ServiceInterface.allCases where !has(interface, service) {
                if let extra = addresses[interface.rawValue] {
                    log.error(extra, "this service has no \(interface == .grpc ? "grpc:" : "rest:") interface")
                }
            }
        }
        return AddressRun(grpc: grpc, http: http, location: node.location)
    }

    private func hostPort(_ node: YAMLNode) -> String? {
        guard let text = read.string(node) else { return nil }
        guard HostPort(text) != nil else {
            log.error(node, "\"\(text)\" is not host:port")
            return nil
        }
        return text
    }
}
