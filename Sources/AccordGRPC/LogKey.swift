/// Metadata keys for structured logs, in one place so every line spells them the same.
enum LogKey {
    static let peer = "net.peer"
    static let error = "error"
    static let path = "grpc.path"
    static let streamID = "http2.stream_id"
    static let lastStreamID = "http2.last_stream_id"
    static let openStreams = "http2.open_streams"
    static let address = "net.address"
    static let connections = "net.connections"
}
