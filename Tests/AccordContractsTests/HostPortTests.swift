import AccordContracts
import Testing

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("orders:50051", "orders", 50051), ("[::1]:9000", "::1", 9000),
        ("localhost:65535", "localhost", 65535),
    ])
    func parsesHostAndPort(text: String, host: String, port: Int) throws {
        let address = try #require(HostPort(text))
        #expect(address.host == host && address.port == port)
        #expect(address.description == text)
    }

    @Test(arguments: ["nowhere", ":8080", "host:", "host:0", "host:65536", "host:80x", "[]:80", "host: 80"])
    func rejectsWhatIsNotHostPort(text: String) {
        #expect(HostPort(text) == nil)
    }
}
