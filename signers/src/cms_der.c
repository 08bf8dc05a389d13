/*
 * A bounded BER reader and the RFC 5652 SignedData layout on top of it. Nothing is copied:
 * every field points into the caller's bytes, so signatures are checked over what was received.
 */
#include "cms_int.h"
#include "internal.h"

const unsigned char qtb_oid_signed_data[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
const unsigned char qtb_oid_data[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
const unsigned char qtb_oid_content_type[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                               0x0d, 0x01, 0x09, 0x03};
const unsigned char qtb_oid_message_digest[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                 0x0d, 0x01, 0x09, 0x04};
const unsigned char qtb_oid_signing_time[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                               0x0d, 0x01, 0x09, 0x05};
const unsigned char qtb_oid_countersignature[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                   0x0d, 0x01, 0x09, 0x06};
const unsigned char qtb_oid_tst_info[11] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                            0x01, 0x09, 0x10, 0x01, 0x04};
const unsigned char qtb_oid_timestamp_token[11] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                                   0x01, 0x09, 0x10, 0x02, 0x0e};

#define TAG_INTEGER 0x02
#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31
#define TAG_CTX0_CONS 0xa0
#define TAG_CTX1_CONS 0xa1
#define TAG_CTX0_PRIM 0x80

bool qtb_ber_oid_eq(const qtb_ber *oid, const unsigned char *want, size_t want_len)
{
    return oid->tag == TAG_OID && oid->val_len == want_len && memcmp(oid->val, want, want_len) == 0;
}

int qtb_ber_read(qtb_ber *out, const unsigned char *p, size_t len, unsigned depth)
{
    memset(out, 0, sizeof(*out));
    if (depth > QTB_BER_MAX_DEPTH) {
        return QTB_FAIL(QTB_EPARSE, "BER nesting deeper than %u", QTB_BER_MAX_DEPTH);
    }
    if (len < 2) {
        return QTB_FAIL(QTB_EPARSE, "truncated BER element");
    }
    uint8_t tag = p[0];
    if ((tag & 0x1f) == 0x1f) {
        return QTB_FAIL(QTB_EPARSE, "high tag numbers are not used in CMS");
    }
    size_t pos = 1;
    uint8_t l0 = p[pos++];
    out->tag = tag;
    out->constructed = (tag & 0x20) != 0;
    if (l0 == 0x80) {
        /* X.690 §8.1.3.6: indefinite form, constructed only; contents end with 00 00. */
        if (!out->constructed) {
            return QTB_FAIL(QTB_EPARSE, "indefinite length on a primitive element");
        }
        size_t start = pos;
        for (;;) {
            if (len - pos < 2) {
                return QTB_FAIL(QTB_EPARSE, "indefinite-length element has no end-of-contents");
            }
            if (p[pos] == 0 && p[pos + 1] == 0) {
                break;
            }
            qtb_ber child;
            QTB_TRY(qtb_ber_read(&child, p + pos, len - pos, depth + 1));
            pos += child.tlv_len;
        }
        out->indefinite = true;
        out->val = p + start;
        out->val_len = pos - start;
        out->tlv = p;
        out->tlv_len = pos + 2;
        return 0;
    }
    size_t clen = 0;
    if (l0 < 0x80) {
        clen = l0;
    } else {
        size_t n = l0 & 0x7f;
        if (n > sizeof(size_t) || n > 8 || l0 == 0xff) {
            return QTB_FAIL(QTB_EPARSE, "BER length field too long");
        }
        if (len - pos < n) {
            return QTB_FAIL(QTB_EPARSE, "truncated BER length");
        }
        for (size_t i = 0; i < n; i++) {
            if (clen > (SIZE_MAX >> 8)) {
                return QTB_FAIL(QTB_EPARSE, "BER length overflows");
            }
            clen = (clen << 8) | p[pos++];
        }
    }
    if (clen > len - pos) {
        return QTB_FAIL(QTB_EPARSE, "BER element longer than its container");
    }
    out->val = p + pos;
    out->val_len = clen;
    out->tlv = p;
    out->tlv_len = pos + clen;
    return 0;
}

void qtb_ber_iter_init(qtb_ber_iter *it, const qtb_ber *parent, unsigned depth)
{
    it->p = parent->val;
    it->left = parent->val_len;
    it->depth = depth;
}

int qtb_ber_next(qtb_ber_iter *it, qtb_ber *out)
{
    if (it->left == 0) {
        return 0;
    }
    QTB_TRY(qtb_ber_read(out, it->p, it->left, it->depth));
    it->p += out->tlv_len;
    it->left -= out->tlv_len;
    return 1;
}

/* The next child, which must exist and carry `tag`. */
static int expect(qtb_ber_iter *it, qtb_ber *out, uint8_t tag, const char *what)
{
    int rc = qtb_ber_next(it, out);
    QTB_TRY(rc);
    if (rc == 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: %s is missing", what);
    }
    if (out->tag != tag) {
        return QTB_FAIL(QTB_EPARSE, "CMS: %s has tag 0x%02x, expected 0x%02x", what, out->tag, tag);
    }
    return 0;
}

/* Peek: the next child if it has `tag` (then consumed), else leave the iterator alone. */
static int optional(qtb_ber_iter *it, qtb_ber *out, uint8_t tag, bool *present)
{
    *present = false;
    if (it->left == 0 || it->p[0] != tag) {
        return 0;
    }
    int rc = qtb_ber_next(it, out);
    QTB_TRY(rc);
    *present = true;
    return 0;
}

static int small_int(long *out, const qtb_ber *i, const char *what)
{
    if (i->val_len == 0 || i->val_len > 2 || (i->val[0] & 0x80) != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: %s is not a small non-negative INTEGER", what);
    }
    long v = 0;
    for (size_t k = 0; k < i->val_len; k++) {
        v = (v << 8) | i->val[k];
    }
    *out = v;
    return 0;
}

int qtb_ber_octets(const qtb_ber *os, unsigned depth, qtb_ber_octets_cb cb, void *ctx)
{
    if (!os->constructed) {
        return cb(ctx, os->val, os->val_len);
    }
    /* X.690 §8.7.3: a constructed OCTET STRING is a series of OCTET STRING segments. */
    qtb_ber_iter it;
    qtb_ber seg;
    qtb_ber_iter_init(&it, os, depth + 1);
    for (;;) {
        int rc = qtb_ber_next(&it, &seg);
        QTB_TRY(rc);
        if (rc == 0) {
            return 0;
        }
        if ((seg.tag & 0xdf) != TAG_OCTET_STRING) {
            return QTB_FAIL(QTB_EPARSE, "CMS: OCTET STRING segment has tag 0x%02x", seg.tag);
        }
        QTB_TRY(qtb_ber_octets(&seg, depth + 1, cb, ctx));
    }
}

/*
 * SignerInfo ::= SEQUENCE {
 *   version CMSVersion, sid SignerIdentifier, digestAlgorithm DigestAlgorithmIdentifier,
 *   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
 *   signatureAlgorithm SignatureAlgorithmIdentifier, signature SignatureValue,
 *   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }          RFC 5652 §5.3
 */
static int parse_signer(qtb_cms_signer_raw *s, const qtb_ber *seq)
{
    qtb_ber_iter it;
    qtb_ber e;
    qtb_ber_iter_init(&it, seq, 4);
    QTB_TRY(expect(&it, &e, TAG_INTEGER, "SignerInfo version"));
    QTB_TRY(small_int(&s->version, &e, "SignerInfo version"));
    int rc = qtb_ber_next(&it, &e);
    QTB_TRY(rc);
    if (rc == 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: SignerInfo has no sid");
    }
    if (e.tag == TAG_SEQUENCE) {
        /* IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }
         */
        qtb_ber_iter sit;
        qtb_ber_iter_init(&sit, &e, 5);
        QTB_TRY(expect(&sit, &s->sid_issuer, TAG_SEQUENCE, "sid issuer"));
        QTB_TRY(expect(&sit, &s->sid_serial, TAG_INTEGER, "sid serialNumber"));
        if (sit.left != 0) {
            return QTB_FAIL(QTB_EPARSE, "CMS: trailing data in issuerAndSerialNumber");
        }
        s->sid_is_ski = false;
    } else if (e.tag == TAG_CTX0_PRIM) {
        s->sid_ski = e;
        s->sid_is_ski = true;
    } else {
        return QTB_FAIL(QTB_EPARSE, "CMS: SignerIdentifier has tag 0x%02x", e.tag);
    }
    QTB_TRY(expect(&it, &s->digest_alg, TAG_SEQUENCE, "SignerInfo digestAlgorithm"));
    QTB_TRY(optional(&it, &s->signed_attrs, TAG_CTX0_CONS, &s->has_signed_attrs));
    QTB_TRY(expect(&it, &s->sig_alg, TAG_SEQUENCE, "SignerInfo signatureAlgorithm"));
    QTB_TRY(expect(&it, &s->sig, TAG_OCTET_STRING, "SignerInfo signature"));
    QTB_TRY(optional(&it, &s->unsigned_attrs, TAG_CTX1_CONS, &s->has_unsigned_attrs));
    if (it.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: trailing data in SignerInfo");
    }
    /* RFC 5652 §5.3: version 1 goes with issuerAndSerialNumber, 3 with subjectKeyIdentifier. */
    if ((s->version == 1 && s->sid_is_ski) || (s->version == 3 && !s->sid_is_ski) ||
        (s->version != 1 && s->version != 3)) {
        return QTB_FAIL(QTB_EPARSE, "CMS: SignerInfo version %ld does not match its sid",
                        s->version);
    }
    return 0;
}

static int parse_certificates(qtb_cms_raw *out, const qtb_ber *set)
{
    qtb_ber_iter it;
    qtb_ber e;
    qtb_ber_iter_init(&it, set, 3);
    for (;;) {
        int rc = qtb_ber_next(&it, &e);
        QTB_TRY(rc);
        if (rc == 0) {
            return 0;
        }
        /* CertificateChoices: only plain certificates are used; attribute certs are skipped. */
        if (e.tag != TAG_SEQUENCE) {
            continue;
        }
        if (out->ncerts == QTB_MAX_CMS_CERTS) {
            return QTB_FAIL(QTB_ETOOBIG, "CMS carries more than %u certificates",
                            QTB_MAX_CMS_CERTS);
        }
        out->certs[out->ncerts++] = e;
    }
}

/*
 * SignedData ::= SEQUENCE {
 *   version CMSVersion, digestAlgorithms DigestAlgorithmIdentifiers,
 *   encapContentInfo EncapsulatedContentInfo,
 *   certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL, signerInfos SignerInfos }  RFC 5652 §5.1
 */
static int parse_signed_data(qtb_cms_raw *out, const qtb_ber *sd)
{
    qtb_ber_iter it;
    qtb_ber e;
    bool present = false;
    qtb_ber_iter_init(&it, sd, 2);
    QTB_TRY(expect(&it, &e, TAG_INTEGER, "SignedData version"));
    QTB_TRY(small_int(&out->version, &e, "SignedData version"));
    QTB_TRY(expect(&it, &e, TAG_SET, "digestAlgorithms"));
    /* EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0] EXPLICIT OCTET STRING
     * OPTIONAL } */
    QTB_TRY(expect(&it, &e, TAG_SEQUENCE, "encapContentInfo"));
    qtb_ber_iter eit;
    qtb_ber_iter_init(&eit, &e, 3);
    QTB_TRY(expect(&eit, &out->econtent_type, TAG_OID, "eContentType"));
    qtb_ber wrap;
    QTB_TRY(optional(&eit, &wrap, TAG_CTX0_CONS, &present));
    if (present) {
        qtb_ber_iter wit;
        qtb_ber_iter_init(&wit, &wrap, 4);
        int rc = qtb_ber_next(&wit, &out->econtent);
        QTB_TRY(rc);
        if (rc == 0 || (out->econtent.tag & 0xdf) != TAG_OCTET_STRING || wit.left != 0) {
            return QTB_FAIL(QTB_EPARSE, "CMS: eContent is not one OCTET STRING");
        }
        out->has_econtent = true;
    }
    if (eit.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: trailing data in encapContentInfo");
    }
    QTB_TRY(optional(&it, &e, TAG_CTX0_CONS, &present));
    if (present) {
        QTB_TRY(parse_certificates(out, &e));
    }
    QTB_TRY(optional(&it, &e, TAG_CTX1_CONS, &present));
    QTB_TRY(expect(&it, &e, TAG_SET, "signerInfos"));
    if (it.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: trailing data in SignedData");
    }
    qtb_ber_iter sit;
    qtb_ber si;
    qtb_ber_iter_init(&sit, &e, 3);
    for (;;) {
        int rc = qtb_ber_next(&sit, &si);
        QTB_TRY(rc);
        if (rc == 0) {
            break;
        }
        if (si.tag != TAG_SEQUENCE) {
            return QTB_FAIL(QTB_EPARSE, "CMS: SignerInfo %zu is not a SEQUENCE", out->nsigners + 1);
        }
        if (out->nsigners == QTB_MAX_SIGNERS) {
            return QTB_FAIL(QTB_ETOOBIG, "CMS has more than %u signers", QTB_MAX_SIGNERS);
        }
        rc = parse_signer(&out->signers[out->nsigners], &si);
        if (rc < 0) {
            return rc;
        }
        out->nsigners++;
    }
    return 0;
}

int qtb_cms_parse(qtb_cms_raw *out, const unsigned char *der, size_t len)
{
    QTB_ASSERT_ARG(out != NULL && der != NULL);
    memset(out, 0, sizeof(*out));
    qtb_ber ci;
    QTB_TRY(qtb_ber_read(&ci, der, len, 0));
    if (ci.tag != TAG_SEQUENCE) {
        return QTB_FAIL(QTB_EPARSE, "not a CMS ContentInfo (tag 0x%02x)", ci.tag);
    }
    if (ci.tlv_len != len) {
        return QTB_FAIL(QTB_EPARSE, "%zu bytes of trailing data after the CMS", len - ci.tlv_len);
    }
    /* ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY }   RFC 5652 §3 */
    qtb_ber_iter it;
    qtb_ber type;
    qtb_ber wrap;
    qtb_ber sd;
    qtb_ber_iter_init(&it, &ci, 1);
    QTB_TRY(expect(&it, &type, TAG_OID, "contentType"));
    if (!QTB_OID_EQ(&type, qtb_oid_signed_data)) {
        return QTB_FAIL(QTB_EPARSE, "CMS content is not SignedData");
    }
    QTB_TRY(expect(&it, &wrap, TAG_CTX0_CONS, "SignedData content"));
    if (it.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: trailing data in ContentInfo");
    }
    qtb_ber_iter wit;
    qtb_ber_iter_init(&wit, &wrap, 2);
    QTB_TRY(expect(&wit, &sd, TAG_SEQUENCE, "SignedData"));
    if (wit.left != 0) {
        return QTB_FAIL(QTB_EPARSE, "CMS: trailing data after SignedData");
    }
    return parse_signed_data(out, &sd);
}
