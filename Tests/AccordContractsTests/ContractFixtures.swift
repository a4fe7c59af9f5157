import AccordContracts
import AccordTestSupport
import Foundation
import Testing

/// The contract systems under Fixtures/ and the shipped ones under contracts/.
enum ContractFixtures {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Loads Fixtures/`name`, shown in messages as `name`.
    static func load(_ name: String) throws -> ContractSystem {
        try ContractLoader().load(folder: url(name), displayFolder: name)
    }

    /// Loads contracts/`name`, shown as `contracts/name`.
    static func shipped(_ name: String) throws -> ContractSystem {
        try ContractLoader().load(folder: Repository.root.appendingPathComponent("contracts/\(name)"),
                                  displayFolder: "contracts/\(name)")
    }

    /// The error loading Fixtures/`name` fails with.
    static func loadError(_ name: String) throws -> ContractLoadError {
        try #require(throws: ContractLoadError.self) { _ = try load(name) }
    }

    /// The 1-based line of the first line of `file` containing `text`.
    static func line(of text: String, in file: URL) throws -> Int {
        let content = try String(contentsOf: file, encoding: .utf8)
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.contains(text) }, "\(text) not in \(file.path)") + 1
    }

    /// Whether protoc can run; throws under CI=true when it cannot.
    static func protocAvailable() throws -> Bool { try ExternalTool.available("protoc") }
}
