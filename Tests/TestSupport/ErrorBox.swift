import Foundation

/// Errors from several threads.
package final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    package init() {}
    package func append(_ error: any Error) { lock.lock(); errors.append(error); lock.unlock() }
    package var first: (any Error)? { lock.lock(); defer { lock.unlock() }; return errors.first }
}
