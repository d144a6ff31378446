import ArgumentParser
import PostgresStore

/// `--database`, as every command takes it: an SQLite file (a path, or `sqlite:PATH`) or a PostgreSQL database
/// (`postgres://user@host:5432/db`). Read once, here, into a `StoreAddress`, which opens it; printed (help, messages)
/// with any password as `***`.
struct DatabaseOption: ExpressibleByArgument, CustomStringConvertible, Sendable {
    /// The help of every `--database` option.
    static let help = ArgumentHelp(
        "The database: an SQLite file (a path, or sqlite:PATH), or PostgreSQL as postgres://USER@HOST:5432/DB (password from PGPASSWORD or ~/.pgpass; TLS with ?sslmode=verify-full).",
        valueName: "path-or-url")

    let address: StoreAddress

    init(_ text: String) { address = StoreAddress(text) }

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        self.init(argument)
    }

    var description: String { address.description }
    var defaultValueDescription: String { address.description }
}
