import CLibWebSockets
import Foundation

/// Routes libwebsockets' log to standard error (errors only) and remembers each thread's last error line.
///
/// lws explains some failures only in its log: a failed certificate verification reaches the protocol callback
/// as `"connect SSL err 1: error:00000001:lib(0)::reason(1)"`, while the log line just before says
/// `"SSL error: self-signed certificate"`. The service thread that hit the failure reads that line back with
/// `takeLastError()` to put the real reason into its error. `lws_set_log_level` is process-wide, so this is set
/// up once.
enum LWSLog {
    private static let lastErrorKey = "soc2bot.lws.lastError"

    /// Installs the emitter, once per process.
    static let setUp: Void = {
        lws_set_log_level(Int32(LLL_ERR), soc2botLWSLogEmit)
    }()

    /// The last error lws logged on the calling thread since the previous call, without its trailing newline.
    static func takeLastError() -> String? {
        let dictionary = Thread.current.threadDictionary
        defer { dictionary.removeObject(forKey: lastErrorKey) }
        return dictionary[lastErrorKey] as? String
    }

    fileprivate static func record(_ line: String) {
        Thread.current.threadDictionary[lastErrorKey] = line
    }
}

/// lws' log emitter: one formatted line per call, on the thread that logged it.
private func soc2botLWSLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    LWSLog.record(text)
    FileHandle.standardError.write(Data("libwebsockets: \(text)\n".utf8))
}
