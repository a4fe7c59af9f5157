import Foundation
import Histogram

/// Writes an HdrHistogram interval log (`latency.hlog`, format version 1.3): one line per
/// interval and tag, each a V2 compressed histogram, readable by HdrHistogram's own tools.
///
/// Values are recorded in microseconds; the log's max column is in milliseconds, as the
/// reference writer prints with its default ratio of 1000 for microsecond values.
public struct IntervalLogWriter {
    private var text: String

    /// `startTime` is the run's wall-clock start; interval timestamps are seconds since it.
    public init(startTime: Date) {
        let seconds = startTime.timeIntervalSince1970
        text = """
            #[Histogram log format version 1.3]
            #[StartTime: \(String(format: "%.3f", seconds)) (seconds since epoch), \(startTime)]
            #[BaseTime: \(String(format: "%.3f", seconds)) (seconds since epoch)]
            "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"

            """
    }

    /// One interval of one tag, encoded: what a run keeps of each second's histogram.
    public struct Line: Sendable {
        public let text: String

        /// `start` seconds after the run's start, lasting `length` seconds.
        public init(
            tag: String, start: Double, length: Double, histogram: Histogram<UInt64>
        ) throws(HistogramEncoding.CompressionFailed) {
            let encoded = try HistogramEncoding.base64(histogram)
            // Tags may not hold commas or spaces (the format splits on them).
            let safeTag = String(tag.map { $0 == "," || $0 == " " ? "_" : $0 })
            let maxMilliseconds = Double(histogram.max) / 1000
            text = "Tag=\(safeTag),\(String(format: "%.3f,%.3f,%.3f", start, length, maxMilliseconds)),\(encoded)\n"
        }
    }

    public mutating func append(_ line: Line) {
        text += line.text
    }

    /// Adds one interval: `start` seconds after the run's start, lasting `length` seconds.
    public mutating func append(tag: String, start: Double, length: Double, histogram: Histogram<UInt64>) throws {
        append(try Line(tag: tag, start: start, length: length, histogram: histogram))
    }

    public var contents: String { text }

    public func write(to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}
