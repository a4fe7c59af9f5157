/// Escaping for text that came from a contract, a service or a run: names, messages, bodies.
public enum HTMLEscaping {
    /// `text` safe as HTML or XML element content and as a double- or single-quoted attribute value,
    /// in HTML, in inline SVG and in XML (JUnit). Characters XML 1.0 forbids (most C0 controls,
    /// U+FFFE, U+FFFF) become U+FFFD, so a response body full of bytes never breaks junit.xml.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
