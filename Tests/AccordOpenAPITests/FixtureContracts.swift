import AccordOpenAPI
import Foundation
import Synchronization

/// The contracts under Fixtures/, each loaded once per test process: loading runs OpenAPIKit's
/// decoder, which is slow in debug builds and would hold the cooperative pool for seconds.
enum FixtureContracts {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    private static let loaded = Mutex<[String: OpenAPIContract]>([:])

    static func url(_ path: String) -> URL { folder.appendingPathComponent(path) }

    static func load(_ path: String) throws -> OpenAPIContract {
        if let contract = loaded.withLock({ $0[path] }) { return contract }
        let contract = try OpenAPIContract.load(file: url(path))
        loaded.withLock { $0[path] = contract }
        return contract
    }
}
