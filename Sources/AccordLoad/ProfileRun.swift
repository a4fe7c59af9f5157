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
    /// Connection counts in the profile are totals, shared out over `workers` event loops.
    public static func plan(for profile: LoadProfile, workers: Int) throws -> LoadPlan {
        var schemas: [String: ProtoSchema] = [:]
        var mix: [LoadPlan.Entry] = []
        for entry in profile.mix {
            let interaction: any LoadInteraction
            switch entry.target {
            case .grpc(let host, let port, let proto, let method, let request, let metadata):
                let protoURL = URL(fileURLWithPath: proto, relativeTo: profile.directory).standardizedFileURL
                let schema: ProtoSchema
                if let cached = schemas[protoURL.path] {
                    schema = cached
                } else {
                    do {
                        schema = try ProtoSchema.compile(
                            files: [protoURL.lastPathComponent], importPaths: [protoURL.deletingLastPathComponent().path])
                    } catch {
                        throw SetupError(message: "\(entry.location.fileLine): \(entry.name): \(error)")
                    }
                    schemas[protoURL.path] = schema
                }
                let path = method.hasPrefix("/") ? method : "/" + method
                guard let descriptor = schema.method(path: path) else {
                    throw SetupError(message: "\(entry.location.fileLine): \(entry.name): \(proto) has no method \(method)")
                }
                let type = descriptor.inputType
                @Sendable func encode(_ sequence: UInt64) throws -> ByteBuffer {
                    ByteBuffer(bytes: try DynamicMessage(json: request.render(sequence: sequence), type: type).serializedBytes())
                }
                do {
                    _ = try encode(0)
                } catch {
                    throw SetupError(message: "\(entry.location.fileLine): \(entry.name): the request is not a valid \(type.fullName): \(error)")
                }
                var grpcMetadata = GRPCMetadata()
                for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { grpcMetadata.add(key, value) }
                let connections = max(1, profile.grpcConnections / workers)
                if request.isConstant {
                    interaction = GRPCUnaryInteraction(
                        name: entry.name, host: host, port: port, path: path, connectionsPerWorker: connections,
                        timeout: profile.timeout, metadata: grpcMetadata, request: try encode(0))
                } else {
                    interaction = GRPCUnaryInteraction(
                        name: entry.name, host: host, port: port, path: path, connectionsPerWorker: connections,
                        timeout: profile.timeout, metadata: grpcMetadata, payload: { try? encode($0) })
                }
            case .http(let host, let port, let method, let path, let headers, let body):
                let target: HTTPTarget
                do {
                    target = try HTTPTarget(host: host, port: port)
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
                    let renderedPath = hasPlaceholders ? ((try? PayloadTemplate.renderString(path, sequence: sequence)) ?? path) : path
                    let bytes = body.map { ByteBuffer(string: $0.render(sequence: sequence).jsonText) }
                    return HTTPClientRequest(method: httpMethod, path: renderedPath, authority: authority, headers: headerList, body: bytes)
                }
                let constant = !hasPlaceholders && (body?.isConstant ?? true) ? build(0) : nil
                interaction = HTTPInteraction(
                    name: entry.name, target: target, connectionsPerWorker: max(1, profile.httpConnections / workers),
                    timeout: profile.timeout, request: { constant ?? build($0) })
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
        }
    }

    /// The figure a threshold looks at, in its unit; nil when the run did not measure it.
    static func measure(_ threshold: Threshold, in outcome: LoadOutcome, shutdown: ShutdownSummary?) -> Double? {
        switch threshold.metric {
        case "shutdown.failed_in_flight": return shutdown.map { Double($0.failedInFlight) }
        case "shutdown.refused": return shutdown.map { Double($0.refusedBeforeProcessing) }
        case "shutdown.timed_out": return shutdown.map { Double($0.timedOut) }
        case "shutdown.drain": return shutdown?.drainSeconds
        default: break
        }
        let indices = threshold.interaction.map { name in outcome.names.indices.filter { outcome.names[$0] == name } }
            ?? Array(outcome.names.indices)
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

    public static func summary(
        profile: LoadProfile, outcome: LoadOutcome, metadata: RunMetadata, shutdown: ShutdownSummary? = nil
    ) -> RunSummary {
        let thresholds = profile.thresholds.map { threshold in
            let actual = measure(threshold, in: outcome, shutdown: shutdown)
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
        if outcome.interrupted { notes.append("the run was interrupted: figures cover only the time it ran") }
        if outcome.abandonedInFlight > 0 {
            notes.append("\(outcome.abandonedInFlight) requests were still in flight when the drain timeout ended")
        }
        let passed = thresholds.allSatisfy(\.passed)
        let totalRate = profile.totalIntendedRate
        let weights = profile.mix.map(\.weight)
        let weightSum = Double(weights.reduce(0, +))
        return RunSummary(
            kind: "load", name: profile.name, metadata: metadata,
            verdict: Verdict(passed: passed, exitCode: passed ? 0 : 1, notes: notes), thresholds: thresholds,
            interactions: outcome.interactionSummaries(
                transports: profile.mix.map { transport($0.target) },
                intendedRates: weights.map { w in totalRate.map { $0 * Double(w) / weightSum } }),
            timeline: outcome.timeline, generator: outcome.generatorSummary, shutdown: shutdown)
    }

    /// Writes the run folder: `summary.json`, `index.html`, `junit.xml` and `latency.hlog`
    /// (blocking file I/O: call it off the cooperative pool).
    public static func write(_ summary: RunSummary, outcome: LoadOutcome, to folder: RunFolder) throws {
        try folder.write(summary)
        let directory = folder.directory
        var log = IntervalLogWriter(startTime: outcome.startedAt)
        for interval in outcome.intervals {
            for (i, stats) in interval.stats.enumerated() where stats.requests > 0 {
                try log.append(tag: outcome.names[i], start: interval.start, length: interval.length, histogram: stats.corrected)
            }
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
