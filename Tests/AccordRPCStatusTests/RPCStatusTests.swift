import AccordRPCStatus
import Testing

@Suite struct RPCStatusTests {
    @Test func namesRoundTrip() {
        for code in RPCStatus.allCases { #expect(RPCStatus(name: code.name) == code) }
        #expect(RPCStatus(name: "not_found") == nil)
        #expect(RPCStatus(name: "NOTFOUND") == nil)
    }

    /// The numbers are gRPC's wire values (grpc-status) and the names its spelling.
    @Test(arguments: [
        (0, "OK"), (1, "CANCELLED"), (4, "DEADLINE_EXCEEDED"), (5, "NOT_FOUND"), (13, "INTERNAL"),
        (14, "UNAVAILABLE"), (16, "UNAUTHENTICATED"),
    ])
    func numbersAndNamesAreGRPCs(number: Int, name: String) {
        #expect(RPCStatus(rawValue: number)?.name == name)
    }

    @Test func sixteenIsTheLast() {
        #expect(RPCStatus.allCases.count == 17)
        #expect(RPCStatus(rawValue: 17) == nil)
    }
}
