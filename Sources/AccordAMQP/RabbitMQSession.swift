import CAMQPShim
import CRabbitMQ
import Glibc

/// One rabbitmq-c connection: the only type that holds its handle (destroyed in deinit) and calls
/// into the library. Every call blocks; an instance lives and dies on its connection's thread.
final class RabbitMQSession {
    private let state: amqp_connection_state_t
    private let arena = CArena()
    let endpoint: AMQPEndpoint
    private(set) var frameMax = 0
    private(set) var channelMax = 0

    /// Opens the TCP connection and logs in. Throws `unreachable`, `authenticationFailed` or a broker/library error.
    init(configuration: AMQPConnectionConfiguration) throws(AMQPError) {
        let endpoint = configuration.endpoint
        self.endpoint = endpoint
        guard let state = amqp_new_connection() else {
            throw AMQPError(.library, operation: "connect", text: "rabbitmq-c could not allocate a connection")
        }
        self.state = state
        let operation = "connect \(endpoint.host):\(endpoint.port)"
        guard let socket = amqp_tcp_socket_new(state) else {
            throw AMQPError(.library, operation: operation, text: "rabbitmq-c could not create a TCP socket")
        }
        var connectTimeout = timeval(configuration.connectTimeout)
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout)
        if status != AMQP_STATUS_OK.rawValue {
            throw AMQPError(.unreachable, operation: operation, text: Self.libraryText(status))
        }
        var rpcTimeout = timeval(configuration.rpcTimeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        amqp_set_handshake_timeout(state, &rpcTimeout)

        let login = "login as '\(endpoint.user)' to vhost '\(endpoint.vhost)' at \(endpoint.host):\(endpoint.port)"
        do {
            try check(accord_amqp_login_plain(state, endpoint.vhost, 0, Int32(configuration.frameMax),
                                              Int32(configuration.heartbeatSeconds), endpoint.user,
                                              endpoint.password),
                      operation: login, channel: 0)
        } catch where error.replyCode == 403 {
            throw AMQPError(.authenticationFailed, operation: login, replyCode: 403, text: error.text)
        } catch where error.kind == .library
                    && error.text == Self.libraryText(AMQP_STATUS_CONNECTION_CLOSED.rawValue) {
            // Brokers that do not send connection.close on a failed login just drop the socket.
            throw AMQPError(.authenticationFailed, operation: login,
                            text: "the broker closed the connection during login (wrong credentials or vhost?)")
        }
        frameMax = Int(amqp_get_frame_max(state))
        channelMax = Int(amqp_get_channel_max(state))
    }

    deinit {
        amqp_destroy_connection(state)
    }

    var socketDescriptor: Int32 { amqp_get_sockfd(state) }

    /// While corked, the kernel holds what is sent until a full segment is ready or the cork is
    /// removed: a run of publishes (three frames, three `send`s each, which rabbitmq-c pushes out
    /// one message at a time) leaves in a few full segments instead of one small one per message,
    /// for less work in the kernel on both ends. Uncork before waiting for any reply.
    func setCorked(_ corked: Bool) {
        var value: Int32 = corked ? 1 : 0
        _ = setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Whether rabbitmq-c holds received frames or bytes not yet returned (so polling the socket would miss them).
    var hasBufferedInput: Bool { amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0 }

    /// Frees the memory of frames already handled; call between batches of frames.
    func releaseBuffers() { amqp_maybe_release_buffers(state) }

    // MARK: - Channels and topology

    func openChannel(_ channel: UInt16) throws(AMQPError) {
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), operation: "channel.open \(channel)", channel: channel)
    }

    func confirmSelect(_ channel: UInt16) throws(AMQPError) {
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), operation: "confirm.select on channel \(channel)", channel: channel)
    }

    func closeChannel(_ channel: UInt16) throws(AMQPError) {
        try check(amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS), operation: "channel.close \(channel)",
                  channel: channel)
    }

    func closeConnection() throws(AMQPError) {
        try check(amqp_connection_close(state, AMQP_REPLY_SUCCESS), operation: "connection.close", channel: 0)
    }

    func declareExchange(_ name: String, type: AMQPExchangeType, durable: Bool, autoDelete: Bool,
                         channel: UInt16) throws(AMQPError) {
        defer { arena.reset() }
        amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes(type.rawValue), 0, durable ? 1 : 0,
                              autoDelete ? 1 : 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), operation: "exchange.declare '\(name)'", channel: channel)
    }

    func deleteExchange(_ name: String, channel: UInt16) throws(AMQPError) {
        defer { arena.reset() }
        amqp_exchange_delete(state, channel, arena.bytes(name), 0)
        try check(amqp_get_rpc_reply(state), operation: "exchange.delete '\(name)'", channel: channel)
    }

    func declareQueue(_ name: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool,
                      arguments: AMQPTable, channel: UInt16) throws(AMQPError) -> AMQPQueueInfo {
        defer { arena.reset() }
        let reply = amqp_queue_declare(state, channel, arena.bytes(name), passive ? 1 : 0, durable ? 1 : 0,
                                       exclusive ? 1 : 0, autoDelete ? 1 : 0, arena.table(arguments))
        let operation = passive ? "queue.declare (passive) '\(name)'" : "queue.declare '\(name)'"
        try check(amqp_get_rpc_reply(state), operation: operation, channel: channel)
        guard let reply else { throw AMQPError(.library, operation: operation, text: "no queue.declare-ok") }
        return AMQPQueueInfo(name: CDecoding.string(reply.pointee.queue),
                             messageCount: Int(reply.pointee.message_count),
                             consumerCount: Int(reply.pointee.consumer_count))
    }

    func bindQueue(_ queue: String, exchange: String, routingKey: String, channel: UInt16) throws(AMQPError) {
        defer { arena.reset() }
        amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey),
                        amqp_empty_table)
        try check(amqp_get_rpc_reply(state), operation: "queue.bind '\(queue)' to '\(exchange)' by '\(routingKey)'",
                  channel: channel)
    }

    /// Returns how many messages the queue held.
    func deleteQueue(_ name: String, channel: UInt16) throws(AMQPError) -> Int {
        defer { arena.reset() }
        let reply = amqp_queue_delete(state, channel, arena.bytes(name), 0, 0)
        try check(amqp_get_rpc_reply(state), operation: "queue.delete '\(name)'", channel: channel)
        return Int(reply?.pointee.message_count ?? 0)
    }

    /// Returns how many messages were removed.
    func purgeQueue(_ name: String, channel: UInt16) throws(AMQPError) -> Int {
        defer { arena.reset() }
        let reply = amqp_queue_purge(state, channel, arena.bytes(name))
        try check(amqp_get_rpc_reply(state), operation: "queue.purge '\(name)'", channel: channel)
        return Int(reply?.pointee.message_count ?? 0)
    }

    // MARK: - Consuming

    func qos(prefetchCount: UInt16, channel: UInt16) throws(AMQPError) {
        amqp_basic_qos(state, channel, 0, prefetchCount, 0)
        try check(amqp_get_rpc_reply(state), operation: "basic.qos prefetch \(prefetchCount)", channel: channel)
    }

    /// Starts a manual-ack consumer; returns the broker-assigned consumer tag.
    func consume(queue: String, exclusive: Bool, channel: UInt16) throws(AMQPError) -> String {
        defer { arena.reset() }
        let operation = "basic.consume from '\(queue)'"
        let reply = amqp_basic_consume(state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0,
                                       exclusive ? 1 : 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), operation: operation, channel: channel)
        guard let reply else { throw AMQPError(.library, operation: operation, text: "no basic.consume-ok") }
        return CDecoding.string(reply.pointee.consumer_tag)
    }

    /// Sends `basic.cancel` and waits for `cancel-ok`; deliveries that arrive meanwhile stay queued in
    /// rabbitmq-c and come out of `nextFrame()` afterwards.
    func cancel(consumerTag: String, channel: UInt16) throws(AMQPError) {
        defer { arena.reset() }
        amqp_basic_cancel(state, channel, arena.bytes(consumerTag))
        try check(amqp_get_rpc_reply(state), operation: "basic.cancel '\(consumerTag)'", channel: channel)
    }

    func settle(_ settlement: Settlement, tag: UInt64, multiple: Bool, channel: UInt16) throws(AMQPError) {
        let status = switch settlement {
        case .ack: amqp_basic_ack(state, channel, tag, multiple ? 1 : 0)
        case .nack(let requeue): amqp_basic_nack(state, channel, tag, multiple ? 1 : 0, requeue ? 1 : 0)
        case .reject(let requeue): amqp_basic_reject(state, channel, tag, requeue ? 1 : 0)
        }
        try checkStatus(status, operation: "settle delivery \(tag) on channel \(channel)")
    }

    // MARK: - Publishing

    /// Sends one message. The caller has checked the header fits a frame (see `AMQPProperties.checkFits`).
    func publish(_ message: AMQPMessage, exchange: String, routingKey: String, channel: UInt16) throws(AMQPError) {
        defer { arena.reset() }
        var properties = arena.properties(message.properties)
        let exchangeBytes = arena.bytes(exchange), routingKeyBytes = arena.bytes(routingKey)
        let status = message.body.withUnsafeBytes { body in
            let bodyBytes = amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
            return amqp_basic_publish(state, channel, exchangeBytes, routingKeyBytes, 0, 0, &properties, bodyBytes)
        }
        try checkStatus(status, operation: "basic.publish to '\(exchange)' by '\(routingKey)'")
    }

    // MARK: - Incoming frames

    /// The next method frame if one is available without blocking, else nil. Deliveries and returns
    /// come with their content, read right after the method (the broker sends them back to back).
    func nextFrame() throws(AMQPError) -> IncomingFrame? {
        var frame = amqp_frame_t()
        var noWait = timeval(tv_sec: 0, tv_usec: 0)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &noWait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try checkStatus(status, operation: "read frame")
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else {
            return .unexpected(channel: frame.channel, what: "a frame of type \(frame.frame_type) outside a message")
        }
        let method = frame.payload.method
        let channel = frame.channel
        guard let decoded = method.decoded else {
            return .unexpected(channel: channel, what: "method \(method.id) without arguments")
        }
        switch method.id {
        case AMQPMethodID.basicAck:
            let ack = decoded.load(as: amqp_basic_ack_t.self)
            return .confirm(channel: channel, tag: ack.delivery_tag, multiple: ack.multiple != 0, ack: true)
        case AMQPMethodID.basicNack:
            let nack = decoded.load(as: amqp_basic_nack_t.self)
            return .confirm(channel: channel, tag: nack.delivery_tag, multiple: nack.multiple != 0, ack: false)
        case AMQPMethodID.basicDeliver:
            let deliver = decoded.load(as: amqp_basic_deliver_t.self)
            let consumerTag = CDecoding.string(deliver.consumer_tag)
            let exchange = CDecoding.string(deliver.exchange), routingKey = CDecoding.string(deliver.routing_key)
            let message: AMQPMessage
            do {
                message = try readContent(channel: channel, operation: "read delivery \(deliver.delivery_tag)")
            } catch where error.kind == .channelClosed {
                return .channelClosed(channel: channel, replyCode: error.replyCode ?? 0, replyText: error.text)
            }
            return .deliver(channel: channel, consumerTag: consumerTag, tag: deliver.delivery_tag,
                            redelivered: deliver.redelivered != 0, exchange: exchange, routingKey: routingKey,
                            message: message)
        case AMQPMethodID.basicReturn:
            let returned = decoded.load(as: amqp_basic_return_t.self)
            let text = CDecoding.string(returned.reply_text)
            _ = try readContent(channel: channel, operation: "read returned message")
            return .returned(channel: channel, replyCode: returned.reply_code, replyText: text)
        case AMQPMethodID.basicCancel:
            let cancel = decoded.load(as: amqp_basic_cancel_t.self)
            return .cancelledByBroker(channel: channel, consumerTag: CDecoding.string(cancel.consumer_tag))
        case AMQPMethodID.channelClose:
            let close = decoded.load(as: amqp_channel_close_t.self)
            sendChannelCloseOk(channel)
            return .channelClosed(channel: channel, replyCode: close.reply_code,
                                  replyText: CDecoding.string(close.reply_text))
        case AMQPMethodID.connectionClose:
            let close = decoded.load(as: amqp_connection_close_t.self)
            sendConnectionCloseOk()
            return .connectionClosed(replyCode: close.reply_code, replyText: CDecoding.string(close.reply_text))
        case AMQPMethodID.connectionBlocked:
            return .blocked(reason: CDecoding.string(decoded.load(as: amqp_connection_blocked_t.self).reason))
        case AMQPMethodID.connectionUnblocked:
            return .unblocked
        default:
            return .unexpected(channel: channel, what: String(cString: amqp_method_name(method.id)))
        }
    }

    private func readContent(channel: UInt16, operation: String) throws(AMQPError) -> AMQPMessage {
        var message = amqp_message_t()
        try check(amqp_read_message(state, channel, &message, 0), operation: operation, channel: channel)
        defer { amqp_destroy_message(&message) }
        return AMQPMessage(body: CDecoding.byteArray(message.body),
                           properties: CDecoding.properties(message.properties))
    }

    private func sendChannelCloseOk(_ channel: UInt16) {
        var closeOk = amqp_channel_close_ok_t(dummy: 0)
        _ = amqp_send_method(state, channel, AMQPMethodID.channelCloseOk, &closeOk)
    }

    private func sendConnectionCloseOk() {
        var closeOk = amqp_connection_close_ok_t(dummy: 0)
        _ = amqp_send_method(state, 0, AMQPMethodID.connectionCloseOk, &closeOk)
    }

    // MARK: - Errors

    static func libraryText(_ status: Int32) -> String { String(cString: amqp_error_string2(status)) }

    /// `operation` is only built on failure: every publish and settle passes here.
    private func checkStatus(_ status: Int32, operation: @autoclosure () -> String) throws(AMQPError) {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        let kind: AMQPError.Kind = status == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .library
        throw AMQPError(kind, operation: operation(), text: Self.libraryText(status))
    }

    /// Turns an RPC reply into a typed error. A server exception is answered with close-ok, as the
    /// protocol requires, so the channel number can be opened again.
    private func check(_ reply: amqp_rpc_reply_t, operation: String, channel: UInt16) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            try checkStatus(reply.library_error, operation: operation)
            throw AMQPError(.library, operation: operation, text: "rabbitmq-c reported an error without a status")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let decoded = reply.reply.decoded else { break }
            switch reply.reply.id {
            case AMQPMethodID.channelClose:
                let close = decoded.load(as: amqp_channel_close_t.self)
                sendChannelCloseOk(channel)
                throw AMQPError(.channelClosed, operation: operation, replyCode: close.reply_code,
                                text: CDecoding.string(close.reply_text))
            case AMQPMethodID.connectionClose:
                let close = decoded.load(as: amqp_connection_close_t.self)
                sendConnectionCloseOk()
                throw AMQPError(.connectionClosed, operation: operation, replyCode: close.reply_code,
                                text: CDecoding.string(close.reply_text))
            default:
                break
            }
        default:
            break
        }
        throw AMQPError(.library, operation: operation, text: "unexpected reply from the broker")
    }
}

/// A method frame from the broker, decoded and copied out of rabbitmq-c's memory.
enum IncomingFrame {
    case confirm(channel: UInt16, tag: UInt64, multiple: Bool, ack: Bool)
    case deliver(channel: UInt16, consumerTag: String, tag: UInt64, redelivered: Bool, exchange: String,
                 routingKey: String, message: AMQPMessage)
    case returned(channel: UInt16, replyCode: UInt16, replyText: String)
    case cancelledByBroker(channel: UInt16, consumerTag: String)
    case channelClosed(channel: UInt16, replyCode: UInt16, replyText: String)
    case connectionClosed(replyCode: UInt16, replyText: String)
    case blocked(reason: String)
    case unblocked
    case unexpected(channel: UInt16, what: String)
}

/// Method numbers (class << 16 | method) of AMQP 0-9-1; rabbitmq-c defines them as casts Swift cannot import.
enum AMQPMethodID {
    static let connectionClose: amqp_method_number_t = 0x000A_0032
    static let connectionCloseOk: amqp_method_number_t = 0x000A_0033
    static let connectionBlocked: amqp_method_number_t = 0x000A_003C
    static let connectionUnblocked: amqp_method_number_t = 0x000A_003D
    static let channelClose: amqp_method_number_t = 0x0014_0028
    static let channelCloseOk: amqp_method_number_t = 0x0014_0029
    static let basicCancel: amqp_method_number_t = 0x003C_001E
    static let basicReturn: amqp_method_number_t = 0x003C_0032
    static let basicDeliver: amqp_method_number_t = 0x003C_003C
    static let basicAck: amqp_method_number_t = 0x003C_0050
    static let basicNack: amqp_method_number_t = 0x003C_0078
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
