import AccordDocuments
import AccordProto
import Foundation

/// Loads a system's contract: `system.yaml` and every file it names (.proto files through protoc,
/// OpenAPI documents, JSON Schemas), resolving every reference between them. All problems of a
/// load are reported together in one `ContractLoadError`.
public struct ContractLoader: Sendable {
    public static let fileName = "system.yaml"

    public let compiler: ProtoCompiler

    public init(compiler: ProtoCompiler = ProtoCompiler()) {
        self.compiler = compiler
    }

    /// Loads `folder/system.yaml`. `displayFolder` is how messages name the folder (the path as the
    /// user gave it). Blocking: it reads files and runs protoc, so call it off the cooperative pool
    /// (`NIOThreadPool.singleton.runIfActive`).
    public func load(folder: URL, displayFolder: String? = nil) throws(ContractLoadError) -> ContractSystem {
        let display = displayFolder ?? folder.path
        let folder = folder.standardizedFileURL
        let file = folder.appendingPathComponent(Self.fileName)
        let text: String
        do {
            text = try TextFile.read(file.path, as: Self.fileName)
        } catch {
            throw ContractLoadError(folder: display, diagnostics: [
                Diagnostic(location: error.location, key: nil, message: "cannot read \(Self.fileName): \(error.reason)"),
            ])
        }
        let document: SourceDocument
        do {
            document = try SourceDocument(file: Self.fileName, text: text)
        } catch {
            throw ContractLoadError(folder: display, diagnostics: [
                Diagnostic(location: error.location, key: nil, message: error.message),
            ])
        }
        let session = LoadSession(folder: folder, displayFolder: display, document: document, compiler: compiler)
        let system = session.load()
        let diagnostics = session.log.sorted
        guard diagnostics.isEmpty, let system else {
            throw ContractLoadError(folder: display, diagnostics: diagnostics)
        }
        return system
    }

    /// The system folders `path` names: itself when it holds a `system.yaml`, otherwise each
    /// immediate subfolder that does (`contracts/` -> every shipped system), sorted by name.
    public static func systemFolders(at path: URL) -> [URL] {
        let manager = FileManager.default
        if manager.fileExists(atPath: path.appendingPathComponent(fileName).path) { return [path] }
        let children = (try? manager.contentsOfDirectory(at: path, includingPropertiesForKeys: nil)) ?? []
        return children
            .filter { manager.fileExists(atPath: $0.appendingPathComponent(fileName).path) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
