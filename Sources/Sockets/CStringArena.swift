import Foundation

/// C strings handed to libwebsockets that must outlive the lws context (interface name, protocol names, TLS file
/// paths, connect-info strings).
///
/// lws keeps many of the `const char *` it is given without copying them, so every such string is duplicated here
/// and freed only when the arena is released, which the service thread does after `lws_context_destroy`.
/// Confined to the thread that creates the context; never shared.
final class CStringArena {
    private var pointers: [UnsafeMutablePointer<CChar>] = []

    /// A NUL-terminated copy of `string` that stays valid until the arena is deinitialised.
    func copy(_ string: String) -> UnsafePointer<CChar> {
        let pointer = strdup(string)!
        pointers.append(pointer)
        return UnsafePointer(pointer)
    }

    /// `copy(_:)` for an optional string; nil stays nil (lws reads a null pointer as "not set").
    func copy(_ string: String?) -> UnsafePointer<CChar>? {
        string.map { copy($0) }
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
