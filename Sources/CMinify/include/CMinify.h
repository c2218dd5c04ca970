#ifndef DSV_CMINIFY_H
#define DSV_CMINIFY_H

#include <stddef.h>
#include <stdint.h>

/// What the minifier carries from one byte to the next (each field 0 or 1).
typedef struct {
    /// The next byte is inside a string.
    int in_string;
    /// The last byte was outside strings and part of a number or a literal (not whitespace, a
    /// quote or one of `{}[],:`).
    int last_word;
    /// Whitespace is being dropped that followed such a byte.
    int pending;
    /// Whitespace was dropped between two such bytes (`1 2`, `tr ue`): joined, they would read
    /// as one token, so the text was not valid JSON and the output is not a minified copy of it.
    int merged;
} dsv_minify_state;

/// The ways of packing a block's kept bytes in vector registers.
typedef enum {
    /// AVX-512 VBMI2's VPCOMPRESSB (with BW and PCLMULQDQ for the masks).
    dsv_minify_avx512 = 0,
    /// AVX2's PSHUFB, eight bytes at a time from a table (with PCLMULQDQ for the masks).
    dsv_minify_avx2 = 1,
} dsv_minify_kind;

/// Whether this CPU has what `kind` needs.
int dsv_minify_kind_available(dsv_minify_kind kind);

/// Minifies `source` 64 bytes at a time into `target` while the blocks hold no backslash:
/// whitespace outside strings is dropped, everything else kept; `*state` says where the first
/// block starts, and is updated. Stops before the first block with a backslash and before the
/// last `count % 64` bytes; returns the bytes read (a multiple of 64) and sets `*written`. Each
/// block's kept bytes are stored in whole vectors at the write position, which never passes the
/// read position: `target` needs room for the bytes read. Only when
/// `dsv_minify_kind_available(kind)`.
size_t dsv_minify_blocks(dsv_minify_kind kind, const uint8_t *source, size_t count, uint8_t *target, size_t *written,
                         dsv_minify_state *state);

#endif
