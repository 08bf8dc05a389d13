/*
 * GOST R 34.11-94 with the test parameter set: the Kazakh GOST 34.311-95 hash
 * (1.2.398.3.10.1.3.1, hash parameters 1.2.398.3.10.1.3.1.1.0).
 *
 * Written from the standard (GOST R 34.11-94 §§5-7, restated in RFC 5831 §§5-7) and its
 * example S-box. Every multi-byte quantity is little-endian: byte 0 of a block is its least
 * significant byte, which gives the RFC 5831 output byte order. This is NOT the CryptoPro
 * S-box that gost-engine's md_gost94 hard-wires: NCA's 2004 signatures only verify with this one.
 */
#include "gost.h"

#include <pthread.h>
#include <string.h>

#include "internal.h"

/*
 * The test parameter set (id-GostR3411-94-TestParamSet, 1.2.643.2.2.30.0): the GOST 28147-89
 * substitution nodes K1..K8 from the example in GOST R 34.11-94 Appendix A. K1 substitutes
 * the least significant 4 bits of the 32-bit word.
 */
static const uint8_t test_sbox[8][16] = {
    {4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3},
    {14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9},
    {5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11},
    {7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3},
    {6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2},
    {4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14},
    {13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12},
    {1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12},
};

/* C3 of the key generation (§6.1), as little-endian bytes; C2 = C4 = 0. */
static const unsigned char c3[32] = {
    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
    0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff,
};

static uint32_t load32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/*
 * GOST 28147-89 round function: substitute eight nibbles, rotate left by 11. Folded into four
 * byte-indexed tables (two S-box nodes each, rotation included), derived once from test_sbox.
 */
static uint32_t round_table[4][256];
static pthread_once_t round_once = PTHREAD_ONCE_INIT;

static void round_table_build(void)
{
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned b = 0; b < 256; b++) {
            uint32_t y =
                (uint32_t)test_sbox[2 * k][b & 0xf] | (uint32_t)test_sbox[2 * k + 1][b >> 4] << 4;
            y <<= 8 * k;
            round_table[k][b] = (y << 11) | (y >> 21);
        }
    }
}

static uint32_t round_f(uint32_t x)
{
    return round_table[0][x & 0xff] ^ round_table[1][(x >> 8) & 0xff] ^
           round_table[2][(x >> 16) & 0xff] ^ round_table[3][x >> 24];
}

/* GOST 28147-89 simple-substitution (ECB) encryption of one 64-bit block. */
static void gost89_encrypt(unsigned char out[8], const unsigned char in[8],
                           const unsigned char key[32])
{
    uint32_t k[8];
    for (unsigned i = 0; i < 8; i++) {
        k[i] = load32(key + 4 * i);
    }
    uint32_t n1 = load32(in);
    uint32_t n2 = load32(in + 4);
    /* 24 rounds with K0..K7 three times, then 8 rounds with K7..K0; two rounds per step. */
    for (unsigned i = 0; i < 24; i += 2) {
        n2 ^= round_f(n1 + k[i % 8]);
        n1 ^= round_f(n2 + k[(i + 1) % 8]);
    }
    for (unsigned i = 8; i > 0; i -= 2) {
        n2 ^= round_f(n1 + k[i - 1]);
        n1 ^= round_f(n2 + k[i - 2]);
    }
    /* The last round does not swap the halves. */
    store32(out, n2);
    store32(out + 4, n1);
    qtb_wipe(k, sizeof(k));
}

/* A(y4||y3||y2||y1) = (y1 ^ y2)||y4||y3||y2, with 64-bit y_i and y1 in bytes 0..7. */
static void transform_a(unsigned char y[32])
{
    unsigned char y1[8];
    memcpy(y1, y, 8);
    memmove(y, y + 8, 24);
    for (unsigned i = 0; i < 8; i++) {
        y[24 + i] = y1[i] ^ y[i];
    }
}

/* P: byte i + 4k of the result is byte 8i + k of the input (phi of §6.1, 0-based). */
static void transform_p(unsigned char out[32], const unsigned char in[32])
{
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned k = 0; k < 8; k++) {
            out[i + 4 * k] = in[8 * i + k];
        }
    }
}

/*
 * psi^n, where psi(y16||...||y1) = (y1^y2^y3^y4^y13^y16)||y16||...||y2 with 16-bit y_i and y1 in
 * bytes 0..1: each application appends one word and drops the lowest, so n applications are a
 * run of n new words over the 16 old ones.
 */
static void transform_psi_n(unsigned char y[32], unsigned n)
{
    uint16_t w[16 + 61];
    for (unsigned i = 0; i < 16; i++) {
        w[i] = (uint16_t)(y[2 * i] | y[2 * i + 1] << 8);
    }
    for (unsigned i = 0; i < n; i++) {
        w[16 + i] = w[i] ^ w[i + 1] ^ w[i + 2] ^ w[i + 3] ^ w[i + 12] ^ w[i + 15];
    }
    for (unsigned i = 0; i < 16; i++) {
        y[2 * i] = (unsigned char)w[n + i];
        y[2 * i + 1] = (unsigned char)(w[n + i] >> 8);
    }
}

/* The step function f(H, M) of §7: key generation, encryption, shuffle. */
static void compress(unsigned char h[32], const unsigned char m[32])
{
    unsigned char keys[4][32];
    unsigned char u[32], v[32], w[32];
    memcpy(u, h, 32);
    memcpy(v, m, 32);
    for (unsigned i = 0; i < 32; i++) {
        w[i] = u[i] ^ v[i];
    }
    transform_p(keys[0], w);
    for (unsigned j = 1; j < 4; j++) {
        transform_a(u);
        if (j == 2) {
            for (unsigned i = 0; i < 32; i++) {
                u[i] ^= c3[i];
            }
        }
        transform_a(v);
        transform_a(v);
        for (unsigned i = 0; i < 32; i++) {
            w[i] = u[i] ^ v[i];
        }
        transform_p(keys[j], w);
    }

    unsigned char s[32];
    for (unsigned i = 0; i < 4; i++) {
        gost89_encrypt(s + 8 * i, h + 8 * i, keys[i]);
    }

    /* H' = psi^61(H ^ psi(M ^ psi^12(S))) */
    transform_psi_n(s, 12);
    for (unsigned i = 0; i < 32; i++) {
        s[i] ^= m[i];
    }
    transform_psi_n(s, 1);
    for (unsigned i = 0; i < 32; i++) {
        s[i] ^= h[i];
    }
    transform_psi_n(s, 61);
    memcpy(h, s, 32);
    qtb_wipe(keys, sizeof(keys));
}

/* sigma = sigma + m mod 2^256, both little-endian. */
static void add256(unsigned char sigma[32], const unsigned char m[32])
{
    unsigned carry = 0;
    for (unsigned i = 0; i < 32; i++) {
        unsigned t = (unsigned)sigma[i] + m[i] + carry;
        sigma[i] = (unsigned char)t;
        carry = t >> 8;
    }
}

static void add_bits(qtb_gost94_ctx *c, uint64_t bits)
{
    for (unsigned i = 0; i < 4 && bits != 0; i++) {
        uint64_t before = c->bits[i];
        c->bits[i] += bits;
        bits = c->bits[i] < before ? 1 : 0;
    }
}

static void process_block(qtb_gost94_ctx *c, const unsigned char block[32])
{
    compress(c->h, block);
    add256(c->sigma, block);
    add_bits(c, 256);
}

void qtb_gost94_init(qtb_gost94_ctx *c)
{
    pthread_once(&round_once, round_table_build);
    /* The starting hash value H1 is zero, as in the RFC 5831 test vectors. */
    memset(c, 0, sizeof(*c));
}

void qtb_gost94_update(qtb_gost94_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (c->buf_len > 0) {
        size_t take = 32 - c->buf_len;
        if (take > len) {
            take = len;
        }
        memcpy(c->buf + c->buf_len, p, take);
        c->buf_len += take;
        p += take;
        len -= take;
        if (c->buf_len < 32) {
            return;
        }
        process_block(c, c->buf);
        c->buf_len = 0;
    }
    while (len >= 32) {
        process_block(c, p);
        p += 32;
        len -= 32;
    }
    if (len > 0) {
        memcpy(c->buf, p, len);
        c->buf_len = len;
    }
}

void qtb_gost94_final(qtb_gost94_ctx *c, unsigned char out[QTB_GOST94_LEN])
{
    /*
     * Stage 3 (§7): a non-empty last part is zero-padded at its most significant end and
     * hashed. The empty message hashes no block at all: only L and Sigma (RFC 5831 §7.3.1,
     * vector ce85b99c...). gost-engine (gostsum -t) hashes an extra zero block there.
     */
    if (c->buf_len > 0) {
        unsigned char block[32] = {0};
        memcpy(block, c->buf, c->buf_len);
        compress(c->h, block);
        add256(c->sigma, block);
        add_bits(c, (uint64_t)c->buf_len * 8);
    }
    unsigned char len_block[32];
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned b = 0; b < 8; b++) {
            len_block[8 * i + b] = (unsigned char)(c->bits[i] >> (8 * b));
        }
    }
    compress(c->h, len_block);
    compress(c->h, c->sigma);
    memcpy(out, c->h, QTB_GOST94_LEN);
    qtb_wipe(c, sizeof(*c));
}

void qtb_gost94(unsigned char out[QTB_GOST94_LEN], const void *data, size_t len)
{
    qtb_gost94_ctx c;
    qtb_gost94_init(&c);
    qtb_gost94_update(&c, data, len);
    qtb_gost94_final(&c, out);
}
