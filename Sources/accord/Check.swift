import AccordCheck
import AccordContracts
import AccordReport
import AccordSystem
import ArgumentParser
import Foundation
import NIOPosix

extension AccordCommand {
    /// Checks every consumer of a system against its producers.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a system's consumers against its producers' contracts.",
            discussion: """
                Loads DIR/system.yaml and the .proto, OpenAPI and JSON Schema files it names, then compares \
                every consumer edge with its producer: fields read but not sent (with near misses), type, \
                list and enum disagreements, required request fields not sent, and consumer copies of .proto \
                messages that disagree with the producer's. Then, unless --static, it starts the system \
                (reference services, commands, and a managed broker when it has events and AMQP_URL is not \
                set), drives every example, compares each status, and checks every payload on the wire \
                (responses, bodies, and the events a tap queue sees) against the producer's declared schema \
                and each consumer's reads. DIR defaults to every system under contracts/. Writes \
                reports/check-<system>-<UTC time>/ (summary.json, index.html, junit.xml). Exit 0: no \
                findings; 1: findings or failed examples; 2: bad input (the contract's problems, with file, \
                line and key) or a system that cannot run (a service that will not start, no broker).
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A system folder (with system.yaml), or a folder of systems.")
        var directory: String = "contracts"

        @Flag(help: "Print the findings as JSON instead of text.")
        var json = false

        @Option(help: "Also write a JUnit XML report to this file.")
        var junit: String?

        @Option(help: "Folder the run's results go under.")
        var reports: String = "reports"

        @Flag(name: .customLong("static"), help: "Only compare declarations: start nothing, drive no example.")
        var staticOnly = false

        func run() async throws {
            global.bootstrap()
            try await exitingOnBadInput {
                let startedAt = Date()
                let systems = try await loadSystems()
                // A signal ends the dynamic phase: what it started is stopped, and what was found
                // so far is still written (exit 2: the check did not finish).
                let work = Task { await self.checkAll(systems) }
                let trap = SignalTrap([SIGINT, SIGTERM]) { work.cancel() }
                defer { trap.cancel() }
                let (outcomes, failures) = await work.value
                try write(outcomes, systems: systems, startedAt: startedAt)
                // A system that cannot run is exit 2, never a silent pass; the others are still reported.
                if !failures.isEmpty { throw BadInput(message: failures.joined(separator: "\n")) }
                if outcomes.contains(where: { !$0.findings.isEmpty }) { throw ExitCode(1) }
            }
        }

        /// Each system's static findings, and unless --static its dynamic check's; with the
        /// reason for each system whose dynamic check could not run or finish.
        private func checkAll(_ systems: [ContractSystem]) async -> (outcomes: [CheckOutcome], failures: [String]) {
            var outcomes: [CheckOutcome] = []
            var failures: [String] = []
            for system in systems {
                let findings = StaticCheck(system: system).findings()
                guard !staticOnly else {
                    outcomes.append(CheckOutcome(system: system, findings: findings))
                    continue
                }
                guard !Task.isCancelled else {
                    failures.append("\(system.displayFolder): interrupted before its dynamic check")
                    outcomes.append(CheckOutcome(system: system, findings: findings))
                    continue
                }
                let (report, failure) = await dynamicCheck(system)
                if let failure { failures.append(failure) }
                guard let report else {
                    outcomes.append(CheckOutcome(system: system, findings: findings))
                    continue
                }
                let passed = report.examples.filter(\.passed).count
                let line = "\(system.name): \(report.examples.count) examples run, \(passed) as expected; "
                    + "\(report.messagesSeen) messages seen on the wire"
                outcomes.append(CheckOutcome(system: system, findings: findings + report.findings, dynamicLine: line))
            }
            return (outcomes, failures)
        }

        /// Starts the system, drives its examples and watches its events, then stops it. The
        /// report is nil when the check could not run; an interrupted one keeps what it found.
        private func dynamicCheck(_ system: ContractSystem) async -> (report: DynamicCheck.Report?, failure: String?) {
            let options = SystemRunner.Options.forThisAccord(logLevel: "\(global.logLevel)")
            let runner: SystemRunner
            do {
                runner = try await SystemRunner.start(system, options: options)
            } catch {
                let reason = Task.isCancelled ? "interrupted while starting" : "cannot run the system: \(error)"
                return (nil, "\(system.displayFolder): \(reason)")
            }
            let outcome: (report: DynamicCheck.Report?, failure: String?)
            do {
                let report = try await DynamicCheck(system: system, directory: runner.directory).run()
                let interrupted = "\(system.displayFolder): interrupted during its dynamic check"
                outcome = (report, Task.isCancelled ? interrupted : nil)
            } catch {
                outcome = (nil, "\(system.displayFolder): \(error)")
            }
            await runner.stop()
            return outcome
        }

        /// Every system DIR names, loaded off the cooperative pool (protoc runs as a child process);
        /// all of their problems are reported together.
        private func loadSystems() async throws -> [ContractSystem] {
            let root = URL(fileURLWithPath: directory)
            let folders = ContractLoader.systemFolders(at: root)
            guard !folders.isEmpty else {
                throw BadInput(message: "\(directory): no \(ContractLoader.fileName) here or in its subfolders")
            }
            let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            let loaded = try await NIOThreadPool.singleton.runIfActive {
                folders.map { folder in
                    let name = folder == root ? display : ContractPathsDisplay.child(display, folder.lastPathComponent)
                    return Result { () throws(ContractLoadError) in
                        try ContractLoader().load(folder: folder, displayFolder: name)
                    }
                }
            }
            let errors = loaded.compactMap { result -> ContractLoadError? in
                if case .failure(let error) = result { error } else { nil }
            }
            guard errors.isEmpty else {
                throw BadInput(message: errors.map(\.description).joined(separator: "\n"))
            }
            return loaded.compactMap { try? $0.get() }
        }

        private func write(_ outcomes: [CheckOutcome], systems: [ContractSystem], startedAt: Date) throws {
            if json {
                say(try Self.jsonText(outcomes))
            } else {
                for outcome in outcomes {
                    for finding in outcome.findings { say(finding.block + "\n") }
                }
                for outcome in outcomes {
                    say(outcome.countLine)
                    if let line = outcome.dynamicLine { say(line) }
                }
            }
            let summaries = zip(outcomes, systems).map { outcome, system in
                outcome.summary(metadata: .current(contracts: system.displayFolder, startedAt: startedAt,
                                                   partial: false))
            }
            // Results that cannot be written must not pass for a clean run: exit 2 with the reason.
            if let junit {
                do {
                    try Data(JUnitReport.xml(summaries).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
                } catch {
                    throw BadInput.cannotWrite(junit, error)
                }
            }
            for summary in summaries {
                // summary.json, index.html and junit.xml, as every run writes them.
                let folder = URL(fileURLWithPath: reports)
                    .appendingPathComponent("check-\(summary.name)-\(RunMetadata.folderTimestamp(startedAt))")
                do {
                    try RunFolder(folder).write(summary)
                } catch {
                    throw BadInput.cannotWrite(folder.path, error)
                }
            }
        }

        /// `{"systems": [{"system": "shop", "findings": [...]}], "findings": N}`
        static func jsonText(_ outcomes: [CheckOutcome]) throws -> String {
            struct Output: Encodable {
                struct System: Encodable {
                    let system: String
                    let findings: [Finding]
                }
                let systems: [System]
                let findings: Int
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let output = Output(systems: outcomes.map { .init(system: $0.system, findings: $0.findings) },
                                findings: outcomes.reduce(0) { $0 + $1.findings.count })
            return String(decoding: try encoder.encode(output), as: UTF8.self)
        }
    }
}

/// How a system under a folder of systems is named in messages: `contracts/shop`.
private enum ContractPathsDisplay {
    static func child(_ folder: String, _ name: String) -> String {
        folder == "." ? name : folder + "/" + name
    }
}
