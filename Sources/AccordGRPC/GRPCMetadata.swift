import Foundation

/// Custom metadata of a call: ordered key/value pairs. Keys ending in `-bin` carry bytes,
/// base64-encoded on the wire; others carry ASCII text.
public struct GRPCMetadata: Sendable, Hashable, Sequence {
    public enum Value: Sendable, Hashable {
        case text(String)
        case binary([UInt8])
    }

    public private(set) var entries: [(key: String, value: Value)] = []

    public init() {}

    public init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { add(key, value) }
    }

    public mutating func add(_ key: String, _ value: Value) {
        entries.append((key.lowercased(), value))
    }

    public mutating func add(_ key: String, _ text: String) { add(key, .text(text)) }

    public subscript(key: String) -> Value? {
        let lower = key.lowercased()
        return entries.first(where: { $0.key == lower })?.value
    }

    public func text(_ key: String) -> String? {
        if case .text(let s)? = self[key] { return s }
        return nil
    }

    public func binary(_ key: String) -> [UInt8]? {
        if case .binary(let b)? = self[key] { return b }
        return nil
    }

    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { entries.makeIterator() }

    public static func == (a: GRPCMetadata, b: GRPCMetadata) -> Bool {
        a.entries.elementsEqual(b.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    /// Header names that belong to HTTP/2 or gRPC itself, never to custom metadata.
    static func isReserved(_ name: String) -> Bool {
        // Every response's fields pass here: decide on the first byte where it can, since
        // String.hasPrefix compares by Unicode rules and costs more than the rest of the test.
        switch name.utf8.first {
        case UInt8(ascii: ":"): return true
        case UInt8(ascii: "g"): return name.hasPrefix("grpc-")
        default: return name == "content-type" || name == "te" || name == "user-agent" || name == "content-length"
        }
    }

    /// The custom metadata among received header fields; `-bin` values are base64 (padded or not).
    init(headerFields: [HeaderField]) {
        for field in headerFields where !Self.isReserved(field.name) {
            if field.name.hasSuffix("-bin") {
                // A malformed -bin value is kept as raw text bytes rather than dropped silently.
                add(field.name, .binary(Self.decodeBase64(field.value) ?? Array(field.value.utf8)))
            } else {
                add(field.name, .text(field.value))
            }
        }
    }

    var headerFields: [HeaderField] {
        entries.map { entry in
            switch entry.value {
            case .text(let s): HeaderField(entry.key, s)
            case .binary(let b): HeaderField(entry.key, Data(b).base64EncodedString())
            }
        }
    }

    static func decodeBase64(_ text: String) -> [UInt8]? {
        var padded = text
        let remainder = padded.utf8.count % 4
        if remainder != 0 { padded += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: padded).map(Array.init)
    }
}
