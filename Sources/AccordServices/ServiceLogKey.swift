/// Metadata keys of the reference services' log lines.
enum ServiceLogKey {
    static let service = "accord.service"
    static let correlationID = "accord.correlation_id"
    static let status = "accord.status"
    static let records = "accord.records"
    static let reason = "accord.reason"
    static let method = "grpc.method"
    static let peer = "grpc.peer"
    static let route = "http.route"
    static let event = "amqp.event"
    static let exchange = "amqp.exchange"
    static let routingKey = "amqp.routing_key"
    static let queue = "amqp.queue"
    static let redelivered = "amqp.redelivered"
    static let requeued = "amqp.requeued"
}
