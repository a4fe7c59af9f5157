import Foundation

/// How figures read in the HTML and terminal reports: fixed locale, fixed precision per magnitude.
enum ReportFormat {
    /// Milliseconds with about three significant digits.
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let magnitude = abs(value)
        let format = magnitude < 1 ? "%.3f" : magnitude < 10 ? "%.2f" : magnitude < 100 ? "%.1f" : "%.0f"
        return String(format: format, value)
    }

    static func rate(_ value: Double) -> String {
        value.isFinite ? String(format: "%.1f/s", value) : "–"
    }

    /// `fraction` (0.0123) as `1.23%`.
    static func percent(_ fraction: Double) -> String {
        fraction.isFinite ? String(format: "%.2f%%", fraction * 100) : "–"
    }

    /// A relative change (0.25) as `+25.0%`.
    static func change(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "n/a" }
        return String(format: "%+.1f%%", fraction * 100)
    }

    static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f s", value) : "–"
    }

    /// `12345` as `12,345`.
    static func count<I: BinaryInteger>(_ value: I) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A chart axis label: no trailing zeros, no float noise (0.30000000000000004 reads 0.3).
    static func axis(_ value: Double) -> String {
        String(format: "%.6g", value)
    }

    static func date(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// A measured value with its unit (`12.5 ms`, `0.10%`, `3`).
    static func measured(_ value: Double?, unit: String) -> String {
        guard let value else { return "not measured" }
        switch unit {
        case "ms": return milliseconds(value) + " ms"
        case "%": return String(format: "%.3g%%", value)
        case "s": return seconds(value)
        case "": return String(format: "%.6g", value)
        default: return String(format: "%.6g ", value) + unit
        }
    }
}
