import AccordGRPC
import Foundation
import NIOCore

// The target for bench/grpc-vs-h2load: a gRPC server whose one method (the demo greeter's
// SayHello path) echoes the request bytes, so the clients, not the handler, are measured.
//   AccordGRPCBench serve PORT
let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "serve", let port = Int(arguments[2]) else {
    print("usage: AccordGRPCBench serve PORT")
    exit(2)
}
let server = GRPCServer(
    configuration: .init(port: port, settings: HTTP2Settings(maxConcurrentStreams: 1000)),
    handlers: ["/accord.demo.v1.Greeter/SayHello": .unary { _, request in request }])
let bound = try await server.start()
// Unbuffered, so the script sees the line while the server keeps running.
FileHandle.standardOutput.write(Data("READY \(bound)\n".utf8))
while true { try await Task.sleep(for: .seconds(3600)) }
