import Foundation

/// Backend process ids seen by several threads.
final class PIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var set: Set<Int32> = []
    func insert(_ pid: Int32) { lock.lock(); set.insert(pid); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return set.count }
}
