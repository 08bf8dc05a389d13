/*
 * GOST R 34.10-2001/2012 signatures (Kazakh GOST 34.310-2004 and 34.10-2015) on OpenSSL's
 * generic prime-curve arithmetic: EC_GROUP_new_curve_GFp, EC_POINT and BN only, no ENGINE and no
 * GOST provider. Kazakh encodings throughout: X||Y and r||s, each number little-endian; the
 * digest is read as a little-endian integer (shared/reference/gost-kz.md §2, route (B)).
 */
#include "gost.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "internal.h"

typedef struct curve_def {
    qtb_gost_curve id;
    const char *p, *a, *b, *q, *x, *y;
    unsigned cofactor;
} curve_def;

static const curve_def curves[] = {
    {
        /* id-GostR3410-2001-CryptoPro-A-ParamSet, RFC 4357 §11.4 (= tc26-256-paramSetB). */
        QTB_GOST_CURVE_CRYPTOPRO_A,
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
        "A6",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
        "1",
        "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
        1,
    },
    {
        /*
         * id-tc26-gost-3410-12-256-paramSetA, RFC 7836 Appendix A.2, in its Weierstrass form
         * (cofactor 4). Kazakh mapping from third-party sources, unconfirmed.
         */
        QTB_GOST_CURVE_TC26_256_A,
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
        "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
        "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
        "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
        "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
        4,
    },
    {
        /* id-tc26-gost-3410-12-512-paramSetA, RFC 7836 Appendix A.1. */
        QTB_GOST_CURVE_TC26_512_A,
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
        "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"
        "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
        "3",
        "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
        "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
        1,
    },
};

/* An EC_GROUP with its order and field prime, built per call: nothing shared between threads. */
typedef struct gost_group {
    EC_GROUP *group;
    BIGNUM *p;
    const BIGNUM *q; /* owned by group */
    size_t field_len;
} gost_group;

static void group_dispose(gost_group *g)
{
    EC_GROUP_free(g->group);
    BN_free(g->p);
    memset(g, 0, sizeof(*g));
}

static int hex_bn(BIGNUM **out, const char *hex)
{
    if (BN_hex2bn(out, hex) == 0) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "cannot load a GOST curve constant");
    }
    return 0;
}

static int group_init(gost_group *g, const qtb_gost_alg *alg, BN_CTX *ctx)
{
    memset(g, 0, sizeof(*g));
    const curve_def *def = NULL;
    for (size_t i = 0; i < QTB_ARRAY_LEN(curves); i++) {
        if (curves[i].id == alg->curve) {
            def = &curves[i];
        }
    }
    if (def == NULL) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "no curve for %s", alg->name);
    }
    int rc = 0;
    BIGNUM *a = NULL, *b = NULL, *q = NULL, *x = NULL, *y = NULL, *h = NULL;
    EC_POINT *gen = NULL;
    QTB_TRY_GOTO(hex_bn(&g->p, def->p));
    QTB_TRY_GOTO(hex_bn(&a, def->a));
    QTB_TRY_GOTO(hex_bn(&b, def->b));
    QTB_TRY_GOTO(hex_bn(&q, def->q));
    QTB_TRY_GOTO(hex_bn(&x, def->x));
    QTB_TRY_GOTO(hex_bn(&y, def->y));
    h = BN_new();
    if (h == NULL || BN_set_word(h, def->cofactor) == 0) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "cannot build the GOST curve cofactor");
        goto done;
    }
    g->group = EC_GROUP_new_curve_GFp(g->p, a, b, ctx);
    if (g->group == NULL) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot build curve %s", alg->curve_name);
        goto done;
    }
    gen = EC_POINT_new(g->group);
    if (gen == NULL || EC_POINT_set_affine_coordinates(g->group, gen, x, y, ctx) != 1 ||
        EC_GROUP_set_generator(g->group, gen, q, h) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot set the generator of curve %s", alg->curve_name);
        goto done;
    }
    g->q = EC_GROUP_get0_order(g->group);
    g->field_len = alg->field_len;
done:
    BN_free(a);
    BN_free(b);
    BN_free(q);
    BN_free(x);
    BN_free(y);
    BN_free(h);
    EC_POINT_free(gen);
    if (rc < 0) {
        group_dispose(g);
    }
    return rc;
}

/* A little-endian field element, QTB_EPARSE unless it is < p (no non-canonical encodings). */
static int le_coordinate(BIGNUM *out, const gost_group *g, const unsigned char *le)
{
    if (BN_lebin2bn(le, (int)g->field_len, out) == NULL) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "cannot decode a GOST coordinate");
    }
    if (BN_cmp(out, g->p) >= 0) {
        return QTB_FAIL(QTB_EPARSE, "GOST public key coordinate is not below the field prime");
    }
    return 0;
}

/*
 * Q from X||Y little-endian. QTB_EPARSE for a point that is not on the curve, is the point at
 * infinity, or (cofactor curves) lies outside the subgroup of order q.
 */
static int point_decode(EC_POINT **out, const gost_group *g, const unsigned char *xy, BN_CTX *ctx)
{
    int rc = 0;
    EC_POINT *pt = NULL, *chk = NULL;
    BN_CTX_start(ctx);
    BIGNUM *x = BN_CTX_get(ctx);
    BIGNUM *y = BN_CTX_get(ctx);
    BIGNUM *h = BN_CTX_get(ctx);
    if (h == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_get");
        goto done;
    }
    QTB_TRY_GOTO(le_coordinate(x, g, xy));
    QTB_TRY_GOTO(le_coordinate(y, g, xy + g->field_len));
    pt = EC_POINT_new(g->group);
    if (pt == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "EC_POINT_new");
        goto done;
    }
    /* OpenSSL 3 rejects a point that is not on the curve here. */
    if (EC_POINT_set_affine_coordinates(g->group, pt, x, y, ctx) != 1 ||
        EC_POINT_is_on_curve(g->group, pt, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "GOST public key is not a point on the curve");
        goto done;
    }
    if (EC_POINT_is_at_infinity(g->group, pt)) {
        rc = QTB_FAIL(QTB_EPARSE, "GOST public key is the point at infinity");
        goto done;
    }
    if (EC_GROUP_get_cofactor(g->group, h, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "EC_GROUP_get_cofactor");
        goto done;
    }
    if (!BN_is_one(h)) {
        chk = EC_POINT_new(g->group);
        if (chk == NULL || EC_POINT_mul(g->group, chk, NULL, pt, g->q, ctx) != 1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "EC_POINT_mul");
            goto done;
        }
        if (!EC_POINT_is_at_infinity(g->group, chk)) {
            rc = QTB_FAIL(QTB_EPARSE, "GOST public key is not in the subgroup of order q");
            goto done;
        }
    }
    *out = pt;
    pt = NULL;
done:
    EC_POINT_free(pt);
    EC_POINT_free(chk);
    BN_CTX_end(ctx);
    return rc;
}

/* e = digest as a little-endian integer mod q, and 1 when that is 0 (GOST R 34.10 §6.1 step 2). */
static int digest_to_e(BIGNUM *e, const gost_group *g, const unsigned char *digest, size_t len,
                       BN_CTX *ctx)
{
    if (BN_lebin2bn(digest, (int)len, e) == NULL || BN_nnmod(e, e, g->q, ctx) != 1) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "cannot reduce the digest");
    }
    if (BN_is_zero(e) && BN_one(e) != 1) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "BN_one");
    }
    return 0;
}

static int check_digest_len(const qtb_gost_alg *alg, size_t digest_len)
{
    size_t want = qtb_gost_hash_len(alg->hash);
    if (digest_len != want) {
        return QTB_FAIL(QTB_EUSAGE, "%s needs a %zu-byte %s digest, got %zu bytes", alg->name, want,
                        qtb_gost_hash_name(alg->hash), digest_len);
    }
    return 0;
}

/* ---- verification -------------------------------------------------------------------------- */

/* The arithmetic of GOST R 34.10 §6.2 once the inputs are decoded; sets *ok. */
static int verify_core(int *ok, const gost_group *g, const EC_POINT *q_pt, const BIGNUM *e,
                       const BIGNUM *r, const BIGNUM *s, BN_CTX *ctx)
{
    int rc = 0;
    EC_POINT *c = NULL;
    BN_CTX_start(ctx);
    BIGNUM *v = BN_CTX_get(ctx);
    BIGNUM *z1 = BN_CTX_get(ctx);
    BIGNUM *z2 = BN_CTX_get(ctx);
    BIGNUM *xc = BN_CTX_get(ctx);
    if (xc == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_get");
        goto done;
    }
    /* v = e^-1, z1 = s*v, z2 = -r*v (mod q); C = z1*P + z2*Q; valid when x_C mod q = r. */
    if (BN_mod_inverse(v, e, g->q, ctx) == NULL || BN_mod_mul(z1, s, v, g->q, ctx) != 1 ||
        BN_mod_mul(z2, r, v, g->q, ctx) != 1 || BN_mod_sub(z2, g->q, z2, g->q, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "GOST verification arithmetic failed");
        goto done;
    }
    c = EC_POINT_new(g->group);
    if (c == NULL || EC_POINT_mul(g->group, c, z1, q_pt, z2, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "EC_POINT_mul");
        goto done;
    }
    if (EC_POINT_is_at_infinity(g->group, c)) {
        goto done; /* *ok stays 0 */
    }
    if (EC_POINT_get_affine_coordinates(g->group, c, xc, NULL, ctx) != 1 ||
        BN_nnmod(xc, xc, g->q, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "EC_POINT_get_affine_coordinates");
        goto done;
    }
    *ok = BN_cmp(xc, r) == 0;
done:
    EC_POINT_free(c);
    BN_CTX_end(ctx);
    return rc;
}

int qtb_gost_verify_digest(int *ok, const qtb_gost_pubkey *key, const unsigned char *digest,
                           size_t digest_len, const unsigned char *sig, size_t sig_len)
{
    QTB_ASSERT_ARG(ok != NULL);
    *ok = 0;
    QTB_ASSERT_ARG(key != NULL && key->alg != NULL);
    QTB_ASSERT_ARG(digest != NULL);
    QTB_ASSERT_ARG(sig != NULL || sig_len == 0);
    const qtb_gost_alg *alg = key->alg;
    QTB_TRY(check_digest_len(alg, digest_len));
    size_t fl = alg->field_len;
    if (sig_len != 2 * fl) {
        return 0; /* GOST R 34.10 §6.2: a signature of the wrong size is invalid, not an error */
    }

    int rc = 0;
    gost_group g = {0};
    EC_POINT *q_pt = NULL;
    BN_CTX *ctx = BN_CTX_new();
    if (ctx == NULL) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_new");
    }
    BN_CTX_start(ctx);
    BIGNUM *r = BN_CTX_get(ctx);
    BIGNUM *s = BN_CTX_get(ctx);
    BIGNUM *e = BN_CTX_get(ctx);
    if (e == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_get");
        goto done;
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    /* Kazakh layout: r then s, each little-endian (the byte reverse of RFC 4491's s||r). */
    if (BN_lebin2bn(sig, (int)fl, r) == NULL || BN_lebin2bn(sig + fl, (int)fl, s) == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "cannot decode the signature");
        goto done;
    }
    /* §6.2 step 1: 0 < r < q and 0 < s < q, else the signature is invalid. */
    if (BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, g.q) >= 0 || BN_cmp(s, g.q) >= 0) {
        goto done;
    }
    QTB_TRY_GOTO(digest_to_e(e, &g, digest, digest_len, ctx));
    QTB_TRY_GOTO(point_decode(&q_pt, &g, key->xy, ctx));
    QTB_TRY_GOTO(verify_core(ok, &g, q_pt, e, r, s, ctx));
done:
    EC_POINT_free(q_pt);
    group_dispose(&g);
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    if (rc < 0) {
        *ok = 0;
    }
    return rc;
}

int qtb_gost_verify(int *ok, const qtb_gost_pubkey *key, const unsigned char *data, size_t len,
                    const unsigned char *sig, size_t sig_len)
{
    QTB_ASSERT_ARG(ok != NULL);
    *ok = 0;
    QTB_ASSERT_ARG(key != NULL && key->alg != NULL);
    unsigned char digest[QTB_GOST_MAX_DIGEST];
    size_t dlen = 0;
    QTB_TRY(qtb_gost_digest(digest, sizeof(digest), &dlen, key->alg->hash, data, len));
    return qtb_gost_verify_digest(ok, key, digest, dlen, sig, sig_len);
}

/* ---- keys ---------------------------------------------------------------------------------- */

void qtb_gost_privkey_wipe(qtb_gost_privkey *key)
{
    if (key != NULL) {
        qtb_wipe(key, sizeof(*key));
    }
}

int qtb_gost_pubkey_from_raw(qtb_gost_pubkey *out, const qtb_gost_alg *alg, const unsigned char *xy,
                             size_t len)
{
    QTB_ASSERT_ARG(out != NULL && alg != NULL && xy != NULL);
    memset(out, 0, sizeof(*out));
    if (len != 2 * alg->field_len) {
        return QTB_FAIL(QTB_EPARSE, "%s public key must be %zu bytes, got %zu", alg->name,
                        2 * alg->field_len, len);
    }
    int rc = 0;
    gost_group g = {0};
    EC_POINT *pt = NULL;
    BN_CTX *ctx = BN_CTX_new();
    if (ctx == NULL) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_new");
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    QTB_TRY_GOTO(point_decode(&pt, &g, xy, ctx));
    out->alg = alg;
    memcpy(out->xy, xy, len);
done:
    EC_POINT_free(pt);
    group_dispose(&g);
    BN_CTX_free(ctx);
    return rc;
}

/* d from the key, flagged constant-time; QTB_EPARSE unless 0 < d < q. */
static int load_private(BIGNUM *d, const gost_group *g, const qtb_gost_privkey *key)
{
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_lebin2bn(key->d, (int)g->field_len, d) == NULL) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "cannot load the GOST private key");
    }
    if (BN_is_zero(d) || BN_cmp(d, g->q) >= 0) {
        return QTB_FAIL(QTB_EPARSE, "GOST private key is not in the range 0 < d < q");
    }
    return 0;
}

int qtb_gost_privkey_from_raw(qtb_gost_privkey *out, const qtb_gost_alg *alg,
                              const unsigned char *d, size_t len)
{
    QTB_ASSERT_ARG(out != NULL && alg != NULL && d != NULL);
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > alg->field_len) {
        return QTB_FAIL(QTB_EPARSE, "%s private key must be at most %zu bytes, got %zu", alg->name,
                        alg->field_len, len);
    }
    out->alg = alg;
    memcpy(out->d, d, len);

    int rc = 0;
    gost_group g = {0};
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *bn = BN_secure_new();
    if (ctx == NULL || bn == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_secure_new");
        goto done;
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    QTB_TRY_GOTO(load_private(bn, &g, out));
done:
    BN_clear_free(bn);
    group_dispose(&g);
    BN_CTX_free(ctx);
    if (rc < 0) {
        qtb_gost_privkey_wipe(out);
    }
    return rc;
}

int qtb_gost_privkey_generate(qtb_gost_privkey *out, const qtb_gost_alg *alg)
{
    QTB_ASSERT_ARG(out != NULL && alg != NULL);
    memset(out, 0, sizeof(*out));
    int rc = 0;
    gost_group g = {0};
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *d = BN_secure_new();
    if (ctx == NULL || d == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_secure_new");
        goto done;
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    do {
        if (BN_priv_rand_range_ex(d, g.q, 0, ctx) != 1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot draw a random private key");
            goto done;
        }
    } while (BN_is_zero(d));
    if (BN_bn2lebinpad(d, out->d, (int)alg->field_len) < 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "BN_bn2lebinpad");
        goto done;
    }
    out->alg = alg;
done:
    BN_clear_free(d);
    group_dispose(&g);
    BN_CTX_free(ctx);
    if (rc < 0) {
        qtb_gost_privkey_wipe(out);
    }
    return rc;
}

int qtb_gost_pubkey_from_priv(qtb_gost_pubkey *out, const qtb_gost_privkey *key)
{
    QTB_ASSERT_ARG(out != NULL && key != NULL && key->alg != NULL);
    memset(out, 0, sizeof(*out));
    const qtb_gost_alg *alg = key->alg;
    int rc = 0;
    gost_group g = {0};
    EC_POINT *pt = NULL;
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *d = BN_secure_new();
    BIGNUM *x = BN_new();
    BIGNUM *y = BN_new();
    if (ctx == NULL || d == NULL || x == NULL || y == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_new");
        goto done;
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    QTB_TRY_GOTO(load_private(d, &g, key));
    pt = EC_POINT_new(g.group);
    if (pt == NULL || EC_POINT_mul(g.group, pt, d, NULL, NULL, ctx) != 1 ||
        EC_POINT_get_affine_coordinates(g.group, pt, x, y, ctx) != 1 ||
        BN_bn2lebinpad(x, out->xy, (int)alg->field_len) < 0 ||
        BN_bn2lebinpad(y, out->xy + alg->field_len, (int)alg->field_len) < 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot derive the GOST public key");
        goto done;
    }
    out->alg = alg;
done:
    EC_POINT_free(pt);
    BN_clear_free(d);
    BN_free(x);
    BN_free(y);
    group_dispose(&g);
    BN_CTX_free(ctx);
    return rc;
}

/* ---- signing ------------------------------------------------------------------------------- */

/* Bound on fresh k draws: r = 0 or s = 0 has probability about 2/q per draw. */
#define GOST_SIGN_ATTEMPTS 16

/* GOST R 34.10 §6.1 steps 3-5 for one k; *found is false when r or s came out 0. */
static int sign_attempt(bool *found, BIGNUM *r, BIGNUM *s, const gost_group *g, const BIGNUM *d,
                        const BIGNUM *e, BN_CTX *ctx)
{
    int rc = 0;
    EC_POINT *c = NULL;
    BN_CTX_start(ctx);
    BIGNUM *k = BN_CTX_get(ctx);
    BIGNUM *rd = BN_CTX_get(ctx);
    BIGNUM *ke = BN_CTX_get(ctx);
    if (ke == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_get");
        goto done;
    }
    BN_set_flags(k, BN_FLG_CONSTTIME);
    *found = false;
    /* §6.1 step 3: 0 < k < q, from the DRBG (RFC 6979-style determinism is not required). */
    do {
        if (BN_priv_rand_range_ex(k, g->q, 0, ctx) != 1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot draw the random k");
            goto done;
        }
    } while (BN_is_zero(k));
    /* Step 4: C = kP, r = x_C mod q. A single-scalar multiple uses OpenSSL's ladder. */
    c = EC_POINT_new(g->group);
    if (c == NULL || EC_POINT_mul(g->group, c, k, NULL, NULL, ctx) != 1 ||
        EC_POINT_get_affine_coordinates(g->group, c, r, NULL, ctx) != 1 ||
        BN_nnmod(r, r, g->q, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "GOST signing: k*P failed");
        goto done;
    }
    if (BN_is_zero(r)) {
        goto done;
    }
    /* Step 5: s = (r*d + k*e) mod q. */
    if (BN_mod_mul(rd, r, d, g->q, ctx) != 1 || BN_mod_mul(ke, k, e, g->q, ctx) != 1 ||
        BN_mod_add(s, rd, ke, g->q, ctx) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "GOST signing arithmetic failed");
        goto done;
    }
    *found = !BN_is_zero(s);
done:
    if (k != NULL) {
        BN_clear(k);
    }
    if (rd != NULL) {
        BN_clear(rd);
    }
    if (ke != NULL) {
        BN_clear(ke);
    }
    EC_POINT_free(c);
    BN_CTX_end(ctx);
    return rc;
}

int qtb_gost_sign_digest(unsigned char *sig, size_t sig_cap, size_t *sig_len,
                         const qtb_gost_privkey *key, const unsigned char *digest,
                         size_t digest_len)
{
    QTB_ASSERT_ARG(sig != NULL && sig_len != NULL);
    *sig_len = 0;
    QTB_ASSERT_ARG(key != NULL && key->alg != NULL && digest != NULL);
    const qtb_gost_alg *alg = key->alg;
    size_t fl = alg->field_len;
    QTB_ASSERT_ARG(sig_cap >= 2 * fl);
    QTB_TRY(check_digest_len(alg, digest_len));

    int rc = 0;
    bool signed_ok = false;
    gost_group g = {0};
    BN_CTX *ctx = BN_CTX_secure_new();
    if (ctx == NULL) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_secure_new");
    }
    BN_CTX_start(ctx);
    BIGNUM *d = BN_CTX_get(ctx);
    BIGNUM *e = BN_CTX_get(ctx);
    BIGNUM *r = BN_CTX_get(ctx);
    BIGNUM *s = BN_CTX_get(ctx);
    if (s == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "BN_CTX_get");
        goto done;
    }
    QTB_TRY_GOTO(group_init(&g, alg, ctx));
    QTB_TRY_GOTO(load_private(d, &g, key));
    QTB_TRY_GOTO(digest_to_e(e, &g, digest, digest_len, ctx));
    for (unsigned i = 0; i < GOST_SIGN_ATTEMPTS && !signed_ok; i++) {
        QTB_TRY_GOTO(sign_attempt(&signed_ok, r, s, &g, d, e, ctx));
    }
    if (!signed_ok) {
        rc = QTB_FAIL(QTB_ECRYPTO, "GOST signing drew r = 0 or s = 0 %d times", GOST_SIGN_ATTEMPTS);
        goto done;
    }
    if (BN_bn2lebinpad(r, sig, (int)fl) < 0 || BN_bn2lebinpad(s, sig + fl, (int)fl) < 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "BN_bn2lebinpad");
        goto done;
    }
    *sig_len = 2 * fl;
done:
    if (d != NULL) {
        BN_clear(d);
    }
    group_dispose(&g);
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return rc;
}

int qtb_gost_sign(unsigned char *sig, size_t sig_cap, size_t *sig_len, const qtb_gost_privkey *key,
                  const unsigned char *data, size_t len)
{
    QTB_ASSERT_ARG(sig_len != NULL);
    *sig_len = 0;
    QTB_ASSERT_ARG(key != NULL && key->alg != NULL);
    unsigned char digest[QTB_GOST_MAX_DIGEST];
    size_t dlen = 0;
    QTB_TRY(qtb_gost_digest(digest, sizeof(digest), &dlen, key->alg->hash, data, len));
    return qtb_gost_sign_digest(sig, sig_cap, sig_len, key, digest, dlen);
}
