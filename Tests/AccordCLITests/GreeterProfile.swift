import AccordTestSupport

/// The load-profile lines the CLI tests share: the demo greeter's unary method as the mix.
enum GreeterProfile {
    static let proto = Repository.root.appendingPathComponent("contracts/demo/greeter.proto").path

    /// A top-level `mix:` with one SayHello entry against 127.0.0.1:`port`.
    static func mix(port: Int) -> String {
        mix(address: "127.0.0.1:\(port)")
    }

    /// The same against several replicas, its connections spread over them.
    static func mix(ports: [Int]) -> String {
        mix(address: "[" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ", ") + "]")
    }

    private static func mix(address: String) -> String {
        """
        mix:
          - name: SayHello
            grpc:
              address: \(address)
              proto: \(proto)
              method: accord.demo.v1.Greeter/SayHello
              request: { name: "u-${seq}" }
        """
    }
}
