#define _GNU_SOURCE  // dl_iterate_phdr, RTLD_NEXT
#include "CGit2Shim.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

int dsv_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

int dsv_git_set_fsync_gitdir(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

// Whether the loaded libssh2 does its cryptography with OpenSSL: libssh2 1.11 says so
// (libssh2_crypto_engine); before, its DT_NEEDED entries do (libcrypto.so).
static int needs_libcrypto(struct dl_phdr_info *info, size_t size, void *found) {
    (void)size;
    if (info->dlpi_name == NULL || strstr(info->dlpi_name, "/libssh2.so") == NULL) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
        const ElfW(Dyn) *dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        const char *strings = NULL;
        for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_STRTAB) strings = (const char *)d->d_un.d_ptr;  // relocated by ld.so
        }
        if (strings == NULL) return 1;
        for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_NEEDED && strncmp(strings + d->d_un.d_val, "libcrypto.so", 12) == 0) *(int *)found = 1;
        }
        return 1;
    }
    return 1;
}

static int ssh_uses_openssl(void) {
    int (*engine)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "libssh2_crypto_engine");
    if (engine != NULL) return engine() == 1;  // LIBSSH2_OPENSSL
    int found = 0;
    dl_iterate_phdr(needs_libcrypto, &found);
    return found;
}

// The CA bundle, parsed when a transfer needs it. Debian's libgit2 (on mbedTLS) parses the
// system's whole CA bundle in git_libgit2_init: 3.7 ms and half a megabyte in every process,
// though only pull, push and clone make TLS connections. libgit2 calls libmbedx509 through the
// dynamic linker, which finds this definition first (the executable comes first): while
// dsv_git_libgit2_init runs, it only notes the chain libgit2 keeps and the bundle's path, and
// dsv_git_load_certificates parses the bundle into that chain before the first transfer. Any
// other call goes straight to mbedTLS. Should the late parse fail, the chain stays short and
// TLS fails closed (libgit2 reports the certificate as invalid).
static int deferring;
static void *deferred_chain;
static char *deferred_path;
static pthread_once_t certificates_once = PTHREAD_ONCE_INIT;

static int parse_now(void *chain, const char *path) {
    int (*parse)(void *, const char *) = (int (*)(void *, const char *))dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
    return parse == NULL ? -1 : parse(chain, path);
}

int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    if (deferring && deferred_chain == NULL && (deferred_path = strdup(path)) != NULL) {
        deferred_chain = chain;
        return 0;
    }
    return parse_now(chain, path);
}

static void load_certificates(void) {
    if (deferred_chain != NULL) (void)parse_now(deferred_chain, deferred_path);
}

void dsv_git_load_certificates(void) { pthread_once(&certificates_once, load_certificates); }

void dsv_git_libgit2_init(void) {
    int (*ssh_init)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "libssh2_init");
    if (ssh_init != NULL && ssh_uses_openssl()) ssh_init(0x0001);  // LIBSSH2_INIT_NO_CRYPTO
    deferring = 1;
    git_libgit2_init();
    deferring = 0;
}
