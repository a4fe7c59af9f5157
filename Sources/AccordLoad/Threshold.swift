import Foundation

/// A pass/fail rule over a run's figures: `p99 < 25ms`, `errors < 0.1%`,
/// `shutdown.failed_in_flight == 0`, `messages.lost == 0`, `shutdown.drain < 5s`, optionally
/// scoped to one interaction.
public struct Threshold: Sendable, Hashable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case lessOrEqual = "<=", greaterOrEqual = ">=", equal = "==", notEqual = "!=", less = "<", greater = ">"

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: a < b
            case .lessOrEqual: a <= b
            case .greater: a > b
            case .greaterOrEqual: a >= b
            case .equal: a == b
            case .notEqual: a != b
            }
        }
    }

    /// What a metric's value is measured in, after unit conversion.
    public enum Unit: String, Sendable {
        case milliseconds = "ms", seconds = "s", percent = "%", perSecond = "/s", count = ""

        var name: String {
            switch self {
            case .milliseconds: "a latency (ms, us, s)"
            case .seconds: "a duration (s, ms)"
            case .percent: "a percentage (%)"
            case .perSecond: "a rate (/s)"
            case .count: "a count (no unit)"
            }
        }
    }

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let expression: String
        public let reason: String
        public var description: String { "threshold \"\(expression)\": \(reason)" }
    }

    public let expression: String
    public let interaction: String?
    public let metric: String
    public let comparison: Comparison
    /// The limit in the metric's unit (a latency limit written in seconds is stored in ms).
    public let limit: Double
    public let unit: Unit

    public var description: String { interaction.map { "\($0): \(expression)" } ?? expression }

    /// The metrics a threshold may name, with the unit their values are in.
    public static let metrics: [String: Unit] = [
        "p50": .milliseconds, "p90": .milliseconds, "p95": .milliseconds, "p99": .milliseconds,
        "p99.9": .milliseconds, "p999": .milliseconds, "max": .milliseconds, "mean": .milliseconds,
        "service.p99": .milliseconds, "errors": .percent, "rate": .perSecond, "count": .count,
        "shutdown.failed_in_flight": .count, "shutdown.refused": .count, "shutdown.timed_out": .count,
        "shutdown.drain": .seconds, "shutdown.drain_p99": .milliseconds, "messages.lost": .count,
        "messages.duplicated": .count, "messages.unconfirmed": .count, "messages.nacked": .count,
        "messages.in_hand": .count, "messages.redelivered": .count,
    ]

    public init(_ expression: String, interaction: String? = nil) throws(ParseError) {
        self.expression = expression
        self.interaction = interaction
        let text = expression.trimmingCharacters(in: .whitespaces)
        // Longest operators first so "<=" is not read as "<".
        guard let op = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
            .compactMap({ op in text.range(of: op.rawValue).map { (op, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound })
        else {
            throw ParseError(expression: expression, reason: "no comparison (one of < <= > >= == !=)")
        }
        let metric = text[..<op.1.lowerBound].trimmingCharacters(in: .whitespaces)
        let rawValue = text[op.1.upperBound...].trimmingCharacters(in: .whitespaces)
        guard let unit = Self.metrics[metric] else {
            let known = Self.metrics.keys.sorted().joined(separator: ", ")
            throw ParseError(expression: expression, reason: "unknown metric \"\(metric)\" (known: \(known))")
        }
        self.metric = metric
        self.comparison = op.0
        self.unit = unit
        self.limit = try Self.value(rawValue, as: unit, expression: expression)
    }

    /// Reads `25ms`, `0.5s`, `250us`, `0.1%`, `2000/s`, `0`, converting time to the metric's unit.
    private static func value(_ text: String, as unit: Unit, expression: String) throws(ParseError) -> Double {
        // The suffixes a value may carry for this metric, with the factor to its unit;
        // longer suffixes first so "ms" is not read as "s".
        let accepted: [(suffix: String, factor: Double)] =
            switch unit {
            case .milliseconds: [("ms", 1), ("us", 0.001), ("µs", 0.001), ("s", 1000), ("", 1)]
            case .seconds: [("ms", 0.001), ("s", 1), ("", 1)]
            case .percent: [("%", 1), ("", 1)]
            case .perSecond: [("/s", 1), ("", 1)]
            case .count: [("", 1)]
            }
        for (suffix, factor) in accepted where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)) {
                // Every metric is 0 or more: a negative or endless limit passes always or never.
                guard value.isFinite, value >= 0 else {
                    throw ParseError(
                        expression: expression, reason: "\"\(text)\": a limit is a finite number, 0 or more")
                }
                if unit == .percent && value > 100 {
                    throw ParseError(expression: expression, reason: "\"\(text)\": a percentage is at most 100%")
                }
                return value * factor
            }
        }
        let numeric = text.prefix { $0.isNumber || $0 == "." || $0 == "-" }
        if !numeric.isEmpty, Double(numeric) != nil {
            let suffix = text.dropFirst(numeric.count).trimmingCharacters(in: .whitespaces)
            throw ParseError(expression: expression, reason: "unit \(suffix) does not fit \(unit.name)")
        }
        throw ParseError(expression: expression, reason: "\"\(text)\" is not a number with a unit")
    }

    /// Whether `actual` (in the metric's unit) passes; nil (nothing measured) fails.
    public func passes(_ actual: Double?) -> Bool {
        guard let actual else { return false }
        return comparison.holds(actual, limit)
    }
}
