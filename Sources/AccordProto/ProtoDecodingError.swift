/// Why bytes are not a valid encoding of a message: what went wrong, in which message type and
/// field (a path from the top message, such as `items[2].sku`), and at which byte offset.
public struct ProtoDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The input ends inside a varint.
        case truncatedVarint
        /// A varint longer than 10 bytes.
        case varintTooLong
        /// A fixed-width value (4 or 8 bytes) runs past the end of its message.
        case truncatedFixed(width: Int)
        /// A length-delimited value claims more bytes than its message has left.
        case lengthPastEnd(length: UInt64, available: Int)
        /// A known field arrived with a wire type its declared type cannot have.
        case wrongWireType(expected: UInt8, found: UInt8)
        /// Wire types 3 and 4 (proto2 groups), which this codec does not accept.
        case groupWireType
        case invalidWireType(UInt8)
        case invalidFieldNumber(UInt64)
        /// A string field whose bytes are not valid UTF-8.
        case invalidUTF8
        /// Messages nested deeper than the decoder's limit.
        case nestingTooDeep(limit: Int)
        /// A packed fixed-width field whose length is not a multiple of the element size.
        case invalidPackedLength(length: Int, elementWidth: Int)
    }

    public let problem: Problem
    /// The message type being decoded where the problem was found (the innermost one).
    public internal(set) var messageType: String
    /// The field path from the top message, empty when the problem is in a tag between fields.
    public internal(set) var fieldPath: String
    /// Byte offset of the problem from the start of the input.
    public let offset: Int

    /// Whether the message type and path were filled in by the decoder of the innermost message.
    var located: Bool { !messageType.isEmpty }

    init(_ problem: Problem, at offset: Int) {
        self.problem = problem
        self.offset = offset
        messageType = ""
        fieldPath = ""
    }

    public var description: String {
        let place = fieldPath.isEmpty ? messageType : "\(messageType) field \(fieldPath)"
        return "cannot decode \(place) at byte \(offset): \(problem)"
    }

    /// The error seen from the enclosing message: the path gains the field (and element index).
    func inside(message: String, field: String, element: Int?) -> ProtoDecodingError {
        var copy = self
        let step = element.map { "\(field)[\($0)]" } ?? field
        if located {
            copy.fieldPath = fieldPath.isEmpty ? step : "\(step).\(fieldPath)"
        } else {
            copy.messageType = message
            copy.fieldPath = step
        }
        return copy
    }
}

extension ProtoDecodingError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncatedVarint: "input ends inside a varint"
        case .varintTooLong: "varint longer than 10 bytes"
        case .truncatedFixed(let width): "input ends inside a \(width)-byte fixed value"
        case .lengthPastEnd(let length, let available):
            "length \(length) runs past the end (\(available) bytes left)"
        case .wrongWireType(let expected, let found):
            "wire type \(found) (\(Self.name(found))), expected \(expected) (\(Self.name(expected)))"
        case .groupWireType: "group wire types (3, 4) are not supported"
        case .invalidWireType(let type): "invalid wire type \(type)"
        case .invalidFieldNumber(let number): "invalid field number \(number)"
        case .invalidUTF8: "string is not valid UTF-8"
        case .nestingTooDeep(let limit): "messages nested deeper than \(limit)"
        case .invalidPackedLength(let length, let width):
            "packed length \(length) is not a multiple of \(width)"
        }
    }

    static func name(_ wireType: UInt8) -> String {
        switch wireType {
        case 0: "varint"
        case 1: "64-bit"
        case 2: "length-delimited"
        case 3: "start group"
        case 4: "end group"
        case 5: "32-bit"
        default: "invalid"
        }
    }
}
