/*
 * Kazakh GOST SubjectPublicKeyInfo decoding and the "gost" signature backend of qtb_sig_verify.
 *
 * OpenSSL parses NCA certificates fine but cannot decode their keys (unknown OIDs), so the SPKI is
 * read here from X509_PUBKEY_get0_param:
 *   algorithm   1.2.398.3.10.1.1.1.1 (2004), .1.2.2 (2015/512), .1.2.1 (2015/256)
 *   parameters  SEQUENCE { publicKeyParamSet OID, digestParamSet OID OPTIONAL }  (RFC 4491 §2.3.1)
 *   key         BIT STRING containing OCTET STRING (X || Y, little-endian)     (RFC 4491 §2.3.2)
 */
#include "gost.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "internal.h"
#include "sigalg.h"

/* Dotted OIDs here are at most a few dozen characters; longer ones are never ours. */
#define GOST_OID_TEXT 128

static int oid_text(char *buf, size_t cap, const ASN1_OBJECT *obj)
{
    int n = OBJ_obj2txt(buf, (int)cap, obj, 1);
    if (n <= 0 || (size_t)n >= cap) {
        return QTB_FAIL_SSL(QTB_EPARSE, "unreadable or oversized OID");
    }
    return 0;
}

/* The next TLV must be an OBJECT IDENTIFIER; its dotted form goes to buf. */
static int read_oid(qtb_reader *r, char *buf, size_t cap)
{
    size_t start = r->pos;
    uint8_t tag = 0;
    const unsigned char *content = NULL;
    size_t clen = 0;
    QTB_TRY(qtb_reader_der_tlv(r, &tag, &content, &clen));
    if (tag != V_ASN1_OBJECT) {
        return QTB_FAIL(QTB_EPARSE, "GOST key parameters: expected an OID, found tag 0x%02x", tag);
    }
    const unsigned char *p = r->data + start;
    long tlv_len = (long)(r->pos - start);
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, tlv_len);
    if (obj == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "GOST key parameters: malformed OID");
    }
    int rc = oid_text(buf, cap, obj);
    ASN1_OBJECT_free(obj);
    return rc;
}

/* The parameter SEQUENCE must name exactly the parameter sets this algorithm is defined with. */
static int check_params(const qtb_gost_alg *alg, const X509_ALGOR *pa)
{
    const ASN1_OBJECT *aobj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(&aobj, &ptype, &pval, pa);
    if (ptype != V_ASN1_SEQUENCE || pval == NULL) {
        return QTB_FAIL(QTB_EPARSE, "%s key without its parameter SEQUENCE", alg->name);
    }
    const ASN1_STRING *seq = pval;
    qtb_reader outer;
    qtb_reader_init(&outer, ASN1_STRING_get0_data(seq), (size_t)ASN1_STRING_length(seq));
    uint8_t tag = 0;
    const unsigned char *content = NULL;
    size_t clen = 0;
    QTB_TRY(qtb_reader_der_tlv(&outer, &tag, &content, &clen));
    if (tag != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) || qtb_reader_left(&outer) != 0) {
        return QTB_FAIL(QTB_EPARSE, "%s key parameters are not one SEQUENCE", alg->name);
    }

    qtb_reader r;
    qtb_reader_init(&r, content, clen);
    char oid[GOST_OID_TEXT];
    QTB_TRY(read_oid(&r, oid, sizeof(oid)));
    if (strcmp(oid, alg->param_oid) != 0) {
        /* Kalkan also knows other curves (e.g. a 384-bit 2004 one): reject, never guess. */
        return QTB_FAIL(QTB_EUNSUPPORTED, "%s key with unsupported parameter set %s", alg->name,
                        oid);
    }
    if (qtb_reader_left(&r) == 0) {
        return 0; /* digestParamSet is optional (RFC 4491 §2.3.1, RFC 7091 §3) */
    }
    QTB_TRY(read_oid(&r, oid, sizeof(oid)));
    if (strcmp(oid, alg->dparam_oid) != 0) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "%s key with unsupported digest parameter set %s",
                        alg->name, oid);
    }
    if (qtb_reader_left(&r) != 0) {
        return QTB_FAIL(QTB_EPARSE, "%s key parameters have unexpected trailing fields", alg->name);
    }
    return 0;
}

/* The algorithm OID of an SPKI as dotted text. */
static int spki_alg_oid(char *buf, size_t cap, const X509_PUBKEY *spki)
{
    ASN1_OBJECT *aobj = NULL;
    if (X509_PUBKEY_get0_param(&aobj, NULL, NULL, NULL, spki) != 1 || aobj == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot read the public key algorithm");
    }
    return oid_text(buf, cap, aobj);
}

static const qtb_gost_alg *alg_by_key_oid(const char *oid)
{
    size_t n = 0;
    const qtb_gost_alg *algs = qtb_gost_algs(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(oid, algs[i].key_oid) == 0) {
            return &algs[i];
        }
    }
    return NULL;
}

int qtb_gost_pubkey_from_spki(qtb_gost_pubkey *out, const X509_PUBKEY *spki)
{
    QTB_ASSERT_ARG(out != NULL && spki != NULL);
    memset(out, 0, sizeof(*out));
    char oid[GOST_OID_TEXT];
    QTB_TRY(spki_alg_oid(oid, sizeof(oid), spki));
    if (qtb_gost_oid_is_tumar(oid)) {
        /* About-2015 Gamma/Tumar certificates: a CryptoAPI key blob, long expired. */
        return QTB_FAIL(QTB_EUNSUPPORTED, "legacy Tumar GOST key algorithm %s is not supported",
                        oid);
    }
    const qtb_gost_alg *alg = alg_by_key_oid(oid);
    if (alg == NULL) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "not a Kazakh GOST key algorithm: %s", oid);
    }

    const unsigned char *bits = NULL;
    int bits_len = 0;
    X509_ALGOR *pa = NULL;
    if (X509_PUBKEY_get0_param(NULL, &bits, &bits_len, &pa, spki) != 1 || pa == NULL ||
        bits == NULL || bits_len < 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot read the %s public key", alg->name);
    }
    QTB_TRY(check_params(alg, pa));

    /* RFC 4491 §2.3.2: the BIT STRING holds a DER OCTET STRING with X || Y. */
    qtb_reader r;
    qtb_reader_init(&r, bits, (size_t)bits_len);
    uint8_t tag = 0;
    const unsigned char *xy = NULL;
    size_t xy_len = 0;
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &xy, &xy_len));
    if (tag != V_ASN1_OCTET_STRING || qtb_reader_left(&r) != 0) {
        return QTB_FAIL(QTB_EPARSE, "%s public key is not a single OCTET STRING", alg->name);
    }
    return qtb_gost_pubkey_from_raw(out, alg, xy, xy_len);
}

/* ---- the qtb_sig_verify backend ----------------------------------------------------------------
 */

static bool gost_handles(const X509_PUBKEY *spki)
{
    char oid[GOST_OID_TEXT];
    ASN1_OBJECT *aobj = NULL;
    if (spki == NULL || X509_PUBKEY_get0_param(&aobj, NULL, NULL, NULL, spki) != 1 ||
        aobj == NULL) {
        return false;
    }
    int n = OBJ_obj2txt(oid, (int)sizeof(oid), aobj, 1);
    if (n <= 0 || (size_t)n >= sizeof(oid)) {
        return false;
    }
    /* Tumar keys are claimed too, so they get a clear "unsupported" instead of a decode error. */
    return alg_by_key_oid(oid) != NULL || qtb_gost_oid_is_tumar(oid);
}

/*
 * The algorithm named by `id` must be the key's own. NCA uses the signature OIDs everywhere
 * (certificates, CRLs, OCSP, CMS); RFC 4490 §3.2 puts the key algorithm OID in a CMS
 * signatureAlgorithm instead, which names the same pair, so it is accepted as well.
 */
static int check_sig_id(const qtb_gost_alg *key_alg, const char *id)
{
    const qtb_gost_alg *sig_alg = NULL;
    if (strcmp(id, key_alg->key_oid) == 0) {
        sig_alg = key_alg;
    } else {
        QTB_TRY(qtb_gost_alg_by_sig(&sig_alg, id));
    }
    if (sig_alg != key_alg) {
        return QTB_FAIL(QTB_EPARSE, "signature algorithm %s (%s) does not match the %s key", id,
                        sig_alg->name, key_alg->name);
    }
    return 0;
}

static const unsigned char empty_input[1] = {0};

int qtb_gost_verify_spki(int *ok, const X509_PUBKEY *spki, const char *sig_id,
                         const unsigned char *data, size_t len, const unsigned char *sig,
                         size_t sig_len)
{
    QTB_ASSERT_ARG(ok != NULL);
    *ok = 0;
    QTB_ASSERT_ARG(spki != NULL && sig_id != NULL);
    QTB_ASSERT_ARG(data != NULL || len == 0);
    QTB_ASSERT_ARG(sig != NULL || sig_len == 0);
    qtb_gost_pubkey key;
    QTB_TRY(qtb_gost_pubkey_from_spki(&key, spki));
    QTB_TRY(check_sig_id(key.alg, sig_id));
    return qtb_gost_verify(ok, &key, data != NULL ? data : empty_input, len,
                           sig != NULL ? sig : empty_input, sig_len);
}

static int gost_verify(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                       const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                       size_t sig_len)
{
    QTB_ASSERT_ARG(ok != NULL);
    *ok = 0;
    QTB_ASSERT_ARG(spki != NULL && sigalg != NULL);
    const ASN1_OBJECT *obj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(&obj, &ptype, &pval, sigalg);
    if (obj == NULL) {
        return QTB_FAIL(QTB_EPARSE, "signature algorithm without an OID");
    }
    char oid[GOST_OID_TEXT];
    QTB_TRY(oid_text(oid, sizeof(oid), obj));
    /* The key is decoded first, so a Tumar key is named as such whatever the algorithm says. */
    qtb_gost_pubkey key;
    QTB_TRY(qtb_gost_pubkey_from_spki(&key, spki));
    QTB_TRY(check_sig_id(key.alg, oid));
    /* GOST signature AlgorithmIdentifiers carry no parameters (absent or NULL). */
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
        return QTB_FAIL(QTB_EPARSE, "signature algorithm %s has unexpected parameters", oid);
    }
    return qtb_gost_verify(ok, &key, tbs != NULL ? tbs : empty_input, tbs_len,
                           sig != NULL ? sig : empty_input, sig_len);
}

const qtb_sigalg_ops qtb_sigalg_gost = {
    .version = QTB_SIGALG_OPS_VERSION,
    .name = "gost",
    .handles = gost_handles,
    .verify = gost_verify,
};
