/*
 * CMS SignedData with a Kazakh GOST key, in Kalkan's format (gost-kz.md; mirrored from the
 * real cms/gost2015_rsa_two_signers_attached.p7s): digestAlgorithm {1.2.398.3.10.1.3.3, NULL}
 * (GOST 34.310-2004: 1.2.398.3.10.1.3.1), signed attributes contentType, signingTime and
 * messageDigest in DER SET order, signatureAlgorithm {1.2.398.3.10.1.1.2.3.2, NULL}
 * (2004: 1.2.398.3.10.1.1.1.2), the signature r||s little-endian in an OCTET STRING, the
 * signer's certificate included. OpenSSL cannot sign with these keys, so the DER is assembled
 * here; a signer added to an existing CMS leaves every byte of the earlier SignerInfos,
 * certificates, CRLs and content as received.
 */
#include <time.h>

#include <openssl/objects.h>

#include <qtb/cms.h>

#include "cms_int.h"
#include "gost.h"
#include "internal.h"
#include "p12_int.h"

/* ---- DER writing ------------------------------------------------------------------------- */

static int put_hdr(qtb_buf *b, uint8_t tag, size_t len)
{
    unsigned char h[6];
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (unsigned char)len;
    } else if (len <= 0xff) {
        h[n++] = 0x81;
        h[n++] = (unsigned char)len;
    } else if (len <= 0xffff) {
        h[n++] = 0x82;
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else if (len <= 0xffffff) {
        h[n++] = 0x83;
        h[n++] = (unsigned char)(len >> 16);
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else if (len <= 0xffffffffu) {
        h[n++] = 0x84;
        h[n++] = (unsigned char)(len >> 24);
        h[n++] = (unsigned char)(len >> 16);
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else {
        return QTB_FAIL(QTB_ETOOBIG, "DER element too long");
    }
    return qtb_buf_put(b, h, n);
}

static int put_tlv(qtb_buf *b, uint8_t tag, const void *val, size_t len)
{
    QTB_TRY(put_hdr(b, tag, len));
    return qtb_buf_put(b, val, len);
}

/* Replace b's contents by TAG LEN contents. */
static int wrap(qtb_buf *b, uint8_t tag)
{
    qtb_buf w;
    qtb_buf_init(&w, b->max);
    int rc = put_tlv(&w, tag, b->data, b->len);
    if (rc < 0) {
        qtb_buf_dispose(&w);
        return rc;
    }
    qtb_buf_dispose(b);
    *b = w;
    return 0;
}

/* The DER of a dotted OID (at most 32 bytes of contents here). */
static int put_oid(qtb_buf *b, const char *dotted)
{
    ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
    if (o == NULL) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "bad OID %s", dotted);
    }
    unsigned char *der = NULL;
    int n = i2d_ASN1_OBJECT(o, &der);
    ASN1_OBJECT_free(o);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_ENOMEM, "cannot encode OID %s", dotted);
    }
    int rc = qtb_buf_put(b, der, (size_t)n);
    OPENSSL_free(der);
    return rc;
}

/* AlgorithmIdentifier { oid, NULL } as Kalkan writes it. */
static int put_algid(qtb_buf *b, const char *dotted)
{
    qtb_buf a;
    qtb_buf_init(&a, 256);
    int rc = put_oid(&a, dotted);
    if (rc == 0) {
        rc = qtb_buf_put(&a, "\x05\x00", 2);
    }
    if (rc == 0) {
        rc = put_tlv(b, 0x30, a.data, a.len);
    }
    qtb_buf_dispose(&a);
    return rc;
}

/* ---- content digest ------------------------------------------------------------------------ */

static int md_feed(void *ctx, const unsigned char *p, size_t n)
{
    qtb_gost_md_update(ctx, p, n);
    return 0;
}

/* ---- the SignerInfo ------------------------------------------------------------------------- */

typedef struct gost_signer {
    const qtb_gost_alg *alg;
    qtb_gost_privkey key;
    X509 *cert;
    unsigned char *cert_der;
    size_t cert_len;
} gost_signer;

static int compare_der(const void *a, const void *b)
{
    const qtb_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    if (c != 0) {
        return c;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * SignerInfo (version 1, issuerAndSerialNumber) over `digest` of the content whose type is the
 * OBJECT IDENTIFIER TLV `ctype`.
 */
static int signer_info(qtb_buf *out, const gost_signer *g, const unsigned char *ctype,
                       size_t ctype_len, const unsigned char *digest, size_t digest_len)
{
    int rc = 0;
    qtb_buf attr[3], attrs, sid, t;
    unsigned char *der = NULL;
    for (size_t i = 0; i < 3; i++) {
        qtb_buf_init(&attr[i], 4096);
    }
    qtb_buf_init(&attrs, 8192);
    qtb_buf_init(&sid, 64 * 1024);
    qtb_buf_init(&t, 4096);

    /* contentType */
    QTB_TRY_GOTO(put_tlv(&t, 0x31, ctype, ctype_len));
    QTB_TRY_GOTO(put_oid(&attr[0], "1.2.840.113549.1.9.3"));
    QTB_TRY_GOTO(qtb_buf_put(&attr[0], t.data, t.len));
    QTB_TRY_GOTO(wrap(&attr[0], 0x30));
    /* signingTime: UTCTime through 2049 (RFC 5652 §11.3), as Kalkan writes it */
    ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
    int n = now != NULL ? i2d_ASN1_TIME(now, &der) : -1;
    ASN1_TIME_free(now);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "cannot encode the signing time");
        goto done;
    }
    t.len = 0;
    QTB_TRY_GOTO(put_tlv(&t, 0x31, der, (size_t)n));
    QTB_TRY_GOTO(put_oid(&attr[1], "1.2.840.113549.1.9.5"));
    QTB_TRY_GOTO(qtb_buf_put(&attr[1], t.data, t.len));
    QTB_TRY_GOTO(wrap(&attr[1], 0x30));
    /* messageDigest */
    t.len = 0;
    QTB_TRY_GOTO(put_tlv(&t, 0x04, digest, digest_len));
    QTB_TRY_GOTO(wrap(&t, 0x31));
    QTB_TRY_GOTO(put_oid(&attr[2], "1.2.840.113549.1.9.4"));
    QTB_TRY_GOTO(qtb_buf_put(&attr[2], t.data, t.len));
    QTB_TRY_GOTO(wrap(&attr[2], 0x30));
    /* DER SET OF: elements in ascending order of their encodings (X.690 §11.6). */
    qsort(attr, 3, sizeof(attr[0]), compare_der);
    for (size_t i = 0; i < 3; i++) {
        QTB_TRY_GOTO(qtb_buf_put(&attrs, attr[i].data, attr[i].len));
    }
    QTB_TRY_GOTO(wrap(&attrs, 0x31)); /* signed as SET OF (RFC 5652 §5.4) */
    unsigned char sig[2 * 64];
    size_t sig_len = 0;
    QTB_TRY_GOTO(qtb_gost_sign(sig, sizeof(sig), &sig_len, &g->key, attrs.data, attrs.len));
    attrs.data[0] = 0xa0; /* stored as [0] IMPLICIT */

    /* version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature */
    QTB_TRY_GOTO(qtb_buf_put(out, "\x02\x01\x01", 3));
    OPENSSL_free(der);
    der = NULL;
    n = i2d_X509_NAME(X509_get_issuer_name(g->cert), &der);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode the issuer name");
        goto done;
    }
    QTB_TRY_GOTO(qtb_buf_put(&sid, der, (size_t)n));
    OPENSSL_free(der);
    der = NULL;
    n = i2d_ASN1_INTEGER(X509_get0_serialNumber(g->cert), &der);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode the serial number");
        goto done;
    }
    QTB_TRY_GOTO(qtb_buf_put(&sid, der, (size_t)n));
    QTB_TRY_GOTO(put_tlv(out, 0x30, sid.data, sid.len));
    QTB_TRY_GOTO(put_algid(out, g->alg->digest_oid));
    QTB_TRY_GOTO(qtb_buf_put(out, attrs.data, attrs.len));
    QTB_TRY_GOTO(put_algid(out, g->alg->sig_oid));
    QTB_TRY_GOTO(put_tlv(out, 0x04, sig, sig_len));
    QTB_TRY_GOTO(wrap(out, 0x30));
done:
    OPENSSL_free(der);
    for (size_t i = 0; i < 3; i++) {
        qtb_buf_dispose(&attr[i]);
    }
    qtb_buf_dispose(&attrs);
    qtb_buf_dispose(&sid);
    qtb_buf_dispose(&t);
    return rc;
}

/* ---- assembling ------------------------------------------------------------------------------ */

static const unsigned char oid_signed_data_tlv[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                    0xf7, 0x0d, 0x01, 0x07, 0x02};
static const unsigned char oid_data_tlv[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                             0xf7, 0x0d, 0x01, 0x07, 0x01};

/* ContentInfo { signedData, [0] { SEQUENCE body } } around the SignedData fields in `sd`. */
static int finish(unsigned char **out, size_t *out_len, qtb_buf *sd)
{
    QTB_TRY(wrap(sd, 0x30));
    QTB_TRY(wrap(sd, 0xa0));
    qtb_buf ci;
    qtb_buf_init(&ci, sd->max);
    int rc = qtb_buf_put(&ci, oid_signed_data_tlv, sizeof(oid_signed_data_tlv));
    if (rc == 0) {
        rc = qtb_buf_put(&ci, sd->data, sd->len);
    }
    if (rc == 0) {
        rc = wrap(&ci, 0x30);
    }
    if (rc < 0) {
        qtb_buf_dispose(&ci);
        return rc;
    }
    *out = qtb_buf_detach(&ci, out_len);
    return 0;
}

static int digest_given_content(unsigned char *d, size_t *dlen, const gost_signer *g,
                                const qtb_cms_sign_options *o)
{
    qtb_gost_md md;
    QTB_TRY(qtb_gost_md_init(&md, g->alg->hash));
    if (o->content_path != NULL) {
        QTB_TRY(qtb_stream_file(o->content_path, md_feed, &md));
    } else if (o->content_len > 0) {
        qtb_gost_md_update(&md, o->content, o->content_len);
    }
    return qtb_gost_md_final(&md, d, QTB_GOST_MAX_DIGEST, dlen);
}

static int sign_new(unsigned char **out, size_t *out_len, const gost_signer *g,
                    const qtb_cms_sign_options *o)
{
    int rc = 0;
    unsigned char d[QTB_GOST_MAX_DIGEST];
    size_t dlen = 0;
    unsigned char *content = NULL;
    size_t content_len = 0;
    qtb_buf sd, part;
    qtb_buf_init(&sd, QTB_MAX_SIGNATURE_FILE);
    qtb_buf_init(&part, QTB_MAX_SIGNATURE_FILE);
    bool attached = (o->flags & QTB_CMS_SIGN_DETACHED) == 0;
    if (attached && o->content_path != NULL) {
        /* Attached content lives in the CMS, which is held in memory anyway. */
        QTB_TRY_GOTO(qtb_file_read(&content, &content_len, o->content_path,
                                   QTB_MAX_SIGNATURE_FILE - 64 * 1024));
        QTB_TRY_GOTO(qtb_gost_digest(d, sizeof(d), &dlen, g->alg->hash, content, content_len));
    } else {
        QTB_TRY_GOTO(digest_given_content(d, &dlen, g, o));
    }
    QTB_TRY_GOTO(qtb_buf_put(&sd, "\x02\x01\x01", 3));
    QTB_TRY_GOTO(put_algid(&part, g->alg->digest_oid));
    QTB_TRY_GOTO(put_tlv(&sd, 0x31, part.data, part.len));
    part.len = 0;
    QTB_TRY_GOTO(qtb_buf_put(&part, oid_data_tlv, sizeof(oid_data_tlv)));
    if (attached) {
        const unsigned char *c = content != NULL ? content : o->content;
        size_t clen = content != NULL ? content_len : o->content_len;
        qtb_buf os;
        qtb_buf_init(&os, QTB_MAX_SIGNATURE_FILE);
        rc = put_tlv(&os, 0x04, c != NULL ? c : (const unsigned char *)"", clen);
        if (rc == 0) {
            rc = put_tlv(&part, 0xa0, os.data, os.len);
        }
        qtb_buf_dispose(&os);
        QTB_TRY_GOTO(rc);
    }
    QTB_TRY_GOTO(put_tlv(&sd, 0x30, part.data, part.len));
    QTB_TRY_GOTO(put_tlv(&sd, 0xa0, g->cert_der, g->cert_len));
    part.len = 0;
    QTB_TRY_GOTO(signer_info(&part, g, oid_data_tlv, sizeof(oid_data_tlv), d, dlen));
    QTB_TRY_GOTO(put_tlv(&sd, 0x31, part.data, part.len));
    rc = finish(out, out_len, &sd);
done:
    qtb_free(content);
    qtb_buf_dispose(&sd);
    qtb_buf_dispose(&part);
    return rc;
}

static int sign_add(unsigned char **out, size_t *out_len, const gost_signer *g,
                    const qtb_cms_sign_options *o)
{
    int rc = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    qtb_cms_raw *raw = NULL;
    qtb_buf sd, part, digests[QTB_MAX_SIGNERS + 1];
    size_t ndigests = 0;
    qtb_buf_init(&sd, QTB_MAX_SIGNATURE_FILE);
    qtb_buf_init(&part, QTB_MAX_SIGNATURE_FILE);
    QTB_TRY_GOTO(
        qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, o->add_to, o->add_to_len));
    /* The same parser as verification first: it rejects what we should not extend. */
    raw = qtb_calloc(1, sizeof(*raw));
    if (raw == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory for a CMS");
        goto done;
    }
    QTB_TRY_GOTO(qtb_cms_parse(raw, der, der_len));
    if (raw->nsigners >= QTB_MAX_SIGNERS) {
        rc = QTB_FAIL(QTB_ETOOBIG, "the CMS already has %zu signers", raw->nsigners);
        goto done;
    }
    unsigned char d[QTB_GOST_MAX_DIGEST];
    size_t dlen = 0;
    if (raw->has_econtent) {
        if (o->content_path != NULL || o->content != NULL) {
            rc = QTB_FAIL(QTB_EUSAGE, "the CMS carries its content; do not give it again");
            goto done;
        }
        qtb_gost_md md;
        QTB_TRY_GOTO(qtb_gost_md_init(&md, g->alg->hash));
        QTB_TRY_GOTO(qtb_ber_octets(&raw->econtent, 2, md_feed, &md));
        QTB_TRY_GOTO(qtb_gost_md_final(&md, d, sizeof(d), &dlen));
    } else {
        if (o->content_path == NULL && o->content == NULL) {
            rc = QTB_FAIL(QTB_EUNSUPPORTED,
                          "the CMS is detached: its content is needed to add a signer");
            goto done;
        }
        QTB_TRY_GOTO(digest_given_content(d, &dlen, g, o));
    }
    /* ContentInfo { OID, [0] { SignedData } }: walk the SignedData's fields as received. */
    qtb_ber ci, e, sdata;
    qtb_ber_iter it;
    QTB_TRY_GOTO(qtb_ber_read(&ci, der, der_len, 0));
    qtb_ber_iter_init(&it, &ci, 1);
    if (qtb_ber_next(&it, &e) != 1 || qtb_ber_next(&it, &e) != 1 || e.tag != 0xa0) {
        rc = QTB_FAIL(QTB_EPARSE, "not a ContentInfo");
        goto done;
    }
    qtb_ber_iter_init(&it, &e, 2);
    if (qtb_ber_next(&it, &sdata) != 1 || sdata.tag != 0x30) {
        rc = QTB_FAIL(QTB_EPARSE, "not a SignedData");
        goto done;
    }
    qtb_ber_iter_init(&it, &sdata, 3);
    qtb_ber version, dalgs, encap, certs = {0}, crls = {0}, sinfos;
    bool has_certs = false, has_crls = false;
    if (qtb_ber_next(&it, &version) != 1 || qtb_ber_next(&it, &dalgs) != 1 ||
        qtb_ber_next(&it, &encap) != 1 || qtb_ber_next(&it, &e) != 1) {
        rc = QTB_FAIL(QTB_EPARSE, "SignedData is truncated");
        goto done;
    }
    if (e.tag == 0xa0) {
        certs = e;
        has_certs = true;
        if (qtb_ber_next(&it, &e) != 1) {
            rc = QTB_FAIL(QTB_EPARSE, "SignedData has no signerInfos");
            goto done;
        }
    }
    if (e.tag == 0xa1) {
        crls = e;
        has_crls = true;
        if (qtb_ber_next(&it, &e) != 1) {
            rc = QTB_FAIL(QTB_EPARSE, "SignedData has no signerInfos");
            goto done;
        }
    }
    sinfos = e;
    if (sinfos.tag != 0x31 || it.left != 0) {
        rc = QTB_FAIL(QTB_EPARSE, "SignedData signerInfos are malformed");
        goto done;
    }
    /* version as received (a v1 SignerInfo never raises it, RFC 5652 §5.1) */
    QTB_TRY_GOTO(qtb_buf_put(&sd, version.tlv, version.tlv_len));
    /* digestAlgorithms: the earlier ones plus ours when new, in DER order */
    qtb_buf mine;
    qtb_buf_init(&mine, 256);
    rc = put_algid(&mine, g->alg->digest_oid);
    bool have_mine = false;
    if (rc == 0) {
        qtb_ber a;
        qtb_ber_iter ait;
        qtb_ber_iter_init(&ait, &dalgs, 3);
        while (rc == 0 && qtb_ber_next(&ait, &a) == 1) {
            if (ndigests >= QTB_MAX_SIGNERS) {
                rc = QTB_FAIL(QTB_ETOOBIG, "too many digest algorithms");
                break;
            }
            qtb_buf_init(&digests[ndigests], 4096);
            rc = qtb_buf_put(&digests[ndigests++], a.tlv, a.tlv_len);
            have_mine =
                have_mine || (a.tlv_len == mine.len && memcmp(a.tlv, mine.data, a.tlv_len) == 0);
        }
    }
    if (rc == 0 && !have_mine) {
        digests[ndigests++] = mine;
    } else {
        qtb_buf_dispose(&mine);
    }
    QTB_TRY_GOTO(rc);
    qsort(digests, ndigests, sizeof(digests[0]), compare_der);
    for (size_t i = 0; i < ndigests; i++) {
        QTB_TRY_GOTO(qtb_buf_put(&part, digests[i].data, digests[i].len));
    }
    QTB_TRY_GOTO(put_tlv(&sd, 0x31, part.data, part.len));
    QTB_TRY_GOTO(qtb_buf_put(&sd, encap.tlv, encap.tlv_len));
    /* certificates: the earlier ones as received, plus ours when it is not among them */
    part.len = 0;
    bool have_cert = false;
    if (has_certs) {
        qtb_ber c;
        qtb_ber_iter cit;
        qtb_ber_iter_init(&cit, &certs, 3);
        while (qtb_ber_next(&cit, &c) == 1) {
            have_cert = have_cert ||
                        (c.tlv_len == g->cert_len && memcmp(c.tlv, g->cert_der, g->cert_len) == 0);
        }
        QTB_TRY_GOTO(qtb_buf_put(&part, certs.val, certs.val_len));
    }
    if (!have_cert) {
        QTB_TRY_GOTO(qtb_buf_put(&part, g->cert_der, g->cert_len));
    }
    QTB_TRY_GOTO(put_tlv(&sd, 0xa0, part.data, part.len));
    if (has_crls) {
        QTB_TRY_GOTO(qtb_buf_put(&sd, crls.tlv, crls.tlv_len));
    }
    /* signerInfos: the earlier ones byte for byte, then ours */
    part.len = 0;
    QTB_TRY_GOTO(qtb_buf_put(&part, sinfos.val, sinfos.val_len));
    qtb_buf si;
    qtb_buf_init(&si, 1u << 20);
    rc = signer_info(&si, g, raw->econtent_type.tlv, raw->econtent_type.tlv_len, d, dlen);
    if (rc == 0) {
        rc = qtb_buf_put(&part, si.data, si.len);
    }
    qtb_buf_dispose(&si);
    QTB_TRY_GOTO(rc);
    QTB_TRY_GOTO(put_tlv(&sd, 0x31, part.data, part.len));
    rc = finish(out, out_len, &sd);
done:
    for (size_t i = 0; i < ndigests; i++) {
        qtb_buf_dispose(&digests[i]);
    }
    qtb_buf_dispose(&sd);
    qtb_buf_dispose(&part);
    qtb_free(raw);
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

int qtb_cms_sign_gost(unsigned char **out, size_t *out_len, const qtb_p12 *key,
                      const qtb_cms_sign_options *o)
{
    int rc = 0;
    gost_signer g;
    memset(&g, 0, sizeof(g));
    g.cert = qtb_p12_cert(key);
    if (g.cert == NULL) {
        return QTB_FAIL(QTB_EPARSE, "the key store holds no certificate");
    }
    QTB_TRY(qtb_gost_signing_key(&g.key, key));
    g.alg = g.key.alg;
    int n = i2d_X509(g.cert, &g.cert_der);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode the certificate");
        goto done;
    }
    g.cert_len = (size_t)n;
    if (o->add_to != NULL) {
        rc = sign_add(out, out_len, &g, o);
    } else {
        rc = sign_new(out, out_len, &g, o);
    }
done:
    OPENSSL_free(g.cert_der);
    qtb_gost_privkey_wipe(&g.key);
    return rc;
}
