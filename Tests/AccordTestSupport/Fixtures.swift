import Foundation

/// Paths inside the repository, for tests that need a file outside their own bundle
/// (the shipped contracts, the built `accord` binary).
public enum Repository {
    /// The package root, found from this source file's location.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The `accord` executable built beside the test bundle (`swift build --build-tests` builds both).
    public static var accordBinary: String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = products.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("accord").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/accord").path
    }

    /// A writable scratch directory, unique per call, removed by the caller when done.
    public static func temporaryDirectory(_ prefix: String = "accord-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
