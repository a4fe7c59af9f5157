/// Where a broker is and how to log in: the parts of an `amqp://user:password@host:port/vhost` URL.
public struct AMQPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String

    public init(host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
                vhost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.vhost = vhost
    }

    /// Parses a URL as RabbitMQ's URI spec reads it: user, password and vhost are percent-decoded;
    /// no path means vhost "/", an empty path ("amqp://h/") means vhost "" and "%2f" is a slash.
    public init(url: String) throws(AMQPError) {
        func invalid(_ why: String) -> AMQPError {
            AMQPError(.invalidArgument, operation: "parse AMQP URL", text: "\(why) in '\(Self.redacted(url))'")
        }
        guard url.hasPrefix("amqp://") else {
            throw invalid(url.hasPrefix("amqps://") ? "TLS (amqps) is not supported" : "the scheme must be amqp://")
        }
        var rest = Substring(url.dropFirst("amqp://".count))
        if rest.contains("?") || rest.contains("#") { throw invalid("query parameters are not supported") }

        var vhost = "/"
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if path.contains("/") { throw invalid("a vhost slash must be written %2f") }
            guard let decoded = Self.percentDecoded(path) else { throw invalid("bad percent-encoding in the vhost") }
            vhost = decoded
            rest = rest[..<slash]
        }

        var user = "guest", password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let decodedUser = Self.percentDecoded(parts[0]) else { throw invalid("bad percent-encoding") }
            user = decodedUser
            if parts.count == 2 {
                guard let decodedPassword = Self.percentDecoded(parts[1]) else {
                    throw invalid("bad percent-encoding")
                }
                password = decodedPassword
            }
        }

        var host = "localhost", port = 5672
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else if !rest.isEmpty {
            host = String(rest)
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw invalid("the port must be a number from 1 to 65535")
            }
            port = value
        }
        if host.isEmpty { host = "localhost" }
        self.init(host: host, port: port, user: user, password: password, vhost: vhost)
    }

    /// The URL form, percent-encoding what needs it; round-trips through `init(url:)`.
    public var url: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let encodedUser = Self.percentEncoded(user), encodedPassword = Self.percentEncoded(password)
        return "amqp://\(encodedUser):\(encodedPassword)@\(hostPart):\(port)/\(Self.percentEncoded(vhost))"
    }

    /// The URL without the password, for logs and errors.
    public var description: String { Self.redacted(url) }

    private static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@"),
              let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":") else { return url }
        return url[..<url.index(after: colon)] + "***" + url[at...]
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += byte < 16 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return result
    }
}

/// How a connection behaves: limits negotiated with the broker and local time limits.
public struct AMQPConnectionConfiguration: Sendable {
    public var endpoint: AMQPEndpoint
    /// The largest frame we propose; the broker may lower it. Bodies are split into frames of this size;
    /// a content header (properties, headers table) must fit into one.
    public var frameMax: Int = 131_072
    /// Heartbeat interval in seconds proposed to the broker (0 disables heartbeats).
    public var heartbeatSeconds: Int = 30
    public var connectTimeout: Duration = .seconds(5)
    /// Limit for each synchronous method (declare, bind, consume, cancel, close).
    public var rpcTimeout: Duration = .seconds(30)
    /// How many published messages may await their confirm at once; the connection thread stops
    /// sending and reads confirms when the window is full.
    public var publishWindow: Int = 4096

    public init(endpoint: AMQPEndpoint) {
        self.endpoint = endpoint
    }
}
