/*
 * Kazakh GOST cryptography without Kalkan and without the GOST engine.
 *
 *   GOST 34.311-95       = GOST R 34.11-94 with the *test* S-box (RFC 5831 vectors)
 *   GOST 34.11-2015      = Streebog-256/512 (GOST R 34.11-2012, RFC 6986)
 *   GOST 34.310-2004     = GOST R 34.10-2001 on CryptoPro-A
 *   GOST 34.10-2015/512  = GOST R 34.10-2012 on tc26-512-paramSetA
 *   GOST 34.10-2015/256  = GOST R 34.10-2012 on tc26-256-paramSetA (third-party mapping)
 *
 * Kazakh encodings: public key X||Y and signature r||s, every number little-endian; the
 * digest is read as a little-endian integer. The curve arithmetic runs on OpenSSL's public
 * EC_GROUP/EC_POINT/BN API. See shared/reference/gost-kz.md for the evidence behind each line.
 */
#ifndef QTB_GOST_H
#define QTB_GOST_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <qtb/common.h>

/* ---- hashes ------------------------------------------------------------------------------ */

#define QTB_GOST94_LEN 32
#define QTB_STREEBOG256_LEN 32
#define QTB_STREEBOG512_LEN 64
#define QTB_GOST_MAX_DIGEST 64

/* GOST R 34.11-94 with the test parameter set (Kazakh GOST 34.311-95). */
typedef struct qtb_gost94_ctx {
    unsigned char h[32];
    unsigned char sigma[32]; /* sum of the message blocks mod 2^256 */
    uint64_t bits[4];        /* message length in bits mod 2^256 */
    unsigned char buf[32];
    size_t buf_len;
} qtb_gost94_ctx;

void qtb_gost94_init(qtb_gost94_ctx *c);
void qtb_gost94_update(qtb_gost94_ctx *c, const void *data, size_t len);
/* Writes 32 bytes in the RFC 5831 byte order (gostsum -t prints them reversed). */
void qtb_gost94_final(qtb_gost94_ctx *c, unsigned char out[QTB_GOST94_LEN]);
void qtb_gost94(unsigned char out[QTB_GOST94_LEN], const void *data, size_t len);

/* Streebog, GOST R 34.11-2012 (Kazakh GOST 34.11-2015). */
typedef struct qtb_streebog_ctx {
    uint64_t h[8];
    uint64_t n[8];     /* processed length in bits mod 2^512 */
    uint64_t sigma[8]; /* sum of the message blocks mod 2^512 */
    unsigned char buf[64];
    size_t buf_len;
    size_t out_len; /* 32 or 64 */
} qtb_streebog_ctx;

/* out_len is QTB_STREEBOG256_LEN or QTB_STREEBOG512_LEN. */
int qtb_streebog_init(qtb_streebog_ctx *c, size_t out_len) QTB_MUST_USE;
void qtb_streebog_update(qtb_streebog_ctx *c, const void *data, size_t len);
/* Writes c->out_len bytes in the order of openssl dgst / gost12sum. */
void qtb_streebog_final(qtb_streebog_ctx *c, unsigned char *out);
int qtb_streebog(unsigned char *out, size_t out_len, const void *data, size_t len) QTB_MUST_USE;

typedef enum qtb_gost_hash {
    QTB_GOST_HASH_NONE = 0,
    QTB_GOST_HASH_GOST94 = 1,      /* GOST 34.311-95, test S-box */
    QTB_GOST_HASH_STREEBOG256 = 2, /* GOST 34.11-2015/256 */
    QTB_GOST_HASH_STREEBOG512 = 3, /* GOST 34.11-2015/512 */
} qtb_gost_hash;

/* A streaming context for any of the three (CMS content, detached files). */
typedef struct qtb_gost_md {
    qtb_gost_hash hash;
    union {
        qtb_gost94_ctx g94;
        qtb_streebog_ctx sb;
    } u;
} qtb_gost_md;

/* Digest length of `hash`, 0 for an unknown value. */
size_t qtb_gost_hash_len(qtb_gost_hash hash);
/* "GOST34.311-95", "GOST34.11-2015-256", "GOST34.11-2015-512". */
const char *qtb_gost_hash_name(qtb_gost_hash hash);
int qtb_gost_md_init(qtb_gost_md *md, qtb_gost_hash hash) QTB_MUST_USE;
void qtb_gost_md_update(qtb_gost_md *md, const void *data, size_t len);
/* Writes qtb_gost_hash_len(md->hash) bytes; out_cap must be at least that. */
int qtb_gost_md_final(qtb_gost_md *md, unsigned char *out, size_t out_cap,
                      size_t *out_len) QTB_MUST_USE;
int qtb_gost_digest(unsigned char *out, size_t out_cap, size_t *out_len, qtb_gost_hash hash,
                    const void *data, size_t len) QTB_MUST_USE;

/*
 * The hash named by a Kazakh digest OID (1.2.398.3.10.1.3.1, .3.2, .3.3; also the 34.311
 * parameter OID 1.2.398.3.10.1.3.1.1.0) or an XMLDSig DigestMethod URI. QTB_EUNSUPPORTED
 * (naming it) for anything else, including the Tumar "GOST34311GT" variant.
 */
int qtb_gost_hash_by_oid(qtb_gost_hash *out, const char *oid_or_uri) QTB_MUST_USE;
/* Hash `data` with the algorithm qtb_gost_hash_by_oid names; out_cap >= 64 always suffices. */
int qtb_gost_digest_by_oid(unsigned char *out, size_t out_cap, size_t *out_len,
                           const char *oid_or_uri, const void *data, size_t len) QTB_MUST_USE;

/* ---- algorithms: OIDs, URIs, curves -----------------------------------------------------------
 */

typedef enum qtb_gost_curve {
    QTB_GOST_CURVE_CRYPTOPRO_A = 1, /* 1.2.643.2.2.35.1, RFC 4357 §11.4 */
    QTB_GOST_CURVE_TC26_256_A = 2,  /* 1.2.643.7.1.2.1.1.1, RFC 7836 */
    QTB_GOST_CURVE_TC26_512_A = 3,  /* 1.2.643.7.1.2.1.2.1, RFC 7836 */
} qtb_gost_curve;

/* One Kazakh GOST signature algorithm: everything that names it, and its math. */
typedef struct qtb_gost_alg {
    const char *name;       /* "GOST34.10-2015-512" */
    const char *key_oid;    /* SubjectPublicKeyInfo algorithm */
    const char *param_oid;  /* publicKeyParamSet */
    const char *dparam_oid; /* digestParamSet as seen in the SPKI parameters */
    const char *sig_oid;    /* signatureAlgorithm (certificates, CRLs, OCSP, CMS) */
    const char *digest_oid; /* digestAlgorithm (CMS, TSTInfo messageImprint) */
    const char *sig_uri;    /* XMLDSig SignatureMethod */
    const char *digest_uri; /* XMLDSig DigestMethod */
    const char *curve_name; /* "CryptoPro-A", "tc26-512-paramSetA" */
    qtb_gost_hash hash;
    qtb_gost_curve curve;
    size_t field_len; /* bytes per coordinate and per r, s: 32 or 64 */
    bool confirmed;   /* false: mapping from third-party sources, no real sample seen */
} qtb_gost_alg;

/* The supported algorithms, for listing; *count receives their number. */
const qtb_gost_alg *qtb_gost_algs(size_t *count);
/*
 * Look an algorithm up by any of its names: key OID, parameter-set OID, signature OID, XMLDSig
 * SignatureMethod URI, or the descriptor name. NULL when unknown (digest OIDs are ambiguous and
 * not accepted here: use qtb_gost_hash_by_oid).
 */
const qtb_gost_alg *qtb_gost_alg_find(const char *oid_or_uri);
/* The algorithm whose signature OID or SignatureMethod URI is `id`; QTB_EUNSUPPORTED else. */
int qtb_gost_alg_by_sig(const qtb_gost_alg **out, const char *id) QTB_MUST_USE;

/* True for 1.3.6.1.4.1.6801.* (Gamma/Tumar legacy GOST, recognised, never supported). */
bool qtb_gost_oid_is_tumar(const char *oid);

/* ---- keys ----------------------------------------------------------------------------------- */

typedef struct qtb_gost_pubkey {
    const qtb_gost_alg *alg;
    unsigned char xy[128]; /* X || Y, each field_len bytes little-endian */
} qtb_gost_pubkey;

/* Secret: wipe with qtb_gost_privkey_wipe. */
typedef struct qtb_gost_privkey {
    const qtb_gost_alg *alg;
    unsigned char d[64]; /* field_len bytes little-endian (as NCA's PKCS#8 carries it) */
} qtb_gost_privkey;

void qtb_gost_privkey_wipe(qtb_gost_privkey *key);

/*
 * Decode a Kazakh GOST SubjectPublicKeyInfo: algorithm OID, parameter set (must be the
 * supported one), OCTET STRING in the BIT STRING with X||Y little-endian; checks that the
 * point is on the curve and is not the point at infinity.
 * Returns QTB_EUNSUPPORTED (naming the OID) for an unknown algorithm or parameter set and for
 * legacy Tumar keys, QTB_EPARSE for malformed encodings or a point off the curve.
 */
int qtb_gost_pubkey_from_spki(qtb_gost_pubkey *out, const X509_PUBKEY *spki) QTB_MUST_USE;
/* Same as above from the raw X||Y bytes (2*field_len); checks the point. */
int qtb_gost_pubkey_from_raw(qtb_gost_pubkey *out, const qtb_gost_alg *alg, const unsigned char *xy,
                             size_t len) QTB_MUST_USE;

/* A private key from its little-endian bytes (field_len, or fewer); checks 0 < d < q. */
int qtb_gost_privkey_from_raw(qtb_gost_privkey *out, const qtb_gost_alg *alg,
                              const unsigned char *d, size_t len) QTB_MUST_USE;
/* A fresh random key (tests and round trips). */
int qtb_gost_privkey_generate(qtb_gost_privkey *out, const qtb_gost_alg *alg) QTB_MUST_USE;
/*
 * The GOST private key of an opened PKCS#12 (qtb_p12_gost_key): the PKCS#8 algorithm OID and
 * parameter set must be a supported pair (QTB_EUNSUPPORTED naming them otherwise, Tumar keys
 * included); QTB_ENOTFOUND when the store holds no GOST key. Wipe `out` when done.
 */
struct qtb_p12;
int qtb_gost_privkey_from_p12(qtb_gost_privkey *out, const struct qtb_p12 *p12) QTB_MUST_USE;
/* Q = d·P. */
int qtb_gost_pubkey_from_priv(qtb_gost_pubkey *out, const qtb_gost_privkey *key) QTB_MUST_USE;

/* ---- signatures ------------------------------------------------------------------------------ */

/*
 * Verify a Kazakh-encoded signature (r||s, little-endian, 2*field_len bytes) over a digest
 * that the caller computed with key->alg->hash. *ok is 1 for a valid signature, 0 for an invalid
 * one (wrong length, r or s out of range, mismatch). Returns 0 when a verdict was reached.
 */
int qtb_gost_verify_digest(int *ok, const qtb_gost_pubkey *key, const unsigned char *digest,
                           size_t digest_len, const unsigned char *sig,
                           size_t sig_len) QTB_MUST_USE;
/* Hash `data` with key->alg->hash, then qtb_gost_verify_digest. */
int qtb_gost_verify(int *ok, const qtb_gost_pubkey *key, const unsigned char *data, size_t len,
                    const unsigned char *sig, size_t sig_len) QTB_MUST_USE;

/*
 * For CMS and XML callers: verify `sig` over `data` with the key of `spki`, the algorithm named
 * by `sig_id` (signature OID, key OID as RFC 4490 allows, or XMLDSig SignatureMethod URI). The
 * key and the algorithm must be the same pair (QTB_EPARSE otherwise); QTB_EUNSUPPORTED for
 * unknown or legacy Tumar keys and algorithms. *ok as for qtb_gost_verify_digest.
 */
int qtb_gost_verify_spki(int *ok, const X509_PUBKEY *spki, const char *sig_id,
                         const unsigned char *data, size_t len, const unsigned char *sig,
                         size_t sig_len) QTB_MUST_USE;

/*
 * Sign a digest (random k, GOST R 34.10 §6.1) and write r||s little-endian: 2*field_len bytes
 * into `sig` (sig_cap at least that). *sig_len receives the length.
 */
int qtb_gost_sign_digest(unsigned char *sig, size_t sig_cap, size_t *sig_len,
                         const qtb_gost_privkey *key, const unsigned char *digest,
                         size_t digest_len) QTB_MUST_USE;
/* Hash `data` with key->alg->hash, then qtb_gost_sign_digest. */
int qtb_gost_sign(unsigned char *sig, size_t sig_cap, size_t *sig_len, const qtb_gost_privkey *key,
                  const unsigned char *data, size_t len) QTB_MUST_USE;

/* The qtb_sig_verify backend is qtb_sigalg_gost, declared in sigalg.h. */

#endif
