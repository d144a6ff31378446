import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: local name (namespace prefix dropped), text and children. AWS answers XML whose
/// namespaces vary by service and emulator, so lookups match local names only.
package final class XMLElementNode: @unchecked Sendable {
    package let name: String
    package fileprivate(set) var text = ""
    package fileprivate(set) var children: [XMLElementNode] = []

    init(name: String) { self.name = name }

    /// Children named `name`.
    package func all(_ name: String) -> [XMLElementNode] { children.filter { $0.name == name } }
    /// The first child named `name`.
    package func first(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }
    /// Follows a path of child names (`["Buckets", "Bucket"]`) and returns every element at its end.
    package func all(path: [String]) -> [XMLElementNode] {
        path.reduce([self]) { nodes, name in nodes.flatMap { $0.all(name) } }
    }
    /// The trimmed text of the first element at `path`.
    package func value(_ path: String...) -> String? {
        all(path: path).first?.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// Every element named `name` at any depth, in document order.
    package func descendants(_ name: String) -> [XMLElementNode] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
    }

    /// Parses `data`; nil when it is not well-formed XML.
    package static func parse(_ data: Data) -> XMLElementNode? {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else { return nil }
        return root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: XMLElementNode?
    var stack: [XMLElementNode] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        let node = XMLElementNode(name: local)
        if let parent = stack.last { parent.children.append(node) } else { root = node }
        stack.append(node)
    }
    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        _ = stack.popLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}
