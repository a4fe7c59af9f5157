import AccordProcess
import Foundation
import Synchronization

/// A service a profile launches and owns for the run (so it can be signalled): one process
/// per replica.
public struct ServiceSpec: Sendable {
    /// One process of the service, with `${replica}` and `${port}` filled in.
    public struct Replica: Sendable, Hashable {
        public var index: Int
        public var command: [String]
        public var environment: [String: String]
        public var readiness: ManagedProcess.Readiness
        /// The port `${port}` stands for, when the service gives `port:`: how connection events
        /// are traced back to this replica.
        public var port: Int?

        public init(
            index: Int, command: [String], environment: [String: String], readiness: ManagedProcess.Readiness,
            port: Int? = nil
        ) {
            self.index = index
            self.command = command
            self.environment = environment
            self.readiness = readiness
            self.port = port
        }
    }

    public var name: String
    /// Commands run here (the profile's folder), so relative paths in them resolve.
    public var directory: URL
    public var replicas: [Replica]

    public init(name: String, directory: URL, replicas: [Replica]) {
        self.name = name
        self.directory = directory
        self.replicas = replicas
    }
}

/// One process of a fleet: a service and its replica number (0-based).
public struct ReplicaID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var service: String
    public var replica: Int

    public init(service: String, replica: Int) {
        self.service = service
        self.replica = replica
    }

    public var description: String { "\(service)[\(replica)]" }

    public static func < (a: ReplicaID, b: ReplicaID) -> Bool { (a.service, a.replica) < (b.service, b.replica) }
}

/// The services of a run, launched before the load and stopped after it.
public final class ServiceFleet: Sendable {
    public struct UnknownReplica: Error, CustomStringConvertible {
        public let replica: ReplicaID
        public var description: String { "\(replica) is not one of the profile's services" }
    }

    /// Sees each line a service's processes print (stdout and stderr), with the replica that
    /// printed it; called on the process's reader thread, in order.
    public typealias LineObserver = @Sendable (ReplicaID, String) -> Void

    private let specs: [String: ServiceSpec]
    private let lineObservers: [String: LineObserver]
    private let running = Mutex<[ReplicaID: ManagedProcess]>([:])

    /// `lineObservers`, by service name: who reads that service's output (every launch of it,
    /// restarts included).
    public init(_ specs: [ServiceSpec], lineObservers: [String: LineObserver] = [:]) {
        self.specs = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.lineObservers = lineObservers
    }

    /// Launches every replica of every service and waits until each is ready.
    public func start(timeout: Duration = .seconds(60)) async throws {
        for name in specs.keys.sorted() {
            for id in replicas(of: name) { try await launch(id, timeout: timeout) }
        }
    }

    /// Every replica of `service`, in order (none for a name the fleet does not have).
    public func replicas(of service: String) -> [ReplicaID] {
        (specs[service]?.replicas ?? []).map { ReplicaID(service: service, replica: $0.index) }
    }

    /// The replica whose `${port}` is `port`, to place a connection's events.
    public func replica(listeningOn port: Int) -> ReplicaID? {
        for spec in specs.values {
            if let replica = spec.replicas.first(where: { $0.port == port }) {
                return ReplicaID(service: spec.name, replica: replica.index)
            }
        }
        return nil
    }

    @discardableResult
    func launch(_ id: ReplicaID, timeout: Duration = .seconds(60)) async throws -> ManagedProcess {
        guard let spec = specs[id.service], let replica = spec.replicas.first(where: { $0.index == id.replica }) else {
            throw UnknownReplica(replica: id)
        }
        let onLine = lineObservers[id.service].map { observe in { @Sendable line in observe(id, line) } }
        let process = try ManagedProcess.launch(
            replica.command, environment: replica.environment, directory: spec.directory, onLine: onLine)
        running.withLock { $0[id] = process }
        try await process.waitUntilReady(replica.readiness, timeout: timeout)
        return process
    }

    func process(_ id: ReplicaID) -> ManagedProcess? { running.withLock { $0[id] } }

    /// Stops what still runs, all at once and gracefully (SIGTERM, then SIGKILL after `grace`).
    public func stop(grace: Duration = .seconds(10)) async {
        let processes = running.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop(grace: grace) } }
        }
    }
}
