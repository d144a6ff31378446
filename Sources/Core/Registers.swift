import Foundation

/// A vendor in the register (`vendors:` in the manifests): what CC9.2 asks the bot to watch.
package struct VendorEntry: Codable, Sendable, Equatable {
    /// Short id typed in chat: `/soc2 vendor renew <id> …`.
    package var id: String
    package var name: String
    /// 1 (critical: customer data, production) … 3 (low).
    package var tier: Int
    /// The person accountable for the vendor relationship (reminders, renewals).
    package var owner: PersonID?
    /// End of the period the latest SOC 2 Type II report covers; nil: no report on file.
    package var reportPeriodEnd: Date?
    /// When the next security questionnaire is due; nil: none scheduled.
    package var questionnaireDue: Date?
    package var dpaSigned: Bool
    package init(id: String, name: String, tier: Int, owner: PersonID? = nil, reportPeriodEnd: Date? = nil, questionnaireDue: Date? = nil,
                 dpaSigned: Bool = false) {
        self.id = id; self.name = name; self.tier = tier; self.owner = owner; self.reportPeriodEnd = reportPeriodEnd
        self.questionnaireDue = questionnaireDue; self.dpaSigned = dpaSigned
    }
}

/// A policy people must read and attest to (`policies:` in the manifests): CC1.1, CC2.2, CC5.3.
package struct PolicyEntry: Codable, Sendable, Equatable {
    /// Short id typed in chat: `/soc2 attest <id>`.
    package var id: String
    package var title: String
    /// Where the current version is published.
    package var link: String?
    /// The person who maintains it.
    package var owner: PersonID?
    /// How often each person attests again (default a year).
    package var every: TimeInterval
    /// Teams whose members must attest; empty: everyone in the manifests.
    package var teams: [TeamID]
    /// When the current version was published: attestations before it do not count (required in the manifests).
    package var publishedAt: Date?
    /// Time a person has to attest once the policy (or their duty to) starts (default 30 days).
    package var grace: TimeInterval
    package init(id: String, title: String, link: String? = nil, owner: PersonID? = nil, every: TimeInterval = 365 * 86_400, teams: [TeamID] = [],
                 publishedAt: Date? = nil, grace: TimeInterval = 30 * 86_400) {
        self.id = id; self.title = title; self.link = link; self.owner = owner; self.every = every; self.teams = teams
        self.publishedAt = publishedAt; self.grace = grace
    }

    /// The people who must attest.
    package func attesters(in config: BotConfig) -> [Person] {
        teams.isEmpty ? config.people : config.people.filter { $0.team.map(teams.contains) ?? false }
    }
}

/// When the weekly digest goes out (`digest:` in the manifests), in UTC, and where the leadership summary goes.
package struct DigestSchedule: Codable, Sendable, Equatable {
    /// 1 = Monday … 7 = Sunday.
    package var weekday: Int
    package var hour: Int
    /// The leadership channel per platform; empty: team channels only.
    package var leadership: [ChatPlatform: String]
    /// A second framework the leadership digest also reports the week by (`also: iso27001`), beside SOC 2.
    package var also: Framework?
    package init(weekday: Int = 1, hour: Int = 9, leadership: [ChatPlatform: String] = [:], also: Framework? = nil) {
        self.weekday = weekday; self.hour = hour; self.leadership = leadership; self.also = also
    }

    package static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// The first digest moment strictly after `date`.
    package func next(after date: Date) -> Date {
        let day = (date.timeIntervalSince1970 / 86_400).rounded(.down)
        let today = Int(day) % 7
        let weekdayToday = (today + 3) % 7 + 1   // 1970-01-01 was a Thursday
        var candidate = (day + Double((weekday - weekdayToday + 7) % 7)) * 86_400 + Double(hour) * 3_600
        if candidate <= date.timeIntervalSince1970 { candidate += 7 * 86_400 }
        return Date(timeIntervalSince1970: candidate)
    }
}

/// An auditor's read-only access (`auditors:` in the manifests): the dashboard's audit view of one period, behind a
/// token held in an environment variable, until `expires`.
package struct AuditorAccess: Codable, Sendable, Equatable {
    package var name: String
    package var tokenVariable: String
    package var from: Date
    package var to: Date
    package var expires: Date
    package init(name: String, tokenVariable: String, from: Date, to: Date, expires: Date? = nil) {
        self.name = name; self.tokenVariable = tokenVariable; self.from = from; self.to = to
        self.expires = expires ?? to.addingTimeInterval(90 * 86_400)
    }
}
