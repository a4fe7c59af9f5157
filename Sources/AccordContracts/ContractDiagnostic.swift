import AccordDocuments
import Foundation

/// One problem in a system's contract files: where (file, line, column), which key, and what is
/// wrong, with a did-you-mean when a close name exists.
public struct ContractDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Relative to the system folder, like every location of a loaded system.
    public let location: SourceLocation
    /// The offending key as a dotted path from the top of its YAML file
    /// (`services.orders.grpc.servce`); nil for diagnostics from .proto and OpenAPI files.
    public let key: String?
    public let message: String

    public init(at location: SourceLocation, key: String?, _ message: String) {
        self.location = location
        self.key = key
        self.message = message
    }

    /// `system.yaml:12:5: services.orders.grpc.servce: unknown key (did you mean "service"?)`
    public var description: String { rendered(in: "") }

    /// The description with the file shown under `folder` (the system folder as the user named it).
    public func rendered(in folder: String) -> String {
        var text = SourceLocation(file: ContractPaths.join(folder, location.file), line: location.line,
                                  column: location.column).fileLine + ": "
        if let key { text += key + ": " }
        return text + message
    }
}

/// Why a system could not be loaded: every problem found, in file and line order.
public struct ContractLoadError: Error, Sendable, CustomStringConvertible {
    /// The system folder as the user named it (for messages).
    public let folder: String
    public let diagnostics: [ContractDiagnostic]

    public init(folder: String, diagnostics: [ContractDiagnostic]) {
        self.folder = folder
        self.diagnostics = diagnostics
    }

    public var description: String {
        let count = diagnostics.count == 1 ? "1 error" : "\(diagnostics.count) errors"
        return "\(folder): \(count) in the contract\n"
            + diagnostics.map { $0.rendered(in: folder) }.joined(separator: "\n")
    }
}

/// Display paths: a location relative to the system folder, shown under the folder's name.
enum ContractPaths {
    static func join(_ folder: String, _ file: String) -> String {
        if folder.isEmpty || folder == "." || file.hasPrefix("/") { return file }
        return folder.hasSuffix("/") ? folder + file : folder + "/" + file
    }

    /// `path` relative to `folder`, or nil when it lies outside (symbolic links resolved).
    static func relative(_ path: String, to folder: URL) -> String? {
        let base = folder.standardizedFileURL.resolvingSymlinksInPath().path
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard target.hasPrefix(base + "/") else { return nil }
        return String(target.dropFirst(base.count + 1))
    }
}
