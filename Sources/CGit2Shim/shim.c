#define _GNU_SOURCE  // dl_iterate_phdr
#include "CGit2Shim.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

int dsv_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
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

void dsv_git_libgit2_init(void) {
    int (*ssh_init)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "libssh2_init");
    if (ssh_init != NULL && ssh_uses_openssl()) ssh_init(0x0001);  // LIBSSH2_INIT_NO_CRYPTO
    git_libgit2_init();
}
