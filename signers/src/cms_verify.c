/*
 * CMS SignedData verification (RFC 5652, CAdES-T per RFC 3161 / ETSI EN 319 122): every
 * SignerInfo gets its own verdict, so a message that mixes RSA and GOST signers still says
 * what it can about each. Detached content is read once, in 64 KiB chunks, for all signers.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <qtb/verify.h>

#include "certcache_int.h"
#include "certinfo_int.h"
#include "cms_int.h"
#include "internal.h"
#include "ossl_int.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_int.h"

typedef enum check_state {
    CHECK_NOT_CHECKED = 0,
    CHECK_PASSED,
    CHECK_FAILED,
} check_state;

static const char *check_name(check_state s)
{
    switch (s) {
    case CHECK_PASSED:
        return "PASSED";
    case CHECK_FAILED:
        return "FAILED";
    case CHECK_NOT_CHECKED:
    default:
        return "NOT_CHECKED";
    }
}

/* One SignerInfo (of the document, or of a timestamp token) on its way to a verdict. */
typedef struct signer {
    const qtb_cms_signer_raw *raw;
    const qtb_ber *econtent_type;
    bool decided; /* a verdict is already known (format, unsupported, no certificate) */
    qtb_indication ind;
    qtb_subindication sub;
    char msg[512];
    X509_ALGOR *digest_alg;
    X509_ALGOR *sig_alg;
    char digest_name[64];
    char sig_name[64];
    X509 *cert; /* borrowed from the pool */
    bool md_active;
    qtb_md md;
    const qtb_ber *md_attr; /* the messageDigest value */
    qtb_ber md_attr_store;
    bool has_signing_time;
    int64_t signing_time;
    check_state c_sig, c_digest;
} signer;

static void signer_decide(signer *s, qtb_indication ind, qtb_subindication sub, const char *fmt,
                          ...) QTB_PRINTF(4, 5);

static void signer_decide(signer *s, qtb_indication ind, qtb_subindication sub, const char *fmt,
                          ...)
{
    if (s->decided) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
    s->ind = ind;
    s->sub = sub;
    s->decided = true;
}

static void signer_dispose(signer *s)
{
    X509_ALGOR_free(s->digest_alg);
    X509_ALGOR_free(s->sig_alg);
    if (s->md_active) {
        qtb_md_dispose(&s->md);
    }
    memset(s, 0, sizeof(*s));
}

static int decode_algor(X509_ALGOR **out, const qtb_ber *b)
{
    const unsigned char *p = b->tlv;
    long n = 0;
    if (b->tlv_len > 4096) {
        return QTB_FAIL(QTB_EPARSE, "AlgorithmIdentifier too long");
    }
    n = (long)b->tlv_len;
    *out = d2i_X509_ALGOR(NULL, &p, n);
    if (*out == NULL || p != b->tlv + b->tlv_len) {
        X509_ALGOR_free(*out);
        *out = NULL;
        return QTB_FAIL_SSL(QTB_EPARSE, "malformed AlgorithmIdentifier");
    }
    return 0;
}

/* Seconds since the epoch of a UTCTime or GeneralizedTime TLV; QTB_EPARSE when malformed. */
static int decode_time(int64_t *out, const qtb_ber *b)
{
    if ((b->tag != 0x17 && b->tag != 0x18) || b->tlv_len > 64) {
        return QTB_FAIL(QTB_EPARSE, "not a UTCTime or GeneralizedTime");
    }
    const unsigned char *p = b->tlv;
    ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long)b->tlv_len);
    struct tm tm;
    int ok = t != NULL && p == b->tlv + b->tlv_len && ASN1_TIME_check(t) == 1 &&
             ASN1_TIME_to_tm(t, &tm) == 1;
    ASN1_TIME_free(t);
    if (!ok) {
        ERR_clear_error();
        return QTB_FAIL(QTB_EPARSE, "malformed time value");
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* The single value of an attribute (RFC 5652 §11: these attributes are single-valued). */
static int single_value(qtb_ber *out, const qtb_ber *values, const char *what)
{
    qtb_ber_iter it;
    qtb_ber_iter_init(&it, values, 8);
    int rc = qtb_ber_next(&it, out);
    QTB_TRY(rc);
    if (rc == 0 || it.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "the %s attribute must have exactly one value", what);
    }
    return 0;
}

/*
 * RFC 5652 §5.3 and §11: signedAttrs, when present, carry exactly one contentType equal to
 * eContentType and exactly one messageDigest; signingTime, if any, once and well formed; a
 * countersignature is never a signed attribute.
 */
static int check_signed_attrs(signer *s)
{
    const qtb_cms_signer_raw *r = s->raw;
    if (r->signed_attrs.indefinite) {
        return QTB_FAIL(QTB_EPARSE, "signedAttrs are not DER (indefinite length)");
    }
    int n_ct = 0, n_md = 0, n_st = 0;
    qtb_ber_iter it;
    qtb_ber attr;
    qtb_ber_iter_init(&it, &r->signed_attrs, 6);
    for (;;) {
        int rc = qtb_ber_next(&it, &attr);
        QTB_TRY(rc);
        if (rc == 0) {
            break;
        }
        qtb_ber_iter ait;
        qtb_ber type, values, v;
        qtb_ber_iter_init(&ait, &attr, 7);
        if (attr.tag != 0x30 || qtb_ber_next(&ait, &type) != 1 || type.tag != 0x06 ||
            qtb_ber_next(&ait, &values) != 1 || values.tag != 0x31 || ait.left != 0) {
            return QTB_FAIL(QTB_EPARSE, "malformed signed attribute");
        }
        if (QTB_OID_EQ(&type, qtb_oid_content_type)) {
            n_ct++;
            QTB_TRY(single_value(&v, &values, "contentType"));
            if (v.tag != 0x06 || v.val_len != s->econtent_type->val_len ||
                memcmp(v.val, s->econtent_type->val, v.val_len) != 0) {
                return QTB_FAIL(QTB_EPARSE, "the contentType attribute differs from eContentType");
            }
        } else if (QTB_OID_EQ(&type, qtb_oid_message_digest)) {
            n_md++;
            QTB_TRY(single_value(&s->md_attr_store, &values, "messageDigest"));
            if (s->md_attr_store.tag != 0x04) {
                return QTB_FAIL(QTB_EPARSE, "the messageDigest attribute is not an OCTET STRING");
            }
            s->md_attr = &s->md_attr_store;
        } else if (QTB_OID_EQ(&type, qtb_oid_signing_time)) {
            n_st++;
            QTB_TRY(single_value(&v, &values, "signingTime"));
            if (decode_time(&s->signing_time, &v) < 0) {
                return QTB_FAIL(QTB_EPARSE, "the signingTime attribute is malformed");
            }
            s->has_signing_time = true;
        } else if (QTB_OID_EQ(&type, qtb_oid_countersignature)) {
            return QTB_FAIL(QTB_EPARSE, "a countersignature cannot be a signed attribute");
        }
    }
    if (n_ct != 1) {
        return QTB_FAIL(QTB_EPARSE, "signedAttrs must hold one contentType attribute, not %d",
                        n_ct);
    }
    if (n_md != 1) {
        return QTB_FAIL(QTB_EPARSE, "signedAttrs must hold one messageDigest attribute, not %d",
                        n_md);
    }
    if (n_st > 1) {
        return QTB_FAIL(QTB_EPARSE, "signedAttrs hold %d signingTime attributes", n_st);
    }
    return 0;
}

static bool cert_matches(X509 *c, const qtb_cms_signer_raw *r, const X509_NAME *issuer,
                         const ASN1_INTEGER *serial)
{
    if (r->sid_is_ski) {
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
        return ski != NULL && (size_t)ASN1_STRING_length(ski) == r->sid_ski.val_len &&
               memcmp(ASN1_STRING_get0_data(ski), r->sid_ski.val, r->sid_ski.val_len) == 0;
    }
    return X509_NAME_cmp(X509_get_issuer_name(c), issuer) == 0 &&
           ASN1_INTEGER_cmp(X509_get0_serialNumber(c), serial) == 0;
}

/* The signer's certificate: among the CMS certificates first, then the trust set. */
static X509 *find_cert(const qtb_cms_signer_raw *r, STACK_OF(X509) * pool, const qtb_trust *t,
                       const qtb_trust *signer_certs)
{
    X509_NAME *issuer = NULL;
    ASN1_INTEGER *serial = NULL;
    X509 *found = NULL;
    if (!r->sid_is_ski) {
        const unsigned char *p = r->sid_issuer.tlv;
        issuer = d2i_X509_NAME(NULL, &p, (long)r->sid_issuer.tlv_len);
        p = r->sid_serial.tlv;
        serial = d2i_ASN1_INTEGER(NULL, &p, (long)r->sid_serial.tlv_len);
        if (issuer == NULL || serial == NULL) {
            ERR_clear_error();
            goto done;
        }
    }
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *c = sk_X509_value(pool, i);
        if (cert_matches(c, r, issuer, serial)) {
            found = c;
            goto done;
        }
    }
    /* Not among the anchors: a trust anchor identifies a CA, not a signer (the certificates
     * given as untrusted may). */
    for (size_t k = 0; k < 2; k++) {
        const qtb_trust *set = k == 0 ? t : signer_certs;
        for (size_t i = 0; i < qtb_trust_untrusted_count(set); i++) {
            X509 *c = qtb_trust_untrusted_get(set, i);
            if (cert_matches(c, r, issuer, serial)) {
                found = c;
                goto done;
            }
        }
    }
done:
    X509_NAME_free(issuer);
    ASN1_INTEGER_free(serial);
    return found;
}

/*
 * The algorithm to hand to the signature backend. CMS often names only the key type
 * (rsaEncryption, ecPublicKey, dsa) and takes the hash from digestAlgorithm (RFC 3370 §3,
 * RFC 5753 §7.1.3); the backends want the combined signature algorithm.
 */
static int effective_sig_alg(X509_ALGOR **out, const X509_ALGOR *sig_alg,
                             const X509_ALGOR *digest_alg)
{
    const ASN1_OBJECT *sobj = NULL, *dobj = NULL;
    X509_ALGOR_get0(&sobj, NULL, NULL, sig_alg);
    X509_ALGOR_get0(&dobj, NULL, NULL, digest_alg);
    int snid = OBJ_obj2nid(sobj);
    int dnid = OBJ_obj2nid(dobj);
    int combined = NID_undef;
    int ptype = V_ASN1_UNDEF;
    if (snid == NID_rsaEncryption || snid == NID_X9_62_id_ecPublicKey || snid == NID_dsa) {
        if (dnid == NID_undef || OBJ_find_sigid_by_algs(&combined, dnid, snid) != 1) {
            return QTB_FAIL(QTB_EUNSUPPORTED, "no signature algorithm for %s with %s",
                            OBJ_nid2sn(snid),
                            dnid == NID_undef ? "an unknown digest" : OBJ_nid2sn(dnid));
        }
        ptype = snid == NID_rsaEncryption ? V_ASN1_NULL : V_ASN1_UNDEF;
        *out = X509_ALGOR_new();
        if (*out == NULL || X509_ALGOR_set0(*out, OBJ_nid2obj(combined), ptype, NULL) != 1) {
            X509_ALGOR_free(*out);
            *out = NULL;
            return QTB_FAIL(QTB_ENOMEM, "out of memory for an algorithm identifier");
        }
        return 0;
    }
    *out = X509_ALGOR_dup(sig_alg);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for an algorithm identifier");
    }
    return 0;
}

/*
 * RFC 5652 §11.1-11.4: contentType, messageDigest and signingTime MUST NOT be unsigned
 * attributes (an attacker could add them freely there), and an unsigned attribute must still
 * be well formed.
 */
static int check_unsigned_attrs(const qtb_cms_signer_raw *r)
{
    qtb_ber_iter it;
    qtb_ber attr;
    qtb_ber_iter_init(&it, &r->unsigned_attrs, 6);
    for (;;) {
        int rc = qtb_ber_next(&it, &attr);
        QTB_TRY(rc);
        if (rc == 0) {
            return 0;
        }
        qtb_ber_iter ait;
        qtb_ber type, values;
        qtb_ber_iter_init(&ait, &attr, 7);
        if (attr.tag != 0x30 || qtb_ber_next(&ait, &type) != 1 || type.tag != 0x06 ||
            qtb_ber_next(&ait, &values) != 1 || values.tag != 0x31 || ait.left != 0) {
            return QTB_FAIL(QTB_EPARSE, "malformed unsigned attribute");
        }
        if (QTB_OID_EQ(&type, qtb_oid_content_type) || QTB_OID_EQ(&type, qtb_oid_message_digest) ||
            QTB_OID_EQ(&type, qtb_oid_signing_time)) {
            return QTB_FAIL(QTB_EPARSE, "contentType, messageDigest and signingTime must be "
                                        "signed attributes, not unsigned ones");
        }
    }
}

/*
 * Everything that does not need the content: algorithms, signed attributes, the certificate,
 * and the digest context. Problems become the signer's verdict; only ENOMEM is returned.
 */
static int signer_prepare(signer *s, const qtb_cms_signer_raw *raw, const qtb_ber *econtent_type,
                          STACK_OF(X509) * pool, const qtb_trust *t, const qtb_trust *signer_certs)
{
    memset(s, 0, sizeof(*s));
    s->raw = raw;
    s->econtent_type = econtent_type;
    if (decode_algor(&s->digest_alg, &raw->digest_alg) < 0 ||
        decode_algor(&s->sig_alg, &raw->sig_alg) < 0) {
        signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", qtb_error_last()->message);
        return 0;
    }
    qtb_algor_name(s->digest_name, sizeof(s->digest_name), s->digest_alg);
    qtb_algor_name(s->sig_name, sizeof(s->sig_name), s->sig_alg);
    /* Looked up first: the report names the signer even when its algorithm is unsupported. */
    s->cert = find_cert(raw, pool, t, signer_certs);
    if (raw->has_signed_attrs) {
        if (check_signed_attrs(s) < 0) {
            signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s",
                          qtb_error_last()->message);
            return 0;
        }
    } else if (!QTB_OID_EQ(econtent_type, qtb_oid_data)) {
        /* RFC 5652 §5.3: signedAttrs MUST be present when eContentType is not id-data. */
        signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "content type is not id-data but the signer has no signed attributes");
        return 0;
    }
    if (raw->has_unsigned_attrs && check_unsigned_attrs(raw) < 0) {
        signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", qtb_error_last()->message);
        return 0;
    }
    int rc = qtb_md_init(&s->md, s->digest_alg);
    if (rc == QTB_ENOMEM) {
        return rc;
    }
    if (rc == QTB_EUNSUPPORTED) {
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE, "%s",
                      qtb_error_last()->message);
        return 0;
    }
    if (rc < 0) {
        signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", qtb_error_last()->message);
        return 0;
    }
    s->md_active = true;
    if (s->cert == NULL) {
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_NO_SIGNING_CERTIFICATE_FOUND,
                      "the signer's certificate is neither in the CMS nor in the trust set");
    }
    return 0;
}

/* Check messageDigest and the signature value, given the content (or its digest). */
static int signer_check_crypto(signer *s, const unsigned char *content, size_t content_len,
                               bool have_content_bytes)
{
    int rc = 0;
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t dlen = 0;
    unsigned char *tbs_copy = NULL;
    X509_ALGOR *alg = NULL;
    if (s->decided) {
        return 0;
    }
    rc = qtb_md_final(&s->md, digest, &dlen);
    if (rc < 0) {
        return rc;
    }
    const unsigned char *tbs = NULL;
    size_t tbs_len = 0;
    if (s->raw->has_signed_attrs) {
        if (s->md_attr->val_len != dlen || CRYPTO_memcmp(s->md_attr->val, digest, dlen) != 0) {
            s->c_digest = CHECK_FAILED;
            signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_HASH_FAILURE,
                          "the content's %s digest does not match the messageDigest attribute",
                          s->digest_name);
            return 0;
        }
        s->c_digest = CHECK_PASSED;
        /* RFC 5652 §5.4: the signature covers the DER of the SET as received, tag 0x31. */
        tbs_copy = qtb_malloc(s->raw->signed_attrs.tlv_len);
        if (tbs_copy == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory for signed attributes");
        }
        memcpy(tbs_copy, s->raw->signed_attrs.tlv, s->raw->signed_attrs.tlv_len);
        tbs_copy[0] = 0x31;
        tbs = tbs_copy;
        tbs_len = s->raw->signed_attrs.tlv_len;
    } else {
        if (!have_content_bytes) {
            signer_decide(s, QTB_INDETERMINATE, QTB_SUB_SIGNED_DATA_NOT_FOUND,
                          "the content is needed to check a signer without signed attributes");
            return 0;
        }
        tbs = content;
        tbs_len = content_len;
    }
    rc = effective_sig_alg(&alg, s->sig_alg, s->digest_alg);
    if (rc == QTB_ENOMEM) {
        goto done;
    }
    if (rc < 0) {
        rc = 0;
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE, "%s",
                      qtb_error_last()->message);
        goto done;
    }
    int ok = 0;
    rc = qtb_sig_verify(&ok, X509_get_X509_PUBKEY(s->cert), alg, tbs, tbs_len, s->raw->sig.val,
                        s->raw->sig.val_len);
    if (rc == QTB_ENOMEM) {
        goto done;
    }
    if (rc == QTB_EUNSUPPORTED) {
        rc = 0;
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE,
                      "signature algorithm %s is not supported: %s", s->sig_name,
                      qtb_error_last()->message);
        goto done;
    }
    if (rc < 0 || ok != 1) {
        rc = 0;
        s->c_sig = CHECK_FAILED;
        signer_decide(s, QTB_TOTAL_FAILED, QTB_SUB_SIG_CRYPTO_FAILURE,
                      "the %s signature value does not verify with the signer's key", s->sig_name);
        goto done;
    }
    s->c_sig = CHECK_PASSED;
done:
    X509_ALGOR_free(alg);
    qtb_free(tbs_copy);
    return rc;
}

/* ---- content ------------------------------------------------------------------------------ */

typedef struct feed_ctx {
    signer *signers;
    size_t n;
    qtb_buf *keep; /* also collect the bytes (signers without signed attributes), or NULL */
} feed_ctx;

static int feed(void *vctx, const unsigned char *p, size_t n)
{
    feed_ctx *f = vctx;
    for (size_t i = 0; i < f->n; i++) {
        if (f->signers[i].md_active && !f->signers[i].decided) {
            QTB_TRY(qtb_md_update(&f->signers[i].md, p, n));
        }
    }
    if (f->keep != NULL) {
        QTB_TRY(qtb_buf_put(f->keep, p, n));
    }
    return 0;
}

static int feed_file(feed_ctx *f, const char *path)
{
    return qtb_stream_file(path, feed, f);
}

/* ---- timestamps (CAdES-T) ------------------------------------------------------------------- */

typedef struct ts_result {
    bool present;
    bool valid;
    int64_t gen_time;
    json_t *obj;
} ts_result;

static int json_set_str(json_t *o, const char *k, const char *v)
{
    if (json_object_set_new(o, k, v ? qtb_json_string_lossy(v) : json_null()) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
    }
    return 0;
}

static int json_set_time(json_t *o, const char *k, int64_t t, bool present)
{
    char buf[40];
    if (!present) {
        return json_set_str(o, k, NULL);
    }
    qtb_time_rfc3339(buf, sizeof(buf), t);
    return json_set_str(o, k, buf);
}

static int subject_json(json_t **out, qtb_cert_cache *cache, X509 *c)
{
    return qtb_cert_cache_subject(out, cache, c);
}

/*
 * TSTInfo ::= SEQUENCE { version, policy, messageImprint MessageImprint, serialNumber,
 *   genTime GeneralizedTime, ... }                                         RFC 3161 §2.4.2
 * The imprint must be the hash of the signature value (ETSI EN 319 122-1 §5.4.1).
 */
static int check_tst_info(ts_result *ts, const unsigned char *tst, size_t tst_len,
                          const qtb_ber *sig_value, char *why, size_t why_cap)
{
    qtb_ber info, e, imprint_alg, imprint;
    qtb_ber_iter it, mit;
    if (qtb_ber_read(&info, tst, tst_len, 4) < 0 || info.tag != 0x30 || info.tlv_len != tst_len) {
        snprintf(why, why_cap, "TSTInfo is malformed");
        return 0;
    }
    qtb_ber_iter_init(&it, &info, 5);
    if (qtb_ber_next(&it, &e) != 1 || e.tag != 0x02 || qtb_ber_next(&it, &e) != 1 ||
        e.tag != 0x06) {
        snprintf(why, why_cap, "TSTInfo is malformed (version, policy)");
        return 0;
    }
    char policy[128] = "";
    ASN1_OBJECT *pol = NULL;
    const unsigned char *p = e.tlv;
    pol = d2i_ASN1_OBJECT(NULL, &p, (long)e.tlv_len);
    if (pol != NULL) {
        OBJ_obj2txt(policy, sizeof(policy), pol, 1);
        ASN1_OBJECT_free(pol);
    }
    QTB_TRY(json_set_str(ts->obj, "policy", policy));
    qtb_ber mi;
    if (qtb_ber_next(&it, &mi) != 1 || mi.tag != 0x30) {
        snprintf(why, why_cap, "TSTInfo has no messageImprint");
        return 0;
    }
    qtb_ber_iter_init(&mit, &mi, 6);
    if (qtb_ber_next(&mit, &imprint_alg) != 1 || imprint_alg.tag != 0x30 ||
        qtb_ber_next(&mit, &imprint) != 1 || imprint.tag != 0x04 || mit.left != 0) {
        snprintf(why, why_cap, "TSTInfo messageImprint is malformed");
        return 0;
    }
    qtb_ber serial, gen;
    if (qtb_ber_next(&it, &serial) != 1 || serial.tag != 0x02 || qtb_ber_next(&it, &gen) != 1 ||
        gen.tag != 0x18 || decode_time(&ts->gen_time, &gen) < 0) {
        snprintf(why, why_cap, "TSTInfo serialNumber or genTime is malformed");
        return 0;
    }
    QTB_TRY(json_set_time(ts->obj, "genTime", ts->gen_time, true));
    X509_ALGOR *alg = NULL;
    if (decode_algor(&alg, &imprint_alg) < 0) {
        snprintf(why, why_cap, "messageImprint algorithm is malformed");
        return 0;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    size_t dlen = 0;
    int rc = qtb_md_digest(d, &dlen, alg, sig_value->val, sig_value->val_len);
    char name[64];
    qtb_algor_name(name, sizeof(name), alg);
    X509_ALGOR_free(alg);
    if (rc == QTB_ENOMEM) {
        return rc;
    }
    if (rc < 0) {
        snprintf(why, why_cap, "messageImprint: %s", qtb_error_last()->message);
        return QTB_EUNSUPPORTED;
    }
    if (imprint.val_len != dlen || CRYPTO_memcmp(imprint.val, d, dlen) != 0) {
        snprintf(why, why_cap, "the timestamp's %s messageImprint is not over this signature",
                 name);
        return 0;
    }
    return 1;
}

static int load_certs(STACK_OF(X509) * *out, const qtb_cms_raw *raw, qtb_cert_cache *cache,
                      char *why, size_t why_cap);

/*
 * Verify one RFC 3161 token: its own SignedData and signer, the TSA certificate path at
 * genTime, the timeStamping EKU, and the imprint over `sig_value`. Sets ts->valid.
 */
static int verify_token(ts_result *ts, const qtb_ber *token, const qtb_ber *sig_value,
                        const qtb_trust *t, qtb_cert_cache *cache, int64_t now, unsigned flags)
{
    int rc = 0;
    char why[512] = "";
    const char *indication = "FAILED";
    qtb_cms_raw *raw = NULL;
    STACK_OF(X509) *certs = NULL;
    signer s;
    bool have_signer = false;
    qtb_path_result pr;
    qtb_path_result_init(&pr);

    raw = qtb_calloc(1, sizeof(*raw));
    if (raw == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory for a timestamp");
        goto done;
    }
    if (qtb_cms_parse(raw, token->tlv, token->tlv_len) < 0) {
        snprintf(why, sizeof(why), "timestamp token: %s", qtb_error_last()->message);
        goto done;
    }
    if (!QTB_OID_EQ(&raw->econtent_type, qtb_oid_tst_info) || !raw->has_econtent ||
        raw->econtent.constructed || raw->nsigners != 1) {
        snprintf(why, sizeof(why), "timestamp token is not one signed TSTInfo");
        goto done;
    }
    rc = load_certs(&certs, raw, cache, why, sizeof(why));
    if (rc < 0 || certs == NULL) {
        goto done;
    }
    QTB_TRY_GOTO(signer_prepare(&s, &raw->signers[0], &raw->econtent_type, certs, t, NULL));
    have_signer = true;
    if (!s.decided && !raw->signers[0].has_signed_attrs) {
        /* RFC 3161 §2.4.2: the TSTInfo is signed through signed attributes (ESSCertID). */
        signer_decide(&s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "timestamp token has no signed attributes");
    }
    if (!s.decided) {
        QTB_TRY_GOTO(qtb_md_update(&s.md, raw->econtent.val, raw->econtent.val_len));
        QTB_TRY_GOTO(signer_check_crypto(&s, raw->econtent.val, raw->econtent.val_len, true));
    }
    if (s.decided) {
        indication = s.ind == QTB_INDETERMINATE ? "INDETERMINATE" : "FAILED";
        snprintf(why, sizeof(why), "timestamp signature: %.400s", s.msg);
        goto done;
    }
    rc = check_tst_info(ts, raw->econtent.val, raw->econtent.val_len, sig_value, why, sizeof(why));
    if (rc == QTB_EUNSUPPORTED) {
        rc = 0;
        indication = "INDETERMINATE";
        goto done;
    }
    if (rc <= 0) {
        goto done;
    }
    rc = 0;
    json_t *tsa = NULL;
    QTB_TRY_GOTO(subject_json(&tsa, cache, s.cert));
    if (json_object_set_new(ts->obj, "tsa", tsa) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        goto done;
    }
    /* RFC 3161 §2.3: the TSA certificate has the one EKU id-kp-timeStamping. */
    if ((X509_get_extended_key_usage(s.cert) & XKU_TIMESTAMP) == 0) {
        snprintf(why, sizeof(why), "the TSA certificate lacks the timeStamping extended key usage");
        goto done;
    }
    if (t == NULL) {
        indication = "INDETERMINATE";
        snprintf(why, sizeof(why), "no trust anchors were given for the TSA certificate");
        goto done;
    }
    if ((flags & QTB_VERIFY_NO_CHAIN) != 0) {
        indication = "INDETERMINATE";
        snprintf(why, sizeof(why), "TSA certificate path not checked (no-chain mode)");
        goto done;
    }
    QTB_TRY_GOTO(qtb_trust_validate(&pr, t, s.cert, certs, ts->gen_time, now, 0));
    if (pr.indication != QTB_TOTAL_PASSED) {
        indication = pr.indication == QTB_INDETERMINATE ? "INDETERMINATE" : "FAILED";
        snprintf(why, sizeof(why), "TSA certificate: %.400s", pr.message);
        goto done;
    }
    indication = "PASSED";
    ts->valid = true;
    snprintf(why, sizeof(why), "timestamp verified");
done:
    if (rc == 0) {
        rc = json_set_str(ts->obj, "indication", indication);
    }
    if (rc == 0) {
        rc = json_set_str(ts->obj, "message", why);
    }
    qtb_path_result_dispose(&pr);
    if (have_signer) {
        signer_dispose(&s);
    }
    sk_X509_pop_free(certs, X509_free);
    qtb_free(raw);
    return rc;
}

/* The first signature-time-stamp among the unsigned attributes, if any. */
static int check_timestamp(ts_result *ts, const signer *s, const qtb_trust *t,
                           qtb_cert_cache *cache, int64_t now, unsigned flags)
{
    if (!s->raw->has_unsigned_attrs) {
        return 0;
    }
    qtb_ber_iter it;
    qtb_ber attr;
    qtb_ber_iter_init(&it, &s->raw->unsigned_attrs, 6);
    for (;;) {
        int rc = qtb_ber_next(&it, &attr);
        if (rc <= 0) {
            return 0; /* unsigned attributes are not covered: a malformed one is ignored */
        }
        qtb_ber_iter ait;
        qtb_ber type, values, token;
        qtb_ber_iter_init(&ait, &attr, 7);
        if (attr.tag != 0x30 || qtb_ber_next(&ait, &type) != 1 ||
            !QTB_OID_EQ(&type, qtb_oid_timestamp_token) || qtb_ber_next(&ait, &values) != 1 ||
            values.tag != 0x31) {
            continue;
        }
        ts->present = true;
        ts->obj = json_object();
        if (ts->obj == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        }
        if (single_value(&token, &values, "signatureTimeStampToken") < 0) {
            QTB_TRY(json_set_str(ts->obj, "indication", "FAILED"));
            return json_set_str(ts->obj, "message", "timestamp attribute must have one value");
        }
        return verify_token(ts, &token, &s->raw->sig, t, cache, now, flags);
    }
}

/* ---- the document -------------------------------------------------------------------------- */

static int load_certs(STACK_OF(X509) * *out, const qtb_cms_raw *raw, qtb_cert_cache *cache,
                      char *why, size_t why_cap)
{
    *out = sk_X509_new_null();
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for certificates");
    }
    for (size_t i = 0; i < raw->ncerts; i++) {
        X509 *c = NULL;
        int rc = qtb_cert_cache_get(&c, cache, raw->certs[i].tlv, raw->certs[i].tlv_len);
        if (rc == QTB_EPARSE || rc == QTB_ETOOBIG) {
            snprintf(why, why_cap, "embedded certificate %zu is malformed", i + 1);
            sk_X509_pop_free(*out, X509_free);
            *out = NULL;
            return 0;
        }
        if (rc < 0) {
            return rc;
        }
        if (sk_X509_push(*out, c) <= 0) {
            X509_free(c);
            return QTB_FAIL(QTB_ENOMEM, "out of memory for certificates");
        }
    }
    return 0;
}

typedef struct verify_doc {
    qtb_report *rep;
    const qtb_verify_options *opts;
    int64_t now;
    qtb_cms_raw *raw;
    STACK_OF(X509) * certs;
    signer *signers;
    size_t nsigners;
    bool content_bytes;
    const unsigned char *content;
    size_t content_len;
    qtb_buf content_buf;
} verify_doc;

static int feed_content(verify_doc *d)
{
    const qtb_verify_options *o = d->opts;
    bool need_bytes = false;
    for (size_t i = 0; i < d->nsigners; i++) {
        need_bytes = need_bytes || (!d->raw->signers[i].has_signed_attrs && !d->signers[i].decided);
    }
    feed_ctx f = {d->signers, d->nsigners, NULL};
    if (d->raw->has_econtent) {
        if (o->content_path != NULL || o->content != NULL) {
            return QTB_FAIL(QTB_EUSAGE, "the CMS carries its content; detached content was given "
                                        "too");
        }
        if (!d->raw->econtent.constructed) {
            d->content = d->raw->econtent.val;
            d->content_len = d->raw->econtent.val_len;
            d->content_bytes = true;
            return feed(&f, d->content, d->content_len);
        }
        if (need_bytes) {
            f.keep = &d->content_buf;
        }
        QTB_TRY(qtb_ber_octets(&d->raw->econtent, 2, feed, &f));
    } else if (o->content != NULL) {
        d->content = o->content;
        d->content_len = o->content_len;
        d->content_bytes = true;
        return feed(&f, d->content, d->content_len);
    } else if (o->content_path != NULL) {
        if (need_bytes) {
            /* No signed attributes: the signature covers the content itself, so it is held. */
            f.keep = &d->content_buf;
        }
        QTB_TRY(feed_file(&f, o->content_path));
    } else {
        for (size_t i = 0; i < d->nsigners; i++) {
            signer_decide(&d->signers[i], QTB_INDETERMINATE, QTB_SUB_SIGNED_DATA_NOT_FOUND,
                          "detached signature: the signed content was not provided");
        }
        return 0;
    }
    if (f.keep != NULL) {
        d->content = d->content_buf.data;
        d->content_len = d->content_buf.len;
        d->content_bytes = true;
    }
    return 0;
}

static int chain_json(json_t *obj, qtb_cert_cache *cache, STACK_OF(X509) * chain)
{
    json_t *arr = json_array();
    if (arr == NULL || json_object_set_new(obj, "chain", arr) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
    }
    for (int i = 0; i < sk_X509_num(chain); i++) {
        json_t *s = NULL;
        QTB_TRY(subject_json(&s, cache, sk_X509_value(chain, i)));
        if (json_array_append_new(arr, s) != 0) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        }
    }
    return 0;
}

/* After the crypto: timestamp, best signature time, path; then the verdict and its JSON. */
static int finish_signer(verify_doc *d, signer *s, qtb_sig_report *rep)
{
    int rc = 0;
    ts_result ts = {0};
    qtb_path_result pr;
    qtb_path_result_init(&pr);
    check_state c_chain = CHECK_NOT_CHECKED, c_ts = CHECK_NOT_CHECKED;
    int64_t best = d->now;
    json_t *o = rep->obj;

    if (!s->decided) {
        QTB_TRY_GOTO(
            check_timestamp(&ts, s, d->opts->trust, d->opts->cert_cache, d->now, d->opts->flags));
        if (ts.present) {
            c_ts = ts.valid ? CHECK_PASSED : CHECK_FAILED;
        }
        if (ts.valid) {
            best = ts.gen_time;
        }
        if (ts.valid && s->has_signing_time && s->signing_time > ts.gen_time + 300) {
            /* EN 319 102-1 §5.6.2.4: the claimed signing time cannot follow the timestamp. */
            signer_decide(s, QTB_INDETERMINATE, QTB_SUB_TIMESTAMP_ORDER_FAILURE,
                          "signingTime is later than the timestamp's genTime");
        }
    }
    if (!s->decided && (d->opts->flags & QTB_VERIFY_NO_CHAIN) != 0) {
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND,
                      "signature value and digest verified; certificate path not checked "
                      "(no-chain mode)");
    }
    if (!s->decided && d->opts->trust == NULL) {
        signer_decide(s, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND,
                      "signature verified, but no trust anchors were given");
    }
    if (!s->decided) {
        STACK_OF(X509) *extra = d->certs;
        QTB_TRY_GOTO(qtb_trust_validate(&pr, d->opts->trust, s->cert, extra, best, d->now,
                                        QTB_PATH_FOR_SIGNING));
        c_chain = pr.indication == QTB_TOTAL_PASSED ? CHECK_PASSED : CHECK_FAILED;
        if (pr.indication != QTB_TOTAL_PASSED) {
            signer_decide(s, pr.indication, pr.sub, "%s", pr.message);
        }
    }
    if (!s->decided) {
        /* The one path to TOTAL_PASSED. */
        s->ind = QTB_TOTAL_PASSED;
        s->sub = QTB_SUB_NONE;
        snprintf(s->msg, sizeof(s->msg), "signature verified%s",
                 ts.valid ? " at the time of its timestamp" : "");
        s->decided = true;
    }
    QTB_TRY_GOTO(qtb_sig_report_set(rep, s->ind, s->sub, "%s", s->msg));

    QTB_TRY_GOTO(json_set_str(o, "signatureAlgorithm", s->sig_name[0] ? s->sig_name : NULL));
    QTB_TRY_GOTO(json_set_str(o, "digestAlgorithm", s->digest_name[0] ? s->digest_name : NULL));
    QTB_TRY_GOTO(json_set_time(o, "signingTime", s->signing_time, s->has_signing_time));
    QTB_TRY_GOTO(json_set_time(o, "bestSignatureTime", best, true));
    if (json_object_set(o, "timestamp", ts.obj != NULL ? ts.obj : json_null()) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        goto done;
    }
    json_t *signer_obj = NULL;
    if (s->cert != NULL) {
        QTB_TRY_GOTO(qtb_cert_cache_certinfo(&signer_obj, d->opts->cert_cache, s->cert));
    }
    if (json_object_set_new(o, "signer", signer_obj != NULL ? signer_obj : json_null()) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        goto done;
    }
    QTB_TRY_GOTO(chain_json(o, d->opts->cert_cache, pr.chain));
    QTB_TRY_GOTO(qtb_path_result_report(o, c_chain != CHECK_NOT_CHECKED ? &pr : NULL));
    json_t *checks = json_object();
    if (checks == NULL || json_object_set_new(o, "checks", checks) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        goto done;
    }
    QTB_TRY_GOTO(json_set_str(checks, "signatureValue", check_name(s->c_sig)));
    QTB_TRY_GOTO(json_set_str(checks, "messageDigest", check_name(s->c_digest)));
    QTB_TRY_GOTO(json_set_str(checks, "chain", check_name(c_chain)));
    QTB_TRY_GOTO(json_set_str(checks, "timestamp", check_name(c_ts)));
done:
    json_decref(ts.obj);
    qtb_path_result_dispose(&pr);
    return rc;
}

static int verify_parsed(verify_doc *d)
{
    int rc = 0;
    char why[256] = "";
    QTB_TRY(load_certs(&d->certs, d->raw, d->opts->cert_cache, why, sizeof(why)));
    if (d->certs == NULL) {
        return qtb_report_set_document_failure(d->rep, QTB_SUB_FORMAT_FAILURE, "%s", why);
    }
    if (d->raw->nsigners == 0) {
        return qtb_report_set_document_failure(d->rep, QTB_SUB_NO_SIGNATURE_FOUND,
                                               "the CMS has no SignerInfo");
    }
    d->signers = qtb_calloc(d->raw->nsigners, sizeof(*d->signers));
    if (d->signers == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for signers");
    }
    d->nsigners = d->raw->nsigners;
    for (size_t i = 0; i < d->nsigners; i++) {
        QTB_TRY(signer_prepare(&d->signers[i], &d->raw->signers[i], &d->raw->econtent_type,
                               d->certs, d->opts->trust, d->opts->signer_certs));
    }
    QTB_TRY(feed_content(d));
    for (size_t i = 0; i < d->nsigners; i++) {
        QTB_TRY(signer_check_crypto(&d->signers[i], d->content, d->content_len, d->content_bytes));
    }
    for (size_t i = 0; i < d->nsigners; i++) {
        qtb_sig_report *rep = NULL;
        QTB_TRY(qtb_report_add_signature(&rep, d->rep));
        QTB_TRY(finish_signer(d, &d->signers[i], rep));
    }
    return rc;
}

/* The document-level FORMAT_FAILURE for input that is not a CMS SignedData: what it is instead
 * when that can be told (a certificate, a key store, a PDF...), else the parser's reason. */
static int not_a_signature(qtb_report *rep, const char *prefix, const unsigned char *sig,
                           size_t sig_len)
{
    char why[512];
    snprintf(why, sizeof(why), "%s: %s", prefix, qtb_error_last()->message);
    qtb_error_clear();
    char msg[256];
    bool named =
        qtb_wrong_kind(msg, sizeof(msg), sig, sig_len, "a CMS signature", "a CMS signature");
    return qtb_report_set_document_failure(rep, QTB_SUB_FORMAT_FAILURE, "%s", named ? msg : why);
}

static int cms_verify_run(qtb_report **out, const unsigned char *sig, size_t sig_len,
                          const qtb_verify_options *opts)
{
    QTB_ASSERT_ARG(out != NULL && (sig != NULL || sig_len == 0));
    QTB_ASSERT_ARG(opts == NULL || opts->version == QTB_VERIFY_OPTIONS_VERSION);
    static const qtb_verify_options defaults = QTB_VERIFY_OPTIONS_INIT;
    *out = NULL;
    int rc = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    verify_doc d;
    memset(&d, 0, sizeof(d));
    d.opts = opts != NULL ? opts : &defaults;
    d.now = d.opts->at != 0 ? d.opts->at : (int64_t)time(NULL);
    qtb_buf_init(&d.content_buf, QTB_MAX_SIGNATURE_FILE);

    QTB_TRY_GOTO(qtb_ossl_init());
    QTB_TRY_GOTO(qtb_report_new(&d.rep, "CMS"));
    if (sig_len > QTB_MAX_SIGNATURE_FILE) {
        rc = qtb_report_set_document_failure(d.rep, QTB_SUB_FORMAT_FAILURE,
                                             "the signature is larger than %u bytes",
                                             QTB_MAX_SIGNATURE_FILE);
        goto done;
    }
    rc = qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, sig, sig_len);
    if (rc == QTB_ENOMEM) {
        goto done;
    }
    if (rc < 0) {
        rc = not_a_signature(d.rep, "not a CMS signature", sig, sig_len);
        goto done;
    }
    d.raw = qtb_calloc(1, sizeof(*d.raw));
    if (d.raw == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory for a CMS");
        goto done;
    }
    rc = qtb_cms_parse(d.raw, der, der_len);
    if (rc == QTB_ENOMEM) {
        goto done;
    }
    if (rc < 0) {
        rc = not_a_signature(d.rep, "not a valid CMS SignedData", sig, sig_len);
        goto done;
    }
    rc = verify_parsed(&d);
done:
    for (size_t i = 0; i < d.nsigners; i++) {
        signer_dispose(&d.signers[i]);
    }
    qtb_free(d.signers);
    sk_X509_pop_free(d.certs, X509_free);
    qtb_buf_dispose(&d.content_buf);
    qtb_free(d.raw);
    if (owned) {
        qtb_free((void *)der);
    }
    if (rc < 0) {
        qtb_report_free(d.rep);
        return rc;
    }
    *out = d.rep;
    return 0;
}

/* The verification itself, under the crypto policy the caller asked for (sigalg.h). */
int qtb_cms_verify(qtb_report **out, const unsigned char *sig, size_t sig_len,
                   const qtb_verify_options *opts)
{
    unsigned policy =
        opts != NULL && (opts->flags & QTB_VERIFY_ALLOW_WEAK_CRYPTO) ? QTB_SIGPOLICY_LEGACY : 0;
    unsigned previous = qtb_sig_policy_enter(policy);
    int rc = cms_verify_run(out, sig, sig_len, opts);
    qtb_sig_policy_leave(previous);
    return rc;
}
