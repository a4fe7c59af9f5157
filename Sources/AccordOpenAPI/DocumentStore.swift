import AccordDocuments
import AccordJSON
import Foundation

/// The files of one contract folder, each parsed once, and `$ref` resolution between them.
/// References may point anywhere inside the folder, never outside it or to the network.
final class DocumentStore {
    /// A value inside one of the files.
    struct Located {
        let document: SourceDocument
        let pointer: String
        let value: JSONValue

        var location: SourceLocation { document.location(pointer) }

        func child(_ token: String) -> Located? {
            let pointer = JSONPointer.appending(token, to: self.pointer)
            guard let value = document.value(at: pointer) else { return nil }
            return Located(document: document, pointer: pointer, value: value)
        }

        func child(_ index: Int) -> Located? { child(String(index)) }
    }

    let folder: URL
    private var documents: [String: SourceDocument] = [:]
    private var urls: [String: URL] = [:]

    init(folder: URL) {
        self.folder = folder.standardizedFileURL
    }

    /// Parses `url` (once), which must lie inside the folder.
    func document(at url: URL, referencedFrom: SourceLocation? = nil) throws(OpenAPILoadError) -> SourceDocument {
        let url = url.standardizedFileURL
        if let known = documents[url.path] { return known }
        let display = displayPath(url)
        let origin = referencedFrom ?? SourceLocation(file: display, pointer: "")
        guard url.path.hasPrefix(folder.path + "/") else {
            throw OpenAPILoadError(.unreadable, at: origin, "\(display) is outside the contract folder \(folder.path)")
        }
        let text: String
        do {
            text = try TextFile.read(url.path, as: display)
        } catch {
            throw OpenAPILoadError(.unreadable, at: origin, "cannot read \(error.location.fileLine): \(error.reason)")
        }
        let document: SourceDocument
        do {
            document = try SourceDocument(file: display, text: text)
        } catch {
            throw OpenAPILoadError(error)
        }
        documents[url.path] = document
        urls[display] = url
        return document
    }

    /// The target of the `$ref` string `reference`, written at `site`.
    func resolve(_ reference: String, at site: Located) throws(OpenAPILoadError) -> Located {
        let refLocation = site.document.location(JSONPointer.appending("$ref", to: site.pointer))
        let hash = reference.firstIndex(of: "#")
        let filePart = String(reference[..<(hash ?? reference.endIndex)])
        let fragment = hash.map { String(reference[reference.index(after: $0)...]) } ?? ""
        if filePart.contains("://") {
            throw OpenAPILoadError(.unsupported, at: refLocation, "remote $ref \"\(reference)\" is not supported")
        }
        var document = site.document
        if !filePart.isEmpty {
            guard let base = urls[site.document.file], let decoded = filePart.removingPercentEncoding else {
                throw OpenAPILoadError(.unresolvedReference, at: refLocation, "malformed $ref \"\(reference)\"")
            }
            let target = URL(fileURLWithPath: decoded, relativeTo: base.deletingLastPathComponent())
            document = try self.document(at: target, referencedFrom: refLocation)
        }
        let pointer = fragment.removingPercentEncoding ?? fragment
        guard JSONPointer.tokens(pointer) != nil else {
            throw OpenAPILoadError(.unsupported, at: refLocation,
                                   "$ref \"\(reference)\": only JSON pointer fragments (#/...) are supported")
        }
        guard let value = document.value(at: pointer) else {
            throw OpenAPILoadError(.unresolvedReference, at: refLocation,
                                   "$ref \"\(reference)\": nothing at #\(pointer) in \(document.file)")
        }
        return Located(document: document, pointer: pointer, value: value)
    }

    /// Follows `$ref` until a value without one (for parameters, responses and other non-schema
    /// objects, whose `$ref` replaces the whole object).
    func dereference(_ located: Located) throws(OpenAPILoadError) -> Located {
        var current = located
        var seen: Set<String> = []
        while case .string(let reference)? = current.value["$ref"] {
            let key = current.document.file + "#" + current.pointer
            guard seen.insert(key).inserted else {
                throw OpenAPILoadError(.unresolvedReference, at: located.location, "$ref cycle through \(key)")
            }
            current = try resolve(reference, at: current)
        }
        return current
    }

    private func displayPath(_ url: URL) -> String {
        let path = url.path
        let prefix = folder.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
