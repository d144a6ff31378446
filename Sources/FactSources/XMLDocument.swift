import Foundation

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

    /// Parses `data`; nil when it is not well-formed XML (unbalanced or mismatched tags, bad entities, text
    /// outside the root). Enough XML for API answers: elements, text, the five entities and numeric references,
    /// CDATA, comments and declarations; attributes are skipped. Hand-written so the bot does not load libxml2.
    package static func parse(_ data: Data) -> XMLElementNode? {
        let bytes = [UInt8](data)
        var stack: [XMLElementNode] = []
        var root: XMLElementNode?
        var i = 0
        func starts(_ text: String, at index: Int) -> Bool {
            let t = Array(text.utf8)
            return index + t.count <= bytes.count && Array(bytes[index..<(index + t.count)]) == t
        }
        func find(_ text: String, from index: Int) -> Int? {
            let t = Array(text.utf8)
            var j = index
            while j + t.count <= bytes.count {
                if bytes[j] == t[0] && Array(bytes[j..<(j + t.count)]) == t { return j }
                j += 1
            }
            return nil
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if starts("<?", at: i) {
                    guard let end = find("?>", from: i) else { return nil }
                    i = end + 2
                } else if starts("<!--", at: i) {
                    guard let end = find("-->", from: i) else { return nil }
                    i = end + 3
                } else if starts("<![CDATA[", at: i) {
                    guard let end = find("]]>", from: i + 9), let top = stack.last else { return nil }
                    top.text += String(decoding: bytes[(i + 9)..<end], as: UTF8.self)
                    i = end + 3
                } else if starts("<!", at: i) {
                    guard let end = find(">", from: i) else { return nil }
                    i = end + 1
                } else if starts("</", at: i) {
                    guard let end = find(">", from: i) else { return nil }
                    let name = String(decoding: bytes[(i + 2)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    guard let open = stack.popLast(), open.name == localName(name) else { return nil }
                    i = end + 1
                } else {
                    guard let end = find(">", from: i) else { return nil }
                    var inner = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
                    let selfClosing = inner.hasSuffix("/")
                    if selfClosing { inner.removeLast() }
                    guard let rawName = inner.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).first,
                          !rawName.isEmpty else { return nil }
                    let node = XMLElementNode(name: localName(String(rawName)))
                    if let parent = stack.last { parent.children.append(node) }
                    else if root == nil { root = node }
                    else { return nil }   // a second root
                    if !selfClosing { stack.append(node) }
                    i = end + 1
                }
            } else {
                let end = find("<", from: i) ?? bytes.count
                let raw = String(decoding: bytes[i..<end], as: UTF8.self)
                if let top = stack.last {
                    guard let text = unescape(raw) else { return nil }
                    top.text += text
                } else if !raw.allSatisfy(\.isWhitespace) {
                    return nil   // text outside the root element
                }
                i = end
            }
        }
        return stack.isEmpty ? root : nil
    }

    private static func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    /// Replaces `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and `&#…;`/`&#x…;`; nil on an unknown or broken reference.
    private static func unescape(_ text: String) -> String? {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { return nil }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                guard entity.hasPrefix("#") else { return nil }
                let digits = entity.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                guard let value, let scalar = Unicode.Scalar(value) else { return nil }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
