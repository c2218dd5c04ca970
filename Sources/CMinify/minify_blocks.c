// The minifier's blocks without escapes, 64 bytes at a time with AVX-512, as simdjson finds
// strings: quotes, backslashes and whitespace compared into bit masks, the bytes inside strings
// as the running XOR of the quote bits (a carry-less multiplication by all ones), and the bytes
// to keep packed down with VPCOMPRESSB in a register and stored whole. (The memory form of
// VPCOMPRESSB is microcoded and slow on AMD's Zen 4; the register form is not.) The Swift loop
// stores a block's bytes one at a time: 13% of the CPU of a next round of a `json.dump`-spaced
// export at train2017's size, whose minifying took 224 ms where it now takes 146.
//
// Whitespace dropped between two bytes of numbers or literals is found from the masks too: the
// dropped runs that start right after such a byte are carried through by an addition, which
// lands on the byte after each run (as simdjson follows runs of backslashes).

#include "CMinify.h"

#if defined(__x86_64__)
#include <immintrin.h>

int dsv_minify_vectorized_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("pclmul");
}

__attribute__((target("avx512f,avx512bw,avx512vbmi2,pclmul,popcnt")))
size_t dsv_minify_blocks(const uint8_t *source, size_t count, uint8_t *target, size_t *written, dsv_minify_state *state) {
    const __m512i quote = _mm512_set1_epi8('"'), backslash = _mm512_set1_epi8('\\');
    const __m512i space = _mm512_set1_epi8(' '), tab = _mm512_set1_epi8('\t');
    const __m512i line_feed = _mm512_set1_epi8('\n'), carriage_return = _mm512_set1_epi8('\r');
    const __m512i open_brace = _mm512_set1_epi8('{'), close_brace = _mm512_set1_epi8('}');
    const __m512i open_bracket = _mm512_set1_epi8('['), close_bracket = _mm512_set1_epi8(']');
    const __m512i comma = _mm512_set1_epi8(','), colon = _mm512_set1_epi8(':');
    const __m128i ones = _mm_set1_epi8((char)0xFF);
    uint64_t inside_carry = state->in_string ? ~(uint64_t)0 : 0;
    uint64_t last_word = (uint64_t)state->last_word, pending = (uint64_t)state->pending, merged = 0;
    size_t read = 0, out = 0;
    while (read + 64 <= count) {
        __m512i v = _mm512_loadu_si512((const void *)(source + read));
        if (_mm512_cmpeq_epi8_mask(v, backslash)) break;
        uint64_t quotes = _mm512_cmpeq_epi8_mask(v, quote);
        uint64_t blank = _mm512_cmpeq_epi8_mask(v, space) | _mm512_cmpeq_epi8_mask(v, tab)
            | _mm512_cmpeq_epi8_mask(v, line_feed) | _mm512_cmpeq_epi8_mask(v, carriage_return);
        uint64_t structural = _mm512_cmpeq_epi8_mask(v, open_brace) | _mm512_cmpeq_epi8_mask(v, close_brace)
            | _mm512_cmpeq_epi8_mask(v, open_bracket) | _mm512_cmpeq_epi8_mask(v, close_bracket)
            | _mm512_cmpeq_epi8_mask(v, comma) | _mm512_cmpeq_epi8_mask(v, colon);
        uint64_t inside = (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)quotes), ones, 0))
            ^ inside_carry;
        inside_carry = (uint64_t)((int64_t)inside >> 63);
        uint64_t keep = ~blank | inside;
        uint64_t dropped = ~keep;
        uint64_t word = ~(blank | inside | quotes | structural);
        unsigned long long sum;
        unsigned char carry = _addcarry_u64(0, dropped, dropped & ((word << 1) | last_word), &sum);
        carry |= _addcarry_u64(0, sum, pending, &sum);
        merged |= sum & ~dropped & word;
        pending = carry;
        last_word = word >> 63;
        _mm512_storeu_si512((void *)(target + out), _mm512_maskz_compress_epi8(keep, v));
        out += (size_t)__builtin_popcountll(keep);
        read += 64;
    }
    state->in_string = inside_carry != 0;
    state->last_word = (int)last_word;
    state->pending = (int)pending;
    state->merged |= merged != 0;
    *written = out;
    return read;
}

#else

int dsv_minify_vectorized_available(void) { return 0; }

size_t dsv_minify_blocks(const uint8_t *source, size_t count, uint8_t *target, size_t *written, dsv_minify_state *state) {
    (void)source; (void)count; (void)target; (void)state;
    *written = 0;
    return 0;
}

#endif
