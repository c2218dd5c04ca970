#ifndef DSV_CMINIFY_H
#define DSV_CMINIFY_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU compresses bytes by mask in a vector register (AVX-512 VBMI2, with BW and
/// PCLMULQDQ for the masks).
int dsv_minify_vectorized_available(void);

/// Minifies `source` 64 bytes at a time into `target` while the blocks hold no backslash:
/// whitespace outside strings is dropped, everything else kept. `*in_string` says whether the
/// first block starts inside a string, and is updated. Stops before the first block with a
/// backslash and before the last `count % 64` bytes; returns the bytes read (a multiple of 64)
/// and sets `*written`. Each block's 64 bytes are stored whole at the write position, which
/// never passes the read position: `target` needs room for the bytes read. Only when
/// `dsv_minify_vectorized_available()`.
size_t dsv_minify_blocks(const uint8_t *source, size_t count, uint8_t *target, size_t *written, int *in_string);

#endif
