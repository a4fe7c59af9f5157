import CZlib
import Foundation

/// The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's `--screenshot` writes),
/// so a test can tell a rendered page from a blank one.
struct PNGImage {
    struct DecodingError: Error, CustomStringConvertible {
        let description: String
    }

    let width: Int
    let height: Int
    /// Red, green, blue per pixel, row by row (alpha dropped).
    let rgb: [UInt8]

    init(contentsOf url: URL) throws {
        let data = try [UInt8](Data(contentsOf: url))
        guard data.count > 8, data.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw DecodingError(description: "\(url.path): not a PNG")
        }
        var offset = 8
        var header: [UInt8] = []
        var compressed: [UInt8] = []
        func uint32(_ at: Int) -> Int { data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        while offset + 8 <= data.count {
            let length = uint32(offset)
            let kind = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            guard offset + 12 + length <= data.count else {
                throw DecodingError(description: "truncated \(kind) chunk")
            }
            let body = data[offset + 8..<offset + 8 + length]
            if kind == "IHDR" { header = Array(body) }
            if kind == "IDAT" { compressed += body }
            if kind == "IEND" { break }
            offset += 12 + length
        }
        guard header.count == 13 else { throw DecodingError(description: "no IHDR chunk") }
        let width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let (depth, colorType, interlace) = (header[8], header[9], header[12])
        guard depth == 8, colorType == 2 || colorType == 6, interlace == 0, width > 0, height > 0 else {
            throw DecodingError(
                description: "unsupported PNG: depth \(depth), colour type \(colorType), interlace \(interlace)")
        }
        let channels = colorType == 2 ? 3 : 4
        let stride = width * channels
        let raw = try Self.inflate(compressed, size: height * (stride + 1))
        self.width = width
        self.height = height
        self.rgb = Self.unfilter(raw, width: width, height: height, channels: channels)
    }

    /// The most common colour, the share of pixels that differ from it, and how many colours there are.
    func background() -> (color: [UInt8], otherShare: Double, distinctColors: Int) {
        var counts: [UInt32: Int] = [:]
        for i in stride(from: 0, to: rgb.count, by: 3) {
            counts[UInt32(rgb[i]) << 16 | UInt32(rgb[i + 1]) << 8 | UInt32(rgb[i + 2]), default: 0] += 1
        }
        let (color, count) = counts.max { $0.value < $1.value } ?? (0, 0)
        let total = width * height
        return ([UInt8(color >> 16 & 0xFF), UInt8(color >> 8 & 0xFF), UInt8(color & 0xFF)],
                Double(total - count) / Double(total), counts.count)
    }

    private static func inflate(_ compressed: [UInt8], size: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var outputLength = uLongf(size)
        let status = output.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &outputLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(outputLength) == size else {
            throw DecodingError(
                description: "zlib: \(String(cString: zError(status))), \(outputLength) of \(size) bytes")
        }
        return output
    }

    /// Reverses the per-row filters (PNG spec, section 9) and keeps the colour channels.
    private static func unfilter(_ raw: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let stride = width * channels
        var previous = [UInt8](repeating: 0, count: stride)
        var line = [UInt8](repeating: 0, count: stride)
        var rgb: [UInt8] = []
        rgb.reserveCapacity(width * height * 3)
        for row in 0..<height {
            let start = row * (stride + 1)
            let filter = raw[start]
            for i in 0..<stride {
                let value = raw[start + 1 + i]
                let left = i >= channels ? Int(line[i - channels]) : 0
                let up = Int(previous[i])
                let corner = i >= channels ? Int(previous[i - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let p = left + up - corner
                    let (pa, pb, pc) = (abs(p - left), abs(p - up), abs(p - corner))
                    predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : corner
                default: predictor = 0
                }
                line[i] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
            for pixel in 0..<width { rgb += line[pixel * channels..<pixel * channels + 3] }
            swap(&previous, &line)
        }
        return rgb
    }
}
