// Typed, non-variadic wrappers over libgit2's variadic git_libgit2_opts, which Swift cannot call,
// and libgit2's initialisation.
#ifndef DSV_CGIT2_SHIM_H
#define DSV_CGIT2_SHIM_H
#include <git2.h>

int dsv_git_set_strict_hash_verification(int enabled);
// libgit2 fsyncs the objects, references and directories it writes (GIT_OPT_ENABLE_FSYNC_GITDIR).
int dsv_git_set_fsync_gitdir(int enabled);

// git_libgit2_init, with libssh2 (libgit2's ssh:// transport) initialised first without its
// crypto set-up when it uses OpenSSL: on OpenSSL 3 that set-up only loads and registers
// OpenSSL's built-in engines, which OpenSSL does itself when one is asked for, and it paged
// 1.7 MB of libcrypto into every process. libssh2 then only counts libgit2's own call.
// (Other libssh2 back ends, which need their set-up, keep it.)
// (Debian's libgit2 would also parse the system's CA bundle here; that waits for the first
// transfer: see dsv_git_load_certificates.)
void dsv_git_libgit2_init(void);

// Parses the CA bundle git_libgit2_init left for later, once per process; before any transfer.
void dsv_git_load_certificates(void);
#endif
