import Yams

/// The entries of one YAML mapping by key, already checked against the keys allowed there.
struct Fields {
    /// Where the mapping starts (its first key, or the `{` of a flow mapping).
    let position: ManifestPosition
    /// Keys in document order, unknown ones excluded.
    let keys: [String]
    private let entries: [String: (key: Node, value: Node)]

    init(position: ManifestPosition, keys: [String], entries: [String: (key: Node, value: Node)]) {
        self.position = position; self.keys = keys; self.entries = entries
    }

    /// The value under `key`, nil when the key is absent or its value is empty (`key:` or `key: null`).
    subscript(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        return value
    }

    /// Whether `key` is written at all, even with an empty value.
    func has(_ key: String) -> Bool { entries[key] != nil }

    /// The node of `key` itself, for problems about the key rather than its value.
    func keyNode(_ key: String) -> Node? { entries[key]?.key }
}

extension Node {
    /// Whether this is an empty scalar: `~`, `null` or nothing at all.
    var isNull: Bool {
        guard case .scalar = self else { return false }
        return tagName == .null
    }

    /// The resolved YAML tag (`str`, `int`, `float`, `bool`, `null`, `map`, `seq`); quoted scalars are always `str`.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    /// How a person would name this node's type in a problem message.
    var kindName: String {
        switch self {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar:
            switch tagName {
            case .null: "empty"
            case .bool: "true/false"
            case .int, .float: "a number"
            default: "text"
            }
        }
    }
}
