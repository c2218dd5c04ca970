// The minifier's blocks without escapes, 64 bytes at a time in vector registers, as simdjson
// finds strings: quotes, backslashes and whitespace compared into bit masks, the bytes inside
// strings as the running XOR of the quote bits (a carry-less multiplication by all ones), and
// the bytes to keep packed down and stored whole. The Swift loop stores a block's bytes one at a
// time: 13% of the CPU of a next round of a `json.dump`-spaced export at train2017's size on a
// CPU with AVX-512 (whose minifying took 224 ms where it now takes 146), and 23% on a Zen 3
// with AVX2 alone (where it now takes two fifths of its time).
//
// Two ways of packing, for the two kinds of x86 CPU these exports meet:
// - AVX-512 VBMI2: VPCOMPRESSB in a register. (Its memory form is microcoded and slow on AMD's
//   Zen 4; the register form is not.)
// - AVX2: eight bytes at a time by PSHUFB, with a table of 256 shuffles (the kept bytes' places
//   for each 8-bit mask), as simdjson's Haswell minifier does. Not PEXT: microcoded, and slow,
//   on AMD before Zen 3.
//
// Whitespace dropped between two bytes of numbers or literals is found from the masks too: the
// dropped runs that start right after such a byte are carried through by an addition, which
// lands on the byte after each run (as simdjson follows runs of backslashes).

#include "CMinify.h"

#if defined(__x86_64__)
#include <immintrin.h>

/// What one block leaves to the next: the string it ends in, a number or literal it ends on,
/// whitespace being dropped after one; and whether any two were joined.
typedef struct {
    uint64_t inside_carry, last_word, pending, merged;
} carried;

static carried start(const dsv_minify_state *state) {
    carried c = { state->in_string ? ~(uint64_t)0 : 0, (uint64_t)state->last_word, (uint64_t)state->pending, 0 };
    return c;
}

static void finish(const carried *c, dsv_minify_state *state) {
    state->in_string = c->inside_carry != 0;
    state->last_word = (int)c->last_word;
    state->pending = (int)c->pending;
    state->merged |= c->merged != 0;
}

/// The bytes of a block to keep, from its quote, whitespace and structural masks; updates what
/// is carried. One copy for both kernels: their masks come from different instructions, their
/// reading of them is the same.
__attribute__((target("pclmul,bmi"), always_inline))
static inline uint64_t keep_mask(uint64_t quotes, uint64_t blank, uint64_t structural, carried *c) {
    const __m128i ones = _mm_set1_epi8((char)0xFF);
    uint64_t inside = (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)quotes), ones, 0))
        ^ c->inside_carry;
    c->inside_carry = (uint64_t)((int64_t)inside >> 63);
    uint64_t keep = ~blank | inside;
    uint64_t dropped = ~keep;
    uint64_t word = ~(blank | inside | quotes | structural);
    unsigned long long sum;
    unsigned char carry = _addcarry_u64(0, dropped, dropped & ((word << 1) | c->last_word), &sum);
    carry |= _addcarry_u64(0, sum, c->pending, &sum);
    c->merged |= sum & ~dropped & word;
    c->pending = carry;
    c->last_word = word >> 63;
    return keep;
}

static int has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("pclmul");
}

static int has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("popcnt")
        && __builtin_cpu_supports("bmi");
}

int dsv_minify_kind_available(dsv_minify_kind kind) {
    switch (kind) {
    case dsv_minify_avx512: return has_avx512();
    case dsv_minify_avx2: return has_avx2();
    }
    return 0;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi2,pclmul,popcnt,bmi")))
static size_t minify_avx512(const uint8_t *source, size_t count, uint8_t *target, size_t *written, dsv_minify_state *state) {
    const __m512i quote = _mm512_set1_epi8('"'), backslash = _mm512_set1_epi8('\\');
    const __m512i space = _mm512_set1_epi8(' '), tab = _mm512_set1_epi8('\t');
    const __m512i line_feed = _mm512_set1_epi8('\n'), carriage_return = _mm512_set1_epi8('\r');
    const __m512i open_brace = _mm512_set1_epi8('{'), close_brace = _mm512_set1_epi8('}');
    const __m512i open_bracket = _mm512_set1_epi8('['), close_bracket = _mm512_set1_epi8(']');
    const __m512i comma = _mm512_set1_epi8(','), colon = _mm512_set1_epi8(':');
    carried c = start(state);
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
        uint64_t keep = keep_mask(quotes, blank, structural, &c);
        _mm512_storeu_si512((void *)(target + out), _mm512_maskz_compress_epi8(keep, v));
        out += (size_t)__builtin_popcountll(keep);
        read += 64;
    }
    finish(&c, state);
    *written = out;
    return read;
}

/// For each 8-bit mask, the places of its set bits, packed from the low byte up; the rest 0x80
/// (PSHUFB writes a zero there, and the next store overwrites it).
static uint64_t shuffles[256];

__attribute__((constructor))
static void fill_shuffles(void) {
    for (int mask = 0; mask < 256; mask++) {
        uint64_t places = 0x8080808080808080ull;
        int kept = 0;
        for (int bit = 0; bit < 8; bit++) {
            if (!(mask >> bit & 1)) continue;
            places &= ~((uint64_t)0xFF << (8 * kept));
            places |= (uint64_t)bit << (8 * kept);
            kept++;
        }
        shuffles[mask] = places;
    }
}

__attribute__((target("avx2,pclmul,popcnt,bmi")))
static inline uint64_t mask_of(__m256i low, __m256i high) {
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(low) | (uint64_t)(uint32_t)_mm256_movemask_epi8(high) << 32;
}

/// Stores the kept bytes of 16 (`keep`'s low 16 bits) at `target`; returns how many.
__attribute__((target("avx2,pclmul,popcnt,bmi"), always_inline))
static inline size_t pack16(__m128i bytes, uint64_t keep, uint8_t *target) {
    unsigned low = keep & 0xFF, high = keep >> 8 & 0xFF;
    // The high half's places are 8 to 15 of the register.
    __m128i shuffle = _mm_set_epi64x((long long)(shuffles[high] | 0x0808080808080808ull), (long long)shuffles[low]);
    __m128i packed = _mm_shuffle_epi8(bytes, shuffle);
    size_t low_count = (size_t)__builtin_popcount(low);
    _mm_storel_epi64((__m128i *)target, packed);
    _mm_storel_epi64((__m128i *)(target + low_count), _mm_unpackhi_epi64(packed, packed));
    return low_count + (size_t)__builtin_popcount(high);
}

__attribute__((target("avx2,pclmul,popcnt,bmi")))
static size_t minify_avx2(const uint8_t *source, size_t count, uint8_t *target, size_t *written, dsv_minify_state *state) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    // Classes by the low four bits, as simdjson's Haswell kernel finds them: a byte is
    // whitespace when the table's entry at its low bits is itself (entries that cannot be are
    // put where no whitespace is), and one of `{}[],:` when the other table's entry is the byte
    // with bit 5 set (`[` and `]` become `{` and `}`) and the byte is above 0x20 (form feed and
    // 0x1A would pass for `,` and `:`). PSHUFB gives 0 for bytes from 0x80, which match neither.
    const __m256i blanks = _mm256_setr_epi8(' ', 100, 100, 100, 17, 100, 113, 2, 100, '\t', '\n', 112, 100, '\r', 100, 100,
                                            ' ', 100, 100, 100, 17, 100, 113, 2, 100, '\t', '\n', 112, 100, '\r', 100, 100);
    const __m256i operators = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0,
                                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0);
    const __m256i bit5 = _mm256_set1_epi8(0x20);
    carried c = start(state);
    size_t read = 0, out = 0;
    while (read + 64 <= count) {
        __m256i low = _mm256_loadu_si256((const __m256i *)(source + read));
        __m256i high = _mm256_loadu_si256((const __m256i *)(source + read + 32));
        if (!_mm256_testz_si256(_mm256_or_si256(_mm256_cmpeq_epi8(low, backslash), _mm256_cmpeq_epi8(high, backslash)),
                                _mm256_set1_epi8((char)0xFF))) break;
#define BLANK(v) _mm256_cmpeq_epi8(_mm256_shuffle_epi8(blanks, v), v)
#define STRUCTURAL(v) _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(operators, v), _mm256_or_si256(v, bit5)), \
                                       _mm256_cmpgt_epi8(v, bit5))
        uint64_t quotes = mask_of(_mm256_cmpeq_epi8(low, quote), _mm256_cmpeq_epi8(high, quote));
        uint64_t blank = mask_of(BLANK(low), BLANK(high));
        uint64_t structural = mask_of(STRUCTURAL(low), STRUCTURAL(high));
#undef BLANK
#undef STRUCTURAL
        uint64_t keep = keep_mask(quotes, blank, structural, &c);
        if (keep == ~(uint64_t)0) {
            _mm256_storeu_si256((__m256i *)(target + out), low);
            _mm256_storeu_si256((__m256i *)(target + out + 32), high);
            out += 64;
        } else {
            // In place, the write position never passes the read position, and the block is in
            // registers: each store lands on bytes already read.
            out += pack16(_mm256_castsi256_si128(low), keep, target + out);
            out += pack16(_mm256_extracti128_si256(low, 1), keep >> 16, target + out);
            out += pack16(_mm256_castsi256_si128(high), keep >> 32, target + out);
            out += pack16(_mm256_extracti128_si256(high, 1), keep >> 48, target + out);
        }
        read += 64;
    }
    finish(&c, state);
    *written = out;
    return read;
}

size_t dsv_minify_blocks(dsv_minify_kind kind, const uint8_t *source, size_t count, uint8_t *target, size_t *written,
                         dsv_minify_state *state) {
    switch (kind) {
    case dsv_minify_avx512: return minify_avx512(source, count, target, written, state);
    case dsv_minify_avx2: return minify_avx2(source, count, target, written, state);
    }
    *written = 0;
    return 0;
}

#else

int dsv_minify_kind_available(dsv_minify_kind kind) { (void)kind; return 0; }

size_t dsv_minify_blocks(dsv_minify_kind kind, const uint8_t *source, size_t count, uint8_t *target, size_t *written,
                         dsv_minify_state *state) {
    (void)kind; (void)source; (void)count; (void)target; (void)state;
    *written = 0;
    return 0;
}

#endif
