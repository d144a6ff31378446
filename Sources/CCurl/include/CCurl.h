#ifndef SOC2BOT_CCURL_H
#define SOC2BOT_CCURL_H
#include <curl/curl.h>
// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed shim per argument kind.
static inline CURLcode soc2bot_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode soc2bot_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode soc2bot_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) { return curl_easy_setopt(handle, option, value); }
typedef size_t (*soc2bot_curl_data_callback)(char *data, size_t size, size_t count, void *user);
static inline CURLcode soc2bot_curl_setopt_callback(CURL *handle, CURLoption option, soc2bot_curl_data_callback value) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode soc2bot_curl_response_code(CURL *handle, long *code) { return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, code); }
#endif
