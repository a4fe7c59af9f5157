/// Near-miss names for diagnostics: `userId` where the schema says `user_id`. Used for JSON
/// members here and for protobuf fields by `accord check`.
public enum NearMiss {
    /// The candidate that `name` most likely meant, or nil when none is close. A candidate equal
    /// after folding case, `_` and `-` wins; otherwise the smallest edit distance between folded
    /// forms, at most a third of the longer name (at least 1). Ties go to the earliest candidate.
    public static func closest<S: Sequence<String>>(to name: String, among candidates: S) -> String? {
        let folded = fold(name)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let other = fold(candidate)
            if other == folded { return candidate }
            let limit = max(1, max(folded.count, other.count) / 3)
            let distance = editDistance(folded, other, limit: limit)
            if distance <= limit && distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Lowercased, without `_` and `-`: `user_id`, `userId` and `User-ID` all fold to `userid`.
    public static func fold(_ name: String) -> [Character] {
        name.lowercased().filter { $0 != "_" && $0 != "-" }.map { $0 }
    }

    /// Edit distance counting insertions, deletions, substitutions and swaps of neighbours
    /// (`emial` is one edit from `email`), giving up (returning `limit + 1`) once it must exceed `limit`.
    public static func editDistance(_ a: [Character], _ b: [Character], limit: Int = .max) -> Int {
        if abs(a.count - b.count) > limit { return limit &+ 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit &+ 1 }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
