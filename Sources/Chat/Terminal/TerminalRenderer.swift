import Core
import Foundation

/// Renders chat messages as terminal text: what Slack or Matrix would show, one block per message.
package struct TerminalRenderer: Sendable {
    /// Whether to use ANSI colours (a terminal) or plain text (a pipe, a log, a test).
    package var colour: Bool
    /// Resources listed before "…and N more resources".
    package var maxResources: Int = 10

    package init(colour: Bool) { self.colour = colour }

    package func render(_ message: ChatMessage, destination: ChatDestination, kind: String) -> String {
        var lines: [String] = []
        let target = destination.kind == .direct ? "DM → \(destination.address)" : destination.address
        let header: String
        switch kind {
        case "update":
            header = "┄┄ \(target) · update \(message.alert.map(String.init(describing:)) ?? "")"
            if let line = message.threadLine { lines.append(bold("  ↳ \(line)")) }
            if message.broadcast { lines.append(contentsOf: body(message)) }
            return ([dim(header)] + lines).joined(separator: "\n")
        case "direct":
            // A payload queued before messages carried their purpose: an alert's DM is its escalation.
            header = "── \(target) · \(message.purpose?.label ?? (message.alert == nil ? "direct message" : "escalation"))"
        case "reply":
            header = "↩ \(destination.kind == .direct ? "to \(destination.address) (only you see this)" : destination.address)"
        default:
            header = message.alert == nil ? "── \(target)" : "── \(target) · new alert"
        }
        lines.append(dim(header))
        if let text = message.body, kind == "direct" { lines.append("  " + text) }
        lines.append(contentsOf: body(message))
        if let text = message.body, kind != "direct" { lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }) }
        return lines.joined(separator: "\n")
    }

    private func body(_ message: ChatMessage) -> [String] {
        var lines: [String] = []
        if let severity = message.severity {
            lines.append("  " + severityTag(severity) + " " + bold(message.title))
        } else {
            lines.append("  " + bold(message.title))
        }
        let width = message.fields.map(\.label.count).max() ?? 0
        for field in message.fields {
            lines.append("  " + dim(field.label.padding(toLength: width, withPad: " ", startingAt: 0)) + "  " + field.value)
        }
        if !message.resources.isEmpty {
            lines.append("  " + dim("Resources (\(message.resources.count))"))
            for resource in message.resources.prefix(maxResources) { lines.append("    • \(resource)") }
            if message.resources.count > maxResources {
                lines.append("    …and \(message.resources.count - maxResources) more resources")
            }
        }
        if let remediation = message.remediation { lines.append("  " + dim("Remediation") + "  " + remediation) }
        if let image = message.image {
            lines.append("  " + dim("Image") + "  \(image.filename) (\(image.width)×\(image.height), \(image.data.count / 1_024 + 1) KiB): \(image.altText)")
        }
        if !message.actions.isEmpty, let alert = message.alert {
            let buttons = message.actions.map { "[\($0.kind.label)]" }.joined(separator: " ")
            lines.append("  " + buttons + dim("   e.g. /soc2 \(message.actions[0].kind.command) \(alert)"))
        }
        return lines
    }

    private func severityTag(_ severity: Severity) -> String {
        let tag = "[\(severity.label)]"
        guard colour else { return tag }
        let code = switch severity {
        case .critical: "1;41;97"
        case .high: "1;31"
        case .medium: "1;33"
        case .low: "1;36"
        }
        return "\u{1B}[\(code)m\(tag)\u{1B}[0m"
    }
    private func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    private func dim(_ s: String) -> String { colour ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
}
