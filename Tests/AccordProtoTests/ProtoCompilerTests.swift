import AccordProto
import AccordTestSupport
import Foundation
import Testing

/// protoc as a child process: descriptor sets, its own diagnostics, and a missing protoc.
@Suite struct ProtoCompilerTests {
    @Test(.enabled(if: try ExternalTool.available("protoc")))
    func compilesFilesWithTheirImports() throws {
        let set = try ProtoCompiler().compile(files: ProtoFixtures.files, importPaths: [ProtoFixtures.protoRoot])
        let names = Set(set.file.map(\.name))
        #expect(names.isSuperset(of: ["shop/orders/orders.proto", "shop/common/money.proto",
                                      "google/protobuf/timestamp.proto", "google/protobuf/any.proto"]))
        // Imports come before the files that use them, as protoc writes them.
        let order = set.file.map(\.name)
        #expect(try #require(order.firstIndex(of: "shop/common/money.proto"))
            < #require(order.firstIndex(of: "shop/orders/orders.proto")))
        let orders = try #require(set.file.first { $0.name == "shop/orders/orders.proto" })
        #expect(!orders.sourceCodeInfo.location.isEmpty)
    }

    @Test(.enabled(if: try ExternalTool.available("protoc")))
    func reportsProtocDiagnosticsWithFileAndLine() throws {
        let root = ProtoFixtures.directory + "/bad"
        let error = #expect(throws: ProtoCompileError.self) {
            try ProtoSchema.compile(files: ["bad.proto"], importPaths: [root])
        }
        guard case .protocFailed(let status, let diagnostics, let output)? = error else {
            Issue.record("expected protoc to fail, got \(String(describing: error))")
            return
        }
        #expect(status != 0)
        #expect(output.contains("bad.proto:7:3:"))
        let first = try #require(diagnostics.first)
        #expect(first.file == "bad.proto")
        #expect(first.path == root + "/bad.proto")
        #expect(first.line == 7)
        #expect(first.column == 3)
        #expect(first.message.contains("Expected \";\""))
        #expect(first.description == root + "/bad.proto:7:3: " + first.message)
        #expect(error?.description.contains("bad.proto:7:3") == true)
    }

    @Test(.enabled(if: try ExternalTool.available("protoc")))
    func reportsMissingFilesAndImports() throws {
        let scratch = try Repository.temporaryDirectory("accord-proto-compiler")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let text = "syntax = \"proto3\";\nimport \"missing/dep.proto\";\nmessage M { dep.D d = 1; }\n"
        try Data(text.utf8).write(to: scratch.appendingPathComponent("m.proto"))

        let missingImport = #expect(throws: ProtoCompileError.self) {
            try ProtoCompiler().compile(files: ["m.proto"], importPaths: [scratch.path])
        }
        guard case .protocFailed(_, let diagnostics, _)? = missingImport else {
            Issue.record("expected protoc to fail, got \(String(describing: missingImport))")
            return
        }
        #expect(diagnostics.contains {
            $0.file == "m.proto" && $0.line == 2 && $0.message.contains("missing/dep.proto")
        })

        let missingFile = #expect(throws: ProtoCompileError.self) {
            try ProtoCompiler().compile(files: ["nowhere.proto"], importPaths: [scratch.path])
        }
        guard case .protocFailed(_, _, let output)? = missingFile else {
            Issue.record("expected protoc to fail, got \(String(describing: missingFile))")
            return
        }
        #expect(output.contains("nowhere.proto"))
    }

    @Test(arguments: ["/nonexistent/bin/protoc", "accord-no-such-protoc"])
    func reportsMissingProtoc(protoc: String) {
        let error = #expect(throws: ProtoCompileError.self) {
            try ProtoSchema.compile(files: ProtoFixtures.files, importPaths: [ProtoFixtures.protoRoot],
                                    compiler: ProtoCompiler(protoc: protoc))
        }
        #expect(error == .protocNotFound(searched: protoc))
        #expect(error?.description.contains("install protobuf-compiler") == true)
    }
}
