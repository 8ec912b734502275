/*
 * crc32c.c - CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial
 * value and final xor 0xFFFFFFFF), as the crc32c codec and shard indexes use.
 *
 * On x86-64 CPUs with SSE4.2 the crc32 instruction does the work; elsewhere
 * slice-by-8 tables do.  Both the tables and the choice are made once
 * (pthread_once) and only read afterwards, so every function here is
 * thread-safe.
 */
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ZF_CRC_HW 1
#include <nmmintrin.h>
#endif

#include "le.h"
#include "codec_impl.h"

#define CRC32C_POLY 0x82F63B78u

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static uint32_t table[8][256]; /* table[k][b]: b followed by k zero bytes */
static int use_hw;

static void make_tables(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t r = b;
        for (int i = 0; i < 8; i++)
            r = (r >> 1) ^ (CRC32C_POLY & (0u - (r & 1)));
        table[0][b] = r;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            table[k][b] = (table[k - 1][b] >> 8) ^
                          table[0][table[k - 1][b] & 0xff];
#ifdef ZF_CRC_HW
    __builtin_cpu_init();
    use_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slice-by-8 on the raw (not inverted) register. */
static uint32_t update_portable(uint32_t crc, const uint8_t *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8) {
        uint32_t lo = crc ^ zf_le32(p), hi = zf_le32(p + 4);
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
              table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
              table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
              table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    }
    while (n--)
        crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#ifdef ZF_CRC_HW
/* The SSE4.2 crc32 instruction computes exactly this polynomial; compiled
 * for SSE4.2 alone, called only when the CPU has it. */
__attribute__((target("sse4.2"))) static uint32_t
update_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        c = _mm_crc32_u64(c, v);
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
#endif

uint32_t zf_crc32c_portable(const void *data, size_t len)
{
    pthread_once(&tables_once, make_tables);
    return ~update_portable(0xFFFFFFFFu, data, len);
}

uint32_t zf_crc32c(const void *data, size_t len)
{
    pthread_once(&tables_once, make_tables);
#ifdef ZF_CRC_HW
    if (use_hw)
        return ~update_hw(0xFFFFFFFFu, data, len);
#endif
    return ~update_portable(0xFFFFFFFFu, data, len);
}
