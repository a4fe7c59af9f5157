/// A failure talking to a broker, with what was attempted and what the broker or rabbitmq-c said.
///
/// `kind` is for code to switch on; `replyCode`/`text` carry the broker's `connection.close` or
/// `channel.close` reply (e.g. 404 "NOT_FOUND - no queue 'x' in vhost '/'") or rabbitmq-c's
/// `amqp_error_string2` text for library and socket failures.
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The URL or an argument (a name over 255 bytes, say) was rejected before anything was sent.
        case invalidArgument
        /// No TCP connection could be made (refused, unresolvable, timed out).
        case unreachable
        /// The broker refused the login (wrong user, password or vhost).
        case authenticationFailed
        /// The broker closed the connection (`connection.close`), e.g. 320 on shutdown.
        case connectionClosed
        /// The broker closed a channel (`channel.close`), e.g. 404 for a missing queue or exchange.
        case channelClosed
        /// The broker cancelled a consumer (`basic.cancel`), e.g. because its queue was deleted.
        case consumerCancelled
        /// rabbitmq-c reported an error: a socket failure, a protocol error, a heartbeat timeout.
        case library
        /// A content header (properties and headers table) would not fit into one frame.
        case frameTooLarge
        /// The operation did not complete within its time limit.
        case timeout
        /// The connection was closed by this application; nothing more can be sent on it.
        case closed
        /// A managed broker could not be started, stopped or queried.
        case broker
    }

    public var kind: Kind
    /// What was being done, e.g. `queue.declare 'orders'` or `connect 127.0.0.1:5672`.
    public var operation: String
    /// The AMQP reply code for `connectionClosed`, `channelClosed` and `authenticationFailed`.
    public var replyCode: UInt16?
    /// The broker's reply text, rabbitmq-c's error text, or our own explanation.
    public var text: String

    public init(_ kind: Kind, operation: String, replyCode: UInt16? = nil, text: String) {
        self.kind = kind
        self.operation = operation
        self.replyCode = replyCode
        self.text = text
    }

    public var description: String {
        let code = replyCode.map { " \($0)" } ?? ""
        return "AMQP \(kind.rawValue)\(code) during \(operation): \(text)"
    }

    /// Whether the whole connection is gone (as opposed to one channel, consumer or message).
    public var isConnectionLevel: Bool {
        switch kind {
        case .unreachable, .authenticationFailed, .connectionClosed, .library, .closed, .timeout: true
        case .invalidArgument, .channelClosed, .consumerCancelled, .frameTooLarge, .broker: false
        }
    }
}
