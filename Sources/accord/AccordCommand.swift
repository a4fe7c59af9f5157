import ArgumentParser

@main
struct AccordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Contract tests and load tests for gRPC, REST and RabbitMQ services.",
        version: AccordVersion.current,
        subcommands: []
    )
}

enum AccordVersion {
    static let current = "0.1.0"
}
