/// Typed access to the bot's state inside one transaction (or read snapshot): every repository, whichever database
/// holds them. The engine and the reports never see SQL. A function that needs one concern only may take that
/// repository (`any LedgerRepository`) instead; a `StoreTransaction` converts to it.
package typealias StoreTransaction = any AlertRepository & RunRepository & OutboxRepository & LedgerRepository & StateRepository & LeaderRepository
    & CopyRepository & TransactionScope
