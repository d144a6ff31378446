import Postgres

/// The PostgreSQL schema, as named migrations applied in order, each once, in one transaction with its record in
/// `soc2bot_migration`. Like the SQLite store's GRDB migrations: a landed migration is never edited; a change is a
/// new migration appended to `migrations`. Replicas starting together are serialised by a transaction-level
/// advisory lock, so each migration runs exactly once.
package enum PostgresSchema {
    /// The advisory lock key the migrations take (`pg_advisory_xact_lock`): "soc2bot\0" as a big-endian Int64.
    static let migrationLockKey: Int64 = 0x736f_6332_626f_7400

    package static let migrations: [(name: String, sql: String)] = [
        ("pg-v1-ledger", """
            -- The evidence ledger: append-only, hash-chained, hash = SHA-256(prev_hash || entry); the same columns,
            -- bytes and meaning as SQLite's `ledger` table. "C" collation: text compares and sorts by bytes, as SQLite's.
            CREATE TABLE ledger (
                seq bigint PRIMARY KEY,
                at text COLLATE "C" NOT NULL,
                kind text COLLATE "C" NOT NULL,
                subject text COLLATE "C",
                entry bytea NOT NULL,
                prev_hash bytea NOT NULL,
                hash bytea NOT NULL
            );
            CREATE INDEX ledger_subject ON ledger (subject) WHERE subject IS NOT NULL;
            CREATE INDEX ledger_kind_at ON ledger (kind, at);

            -- The chain head's lock: one row, locked (SELECT … FOR UPDATE) by the transaction that appends, so appends
            -- from every session and replica are serialised and each continues the head the previous one left. The
            -- head itself is the last ledger row (found by the primary key's index): a row updated on every append
            -- would grow a chain of versions that a long transaction must walk on each read.
            CREATE TABLE ledger_head (
                one boolean PRIMARY KEY DEFAULT true CHECK (one)
            );
            INSERT INTO ledger_head DEFAULT VALUES;

            -- Append-only: UPDATE, DELETE and TRUNCATE are refused.
            CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the evidence ledger is append-only: % refused', TG_OP;
            END $$;
            CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
            CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
            CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

            -- Every insert must continue the chain: each new row's prev_hash is the hash of the entry before it (32 zero
            -- bytes before entry 1), checked once per statement over all its rows. With seq the primary key, the chain
            -- cannot fork or gap, whoever writes (this bot, another replica, a person with psql).
            CREATE FUNCTION ledger_continue_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
            END $$;
            CREATE TRIGGER ledger_continue_chain AFTER INSERT ON ledger REFERENCING NEW TABLE AS appended
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_continue_chain();
            """),
    ]

    /// Applies the migrations this database lacks; refuses a database that records a migration this build does not
    /// know (written by a newer soc2bot).
    package static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock($1)", [.int(migrationLockKey)])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS soc2bot_migration (
                    name text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try connection.query("SELECT name FROM soc2bot_migration").rows.map { try $0.decode(String.self, at: 0) })
            let known = Set(migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw PostgresError(.misuse, message: "this database was migrated by a newer soc2bot (migration \(unknown)); upgrade soc2bot to use it")
            }
            for migration in migrations where !applied.contains(migration.name) {
                try connection.execute(migration.sql)
                try connection.query("INSERT INTO soc2bot_migration (name) VALUES ($1)", [.text(migration.name)])
            }
        }
    }
}
