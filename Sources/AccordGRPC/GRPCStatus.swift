import AccordRPCStatus

/// A gRPC status: the code and message carried in `grpc-status`/`grpc-message` trailers.
/// Handlers throw it to end a call with that status.
public struct GRPCStatus: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status codes are the transport-neutral `RPCStatus`, which contracts name too.
    public typealias Code = RPCStatus

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(.ok)

    public var description: String { message.isEmpty ? code.name : "\(code.name): \(message)" }
}

extension GRPCStatus {
    /// `grpc-message` is percent-encoded: bytes outside printable ASCII, and '%' itself.
    static func encodeMessage(_ message: String) -> String {
        var out = ""
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += hex.count == 1 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return out
    }

    /// Decodes `grpc-message`, leaving malformed escapes as they are (the spec asks receivers
    /// to be lenient).
    static func decodeMessage(_ encoded: String) -> String {
        guard encoded.utf8.contains(UInt8(ascii: "%")) else { return encoded }
        var bytes: [UInt8] = []
        let utf8 = Array(encoded.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count,
                let byte = UInt8(String(decoding: utf8[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(byte)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The status a response's trailers (or trailers-only headers) carry, or nil without `grpc-status`.
    init?(trailers: [HeaderField]) {
        guard let raw = trailers.first(where: { $0.name == "grpc-status" })?.value else { return nil }
        let code = Int(raw).flatMap(Code.init(rawValue:)) ?? .unknown
        let message = trailers.first(where: { $0.name == "grpc-message" }).map { Self.decodeMessage($0.value) }
        self.init(code, message ?? "")
    }

    var trailerFields: [HeaderField] {
        var fields = [HeaderField("grpc-status", String(code.rawValue))]
        if !message.isEmpty { fields.append(HeaderField("grpc-message", Self.encodeMessage(message))) }
        return fields
    }
}
