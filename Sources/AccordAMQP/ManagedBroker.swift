import AccordProcess
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A private `rabbitmq-server` (Debian's package) that Accord starts when no `AMQP_URL` is given: its own
/// node name, free AMQP and Erlang-distribution ports bound to 127.0.0.1, and data, logs, config and
/// Erlang cookie under a temporary directory.
///
/// The broker runs under a small shell watchdog whose stdin is a pipe from this process: when this
/// process exits, however it exits, the pipe closes and the watchdog stops the broker. A record in the
/// state directory lets a later start clean up after a watchdog that was itself killed.
public final class ManagedBroker: Sendable {
    public struct Options: Sendable {
        /// Where records of running brokers are kept (shared by every Accord process on the machine).
        public var stateDirectory: URL
        /// The directory with Debian's `rabbitmq-server` and `rabbitmqctl` scripts.
        public var binDirectory: URL
        public var startTimeout: Duration
        public var stopTimeout: Duration

        public init(stateDirectory: URL = ManagedBroker.defaultStateDirectory,
                    binDirectory: URL = URL(fileURLWithPath: "/usr/lib/rabbitmq/bin"),
                    startTimeout: Duration = .seconds(60), stopTimeout: Duration = .seconds(30)) {
            self.stateDirectory = stateDirectory
            self.binDirectory = binDirectory
            self.startTimeout = startTimeout
            self.stopTimeout = stopTimeout
        }
    }

    public static var defaultStateDirectory: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("accord-brokers")
    }

    /// The Erlang node name, e.g. `accord-4242-1xk3@localhost`.
    public let nodeName: String
    /// Where to connect: guest/guest on 127.0.0.1 (RabbitMQ allows guest from loopback only).
    public let endpoint: AMQPEndpoint
    public let distributionPort: Int
    /// The broker's private directory (mnesia, logs, config, HOME with the Erlang cookie).
    public let baseDirectory: URL
    private let options: Options
    private let logger: Logger
    private let running = Mutex<BrokerProcess?>(nil)

    private init(nodeName: String, endpoint: AMQPEndpoint, distributionPort: Int, baseDirectory: URL,
                 options: Options, logger: Logger) {
        self.nodeName = nodeName
        self.endpoint = endpoint
        self.distributionPort = distributionPort
        self.baseDirectory = baseDirectory
        self.options = options
        self.logger = logger
    }

    /// Cleans up orphans, starts a broker and returns once it accepts an AMQP login.
    public static func start(options: Options = Options(),
                             logger: Logger = Logger(label: "accord.amqp.broker")) async throws -> ManagedBroker {
        try await BrokerRecord.cleanUpOrphans(in: options.stateDirectory, logger: logger)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let nodeName = "accord-\(getpid())-\(suffix)@localhost"
        let baseDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("accord-rabbitmq-\(suffix)")
        let endpoint = AMQPEndpoint(host: "127.0.0.1", port: try LocalPort.free())
        var logger = logger
        logger[metadataKey: AMQPLogKey.node] = "\(nodeName)"
        let broker = ManagedBroker(nodeName: nodeName, endpoint: endpoint, distributionPort: try LocalPort.free(),
                                   baseDirectory: baseDirectory, options: options, logger: logger)
        try broker.prepareDirectories()
        do {
            try await broker.launch()
        } catch {
            await broker.stop()
            throw error
        }
        return broker
    }

    /// The broker's process id (beam.smp), while it runs.
    public var pid: Int32? { running.withLock { $0?.brokerPID } }

    /// Whether the broker process is alive.
    public var isRunning: Bool { running.withLock { $0?.isRunning ?? false } }

    /// Stops the broker (SIGTERM: RabbitMQ shuts down cleanly), waits for it, and removes its files.
    /// Idempotent. Runs to the end even when the calling task is cancelled (as a ServiceGroup does on exit).
    public func stop() async {
        await Task {
            await terminate()
            try? FileManager.default.removeItem(at: baseDirectory)
            BrokerRecord.remove(nodeName: nodeName, in: options.stateDirectory)
            logger.info("managed RabbitMQ stopped")
        }.value
    }

    /// Kills the broker with SIGKILL, as a crash would (for fault tests); its data stays for `restart()`.
    public func kill() async {
        guard let process = running.withLock({ $0 }) else { return }
        if let pid = process.brokerPID { Glibc.kill(pid, SIGKILL) }
        await process.waitForExit(timeout: options.stopTimeout)
        running.withLock { $0 = nil }
    }

    /// Stops the broker if it runs, then starts it again on the same node, ports and data.
    public func restart() async throws {
        await terminate()
        try await launch()
    }

    /// Runs `rabbitmqctl -n <node> -q ARGUMENTS` with this node's environment; returns its output.
    public func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let command = ["-n", nodeName, "-q"] + arguments
        let result = try await HostProcess.run(options.binDirectory.appendingPathComponent("rabbitmqctl").path,
                                               arguments: command, environment: environment,
                                               timeout: .seconds(60))
        guard result.status == 0 else {
            throw AMQPError(.broker, operation: "rabbitmqctl \(arguments.joined(separator: " "))",
                            text: "exit \(result.status): \(result.output.suffix(2000))")
        }
        return result.output
    }

    // MARK: - Starting and stopping

    private func launch() async throws {
        let operation = "start rabbitmq-server \(nodeName)"
        let process = try await BrokerProcess.spawn(
            server: options.binDirectory.appendingPathComponent("rabbitmq-server").path,
            environment: environment,
            log: baseDirectory.appendingPathComponent("log/startup.log"))
        running.withLock { $0 = process }
        try BrokerRecord(nodeName: nodeName, baseDirectory: baseDirectory.path, watchdogPID: process.watchdogPID)
            .write(in: options.stateDirectory)
        logger.info("starting managed RabbitMQ", metadata: [AMQPLogKey.broker: "\(endpoint.host):\(endpoint.port)"])

        let clock = ContinuousClock()
        let deadline = clock.now + options.startTimeout
        var lastError: AMQPError?
        while clock.now < deadline {
            guard process.isRunning else {
                throw AMQPError(.broker, operation: operation,
                                text: "rabbitmq-server exited during start-up: \(startupLogTail())")
            }
            var configuration = AMQPConnectionConfiguration(endpoint: endpoint)
            configuration.connectTimeout = .seconds(1)
            configuration.rpcTimeout = .seconds(5)
            do {
                let connection = try await AMQPConnection.connect(configuration, logger: logger)
                await connection.close()
                process.brokerPID = readPIDFile()
                logger.info("managed RabbitMQ ready", metadata: [AMQPLogKey.broker: "\(endpoint.url)"])
                return
            } catch let error as AMQPError {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw AMQPError(.broker, operation: operation,
                        text: "no AMQP login within \(options.startTimeout) (\(lastError.map(\.text) ?? "")): "
                            + startupLogTail())
    }

    private func terminate() async {
        guard let process = running.withLock({ $0 }) else { return }
        process.requestStop()
        if await !process.waitForExit(timeout: options.stopTimeout) {
            logger.warning("managed RabbitMQ did not stop in time; killing it")
            if let pid = process.brokerPID ?? readPIDFile() { Glibc.kill(pid, SIGKILL) }
            Glibc.kill(process.watchdogPID, SIGKILL)
            await process.waitForExit(timeout: .seconds(5))
        }
        running.withLock { $0 = nil }
    }

    private func prepareDirectories() throws {
        let files = FileManager.default
        for sub in ["home", "mnesia", "log"] {
            try files.createDirectory(at: baseDirectory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let config = """
            listeners.tcp.1 = 127.0.0.1:\(endpoint.port)
            loopback_users.guest = true
            log.console = false
            log.file.level = info

            """
        try config.write(to: baseDirectory.appendingPathComponent("rabbitmq.conf"), atomically: true, encoding: .utf8)
        try "[].\n".write(to: baseDirectory.appendingPathComponent("enabled_plugins"), atomically: true,
                          encoding: .utf8)
        // An empty env file keeps /etc/rabbitmq/rabbitmq-env.conf (the system broker's settings) out.
        try "".write(to: baseDirectory.appendingPathComponent("rabbitmq-env.conf"), atomically: true, encoding: .utf8)
    }

    /// The environment for the broker and rabbitmqctl: everything private to this node, and Erlang
    /// distribution (and epmd, if this broker starts it) on 127.0.0.1 only.
    var environment: [String: String] {
        let base = baseDirectory.path
        let loopbackOnly = "-kernel inet_dist_use_interface {127,0,0,1}"
        return [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": "\(base)/home",
            "LANG": "C.UTF-8",
            "RABBITMQ_CONF_ENV_FILE": "\(base)/rabbitmq-env.conf",
            "RABBITMQ_NODENAME": nodeName,
            "RABBITMQ_MNESIA_BASE": "\(base)/mnesia",
            "RABBITMQ_LOG_BASE": "\(base)/log",
            "RABBITMQ_CONFIG_FILE": "\(base)/rabbitmq.conf",
            "RABBITMQ_ADVANCED_CONFIG_FILE": "\(base)/advanced.config",
            "RABBITMQ_ENABLED_PLUGINS_FILE": "\(base)/enabled_plugins",
            "RABBITMQ_PID_FILE": "\(base)/rabbitmq.pid",
            "RABBITMQ_DIST_PORT": "\(distributionPort)",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopbackOnly,
            "RABBITMQ_CTL_ERL_ARGS": loopbackOnly,
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            // Makes the script exec the Erlang VM, so the watchdog's child is the broker itself.
            "RUNNING_UNDER_SYSTEMD": "true",
        ]
    }

    private func readPIDFile() -> Int32? {
        let path = baseDirectory.appendingPathComponent("rabbitmq.pid")
        return (try? String(contentsOf: path, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private func startupLogTail() -> String {
        let log = baseDirectory.appendingPathComponent("log/startup.log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no start-up log)"
        return String(text.suffix(2000))
    }
}

extension ManagedBroker: Service {
    /// Keeps the broker until graceful shutdown (SIGTERM/SIGINT in a `ServiceGroup`) or cancellation, then stops it.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}

/// Where the broker to use comes from: `AMQP_URL` when set, else a managed broker.
public enum AMQPBrokerSource {
    /// `AMQP_URL`, or nil when the variable is unset or empty.
    public static func urlFromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        guard let url = environment["AMQP_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The endpoint from `AMQP_URL`, or nil when the variable is unset or empty.
    public static func endpointFromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AMQPEndpoint? {
        try urlFromEnvironment(environment).map { try AMQPEndpoint(url: $0) }
    }
}
