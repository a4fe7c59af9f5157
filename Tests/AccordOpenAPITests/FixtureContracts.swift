import AccordOpenAPI
import Foundation

/// The contracts under Fixtures/, loaded once per process.
enum FixtureContracts {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ path: String) -> URL { folder.appendingPathComponent(path) }

    static func load(_ path: String) throws -> OpenAPIContract {
        try OpenAPIContract.load(file: url(path))
    }
}
