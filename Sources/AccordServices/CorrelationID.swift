import Foundation

/// The id that ties one request's log lines together across services: read from gRPC metadata
/// `x-correlation-id`, the HTTP header `X-Correlation-ID` or the AMQP `correlation-id` property,
/// made when absent, and passed on to every call and event the request causes.
public enum CorrelationID {
    public static let grpcMetadataKey = "x-correlation-id"
    public static let httpHeader = "X-Correlation-ID"

    /// The id a request arrived with when it is usable, else a new one. Usable means 1 to 128
    /// printable ASCII characters: it must fit an AMQP short string and a log line.
    public static func resolve(_ received: String?) -> String {
        if let received, (1...128).contains(received.utf8.count),
            received.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        {
            return received
        }
        return make()
    }

    public static func make() -> String { UUID().uuidString.lowercased() }
}
