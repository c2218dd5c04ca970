#include "CCurlShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// libcurl's functions, looked up once by dsv_curl_load.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_failure;
static char load_message[512];

static void load(void) {
    // The SONAME Debian's libcurl4-openssl-dev links against (libcurl.so.4).
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_message, sizeof load_message, "cannot be loaded (%s)", dlerror());
        load_failure = load_message;
        return;
    }
#define LOOK_UP(field, name)                                                                   \
    if ((*(void **)&curl.field = dlsym(library, name)) == NULL) {                              \
        snprintf(load_message, sizeof load_message, "has no %s", name);                        \
        load_failure = load_message;                                                           \
        return;                                                                                \
    }
    LOOK_UP(global_init, "curl_global_init")
    LOOK_UP(easy_init, "curl_easy_init")
    LOOK_UP(easy_cleanup, "curl_easy_cleanup")
    LOOK_UP(easy_reset, "curl_easy_reset")
    LOOK_UP(easy_perform, "curl_easy_perform")
    LOOK_UP(easy_strerror, "curl_easy_strerror")
    LOOK_UP(easy_setopt, "curl_easy_setopt")
    LOOK_UP(easy_getinfo, "curl_easy_getinfo")
    LOOK_UP(slist_append, "curl_slist_append")
    LOOK_UP(slist_free_all, "curl_slist_free_all")
    LOOK_UP(multi_init, "curl_multi_init")
    LOOK_UP(multi_cleanup, "curl_multi_cleanup")
    LOOK_UP(multi_add_handle, "curl_multi_add_handle")
    LOOK_UP(multi_remove_handle, "curl_multi_remove_handle")
    LOOK_UP(multi_perform, "curl_multi_perform")
    LOOK_UP(multi_poll, "curl_multi_poll")
    LOOK_UP(multi_info_read, "curl_multi_info_read")
    LOOK_UP(multi_setopt, "curl_multi_setopt")
#undef LOOK_UP
    CURLcode code = curl.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(load_message, sizeof load_message, "curl_global_init failed: %s", curl.easy_strerror(code));
        load_failure = load_message;
    }
}

const char *dsv_curl_load(void) {
    pthread_once(&load_once, load);
    return load_failure;
}

CURL *dsv_curl_easy_init(void) { return curl.easy_init(); }
void dsv_curl_easy_cleanup(CURL *h) { curl.easy_cleanup(h); }
void dsv_curl_easy_reset(CURL *h) { curl.easy_reset(h); }
CURLcode dsv_curl_easy_perform(CURL *h) { return curl.easy_perform(h); }
const char *dsv_curl_easy_strerror(CURLcode code) {
    return dsv_curl_load() == NULL ? curl.easy_strerror(code) : NULL;
}
struct curl_slist *dsv_curl_slist_append(struct curl_slist *l, const char *s) { return curl.slist_append(l, s); }
void dsv_curl_slist_free_all(struct curl_slist *l) { curl.slist_free_all(l); }

CURLM *dsv_curl_multi_init(void) { return curl.multi_init(); }
CURLMcode dsv_curl_multi_cleanup(CURLM *m) { return curl.multi_cleanup(m); }
CURLMcode dsv_curl_multi_add_handle(CURLM *m, CURL *h) { return curl.multi_add_handle(m, h); }
CURLMcode dsv_curl_multi_remove_handle(CURLM *m, CURL *h) { return curl.multi_remove_handle(m, h); }
CURLMcode dsv_curl_multi_perform(CURLM *m, int *running) { return curl.multi_perform(m, running); }
CURLMcode dsv_curl_multi_poll(CURLM *m, int timeout_ms) { return curl.multi_poll(m, NULL, 0, timeout_ms, NULL); }
CURLMsg *dsv_curl_multi_info_read(CURLM *m, int *queued) { return curl.multi_info_read(m, queued); }

CURLcode dsv_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl.easy_setopt(h, o, v); }
CURLcode dsv_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl.easy_setopt(h, o, v); }
CURLcode dsv_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl.easy_setopt(h, o, v); }
CURLcode dsv_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl.easy_setopt(h, o, v); }
CURLcode dsv_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl.easy_setopt(h, o, v); }
CURLcode dsv_curl_setopt_data_callback(CURL *h, CURLoption o, dsv_curl_data_callback v) {
    return curl.easy_setopt(h, o, v);
}
CURLcode dsv_curl_setopt_xferinfo_callback(CURL *h, dsv_curl_xferinfo_callback v) {
    return curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}
CURLcode dsv_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl.easy_getinfo(h, i, v); }
CURLcode dsv_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl.easy_getinfo(h, i, v); }
CURLcode dsv_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl.easy_getinfo(h, i, v); }
CURLMcode dsv_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl.multi_setopt(m, o, v); }
