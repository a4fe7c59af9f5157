/// Wire types of the protobuf binary format.
enum WireType {
    static let varint: UInt8 = 0
    static let fixed64: UInt8 = 1
    static let lengthDelimited: UInt8 = 2
    static let startGroup: UInt8 = 3
    static let endGroup: UInt8 = 4
    static let fixed32: UInt8 = 5

    /// The wire type a single (unpacked) value of `type` is written with.
    static func of(_ type: ProtoFieldType) -> UInt8 {
        switch type {
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool, .enumeration: varint
        case .fixed64, .sfixed64, .double: fixed64
        case .fixed32, .sfixed32, .float: fixed32
        case .string, .bytes, .message: lengthDelimited
        case .group: startGroup
        }
    }
}

/// Reads primitives from a byte buffer. `end` is the limit of the message being read; offsets
/// stay absolute so errors point into the caller's input.
struct WireReader {
    let buffer: UnsafeBufferPointer<UInt8>
    var index: Int
    var end: Int

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
        index = 0
        end = buffer.count
    }

    var isAtEnd: Bool { index >= end }

    @inline(__always)
    mutating func varint() throws(ProtoDecodingError) -> UInt64 {
        if index < end, buffer[index] < 0x80 {
            defer { index += 1 }
            return UInt64(buffer[index])
        }
        return try slowVarint()
    }

    private mutating func slowVarint() throws(ProtoDecodingError) -> UInt64 {
        let start = index
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw ProtoDecodingError(.truncatedVarint, at: start) }
            let byte = buffer[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift >= 70 { throw ProtoDecodingError(.varintTooLong, at: start) }
        }
    }

    @inline(__always)
    mutating func fixed32() throws(ProtoDecodingError) -> UInt32 {
        guard end - index >= 4 else { throw ProtoDecodingError(.truncatedFixed(width: 4), at: index) }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(buffer[index + i]) << (8 * i) }
        index += 4
        return value
    }

    @inline(__always)
    mutating func fixed64() throws(ProtoDecodingError) -> UInt64 {
        guard end - index >= 8 else { throw ProtoDecodingError(.truncatedFixed(width: 8), at: index) }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(buffer[index + i]) << (8 * i) }
        index += 8
        return value
    }

    /// Reads a length prefix and returns the range of the bytes it covers (not yet consumed).
    @inline(__always)
    mutating func lengthDelimited() throws(ProtoDecodingError) -> Range<Int> {
        let start = index
        let length = try varint()
        guard length <= UInt64(end - index) else {
            throw ProtoDecodingError(.lengthPastEnd(length: length, available: end - index), at: start)
        }
        return index..<(index + Int(length))
    }

    /// Skips one value of `wireType` (for unknown fields).
    mutating func skip(wireType: UInt8, at offset: Int) throws(ProtoDecodingError) {
        switch wireType {
        case WireType.varint: _ = try varint()
        case WireType.fixed64: _ = try fixed64()
        case WireType.lengthDelimited: index = try lengthDelimited().upperBound
        case WireType.fixed32: _ = try fixed32()
        case WireType.startGroup, WireType.endGroup: throw ProtoDecodingError(.groupWireType, at: offset)
        default: throw ProtoDecodingError(.invalidWireType(wireType), at: offset)
        }
    }
}

/// Appends primitives to a byte array.
struct WireWriter {
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    mutating func tag(_ number: Int32, _ wireType: UInt8) {
        varint(UInt64(UInt32(bitPattern: number) << 3 | UInt32(wireType)))
    }

    @inline(__always)
    mutating func fixed32(_ value: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    @inline(__always)
    mutating func fixed64(_ value: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    /// Writes what `body` writes, preceded by its length. The body goes first and the length is
    /// slotted in front of it, which moves the body only when the length takes more than one byte.
    @inline(__always)
    mutating func lengthDelimited(_ body: (inout WireWriter) -> Void) {
        let start = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - start - 1
        if length < 0x80 {
            bytes[start] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        var v = UInt64(length)
        while v >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        prefix.append(UInt8(v))
        bytes.replaceSubrange(start..<(start + 1), with: prefix)
    }
}

/// ZigZag encoding of sint32/sint64: small magnitudes, either sign, become small varints.
enum ZigZag {
    @inline(__always) static func encode(_ v: Int32) -> UInt64 { UInt64(UInt32(bitPattern: (v << 1) ^ (v >> 31))) }
    @inline(__always) static func encode(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func decode32(_ n: UInt64) -> Int32 {
        let u = UInt32(truncatingIfNeeded: n)
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
    @inline(__always) static func decode64(_ n: UInt64) -> Int64 { Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1))) }
}
