import AccordReport
import ArgumentParser
import Foundation
import NIOPosix

extension AccordCommand {
    /// Re-renders a finished run's HTML report, or compares two runs of the same plan.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-render a run's index.html from its summary.json, or compare two runs.",
            discussion: """
                accord report RUN writes RUN/index.html from RUN/summary.json and prints its path.

                accord report --compare BASE RUN prints, per interaction, how p50, p99 and throughput \
                changed from BASE to RUN, judged against each run's own per-second spread, and writes \
                compare.html into RUN (or --output). With --fail-on-regression PCT it exits 1 when an \
                interaction's p99 rose, or its throughput fell, by more than PCT percent and beyond the noise.

                Exit codes: 0 done (no regression), 1 regression, 2 bad input (a missing folder or summary, \
                invalid JSON, a bad flag).
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(
            help: ArgumentHelp("The run folder holding summary.json (or the summary.json itself).", valueName: "RUN"))
        var runPath: String

        @Option(
            name: .customLong("compare"), help: ArgumentHelp("Compare RUN with this earlier run.", valueName: "BASE"))
        var basePath: String?

        @Option(
            help: ArgumentHelp("Exit 1 when a p99 or a throughput regressed by more than PCT%.", valueName: "PCT"))
        var failOnRegression: Double?

        @Option(help: "Where --compare writes its HTML (default: compare.html in RUN's folder).")
        var output: String?

        @Option(help: "Latency shifts below this many milliseconds count as noise.")
        var minChangeMs: Double = 1

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                // Reading and writing files blocks: keep it off the cooperative pool.
                let regressed = try await NIOThreadPool.singleton.runIfActive { try render() }
                if regressed { throw ExitCode(1) }
            }
        }

        /// Renders what was asked; true when --fail-on-regression found a regression.
        private func render() throws -> Bool {
            let run = RunFolder(path: runPath)
            guard let basePath else {
                if failOnRegression != nil || output != nil {
                    throw BadInput(message: "--fail-on-regression and --output need --compare BASE")
                }
                let html = HTMLReport(try read(run)).render()
                say(try write(html, to: run.htmlURL).path)
                return false
            }
            if let failOnRegression, !(failOnRegression.isFinite && failOnRegression >= 0) {
                throw BadInput(
                    message: "--fail-on-regression must be a percentage of 0 or more, got \(failOnRegression)")
            }
            guard minChangeMs.isFinite && minChangeMs >= 0 else {
                throw BadInput(message: "--min-change-ms must be 0 or more, got \(minChangeMs)")
            }
            let fraction = failOnRegression.map { $0 / 100 }
            let base = try read(RunFolder(path: basePath))
            let comparison = ReportComparison(
                base: base, run: try read(run),
                options: .init(threshold: fraction ?? 0.10, latencyFloor: minChangeMs))
            say(String(comparison.text(failingBeyond: fraction).dropLast()))
            let destination = output.map { URL(fileURLWithPath: $0) }
                ?? run.directory.appendingPathComponent("compare.html")
            say(try write(comparison.html(failingBeyond: fraction), to: destination).path)
            return fraction.map { !comparison.regressions(beyond: $0).isEmpty } ?? false
        }

        /// An unwritable destination is bad input too (exit 2), never a half-reported success.
        private func write(_ text: String, to url: URL) throws -> URL {
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
                return url
            } catch {
                throw BadInput.cannotWrite(url.path, error)
            }
        }

        private func read(_ folder: RunFolder) throws -> RunSummary {
            do {
                return try folder.readSummary()
            } catch {
                throw BadInput(message: error.description)
            }
        }
    }
}
