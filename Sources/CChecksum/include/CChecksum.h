#ifndef DSV_CCHECKSUM_H
#define DSV_CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU folds CRC-32 with carry-less multiplication (PCLMULQDQ and SSE4.1).
int dsv_crc32_folding_available(void);

/// zlib's `crc32(crc, buf, len)` for `len` a multiple of 16 and at least 64, by folding 64
/// bytes at a time with carry-less multiplication. Only when `dsv_crc32_folding_available()`.
uint32_t dsv_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len);

#endif
