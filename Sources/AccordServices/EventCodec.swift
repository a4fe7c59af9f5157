import AccordContracts
import AccordJSON
import AccordOpenAPI
import AccordProto

/// An event's body on the wire, both ways: fields (JSON, proto field names) to bytes for the
/// publisher, bytes to JSON for a consumer. Protobuf events are binary, JSON events UTF-8 text.
public struct EventCodec: Sendable {
    public let event: ContractEvent
    /// JSON events: the members the schema declares; others are not sent. Nil when it declares none.
    private let jsonMembers: Set<String>?

    public init(event: ContractEvent) {
        self.event = event
        switch event.payload {
        case .protobuf:
            jsonMembers = nil
        case .json(let schema):
            let shape = SchemaShape.jsonObject(schema.root, in: schema.schemas, name: event.name)
            jsonMembers = shape.fields.isEmpty ? nil : Set(shape.fields.map(\.name))
        }
    }

    /// `application/x-protobuf` or `application/json`.
    public var contentType: String { event.payload.contentType }

    /// The body for these fields; fields the event does not declare are left out.
    public func encode(_ fields: [String: JSONValue]) throws(EventCodecError) -> [UInt8] {
        switch event.payload {
        case .protobuf(let type):
            do {
                let options = ProtoJSONOptions(ignoreUnknownFields: true)
                return try DynamicMessage(json: .object(fields), type: type, options: options).serializedBytes()
            } catch {
                throw EventCodecError(event: event.name, "its fields do not make a \(type.fullName)",
                                      cause: error.description)
            }
        case .json:
            let kept = jsonMembers.map { names in fields.filter { names.contains($0.key) } } ?? fields
            return Array(JSONValue.object(kept).jsonText.utf8)
        }
    }

    /// A received body as JSON (protobuf: proto3 JSON with proto field names).
    public func decode(_ body: [UInt8]) throws(EventCodecError) -> JSONValue {
        switch event.payload {
        case .protobuf(let type):
            do {
                let message = try DynamicMessage(binary: body, type: type)
                return try message.jsonValue(options: ProtoJSONOptions(preserveProtoFieldNames: true))
            } catch {
                throw EventCodecError(event: event.name, "the body is not a \(type.fullName)", cause: "\(error)")
            }
        case .json:
            do {
                return try JSONParser.parse(body)
            } catch {
                throw EventCodecError(event: event.name, "the body is not JSON", cause: error.description)
            }
        }
    }
}

/// An event body that could not be made or read.
public struct EventCodecError: Error, Sendable, CustomStringConvertible {
    public let event: String
    public let message: String
    public let cause: String

    public init(event: String, _ message: String, cause: String) {
        self.event = event
        self.message = message
        self.cause = cause
    }

    public var description: String { "event \(event): \(message): \(cause)" }
}
