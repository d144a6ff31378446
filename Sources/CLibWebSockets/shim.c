// libwebsockets shims live in include/CLibWebSockets.h.
