import Postgres

/// The ledger's protection on PostgreSQL — the append-only triggers, the chain-continuation trigger and their
/// functions — as migration `pg-v1-ledger` created them (that migration keeps its own copy: a landed migration is
/// never edited), checked and put back before a process starts appending, as `EvidenceLedger.restoreAppendOnlyTriggers`
/// does on SQLite.
extension PostgresSchema {
    struct LedgerFunction {
        var name: String
        /// The function's body (`pg_proc.prosrc`), compared whitespace aside.
        var body: String
        var sql: String { "CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$\(body)\n$$" }
    }

    struct LedgerTrigger {
        var name: String
        /// `pg_trigger.tgtype`: row (1), before (2), insert (4), delete (8), update (16), truncate (32).
        var type: Int64
        var function: String
        /// The transition table a statement trigger reads (`REFERENCING NEW TABLE AS …`).
        var newTable: String?
        var sql: String
    }

    static let ledgerFunctions: [LedgerFunction] = [
        LedgerFunction(name: "ledger_refuse_change", body: """

            BEGIN
                RAISE EXCEPTION 'the evidence ledger is append-only: % refused', TG_OP;
            END
            """),
        LedgerFunction(name: "ledger_continue_chain", body: """

            DECLARE
                broken bigint;
            BEGIN
                SELECT n.seq INTO broken FROM appended n LEFT JOIN ledger p ON p.seq = n.seq - 1
                    WHERE CASE WHEN n.seq = 1 THEN n.prev_hash <> decode(repeat('00', 32), 'hex')
                               ELSE p.hash IS DISTINCT FROM n.prev_hash END
                    ORDER BY n.seq LIMIT 1;
                IF FOUND THEN
                    RAISE EXCEPTION 'ledger entry % does not continue the head: its previous hash is not the hash of entry %', broken, broken - 1
                        USING ERRCODE = 'serialization_failure';
                END IF;
                RETURN NULL;
            END
            """),
    ]

    static let ledgerTriggers: [LedgerTrigger] = [
        LedgerTrigger(name: "ledger_no_update", type: 1 + 2 + 16, function: "ledger_refuse_change",
                      sql: "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
        LedgerTrigger(name: "ledger_no_delete", type: 1 + 2 + 8, function: "ledger_refuse_change",
                      sql: "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
        LedgerTrigger(name: "ledger_no_truncate", type: 2 + 32, function: "ledger_refuse_change",
                      sql: "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"),
        LedgerTrigger(name: "ledger_continue_chain", type: 4, function: "ledger_continue_chain", newTable: "appended",
                      sql: "CREATE TRIGGER ledger_continue_chain AFTER INSERT ON ledger REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION ledger_continue_chain()"),
    ]

    /// Recreates each function whose body is not ours and each trigger that is missing, disabled (`ALTER TABLE …
    /// DISABLE TRIGGER`), of another kind or calling another function; returns their names, empty when all were in
    /// place. Run in the transaction that then records the restoration.
    static func restoreLedgerProtection(_ connection: PostgresConnection) throws -> [String] {
        func normalised(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        var bodies: [String: String] = [:]
        for row in try connection.query("""
            SELECT proname::text, prosrc FROM pg_proc
            WHERE proname IN ('ledger_refuse_change', 'ledger_continue_chain') AND pg_function_is_visible(oid)
            """).rows {
            bodies[try row.decode(String.self, at: 0)] = normalised(try row.decode(String.self, at: 1))
        }
        var triggers: [String: (enabled: String, type: Int64, function: String, newTable: String?)] = [:]
        for row in try connection.query("""
            SELECT t.tgname::text, t.tgenabled::text, t.tgtype::bigint, p.proname::text, t.tgnewtable::text
            FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'ledger'::regclass AND NOT t.tgisinternal
            """).rows {
            triggers[try row.decode(String.self, at: 0)] = (try row.decode(String.self, at: 1), try row.decode(Int64.self, at: 2),
                                                           try row.decode(String.self, at: 3), try row.decode(String?.self, at: 4))
        }
        var restored: [String] = []
        for function in ledgerFunctions where bodies[function.name] != normalised(function.body) {
            try connection.execute(function.sql)
            restored.append(function.name)
        }
        for trigger in ledgerTriggers {
            if let found = triggers[trigger.name], found.enabled == "O", found.type == trigger.type, found.function == trigger.function,
               found.newTable == trigger.newTable { continue }
            try connection.execute("DROP TRIGGER IF EXISTS \(trigger.name) ON ledger; \(trigger.sql)")
            restored.append(trigger.name)
        }
        return restored
    }
}
