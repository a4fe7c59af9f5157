import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord serve` processes and their peers for the process tests.
enum ServeFixtures {
    static let shop = Repository.root.appendingPathComponent("contracts/shop").path
    static let protoRoot = Repository.root.appendingPathComponent("contracts/shop/protos").path
    static var peers: String { Bundle.module.bundlePath + "/Fixtures/serve_peers.py" }

    /// Whether the peers can run: protoc for the contracts, grpcio with its protoc, pika, curl, a
    /// broker. Throws under CI=true when one is missing.
    static func peersAvailable() throws -> Bool {
        try ExternalTool.available("protoc") && ExternalTool.available("curl")
            && ExternalTool.pythonModuleAvailable("grpc_tools") && ExternalTool.pythonModuleAvailable("pika")
            && TestBroker.available()
    }

    /// A scratch system folder: Fixtures/drain.yaml as system.yaml beside copies of the shop's
    /// protos and OpenAPI document. The caller removes it.
    static func drainSystem() throws -> URL {
        let folder = try Repository.temporaryDirectory("accord-drain")
        let manager = FileManager.default
        for part in ["protos", "openapi"] {
            try manager.copyItem(atPath: shop + "/" + part, toPath: folder.appendingPathComponent(part).path)
        }
        try manager.copyItem(atPath: Bundle.module.bundlePath + "/Fixtures/drain.yaml",
                             toPath: folder.appendingPathComponent("system.yaml").path)
        return folder
    }

    /// Starts `accord serve FOLDER --service NAME ARGS...` and waits for its READY line.
    static func serve(_ folder: String, _ service: String, _ arguments: [String] = []) async throws -> Served {
        let process = try ChildProcess([Repository.accordBinary, "serve", folder, "--service", service,
                                        "--log-level", "info"] + arguments)
        let line: String
        do {
            line = try await process.waitForOutput(containing: "READY \(service)", timeout: 30)
        } catch {
            throw ServeFailure(description: "\(service) did not get ready: \(process.stderr)")
        }
        func port(_ name: String) -> Int? {
            line.split(separator: " ").first { $0.hasPrefix("\(name)=") }.flatMap { Int($0.dropFirst(name.count + 1)) }
        }
        return Served(process: process, readyLine: line, grpcPort: port("grpc"), httpPort: port("http"))
    }

    /// Starts the Python gRPC server that holds every call `hold` seconds; returns it and its port.
    static func slowOrders(hold: Double) async throws -> (ChildProcess, Int) {
        let process = try ChildProcess(["python3", peers, "slow-orders", String(hold)])
        let line = try await process.waitForOutput(containing: "READY", timeout: 30)
        guard let port = line.split(separator: " ").last.flatMap({ Int($0) }) else {
            throw ServeFailure(description: "slow-orders said \(line)")
        }
        return (process, port)
    }

    /// `--peer orders.grpc=127.0.0.1:PORT`
    static func ordersPeer(_ port: Int) -> [String] { ["--peer", "orders.grpc=127.0.0.1:\(port)"] }

    /// Waits until the slow upstream has `count` calls in hand (a GOT line each), and no more;
    /// on a timeout, says what the requests got meanwhile.
    static func waitForCalls(_ count: Int, at upstream: ChildProcess, requests: [ChildProcess] = []) async throws {
        do {
            try await waitUntil("\(count) calls in flight at the upstream") {
                Self.count("GOT", in: upstream.stdout) >= count
            }
            #expect(Self.count("GOT", in: upstream.stdout) == count, "\(upstream.stdout)")
        } catch {
            let answers = requests.map { "running: \($0.isRunning) out: \($0.stdout) err: \($0.stderr)" }
            throw ServeFailure(description: "\(error); upstream said: \(upstream.stdout) \(upstream.stderr); "
                + "requests: \(answers.joined(separator: " | "))")
        }
    }

    /// Starts curl against the gateway: `-w` appends the status code on a line of its own.
    static func startCurl(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(["curl", "-s", "--max-time", "60", "-w", "\n%{http_code}"] + arguments)
    }

    /// A finished curl: its status code and JSON body (nil when curl failed or the body is not JSON).
    static func response(of curl: ChildProcess) async throws -> (status: Int, body: JSONValue?, exit: Int32) {
        let result = try await curl.wait(timeout: 70)
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = lines.popLast().flatMap { Int($0) } ?? 0
        return (status, try? JSONParser.parse(lines.joined(separator: "\n")), result.status)
    }

    static func curl(_ arguments: [String]) async throws -> (status: Int, body: JSONValue?, exit: Int32) {
        try await response(of: startCurl(arguments))
    }

    /// curl's exit when the connection closed without a response: 52 (empty reply) after a FIN,
    /// 56 (receive failure) after a reset.
    static func closedWithoutResponse(_ response: (status: Int, body: JSONValue?, exit: Int32)) -> Bool {
        [52, 56].contains(response.exit) && response.status == 0
    }

    /// A POST of a valid order to the gateway at `port`.
    static func postOrder(port: Int, correlationID: String? = nil) -> [String] {
        ["-X", "POST", "http://127.0.0.1:\(port)/orders", "-H", "Content-Type: application/json",
         "-d", #"{"user_id":"u-curl","user_email":"curl@example.com","items":[{"sku":"sku-7","quantity":1}]}"#]
            + (correlationID.map { ["-H", "X-Correlation-ID: \($0)"] } ?? [])
    }

    /// How many lines of `text` contain `marker`.
    static func count(_ marker: String, in text: String) -> Int {
        text.split(separator: "\n").filter { $0.contains(marker) }.count
    }
}

/// A running `accord serve` process and the ports its READY line gave.
struct Served {
    let process: ChildProcess
    let readyLine: String
    let grpcPort: Int?
    let httpPort: Int?
}

struct ServeFailure: Error, CustomStringConvertible {
    let description: String
}
