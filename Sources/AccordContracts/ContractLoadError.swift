import AccordDocuments
import Foundation

/// Why a system could not be loaded: every problem found, in file and line order.
public struct ContractLoadError: Error, Sendable, CustomStringConvertible {
    /// The system folder as the user named it (for messages).
    public let folder: String
    /// Locations are relative to the system folder; keys are dotted paths from the top of the
    /// YAML file (`services.orders.grpc.servce`), nil for problems in .proto and OpenAPI files.
    public let diagnostics: [Diagnostic]

    public init(folder: String, diagnostics: [Diagnostic]) {
        self.folder = folder
        self.diagnostics = diagnostics
    }

    public var description: String {
        let count = diagnostics.count == 1 ? "1 error" : "\(diagnostics.count) errors"
        return "\(folder): \(count) in the contract\n"
            + diagnostics.map { Self.render($0, in: folder) }.joined(separator: "\n")
    }

    /// `contracts/shop/system.yaml:12:5: services.orders.grpc.servce: unknown key (did you mean "service"?)`
    public static func render(_ diagnostic: Diagnostic, in folder: String) -> String {
        let location = diagnostic.location
        let shown = SourceLocation(file: ContractPaths.join(folder, location.file), line: location.line,
                                   column: location.column)
        return "\(shown.fileLine): \(diagnostic.key.map { "\($0): " } ?? "")\(diagnostic.message)"
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
