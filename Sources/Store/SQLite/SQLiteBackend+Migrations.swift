import Core
import Foundation
import GRDB

extension SQLiteBackend {
    /// Named migrations. Never edit one that has landed: add a new one.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-alerts-ledger-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE alert (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    control_id TEXT NOT NULL,
                    resource_key TEXT NOT NULL,
                    episode INTEGER NOT NULL,
                    team_id TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    state TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    opened_at REAL NOT NULL,
                    ended_at REAL,
                    body BLOB NOT NULL
                );
                -- One live alert per control and resource: SQLite enforces the dedup rule.
                CREATE UNIQUE INDEX alert_live ON alert(control_id, resource_key) WHERE state NOT IN ('closed', 'resolved');
                CREATE INDEX alert_state ON alert(state);
                CREATE INDEX alert_control ON alert(control_id, resource_key, episode);

                CREATE TABLE alert_message (
                    alert_id INTEGER NOT NULL REFERENCES alert(id),
                    platform TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    PRIMARY KEY (alert_id, platform, channel)
                );

                CREATE TABLE resource_track (
                    control_id TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    body BLOB NOT NULL,
                    PRIMARY KEY (control_id, resource_id)
                ) WITHOUT ROWID;

                CREATE TABLE check_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    control_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    passed INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    errors INTEGER NOT NULL,
                    digest TEXT NOT NULL
                );
                CREATE INDEX check_run_control ON check_run(control_id, at);

                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id INTEGER,
                    kind TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    destination BLOB NOT NULL,
                    payload BLOB NOT NULL,
                    txn_id TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    delivered_at REAL,
                    last_error TEXT
                );
                CREATE INDEX outbox_pending ON outbox(delivered_at, id);

                CREATE TABLE cursor (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;

                -- The evidence ledger: append-only, hash-chained. hash = SHA-256(prev_hash || entry).
                CREATE TABLE ledger (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    subject TEXT,
                    entry BLOB NOT NULL,
                    prev_hash BLOB NOT NULL,
                    hash BLOB NOT NULL
                );
                CREATE INDEX ledger_subject ON ledger(subject) WHERE subject IS NOT NULL;
                CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
                    BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only: UPDATE refused'); END;
                CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
                    BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only: DELETE refused'); END;
                """)
        }
        // Matrix reactions and thread replies name an alert by its message: find the alert from the message.
        migrator.registerMigration("v2-alert-message-lookup") { db in
            try db.execute(sql: "CREATE INDEX alert_message_lookup ON alert_message(platform, channel, message_id)")
        }
        // Each live alert's next timer (ack timeout, SLA, snooze or acceptance expiry), so the loop finds the
        // earliest one without decoding every live alert. Written by the engine with each save.
        migrator.registerMigration("v3-alert-timer") { db in
            try db.execute(sql: """
                ALTER TABLE alert ADD COLUMN timer_at REAL;
                CREATE INDEX alert_timer ON alert(timer_at) WHERE timer_at IS NOT NULL;
                """)
        }
        // What the program metrics and the dashboard's lists read of each alert (title, timeline, SLA and criteria) in
        // the row's own columns, so views over weeks of history decode no alert body. Written with every save; existing
        // rows are filled from their bodies here.
        migrator.registerMigration("v4-alert-facts") { db in
            try db.execute(sql: """
                ALTER TABLE alert ADD COLUMN failing_since REAL;
                ALTER TABLE alert ADD COLUMN sla_deadline REAL;
                ALTER TABLE alert ADD COLUMN sla_breached_at REAL;
                ALTER TABLE alert ADD COLUMN criteria TEXT;
                ALTER TABLE alert ADD COLUMN title TEXT;
                """)
            let bodies = try Row.fetchAll(db, sql: "SELECT id, body FROM alert WHERE length(body) > 0")
            for row in bodies {
                let alert = try StoreJSON.decode(Alert.self, from: row[1])
                try db.execute(sql: "UPDATE alert SET \(SQLiteTransaction.v4FactColumns) WHERE id = ?",
                               arguments: StatementArguments(try SQLiteTransaction.factArguments(alert.facts).dropLast(2)) + [alert.id.rawValue])
            }
        }
        // Each alert's states over time (`AlertTimeline`) and its policy deadline (none before this: alerts opened
        // earlier keep their remediation SLA), so reports answer "as of then" from history rather than from
        // the current state. Kept in the body and in a column; existing alerts get theirs from the transitions the
        // ledger recorded (an acceptance's expiry is known only for a current one; an earlier acceptance lasts until
        // the next transition, which is its expiry's wake or the alert's end).
        migrator.registerMigration("v5-alert-timeline") { db in
            try db.execute(sql: "ALTER TABLE alert ADD COLUMN timeline BLOB")
            try db.execute(sql: "ALTER TABLE alert ADD COLUMN policy_deadline REAL")
            var transitions: [Int64: [AlertTransition]] = [:]
            let entries = try Data.fetchCursor(db, sql: "SELECT entry FROM ledger WHERE kind = 'alert_transition' ORDER BY seq")
            while let entry = try entries.next() {
                guard let transition = LedgerPayload.data(entry, kind: "alert_transition", as: AlertTransition.self) else { continue }
                transitions[transition.alert.rawValue, default: []].append(transition)
            }
            let bodies = try Row.fetchAll(db, sql: "SELECT id, body FROM alert WHERE length(body) > 0")
            for row in bodies {
                var alert = try StoreJSON.decode(Alert.self, from: row[1])
                if alert.history == nil {
                    var timeline = AlertTimeline(openedAt: alert.openedAt)
                    for transition in transitions[alert.id.rawValue] ?? [] where transition.from != transition.to || transition.action == "accept_risk" {
                        let current = transition.version == alert.version && transition.to == .riskAccepted
                        timeline.record(AlertTimeline.Step(at: transition.at, state: transition.to, until: current ? alert.riskAcceptedUntil : nil))
                    }
                    if timeline.state(at: .distantFuture) != alert.state {   // the ledger and the body disagree: the body is the state of record
                        timeline = alert.timeline
                    }
                    alert.history = timeline
                }
                try db.execute(sql: "UPDATE alert SET \(SQLiteTransaction.factColumns), body = ? WHERE id = ?",
                               arguments: StatementArguments(try SQLiteTransaction.factArguments(alert.facts)) + [try StoreJSON.encode(alert), alert.id.rawValue])
            }
        }
        // The messages given up on are listed by alert unless a later message of the alert reached the destination:
        // find an alert's messages without scanning the outbox.
        migrator.registerMigration("v5-delivery-outbox-by-alert") { db in
            try db.execute(sql: "CREATE INDEX outbox_alert ON outbox(alert_id, id)")
        }
        // The questions the bot asked in an alert's Matrix thread (⏰ how long and why, ✅ what was done), which the
        // person's next reply there answers: kept here, with an expiry, so a reply after a restart is still understood.
        migrator.registerMigration("v5-matrix-prompts") { db in
            try db.execute(sql: """
                CREATE TABLE matrix_prompt (
                    sender TEXT NOT NULL,
                    root TEXT NOT NULL,
                    room TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    PRIMARY KEY (sender, root)
                ) WITHOUT ROWID;
                CREATE INDEX matrix_prompt_expiry ON matrix_prompt(expires_at);
                """)
        }
        // Signed inbound requests (Slack signatures) and Socket Mode envelope ids seen lately, each until it expires:
        // the replay memory outlives a restart and is shared by every process on this database.
        migrator.registerMigration("v5-slack-replay-cache") { db in
            try db.execute(sql: """
                CREATE TABLE seen_request (key TEXT PRIMARY KEY NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID;
                CREATE INDEX seen_request_expiry ON seen_request(expires_at);
                """)
        }
        // The messages due for delivery, without walking the ones given up on: those stay undelivered for ever (kept
        // with their reason), and each loop step reads the pending ones, so after months of a deleted channel the
        // `outbox_pending` range grew with them. `next_attempt_at` of a message given up on is `Date.distantFuture`
        // (63113904000 s since 2001), which the partial index leaves out.
        migrator.registerMigration("v6-year-outbox-due") { db in
            try db.execute(sql: "CREATE INDEX outbox_due ON outbox(id) WHERE delivered_at IS NULL AND next_attempt_at < 63113904000")
        }
        // Access keys are known by their account and creation time (what IAM's credential report gives), no longer by
        // their id: the tracks and alerts of keys judged before are re-keyed, each alert with a ledger entry, so an
        // open alert stays the same alert (see `rekeyAccessKeys`).
        migrator.registerMigration("v7-aws-key-identity") { db in
            // Migrations run as the file is opened, before any bot (and its clock) exists: the entry records the real
            // time of the upgrade.
            try rekeyAccessKeys(db, at: SystemClock().now())
        }
        // Outbox claims (`claimOutbox`): who holds a message for delivery and until when, and when its claimer began
        // sending it. The same columns as PostgreSQL's `pg-v4-outbox-claims`, so both stores keep one claim rule.
        migrator.registerMigration("v8-outbox-claims") { db in
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
                ALTER TABLE outbox ADD COLUMN claimed_until REAL;
                ALTER TABLE outbox ADD COLUMN sending_since REAL;
                """)
        }
        // A control run's entry (`control_run` about `control:<id>`, fifteen a step in the demo) left out of the subject
        // index: its subject is one of few, each a range of its own, so every step wrote a leaf page of the index for
        // every control it ran — about 40 % of the pages a step committed. No report or step looks a control's runs up
        // by subject (they read `check_run`); asking for them so reads the ledger (`SQLiteTransaction+Ledger`).
        migrator.registerMigration("v9-ledger-subject-without-runs") { db in
            try db.execute(sql: """
                DROP INDEX ledger_subject;
                CREATE INDEX ledger_subject ON ledger(subject)
                    WHERE subject IS NOT NULL AND NOT (kind = 'control_run' AND subject >= 'control:' AND subject < 'control;');
                """)
        }
        // Check runs indexed by time, with each control's first and last run kept in `control_run_span`. The index by
        // control (`check_run_control`) put a step's runs in as many leaf pages as it ran controls — fifteen of the
        // twenty-odd pages a demo step committed; by time, a step's runs share one. What asked a control's runs along it
        // asks the span (`lastRuns`, `firstRun`) or seeks back in time from the span's hint (`latestRuns(atOrBefore:)`,
        // `controlsRun(in:)`). The bot's own inserts move the span as they record the run (`recordRun`, the copy's
        // inserts); a run row changed or deleted outside soc2bot recomputes its control's span (triggers). A trigger on
        // insert too was a tenth of a step.
        migrator.registerMigration("v10-check-run-by-time") { db in
            try db.execute(sql: """
                CREATE TABLE control_run_span (
                    control_id TEXT PRIMARY KEY NOT NULL,
                    first_id INTEGER NOT NULL,
                    first_at REAL NOT NULL,
                    last_id INTEGER NOT NULL,
                    last_at REAL NOT NULL
                ) WITHOUT ROWID;
                """)
            try db.execute(sql: "INSERT INTO control_run_span " + spanOfControls(controlsThatRan: """
                WITH RECURSIVE ran(control_id) AS (
                    SELECT MIN(control_id) FROM check_run
                    UNION ALL
                    SELECT (SELECT MIN(control_id) FROM check_run WHERE control_id > ran.control_id) FROM ran WHERE ran.control_id IS NOT NULL
                ) SELECT control_id AS control_id FROM ran WHERE control_id IS NOT NULL
                """))
            try db.execute(sql: """
                DROP INDEX check_run_control;
                CREATE INDEX check_run_at ON check_run(at);
                CREATE TRIGGER check_run_span_update AFTER UPDATE OF id, control_id, at ON check_run BEGIN
                    DELETE FROM control_run_span WHERE control_id IN (OLD.control_id, NEW.control_id);
                    INSERT INTO control_run_span \(spanOfControls(controlsThatRan: "SELECT OLD.control_id AS control_id UNION SELECT NEW.control_id"));
                END;
                CREATE TRIGGER check_run_span_delete AFTER DELETE ON check_run BEGIN
                    DELETE FROM control_run_span WHERE control_id = OLD.control_id;
                    INSERT INTO control_run_span \(spanOfControls(controlsThatRan: "SELECT OLD.control_id AS control_id"));
                END;
                """)
        }
        return migrator
    }

    /// The span rows (`control_run_span`'s columns in order) of the controls `controlsThatRan` selects (one column, `control_id`),
    /// computed from their runs: the first run in (time, id) order and the last. A control without runs has none.
    private static func spanOfControls(controlsThatRan: String) -> String {
        """
        SELECT c.control_id, f.id, f.at, l.id, l.at FROM (\(controlsThatRan)) AS c
        JOIN check_run f ON f.id = (SELECT id FROM check_run WHERE control_id = c.control_id ORDER BY at, id LIMIT 1)
        JOIN check_run l ON l.id = (SELECT id FROM check_run WHERE control_id = c.control_id ORDER BY at DESC, id DESC LIMIT 1)
        """
    }
}
