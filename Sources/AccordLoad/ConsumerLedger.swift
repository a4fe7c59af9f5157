import AccordReport

/// What one consumer service reported about the messages of one queue (`ConsumerReport`s, from
/// the output of each of its replicas): which of this run's messages each replica received,
/// processed, requeued or dropped, and when. Pure state; `ConsumerTracking` feeds it and reads it.
struct ConsumerLedger: Sendable {
    private struct Entry: Sendable {
        var stage: ConsumerReport.Stage
        var replica: Int
        var at: UInt64
    }

    /// One message of this run: its reports in the order they were read, and how often it was processed.
    private struct Trace: Sendable {
        var entries: [Entry] = []
        var processed = 0
    }

    /// `<run id>-`: ids of this run's messages start with it (see `MessageTracker`).
    private let runPrefix: String
    private var traces: [String: Trace] = [:]
    /// The run's messages processed at least once.
    private(set) var processed = 0
    /// The run's messages processed more than once.
    private(set) var redelivered = 0
    /// Processed messages that the run did not publish.
    private(set) var untracked = 0
    /// Whether the consumer reports receipts at all (without them, nothing is known of what it holds).
    private(set) var reportsReceipts = false
    /// When the last report was read (monotonic ns).
    private(set) var lastReportAt: UInt64?

    init(runID: String) {
        runPrefix = runID + "-"
    }

    /// Records `report`, read from `replica`'s output at `at` (monotonic ns, in reading order).
    mutating func record(_ report: ConsumerReport, replica: Int, at: UInt64) {
        lastReportAt = at
        if report.stage == .received { reportsReceipts = true }
        guard report.id.hasPrefix(runPrefix) else {
            if report.stage == .processed { untracked += 1 }
            return
        }
        var trace = traces[report.id] ?? Trace()
        trace.entries.append(Entry(stage: report.stage, replica: replica, at: at))
        if report.stage == .processed {
            trace.processed += 1
            if trace.processed == 1 { processed += 1 }
            if trace.processed == 2 { redelivered += 1 }
        }
        traces[report.id] = trace
    }

    /// The run's messages `replica` had received and not yet processed, requeued or dropped at
    /// `time`, counting only what the process launched at `launched` reported (an earlier process
    /// of the same replica may have died holding messages).
    func inHand(replica: Int, launched: UInt64, at time: UInt64) -> Int {
        traces.values.count { trace in
            var holding = false
            for entry in trace.entries where entry.replica == replica && entry.at >= launched && entry.at <= time {
                holding = entry.stage == .received
            }
            return holding
        }
    }

    /// The consumer's figures: in hand summed over `signals` (the shutdown steps' signals to its
    /// processes); lost = confirmed − processed − left in the queue, never below 0 (the queue may
    /// hold messages the run did not publish, and unconfirmed messages may have been processed).
    func accounting(
        _ consumer: QueueConsumer, confirmed: Int, leftInQueue: Int?, signals: [ShutdownScenario.SentSignal]
    ) -> ConsumerAccounting {
        let held = reportsReceipts && !signals.isEmpty
            ? signals.reduce(0) { $0 + inHand(replica: $1.replica.replica, launched: $1.launched, at: $1.at) }
            : nil
        return ConsumerAccounting(
            service: consumer.service, queue: consumer.queue, processed: UInt64(processed),
            redelivered: UInt64(redelivered), inHand: held.map(UInt64.init),
            leftInQueue: leftInQueue.map(UInt64.init),
            lost: UInt64(max(0, confirmed - processed - (leftInQueue ?? 0))), untracked: UInt64(untracked))
    }
}
