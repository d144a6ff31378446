import FactSources
import Foundation
import Testing

@Suite("XML parsing of API answers")
struct XMLParsingTests {
    func parse(_ text: String) -> XMLElementNode? { XMLElementNode.parse(Data(text.utf8)) }

    @Test func elementsTextEntitiesAndNamespacesAreRead() throws {
        let xml = try #require(parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
              <ListUsersResult><Users>
                <member><UserName>a&amp;b &lt;x&gt; &#65;&#x42;</UserName><Path>/</Path></member>
                <member><UserName><![CDATA[<raw> & text]]></UserName><Empty/></member>
              </Users><IsTruncated>false</IsTruncated></ListUsersResult>
              <s3:Tag xmlns:s3="x">prefixed</s3:Tag>
            </ListUsersResponse>
            """))
        #expect(xml.name == "ListUsersResponse")
        let names = xml.all(path: ["ListUsersResult", "Users", "member"]).compactMap { $0.value("UserName") }
        #expect(names == ["a&b <x> AB", "<raw> & text"])
        #expect(xml.value("ListUsersResult", "IsTruncated") == "false")
        #expect(xml.value("Tag") == "prefixed")
        #expect(xml.descendants("Empty").count == 1)
    }

    @Test(arguments: ["<a><b></a>", "<a>", "<a></a><b></b>", "text<a/>", "<a>&bogus;</a>", "<a>&amp</a>", "<a><!-- open", "", "<html>oops"])
    func malformedInputIsRefused(_ text: String) {
        #expect(parse(text) == nil)
    }
}
