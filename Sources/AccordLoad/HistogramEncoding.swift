import CZlib
import Foundation
import Histogram

/// HdrHistogram's V2 compressed encoding, the form interval logs carry, so HdrHistogram's
/// own tools (Java HistogramLogProcessor, Python hdrh, HdrHistoWidget) read our histograms.
///
/// Layout (big-endian): cookie 0x1c849314, compressed length, then zlib-deflated
/// [cookie 0x1c849313, payload length, normalizing offset 0, significant digits,
/// lowest discernible value, highest trackable value, conversion ratio 1.0, counts],
/// where counts are ZigZag LEB128 varints over the counts array and runs of empty slots
/// are written as one negative number.
public enum HistogramEncoding {
    static let cookie: UInt32 = 0x1c84_9313
    static let compressedCookie: UInt32 = 0x1c84_9314

    public struct CompressionFailed: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "zlib compress2 failed with \(code)" }
    }

    /// The base64 text of the compressed encoding, as one interval log line holds it.
    public static func base64(_ histogram: Histogram<UInt64>) throws(CompressionFailed) -> String {
        Data(try compressed(histogram)).base64EncodedString()
    }

    public static func compressed(_ histogram: Histogram<UInt64>) throws(CompressionFailed) -> [UInt8] {
        let plain = uncompressed(histogram)
        var destinationLength = compressBound(uLong(plain.count))
        var destination = [UInt8](repeating: 0, count: Int(destinationLength))
        let result = plain.withUnsafeBufferPointer { source in
            compress2(&destination, &destinationLength, source.baseAddress, uLong(plain.count), Z_DEFAULT_COMPRESSION)
        }
        guard result == Z_OK else { throw CompressionFailed(code: result) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + Int(destinationLength))
        append(compressedCookie, to: &out)
        append(UInt32(destinationLength), to: &out)
        out += destination[0..<Int(destinationLength)]
        return out
    }

    static func uncompressed(_ histogram: Histogram<UInt64>) -> [UInt8] {
        var payload: [UInt8] = []
        var nextIndex = 0
        for slot in histogram.recordedValues() where slot.count > 0 {
            let index = countsIndex(for: slot.value, significantDigits: histogram.numberOfSignificantValueDigits)
            let zeros = index - nextIndex
            if zeros == 1 { appendZigZag(0, to: &payload) } else if zeros > 1 { appendZigZag(-Int64(zeros), to: &payload) }
            appendZigZag(Int64(slot.count), to: &payload)
            nextIndex = index + 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(40 + payload.count)
        append(cookie, to: &out)
        append(UInt32(payload.count), to: &out)
        append(UInt32(0), to: &out)
        append(UInt32(histogram.numberOfSignificantValueDigits.rawValue), to: &out)
        append(histogram.lowestDiscernibleValue, to: &out)
        append(histogram.highestTrackableValue, to: &out)
        append((1.0 as Double).bitPattern, to: &out)
        return out + payload
    }

    /// The counts-array slot of `value` for a histogram with lowest discernible value 1, by
    /// HdrHistogram's indexing (buckets of sub-buckets, each bucket doubling the unit).
    static func countsIndex(for value: UInt64, significantDigits: SignificantDigits) -> Int {
        let largestSingleUnit = 2 * pow(10.0, Double(significantDigits.rawValue))
        let subBucketCountMagnitude = Int(log2(largestSingleUnit).rounded(.up))
        let subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
        let subBucketCount = 1 << subBucketCountMagnitude
        let subBucketHalfCount = subBucketCount / 2
        let subBucketMask = UInt64(subBucketCount - 1)
        let leadingZeroCountBase = 64 - subBucketCountMagnitude
        let bucketIndex = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
        let subBucketIndex = Int(value >> UInt64(bucketIndex))
        return ((bucketIndex + 1) << subBucketHalfCountMagnitude) + (subBucketIndex - subBucketHalfCount)
    }

    private static func append<I: FixedWidthInteger>(_ value: I, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }

    /// HdrHistogram's ZigZag LEB128: 7 bits a byte for 8 bytes, then a 9th byte of 8 bits.
    private static func appendZigZag(_ value: Int64, to out: inout [UInt8]) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if v < 0x80 {
                out.append(UInt8(v))
                return
            }
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }
}
