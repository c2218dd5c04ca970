// libcurl, loaded on first use rather than linked: its library tree (GnuTLS, Kerberos, LDAP,
// RTMP, ...) costs every process about 5 ms and 4 MB of memory to load and initialise, and
// only the commands that talk to S3 or CVAT use it. git keeps curl out of its main binary for
// the same reason (git-remote-https). Every libcurl function dsv calls goes through here, typed
// and non-variadic (Swift cannot call curl_easy_setopt / curl_easy_getinfo, which are
// variadic). Nothing else belongs here.
#ifndef DSV_CCURL_SHIM_H
#define DSV_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*dsv_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*dsv_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

// Loads libcurl and runs curl_global_init, once per process; safe from any thread. Returns
// NULL when libcurl is ready, else why it is not ("cannot be loaded (<the loader's message>)").
// No other function here may be called before it has returned NULL.
const char *dsv_curl_load(void);

CURL *dsv_curl_easy_init(void);
void dsv_curl_easy_cleanup(CURL *handle);
void dsv_curl_easy_reset(CURL *handle);
CURLcode dsv_curl_easy_perform(CURL *handle);
// Safe before loading too: curl's own message once libcurl is loaded, else NULL.
const char *dsv_curl_easy_strerror(CURLcode code);
struct curl_slist *dsv_curl_slist_append(struct curl_slist *list, const char *string);
void dsv_curl_slist_free_all(struct curl_slist *list);

CURLM *dsv_curl_multi_init(void);
CURLMcode dsv_curl_multi_cleanup(CURLM *multi);
CURLMcode dsv_curl_multi_add_handle(CURLM *multi, CURL *handle);
CURLMcode dsv_curl_multi_remove_handle(CURLM *multi, CURL *handle);
CURLMcode dsv_curl_multi_perform(CURLM *multi, int *running);
CURLMcode dsv_curl_multi_poll(CURLM *multi, int timeout_ms);
CURLMsg *dsv_curl_multi_info_read(CURLM *multi, int *queued);

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
