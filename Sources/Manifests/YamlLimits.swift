import CYaml
import Foundation
import Yams

/// Reads YAML for manifests and scenarios with the limits libyaml and Yams lack: aliases may not expand the
/// document by more than `aliasExpansionLimit` nodes (a "billion laughs" of 30 nested aliases is 2^31 nodes, which
/// Yams builds lazily but every walk of the tree — our decoders, Yams' own duplicate-key check — then expands).
///
/// libyaml's event stream is scanned once before Yams composes the tree: each anchor's expanded size is known when
/// it is defined, so an alias costs one lookup and the scan is linear in the file (the 1.9 kB bomb in
/// /work/shared/repro is refused in well under a millisecond). Nesting is already bounded by libyaml (1,000 levels).
package enum YamlLimits {
    /// Nodes that aliases may add in one file, in total. The demo manifests use none; a manifest that names a
    /// shared channel map by alias in a thousand teams adds a few thousand.
    package static let aliasExpansionLimit = 100_000

    /// Where and why a YAML text was refused before parsing.
    package struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based, as every problem prints.
        package var line: Int
        package var column: Int
        package var message: String
        package var fix: String
        package var description: String { "\(line):\(column): \(message) — \(fix)" }
    }

    /// The document's root (nil for an empty document), after checking the alias expansion. Throws `Refusal`
    /// for a document beyond the limits and Yams' `YamlError` for a syntax error.
    package static func compose(_ yaml: String) throws -> Node? {
        if let refusal = expansionRefusal(yaml) { throw refusal }
        return try Yams.compose(yaml: yaml)
    }

    /// The first alias at which the document's expansion passes `aliasExpansionLimit`, or nil. Syntax errors end
    /// the scan without a refusal: Yams reports them with its own context.
    package static func expansionRefusal(_ yaml: String, limit: Int = aliasExpansionLimit) -> Refusal? {
        var bytes = Array(yaml.utf8)
        bytes.append(0)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> Refusal? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            let cap = limit + 1
            var anchored: [String: Int] = [:]          // anchor → nodes its value expands to (capped at `cap`)
            var open: [(anchor: String?, nodes: Int)] = []
            var expanded = 0                          // nodes added by aliases so far
            func finished(_ nodes: Int, anchor: String?) {
                if let anchor { anchored[anchor] = nodes }
                if !open.isEmpty { open[open.count - 1].nodes = min(cap, open[open.count - 1].nodes + nodes) }
            }
            func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    finished(1, anchor: name(event.data.scalar.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    open.append((name(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((name(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let done = open.popLast() { finished(done.nodes, anchor: done.anchor) }
                case YAML_ALIAS_EVENT:
                    let nodes = name(event.data.alias.anchor).flatMap { anchored[$0] } ?? 1
                    expanded = min(cap, expanded + nodes)
                    if expanded > limit {
                        return Refusal(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1,
                                       message: "too many alias expansions: aliases expand to more than \(limit) nodes by here (an alias bomb)",
                                       fix: "write the values out, or nest fewer aliases")
                    }
                    finished(nodes, anchor: nil)
                default:
                    break
                }
            }
        }
    }
}

extension Node {
    /// The scalar as a whole number, or nil. Unlike Yams' `int`, never traps: YAML 1.1 base-60 integers
    /// (`1:30:00`) overflow in Yams' own arithmetic, so they are computed here with overflow checks.
    package var integer: Int? {
        guard case .scalar(let scalar) = self else { return nil }
        let text = scalar.string.replacingOccurrences(of: "_", with: "")
        guard text.contains(":") else { return int }
        guard scalar.style == .plain || scalar.style == .any else { return nil }
        let negative = text.hasPrefix("-")
        var value = 0
        for part in text.drop(while: { $0 == "-" || $0 == "+" }).split(separator: ":", omittingEmptySubsequences: false) {
            guard let digit = Int(part) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 60)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
