// Typed, non-variadic wrappers over libgit2's variadic git_libgit2_opts, which Swift cannot call.
#ifndef DSV_CGIT2_SHIM_H
#define DSV_CGIT2_SHIM_H
#include <git2.h>

int dsv_git_set_strict_hash_verification(int enabled);
#endif
