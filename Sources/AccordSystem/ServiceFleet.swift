import AccordProcess
import Foundation
import Synchronization

/// A service a run launches and owns (so it can be signalled): one process per replica. A load
/// profile's `services:`, or a system's services as its plan launches them.
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
    /// Commands run here (the profile's or the system's folder), so relative paths in them resolve.
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

/// The processes a run owns (a load run's services, or a system's): one per replica, launched,
/// waited for until ready, launched again after a shutdown step, and stopped all together.
public final class ServiceFleet: Sendable {
    /// A replica the fleet cannot act on.
    public enum ReplicaError: Error, Equatable, CustomStringConvertible {
        case unknown(ReplicaID)
        case notLaunched(ReplicaID)

        public var description: String {
            switch self {
            case .unknown(let id): "\(id) is not one of the run's services"
            case .notLaunched(let id): "\(id) has not been launched"
            }
        }
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

    /// Launches a replica (again, after a shutdown step) and waits until it is ready.
    @discardableResult
    public func launch(_ id: ReplicaID, timeout: Duration = .seconds(60)) async throws -> ManagedProcess {
        // A relaunch (a restart step) waits until what the exited predecessor left in its process
        // group has been ended: it may still hold the ports the new process needs.
        if let previous = process(id), previous.exit != nil { await previous.waitUntilGone(timeout: .seconds(10)) }
        let process = try spawn(id)
        try await waitUntilReady(id, timeout: timeout)
        return process
    }

    /// Starts a replica's process without waiting for it: the fleet owns it from here on.
    @discardableResult
    public func spawn(_ id: ReplicaID) throws -> ManagedProcess {
        let (spec, replica) = try self.spec(of: id)
        let onLine = lineObservers[id.service].map { observe in { @Sendable line in observe(id, line) } }
        let process = try ManagedProcess.launch(
            replica.command, environment: replica.environment, directory: spec.directory, onLine: onLine)
        running.withLock { $0[id] = process }
        return process
    }

    /// Waits until the replica's process is ready (see `ManagedProcess.waitUntilReady`).
    public func waitUntilReady(_ id: ReplicaID, timeout: Duration) async throws {
        let (_, replica) = try spec(of: id)
        guard let process = process(id) else { throw ReplicaError.notLaunched(id) }
        try await process.waitUntilReady(replica.readiness, timeout: timeout)
    }

    /// The replica's process, once the fleet has launched one.
    public func process(_ id: ReplicaID) -> ManagedProcess? { running.withLock { $0[id] } }

    /// Stops what still runs, all at once and gracefully (SIGTERM, then SIGKILL after `grace`).
    public func stop(grace: Duration = .seconds(10)) async {
        let processes = running.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop(grace: grace) } }
        }
    }

    private func spec(of id: ReplicaID) throws(ReplicaError) -> (ServiceSpec, ServiceSpec.Replica) {
        guard let spec = specs[id.service], let replica = spec.replicas.first(where: { $0.index == id.replica }) else {
            throw .unknown(id)
        }
        return (spec, replica)
    }
}
