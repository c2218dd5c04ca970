// Typed, non-variadic wrappers over curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt,
// which Swift cannot call because they are variadic. Nothing else belongs here.
#ifndef DSV_CCURL_SHIM_H
#define DSV_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*dsv_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*dsv_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

CURLcode dsv_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode dsv_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode dsv_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode dsv_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode dsv_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode dsv_curl_setopt_data_callback(CURL *handle, CURLoption option, dsv_curl_data_callback value);
CURLcode dsv_curl_setopt_xferinfo_callback(CURL *handle, dsv_curl_xferinfo_callback value);

CURLcode dsv_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode dsv_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode dsv_curl_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

CURLMcode dsv_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
#endif
