/*
 * Signature dispatch: every signature qoltanba checks comes through here and goes to the first
 * backend whose `handles` accepts the key. The signed bytes of certificates and CRLs are taken
 * from their encoding as received (a DER walk), never re-encoded: a re-encoding may differ from
 * what the issuer signed, and the GOST backend needs the exact bytes as well.
 */
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>

#include "internal.h"
#include "sigalg.h"

/*
 * The backends, in the order they are asked. Keep this list the only place that names them:
 * a new backend is one line here and one .c file.
 */
static const qtb_sigalg_ops *const backends[] = {
    &qtb_sigalg_gost, /* Kazakh GOST (and legacy Tumar keys, refused by name) */
    &qtb_sigalg_openssl,
};

void qtb_sigalg_oid_text(char *buf, size_t cap, const ASN1_OBJECT *obj)
{
    if (cap == 0) {
        return;
    }
    buf[0] = '\0';
    if (obj == NULL) {
        snprintf(buf, cap, "(none)");
        return;
    }
    int cap_int = cap > 128 ? 128 : (int)cap;
    if (OBJ_obj2txt(buf, cap_int, obj, 1) <= 0) {
        snprintf(buf, cap, "(unreadable OID)");
    }
}

int qtb_sig_verify(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                   const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                   size_t sig_len)
{
    QTB_ASSERT_ARG(ok != NULL && spki != NULL && sigalg != NULL);
    QTB_ASSERT_ARG(tbs != NULL || tbs_len == 0);
    QTB_ASSERT_ARG(sig != NULL || sig_len == 0);
    *ok = 0;
    for (size_t i = 0; i < QTB_ARRAY_LEN(backends); i++) {
        const qtb_sigalg_ops *b = backends[i];
        if (b->version != QTB_SIGALG_OPS_VERSION || !b->handles(spki)) {
            continue;
        }
        return b->verify(ok, spki, sigalg, tbs, tbs_len, sig, sig_len);
    }
    ASN1_OBJECT *keyalg = NULL;
    char oid[128];
    if (X509_PUBKEY_get0_param(&keyalg, NULL, NULL, NULL, spki) != 1) {
        keyalg = NULL;
    }
    qtb_sigalg_oid_text(oid, sizeof(oid), keyalg);
    return QTB_FAIL(QTB_EUNSUPPORTED, "unsupported public key algorithm %s", oid);
}

/* ---- SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } ------------------------------------- */

int qtb_signed_der_split(qtb_signed_der *out, const unsigned char *der, size_t der_len,
                         bool allow_trailing)
{
    QTB_ASSERT_ARG(out != NULL && der != NULL);
    memset(out, 0, sizeof(*out));
    qtb_reader outer;
    qtb_reader_init(&outer, der, der_len);
    uint8_t tag = 0;
    const unsigned char *body = NULL;
    size_t body_len = 0;
    QTB_TRY(qtb_reader_der_tlv(&outer, &tag, &body, &body_len));
    QTB_ENSURE(tag == 0x30, QTB_EPARSE, "signed object: expected a SEQUENCE, found tag 0x%02x",
               tag);
    QTB_ENSURE(qtb_reader_left(&outer) == 0, QTB_EPARSE, "signed object: trailing bytes");

    qtb_reader r;
    qtb_reader_init(&r, body, body_len);
    const unsigned char *content = NULL;
    size_t clen = 0;

    /* tbs: kept with its tag and length, since the signature covers the whole TLV */
    size_t start = r.pos;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &content, &clen));
    QTB_ENSURE(tag == 0x30, QTB_EPARSE, "signed object: the signed part is not a SEQUENCE");
    out->tbs = body + start;
    out->tbs_len = r.pos - start;
    out->tbs_body = content;
    out->tbs_body_len = clen;

    /* signatureAlgorithm AlgorithmIdentifier */
    start = r.pos;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &content, &clen));
    QTB_ENSURE(tag == 0x30, QTB_EPARSE, "signed object: signatureAlgorithm is not a SEQUENCE");
    out->alg_der = body + start;
    out->alg_der_len = r.pos - start;

    /* signatureValue BIT STRING: X.690 §8.6.2, the first octet counts unused bits */
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &content, &clen));
    QTB_ENSURE(tag == 0x03, QTB_EPARSE, "signed object: signatureValue is not a BIT STRING");
    QTB_ENSURE(clen >= 1 && content[0] == 0, QTB_EPARSE,
               "signed object: signatureValue has unused bits");
    out->sig = content + 1;
    out->sig_len = clen - 1;

    QTB_ENSURE(allow_trailing || qtb_reader_left(&r) == 0, QTB_EPARSE,
               "signed object: unexpected fields after the signature");
    return 0;
}

int qtb_sig_verify_signed_der(int *ok, const qtb_signed_der *sd, const X509_PUBKEY *spki)
{
    QTB_ASSERT_ARG(ok != NULL && sd != NULL && spki != NULL);
    *ok = 0;
    /* An AlgorithmIdentifier is small; the bound also keeps the length cast safe. */
    QTB_ENSURE(sd->alg_der_len <= 4096, QTB_EPARSE, "signed object: oversized signatureAlgorithm");
    const unsigned char *p = sd->alg_der;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)sd->alg_der_len);
    if (alg == NULL || p != sd->alg_der + sd->alg_der_len) {
        X509_ALGOR_free(alg);
        return QTB_FAIL_SSL(QTB_EPARSE, "signed object: unreadable signatureAlgorithm");
    }
    int rc = qtb_sig_verify(ok, spki, alg, sd->tbs, sd->tbs_len, sd->sig, sd->sig_len);
    X509_ALGOR_free(alg);
    return rc;
}

static bool params_absent(const X509_ALGOR *a)
{
    int ptype = V_ASN1_UNDEF;
    X509_ALGOR_get0(NULL, &ptype, NULL, a);
    return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/*
 * The AlgorithmIdentifier inside the signed part must be the outer one (RFC 5280 §4.1.1.2,
 * §5.1.1.2). Absent parameters and NULL parameters count as equal, as BouncyCastle and Kalkan
 * treat them: NCA's GOST 2015 CRLs carry the algorithm without parameters inside and with NULL
 * outside. Anything else must match exactly.
 */
static bool inner_alg_matches(const qtb_signed_der *sd, const unsigned char *inner_alg,
                              size_t inner_len)
{
    if (inner_len == sd->alg_der_len && memcmp(inner_alg, sd->alg_der, inner_len) == 0) {
        return true;
    }
    if (inner_len > 4096 || sd->alg_der_len > 4096) {
        return false;
    }
    const unsigned char *p = inner_alg;
    X509_ALGOR *in = d2i_X509_ALGOR(NULL, &p, (long)inner_len);
    p = sd->alg_der;
    X509_ALGOR *out = d2i_X509_ALGOR(NULL, &p, (long)sd->alg_der_len);
    bool same = false;
    if (in != NULL && out != NULL) {
        const ASN1_OBJECT *oin = NULL, *oout = NULL;
        X509_ALGOR_get0(&oin, NULL, NULL, in);
        X509_ALGOR_get0(&oout, NULL, NULL, out);
        same = OBJ_cmp(oin, oout) == 0 && params_absent(in) && params_absent(out);
    }
    X509_ALGOR_free(in);
    X509_ALGOR_free(out);
    ERR_clear_error();
    return same;
}

/* tbsCertificate: [0] version OPTIONAL, serialNumber, signature AlgorithmIdentifier, ... */
static int cert_inner_alg(const unsigned char **alg, size_t *alg_len, const qtb_signed_der *sd)
{
    qtb_reader r;
    qtb_reader_init(&r, sd->tbs_body, sd->tbs_body_len);
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t clen = 0;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    if (tag == 0xa0) {
        QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    }
    QTB_ENSURE(tag == 0x02, QTB_EPARSE, "tbsCertificate: serialNumber is not an INTEGER");
    size_t start = r.pos;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    QTB_ENSURE(tag == 0x30, QTB_EPARSE, "tbsCertificate: signature is not a SEQUENCE");
    *alg = r.data + start;
    *alg_len = r.pos - start;
    return 0;
}

/* tbsCertList: version INTEGER OPTIONAL, signature AlgorithmIdentifier, ... */
static int crl_inner_alg(const unsigned char **alg, size_t *alg_len, const qtb_signed_der *sd)
{
    qtb_reader r;
    qtb_reader_init(&r, sd->tbs_body, sd->tbs_body_len);
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t clen = 0;
    size_t start = r.pos;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    if (tag == 0x02) {
        start = r.pos;
        QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    }
    QTB_ENSURE(tag == 0x30, QTB_EPARSE, "tbsCertList: signature is not a SEQUENCE");
    *alg = r.data + start;
    *alg_len = r.pos - start;
    return 0;
}

int qtb_sig_verify_cert_der(int *ok, const unsigned char *der, size_t der_len,
                            const X509_PUBKEY *issuer_spki)
{
    QTB_ASSERT_ARG(ok != NULL && der != NULL && issuer_spki != NULL);
    *ok = 0;
    qtb_signed_der sd;
    QTB_TRY(qtb_signed_der_split(&sd, der, der_len, false));
    const unsigned char *inner = NULL;
    size_t inner_len = 0;
    QTB_TRY(cert_inner_alg(&inner, &inner_len, &sd));
    if (!inner_alg_matches(&sd, inner, inner_len)) {
        return QTB_FAIL(QTB_EPARSE,
                        "certificate: signature algorithm differs inside and outside the signed "
                        "part");
    }
    return qtb_sig_verify_signed_der(ok, &sd, issuer_spki);
}

int qtb_sig_verify_crl_der(int *ok, const unsigned char *der, size_t der_len,
                           const X509_PUBKEY *issuer_spki)
{
    QTB_ASSERT_ARG(ok != NULL && der != NULL && issuer_spki != NULL);
    *ok = 0;
    qtb_signed_der sd;
    QTB_TRY(qtb_signed_der_split(&sd, der, der_len, false));
    const unsigned char *inner = NULL;
    size_t inner_len = 0;
    QTB_TRY(crl_inner_alg(&inner, &inner_len, &sd));
    if (!inner_alg_matches(&sd, inner, inner_len)) {
        return QTB_FAIL(QTB_EPARSE,
                        "CRL: signature algorithm differs inside and outside the signed part");
    }
    return qtb_sig_verify_signed_der(ok, &sd, issuer_spki);
}

/*
 * i2d of a certificate or CRL that OpenSSL parsed reproduces the signed part byte for byte
 * (X509_CINF and X509_CRL_INFO keep their received encoding); only the outer wrapper is
 * re-encoded, and it is not signed.
 */
int qtb_sig_verify_cert(int *ok, const X509 *subject, const X509 *issuer)
{
    QTB_ASSERT_ARG(ok != NULL && subject != NULL && issuer != NULL);
    *ok = 0;
    unsigned char *der = NULL;
    int n = i2d_X509(subject, &der);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot encode the certificate");
    }
    int rc = qtb_sig_verify_cert_der(ok, der, (size_t)n, X509_get_X509_PUBKEY(issuer));
    OPENSSL_free(der);
    return rc;
}

int qtb_sig_verify_crl(int *ok, const X509_CRL *crl, const X509 *issuer)
{
    QTB_ASSERT_ARG(ok != NULL && crl != NULL && issuer != NULL);
    *ok = 0;
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot encode the CRL");
    }
    int rc = qtb_sig_verify_crl_der(ok, der, (size_t)n, X509_get_X509_PUBKEY(issuer));
    OPENSSL_free(der);
    return rc;
}

static _Thread_local unsigned tls_policy;

unsigned qtb_sig_policy_enter(unsigned policy)
{
    unsigned previous = tls_policy;
    tls_policy = policy;
    return previous;
}

void qtb_sig_policy_leave(unsigned previous)
{
    tls_policy = previous;
}

unsigned qtb_sig_policy(void)
{
    return tls_policy;
}
