import Foundation

/// Reads a contract or profile file as UTF-8 text, saying in words why it cannot be:
/// Foundation's own messages ("The file isn't in the correct format") name neither the cause
/// nor the place.
public enum TextFile {
    /// Why a file could not be read as text, and where (the line of the first byte that is not
    /// UTF-8).
    public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        public let location: SourceLocation
        public let reason: String

        public var description: String { "\(location): \(reason)" }
    }

    /// `file` is how messages name it; `path` where it is on disk.
    public static func read(_ path: String, as file: String? = nil) throws(ReadError) -> String {
        let file = file ?? path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(location: SourceLocation(file: file), reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ReadError(location: SourceLocation(file: file), reason: "is a folder, not a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let denied = (error as? CocoaError)?.code == .fileReadNoPermission
            throw ReadError(location: SourceLocation(file: file), reason: denied ? "permission denied" : "\(error)")
        }
        if let text = String(data: data, encoding: .utf8) { return text }
        let offset = firstInvalidUTF8Offset(data)
        let line = data.prefix(offset).count { $0 == UInt8(ascii: "\n") } + 1
        let byte = String(format: "0x%02X", data[data.startIndex + offset])
        throw ReadError(
            location: SourceLocation(file: file, line: line),
            reason: "not UTF-8 text (byte \(byte) at offset \(offset))")
    }

    private static func firstInvalidUTF8Offset(_ data: Data) -> Int {
        var iterator = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error, .emptyInput: return offset
            }
        }
    }
}
