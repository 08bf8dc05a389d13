/*
 * Kazakh GOST signatures: curves, keys, sign/verify round trips, SPKI decoding, the "gost"
 * qtb_sig_verify backend, and verification of REAL NCA RK test material (certificates, CRLs,
 * OCSP responses, CMS-embedded certificates, PKCS#12 keys) with our own code only.
 */
#include <pthread.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "gost.h"
#include "internal.h"
#include "ossl_int.h"
#include "p12_int.h"
#include "qtb_test.h"
#include "report_int.h"
#include "trust_int.h"
#include "sigalg.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A file under $QTB_SHARED/fixtures-real as DER (PEM and bare base64 are decoded). */
static int read_real(unsigned char **der, size_t *len, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    QTB_TRY(qtb_file_read(&raw, &raw_len, path, QTB_MAX_TRUST_FILE));
    const unsigned char *d = NULL;
    size_t dl = 0;
    bool owned = false;
    qtb_input_form form;
    char label[64];
    int rc = qtb_decode_binary_input(&d, &dl, &owned, &form, label, sizeof(label), raw, raw_len);
    if (rc < 0) {
        qtb_free(raw);
        return rc;
    }
    if (owned) {
        qtb_free(raw);
        *der = (unsigned char *)d;
    } else {
        *der = raw;
    }
    *len = dl;
    return 0;
}

/* A certificate or CRL: SEQUENCE { tbs, signatureAlgorithm, BIT STRING }; the tbs as encoded. */
typedef struct signed_der {
    unsigned char *der;
    size_t len;
    const unsigned char *tbs;
    size_t tbs_len;
    const unsigned char *sig;
    size_t sig_len;
} signed_der;

static int split_signed(signed_der *s)
{
    qtb_reader r;
    qtb_reader_init(&r, s->der, s->len);
    uint8_t tag = 0;
    const unsigned char *content = NULL;
    size_t clen = 0;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &content, &clen));
    qtb_reader in;
    qtb_reader_init(&in, content, clen);
    size_t start = in.pos;
    QTB_TRY(qtb_reader_der_tlv(&in, &tag, &content, &clen));
    s->tbs = in.data + start;
    s->tbs_len = in.pos - start;
    QTB_TRY(qtb_reader_der_tlv(&in, &tag, &content, &clen));
    QTB_TRY(qtb_reader_der_tlv(&in, &tag, &content, &clen));
    if (tag != 0x03 || clen < 1 || content[0] != 0) {
        return QTB_FAIL(QTB_EPARSE, "not a signed structure");
    }
    s->sig = content + 1;
    s->sig_len = clen - 1;
    return 0;
}

static int load_signed(signed_der *s, const char *rel)
{
    memset(s, 0, sizeof(*s));
    QTB_TRY(read_real(&s->der, &s->len, rel));
    return split_signed(s);
}

static X509 *load_cert(signed_der *s, const char *rel)
{
    if (load_signed(s, rel) < 0) {
        return NULL;
    }
    const unsigned char *p = s->der;
    return d2i_X509(NULL, &p, (long)s->len);
}

static X509 *cert_from_der(signed_der *s, const unsigned char *der, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->der = qtb_malloc(len);
    if (s->der == NULL) {
        return NULL;
    }
    memcpy(s->der, der, len);
    s->len = len;
    if (split_signed(s) < 0) {
        return NULL;
    }
    const unsigned char *p = s->der;
    return d2i_X509(NULL, &p, (long)s->len);
}

static const X509_ALGOR *cert_sigalg(const X509 *x)
{
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    X509_get0_signature(&sig, &alg, x);
    return alg;
}

/* Verify through the backend table, as qtb_sig_verify will. */
static int backend_verify(int *ok, const X509 *issuer, const X509_ALGOR *alg, const signed_der *s)
{
    const X509_PUBKEY *spki = X509_get_X509_PUBKEY(issuer);
    if (!qtb_sigalg_gost.handles(spki)) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "gost backend does not claim the key");
    }
    return qtb_sigalg_gost.verify(ok, spki, alg, s->tbs, s->tbs_len, s->sig, s->sig_len);
}

/* 1 valid, 0 invalid, negative on error: with a tampered tbs and signature as negative twins. */
static void check_signed_by(const signed_der *s, const X509_ALGOR *alg, const X509 *issuer,
                            const char *what)
{
    int ok = -1;
    int rc = backend_verify(&ok, issuer, alg, s);
    if (rc != 0 || ok != 1) {
        fprintf(stderr, "  %s: rc=%d ok=%d (%s)\n", what, rc, ok, qtb_error_last()->message);
        qtb_t_case_failed = 1;
        return;
    }
    signed_der t = *s;
    unsigned char *tbs = qtb_malloc(s->tbs_len);
    unsigned char *sig = qtb_malloc(s->sig_len);
    if (tbs == NULL || sig == NULL) {
        qtb_t_case_failed = 1;
        qtb_free(tbs);
        qtb_free(sig);
        return;
    }
    memcpy(tbs, s->tbs, s->tbs_len);
    tbs[s->tbs_len / 2] ^= 0x01;
    t.tbs = tbs;
    ok = -1;
    rc = backend_verify(&ok, issuer, alg, &t);
    if (rc != 0 || ok != 0) {
        fprintf(stderr, "  %s with a flipped tbs byte: rc=%d ok=%d\n", what, rc, ok);
        qtb_t_case_failed = 1;
    }
    t.tbs = s->tbs;
    memcpy(sig, s->sig, s->sig_len);
    sig[3] ^= 0x80;
    t.sig = sig;
    ok = -1;
    rc = backend_verify(&ok, issuer, alg, &t);
    if (rc != 0 || ok != 0) {
        fprintf(stderr, "  %s with a flipped signature byte: rc=%d ok=%d\n", what, rc, ok);
        qtb_t_case_failed = 1;
    }
    qtb_free(tbs);
    qtb_free(sig);
}

static void check_not_signed_by(const signed_der *s, const X509_ALGOR *alg, const X509 *issuer,
                                const char *what)
{
    int ok = -1;
    int rc = backend_verify(&ok, issuer, alg, s);
    if (rc != 0 || ok != 0) {
        fprintf(stderr, "  %s must not verify: rc=%d ok=%d\n", what, rc, ok);
        qtb_t_case_failed = 1;
    }
}

static void signed_dispose(signed_der *s)
{
    qtb_free(s->der);
    memset(s, 0, sizeof(*s));
}

/* An SPKI assembled by hand: algorithm, parameter SEQUENCE of up to two OIDs, key bytes. */
static X509_PUBKEY *make_spki(const char *alg_oid, const char *param_oid, const char *dparam_oid,
                              const unsigned char *key, size_t key_len, bool octet_wrap)
{
    unsigned char params[256];
    size_t plen = 0;
    const char *oids[2] = {param_oid, dparam_oid};
    for (size_t i = 0; i < 2; i++) {
        if (oids[i] == NULL) {
            continue;
        }
        ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
        unsigned char *p = params + 2 + plen;
        int n = o != NULL ? i2d_ASN1_OBJECT(o, &p) : -1;
        ASN1_OBJECT_free(o);
        if (n <= 0) {
            return NULL;
        }
        plen += (size_t)n;
    }
    params[0] = 0x30;
    params[1] = (unsigned char)plen;
    ASN1_STRING *seq = ASN1_STRING_new();
    unsigned char *enc = OPENSSL_malloc(key_len + 3);
    if (seq == NULL || enc == NULL || ASN1_STRING_set(seq, params, (int)plen + 2) != 1) {
        ASN1_STRING_free(seq);
        OPENSSL_free(enc);
        return NULL;
    }
    size_t elen = 0;
    if (octet_wrap) {
        enc[elen++] = 0x04;
        if (key_len >= 128) {
            enc[elen++] = 0x81;
        }
        enc[elen++] = (unsigned char)key_len;
    }
    memcpy(enc + elen, key, key_len);
    elen += key_len;
    X509_PUBKEY *pub = X509_PUBKEY_new();
    ASN1_OBJECT *aobj = OBJ_txt2obj(alg_oid, 1);
    if (pub == NULL || aobj == NULL ||
        X509_PUBKEY_set0_param(pub, aobj, V_ASN1_SEQUENCE, seq, enc, (int)elen) != 1) {
        X509_PUBKEY_free(pub);
        ASN1_OBJECT_free(aobj);
        ASN1_STRING_free(seq);
        OPENSSL_free(enc);
        return NULL;
    }
    return pub;
}

static X509_PUBKEY *make_spki_for(const qtb_gost_pubkey *k)
{
    return make_spki(k->alg->key_oid, k->alg->param_oid, k->alg->dparam_oid, k->xy,
                     2 * k->alg->field_len, true);
}

static X509_ALGOR *make_sigalg(const char *oid, bool null_params)
{
    X509_ALGOR *a = X509_ALGOR_new();
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    if (a == NULL || o == NULL ||
        X509_ALGOR_set0(a, o, null_params ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) != 1) {
        X509_ALGOR_free(a);
        ASN1_OBJECT_free(o);
        return NULL;
    }
    return a;
}

static X509_ALGOR *make_sigalg_int_param(const char *oid)
{
    X509_ALGOR *a = X509_ALGOR_new();
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_INTEGER *i = ASN1_INTEGER_new();
    if (a == NULL || o == NULL || i == NULL || ASN1_INTEGER_set(i, 5) != 1 ||
        X509_ALGOR_set0(a, o, V_ASN1_INTEGER, i) != 1) {
        X509_ALGOR_free(a);
        ASN1_OBJECT_free(o);
        ASN1_INTEGER_free(i);
        return NULL;
    }
    return a;
}

/* ---- curves and round trips --------------------------------------------------------------- */

/* d = 1 gives the generator, d = q-1 its negative (same x, other y); d = 0 and d = q are not keys.
 */
static void test_gost__curve_arithmetic(void)
{
    size_t n = 0;
    const qtb_gost_alg *algs = qtb_gost_algs(&n);
    QTB_REQUIRE(n == 3);
    for (size_t i = 0; i < n; i++) {
        const qtb_gost_alg *a = &algs[i];
        unsigned char one[64] = {1};
        qtb_gost_privkey d1;
        qtb_gost_pubkey g, neg;
        QTB_OK_CALL(qtb_gost_privkey_from_raw(&d1, a, one, 1));
        QTB_OK_CALL(qtb_gost_pubkey_from_priv(&g, &d1));
        qtb_gost_pubkey chk;
        QTB_OK_CALL(qtb_gost_pubkey_from_raw(&chk, a, g.xy, 2 * a->field_len));
        if (a->curve == QTB_GOST_CURVE_TC26_512_A) {
            QTB_CHECK(g.xy[0] == 3 && g.xy[1] == 0); /* x = 3 (RFC 7836) */
        } else if (a->curve == QTB_GOST_CURVE_CRYPTOPRO_A) {
            QTB_CHECK(g.xy[0] == 1 && g.xy[1] == 0); /* x = 1 (RFC 4357) */
        }

        /* q is rejected as a private key; q - 1 gives -G: the same x, the other y. */
        qtb_gost_privkey tmp;
        unsigned char qm1[64];
        static const char *const q_hex[] = {
            [QTB_GOST_CURVE_CRYPTOPRO_A] =
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
            [QTB_GOST_CURVE_TC26_256_A] =
                "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
            [QTB_GOST_CURVE_TC26_512_A] =
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
        };
        BIGNUM *q = NULL;
        QTB_REQUIRE(BN_hex2bn(&q, q_hex[a->curve]) > 0);
        QTB_REQUIRE(BN_bn2lebinpad(q, qm1, (int)a->field_len) > 0);
        QTB_CHECK(qtb_gost_privkey_from_raw(&tmp, a, qm1, a->field_len) == QTB_EPARSE);
        QTB_REQUIRE(BN_sub_word(q, 1) == 1);
        QTB_REQUIRE(BN_bn2lebinpad(q, qm1, (int)a->field_len) > 0);
        BN_free(q);
        QTB_OK_CALL(qtb_gost_privkey_from_raw(&tmp, a, qm1, a->field_len));
        QTB_OK_CALL(qtb_gost_pubkey_from_priv(&neg, &tmp));
        QTB_CHECK(memcmp(neg.xy, g.xy, a->field_len) == 0);
        QTB_CHECK(memcmp(neg.xy + a->field_len, g.xy + a->field_len, a->field_len) != 0);
        unsigned char zero[64] = {0};
        QTB_CHECK(qtb_gost_privkey_from_raw(&tmp, a, zero, a->field_len) == QTB_EPARSE);
        QTB_CHECK(qtb_gost_privkey_from_raw(&tmp, a, zero, a->field_len + 1) == QTB_EPARSE);
        qtb_gost_privkey_wipe(&tmp);
        qtb_gost_privkey_wipe(&d1);
    }
}

static void roundtrip(const qtb_gost_alg *a)
{
    qtb_gost_privkey k1, k2;
    qtb_gost_pubkey p1, p2;
    QTB_OK_CALL(qtb_gost_privkey_generate(&k1, a));
    QTB_OK_CALL(qtb_gost_privkey_generate(&k2, a));
    QTB_OK_CALL(qtb_gost_pubkey_from_priv(&p1, &k1));
    QTB_OK_CALL(qtb_gost_pubkey_from_priv(&p2, &k2));
    QTB_CHECK(memcmp(p1.xy, p2.xy, sizeof(p1.xy)) != 0);

    static const unsigned char msg[] = "qoltanba GOST round trip";
    unsigned char sig[128], sig2[128];
    size_t sig_len = 0, sig2_len = 0;
    QTB_OK_CALL(qtb_gost_sign(sig, sizeof(sig), &sig_len, &k1, msg, sizeof(msg)));
    QTB_CHECK(sig_len == 2 * a->field_len);
    QTB_OK_CALL(qtb_gost_sign(sig2, sizeof(sig2), &sig2_len, &k1, msg, sizeof(msg)));
    QTB_CHECK(memcmp(sig, sig2, sig_len) != 0); /* a fresh k each time */

    int ok = -1;
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg), sig, sig_len));
    QTB_CHECK(ok == 1);
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg), sig2, sig2_len));
    QTB_CHECK(ok == 1);
    /* Negative twins: other data, other key, a flipped signature byte, a truncated signature. */
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg) - 1, sig, sig_len));
    QTB_CHECK(ok == 0);
    QTB_OK_CALL(qtb_gost_verify(&ok, &p2, msg, sizeof(msg), sig, sig_len));
    QTB_CHECK(ok == 0);
    sig[sig_len - 1] ^= 0x01;
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg), sig, sig_len));
    QTB_CHECK(ok == 0);
    sig[sig_len - 1] ^= 0x01;
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg), sig, sig_len - 1));
    QTB_CHECK(ok == 0);
    /* Swapping r and s (the RFC 4491 s||r layout read as ours) must not verify. */
    unsigned char swapped[128];
    memcpy(swapped, sig + a->field_len, a->field_len);
    memcpy(swapped + a->field_len, sig, a->field_len);
    QTB_OK_CALL(qtb_gost_verify(&ok, &p1, msg, sizeof(msg), swapped, sig_len));
    QTB_CHECK(ok == 0);

    /* The same through a hand-built SPKI and the backend. */
    X509_PUBKEY *spki = make_spki_for(&p1);
    X509_ALGOR *alg = make_sigalg(a->sig_oid, true);
    QTB_REQUIRE(spki != NULL && alg != NULL);
    QTB_CHECK(qtb_sigalg_gost.handles(spki));
    qtb_gost_pubkey back;
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&back, spki));
    QTB_CHECK(back.alg == a && memcmp(back.xy, p1.xy, sizeof(back.xy)) == 0);
    QTB_OK_CALL(qtb_sigalg_gost.verify(&ok, spki, alg, msg, sizeof(msg), sig, sig_len));
    QTB_CHECK(ok == 1);
    QTB_OK_CALL(qtb_sigalg_gost.verify(&ok, spki, alg, msg, 3, sig, sig_len));
    QTB_CHECK(ok == 0);
    X509_PUBKEY_free(spki);
    X509_ALGOR_free(alg);
    qtb_gost_privkey_wipe(&k1);
    qtb_gost_privkey_wipe(&k2);
}

static void test_gost__roundtrip_2004(void)
{
    roundtrip(qtb_gost_alg_find("GOST34.310-2004"));
}

static void test_gost__roundtrip_2015_512(void)
{
    roundtrip(qtb_gost_alg_find("GOST34.10-2015-512"));
}

static void test_gost__roundtrip_2015_256(void)
{
    roundtrip(qtb_gost_alg_find("GOST34.10-2015-256"));
}

/* A digest of the wrong size is API misuse, not a verdict. */
static void test_gost__digest_length(void)
{
    const qtb_gost_alg *a = qtb_gost_alg_find("GOST34.10-2015-512");
    qtb_gost_privkey k;
    qtb_gost_pubkey p;
    QTB_OK_CALL(qtb_gost_privkey_generate(&k, a));
    QTB_OK_CALL(qtb_gost_pubkey_from_priv(&p, &k));
    unsigned char d[64] = {0}, sig[128];
    size_t sl = 0;
    QTB_OK_CALL(qtb_gost_sign_digest(sig, sizeof(sig), &sl, &k, d, 64));
    int ok = -1;
    /* e = 0 is replaced by 1 (GOST R 34.10 §6.1): an all-zero digest still signs and verifies. */
    QTB_OK_CALL(qtb_gost_verify_digest(&ok, &p, d, 64, sig, sl));
    QTB_CHECK(ok == 1);
    QTB_CHECK(qtb_gost_verify_digest(&ok, &p, d, 32, sig, sl) == QTB_EUSAGE);
    QTB_CHECK(ok == 0);
    QTB_CHECK(qtb_gost_sign_digest(sig, sizeof(sig), &sl, &k, d, 32) == QTB_EUSAGE);
    qtb_gost_privkey_wipe(&k);
}

/* ---- tc26-256-A against an independent implementation -------------------------------------------
 */

/*
 * No real Kazakh GOST-2015/256 sample exists, so this known answer comes from Debian's gost-engine
 * (libengine-gost-openssl 3.0.1, run once by hand: genpkey gost2012_256 paramset:TCA, dgst
 * -md_gost12_256, pkeyutl -sign). The engine's s||r big-endian signature is stored here
 * byte-reversed, i.e. in the Kazakh r||s little-endian layout; the key is its X||Y as is. It
 * checks the curve constants and arithmetic; the Kazakh OID mapping stays unconfirmed.
 */
static const char tca_msg[] = "qoltanba tc26-256-A control message";
static const char tca_pub_xy[] = "d73a5fa93dc4643e975e70e0931d9d0f337474432e2792bae5ef2170662cdc01"
                                 "4be9d8faf4337d6e9d4a81006dc9005c0d611a9377593c1c34553c4f38e6b555";
static const char tca_digest[] = "bda57936b60c00321c39a1e8dcb158de067cd9fc8e46e3342737becab98d3adf";
static const char tca_sig[] = "8789d16545c434735dedae94f6e859c4e1531b0d58c922372e604569b453202f"
                              "a7d7b2b7a1d3c64b5361adf6ab0c2fadcf1782506fabd9843e6a5380fb806232";

static size_t unhex(unsigned char *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n && i < cap; i++) {
        unsigned v = 0;
        for (size_t j = 0; j < 2; j++) {
            char c = hex[2 * i + j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (unsigned char)v;
    }
    return n < cap ? n : cap;
}

static void test_gost__tc26_256_engine_kat(void)
{
    const qtb_gost_alg *a = qtb_gost_alg_find("GOST34.10-2015-256");
    unsigned char xy[64], want[32], sig[64], d[32];
    QTB_REQUIRE(unhex(xy, sizeof(xy), tca_pub_xy) == 64);
    QTB_REQUIRE(unhex(want, sizeof(want), tca_digest) == 32);
    QTB_REQUIRE(unhex(sig, sizeof(sig), tca_sig) == 64);
    QTB_OK_CALL(qtb_streebog(d, 32, tca_msg, strlen(tca_msg)));
    QTB_CHECK(memcmp(d, want, 32) == 0);

    qtb_gost_pubkey k;
    QTB_OK_CALL(qtb_gost_pubkey_from_raw(&k, a, xy, 64));
    int ok = -1;
    QTB_OK_CALL(qtb_gost_verify(&ok, &k, (const unsigned char *)tca_msg, strlen(tca_msg), sig, 64));
    QTB_CHECK(ok == 1);
    /* The same through a Kazakh 256-bit SPKI and the backend. */
    X509_PUBKEY *spki = make_spki_for(&k);
    X509_ALGOR *alg = make_sigalg(a->sig_oid, true);
    QTB_REQUIRE(spki != NULL && alg != NULL);
    QTB_OK_CALL(qtb_sigalg_gost.verify(&ok, spki, alg, (const unsigned char *)tca_msg,
                                       strlen(tca_msg), sig, 64));
    QTB_CHECK(ok == 1);
    /* Negative twins: the engine's own byte order, another message. */
    unsigned char rev[64];
    for (size_t i = 0; i < 64; i++) {
        rev[i] = sig[63 - i];
    }
    QTB_OK_CALL(qtb_gost_verify(&ok, &k, (const unsigned char *)tca_msg, strlen(tca_msg), rev, 64));
    QTB_CHECK(ok == 0);
    QTB_OK_CALL(
        qtb_sigalg_gost.verify(&ok, spki, alg, (const unsigned char *)tca_msg, 10, sig, 64));
    QTB_CHECK(ok == 0);
    X509_PUBKEY_free(spki);
    X509_ALGOR_free(alg);
}

/* ---- real NCA RK test material ------------------------------------------------------------ */

/* GOST-2015/512: root self-signed, intermediate <- root, 2026 CRL <- intermediate. */
static void test_gost__real_2015_chain(void)
{
    QTB_NEED_SHARED();
    signed_der root_d, inter_d, crl_d;
    X509 *root = load_cert(&root_d, "ca/root_test_gost_2022.cer");
    X509 *inter = load_cert(&inter_d, "ca/nca_gost2022_test.cer");
    QTB_REQUIRE(root != NULL && inter != NULL);
    QTB_OK_CALL(load_signed(&crl_d, "ca/nca_gost2022_test.crl"));
    const unsigned char *p = crl_d.der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_d.len);
    QTB_REQUIRE(crl != NULL);
    const ASN1_BIT_STRING *csig = NULL;
    const X509_ALGOR *calg = NULL;
    X509_CRL_get0_signature(crl, &csig, &calg);

    check_signed_by(&root_d, cert_sigalg(root), root, "root_test_gost_2022 self-signed");
    check_signed_by(&inter_d, cert_sigalg(inter), root, "nca_gost2022_test <- root");
    check_signed_by(&crl_d, calg, inter, "nca_gost2022_test.crl <- intermediate");
    /* Wrong issuer keys. */
    check_not_signed_by(&inter_d, cert_sigalg(inter), inter, "intermediate <- itself");
    check_not_signed_by(&crl_d, calg, root, "CRL <- root");

    qtb_gost_pubkey k;
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&k, X509_get_X509_PUBKEY(inter)));
    QTB_CHECK_STR(k.alg->name, "GOST34.10-2015-512");

    X509_CRL_free(crl);
    X509_free(root);
    X509_free(inter);
    signed_dispose(&root_d);
    signed_dispose(&inter_d);
    signed_dispose(&crl_d);
}

static const struct {
    const char *file;
    const char *password;
    const char *alg;
} real_p12[] = {
    {"p12/gost2015_individual_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_individual_revoked_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_ceo_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_ceo_revoked_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_employee_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_signright_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_infosystem_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_treasury_client_valid_2026.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_legal_ceo_2024.p12", "Qwerty12", "GOST34.10-2015-512"},
    {"p12/gost2015_individual_2022.p12", "Aa123456", "GOST34.10-2015-512"},
    {"p12/gost2004_legal_ceo_sign_revoked_2022.p12", "Qwerty12", "GOST34.310-2004"},
};

/*
 * Every GOST end-entity certificate in p12/ against its issuer (and not against the root); its
 * private key (little-endian, via the identity loader) derives the certificate's public key;
 * a fresh signature with it verifies under the certificate's SPKI.
 */
static void test_gost__real_p12(void)
{
    QTB_NEED_SHARED();
    QTB_OK_CALL(qtb_ossl_init());
    signed_der i15_d, r15_d, i04_d, r04_d;
    X509 *inter15 = load_cert(&i15_d, "ca/nca_gost2022_test.cer");
    X509 *root15 = load_cert(&r15_d, "ca/root_test_gost_2022.cer");
    X509 *inter04 = load_cert(&i04_d, "ca/nca_gost_test.crt");
    X509 *root04 = load_cert(&r04_d, "ca/root_gost_test.crt");
    QTB_REQUIRE(inter15 != NULL && root15 != NULL && inter04 != NULL && root04 != NULL);

    for (size_t i = 0; i < QTB_ARRAY_LEN(real_p12); i++) {
        unsigned char *der = NULL;
        size_t len = 0;
        QTB_OK_CALL(read_real(&der, &len, real_p12[i].file));
        qtb_p12 *p12 = NULL;
        int rc = qtb_p12_open(&p12, der, len, real_p12[i].password);
        qtb_free(der);
        QTB_OK_CALL(rc);
        const X509 *cert = qtb_p12_cert(p12);
        QTB_REQUIRE(cert != NULL);
        bool is2004 = strcmp(real_p12[i].alg, "GOST34.310-2004") == 0;
        unsigned char *cder = NULL;
        int clen = i2d_X509(cert, &cder);
        QTB_REQUIRE(clen > 0);
        signed_der cd;
        X509 *c = cert_from_der(&cd, cder, (size_t)clen);
        OPENSSL_free(cder);
        QTB_REQUIRE(c != NULL);
        check_signed_by(&cd, cert_sigalg(c), is2004 ? inter04 : inter15, real_p12[i].file);
        check_not_signed_by(&cd, cert_sigalg(c), is2004 ? root04 : root15, real_p12[i].file);

        qtb_gost_pubkey pub;
        QTB_OK_CALL(qtb_gost_pubkey_from_spki(&pub, X509_get_X509_PUBKEY(c)));
        QTB_CHECK_STR(pub.alg->name, real_p12[i].alg);

        const unsigned char *key = NULL;
        size_t key_len = 0;
        const ASN1_OBJECT *key_alg = NULL, *param_set = NULL;
        QTB_OK_CALL(qtb_p12_gost_key(p12, &key, &key_len, &key_alg, &param_set));
        QTB_CHECK(key_len == pub.alg->field_len);
        qtb_gost_privkey priv;
        qtb_gost_pubkey derived;
        QTB_OK_CALL(qtb_gost_privkey_from_p12(&priv, p12));
        QTB_CHECK(priv.alg == pub.alg);
        QTB_OK_CALL(qtb_gost_pubkey_from_priv(&derived, &priv));
        if (memcmp(derived.xy, pub.xy, 2 * pub.alg->field_len) != 0) {
            fprintf(stderr, "  %s: the private key does not derive the certificate key\n",
                    real_p12[i].file);
            qtb_t_case_failed = 1;
        }
        /* Negative twin: the big-endian reading of the same bytes is another key. */
        unsigned char rev[64];
        for (size_t b = 0; b < key_len; b++) {
            rev[b] = key[key_len - 1 - b];
        }
        qtb_gost_privkey wrong;
        if (qtb_gost_privkey_from_raw(&wrong, pub.alg, rev, key_len) == 0) {
            qtb_gost_pubkey wp;
            QTB_OK_CALL(qtb_gost_pubkey_from_priv(&wp, &wrong));
            QTB_CHECK(memcmp(wp.xy, pub.xy, 2 * pub.alg->field_len) != 0);
            qtb_gost_privkey_wipe(&wrong);
        }

        /* Sign with the real key, verify under the certificate's SPKI via the backend. */
        static const unsigned char msg[] = "{\"applicant\":\"test\"}";
        unsigned char sig[128];
        size_t sl = 0;
        QTB_OK_CALL(qtb_gost_sign(sig, sizeof(sig), &sl, &priv, msg, sizeof(msg) - 1));
        int ok = -1;
        QTB_OK_CALL(qtb_sigalg_gost.verify(&ok, X509_get_X509_PUBKEY(c), cert_sigalg(c), msg,
                                           sizeof(msg) - 1, sig, sl));
        QTB_CHECK(ok == 1);
        QTB_OK_CALL(qtb_sigalg_gost.verify(&ok, X509_get_X509_PUBKEY(is2004 ? inter04 : inter15),
                                           cert_sigalg(c), msg, sizeof(msg) - 1, sig, sl));
        QTB_CHECK(ok == 0);
        qtb_gost_privkey_wipe(&priv);
        X509_free(c);
        signed_dispose(&cd);
        qtb_p12_free(p12);
    }
    /* Negative twin: an RSA store has no GOST key. */
    unsigned char *der = NULL;
    size_t len = 0;
    QTB_OK_CALL(read_real(&der, &len, "p12/rsa_individual_sign_2021.p12"));
    qtb_p12 *rsa = NULL;
    int rc = qtb_p12_open(&rsa, der, len, "Qwerty12");
    qtb_free(der);
    QTB_OK_CALL(rc);
    qtb_gost_privkey none;
    QTB_CHECK(qtb_gost_privkey_from_p12(&none, rsa) == QTB_ENOTFOUND);
    QTB_CHECK(none.alg == NULL);
    qtb_p12_free(rsa);
    X509_free(inter15);
    X509_free(root15);
    X509_free(inter04);
    X509_free(root04);
    signed_dispose(&i15_d);
    signed_dispose(&r15_d);
    signed_dispose(&i04_d);
    signed_dispose(&r04_d);
}

/* GOST 34.310-2004: the certificate <- ҰКО 3.0 (GOST TEST) <- root, root self-signed, the CRL. */
static void test_gost__real_2004_chain(void)
{
    QTB_NEED_SHARED();
    signed_der ee_d, inter_d, root_d, crl_d;
    X509 *ee = load_cert(&ee_d, "gost/gost2004_legal_ceo_valid_sign_2022.cer");
    X509 *inter = load_cert(&inter_d, "ca/nca_gost_test.crt");
    X509 *root = load_cert(&root_d, "ca/root_gost_test.crt");
    QTB_REQUIRE(ee != NULL && inter != NULL && root != NULL);
    QTB_OK_CALL(load_signed(&crl_d, "ca/nca_gost_test.crl"));
    const unsigned char *p = crl_d.der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_d.len);
    QTB_REQUIRE(crl != NULL);
    const ASN1_BIT_STRING *csig = NULL;
    const X509_ALGOR *calg = NULL;
    X509_CRL_get0_signature(crl, &csig, &calg);

    /* gost-kz.md Appendix A: the test-S-box digest of this certificate's tbsCertificate. */
    unsigned char d[32];
    char hex[65];
    qtb_gost94(d, ee_d.tbs, ee_d.tbs_len);
    qtb_hex_encode(hex, d, 32);
    QTB_CHECK_STR(hex, "934ea4a05b0b147671eea3f1d75feae61e992c01786f651e0d9bb18717100df0");

    check_signed_by(&ee_d, cert_sigalg(ee), inter, "gost2004 CEO <- nca_gost_test");
    check_signed_by(&inter_d, cert_sigalg(inter), root, "nca_gost_test <- root_gost_test");
    check_signed_by(&root_d, cert_sigalg(root), root, "root_gost_test self-signed");
    check_signed_by(&crl_d, calg, inter, "nca_gost_test.crl <- nca_gost_test");
    check_not_signed_by(&ee_d, cert_sigalg(ee), root, "gost2004 CEO <- root");

    qtb_gost_pubkey k;
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&k, X509_get_X509_PUBKEY(ee)));
    QTB_CHECK_STR(k.alg->name, "GOST34.310-2004");

    X509_CRL_free(crl);
    X509_free(ee);
    X509_free(inter);
    X509_free(root);
    signed_dispose(&ee_d);
    signed_dispose(&inter_d);
    signed_dispose(&root_d);
    signed_dispose(&crl_d);
}

/* Every GOST certificate embedded in a CMS file verifies against `issuer_rel`; returns the count.
 */
static size_t check_cms_certs(const char *cms_rel, const X509 *issuer15, const X509 *issuer04)
{
    unsigned char *der = NULL;
    size_t len = 0;
    if (read_real(&der, &len, cms_rel) < 0) {
        qtb_t_case_failed = 1;
        return 0;
    }
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    STACK_OF(X509) *certs = cms != NULL ? CMS_get1_certs(cms) : NULL;
    size_t found = 0;
    for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (!qtb_sigalg_gost.handles(X509_get_X509_PUBKEY(x))) {
            continue;
        }
        unsigned char *cder = NULL;
        int clen = i2d_X509(x, &cder);
        signed_der cd;
        X509 *c = clen > 0 ? cert_from_der(&cd, cder, (size_t)clen) : NULL;
        OPENSSL_free(cder);
        if (c == NULL) {
            qtb_t_case_failed = 1;
            continue;
        }
        qtb_gost_pubkey k;
        if (qtb_gost_pubkey_from_spki(&k, X509_get_X509_PUBKEY(c)) != 0) {
            qtb_t_case_failed = 1;
        } else {
            const X509 *iss = k.alg->curve == QTB_GOST_CURVE_CRYPTOPRO_A ? issuer04 : issuer15;
            check_signed_by(&cd, cert_sigalg(c), iss, cms_rel);
            found++;
        }
        X509_free(c);
        signed_dispose(&cd);
    }
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    qtb_free(der);
    return found;
}

static void test_gost__real_cms_certs(void)
{
    QTB_NEED_SHARED();
    signed_der i15_d, i04_d;
    X509 *inter15 = load_cert(&i15_d, "ca/nca_gost2022_test.cer");
    X509 *inter04 = load_cert(&i04_d, "ca/nca_gost_test.crt");
    QTB_REQUIRE(inter15 != NULL && inter04 != NULL);
    QTB_CHECK(check_cms_certs("cms/gost2015_rsa_two_signers_attached.p7s", inter15, inter04) == 1);
    QTB_CHECK(check_cms_certs("cms/gost2015_rsa_two_signers_detached.p7s", inter15, inter04) == 1);
    QTB_CHECK(check_cms_certs("cms/gost2015_legal_ceo_attached_tsp.p7s", inter15, inter04) == 1);
    /* The TSA certificate (GOST 2004, "СЕРВИС МЕТКИ ВРЕМЕНИ") <- ҰКО 3.0 (GOST TEST). */
    QTB_CHECK(check_cms_certs("tsp/tsp_token.der", inter15, inter04) == 1);
    X509_free(inter15);
    X509_free(inter04);
    signed_dispose(&i15_d);
    signed_dispose(&i04_d);
}

/*
 * BasicOCSPResponse signatures (RFC 6960 §4.2.1): tbsResponseData as encoded, taken from the raw
 * DER; the responder certificate is the first one in `certs`, and it chains to `issuer`.
 */
static void check_ocsp(const char *rel, const X509 *issuer)
{
    unsigned char *der = NULL;
    size_t len = 0;
    if (read_real(&der, &len, rel) < 0) {
        qtb_t_case_failed = 1;
        return;
    }
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
    const STACK_OF(X509) *certs = bs != NULL ? OCSP_resp_get0_certs(bs) : NULL;
    if (certs == NULL || sk_X509_num(certs) < 1) {
        fprintf(stderr, "  %s: no responder certificate\n", rel);
        qtb_t_case_failed = 1;
        goto done;
    }
    X509 *responder = sk_X509_value(certs, 0);
    /* OCSPResponse { status, [0] { type, OCTET STRING { BasicOCSPResponse } } } */
    qtb_reader r;
    qtb_reader_init(&r, der, len);
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t cl = 0;
    signed_der s = {0};
    if (qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0) {
        goto bad;
    }
    qtb_reader_init(&r, c, cl);
    if (qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0 || qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0) {
        goto bad;
    }
    qtb_reader_init(&r, c, cl);
    if (qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0) { /* ResponseBytes SEQUENCE */
        goto bad;
    }
    qtb_reader_init(&r, c, cl);
    if (qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0 || qtb_reader_der_tlv(&r, &tag, &c, &cl) < 0 ||
        tag != 0x04) {
        goto bad;
    }
    s.der = (unsigned char *)c;
    s.len = cl;
    if (split_signed(&s) < 0) {
        goto bad;
    }
    check_signed_by(&s, OCSP_resp_get0_tbs_sigalg(bs), responder, rel);
    check_not_signed_by(&s, OCSP_resp_get0_tbs_sigalg(bs), issuer, rel);
    /* The responder certificate itself <- the CA. */
    unsigned char *cder = NULL;
    int clen = i2d_X509(responder, &cder);
    signed_der cd;
    X509 *rc_cert = clen > 0 ? cert_from_der(&cd, cder, (size_t)clen) : NULL;
    OPENSSL_free(cder);
    if (rc_cert == NULL) {
        goto bad;
    }
    check_signed_by(&cd, cert_sigalg(rc_cert), issuer, "OCSP responder certificate");
    X509_free(rc_cert);
    signed_dispose(&cd);
    goto done;
bad:
    fprintf(stderr, "  %s: cannot take the OCSP response apart\n", rel);
    qtb_t_case_failed = 1;
done:
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    qtb_free(der);
}

static void test_gost__real_ocsp(void)
{
    QTB_NEED_SHARED();
    signed_der i15_d, i04_d;
    X509 *inter15 = load_cert(&i15_d, "ca/nca_gost2022_test.cer");
    X509 *inter04 = load_cert(&i04_d, "ca/nca_gost_test.crt");
    QTB_REQUIRE(inter15 != NULL && inter04 != NULL);
    check_ocsp("ocsp/gost2015_legal_ceo_2022_revoked_hold.ocsp.der", inter15);
    check_ocsp("ocsp/gost2015_individual_2022_revoked_1970hold.ocsp.der", inter15);
    check_ocsp("ocsp/gost2004_legal_ceo_revoked.ocsp.der", inter04);
    X509_free(inter15);
    X509_free(inter04);
    signed_dispose(&i15_d);
    signed_dispose(&i04_d);
}

/* ---- CMS SignerInfo and timestamp-token signatures over signedAttrs
 * ------------------------------ */

/* The next TLV of `r`, with the span of the whole TLV in *tlv / *tlv_len. */
static int next_tlv(qtb_reader *r, uint8_t *tag, const unsigned char **c, size_t *cl,
                    const unsigned char **tlv, size_t *tlv_len)
{
    size_t start = r->pos;
    QTB_TRY(qtb_reader_der_tlv(r, tag, c, cl));
    if (tlv != NULL) {
        *tlv = r->data + start;
        *tlv_len = r->pos - start;
    }
    return 0;
}

/* The messageDigest attribute (RFC 5652 §11.2) inside a signedAttrs TLV. */
static int message_digest_attr(const unsigned char **md, size_t *md_len, const unsigned char *attrs,
                               size_t attrs_len)
{
    static const unsigned char oid_md[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
    qtb_reader r;
    qtb_reader_init(&r, attrs, attrs_len);
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t cl = 0;
    QTB_TRY(next_tlv(&r, &tag, &c, &cl, NULL, NULL));
    qtb_reader set;
    qtb_reader_init(&set, c, cl);
    while (qtb_reader_left(&set) > 0) {
        QTB_TRY(next_tlv(&set, &tag, &c, &cl, NULL, NULL));
        qtb_reader attr;
        qtb_reader_init(&attr, c, cl);
        QTB_TRY(next_tlv(&attr, &tag, &c, &cl, NULL, NULL));
        if (tag != 0x06 || cl != sizeof(oid_md) || memcmp(c, oid_md, cl) != 0) {
            continue;
        }
        QTB_TRY(next_tlv(&attr, &tag, &c, &cl, NULL, NULL));
        qtb_reader vals;
        qtb_reader_init(&vals, c, cl);
        QTB_TRY(next_tlv(&vals, &tag, md, md_len, NULL, NULL));
        return tag == 0x04 ? 0 : QTB_FAIL(QTB_EPARSE, "messageDigest is not an OCTET STRING");
    }
    return QTB_FAIL(QTB_ENOTFOUND, "no messageDigest");
}

typedef struct cms_walk {
    const unsigned char *econtent; /* eContent OCTET STRING contents, or NULL when detached */
    size_t econtent_len;
    const unsigned char *signer_infos; /* SET contents */
    size_t signer_infos_len;
} cms_walk;

/* ContentInfo { OID, [0] SignedData { version, digestAlgorithms, encap, [0] certs, [1] crls,
 * signerInfos } } (RFC 5652 §5.1), by hand: the signed bytes must be the received ones. */
static int cms_walk_der(cms_walk *w, const unsigned char *der, size_t len)
{
    memset(w, 0, sizeof(*w));
    qtb_reader r;
    qtb_reader_init(&r, der, len);
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t cl = 0;
    QTB_TRY(next_tlv(&r, &tag, &c, &cl, NULL, NULL));
    qtb_reader ci;
    qtb_reader_init(&ci, c, cl);
    QTB_TRY(next_tlv(&ci, &tag, &c, &cl, NULL, NULL)); /* contentType */
    QTB_TRY(next_tlv(&ci, &tag, &c, &cl, NULL, NULL)); /* [0] */
    qtb_reader x;
    qtb_reader_init(&x, c, cl);
    QTB_TRY(next_tlv(&x, &tag, &c, &cl, NULL, NULL)); /* SignedData */
    qtb_reader sd;
    qtb_reader_init(&sd, c, cl);
    QTB_TRY(next_tlv(&sd, &tag, &c, &cl, NULL, NULL)); /* version */
    QTB_TRY(next_tlv(&sd, &tag, &c, &cl, NULL, NULL)); /* digestAlgorithms */
    QTB_TRY(next_tlv(&sd, &tag, &c, &cl, NULL, NULL)); /* encapContentInfo */
    qtb_reader enc;
    qtb_reader_init(&enc, c, cl);
    QTB_TRY(next_tlv(&enc, &tag, &c, &cl, NULL, NULL)); /* eContentType */
    if (qtb_reader_left(&enc) > 0) {
        QTB_TRY(next_tlv(&enc, &tag, &c, &cl, NULL, NULL)); /* [0] EXPLICIT */
        qtb_reader ec;
        qtb_reader_init(&ec, c, cl);
        QTB_TRY(next_tlv(&ec, &tag, &w->econtent, &w->econtent_len, NULL, NULL));
    }
    while (qtb_reader_left(&sd) > 0) {
        QTB_TRY(next_tlv(&sd, &tag, &c, &cl, NULL, NULL));
        if (tag == 0x31) {
            w->signer_infos = c;
            w->signer_infos_len = cl;
        }
    }
    return w->signer_infos != NULL ? 0 : QTB_FAIL(QTB_EPARSE, "no signerInfos");
}

/*
 * Every GOST SignerInfo of a real CMS: its signature over the DER of signedAttrs (tag A0 read as
 * SET, RFC 5652 §5.4) verifies with a GOST certificate carried in the CMS, and messageDigest is
 * the GOST hash (by the SignerInfo's digestAlgorithm OID) of the content. Returns the count.
 */
static size_t check_cms_signers(const char *rel, const char *detached_rel)
{
    unsigned char *der = NULL, *content = NULL;
    size_t len = 0, content_len = 0;
    size_t verified = 0;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *certs = NULL;
    cms_walk w;
    if (read_real(&der, &len, rel) < 0 || cms_walk_der(&w, der, len) < 0) {
        goto bad;
    }
    if (detached_rel != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/fixtures-real/%s", qtb_test_shared_dir(), detached_rel);
        if (qtb_file_read(&content, &content_len, path, 1 << 20) < 0) {
            goto bad;
        }
    }
    const unsigned char *p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    certs = cms != NULL ? CMS_get1_certs(cms) : NULL;
    if (certs == NULL) {
        goto bad;
    }
    qtb_reader set;
    qtb_reader_init(&set, w.signer_infos, w.signer_infos_len);
    while (qtb_reader_left(&set) > 0) {
        uint8_t tag = 0;
        const unsigned char *c = NULL, *digest_alg = NULL, *attrs = NULL, *sigalg = NULL;
        const unsigned char *sig = NULL;
        size_t cl = 0, digest_alg_len = 0, attrs_len = 0, sigalg_len = 0, sig_len = 0;
        if (next_tlv(&set, &tag, &c, &cl, NULL, NULL) < 0) {
            goto bad;
        }
        qtb_reader si;
        qtb_reader_init(&si, c, cl);
        if (next_tlv(&si, &tag, &c, &cl, NULL, NULL) < 0 || /* version */
            next_tlv(&si, &tag, &c, &cl, NULL, NULL) < 0 || /* sid */
            next_tlv(&si, &tag, &c, &cl, &digest_alg, &digest_alg_len) < 0 ||
            next_tlv(&si, &tag, &c, &cl, &attrs, &attrs_len) < 0 || tag != 0xa0 ||
            next_tlv(&si, &tag, &c, &cl, &sigalg, &sigalg_len) < 0 ||
            next_tlv(&si, &tag, &sig, &sig_len, NULL, NULL) < 0 || tag != 0x04) {
            goto bad;
        }
        const unsigned char *q = sigalg;
        X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &q, (long)sigalg_len);
        q = digest_alg;
        X509_ALGOR *dalg = d2i_X509_ALGOR(NULL, &q, (long)digest_alg_len);
        char oid[128] = "", doid[128] = "";
        if (alg == NULL || dalg == NULL) {
            X509_ALGOR_free(alg);
            X509_ALGOR_free(dalg);
            goto bad;
        }
        const ASN1_OBJECT *o = NULL;
        X509_ALGOR_get0(&o, NULL, NULL, alg);
        OBJ_obj2txt(oid, sizeof(oid), o, 1);
        X509_ALGOR_get0(&o, NULL, NULL, dalg);
        OBJ_obj2txt(doid, sizeof(doid), o, 1);
        X509_ALGOR_free(dalg);
        const qtb_gost_alg *ga = qtb_gost_alg_find(oid);
        if (ga == NULL) {
            X509_ALGOR_free(alg); /* the RSA signer of the two-signer samples */
            continue;
        }
        /* messageDigest = hash(content) with the digestAlgorithm's hash. */
        const unsigned char *md = NULL;
        size_t md_len = 0;
        unsigned char want[64];
        size_t want_len = 0;
        const unsigned char *data = content != NULL ? content : w.econtent;
        size_t data_len = content != NULL ? content_len : w.econtent_len;
        if (message_digest_attr(&md, &md_len, attrs, attrs_len) < 0 ||
            qtb_gost_digest_by_oid(want, sizeof(want), &want_len, doid, data, data_len) < 0 ||
            md_len != want_len || memcmp(md, want, md_len) != 0) {
            fprintf(stderr, "  %s: messageDigest does not match the %s content hash\n", rel, doid);
            qtb_t_case_failed = 1;
        }
        unsigned char *tbs = qtb_malloc(attrs_len);
        if (tbs == NULL) {
            X509_ALGOR_free(alg);
            goto bad;
        }
        memcpy(tbs, attrs, attrs_len);
        tbs[0] = 0x31;
        for (int i = 0; i < sk_X509_num(certs); i++) {
            const X509_PUBKEY *spki = X509_get_X509_PUBKEY(sk_X509_value(certs, i));
            int ok = -1;
            if (!qtb_sigalg_gost.handles(spki) ||
                qtb_sigalg_gost.verify(&ok, spki, alg, tbs, attrs_len, sig, sig_len) != 0 ||
                ok != 1) {
                qtb_error_clear();
                continue;
            }
            /* Negative twins: the A0 tag as received, a flipped attribute byte. */
            tbs[0] = 0xa0;
            int ok2 = -1;
            QTB_CHECK(qtb_sigalg_gost.verify(&ok2, spki, alg, tbs, attrs_len, sig, sig_len) == 0 &&
                      ok2 == 0);
            tbs[0] = 0x31;
            tbs[attrs_len - 1] ^= 0x01;
            QTB_CHECK(qtb_sigalg_gost.verify(&ok2, spki, alg, tbs, attrs_len, sig, sig_len) == 0 &&
                      ok2 == 0);
            tbs[attrs_len - 1] ^= 0x01;
            verified++;
            break;
        }
        qtb_free(tbs);
        X509_ALGOR_free(alg);
    }
    goto done;
bad:
    fprintf(stderr, "  %s: cannot take the CMS apart\n", rel);
    qtb_t_case_failed = 1;
done:
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    qtb_free(der);
    qtb_free(content);
    return verified;
}

static void test_gost__real_cms_signatures(void)
{
    QTB_NEED_SHARED();
    /* GOST-2015/512 signers (Streebog-512 messageDigest of "test123" and of b5 eb 2d). */
    QTB_CHECK(check_cms_signers("cms/gost2015_rsa_two_signers_attached.p7s", NULL) == 1);
    QTB_CHECK(check_cms_signers("cms/gost2015_rsa_two_signers_detached.p7s",
                                "cms/gost2015_rsa_two_signers_detached.content.bin") == 1);
    QTB_CHECK(check_cms_signers("cms/gost2015_legal_ceo_attached_tsp.p7s", NULL) == 1);
    /* GOST-2004 timestamp token: GOST 34.311-95 (test S-box) messageDigest of the TSTInfo. */
    QTB_CHECK(check_cms_signers("tsp/tsp_token.der", NULL) == 1);
}

/* ---- XMLDSig (Kalkan) SignedInfo signatures ----------------------------------------------------
 */

static xmlChar *xpath_text(xmlXPathContextPtr xp, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, xp);
    xmlChar *t = NULL;
    if (o != NULL && o->nodesetval != NULL && o->nodesetval->nodeNr > 0) {
        t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
    }
    xmlXPathFreeObject(o);
    return t;
}

/*
 * The last ds:Signature of a Kalkan-signed XML: c14n(SignedInfo) (inclusive 1.0) verifies with
 * the KeyInfo certificate under the SignatureMethod URI, the certificate chains to `issuer`, and
 * the DigestValue is the DigestMethod hash of the document without that signature (enveloped +
 * c14n; the samples have no comments). Signatures appended later are not covered, so this takes
 * the last one only.
 */
static void check_xml_signature(const char *rel, const X509 *issuer)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    xmlXPathContextPtr xp = doc != NULL ? xmlXPathNewContext(doc) : NULL;
    xmlXPathObjectPtr si = NULL;
    xmlChar *c14n = NULL, *sig_b64 = NULL, *cert_b64 = NULL, *method = NULL, *dmethod = NULL;
    xmlChar *dvalue = NULL, *whole = NULL;
    unsigned char *sig = NULL, *cert_der = NULL, *dv = NULL;
    size_t sig_len = 0, cert_len = 0, dv_len = 0;
    X509 *cert = NULL;
    if (xp == NULL ||
        xmlXPathRegisterNs(xp, (const xmlChar *)"ds",
                           (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#") != 0) {
        goto bad;
    }
    si = xmlXPathEvalExpression(
        (const xmlChar *)"(//. | //@* | //namespace::*)[ancestor-or-self::ds:SignedInfo"
                         "[count(following::ds:Signature) = 0]]",
        xp);
    int n =
        si != NULL ? xmlC14NDocDumpMemory(doc, si->nodesetval, XML_C14N_1_0, NULL, 0, &c14n) : -1;
    sig_b64 = xpath_text(xp, "(//ds:SignatureValue)[last()]");
    cert_b64 = xpath_text(xp, "(//ds:X509Certificate)[last()]");
    if (n <= 0 || sig_b64 == NULL || cert_b64 == NULL ||
        qtb_base64_decode(&sig, &sig_len, (const char *)sig_b64, strlen((char *)sig_b64), 0) < 0 ||
        qtb_base64_decode(&cert_der, &cert_len, (const char *)cert_b64, strlen((char *)cert_b64),
                          0) < 0) {
        goto bad;
    }
    xmlXPathObjectPtr mo =
        xmlXPathEvalExpression((const xmlChar *)"(//ds:SignatureMethod)[last()]/@Algorithm", xp);
    method = mo != NULL && mo->nodesetval != NULL && mo->nodesetval->nodeNr > 0
                 ? xmlNodeGetContent(mo->nodesetval->nodeTab[0])
                 : NULL;
    xmlXPathFreeObject(mo);
    mo = xmlXPathEvalExpression((const xmlChar *)"(//ds:DigestMethod)[last()]/@Algorithm", xp);
    dmethod = mo != NULL && mo->nodesetval != NULL && mo->nodesetval->nodeNr > 0
                  ? xmlNodeGetContent(mo->nodesetval->nodeTab[0])
                  : NULL;
    xmlXPathFreeObject(mo);
    dvalue = xpath_text(xp, "(//ds:DigestValue)[last()]");
    const unsigned char *p = cert_der;
    cert = d2i_X509(NULL, &p, (long)cert_len);
    if (method == NULL || dmethod == NULL || dvalue == NULL || cert == NULL) {
        goto bad;
    }
    int ok = -1;
    QTB_CHECK(qtb_gost_verify_spki(&ok, X509_get_X509_PUBKEY(cert), (const char *)method, c14n,
                                   (size_t)n, sig, sig_len) == 0 &&
              ok == 1);
    /* Negative twins: a changed SignedInfo byte, the issuer's key, a digest URI as method. */
    c14n[n / 2] ^= 0x01;
    QTB_CHECK(qtb_gost_verify_spki(&ok, X509_get_X509_PUBKEY(cert), (const char *)method, c14n,
                                   (size_t)n, sig, sig_len) == 0 &&
              ok == 0);
    c14n[n / 2] ^= 0x01;
    QTB_CHECK(qtb_gost_verify_spki(&ok, X509_get_X509_PUBKEY(issuer), (const char *)method, c14n,
                                   (size_t)n, sig, sig_len) == 0 &&
              ok == 0);
    QTB_CHECK(qtb_gost_verify_spki(&ok, X509_get_X509_PUBKEY(cert), (const char *)dmethod, c14n,
                                   (size_t)n, sig, sig_len) == QTB_EUNSUPPORTED);

    /* The KeyInfo certificate <- its CA. */
    signed_der cd;
    X509 *c = cert_from_der(&cd, cert_der, cert_len);
    if (c != NULL) {
        check_signed_by(&cd, cert_sigalg(c), issuer, "XML KeyInfo certificate");
    } else {
        qtb_t_case_failed = 1;
    }
    X509_free(c);
    signed_dispose(&cd);

    /* Reference URI="": the document without this (the last) signature, canonicalised. */
    xmlXPathObjectPtr so = xmlXPathEvalExpression((const xmlChar *)"(//ds:Signature)[last()]", xp);
    if (so == NULL || so->nodesetval == NULL || so->nodesetval->nodeNr != 1) {
        xmlXPathFreeObject(so);
        goto bad;
    }
    xmlNodePtr signode = so->nodesetval->nodeTab[0];
    xmlXPathFreeObject(so);
    xmlUnlinkNode(signode);
    xmlFreeNode(signode);
    int wn = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &whole);
    unsigned char d[64];
    size_t dl = 0;
    if (wn <= 0 ||
        qtb_base64_decode(&dv, &dv_len, (const char *)dvalue, strlen((char *)dvalue), 0) < 0 ||
        qtb_gost_digest_by_oid(d, sizeof(d), &dl, (const char *)dmethod, whole, (size_t)wn) < 0) {
        goto bad;
    }
    QTB_CHECK(dl == dv_len && memcmp(d, dv, dl) == 0);
    goto done;
bad:
    fprintf(stderr, "  %s: cannot take the XML signature apart\n", rel);
    qtb_t_case_failed = 1;
done:
    X509_free(cert);
    qtb_free(sig);
    qtb_free(cert_der);
    qtb_free(dv);
    xmlFree(c14n);
    xmlFree(whole);
    xmlFree(sig_b64);
    xmlFree(cert_b64);
    xmlFree(method);
    xmlFree(dmethod);
    xmlFree(dvalue);
    xmlXPathFreeObject(si);
    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
}

static void test_gost__real_xml_signatures(void)
{
    QTB_NEED_SHARED();
    signed_der i15_d;
    X509 *inter15 = load_cert(&i15_d, "ca/nca_gost2022_test.cer");
    QTB_REQUIRE(inter15 != NULL);
    check_xml_signature("xml/gost2015_legal_ceo_enveloped.xml", inter15);
    check_xml_signature("xml/rsa_and_gost2015_two_signatures.xml", inter15);
    X509_free(inter15);
    signed_dispose(&i15_d);
}

/* ---- negative cases on real material ----------------------------------------------------------
 */

/* r or s equal to 0 or q (or above) is an invalid signature, before any curve arithmetic. */
static void test_gost__real_r_s_range(void)
{
    QTB_NEED_SHARED();
    signed_der root_d, inter_d;
    X509 *root = load_cert(&root_d, "ca/root_test_gost_2022.cer");
    X509 *inter = load_cert(&inter_d, "ca/nca_gost2022_test.cer");
    QTB_REQUIRE(root != NULL && inter != NULL && inter_d.sig_len == 128);
    BIGNUM *q = NULL;
    QTB_REQUIRE(BN_hex2bn(&q,
                          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                          "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275") > 0);
    unsigned char qle[64], sig[128];
    QTB_REQUIRE(BN_bn2lebinpad(q, qle, 64) == 64);
    BN_free(q);
    signed_der t = inter_d;
    t.sig = sig;
    int ok = -1;
    for (int which = 0; which < 2; which++) {
        /* = q */
        memcpy(sig, inter_d.sig, 128);
        memcpy(sig + 64 * which, qle, 64);
        QTB_OK_CALL(backend_verify(&ok, root, cert_sigalg(inter), &t));
        QTB_CHECK(ok == 0);
        /* = 0 */
        memset(sig + 64 * which, 0, 64);
        QTB_OK_CALL(backend_verify(&ok, root, cert_sigalg(inter), &t));
        QTB_CHECK(ok == 0);
        /* all ones (> q) */
        memset(sig + 64 * which, 0xff, 64);
        QTB_OK_CALL(backend_verify(&ok, root, cert_sigalg(inter), &t));
        QTB_CHECK(ok == 0);
    }
    /* An empty and an overlong signature. */
    t.sig_len = 0;
    QTB_OK_CALL(backend_verify(&ok, root, cert_sigalg(inter), &t));
    QTB_CHECK(ok == 0);
    memcpy(sig, inter_d.sig, 128);
    t.sig_len = 127;
    QTB_OK_CALL(backend_verify(&ok, root, cert_sigalg(inter), &t));
    QTB_CHECK(ok == 0);
    X509_free(root);
    X509_free(inter);
    signed_dispose(&root_d);
    signed_dispose(&inter_d);
}

/* A public key that is not on the curve, or is out of range, is rejected as malformed. */
static void test_gost__bad_points(void)
{
    QTB_NEED_SHARED();
    signed_der root_d;
    X509 *root = load_cert(&root_d, "ca/root_test_gost_2022.cer");
    QTB_REQUIRE(root != NULL);
    qtb_gost_pubkey k, bad;
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&k, X509_get_X509_PUBKEY(root)));
    unsigned char xy[128];
    memcpy(xy, k.xy, 128);
    xy[70] ^= 0x01; /* Y changed: off the curve */
    QTB_CHECK(qtb_gost_pubkey_from_raw(&bad, k.alg, xy, 128) == QTB_EPARSE);
    QTB_CHECK(strstr(qtb_error_last()->message, "not a point on the curve") != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_raw(&bad, k.alg, k.xy, 127) == QTB_EPARSE);
    memset(xy, 0xff, 64); /* X >= p */
    QTB_CHECK(qtb_gost_pubkey_from_raw(&bad, k.alg, xy, 128) == QTB_EPARSE);
    memset(xy, 0, 128); /* (0, 0): not on the curve (b != 0) */
    QTB_CHECK(qtb_gost_pubkey_from_raw(&bad, k.alg, xy, 128) == QTB_EPARSE);

    /* The same key in a certificate: flip a byte of Y inside the DER, then verify with it. */
    unsigned char *der = qtb_malloc(root_d.len);
    QTB_REQUIRE(der != NULL);
    memcpy(der, root_d.der, root_d.len);
    unsigned char *hit = NULL;
    for (size_t i = 0; i + 128 <= root_d.len; i++) {
        if (memcmp(der + i, k.xy, 128) == 0) {
            hit = der + i;
        }
    }
    QTB_REQUIRE(hit != NULL);
    hit[100] ^= 0x01;
    const unsigned char *p = der;
    X509 *mangled = d2i_X509(NULL, &p, (long)root_d.len);
    QTB_REQUIRE(mangled != NULL);
    QTB_CHECK(qtb_sigalg_gost.handles(X509_get_X509_PUBKEY(mangled)));
    int ok = -1;
    QTB_CHECK(backend_verify(&ok, mangled, cert_sigalg(root), &root_d) == QTB_EPARSE);
    QTB_CHECK(ok == 0);
    X509_free(mangled);
    qtb_free(der);

    X509_free(root);
    signed_dispose(&root_d);
}

/*
 * tc26-256-A has cofactor 4: most points on the curve are outside the subgroup of order q and
 * must be refused as keys. Find one from the curve equation (RFC 7836 constants) and try it.
 */
static void test_gost__cofactor_subgroup(void)
{
    const qtb_gost_alg *a = qtb_gost_alg_find("GOST34.10-2015-256");
    BIGNUM *p = NULL, *ca = NULL, *cb = NULL, *q = NULL, *x = BN_new(), *y = BN_new();
    BN_CTX *ctx = BN_CTX_new();
    QTB_REQUIRE(x != NULL && y != NULL && ctx != NULL);
    QTB_REQUIRE(BN_hex2bn(&p, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97") >
                0);
    QTB_REQUIRE(BN_hex2bn(&ca, "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335") >
                0);
    QTB_REQUIRE(BN_hex2bn(&cb, "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513") >
                0);
    QTB_REQUIRE(BN_hex2bn(&q, "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67") >
                0);
    EC_GROUP *g = EC_GROUP_new_curve_GFp(p, ca, cb, ctx);
    EC_POINT *pt = g != NULL ? EC_POINT_new(g) : NULL;
    EC_POINT *chk = g != NULL ? EC_POINT_new(g) : NULL;
    QTB_REQUIRE(pt != NULL && chk != NULL);
    bool found = false;
    for (unsigned long xi = 1; xi < 200 && !found; xi++) {
        ERR_set_mark();
        int on =
            BN_set_word(x, xi) == 1 && EC_POINT_set_compressed_coordinates(g, pt, x, 0, ctx) == 1;
        ERR_pop_to_mark();
        if (!on || EC_POINT_mul(g, chk, NULL, pt, q, ctx) != 1) {
            continue;
        }
        found = !EC_POINT_is_at_infinity(g, chk);
    }
    QTB_REQUIRE(found);
    unsigned char xy[64];
    QTB_REQUIRE(EC_POINT_get_affine_coordinates(g, pt, x, y, ctx) == 1);
    QTB_REQUIRE(BN_bn2lebinpad(x, xy, 32) == 32 && BN_bn2lebinpad(y, xy + 32, 32) == 32);
    qtb_gost_pubkey k;
    QTB_CHECK(qtb_gost_pubkey_from_raw(&k, a, xy, 64) == QTB_EPARSE);
    QTB_CHECK(strstr(qtb_error_last()->message, "subgroup") != NULL);
    /* Its multiple 4*P is in the subgroup and is accepted (positive twin). */
    BIGNUM *four = BN_new();
    QTB_REQUIRE(four != NULL && BN_set_word(four, 4) == 1);
    QTB_REQUIRE(EC_POINT_mul(g, chk, NULL, pt, four, ctx) == 1);
    QTB_REQUIRE(EC_POINT_get_affine_coordinates(g, chk, x, y, ctx) == 1);
    QTB_REQUIRE(BN_bn2lebinpad(x, xy, 32) == 32 && BN_bn2lebinpad(y, xy + 32, 32) == 32);
    QTB_OK_CALL(qtb_gost_pubkey_from_raw(&k, a, xy, 64));
    memset(xy, 0, 32);
    QTB_CHECK(qtb_gost_pubkey_from_raw(&k, a, xy, 64) == QTB_EPARSE);
    BN_free(four);
    EC_POINT_free(pt);
    EC_POINT_free(chk);
    EC_GROUP_free(g);
    BN_free(p);
    BN_free(ca);
    BN_free(cb);
    BN_free(q);
    BN_free(x);
    BN_free(y);
    BN_CTX_free(ctx);
}

/* Unknown or absent parameter sets and malformed key encodings; never guessed. */
static void test_gost__spki_params(void)
{
    const qtb_gost_alg *a = qtb_gost_alg_find("GOST34.10-2015-512");
    qtb_gost_privkey priv;
    qtb_gost_pubkey pub, out;
    QTB_OK_CALL(qtb_gost_privkey_generate(&priv, a));
    QTB_OK_CALL(qtb_gost_pubkey_from_priv(&pub, &priv));
    qtb_gost_privkey_wipe(&priv);

    X509_PUBKEY *s = make_spki(a->key_oid, a->param_oid, a->dparam_oid, pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&out, s));
    X509_PUBKEY_free(s);
    /* digestParamSet is optional. */
    s = make_spki(a->key_oid, a->param_oid, NULL, pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_OK_CALL(qtb_gost_pubkey_from_spki(&out, s));
    X509_PUBKEY_free(s);

    /* Unknown curve (e.g. tc26-512-B under the Kazakh key OID): unsupported, naming the OID. */
    s = make_spki(a->key_oid, "1.2.398.3.10.1.1.2.2.2", a->dparam_oid, pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_sigalg_gost.handles(s));
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EUNSUPPORTED);
    QTB_CHECK(strstr(qtb_error_last()->message, "1.2.398.3.10.1.1.2.2.2") != NULL);
    X509_PUBKEY_free(s);
    /* A 2004 parameter set under the 2015 key OID. */
    s = make_spki(a->key_oid, "1.2.398.3.10.1.1.1.1.1", NULL, pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EUNSUPPORTED);
    X509_PUBKEY_free(s);
    /* Wrong digest parameter set. */
    s = make_spki(a->key_oid, a->param_oid, "1.2.398.3.10.1.3.1.1.0", pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EUNSUPPORTED);
    QTB_CHECK(strstr(qtb_error_last()->message, "1.2.398.3.10.1.3.1.1.0") != NULL);
    X509_PUBKEY_free(s);
    /* The key not wrapped in an OCTET STRING, or of the other curve's size. */
    s = make_spki(a->key_oid, a->param_oid, NULL, pub.xy, 128, false);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EPARSE);
    X509_PUBKEY_free(s);
    s = make_spki(a->key_oid, a->param_oid, NULL, pub.xy, 64, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EPARSE);
    X509_PUBKEY_free(s);
    /* No parameters at all. */
    s = make_spki(a->key_oid, NULL, NULL, pub.xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_gost_pubkey_from_spki(&out, s) == QTB_EPARSE);
    X509_PUBKEY_free(s);
}

/* Legacy Tumar keys are claimed (so the answer is a clear "unsupported"); RSA keys are not. */
static void test_gost__tumar_and_foreign_keys(void)
{
    static const unsigned char blob[] = {0x06, 0x02, 0x00, 0x00, 'E', 'C', '1', 0};
    X509_PUBKEY *s = make_spki("1.3.6.1.4.1.6801.1.5.8", "1.3.6.1.4.1.6801.1.2.2", NULL, blob,
                               sizeof(blob), false);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(qtb_sigalg_gost.handles(s));
    X509_ALGOR *alg = make_sigalg("1.3.6.1.4.1.6801.1.2.2", false);
    QTB_REQUIRE(alg != NULL);
    int ok = -1;
    QTB_CHECK(qtb_sigalg_gost.verify(&ok, s, alg, blob, sizeof(blob), blob, sizeof(blob)) ==
              QTB_EUNSUPPORTED);
    QTB_CHECK(ok == 0);
    QTB_CHECK(strstr(qtb_error_last()->message, "Tumar") != NULL);
    QTB_CHECK(strstr(qtb_error_last()->message, "1.3.6.1.4.1.6801.1.5.8") != NULL);
    X509_PUBKEY_free(s);
    X509_ALGOR_free(alg);

    /* A Russian GOST key and an RSA key are not ours. */
    unsigned char xy[128] = {3};
    s = make_spki("1.2.643.7.1.1.1.2", "1.2.643.7.1.2.1.2.1", NULL, xy, 128, true);
    QTB_REQUIRE(s != NULL);
    QTB_CHECK(!qtb_sigalg_gost.handles(s));
    qtb_gost_pubkey k;
    QTB_CHECK(qtb_gost_pubkey_from_spki(&k, s) == QTB_EUNSUPPORTED);
    X509_PUBKEY_free(s);
    QTB_NEED_SHARED();
    signed_der rsa_d;
    X509 *rsa = load_cert(&rsa_d, "ca/root_rsa_test.pem");
    QTB_REQUIRE(rsa != NULL);
    QTB_CHECK(!qtb_sigalg_gost.handles(X509_get_X509_PUBKEY(rsa)));
    X509_free(rsa);
    signed_dispose(&rsa_d);
}

/* The signature algorithm must be the key's: mismatches and parameters are errors. */
static void test_gost__sigalg_mismatch(void)
{
    QTB_NEED_SHARED();
    signed_der root_d;
    X509 *root = load_cert(&root_d, "ca/root_test_gost_2022.cer");
    QTB_REQUIRE(root != NULL);
    int ok = -1;
    X509_ALGOR *a2004 = make_sigalg("1.2.398.3.10.1.1.1.2", true);
    X509_ALGOR *a256 = make_sigalg("1.2.398.3.10.1.1.2.3.1", false);
    X509_ALGOR *keyoid = make_sigalg("1.2.398.3.10.1.1.2.2", false);
    X509_ALGOR *sha = make_sigalg("1.2.840.113549.1.1.11", true);
    X509_ALGOR *withint = make_sigalg_int_param("1.2.398.3.10.1.1.2.3.2");
    QTB_REQUIRE(a2004 != NULL && a256 != NULL && keyoid != NULL && sha != NULL && withint != NULL);
    QTB_CHECK(backend_verify(&ok, root, a2004, &root_d) == QTB_EPARSE);
    QTB_CHECK(ok == 0);
    QTB_CHECK(strstr(qtb_error_last()->message, "does not match") != NULL);
    QTB_CHECK(backend_verify(&ok, root, a256, &root_d) == QTB_EPARSE);
    QTB_CHECK(backend_verify(&ok, root, sha, &root_d) == QTB_EUNSUPPORTED);
    QTB_CHECK(backend_verify(&ok, root, withint, &root_d) == QTB_EPARSE);
    QTB_CHECK(ok == 0);
    /* RFC 4490 style: the key algorithm OID as the signature algorithm names the same pair. */
    QTB_OK_CALL(backend_verify(&ok, root, keyoid, &root_d));
    QTB_CHECK(ok == 1);
    X509_ALGOR_free(a2004);
    X509_ALGOR_free(a256);
    X509_ALGOR_free(keyoid);
    X509_ALGOR_free(sha);
    X509_ALGOR_free(withint);
    X509_free(root);
    signed_dispose(&root_d);
}

/* ---- through the shared dispatcher and path validation ----------------------------------------
 */

static X509 *p12_cert(const char *rel, const char *password)
{
    unsigned char *der = NULL;
    size_t len = 0;
    if (read_real(&der, &len, rel) < 0) {
        return NULL;
    }
    qtb_p12 *p12 = NULL;
    int rc = qtb_p12_open(&p12, der, len, password);
    qtb_free(der);
    if (rc < 0) {
        return NULL;
    }
    X509 *x = qtb_p12_cert(p12);
    if (x != NULL) {
        X509_up_ref(x);
    }
    qtb_p12_free(p12);
    return x;
}

static void validate_at(qtb_path_result *r, const char *root, const char *inter, const char *crl,
                        X509 *leaf, const char *when)
{
    char path[3][4096];
    const char *rel[3] = {root, inter, crl};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path[i], sizeof(path[i]), "%s/fixtures-real/%s", qtb_test_shared_dir(), rel[i]);
    }
    int64_t t = 0;
    qtb_trust *trust = NULL;
    int rc = qtb_time_parse_rfc3339(&t, when);
    if (rc == 0) {
        rc = qtb_trust_new(&trust);
    }
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(trust, path[0]);
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(trust, path[1]);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl_file(trust, path[2]);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(r, trust, leaf, NULL, t, t, QTB_PATH_FOR_SIGNING);
    }
    qtb_trust_free(trust);
    if (rc != 0) {
        fprintf(stderr, "  validation did not run: %s\n", qtb_error_last()->message);
        qtb_t_case_failed = 1;
        qtb_path_result_init(r);
    }
}

/* qtb_sig_verify_cert/_crl reach the gost backend (it is first in the list). */
static void test_gost__dispatch(void)
{
    QTB_NEED_SHARED();
    signed_der root_d, inter_d, crl_d, ee_d, i04_d;
    X509 *root = load_cert(&root_d, "ca/root_test_gost_2022.cer");
    X509 *inter = load_cert(&inter_d, "ca/nca_gost2022_test.cer");
    X509 *ee04 = load_cert(&ee_d, "gost/gost2004_legal_ceo_valid_sign_2022.cer");
    X509 *inter04 = load_cert(&i04_d, "ca/nca_gost_test.crt");
    QTB_REQUIRE(root != NULL && inter != NULL && ee04 != NULL && inter04 != NULL);
    QTB_OK_CALL(load_signed(&crl_d, "ca/nca_gost2022_test.crl"));
    const unsigned char *p = crl_d.der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_d.len);
    QTB_REQUIRE(crl != NULL);
    int ok = -1;
    QTB_OK_CALL(qtb_sig_verify_cert(&ok, inter, root));
    QTB_CHECK(ok == 1);
    QTB_OK_CALL(qtb_sig_verify_cert(&ok, inter, inter));
    QTB_CHECK(ok == 0);
    QTB_OK_CALL(qtb_sig_verify_crl(&ok, crl, inter));
    QTB_CHECK(ok == 1);
    QTB_OK_CALL(qtb_sig_verify_crl(&ok, crl, root));
    QTB_CHECK(ok == 0);
    QTB_OK_CALL(qtb_sig_verify_cert(&ok, ee04, inter04));
    QTB_CHECK(ok == 1);
    /* A 2004 certificate checked with a 2015 issuer key: the pair does not match. */
    QTB_CHECK(qtb_sig_verify_cert(&ok, ee04, inter) < 0);
    QTB_CHECK(ok == 0);
    X509_CRL_free(crl);
    X509_free(root);
    X509_free(inter);
    X509_free(ee04);
    X509_free(inter04);
    signed_dispose(&root_d);
    signed_dispose(&inter_d);
    signed_dispose(&crl_d);
    signed_dispose(&ee_d);
    signed_dispose(&i04_d);
}

/* Whole GOST-2015 paths with the real 2026 CRL: a valid key passes, a revoked one fails. */
static void test_gost__path_2015_with_crl(void)
{
    QTB_NEED_SHARED();
    QTB_OK_CALL(qtb_ossl_init());
    X509 *valid = p12_cert("p12/gost2015_individual_valid_2026.p12", "Qwerty12");
    X509 *revoked = p12_cert("p12/gost2015_individual_revoked_2026.p12", "Qwerty12");
    QTB_REQUIRE(valid != NULL && revoked != NULL);
    qtb_path_result r;
    validate_at(&r, "ca/root_test_gost_2022.cer", "ca/nca_gost2022_test.cer",
                "ca/nca_gost2022_test.crl", valid, "2026-09-01T00:00:00Z");
    if (r.indication != QTB_TOTAL_PASSED) {
        fprintf(stderr, "  valid GOST-2015 path: %s\n", r.message);
    }
    QTB_CHECK(r.indication == QTB_TOTAL_PASSED);
    QTB_CHECK(r.chain != NULL && sk_X509_num(r.chain) == 3);
    qtb_path_result_dispose(&r);
    validate_at(&r, "ca/root_test_gost_2022.cer", "ca/nca_gost2022_test.cer",
                "ca/nca_gost2022_test.crl", revoked, "2026-09-01T00:00:00Z");
    QTB_CHECK(r.indication == QTB_TOTAL_FAILED && r.sub == QTB_SUB_REVOKED);
    qtb_path_result_dispose(&r);
    X509_free(valid);
    X509_free(revoked);
}

/* The GOST-2004 path (CryptoPro-A, test-S-box hash) with its 2022 CRL. */
static void test_gost__path_2004_with_crl(void)
{
    QTB_NEED_SHARED();
    signed_der ee_d;
    X509 *ee = load_cert(&ee_d, "gost/gost2004_legal_ceo_valid_sign_2022.cer");
    QTB_REQUIRE(ee != NULL);
    qtb_path_result r;
    validate_at(&r, "ca/root_gost_test.crt", "ca/nca_gost_test.crt", "ca/nca_gost_test.crl", ee,
                "2022-05-01T00:00:00Z");
    if (r.indication != QTB_TOTAL_PASSED) {
        fprintf(stderr, "  GOST-2004 path: %s\n", r.message);
    }
    QTB_CHECK(r.indication == QTB_TOTAL_PASSED);
    qtb_path_result_dispose(&r);
    /* Negative twin: with the 2015 hierarchy as the only anchor there is no path. */
    validate_at(&r, "ca/root_test_gost_2022.cer", "ca/nca_gost2022_test.cer",
                "ca/nca_gost2022_test.crl", ee, "2022-05-01T00:00:00Z");
    QTB_CHECK(r.indication == QTB_INDETERMINATE);
    qtb_path_result_dispose(&r);
    X509_free(ee);
    signed_dispose(&ee_d);
}

/* ---- threads ------------------------------------------------------------------------------------
 */

typedef struct thread_job {
    const qtb_gost_alg *alg;
    int failures;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 8; i++) {
        qtb_gost_privkey k;
        qtb_gost_pubkey p;
        unsigned char msg[300], sig[128];
        size_t sl = 0;
        memset(msg, i, sizeof(msg));
        int ok = -1;
        if (qtb_gost_privkey_generate(&k, job->alg) != 0 ||
            qtb_gost_pubkey_from_priv(&p, &k) != 0 ||
            qtb_gost_sign(sig, sizeof(sig), &sl, &k, msg, sizeof(msg)) != 0 ||
            qtb_gost_verify(&ok, &p, msg, sizeof(msg), sig, sl) != 0 || ok != 1) {
            job->failures++;
        }
        msg[0] ^= 1;
        if (qtb_gost_verify(&ok, &p, msg, sizeof(msg), sig, sl) != 0 || ok != 0) {
            job->failures++;
        }
        qtb_gost_privkey_wipe(&k);
    }
    return NULL;
}

/* The hash tables are built once under pthread_once and nothing else is shared: concurrent
 * signing and verification on every curve, from a fresh process state, agree with themselves. */
static void test_gost__threads(void)
{
    size_t n = 0;
    const qtb_gost_alg *algs = qtb_gost_algs(&n);
    pthread_t th[6];
    thread_job jobs[6];
    for (size_t i = 0; i < 6; i++) {
        jobs[i].alg = &algs[i % n];
        jobs[i].failures = 0;
        QTB_REQUIRE(pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0);
    }
    for (size_t i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        QTB_CHECK(jobs[i].failures == 0);
    }
}

int main(void)
{
    if (qtb_ossl_init() != 0) {
        fprintf(stderr, "qtb_ossl_init: %s\n", qtb_error_last()->message);
        return 1;
    }
    QTB_RUN(test_gost__threads);
    QTB_RUN(test_gost__curve_arithmetic);
    QTB_RUN(test_gost__roundtrip_2004);
    QTB_RUN(test_gost__roundtrip_2015_512);
    QTB_RUN(test_gost__roundtrip_2015_256);
    QTB_RUN(test_gost__digest_length);
    QTB_RUN(test_gost__tc26_256_engine_kat);
    QTB_RUN(test_gost__real_2015_chain);
    QTB_RUN(test_gost__real_p12);
    QTB_RUN(test_gost__real_2004_chain);
    QTB_RUN(test_gost__real_cms_certs);
    QTB_RUN(test_gost__real_ocsp);
    QTB_RUN(test_gost__real_cms_signatures);
    QTB_RUN(test_gost__real_xml_signatures);
    QTB_RUN(test_gost__real_r_s_range);
    QTB_RUN(test_gost__bad_points);
    QTB_RUN(test_gost__cofactor_subgroup);
    QTB_RUN(test_gost__spki_params);
    QTB_RUN(test_gost__tumar_and_foreign_keys);
    QTB_RUN(test_gost__sigalg_mismatch);
    QTB_RUN(test_gost__dispatch);
    QTB_RUN(test_gost__path_2015_with_crl);
    QTB_RUN(test_gost__path_2004_with_crl);
    return qtb_test_done();
}
