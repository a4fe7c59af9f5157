import Foundation

/// A line chart (with optional shaded bands) rendered as inline SVG, styled by the
/// page's CSS classes so it follows light, dark and print modes. Every label is escaped.
struct SVGChart {
    struct Axis {
        var minimum: Double
        var maximum: Double
        var ticks: [(value: Double, label: String)]
        var title: String

        /// 0 up to a round number above `maximum`, with about five round steps.
        static func linear(upTo maximum: Double, title: String) -> Axis {
            let step = niceStep(for: maximum)
            let top = max(step, (maximum / step).rounded(.up) * step)
            let count = Int((top / step).rounded())
            let ticks = (0...count).map { i in (Double(i) * step, ReportFormat.axis(Double(i) * step)) }
            return Axis(minimum: 0, maximum: top, ticks: ticks, title: title)
        }

        /// 1, 2, 2.5 or 5 times a power of ten, so that `maximum` spans about five steps.
        static func niceStep(for maximum: Double) -> Double {
            guard maximum.isFinite, maximum > 0 else { return 1 }
            let rough = maximum / 5
            let magnitude = pow(10, (log10(rough)).rounded(.down))
            let residual = rough / magnitude
            let factor: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10
            return factor * magnitude
        }
    }

    struct Series {
        var label: String
        /// Index into the page's series colours (`s0`…`s7`).
        var color: Int
        var dashed = false
        /// nil breaks the line (a second without samples is no sample, not a zero).
        var points: [(x: Double, y: Double)?]
    }

    /// A shaded x range, such as the shutdown window.
    struct Band {
        var from: Double
        var to: Double
        var label: String
    }

    static let width = 900.0, height = 280.0
    static let left = 64.0, right = 40.0, top = 20.0, bottom = 44.0
    static let colors = 8

    var title: String
    var x: Axis
    var y: Axis
    var series: [Series] = []
    var bands: [Band] = []

    func px(_ value: Double) -> Double {
        let span = x.maximum - x.minimum
        let t = span > 0 ? (value - x.minimum) / span : 0
        return Self.left + min(1, max(0, t)) * (Self.width - Self.left - Self.right)
    }

    func py(_ value: Double) -> Double {
        let span = y.maximum - y.minimum
        let t = span > 0 ? (value - y.minimum) / span : 0
        return Self.height - Self.bottom - min(1, max(0, t)) * (Self.height - Self.top - Self.bottom)
    }

    func svg() -> String {
        let e = HTMLEscaping.escape
        var out = """
            <svg class="chart" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" \
            aria-label="\(e(title))" preserveAspectRatio="xMidYMid meet"><title>\(e(title))</title>
            """
        out += bands.map(band).joined()
        out += gridAndAxes()
        for line in series {
            let path = pathData(line.points)
            guard !path.isEmpty else { continue }
            let dash = line.dashed ? " dashed" : ""
            out += "<path class=\"line s\(line.color % Self.colors)\(dash)\" d=\"\(path)\">"
                + "<title>\(e(line.label))</title></path>"
        }
        return out + "</svg>"
    }

    private func band(_ band: Band) -> String {
        let x0 = px(band.from), x1 = max(px(band.to), px(band.from) + 2)
        return String(
            format: "<g class=\"band\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
            x0, Self.top, x1 - x0, Self.height - Self.top - Self.bottom)
            + String(format: "<text x=\"%.1f\" y=\"%.1f\">", x0 + 4, Self.top - 6)
            + HTMLEscaping.escape(band.label) + "</text></g>"
    }

    private func gridAndAxes() -> String {
        let e = HTMLEscaping.escape
        var out = "<g class=\"grid\">"
        for tick in y.ticks {
            out += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                Self.left, py(tick.value), Self.width - Self.right, py(tick.value))
        }
        for tick in x.ticks {
            out += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                px(tick.value), Self.top, px(tick.value), Self.height - Self.bottom)
        }
        out += "</g><g class=\"axis\">"
        for tick in y.ticks {
            out += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", Self.left - 6, py(tick.value) + 4)
                + e(tick.label) + "</text>"
        }
        for tick in x.ticks {
            out += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px(tick.value),
                Self.height - Self.bottom + 16) + e(tick.label) + "</text>"
        }
        out += String(
            format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (Self.left + Self.width - Self.right) / 2,
            Self.height - 6) + e(x.title) + "</text>"
        out += String(
            format: "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (Self.top + Self.height - Self.bottom) / 2) + e(y.title) + "</text>"
        return out + "</g>"
    }

    /// Segments of consecutive points; a lone point is drawn as a zero-length segment, which the
    /// round line cap turns into a dot.
    private func pathData(_ points: [(x: Double, y: Double)?]) -> String {
        var segments: [[String]] = [[]]
        for point in points {
            guard let point, point.x.isFinite, point.y.isFinite else {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                continue
            }
            segments[segments.count - 1].append(String(format: "%.1f %.1f", px(point.x), py(point.y)))
        }
        return segments.filter { !$0.isEmpty }.map { segment in
            "M" + (segment.count == 1 ? [segment[0], segment[0]] : segment).joined(separator: " L")
        }.joined(separator: " ")
    }
}
