#ifndef SOC2BOT_CZLIB_H
#define SOC2BOT_CZLIB_H
// The system zlib (zlib1g-dev), which libcurl and libwebsockets link already: DEFLATE and CRC-32 for the PNG writer.
#include <zlib.h>
#endif
