import Foundation
import Logging
import SwiftProtobuf

/// Runs `protoc` to turn .proto files into a `FileDescriptorSet`, so contracts need no code
/// generation. A synchronous set-up step: call it at load time, never on an event loop.
public struct ProtoCompiler: Sendable {
    /// The protoc executable: an absolute path, or a name looked up on PATH.
    public var protoc: String
    public var logger: Logger

    public init(protoc: String = ProcessInfo.processInfo.environment["PROTOC"] ?? "protoc",
                logger: Logger = Logger(label: "accord.proto")) {
        self.protoc = protoc
        self.logger = logger
    }

    /// Compiles `files` (paths relative to one of `importPaths`, as an `import` would name them)
    /// with their imports and source positions. The well-known types (`google/protobuf/*.proto`)
    /// are always importable, even where protoc is installed without them (Debian).
    public func compile(files: [String], importPaths: [String]) throws(ProtoCompileError)
        -> Google_Protobuf_FileDescriptorSet
    {
        guard let executable = resolveExecutable() else {
            throw .protocNotFound(searched: protoc)
        }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("accord-protoc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let wellKnownRoot = scratch.appendingPathComponent("include")
        let setFile = scratch.appendingPathComponent("set.pb")
        let errorFile = scratch.appendingPathComponent("stderr.txt")
        do {
            try WellKnownProtos.write(under: wellKnownRoot)
            try Data().write(to: errorFile)
        } catch {
            throw .launchFailed(executable: executable, reason: "cannot prepare \(scratch.path): \(error)")
        }

        // The user's roots come first; ours only supplies what they do not have.
        var arguments = ["--include_imports", "--include_source_info", "--descriptor_set_out=\(setFile.path)"]
        arguments += importPaths.map { "-I\($0)" }
        arguments.append("-I\(wellKnownRoot.path)")
        arguments += files
        logger.debug("running protoc", metadata: ["proto.files": .string(files.joined(separator: ","))])

        let status: Int32
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do {
            // A file, not a pipe: protoc can print any amount without blocking on a full pipe.
            let errorHandle = try FileHandle(forWritingTo: errorFile)
            defer { try? errorHandle.close() }
            process.standardError = errorHandle
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            throw .launchFailed(executable: executable, reason: "\(error)")
        }

        let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let diagnostics = ProtoDiagnostic.parse(errorText, importPaths: importPaths)
            throw .protocFailed(status: status, diagnostics: diagnostics,
                                output: errorText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        do {
            let data = try Data(contentsOf: setFile)
            return try Google_Protobuf_FileDescriptorSet(serializedBytes: data)
        } catch {
            throw .unreadableDescriptorSet(reason: "\(error)")
        }
    }

    private func resolveExecutable() -> String? {
        if protoc.contains("/") {
            return FileManager.default.isExecutableFile(atPath: protoc) ? protoc : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(protoc)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Why a set of .proto files could not be turned into a schema.
public enum ProtoCompileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// protoc is not installed (Debian: `apt-get install protobuf-compiler`, or run scripts/setup).
    case protocNotFound(searched: String)
    case launchFailed(executable: String, reason: String)
    /// protoc rejected the files; `output` is protoc's own text, `diagnostics` its parsed lines.
    case protocFailed(status: Int32, diagnostics: [ProtoDiagnostic], output: String)
    case unreadableDescriptorSet(reason: String)
    /// The descriptor set is inconsistent (a type referenced but not defined, a name defined twice).
    case invalidSchema(reason: String)

    public var description: String {
        switch self {
        case .protocNotFound(let searched):
            "protoc not found (looked for '\(searched)'): install protobuf-compiler (scripts/setup) or set PROTOC"
        case .launchFailed(let executable, let reason):
            "cannot run \(executable): \(reason)"
        case .protocFailed(let status, _, let output):
            "protoc failed (exit \(status)):\n\(output)"
        case .unreadableDescriptorSet(let reason):
            "cannot read protoc's descriptor set: \(reason)"
        case .invalidSchema(let reason):
            "invalid protobuf schema: \(reason)"
        }
    }
}

/// One `file:line:column: message` line of protoc's output.
public struct ProtoDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The file as protoc names it (relative to its import root).
    public let file: String
    /// The file on disk, when it was found under one of the import paths.
    public let path: String?
    public let line: Int?
    public let column: Int?
    public let message: String

    public var description: String {
        var text = path ?? file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        return text.isEmpty ? message : "\(text): \(message)"
    }

    static func parse(_ output: String, importPaths: [String]) -> [ProtoDiagnostic] {
        output.split(separator: "\n").map { raw in
            let line = String(raw)
            // "file.proto:3:25: message" or "file.proto: message"; anything else is kept whole.
            let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 4, let l = Int(parts[1]), let c = Int(parts[2]) {
                return ProtoDiagnostic(file: parts[0], path: diskPath(parts[0], importPaths), line: l, column: c,
                                       message: parts[3].trimmingCharacters(in: .whitespaces))
            }
            if parts.count >= 2, parts[0].hasSuffix(".proto") {
                let message = parts.dropFirst().joined(separator: ":").trimmingCharacters(in: .whitespaces)
                return ProtoDiagnostic(file: parts[0], path: diskPath(parts[0], importPaths), line: nil, column: nil,
                                       message: message)
            }
            return ProtoDiagnostic(file: "", path: nil, line: nil, column: nil, message: line)
        }
    }

    /// Where `file` (a name relative to an import root) lives on disk, if anywhere.
    static func diskPath(_ file: String, _ importPaths: [String]) -> String? {
        for root in importPaths {
            let candidate = URL(fileURLWithPath: root).appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }
}
