import AccordLoad
import Testing

/// The lines consumers print about the messages they take: reference consumers' log lines and
/// the plain lines a program writes, and lines that report nothing.
@Suite struct ConsumerReportTests {
    @Test(arguments: [
        // A reference consumer's log line (swift-log's stream format, metadata sorted by key).
        ("2026-11-25T00:35:40+0000 info accord.serve : accord.correlation_id=c-1 accord.service=worker "
            + "accord.stage=processed amqp.event=job.submitted amqp.message_id=r1-0-7 amqp.queue=q "
            + "[AccordServices] processed and acked",
         ConsumerReport(id: "r1-0-7", stage: .processed, event: "job.submitted")),
        ("amqp.message_id=r1-0-8 accord.stage=received", ConsumerReport(id: "r1-0-8", stage: .received)),
        ("processed amqp.message_id=r1-0-9", ConsumerReport(id: "r1-0-9")),
        ("amqp.message_id=x\taccord.stage=requeued\r", ConsumerReport(id: "x", stage: .requeued)),
        ("accord.stage=dropped amqp.message_id=y", ConsumerReport(id: "y", stage: .dropped)),
    ])
    func readsAReport(line: String, expected: ConsumerReport) {
        #expect(ConsumerReport.parse(line) == expected)
    }

    @Test(arguments: [
        "2026-11-25T00:35:40+0000 notice accord.serve : accord.service=worker [AccordServices] ready",
        "amqp.message_id= accord.stage=processed",
        "amqp.message_id=z accord.stage=finished",
        "the amqp.message_id is printed elsewhere",
        "",
    ])
    func ignoresALineThatReportsNothing(line: String) {
        #expect(ConsumerReport.parse(line) == nil)
    }
}
