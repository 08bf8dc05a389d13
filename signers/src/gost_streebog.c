/*
 * Streebog: GOST R 34.11-2012 (RFC 6986), the Kazakh GOST 34.11-2015 hash
 * (1.2.398.3.10.1.3.3 for 512 bits, 1.2.398.3.10.1.3.2 for 256 bits).
 *
 * Written from RFC 6986. Vectors of 512 bits are held as eight 64-bit words, word 0 the least
 * significant, and bytes map to words little-endian; the message and the result are byte
 * strings in that order (the order of openssl dgst and gost12sum, which is the reverse of the
 * hexadecimal numbers printed in RFC 6986 §10).
 */
#include "gost.h"

#include <pthread.h>
#include <string.h>

#include "internal.h"

/* pi, RFC 6986 §6.2: the substitution of the S transformation. */
static const uint8_t pi[256] = {
    252, 238, 221, 17,  207, 110, 49,  22,  251, 196, 250, 218, 35,  197, 4,   77,  233, 119, 240,
    219, 147, 46,  153, 186, 23,  54,  241, 187, 20,  205, 95,  193, 249, 24,  101, 90,  226, 92,
    239, 33,  129, 28,  60,  66,  139, 1,   142, 79,  5,   132, 2,   174, 227, 106, 143, 160, 6,
    11,  237, 152, 127, 212, 211, 31,  235, 52,  44,  81,  234, 200, 72,  171, 242, 42,  104, 162,
    253, 58,  206, 204, 181, 112, 14,  86,  8,   12,  118, 18,  191, 114, 19,  71,  156, 183, 93,
    135, 21,  161, 150, 41,  16,  123, 154, 199, 243, 145, 120, 111, 157, 158, 178, 177, 50,  117,
    25,  61,  255, 53,  138, 126, 109, 84,  198, 128, 195, 189, 13,  87,  223, 245, 36,  169, 62,
    168, 67,  201, 215, 121, 214, 246, 124, 34,  185, 3,   224, 15,  236, 222, 122, 148, 176, 188,
    220, 232, 40,  80,  78,  51,  10,  74,  167, 151, 96,  115, 30,  0,   98,  68,  26,  184, 56,
    130, 100, 159, 38,  65,  173, 69,  70,  146, 39,  94,  85,  47,  140, 163, 165, 125, 105, 213,
    149, 59,  7,   88,  179, 64,  134, 172, 29,  247, 48,  55,  107, 228, 136, 217, 231, 137, 225,
    27,  131, 73,  76,  63,  248, 254, 141, 83,  170, 144, 202, 216, 133, 97,  32,  113, 103, 164,
    45,  43,  9,   91,  203, 155, 37,  208, 190, 229, 108, 82,  89,  166, 116, 210, 230, 244, 180,
    192, 209, 102, 175, 194, 57,  75,  99,  182,
};

/* A, RFC 6986 §6.4: row i is multiplied by bit 63-i of the 64-bit input of l. */
static const uint64_t matrix_a[64] = {
    0x8e20faa72ba0b470, 0x47107ddd9b505a38, 0xad08b0e0c3282d1c, 0xd8045870ef14980e,
    0x6c022c38f90a4c07, 0x3601161cf205268d, 0x1b8e0b0e798c13c8, 0x83478b07b2468764,
    0xa011d380818e8f40, 0x5086e740ce47c920, 0x2843fd2067adea10, 0x14aff010bdd87508,
    0x0ad97808d06cb404, 0x05e23c0468365a02, 0x8c711e02341b2d01, 0x46b60f011a83988e,
    0x90dab52a387ae76f, 0x486dd4151c3dfdb9, 0x24b86a840e90f0d2, 0x125c354207487869,
    0x092e94218d243cba, 0x8a174a9ec8121e5d, 0x4585254f64090fa0, 0xaccc9ca9328a8950,
    0x9d4df05d5f661451, 0xc0a878a0a1330aa6, 0x60543c50de970553, 0x302a1e286fc58ca7,
    0x18150f14b9ec46dd, 0x0c84890ad27623e0, 0x0642ca05693b9f70, 0x0321658cba93c138,
    0x86275df09ce8aaa8, 0x439da0784e745554, 0xafc0503c273aa42a, 0xd960281e9d1d5215,
    0xe230140fc0802984, 0x71180a8960409a42, 0xb60c05ca30204d21, 0x5b068c651810a89e,
    0x456c34887a3805b9, 0xac361a443d1c8cd2, 0x561b0d22900e4669, 0x2b838811480723ba,
    0x9bcf4486248d9f5d, 0xc3e9224312c8c1a0, 0xeffa11af0964ee50, 0xf97d86d98a327728,
    0xe4fa2054a80b329c, 0x727d102a548b194e, 0x39b008152acb8227, 0x9258048415eb419d,
    0x492c024284fbaec0, 0xaa16012142f35760, 0x550b8e9e21f7a530, 0xa48b474f9ef5dc18,
    0x70a6a56e2440598e, 0x3853dc371220a247, 0x1ca76e95091051ad, 0x0edd37c48a08a6d8,
    0x07e095624504536c, 0x8d70c431ac02a736, 0xc83862965601dd1b, 0x641c314b2b8ee083,
};

/*
 * The iteration constants C1..C12, RFC 6986 §6.5, as eight little-endian 64-bit words each
 * (word 0 holds the least significant bits of the hexadecimal number printed in the RFC).
 */
static const uint64_t round_c[12][8] = {
    {0xdd806559f2a64507, 0x05767436cc744d23, 0xa2422a08a460d315, 0x4b7ce09192676901,
     0x714eb88d7585c4fc, 0x2f6a76432e45d016, 0xebcb2f81c0657c1f, 0xb1085bda1ecadae9},
    {0xe679047021b19bb7, 0x55dda21bd7cbcd56, 0x5cb561c2db0aa7ca, 0x9ab5176b12d69958,
     0x61d55e0f16b50131, 0xf3feea720a232b98, 0x4fe39d460f70b5d7, 0x6fa3b58aa99d2f1a},
    {0x991e96f50aba0ab2, 0xc2b6f443867adb31, 0xc1c93a376062db09, 0xd3e20fe490359eb1,
     0xf2ea7514b1297b7b, 0x06f15e5f529c1f8b, 0x0a39fc286a3d8435, 0xf574dcac2bce2fc7},
    {0x220cbebc84e3d12e, 0x3453eaa193e837f1, 0xd8b71333935203be, 0xa9d72c82ed03d675,
     0x9d721cad685e353f, 0x488e857e335c3c7d, 0xf948e1a05d71e4dd, 0xef1fdfb3e81566d2},
    {0x601758fd7c6cfe57, 0x7a56a27ea9ea63f5, 0xdfff00b723271a16, 0xbfcd1747253af5a3,
     0x359e35d7800fffbd, 0x7f151c1f1686104a, 0x9a3f410c6ca92363, 0x4bea6bacad474799},
    {0xfa68407a46647d6e, 0xbf71c57236904f35, 0x0af21f66c2bec6b6, 0xcffaa6b71c9ab7b4,
     0x187f9ab49af08ec6, 0x2d66c4f95142a46c, 0x6fa4c33b7a3039c0, 0xae4faeae1d3ad3d9},
    {0x8886564d3a14d493, 0x3517454ca23c4af3, 0x06476983284a0504, 0x0992abc52d822c37,
     0xd3473e33197a93c9, 0x399ec6c7e6bf87c9, 0x51ac86febf240954, 0xf4c70e16eeaac5ec},
    {0xa47f0dd4bf02e71e, 0x36acc2355951a8d9, 0x69d18d2bd1a5c42f, 0xf4892bcb929b0690,
     0x89b4443b4ddbc49a, 0x4eb7f8719c36de1e, 0x03e7aa020c6e4141, 0x9b1f5b424d93c9a7},
    {0x7261445183235adb, 0x0e38dc92cb1f2a60, 0x7b2b8a9aa6079c54, 0x800a440bdbb2ceb1,
     0x3cd955b7e00d0984, 0x3a7d3a1b25894224, 0x944c9ad8ec165fde, 0x378f5a541631229b},
    {0x74b4c7fb98459ced, 0x3698fad1153bb6c3, 0x7a1e6c303b7652f4, 0x9fe76702af69334b,
     0x1fffe18a1b336103, 0x8941e71cff8a78db, 0x382ae548b2e4f3f3, 0xabbedea680056f52},
    {0x6bcaa4cd81f32d1b, 0xdea2594ac06fd85d, 0xefbacd1d7d476e98, 0x8a1d71efea48b9ca,
     0x2001802114846679, 0xd8fa6bbbebab0761, 0x3002c6cd635afe94, 0x7bcd9ed0efc889fb},
    {0x48bc924af11bd720, 0xfaf417d5d9b21b99, 0xe71da4aa88e12852, 0x5d80ef9d1891cc86,
     0xf82012d430219f9b, 0xcda43c32bcdf1d77, 0xd21380b00449b17a, 0x378ee767f11631ba},
};

/*
 * lps_table[j][v] = l(pi[v] placed in byte j of a 64-bit word): S and L folded together, so
 * that LPS costs 64 table reads. Derived once from pi and A (immutable afterwards).
 */
static uint64_t lps_table[8][256];
static pthread_once_t lps_once = PTHREAD_ONCE_INIT;

static void lps_table_build(void)
{
    for (unsigned j = 0; j < 8; j++) {
        for (unsigned v = 0; v < 256; v++) {
            uint64_t acc = 0;
            uint8_t s = pi[v];
            for (unsigned b = 0; b < 8; b++) {
                if ((s >> b) & 1) {
                    acc ^= matrix_a[63 - (8 * j + b)];
                }
            }
            lps_table[j][v] = acc;
        }
    }
}

/*
 * LPS(in): S substitutes each byte, P transposes the 8x8 byte matrix (byte i of the result is
 * byte tau(i) = 8*(i%8) + i/8), L multiplies each 64-bit word by A. Byte j of result word i
 * comes from byte 8j + i of the input.
 */
static void lps(uint64_t out[8], const uint64_t in[8])
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t acc = 0;
        for (unsigned j = 0; j < 8; j++) {
            unsigned byte = (unsigned)(in[j] >> (8 * i)) & 0xff;
            acc ^= lps_table[j][byte];
        }
        out[i] = acc;
    }
}

static void xor512(uint64_t out[8], const uint64_t a[8], const uint64_t b[8])
{
    for (unsigned i = 0; i < 8; i++) {
        out[i] = a[i] ^ b[i];
    }
}

/* g_N(h, m) = E(LPS(h ^ N), m) ^ h ^ m, RFC 6986 §7. */
static void compress(uint64_t h[8], const uint64_t n[8], const uint64_t m[8])
{
    uint64_t k[8], t[8], tmp[8];
    xor512(tmp, h, n);
    lps(k, tmp);
    memcpy(t, m, sizeof(t));
    for (unsigned i = 0; i < 12; i++) {
        xor512(tmp, t, k);
        lps(t, tmp);
        xor512(tmp, k, round_c[i]);
        lps(k, tmp);
    }
    for (unsigned i = 0; i < 8; i++) {
        h[i] ^= t[i] ^ k[i] ^ m[i];
    }
}

/* a = a + b mod 2^512 */
static void add512(uint64_t a[8], const uint64_t b[8])
{
    uint64_t carry = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint64_t s = a[i] + b[i];
        uint64_t c1 = s < a[i];
        uint64_t s2 = s + carry;
        uint64_t c2 = s2 < s;
        a[i] = s2;
        carry = c1 | c2;
    }
}

static void load_block(uint64_t m[8], const unsigned char *p)
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t w = 0;
        for (unsigned b = 0; b < 8; b++) {
            w |= (uint64_t)p[8 * i + b] << (8 * b);
        }
        m[i] = w;
    }
}

static void process_block(qtb_streebog_ctx *c, const unsigned char *p, uint64_t bits)
{
    uint64_t m[8];
    uint64_t len[8] = {bits, 0, 0, 0, 0, 0, 0, 0};
    load_block(m, p);
    compress(c->h, c->n, m);
    add512(c->n, len);
    add512(c->sigma, m);
}

int qtb_streebog_init(qtb_streebog_ctx *c, size_t out_len)
{
    QTB_ASSERT_ARG(c != NULL);
    if (out_len != QTB_STREEBOG256_LEN && out_len != QTB_STREEBOG512_LEN) {
        return QTB_FAIL(QTB_EUSAGE, "Streebog produces 32 or 64 bytes, not %zu", out_len);
    }
    pthread_once(&lps_once, lps_table_build);
    memset(c, 0, sizeof(*c));
    c->out_len = out_len;
    /* IV: all zero bytes for 512 bits, all 0x01 bytes for 256 bits (§5.1). */
    if (out_len == QTB_STREEBOG256_LEN) {
        for (unsigned i = 0; i < 8; i++) {
            c->h[i] = 0x0101010101010101;
        }
    }
    return 0;
}

void qtb_streebog_update(qtb_streebog_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (c->buf_len > 0) {
        size_t take = 64 - c->buf_len;
        if (take > len) {
            take = len;
        }
        memcpy(c->buf + c->buf_len, p, take);
        c->buf_len += take;
        p += take;
        len -= take;
        if (c->buf_len < 64) {
            return;
        }
        process_block(c, c->buf, 512);
        c->buf_len = 0;
    }
    while (len >= 64) {
        process_block(c, p, 512);
        p += 64;
        len -= 64;
    }
    if (len > 0) {
        memcpy(c->buf, p, len);
        c->buf_len = len;
    }
}

void qtb_streebog_final(qtb_streebog_ctx *c, unsigned char *out)
{
    /* Stage 3 (§8.3): pad the rest (0..511 bits) with a single 1 bit, then zeros. */
    unsigned char block[64] = {0};
    memcpy(block, c->buf, c->buf_len);
    block[c->buf_len] = 0x01;
    process_block(c, block, (uint64_t)c->buf_len * 8);

    static const uint64_t zero[8] = {0};
    uint64_t n[8], sigma[8];
    memcpy(n, c->n, sizeof(n));
    memcpy(sigma, c->sigma, sizeof(sigma));
    compress(c->h, zero, n);
    compress(c->h, zero, sigma);

    /* The 256-bit hash is the most significant half: words 4..7. */
    unsigned first = c->out_len == QTB_STREEBOG256_LEN ? 4 : 0;
    for (unsigned i = first; i < 8; i++) {
        for (unsigned b = 0; b < 8; b++) {
            *out++ = (unsigned char)(c->h[i] >> (8 * b));
        }
    }
    qtb_wipe(c, sizeof(*c));
}

int qtb_streebog(unsigned char *out, size_t out_len, const void *data, size_t len)
{
    qtb_streebog_ctx c;
    QTB_TRY(qtb_streebog_init(&c, out_len));
    qtb_streebog_update(&c, data, len);
    qtb_streebog_final(&c, out);
    return 0;
}
