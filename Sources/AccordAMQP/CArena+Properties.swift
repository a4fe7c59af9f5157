import CRabbitMQ

/// Swift properties and tables to rabbitmq-c's structures (in arena memory), and back.
extension CArena {
    func properties(_ properties: AMQPProperties) -> amqp_basic_properties_t {
        var result = amqp_basic_properties_t()
        var flags: UInt32 = 0
        func string(_ value: String?, _ flag: Int32, _ set: (inout amqp_basic_properties_t, amqp_bytes_t) -> Void) {
            guard let value else { return }
            set(&result, bytes(value))
            flags |= UInt32(flag)
        }
        string(properties.contentType, AMQP_BASIC_CONTENT_TYPE_FLAG) { $0.content_type = $1 }
        string(properties.contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG) { $0.content_encoding = $1 }
        string(properties.correlationID, AMQP_BASIC_CORRELATION_ID_FLAG) { $0.correlation_id = $1 }
        string(properties.replyTo, AMQP_BASIC_REPLY_TO_FLAG) { $0.reply_to = $1 }
        string(properties.expiration, AMQP_BASIC_EXPIRATION_FLAG) { $0.expiration = $1 }
        string(properties.messageID, AMQP_BASIC_MESSAGE_ID_FLAG) { $0.message_id = $1 }
        string(properties.type, AMQP_BASIC_TYPE_FLAG) { $0.type = $1 }
        string(properties.userID, AMQP_BASIC_USER_ID_FLAG) { $0.user_id = $1 }
        string(properties.appID, AMQP_BASIC_APP_ID_FLAG) { $0.app_id = $1 }
        if let mode = properties.deliveryMode {
            result.delivery_mode = mode.rawValue
            flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
        }
        if let priority = properties.priority {
            result.priority = priority
            flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
        }
        if let timestamp = properties.timestamp {
            result.timestamp = timestamp
            flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
        }
        if let headers = properties.headers {
            result.headers = table(headers)
            flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
        }
        result._flags = amqp_flags_t(flags)
        return result
    }

    func table(_ table: AMQPTable) -> amqp_table_t {
        let entries = allocate(amqp_table_entry_t.self, count: table.count)
        for (index, (key, value)) in table.enumerated() {
            entries[index] = amqp_table_entry_t(key: bytes(key), value: fieldValue(value))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    private func fieldValue(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        func kind(_ letter: Character) { field.kind = letter.asciiValue ?? 0 }
        switch value {
        case .bool(let flag): kind("t"); field.value.boolean = flag ? 1 : 0
        case .int8(let number): kind("b"); field.value.i8 = number
        case .uint8(let number): kind("B"); field.value.u8 = number
        case .int16(let number): kind("s"); field.value.i16 = number
        case .uint16(let number): kind("u"); field.value.u16 = number
        case .int32(let number): kind("I"); field.value.i32 = number
        case .uint32(let number): kind("i"); field.value.u32 = number
        case .int64(let number): kind("l"); field.value.i64 = number
        case .float(let number): kind("f"); field.value.f32 = number
        case .double(let number): kind("d"); field.value.f64 = number
        case .decimal(let scale, let digits):
            kind("D")
            field.value.decimal = amqp_decimal_t(decimals: scale, value: digits)
        case .string(let text): kind("S"); field.value.bytes = bytes(text)
        case .bytes(let data): kind("x"); field.value.bytes = bytes(data)
        case .timestamp(let seconds): kind("T"); field.value.u64 = seconds
        case .table(let nested): kind("F"); field.value.table = table(nested)
        case .array(let elements):
            kind("A")
            let values = allocate(amqp_field_value_t.self, count: elements.count)
            for (index, element) in elements.enumerated() { values[index] = fieldValue(element) }
            field.value.array = amqp_array_t(num_entries: Int32(elements.count), entries: values)
        case .void: kind("V")
        }
        return field
    }
}

/// rabbitmq-c's decoded structures to Swift values (copied out: the C memory lives in a frame pool).
enum CDecoding {
    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let base = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    static func byteArray(_ bytes: amqp_bytes_t) -> [UInt8] {
        guard bytes.len > 0, let base = bytes.bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: bytes.len))
    }

    static func properties(_ properties: amqp_basic_properties_t) -> AMQPProperties {
        let flags = UInt32(properties._flags)
        func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
        func text(_ flag: Int32, _ value: amqp_bytes_t) -> String? { has(flag) ? string(value) : nil }
        var result = AMQPProperties()
        result.contentType = text(AMQP_BASIC_CONTENT_TYPE_FLAG, properties.content_type)
        result.contentEncoding = text(AMQP_BASIC_CONTENT_ENCODING_FLAG, properties.content_encoding)
        result.correlationID = text(AMQP_BASIC_CORRELATION_ID_FLAG, properties.correlation_id)
        result.replyTo = text(AMQP_BASIC_REPLY_TO_FLAG, properties.reply_to)
        result.expiration = text(AMQP_BASIC_EXPIRATION_FLAG, properties.expiration)
        result.messageID = text(AMQP_BASIC_MESSAGE_ID_FLAG, properties.message_id)
        result.type = text(AMQP_BASIC_TYPE_FLAG, properties.type)
        result.userID = text(AMQP_BASIC_USER_ID_FLAG, properties.user_id)
        result.appID = text(AMQP_BASIC_APP_ID_FLAG, properties.app_id)
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) {
            result.deliveryMode = AMQPProperties.DeliveryMode(rawValue: properties.delivery_mode)
        }
        if has(AMQP_BASIC_PRIORITY_FLAG) { result.priority = properties.priority }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) { result.timestamp = properties.timestamp }
        if has(AMQP_BASIC_HEADERS_FLAG) { result.headers = table(properties.headers) }
        return result
    }

    static func table(_ table: amqp_table_t) -> AMQPTable {
        guard table.num_entries > 0, let entries = table.entries else { return [:] }
        var result: AMQPTable = [:]
        for index in 0..<Int(table.num_entries) {
            result[string(entries[index].key)] = value(entries[index].value)
        }
        return result
    }

    static func value(_ field: amqp_field_value_t) -> AMQPFieldValue {
        switch Character(Unicode.Scalar(field.kind)) {
        case "t": .bool(field.value.boolean != 0)
        case "b": .int8(field.value.i8)
        case "B": .uint8(field.value.u8)
        case "s": .int16(field.value.i16)
        case "u": .uint16(field.value.u16)
        case "I": .int32(field.value.i32)
        case "i": .uint32(field.value.u32)
        case "l": .int64(field.value.i64)
        // rabbitmq-c decodes 'L' (unsigned 64) too; no broker sends it, but keep the value if one does.
        case "L": .int64(Int64(bitPattern: field.value.u64))
        case "f": .float(field.value.f32)
        case "d": .double(field.value.f64)
        case "D": .decimal(scale: field.value.decimal.decimals, value: field.value.decimal.value)
        case "S":
            // A long string need not be UTF-8 (RabbitMQ and pika use 'S' for binary too).
            String(validating: byteArray(field.value.bytes), as: UTF8.self).map { .string($0) }
                ?? .bytes(byteArray(field.value.bytes))
        case "x": .bytes(byteArray(field.value.bytes))
        case "T": .timestamp(field.value.u64)
        case "F": .table(table(field.value.table))
        case "A": .array(array(field.value.array))
        default: .void
        }
    }

    private static func array(_ array: amqp_array_t) -> [AMQPFieldValue] {
        guard array.num_entries > 0, let entries = array.entries else { return [] }
        return (0..<Int(array.num_entries)).map { value(entries[$0]) }
    }
}
