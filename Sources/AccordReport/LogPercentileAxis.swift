import Foundation

/// The x axis of an HdrHistogram-style percentile plot: a percentile p sits at
/// log10(1 / (1 - p)), so 0%, 90%, 99%, 99.9%, 99.99% are evenly spaced and the tail gets room.
public struct LogPercentileAxis: Sendable, Equatable {
    /// How many nines the axis spans: 4 ends at 99.99%.
    public let decades: Int

    public init(decades: Int) {
        self.decades = max(1, decades)
    }

    /// An axis wide enough for the highest percentile below 100 in `percentiles` (0...100),
    /// never narrower than `minimumDecades` nor wider than `maximumDecades`.
    public init<S: Sequence<Double>>(covering percentiles: S, minimumDecades: Int = 4, maximumDecades: Int = 6) {
        let highest = percentiles.filter { $0 < 100 }.map(Self.position(ofPercentile:)).max() ?? 0
        let needed = highest.isFinite ? Int((highest - 1e-9).rounded(.up)) : maximumDecades
        self.init(decades: min(maximumDecades, max(minimumDecades, needed)))
    }

    /// log10(1 / (1 - p)) for `percentile` p in percent; +infinity at 100% and above, 0 at or below 0%.
    public static func position(ofPercentile percentile: Double) -> Double {
        guard percentile > 0 else { return 0 }
        guard percentile < 100 else { return .infinity }
        return log10(100 / (100 - percentile))
    }

    /// The position on this axis: the 100% point (and anything beyond the last decade) sits at the right edge.
    public func clampedPosition(ofPercentile percentile: Double) -> Double {
        min(Double(decades), Self.position(ofPercentile: percentile))
    }

    /// One tick per decade: `0%`, `90%`, `99%`, `99.9%`, …
    public var ticks: [(position: Double, label: String)] {
        (0...decades).map { (Double($0), Self.label(nines: $0)) }
    }

    static func label(nines: Int) -> String {
        switch nines {
        case 0: "0%"
        case 1: "90%"
        case 2: "99%"
        default: "99." + String(repeating: "9", count: nines - 2) + "%"
        }
    }
}
