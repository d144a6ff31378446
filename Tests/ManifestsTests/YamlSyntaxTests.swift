import Foundation
import Testing
@testable import Manifests

/// YAML that does not parse is reported at libyaml's position, and the other files are still checked.
@Suite struct YamlSyntaxTests {
    @Test func syntaxErrorIsReportedAtItsPositionAndOtherFilesStillValidated() throws {
        // Given a file with a mis-indented key and another file with an unknown key
        let fixture = try ManifestFixture([
            "broken.yaml": """
                people:
                  - id: kim
                    name: Kim
                   email: kim@test.example

                """,
            "other.yaml": "temas: []\n",
        ])
        // Then both are reported, each at its own position
        #expect(fixture.problems() == [
            "broken.yaml:4:4: YAML syntax error: did not find expected '-' indicator (while parsing a block collection at line 2, column 3)",
            "other.yaml:1:1: unknown key `temas`",
        ])
        #expect(fixture.fixes() == [
            "check the indentation: keys of one mapping must start in the same column",
            "did you mean `teams`?",
        ])
    }

    @Test func unclosedFlowMappingIsReportedWhereTheParserGaveUp() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - {id: gh, kind: github\n"])
        #expect(fixture.problems() == [
            "test.yaml:3:1: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 2, column 5)",
        ])
    }

    @Test func tabIndentationIsExplained() throws {
        let fixture = try ManifestFixture(["test.yaml": "people:\n\t- id: kim\n"])
        let problem = try #require(fixture.problemValues().first)
        #expect((problem.line, problem.column) == (2, 1))
        #expect(problem.fix == "indent with spaces, not tabs")
    }

    @Test func duplicateKeyInOneMappingIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            teams:
              - id: ops
                name: Ops
                id: ops2

            """])
        #expect(fixture.problems() == ["test.yaml:2:5: key `id` appears more than once in the same mapping"])
    }

    @Test func readerErrorPositionIsCountedFromItsOffset() {
        let position = YamlSyntaxProblem.position(ofCharacterOffset: 12, in: "ab\ncdef\nghij")
        #expect(position.line == 3 && position.column == 5)
    }

    @Test func aFileThatIsNotAMappingIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "- id: kim\n"])
        #expect(fixture.problems() == ["test.yaml:1:1: a manifest file must be a mapping, not a list"])
    }
}
