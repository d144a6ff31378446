#ifndef SOC2BOT_CLIBWEBSOCKETS_H
#define SOC2BOT_CLIBWEBSOCKETS_H
#include <libwebsockets.h>
/// LWS_PRE is a macro Swift does not import: the headroom lws_write needs before the payload.
static inline int soc2bot_lws_pre(void) { return LWS_PRE; }
#endif
