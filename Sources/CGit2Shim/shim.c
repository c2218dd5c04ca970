#include "CGit2Shim.h"

#include <libssh2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int dsv_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

int dsv_git_set_fsync_gitdir(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

// Whether libssh2 does its cryptography with OpenSSL: libssh2 1.11 says so
// (libssh2_crypto_engine); before, Debian builds it on OpenSSL alone (its static archive links
// with libcrypto, as this package links it).
static int ssh_uses_openssl(void) {
#if LIBSSH2_VERSION_NUM >= 0x010b00
    return libssh2_crypto_engine() == libssh2_openssl;
#else
    return 1;
#endif
}

// The CA bundle, parsed when a transfer needs it. Debian's libgit2 (on mbedTLS) parses the
// system's whole CA bundle in git_libgit2_init: 3.7 ms and half a megabyte in every process,
// though only pull, push and clone make TLS connections. libgit2's call to
// mbedtls_x509_crt_parse_file is linked to the wrapper below (`--wrap`, Package.swift): while
// dsv_git_libgit2_init runs, it only notes the chain libgit2 keeps and the bundle's path, and
// dsv_git_load_certificates parses the bundle into that chain before the first transfer. Any
// other call goes straight to mbedTLS. Should the late parse fail, the chain stays short and
// TLS fails closed (libgit2 reports the certificate as invalid).
static int deferring;
static void *deferred_chain;
static char *deferred_path;
static pthread_once_t certificates_once = PTHREAD_ONCE_INIT;

int __real_mbedtls_x509_crt_parse_file(void *chain, const char *path);

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    if (deferring && deferred_chain == NULL && (deferred_path = strdup(path)) != NULL) {
        deferred_chain = chain;
        return 0;
    }
    return __real_mbedtls_x509_crt_parse_file(chain, path);
}

static void load_certificates(void) {
    if (deferred_chain != NULL) (void)__real_mbedtls_x509_crt_parse_file(deferred_chain, deferred_path);
}

void dsv_git_load_certificates(void) { pthread_once(&certificates_once, load_certificates); }

void dsv_git_libgit2_init(void) {
    if (ssh_uses_openssl()) libssh2_init(LIBSSH2_INIT_NO_CRYPTO);
    deferring = 1;
    git_libgit2_init();
    deferring = 0;
}
