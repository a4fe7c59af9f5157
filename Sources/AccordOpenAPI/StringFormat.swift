/// Checks for the string formats real APIs rely on; other formats are annotations only.
enum StringFormat {
    /// Why `text` is not a valid `format`, or nil when it is (or the format is not checked).
    static func problem(_ text: String, format: String) -> String? {
        switch format {
        case "date-time": dateTimeProblem(Array(text.utf8))
        case "uuid": uuidProblem(Array(text.utf8))
        case "email": emailProblem(text)
        default: nil
        }
    }

    /// RFC 3339 `date-time`: `2024-02-29T13:05:00.5Z`, `...+02:00`.
    private static func dateTimeProblem(_ b: [UInt8]) -> String? {
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == 0x2D, let month = number(5, 2), b[7] == 0x2D,
            let day = number(8, 2), b[10] == 0x54 || b[10] == 0x74, let hour = number(11, 2), b[13] == 0x3A,
            let minute = number(14, 2), b[16] == 0x3A, let second = number(17, 2)
        else { return "expected YYYY-MM-DDThh:mm:ss with a time zone" }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else {
            return "no such date"
        }
        guard hour < 24, minute < 60, second <= 60 else { return "no such time" }
        var i = 19
        if i < b.count && b[i] == 0x2E {
            i += 1
            let start = i
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            if i == start { return "digits expected after '.'" }
        }
        guard i < b.count else { return "time zone missing" }
        if b[i] == 0x5A || b[i] == 0x7A { return i + 1 == b.count ? nil : "text after the time zone" }
        guard b[i] == 0x2B || b[i] == 0x2D, i + 6 == b.count, let zoneHour = number(i + 1, 2), b[i + 3] == 0x3A,
            let zoneMinute = number(i + 4, 2), zoneHour < 24, zoneMinute < 60
        else { return "malformed time zone" }
        return nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `8-4-4-4-12` hexadecimal digits.
    private static func uuidProblem(_ b: [UInt8]) -> String? {
        guard b.count == 36 else { return "expected 36 characters" }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != 0x2D { return "expected '-' at position \(i + 1)" }
            } else if !((0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)) {
                return "expected a hexadecimal digit at position \(i + 1)"
            }
        }
        return nil
    }

    /// `local@domain.tld`: one `@`, no spaces, a dot inside the domain.
    private static func emailProblem(_ text: String) -> String? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return "expected one '@' between parts" }
        guard !text.contains(where: { $0.isWhitespace }) else { return "contains whitespace" }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return "malformed domain" }
        return nil
    }
}
