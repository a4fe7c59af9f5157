extension DynamicMessage {
    /// The default limit on message nesting, as in the reference implementations.
    public static let defaultMaxDepth = 100

    /// Decodes the protobuf binary encoding of a message of `type`.
    public init<Bytes: Collection<UInt8>>(binary bytes: Bytes, type: MessageDescriptor,
                                          maxDepth: Int = DynamicMessage.defaultMaxDepth) throws(ProtoDecodingError) {
        self.init(type: type)
        try merge(binary: bytes, maxDepth: maxDepth)
    }

    /// Decodes `bytes` into this message: scalars are replaced, repeated fields appended to and
    /// message fields merged, as when two encodings are concatenated.
    public mutating func merge<Bytes: Collection<UInt8>>(binary bytes: Bytes,
                                                         maxDepth: Int = DynamicMessage.defaultMaxDepth)
        throws(ProtoDecodingError)
    {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(ProtoDecodingError) in
                var reader = WireReader(buffer)
                try self.decode(from: &reader, depth: 0, maxDepth: maxDepth)
            }
        }
        if let result { return try result.get() }
        try merge(binary: Array(bytes), maxDepth: maxDepth)
    }

    /// The binary encoding: known fields in field-number order (map entries by key), proto3
    /// scalars packed, then the unknown fields as they arrived.
    public func serializedBytes() -> [UInt8] {
        var writer = WireWriter()
        encode(to: &writer)
        return writer.bytes
    }

    // MARK: Decoding

    private mutating func decode(from reader: inout WireReader, depth: Int, maxDepth: Int)
        throws(ProtoDecodingError)
    {
        let storage = descriptor.storage
        let info = storage.messages[descriptor.index]
        // Repeated fields and maps collect here, by field index, and are stored once at the end.
        var lists: [[ProtoValue]] = []
        var maps: [[ProtoValue: ProtoValue]] = []

        while !reader.isAtEnd {
            let tagOffset = reader.index
            let tag = try located(reader.varint(), info.fullName)
            let wireType = UInt8(tag & 7)
            let number = tag >> 3
            guard number >= 1, number <= 0x1FFF_FFFF else {
                throw located(ProtoDecodingError(.invalidFieldNumber(number), at: tagOffset), info.fullName)
            }
            guard let fieldIndex = info.fieldIndex(number: Int32(number)) else {
                try located(reader.skip(wireType: wireType, at: tagOffset), info.fullName)
                unknownFields.append(contentsOf: reader.buffer[tagOffset..<reader.index])
                continue
            }
            let field = info.fields[fieldIndex]
            do throws(ProtoDecodingError) {
                if field.isMap {
                    if maps.isEmpty { maps = values.map { $0?.mapValue ?? [:] } }
                    try Self.expect(WireType.lengthDelimited, wireType, at: tagOffset)
                    let (key, value) = try Self.decodeMapEntry(field, storage: storage, from: &reader,
                                                               depth: depth, maxDepth: maxDepth)
                    maps[fieldIndex][key] = value
                } else if field.isRepeated {
                    if lists.isEmpty { lists = values.map { $0?.listValue ?? [] } }
                    if wireType == WireType.lengthDelimited, field.type.isPackable {
                        try Self.decodePacked(field, storage: storage, from: &reader, into: &lists[fieldIndex])
                    } else {
                        try Self.expect(field.wireType, wireType, at: tagOffset)
                        let element = try Self.decodeValue(field, storage: storage, from: &reader,
                                                           depth: depth, maxDepth: maxDepth, existing: nil)
                        lists[fieldIndex].append(element)
                    }
                } else {
                    try Self.expect(field.wireType, wireType, at: tagOffset)
                    let existing = field.type == .message ? values[fieldIndex] : nil
                    if existing != nil { values[fieldIndex] = nil }  // let the merge mutate it in place
                    let value = try Self.decodeValue(field, storage: storage, from: &reader,
                                                     depth: depth, maxDepth: maxDepth, existing: existing)
                    store(value, at: fieldIndex, field: field)
                }
            } catch {
                let element = field.isRepeated && !field.isMap ? lists[fieldIndex].count : nil
                throw error.inside(message: info.fullName, field: field.name, element: element)
            }
        }
        for (index, list) in lists.enumerated() where !list.isEmpty { store(.list(list), at: index) }
        for (index, map) in maps.enumerated() where !map.isEmpty { store(.map(map), at: index) }
    }

    /// Gives an error raised between fields its message type.
    private func located<T>(_ body: @autoclosure () throws(ProtoDecodingError) -> T, _ message: String)
        throws(ProtoDecodingError) -> T
    {
        do { return try body() } catch { throw located(error, message) }
    }

    private func located(_ error: ProtoDecodingError, _ message: String) -> ProtoDecodingError {
        var copy = error
        if !copy.located { copy.messageType = message }
        return copy
    }

    @inline(__always)
    private static func expect(_ expected: UInt8, _ found: UInt8, at offset: Int) throws(ProtoDecodingError) {
        guard expected == found else {
            if found == WireType.startGroup || found == WireType.endGroup {
                throw ProtoDecodingError(.groupWireType, at: offset)
            }
            if found > WireType.fixed32 { throw ProtoDecodingError(.invalidWireType(found), at: offset) }
            throw ProtoDecodingError(.wrongWireType(expected: expected, found: found), at: offset)
        }
    }

    private static func decodeValue(_ field: FieldInfo, storage: SchemaStorage, from reader: inout WireReader,
                                    depth: Int, maxDepth: Int, existing: ProtoValue?)
        throws(ProtoDecodingError) -> ProtoValue
    {
        switch field.type {
        case .message:
            var message = existing?.messageValue
                ?? DynamicMessage(type: MessageDescriptor(storage: storage, index: field.messageIndex ?? 0))
            try decodeNested(into: &message, from: &reader, depth: depth, maxDepth: maxDepth)
            return .message(message)
        case .string:
            let range = try reader.lengthDelimited()
            reader.index = range.upperBound
            guard let text = Self.utf8String(UnsafeBufferPointer(rebasing: reader.buffer[range])) else {
                throw ProtoDecodingError(.invalidUTF8, at: range.lowerBound)
            }
            return .string(text)
        case .bytes:
            let range = try reader.lengthDelimited()
            reader.index = range.upperBound
            return .bytes(Array(reader.buffer[range]))
        case .group:
            throw ProtoDecodingError(.groupWireType, at: reader.index)
        case .int32: return .int32(Int32(truncatingIfNeeded: try reader.varint()))
        case .int64: return .int64(Int64(bitPattern: try reader.varint()))
        case .uint32: return .uint32(UInt32(truncatingIfNeeded: try reader.varint()))
        case .uint64: return .uint64(try reader.varint())
        case .sint32: return .int32(ZigZag.decode32(try reader.varint()))
        case .sint64: return .int64(ZigZag.decode64(try reader.varint()))
        case .bool: return .bool(try reader.varint() != 0)
        case .enumeration: return .enumNumber(Int32(truncatingIfNeeded: try reader.varint()))
        case .fixed32: return .uint32(try reader.fixed32())
        case .sfixed32: return .int32(Int32(bitPattern: try reader.fixed32()))
        case .float: return .float(Float(bitPattern: try reader.fixed32()))
        case .fixed64: return .uint64(try reader.fixed64())
        case .sfixed64: return .int64(Int64(bitPattern: try reader.fixed64()))
        case .double: return .double(Double(bitPattern: try reader.fixed64()))
        }
    }

    /// The string, or nil when the bytes are not UTF-8. ASCII, the common case, skips the
    /// (unspecialized, slower) generic validation.
    @inline(__always)
    private static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Reads a length-delimited message into `message`, one level deeper than `depth`.
    private static func decodeNested(into message: inout DynamicMessage, from reader: inout WireReader,
                                     depth: Int, maxDepth: Int) throws(ProtoDecodingError) {
        let range = try reader.lengthDelimited()
        guard depth < maxDepth else {
            throw ProtoDecodingError(.nestingTooDeep(limit: maxDepth), at: range.lowerBound)
        }
        let outerEnd = reader.end
        reader.end = range.upperBound
        try message.decode(from: &reader, depth: depth + 1, maxDepth: maxDepth)
        reader.end = outerEnd
    }

    /// Reads a packed run of scalars (`field.type` is packable, so no message needs `storage`).
    private static func decodePacked(_ field: FieldInfo, storage: SchemaStorage, from reader: inout WireReader,
                                     into list: inout [ProtoValue]) throws(ProtoDecodingError) {
        let range = try reader.lengthDelimited()
        let width = switch field.wireType {
        case WireType.fixed32: 4
        case WireType.fixed64: 8
        default: 0
        }
        if width > 0 {
            guard range.count % width == 0 else {
                throw ProtoDecodingError(.invalidPackedLength(length: range.count, elementWidth: width),
                                         at: range.lowerBound)
            }
            list.reserveCapacity(list.count + range.count / width)
        }
        let outerEnd = reader.end
        reader.end = range.upperBound
        while !reader.isAtEnd {
            list.append(try decodeValue(field, storage: storage, from: &reader, depth: 0, maxDepth: 0, existing: nil))
        }
        reader.end = outerEnd
    }

    private static func decodeMapEntry(_ field: FieldInfo, storage: SchemaStorage, from reader: inout WireReader,
                                       depth: Int, maxDepth: Int)
        throws(ProtoDecodingError) -> (ProtoValue, ProtoValue)
    {
        let entryType = MessageDescriptor(storage: storage, index: field.messageIndex ?? 0)
        var entry = DynamicMessage(type: entryType)
        try decodeNested(into: &entry, from: &reader, depth: depth, maxDepth: maxDepth)
        let keyField = entryType.info.fields[0], valueField = entryType.info.fields[1]
        let key = entry.values[0] ?? ProtoValue.defaultValue(for: keyField.type) ?? .bool(false)
        let value = entry.values[1]
            ?? ProtoValue.defaultValue(for: valueField.type)
            ?? .message(DynamicMessage(type: MessageDescriptor(storage: storage, index: valueField.messageIndex ?? 0)))
        return (key, value)
    }

    // MARK: Encoding

    func encode(to writer: inout WireWriter) {
        let storage = descriptor.storage
        let info = storage.messages[descriptor.index]
        for index in values.indices {
            guard let value = values[index] else { continue }
            let field = info.fields[index]
            switch value {
            case .map(let entries):
                let entryInfo = storage.messages[field.messageIndex ?? 0]
                let keyField = entryInfo.fields[0], valueField = entryInfo.fields[1]
                for (key, mapped) in entries.sorted(by: { ProtoValue.mapKeyOrder($0.key, $1.key) }) {
                    writer.tag(field.number, WireType.lengthDelimited)
                    writer.lengthDelimited { w in
                        Self.encodeTagged(key, keyField, to: &w)
                        Self.encodeTagged(mapped, valueField, to: &w)
                    }
                }
            case .list(let items):
                if field.isPacked {
                    writer.tag(field.number, WireType.lengthDelimited)
                    writer.lengthDelimited { w in
                        for item in items { Self.encodeBare(item, field.type, to: &w) }
                    }
                } else {
                    for item in items { Self.encodeTagged(item, field, to: &writer) }
                }
            default:
                Self.encodeTagged(value, field, to: &writer)
            }
        }
        writer.bytes.append(contentsOf: unknownFields)
    }

    @inline(__always)
    private static func encodeTagged(_ value: ProtoValue, _ field: FieldInfo, to writer: inout WireWriter) {
        writer.tag(field.number, WireType.of(field.type))
        encodeBare(value, field.type, to: &writer)
    }

    /// Writes a value without its tag.
    private static func encodeBare(_ value: ProtoValue, _ type: ProtoFieldType, to writer: inout WireWriter) {
        switch value {
        case .bool(let v): writer.varint(v ? 1 : 0)
        case .int32(let v):
            switch type {
            case .sint32: writer.varint(ZigZag.encode(v))
            case .sfixed32: writer.fixed32(UInt32(bitPattern: v))
            default: writer.varint(UInt64(bitPattern: Int64(v)))  // negative int32 takes 10 bytes
            }
        case .int64(let v):
            switch type {
            case .sint64: writer.varint(ZigZag.encode(v))
            case .sfixed64: writer.fixed64(UInt64(bitPattern: v))
            default: writer.varint(UInt64(bitPattern: v))
            }
        case .uint32(let v): type == .fixed32 ? writer.fixed32(v) : writer.varint(UInt64(v))
        case .uint64(let v): type == .fixed64 ? writer.fixed64(v) : writer.varint(v)
        case .float(let v): writer.fixed32(v.bitPattern)
        case .double(let v): writer.fixed64(v.bitPattern)
        case .enumNumber(let v): writer.varint(UInt64(bitPattern: Int64(v)))
        case .string(let v):
            writer.varint(UInt64(v.utf8.count))
            writer.bytes.append(contentsOf: v.utf8)
        case .bytes(let v):
            writer.varint(UInt64(v.count))
            writer.bytes.append(contentsOf: v)
        case .message(let m):
            writer.lengthDelimited { m.encode(to: &$0) }
        case .list, .map:
            break  // only ever stored at the top of a field, handled by `encode(to:)`
        }
    }
}

extension ProtoValue {
    /// The order map keys are written and shown in: numbers by value, strings by UTF-8 bytes,
    /// false before true (the order deterministic serialization in the reference runtimes uses).
    static func mapKeyOrder(_ a: ProtoValue, _ b: ProtoValue) -> Bool {
        switch (a, b) {
        case (.int32(let x), .int32(let y)): x < y
        case (.int64(let x), .int64(let y)): x < y
        case (.uint32(let x), .uint32(let y)): x < y
        case (.uint64(let x), .uint64(let y)): x < y
        case (.bool(let x), .bool(let y)): !x && y
        case (.string(let x), .string(let y)): x.utf8.lexicographicallyPrecedes(y.utf8)
        default: false
        }
    }
}

extension DynamicMessage {
    /// The fields that arrived but that the message's type does not declare, in arrival order,
    /// here and in nested messages: the dotted path (proto names) of the message that holds each
    /// ("" for this one) and its number. What a producer sends beyond its own schema.
    public var unknownFieldPaths: [(path: String, number: Int32)] {
        var found: [(path: String, number: Int32)] = []
        collectUnknown(prefix: "", into: &found)
        return found
    }

    private func collectUnknown(prefix: String, into found: inout [(path: String, number: Int32)]) {
        unknownFields.withUnsafeBufferPointer { bytes in
            var reader = WireReader(bytes)
            while !reader.isAtEnd {
                let offset = reader.index
                guard let tag = try? reader.varint(), (try? reader.skip(wireType: UInt8(tag & 7), at: offset)) != nil
                else { break }
                found.append((String(prefix.dropLast()), Int32(truncatingIfNeeded: tag >> 3)))
            }
        }
        for (field, value) in setFields {
            let path = prefix + field.name + "."
            switch value {
            case .message(let nested): nested.collectUnknown(prefix: path, into: &found)
            case .list(let items):
                for case .message(let nested) in items { nested.collectUnknown(prefix: path, into: &found) }
            default: break
            }
        }
    }
}
