/// Metadata keys of the reference services' log lines.
enum ServiceLogKey {
    static let service = "accord.service"
    static let correlationID = "accord.correlation_id"
    static let status = "accord.status"
    static let records = "accord.records"
    static let reason = "accord.reason"
    static let shutdown = "accord.shutdown"
    /// What became of a consumed message: received, processed, requeued, dropped.
    static let stage = "accord.stage"
    static let method = "grpc.method"
    static let peer = "grpc.peer"
    static let grpcPort = "grpc.port"
    static let httpPort = "http.port"
    static let route = "http.route"
    static let event = "amqp.event"
    static let exchange = "amqp.exchange"
    static let routingKey = "amqp.routing_key"
    static let queue = "amqp.queue"
    static let redelivered = "amqp.redelivered"
    /// A consumed message's id: what a load run that published it accounts by.
    static let messageID = "amqp.message_id"
    static let requeued = "amqp.requeued"
}
