import AccordGRPC
import NIOCore

/// The test-owned Echo messages (Fixtures/echo.proto), encoded by hand so the transport tests
/// stand on their own: field 1 `text` (string), field 2 `count`/`index` (int32), field 3 `delay_ms`.
struct EchoMessage: Equatable {
    var text = ""
    var number: Int32 = 0
    var delayMS: Int32 = 0

    var encoded: ByteBuffer {
        var out = ByteBuffer()
        if !text.isEmpty {
            out.writeInteger(UInt8(0x0A))
            writeVarint(UInt64(text.utf8.count), &out)
            out.writeString(text)
        }
        if number != 0 {
            out.writeInteger(UInt8(0x10))
            writeVarint(UInt64(bitPattern: Int64(number)), &out)
        }
        if delayMS != 0 {
            out.writeInteger(UInt8(0x18))
            writeVarint(UInt64(bitPattern: Int64(delayMS)), &out)
        }
        return out
    }

    init(text: String = "", number: Int32 = 0, delayMS: Int32 = 0) {
        self.text = text
        self.number = number
        self.delayMS = delayMS
    }

    init?(_ buffer: ByteBuffer) {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            guard let key = readVarint(&buffer) else { return nil }
            switch (key >> 3, key & 7) {
            case (1, 2):
                guard let length = readVarint(&buffer), let s = buffer.readString(length: Int(length)) else { return nil }
                text = s
            case (2, 0): guard let v = readVarint(&buffer) else { return nil }; number = Int32(truncatingIfNeeded: v)
            case (3, 0): guard let v = readVarint(&buffer) else { return nil }; delayMS = Int32(truncatingIfNeeded: v)
            default: return nil
            }
        }
    }
}

private func writeVarint(_ value: UInt64, _ out: inout ByteBuffer) {
    var v = value
    while v >= 0x80 {
        out.writeInteger(UInt8(v & 0x7F | 0x80))
        v >>= 7
    }
    out.writeInteger(UInt8(v))
}

private func readVarint(_ buffer: inout ByteBuffer) -> UInt64? {
    var result: UInt64 = 0
    for shift in stride(from: 0, to: 64, by: 7) {
        guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
        result |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return result }
    }
    return nil
}

/// The accord-side Echo service, with the semantics grpc_peer.py documents.
enum EchoService {
    static let prefix = "/accord.test.v1.Echo/"
    static let failMessage = "no such thing: ünïcode 100%"

    static func echoedMetadata(_ call: GRPCServerCall) {
        var initial = GRPCMetadata(), trailing = GRPCMetadata()
        for (key, value) in call.head.metadata where key.hasPrefix("x-") {
            initial.add(key, value)
            let trailerKey = key.hasSuffix("-bin") ? String(key.dropLast(4)) + "-trailer-bin" : key + "-trailer"
            trailing.add(trailerKey, value)
        }
        call.setInitialMetadata(initial)
        call.setTrailingMetadata(trailing)
    }

    static func request(_ buffer: ByteBuffer) throws -> EchoMessage {
        guard let message = EchoMessage(buffer) else { throw GRPCStatus(.invalidArgument, "undecodable EchoRequest") }
        return message
    }

    static var handlers: [String: GRPCHandler] {
        [
            prefix + "Say": GRPCHandler { call in
                echoedMetadata(call)
                let request = try request(try await call.requests.single())
                if request.delayMS > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMS))) }
                if request.text == "fail" { throw GRPCStatus(.notFound, failMessage) }
                try await call.send(EchoMessage(text: "echo:" + request.text).encoded)
            },
            prefix + "Expand": GRPCHandler { call in
                echoedMetadata(call)
                let request = try request(try await call.requests.single())
                for i in 0..<request.number {
                    try await call.send(EchoMessage(text: "\(request.text)-\(i)", number: i).encoded)
                }
            },
            prefix + "Collect": GRPCHandler { call in
                echoedMetadata(call)
                var texts: [String] = []
                for try await message in call.requests { texts.append(try request(message).text) }
                try await call.send(EchoMessage(text: texts.joined(separator: "+")).encoded)
            },
            prefix + "Chat": GRPCHandler { call in
                echoedMetadata(call)
                var index: Int32 = 0
                for try await message in call.requests {
                    try await call.send(EchoMessage(text: "chat:" + (try request(message).text), number: index).encoded)
                    index += 1
                }
            },
        ]
    }
}
