import AccordGRPC
import AccordJSON
import AccordProto
import NIOCore

/// gRPC handlers for a protobuf service known only at run time. Requests are decoded with
/// the dynamic codec (INVALID_ARGUMENT when they do not decode) and handed to a behaviour,
/// whose responses are encoded back; all four call kinds map onto `respond`.
public struct ProtoGRPCService: Sendable {
    /// Produces the responses to one request message.
    public typealias Behaviour = @Sendable (ProtoGRPCRequest) async throws -> [DynamicMessage]

    public let service: ServiceDescriptor
    private let behaviour: Behaviour

    public init(service: ServiceDescriptor, behaviour: @escaping Behaviour) {
        self.service = service
        self.behaviour = behaviour
    }

    public var handlers: [String: GRPCHandler] {
        Dictionary(uniqueKeysWithValues: service.methods.map { method in (method.path, handler(for: method)) })
    }

    private func handler(for method: MethodDescriptor) -> GRPCHandler {
        let behaviour = self.behaviour
        return GRPCHandler { call in
            var last: [DynamicMessage] = []
            for await bytes in call.requests {
                let request: DynamicMessage
                do {
                    request = try DynamicMessage(binary: bytes.readableBytesView, type: method.inputType)
                } catch {
                    throw GRPCStatus(.invalidArgument, "\(method.inputType.fullName) does not decode: \(error)")
                }
                last = try await behaviour(ProtoGRPCRequest(method: method, message: request, call: call))
                // A streaming response answers each request as it comes; a single response
                // answers once, to the last request (client streaming).
                if method.serverStreaming {
                    for response in last { try await call.send(response.serializedBytes()) }
                }
            }
            if !method.serverStreaming {
                guard let response = last.first else {
                    throw GRPCStatus(.invalidArgument, "\(method.path) expects a request message")
                }
                try await call.send(response.serializedBytes())
            }
        }
    }
}

/// One decoded request message of a call, with the call's headers.
public struct ProtoGRPCRequest: Sendable {
    public let method: MethodDescriptor
    public let message: DynamicMessage
    private let call: GRPCServerCall

    init(method: MethodDescriptor, message: DynamicMessage, call: GRPCServerCall) {
        self.method = method
        self.message = message
        self.call = call
    }

    /// The request's metadata (`x-correlation-id`, ...).
    public var metadata: GRPCMetadata { call.head.metadata }

    /// Metadata for the response headers; takes effect when set before the behaviour returns.
    public func setResponseMetadata(_ metadata: GRPCMetadata) {
        call.setInitialMetadata(metadata)
    }
}

extension ProtoGRPCService {
    /// A behaviour for demos and smoke tests: the response copies the request's fields that
    /// the response type shares by name, fills the rest with sample values, and a
    /// server-streaming method sends three.
    public static func reflecting(service: ServiceDescriptor) -> ProtoGRPCService {
        ProtoGRPCService(service: service) { request in
            let method = request.method
            let response = reflect(request.message, into: method.outputType)
            return method.serverStreaming ? Array(repeating: response, count: 3) : [response]
        }
    }

    static func reflect(_ request: DynamicMessage, into type: MessageDescriptor) -> DynamicMessage {
        let sample = DynamicMessage.sample(of: type)
        let names = ProtoJSONOptions(preserveProtoFieldNames: true)
        guard case .object(var merged)? = try? sample.jsonValue(options: names),
            case .object(let fields)? = try? request.jsonValue(options: names)
        else { return sample }
        for (name, value) in fields where type.field(named: name) != nil { merged[name] = value }
        return (try? DynamicMessage(json: .object(merged), type: type)) ?? sample
    }
}
