import AccordGRPC

/// One stage of an open-model profile: the arrival rate moves linearly from `startRate` to
/// `endRate` (requests per second) over `duration`; equal rates make a constant stage.
public struct RateStage: Sendable, Hashable {
    public var startRate: Double
    public var endRate: Double
    public var duration: Duration

    public init(from startRate: Double, to endRate: Double, for duration: Duration) {
        self.startRate = startRate
        self.endRate = endRate
        self.duration = duration
    }

    public init(rate: Double, for duration: Duration) {
        self.init(from: rate, to: rate, for: duration)
    }

    var seconds: Double { Double(duration.nanoseconds) / 1e9 }

    /// Arrivals in the whole stage: the area under the rate line.
    var arrivals: Double { (startRate + endRate) / 2 * seconds }

    /// Seconds into the stage of arrival `k` (0-based): solves N(t) = k, where
    /// N(t) = r0·t + (r1 − r0)·t² / (2T) counts arrivals since the stage began.
    func offset(ofArrival k: Double) -> Double {
        let slope = (endRate - startRate) / seconds
        if abs(slope) < 1e-12 { return k / startRate }
        let a = slope / 2
        return (-startRate + (startRate * startRate + 4 * a * k).squareRoot()) / (2 * a)
    }
}

/// The intended send times of an open-model run, in nanoseconds since its start.
///
/// A pure value: the load generator sends at these times whatever the target does, and
/// measures latency from them, so a stalled target shows up as latency instead of hiding
/// behind requests that were never sent (coordinated omission). Worker `w` of `W` takes
/// arrivals w, w+W, w+2W, … of the one global schedule, so workers together keep the exact
/// rate and interleave evenly.
public struct ArrivalSchedule: Sendable {
    private let stages: [RateStage]
    private let stride: Int
    private var stageIndex = 0
    private var stageStart: Double = 0
    /// The next global arrival index within the current stage.
    private var k: Int

    public init(stages: [RateStage], worker: Int = 0, of workers: Int = 1) {
        precondition(workers > 0 && worker >= 0 && worker < workers, "worker \(worker) of \(workers)")
        self.stages = stages
        self.stride = workers
        self.k = worker
    }

    /// Total run time of the stages.
    public var totalDuration: Duration { stages.reduce(.zero) { $0 + $1.duration } }

    /// The next intended send time, or nil when the schedule is over.
    public mutating func next() -> UInt64? {
        while stageIndex < stages.count {
            let stage = stages[stageIndex]
            if Double(k) < stage.arrivals.rounded(.down) {
                let t = stageStart + stage.offset(ofArrival: Double(k))
                k += stride
                return UInt64((t * 1e9).rounded())
            }
            // Carry the remainder into the next stage so workers stay interleaved.
            k -= Int(stage.arrivals.rounded(.down))
            stageStart += stage.seconds
            stageIndex += 1
        }
        return nil
    }
}
