/* What a signature file holds, judged from its first bytes; and what a file that is not what a
 * command wanted holds instead, so that the error can say so. */
#include <stdio.h>
#include <string.h>

#include <qtb/verify.h>

#include "cms_int.h"
#include "internal.h"

qtb_sig_kind qtb_detect_signature_kind(const unsigned char *data, size_t len)
{
    if (data == NULL || len == 0) {
        return QTB_SIG_UNKNOWN;
    }
    size_t i = 0;
    /* A UTF-8 byte order mark may precede an XML declaration. */
    if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
        i = 3;
    }
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    if (i == len) {
        return QTB_SIG_UNKNOWN;
    }
    /* XML starts with '<'; CMS is DER (0x30), PEM or bare base64 of DER. */
    return data[i] == '<' ? QTB_SIG_XML : QTB_SIG_CMS;
}

enum { TAG_INTEGER = 0x02, TAG_BIT_STRING = 0x03, TAG_OID = 0x06, TAG_ENUMERATED = 0x0a };
enum { TAG_SEQUENCE = 0x30, TAG_UTC_TIME = 0x17, TAG_GENERALIZED_TIME = 0x18, TAG_CTX0 = 0xa0 };

/* pkcs7-data, -envelopedData, -encryptedData (1.2.840.113549.1.7.x) */
static const unsigned char oid_enveloped[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                               0x0d, 0x01, 0x07, 0x03};
static const unsigned char oid_encrypted[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                               0x0d, 0x01, 0x07, 0x06};

/* Up to `cap` children of a constructed element; how many were read (-1 when malformed). */
static int children(qtb_ber *out, size_t cap, const qtb_ber *parent)
{
    qtb_ber_iter it;
    qtb_ber_iter_init(&it, parent, 1);
    size_t n = 0;
    int rc;
    while (n < cap && (rc = qtb_ber_next(&it, &out[n])) == 1) {
        n++;
    }
    if (n < cap && rc < 0) {
        qtb_error_clear();
        return -1;
    }
    return (int)n;
}

static bool is_time(const qtb_ber *b)
{
    return b->tag == TAG_UTC_TIME || b->tag == TAG_GENERALIZED_TIME;
}

/* SEQUENCE { tbs SEQUENCE, algorithm SEQUENCE, signature BIT STRING }: which signed X.509 object.
 */
static const char *describe_signed(const qtb_ber *tbs)
{
    qtb_ber f[6];
    int n = children(f, 6, tbs);
    int i = n > 0 && f[0].tag == TAG_CTX0 ? 1 : 0; /* a certificate's explicit [0] version */
    if (n - i >= 4 && f[i].tag == TAG_INTEGER && f[i + 1].tag == TAG_SEQUENCE &&
        f[i + 2].tag == TAG_SEQUENCE) {
        if (f[i + 3].tag == TAG_SEQUENCE) {
            return "an X.509 certificate";
        }
        if (f[i + 3].tag == TAG_CTX0 && i == 0) {
            return "a certification request (PKCS#10)";
        }
    }
    /* TBSCertList: version INTEGER?, signature, issuer, thisUpdate Time */
    int j = n > 0 && f[0].tag == TAG_INTEGER ? 1 : 0;
    if (n - j >= 3 && f[j].tag == TAG_SEQUENCE && f[j + 1].tag == TAG_SEQUENCE &&
        is_time(&f[j + 2])) {
        return "a certificate revocation list (CRL)";
    }
    return NULL;
}

static const char *describe_der(const unsigned char *der, size_t len)
{
    qtb_ber top;
    if (qtb_ber_read(&top, der, len, 0) != 0) {
        qtb_error_clear();
        return NULL;
    }
    if (top.tag != TAG_SEQUENCE) {
        return NULL;
    }
    qtb_ber f[3];
    int n = children(f, 3, &top);
    if (n == 3 && f[0].tag == TAG_SEQUENCE && f[1].tag == TAG_SEQUENCE &&
        f[2].tag == TAG_BIT_STRING) {
        return describe_signed(&f[0]);
    }
    if (n >= 2 && f[0].tag == TAG_OID && f[1].tag == TAG_CTX0) {
        if (QTB_OID_EQ(&f[0], qtb_oid_signed_data)) {
            return "a CMS signature";
        }
        if (QTB_OID_EQ(&f[0], oid_enveloped) || QTB_OID_EQ(&f[0], oid_encrypted)) {
            return "an encrypted CMS message (EnvelopedData or EncryptedData)";
        }
        return NULL;
    }
    /* PFX: version INTEGER 3, authSafe ContentInfo, macData? */
    if (n >= 2 && f[0].tag == TAG_INTEGER && f[0].val_len == 1 && f[0].val[0] == 3 &&
        f[1].tag == TAG_SEQUENCE) {
        return "a PKCS#12 key store";
    }
    /* OCSPResponse: responseStatus ENUMERATED, responseBytes [0]? */
    if (n >= 1 && n <= 2 && f[0].tag == TAG_ENUMERATED) {
        return "an OCSP response";
    }
    /* TimeStampResp: status PKIStatusInfo SEQUENCE { status INTEGER ... }, token? */
    if (n >= 1 && n <= 2 && f[0].tag == TAG_SEQUENCE) {
        qtb_ber s[1];
        if (children(s, 1, &f[0]) == 1 && s[0].tag == TAG_INTEGER &&
            (n == 1 || f[1].tag == TAG_SEQUENCE)) {
            return "an RFC 3161 timestamp response";
        }
    }
    return NULL;
}

const char *qtb_describe_input(const unsigned char *in, size_t len)
{
    if (in == NULL || len == 0) {
        return NULL;
    }
    if (len >= 5 && memcmp(in, "%PDF-", 5) == 0) {
        return "a PDF document";
    }
    if (len >= 4 && memcmp(in, "PK\x03\x04", 4) == 0) {
        return "a ZIP archive";
    }
    if (qtb_detect_signature_kind(in, len) == QTB_SIG_XML) {
        return "an XML document";
    }
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    char label[64] = "";
    if (qtb_decode_binary_input(&der, &der_len, &owned, &form, label, sizeof(label), in, len) !=
        0) {
        qtb_error_clear();
        return NULL;
    }
    const char *what = describe_der(der, der_len);
    if (owned) {
        qtb_free((void *)der);
    }
    if (what == NULL && form == QTB_FORM_PEM && strstr(label, "PRIVATE KEY") != NULL) {
        what = "a private key";
    }
    return what;
}

/* What to do instead, for the mix-ups users make ((wanted, found) in qtb_describe_input's names).
 */
static const struct {
    const char *wanted, *found, *hint;
} hints[] = {
    {"a CMS signature", "an X.509 certificate", " (qoltanba certinfo reads it)"},
    {"a CMS signature", "a PDF document", " (give its .cms signature, with --content for the PDF)"},
    {"a PKCS#12 key store", "an X.509 certificate",
     " (a certificate holds no private key: signing needs the .p12 file NCA issued with it)"},
    {"an X.509 certificate", "a CMS signature",
     " (qoltanba verify --json shows its signers' certificates)"},
};

bool qtb_wrong_kind(char *buf, size_t cap, const unsigned char *in, size_t len, const char *wanted,
                    const char *noun)
{
    const char *what = qtb_describe_input(in, len);
    if (what == NULL || strcmp(what, wanted) == 0) {
        return false;
    }
    const char *hint = "";
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (strcmp(hints[i].wanted, wanted) == 0 && strcmp(hints[i].found, what) == 0) {
            hint = hints[i].hint;
        }
    }
    snprintf(buf, cap, "this is %s, not %s%s", what, noun, hint);
    return true;
}
