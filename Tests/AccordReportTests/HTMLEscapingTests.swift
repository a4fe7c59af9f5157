import AccordReport
import Testing

@Suite struct HTMLEscapingTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("'><svg onload=x>", "&#39;&gt;&lt;svg onload=x&gt;"),
        ("a & b &amp; c", "a &amp; b &amp;amp; c"),
        ("tab\tnew\nline\r", "tab\tnew\nline\r"),
        ("bell\u{07} nul\u{00} esc\u{1B}[31m", "bell\u{FFFD} nul\u{FFFD} esc\u{FFFD}[31m"),
        ("\u{FFFE}\u{FFFF}", "\u{FFFD}\u{FFFD}"),
        ("accents é ✓ 🚀 日本", "accents é ✓ 🚀 日本"),
        ("", ""),
    ])
    func escapes(input: String, expected: String) {
        #expect(HTMLEscaping.escape(input) == expected)
    }

    @Test func escapedTextHasNoMarkupLeft() {
        let hostile = "<script>\"'&</script><img src=x onerror=alert(1)>\u{0}"
        let escaped = HTMLEscaping.escape(hostile)
        for character in ["<", ">", "\"", "'", "\u{0}"] {
            #expect(!escaped.contains(character), "\(character) survived in \(escaped)")
        }
        // Every & starts an entity this function wrote.
        let ampersands = escaped.components(separatedBy: "&").dropFirst()
        let entities = ["amp;", "lt;", "gt;", "quot;", "#39;"]
        #expect(ampersands.allSatisfy { rest in entities.contains { rest.hasPrefix($0) } })
    }
}
