import AccordJSON
import Foundation

/// A run's folder (`reports/<name>-<UTC time>/`): `summary.json` and the files rendered from it.
public struct RunFolder: Sendable {
    /// Why a run folder could not be read, naming the file and the place in it.
    public struct ReadError: Error, CustomStringConvertible, Equatable {
        public enum Reason: Sendable, Equatable {
            case noSuchFolder
            case noSummary
            case unreadable(String)
            /// Not JSON at all: the parser's line and column.
            case malformedJSON(line: Int, column: Int, message: String)
            /// JSON, but not a run summary: the key path and what was wrong there.
            case notASummary(String)
        }

        public let path: String
        public let reason: Reason

        public var description: String {
            switch reason {
            case .noSuchFolder: "\(path): no such run folder"
            case .noSummary: "\(path): no such file (is this a run folder?)"
            case .unreadable(let cause): "\(path): cannot read: \(cause)"
            case .malformedJSON(let line, let column, let message): "\(path):\(line):\(column): \(message)"
            case .notASummary(let detail): "\(path): not a run summary: \(detail)"
            }
        }
    }

    public let directory: URL

    public init(_ directory: URL) {
        self.directory = directory
    }

    /// The folder `path` names; a path to a `summary.json` file means its folder.
    public init(path: String) {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        self.init(exists && !isDirectory.boolValue ? url.deletingLastPathComponent() : url)
    }

    public var summaryURL: URL { directory.appendingPathComponent("summary.json") }
    public var htmlURL: URL { directory.appendingPathComponent("index.html") }
    public var junitURL: URL { directory.appendingPathComponent("junit.xml") }

    /// Reads and decodes `summary.json` (blocking file I/O: call it off the cooperative pool).
    public func readSummary() throws(ReadError) -> RunSummary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { throw ReadError(path: directory.path, reason: .noSuchFolder) }
        let path = summaryURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw ReadError(path: path, reason: .noSummary) }
        let data: Data
        do {
            data = try Data(contentsOf: summaryURL)
        } catch {
            throw ReadError(path: path, reason: .unreadable("\(error.localizedDescription)"))
        }
        // The strict parser first: a syntax error gets its line and column.
        do {
            _ = try JSONParser.parse(data)
        } catch {
            throw ReadError(
                path: path, reason: .malformedJSON(line: error.line, column: error.column, message: error.message))
        }
        do {
            return try RunSummary.decode(data)
        } catch let error as DecodingError {
            throw ReadError(path: path, reason: .notASummary(Self.describe(error)))
        } catch {
            throw ReadError(path: path, reason: .notASummary("\(error)"))
        }
    }

    /// Writes `summary.json`, `index.html` and `junit.xml`, creating the folder if needed
    /// (blocking file I/O: call it off the cooperative pool).
    public func write(_ summary: RunSummary) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try summary.jsonData().write(to: summaryURL, options: .atomic)
        try HTMLReport(summary).write(to: directory)
        try Data(JUnitReport(summary).xml().utf8).write(to: junitURL, options: .atomic)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key \"\(key.stringValue)\" in \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
