/// The median and interquartile range of one figure's per-second values in a run: how much
/// that figure moves from second to second, which is the noise a comparison must beat.
public struct PerSecondSpread: Sendable, Equatable {
    public var median: Double
    public var interquartileRange: Double
    public var seconds: Int

    /// nil for fewer than two values: one second says nothing about spread.
    public init?(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        guard sorted.count >= 2 else { return nil }
        median = Self.quantile(0.5, ofSorted: sorted)
        interquartileRange = Self.quantile(0.75, ofSorted: sorted) - Self.quantile(0.25, ofSorted: sorted)
        seconds = sorted.count
    }

    /// Linear interpolation between closest ranks (the common "type 7" definition).
    static func quantile(_ q: Double, ofSorted values: [Double]) -> Double {
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        return values[lower] + (values[upper] - values[lower]) * (position - Double(lower))
    }
}
