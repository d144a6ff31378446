import Core

/// What the manifest files say, gathered file by file before the cross-file checks: Core values plus the
/// positions needed to report duplicates and dangling references.
struct ManifestDraft {
    /// The files read, in name order; problems that concern no node in particular point at the first.
    var files: [String] = []
    /// Each `organisation` key found (there must be exactly one), positioned at the key.
    var organisation: [Located<String>] = []
    var securityLeads: [Located<String>] = []
    /// Each `routing` key found (at most one), positioned at the key.
    var routing: [Located<[ChatPlatform: String]>] = []
    /// Each `escalation` key found (at most one), positioned at the key.
    var escalation: [Located<EscalationPolicy>] = []
    /// Each `chat` key found (at most one), positioned at the key.
    var chat: [Located<ChatConfig>] = []
    /// Each `server` key found (at most one), positioned at the key.
    var server: [Located<ServerConfig>] = []
    var people: [Declared<Person>] = []
    var teams: [Declared<Team>] = []
    var controls: [Declared<Control>] = []
    var sources: [Declared<SourceConfig>] = []
    var vendors: [Declared<VendorEntry>] = []
    var policies: [Declared<PolicyEntry>] = []
    var digest: [Located<DigestSchedule>] = []
    var auditors: [AuditorAccess] = []
    /// Each `ledger` key found (at most one), positioned at the key.
    var ledger: [Located<LedgerAnchorSettings?>] = []
    /// Every id that must name a declared person, team or source.
    var references: [Reference] = []
    /// Every automated control's check, to match its needed facts against the configured sources.
    var checkUses: [CheckUse] = []

    mutating func append(_ other: ManifestDraft) {
        files += other.files
        organisation += other.organisation; securityLeads += other.securityLeads
        routing += other.routing; escalation += other.escalation; chat += other.chat; server += other.server
        people += other.people; teams += other.teams; controls += other.controls; sources += other.sources
        vendors += other.vendors; policies += other.policies; digest += other.digest; auditors += other.auditors
        ledger += other.ledger
        references += other.references; checkUses += other.checkUses
    }
}

/// A person, team, control or source as declared: its value, its id's position (nil when the id is missing
/// or malformed, so it cannot be referenced) and the position of its mapping.
struct Declared<Value> {
    var value: Value
    var id: Located<String>?
    var position: ManifestPosition
}

/// An id that must name something declared elsewhere, e.g. a control's `owner` naming a team.
struct Reference {
    enum Kind: String {
        case person, team, source

        /// The top-level key where things of this kind are declared.
        var listKey: String { rawValue == "person" ? "people" : rawValue + "s" }
    }

    var kind: Kind
    var id: Located<String>
    /// The key the id was written under, e.g. `owner`, `escalation_contacts`, `check.sources`.
    var field: String
}

/// An automated control's check: the type it runs and the sources it names (empty: every source providing its facts).
struct CheckUse {
    var controlID: String
    var type: CheckType
    var sources: [Located<String>]
    var position: ManifestPosition
}
