/// Finds the known name a misspelling most likely meant, for "did you mean …?" fixes.
enum NameSuggestion {
    /// The largest edit distance still offered as a suggestion: catches `severtiy` and `sevrity`, not `owner` for `name`.
    static let maximumDistance = 2

    /// The candidate closest to `name` within `maximumDistance` edits; the earliest candidate wins ties.
    static func closest(to name: String, among candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(name.lowercased(), candidate.lowercased())
            if distance <= maximumDistance, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Levenshtein distance between two strings, counted in characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// "did you mean `x`?" when a close candidate exists, else `otherwise`.
    static func fix(for name: String, among candidates: [String], otherwise: String) -> String {
        if let suggestion = closest(to: name, among: candidates) { return "did you mean `\(suggestion)`?" }
        return otherwise
    }

    /// Names as a readable list: `a`, `b`, `c`.
    static func list(_ names: [String]) -> String {
        names.map { "`\($0)`" }.joined(separator: ", ")
    }
}
