import AccordJSON
import AccordProto
import AccordTestSupport
import Foundation
import SwiftProtobuf

/// The test schema (Fixtures/protos) and the Python protobuf peer, shared by the test files.
enum ProtoFixtures {
    static var directory: String { Bundle.module.bundlePath + "/Fixtures" }
    static var protoRoot: String { directory + "/protos" }
    static let files = ["shop/orders/orders.proto"]

    /// Compiled once per test process; protoc is a set-up step, not the thing under test here.
    private static let compiled = Result { () throws(ProtoCompileError) in
        try ProtoSchema.compile(files: files, importPaths: [protoRoot])
    }

    /// The same files as a descriptor set, for the Python peer.
    private static let descriptorSet = Result { () throws(ProtoCompileError) in
        try ProtoCompiler().compile(files: files, importPaths: [protoRoot])
    }

    static func schema() throws -> ProtoSchema { try compiled.get() }

    static func message(_ name: String) throws -> MessageDescriptor {
        guard let descriptor = try schema().message(named: name) else {
            throw FixtureError(description: "no message \(name) in the fixtures")
        }
        return descriptor
    }

    /// Whether the Python peer can run; throws under CI=true when it cannot.
    static func pythonAvailable() throws -> Bool {
        try ExternalTool.available("python3") && ExternalTool.pythonModuleAvailable("google.protobuf")
    }

    /// Runs Fixtures/proto_peer.py on `items` (see the script for the operations).
    static func python(_ items: [JSONValue]) async throws -> [JSONValue] {
        let scratch = try Repository.temporaryDirectory("accord-proto-peer")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let setPath = scratch.appendingPathComponent("set.pb").path
        try Data(try descriptorSet.get().serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: setPath))
        let requestPath = scratch.appendingPathComponent("request.json").path
        let request: JSONValue = ["descriptor_set": .string(setPath), "items": .array(items)]
        try Data(request.jsonText.utf8).write(to: URL(fileURLWithPath: requestPath))

        let peer = try ChildProcess(["python3", directory + "/proto_peer.py", requestPath])
        let result = try await peer.wait(timeout: 60)
        guard result.status == 0, case .array(let results) = try JSONParser.parse(result.stdout),
              results.count == items.count
        else {
            throw FixtureError(description: "proto_peer.py failed (\(result.status)): \(result.stderr)")
        }
        return results
    }

    /// Swift reads each (type, JSON) sample and encodes it to binary and JSON; Python says whether
    /// both encodings parse to the message it reads from the sample (`check` in the script).
    static func pythonChecks(_ samples: [(type: String, json: String)]) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        for sample in samples {
            let input = try JSONParser.parse(sample.json)
            let message = try DynamicMessage(json: input, type: try message(sample.type))
            items.append(["op": "check", "type": .string(sample.type), "expected_json": input,
                          "binary": .string(base64(message.serializedBytes())), "json": try message.jsonValue()])
        }
        return try await python(items)
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(base64 text: JSONValue?) throws -> [UInt8] {
        guard let text = text?.stringValue, let data = Data(base64Encoded: text) else {
            throw FixtureError(description: "expected base64 bytes from the peer, got \(text?.jsonText ?? "nothing")")
        }
        return Array(data)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}
