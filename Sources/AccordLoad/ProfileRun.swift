import AccordContracts
import AccordGRPC
import AccordHTTP
import AccordJSON
import AccordProto
import AccordReport
import Foundation
import NIOCore
import NIOHTTP1

/// Turns a validated profile into a runnable plan and a finished run into its results.
public enum ProfileRun {
    public struct SetupError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Resolves every mix entry: compiles .proto files (blocking: protoc runs as a child
    /// process, so call this off the cooperative pool), checks each payload renders into a
    /// valid message, and encodes constant payloads once.
    /// Connection counts in the profile are totals, shared out over `workers` event loops (each
    /// address of an entry gets at least one per worker). Contract entries find their services in
    /// `services` unless the profile's `targets:` say otherwise; publishes go to `amqp_url:`, else
    /// `AMQP_URL` from `environment`, else the directory's broker. `connectionEvents`, when given,
    /// takes every client's connection events (for a shutdown's timeline).
    public static func plan(
        for profile: LoadProfile, workers: Int, services: ServiceDirectory = ServiceDirectory(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        connectionEvents: ConnectionEventLog? = nil
    ) throws -> LoadPlan {
        var schemas: [String: ProtoSchema] = [:]
        var mix: [LoadPlan.Entry] = []
        let contracts = try ContractPlanner(
            profile: profile, workers: workers, services: services, environment: environment,
            connectionEvents: connectionEvents)
        for entry in profile.mix {
            let interaction: any LoadInteraction
            switch entry.target {
            case .grpc(let addresses, let proto, let method, let request, let metadata):
                let protoURL = URL(fileURLWithPath: proto, relativeTo: profile.directory).standardizedFileURL
                let schema: ProtoSchema
                if let cached = schemas[protoURL.path] {
                    schema = cached
                } else {
                    do {
                        schema = try ProtoSchema.compile(
                            files: [protoURL.lastPathComponent],
                            importPaths: [protoURL.deletingLastPathComponent().path])
                    } catch {
                        throw SetupError(message: "\(entry.location.fileLine): \(entry.name): \(error)")
                    }
                    schemas[protoURL.path] = schema
                }
                let path = method.hasPrefix("/") ? method : "/" + method
                guard let descriptor = schema.method(path: path) else {
                    throw SetupError(
                        message: "\(entry.location.fileLine): \(entry.name): \(proto) has no method \(method)")
                }
                let type = descriptor.inputType
                @Sendable func encode(_ sequence: UInt64) throws -> ByteBuffer {
                    let json = try request.render(sequence: sequence)
                    return ByteBuffer(bytes: try DynamicMessage(json: json, type: type).serializedBytes())
                }
                do {
                    _ = try encode(0)
                } catch {
                    throw SetupError(
                        message: "\(entry.location.fileLine): \(entry.name): the request is not a valid "
                            + "\(type.fullName): \(error)")
                }
                var grpcMetadata = GRPCMetadata()
                for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { grpcMetadata.add(key, value) }
                interaction = GRPCUnaryInteraction(
                    name: entry.name, endpoints: addresses.map { GRPCClient.Endpoint(host: $0.host, port: $0.port) },
                    path: path, connectionsPerWorker: max(1, profile.grpcConnections / workers),
                    timeout: profile.timeout, metadata: grpcMetadata, connectionEvents: connectionEvents,
                    request: request.isConstant ? try encode(0) : nil, payload: { try? encode($0) })
            case .http(let host, let port, let addresses, let method, let path, let headers, let body):
                let target: HTTPTarget
                let targets: [HTTPTarget]
                do {
                    target = try HTTPTarget(host: host, port: port)
                    targets = try addresses.map { try HTTPTarget(host: $0.host, port: $0.port) }
                } catch {
                    throw SetupError(message: "\(entry.location.fileLine): \(entry.name): \(error)")
                }
                let needsContentType = body != nil && headers.keys.allSatisfy { $0.lowercased() != "content-type" }
                let headerList = headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
                    + (needsContentType ? [(name: "Content-Type", value: "application/json")] : [])
                let httpMethod = HTTPMethod(rawValue: method)
                let authority = target.authority
                let hasPlaceholders = path.contains("${")
                @Sendable func build(_ sequence: UInt64) -> HTTPClientRequest {
                    let renderedPath =
                        hasPlaceholders ? ((try? PayloadTemplate.renderString(path, sequence: sequence)) ?? path) : path
                    // The profile rejects captures in http: entries, so rendering cannot miss one.
                    let bytes = body.map {
                        ByteBuffer(string: ((try? $0.render(sequence: sequence)) ?? .null).jsonText)
                    }
                    return HTTPClientRequest(
                        method: httpMethod, path: renderedPath, authority: authority, headers: headerList, body: bytes)
                }
                let constant = !hasPlaceholders && (body?.isConstant ?? true) ? build(0) : nil
                interaction = HTTPInteraction(
                    name: entry.name, targets: targets,
                    connectionsPerWorker: max(1, profile.httpConnections / workers), timeout: profile.timeout,
                    connectionEvents: connectionEvents, request: { constant ?? build($0) })
            case .contract(let call):
                interaction = try contracts.interaction(for: entry, call)
            }
            mix.append(LoadPlan.Entry(interaction, weight: entry.weight))
        }
        return LoadPlan(
            model: profile.model, mix: mix, maxInFlight: profile.maxInFlight, warmup: profile.warmup,
            drainTimeout: profile.timeout)
    }

    static func transport(_ target: LoadProfile.Target) -> String {
        switch target {
        case .grpc: "grpc"
        case .http: "http"
        case .contract(let call): call.transport
        }
    }

    /// The figure a threshold looks at, in its unit; nil when the run did not measure it.
    static func measure(
        _ threshold: Threshold, in outcome: LoadOutcome, shutdown: ShutdownSummary?, messages: MessageResults? = nil,
        events: [String: String] = [:]
    ) -> Double? {
        if threshold.metric.hasPrefix("messages.") {
            return messageFigure(threshold, messages: messages, events: events)
        }
        let indices = threshold.interaction.map { name in outcome.names.indices.filter { outcome.names[$0] == name } }
            ?? Array(outcome.names.indices)
        if threshold.metric.hasPrefix("shutdown.") {
            return measureShutdown(threshold.metric, drain: indices.map { outcome.drain[$0] }, shutdown: shutdown)
        }
        var stats = LatencyStats()
        for i in indices { stats.add(outcome.totals[i]) }
        let latency = LatencyStats.summary(stats.corrected)
        let hasData = stats.requests > 0
        switch threshold.metric {
        case "p50": return hasData ? latency.p50 : nil
        case "p90": return hasData ? latency.p90 : nil
        case "p95": return hasData ? Double(stats.corrected.valueAtPercentile(95)) / 1000 : nil
        case "p99": return hasData ? latency.p99 : nil
        case "p99.9", "p999": return hasData ? latency.p999 : nil
        case "max": return hasData ? latency.max : nil
        case "mean": return hasData ? latency.mean : nil
        case "service.p99": return hasData ? LatencyStats.summary(stats.service).p99 : nil
        case "errors": return hasData ? Double(stats.errorCount) / Double(stats.requests) * 100 : nil
        case "rate": return Double(stats.requests) / max(0.001, Double(outcome.elapsed.nanoseconds) / 1e9)
        case "count": return Double(stats.requests)
        // Shutdown and message figures come from scenarios this profile does not run.
        default: return nil
        }
    }

    /// Shutdown figures over the drain windows of the interactions a threshold covers; the drain
    /// time is the longest step's.
    private static func measureShutdown(
        _ metric: String, drain: [LatencyStats], shutdown: ShutdownSummary?
    ) -> Double? {
        guard let shutdown else { return nil }
        var stats = LatencyStats()
        for s in drain { stats.add(s) }
        let fates = FateCounts(stats)
        switch metric {
        case "shutdown.failed_in_flight": return Double(fates.failedInFlight)
        case "shutdown.refused": return Double(fates.refused)
        case "shutdown.timed_out": return Double(fates.timedOut)
        case "shutdown.drain": return shutdown.drainSeconds
        case "shutdown.drain_p99": return stats.requests > 0 ? LatencyStats.summary(stats.corrected).p99 : nil
        default: return nil
        }
    }

    public static func summary(
        profile: LoadProfile, outcome: LoadOutcome, metadata: RunMetadata, shutdown: ShutdownSummary? = nil,
        messages: MessageResults? = nil
    ) -> RunSummary {
        let events = profile.publishedEvents
        let thresholds = profile.thresholds.map { threshold in
            let actual = measure(threshold, in: outcome, shutdown: shutdown, messages: messages, events: events)
            return ThresholdResult(
                expression: threshold.expression, interaction: threshold.interaction, actual: actual,
                unit: threshold.unit.rawValue, passed: threshold.passes(actual))
        }
        var notes: [String] = []
        if outcome.fellBehind {
            notes.append(
                "the load generator fell behind its schedule: \(outcome.generator.late) of \(outcome.generator.sent) "
                    + "requests were sent more than 10 ms late; rates and latencies understate what was asked")
        }
        if let interruption = outcome.interruption(planned: profile.model.duration) {
            notes.append("the run was \(interruption): figures cover only the time it ran")
        }
        if outcome.abandonedInFlight > 0 {
            notes.append("\(outcome.abandonedInFlight) requests were still in flight when the drain timeout ended")
        }
        notes += messages.map { messageNotes($0, startNanos: outcome.startNanos) } ?? []
        // An interrupted run never passes, whatever its partial figures say: exit code 2.
        let passed = thresholds.allSatisfy(\.passed) && !outcome.interrupted
        let exitCode = outcome.interrupted ? 2 : passed ? 0 : 1
        let totalRate = profile.totalIntendedRate
        let weights = profile.mix.map(\.weight)
        let weightSum = Double(weights.reduce(0, +))
        return RunSummary(
            kind: "load", name: profile.name, metadata: metadata,
            verdict: Verdict(passed: passed, exitCode: exitCode, notes: notes), thresholds: thresholds,
            interactions: outcome.interactionSummaries(
                transports: profile.mix.map { transport($0.target) },
                intendedRates: weights.map { w in totalRate.map { $0 * Double(w) / weightSum } }),
            timeline: outcome.timeline, generator: outcome.generatorSummary, shutdown: shutdown,
            messages: messages?.accounts ?? [])
    }

    /// Writes the run folder: `summary.json`, `index.html`, `junit.xml` and `latency.hlog`
    /// (blocking file I/O: call it off the cooperative pool).
    public static func write(_ summary: RunSummary, outcome: LoadOutcome, to folder: RunFolder) throws {
        try folder.write(summary)
        let directory = folder.directory
        var log = IntervalLogWriter(startTime: outcome.startedAt)
        for interval in outcome.intervals {
            for line in try interval.logLines.get() { log.append(line) }
        }
        try log.write(to: directory.appendingPathComponent("latency.hlog"))
    }
}

extension LoadProfile {
    /// Average requests per second the open model asks for over its stages; nil for closed.
    var totalIntendedRate: Double? {
        guard case .open(let stages) = model else { return nil }
        let seconds = stages.reduce(0.0) { $0 + $1.seconds }
        return seconds > 0 ? stages.reduce(0.0) { $0 + $1.arrivals } / seconds : nil
    }
}
