import Testing
@testable import Manifests

/// "did you mean …?" suggestions: close misspellings only.
@Suite struct NameSuggestionTests {
    @Test(arguments: [
        ("severtiy", "severity", 2), ("sevrity", "severity", 1), ("owner", "owner", 0), ("", "abc", 3), ("kitten", "sitting", 3),
    ])
    func editDistanceCountsInsertionsDeletionsAndSubstitutions(_ a: String, _ b: String, _ distance: Int) {
        #expect(NameSuggestion.editDistance(a, b) == distance)
        #expect(NameSuggestion.editDistance(b, a) == distance)
    }

    @Test func closestCandidateWithinTwoEditsIsSuggested() {
        #expect(NameSuggestion.closest(to: "titel", among: ["id", "title", "tile"]) == "title")
        #expect(NameSuggestion.closest(to: "colour", among: ["type", "sources"]) == nil)
        #expect(NameSuggestion.closest(to: "SLACK", among: ["slack", "matrix"]) == "slack")
    }
}
