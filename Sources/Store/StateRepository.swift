import Foundation

/// Small named state the bot keeps between steps and restarts: cursors, the replay memory of signed inbound
/// requests, and the questions asked in Matrix threads.
package protocol StateRepository {
    // MARK: Cursors

    /// The value last set for `name` (nil: never set).
    func cursor(_ name: String) throws -> String?

    func setCursor(_ name: String, _ value: String) throws

    // MARK: Replay cache

    /// Records `key` (a signed request's signature, a Socket Mode envelope id) as seen until `expires`; false when
    /// it is already recorded and not expired — a replay, whether this process or another one on the same database
    /// saw it first, before or after a restart. Expired keys are forgotten on the way.
    func firstSighting(_ key: String, now: Date, expires: Date) throws -> Bool

    /// Whether `key` is recorded and has not expired, without recording it.
    func alreadySeen(_ key: String, now: Date) throws -> Bool

    // MARK: Matrix prompts

    /// Records a question, replacing an earlier one to the same person in the same thread, and forgets questions
    /// expired for longer than `MatrixPrompt.expiredKept`.
    func saveMatrixPrompt(_ prompt: MatrixPrompt, now: Date) throws

    /// The question asked to `sender` in the thread of `root`, expired or not; nil when none.
    func matrixPrompt(sender: String, root: String) throws -> MatrixPrompt?

    /// Forgets the question (answered, or answered too late).
    func deleteMatrixPrompt(sender: String, root: String) throws
}
