import AccordDocuments
import Foundation
import Testing

@Suite struct TextFileTests {
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func readsUTF8Text() throws {
        let file = try temporaryFolder().appendingPathComponent("p.yaml")
        try Data("name: café\n".utf8).write(to: file)
        #expect(try TextFile.read(file.path) == "name: café\n")
    }

    @Test func namesTheLineAndByteThatIsNotUTF8() throws {
        let file = try temporaryFolder().appendingPathComponent("p.yaml")
        // Line 3 holds a Latin-1 "é" (0xE9 followed by an ASCII byte is not UTF-8).
        try Data("name: x\nmodel: open\nuser: caf\u{0}".utf8.map { $0 == 0 ? 0xE9 : $0 } + [0x0A]).write(to: file)
        let error = #expect(throws: TextFile.ReadError.self) { try TextFile.read(file.path, as: "profiles/p.yaml") }
        #expect(error?.location == SourceLocation(file: "profiles/p.yaml", line: 3))
        #expect(error?.reason == "not UTF-8 text (byte 0xE9 at offset 29)")
    }

    @Test func saysWhenTheFileIsMissingOrAFolder() throws {
        let folder = try temporaryFolder()
        let missing = #expect(throws: TextFile.ReadError.self) {
            try TextFile.read(folder.appendingPathComponent("none.yaml").path, as: "none.yaml")
        }
        #expect(missing?.description == "none.yaml: no such file")
        let directory = #expect(throws: TextFile.ReadError.self) { try TextFile.read(folder.path, as: "dir") }
        #expect(directory?.description == "dir: is a folder, not a file")
    }
}
