import AccordGRPC
import Testing

@Suite struct GRPCTimeoutTests {
    @Test(arguments: [
        (Duration.milliseconds(250), "250000u"), (.seconds(1), "1000000u"), (.nanoseconds(5), "5n"),
        (.seconds(200), "200000m"), (.seconds(500_000), "500000S"), (.seconds(200_000_000), "3333334M"),
    ])
    func encodesInTheFinestUnitThatFits(duration: Duration, header: String) {
        #expect(GRPCTimeout.encode(duration) == header)
        #expect(GRPCTimeout.decode(header).map { $0 >= duration } == true)
    }

    @Test(arguments: ["1H", "2M", "3S", "4m", "5u", "6n", "99999999S"])
    func decodesEveryUnit(header: String) {
        #expect(GRPCTimeout.decode(header) != nil)
    }

    @Test(arguments: ["", "S", "10", "10x", "-1S", "123456789S", "1.5S"])
    func rejectsMalformedValues(header: String) {
        #expect(GRPCTimeout.decode(header) == nil)
    }
}
