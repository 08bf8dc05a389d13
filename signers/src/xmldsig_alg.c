/*
 * The XMLDSig algorithm URIs qoltanba knows (XMLDSig 1.1 §6, RFC 6931, and Kalkan's GOST URIs
 * from shared/reference/gost-kz.md §1.2). An unknown URI fails closed; a known one we cannot
 * check says so by name.
 */
#include <libxml/c14n.h>
#include <string.h>

#include "gost.h"
#include "internal.h"
#include "xmldsig_int.h"

#define MORE "http://www.w3.org/2001/04/xmldsig-more#"
#define PKIGOVKZ "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"

/* The Kalkan digests, one-shot over the canonical bytes (the gost module's implementations). */
static int hash_gost94(unsigned char *out, size_t *out_len, const unsigned char *in, size_t len)
{
    return qtb_gost_digest(out, QTB_GOST_MAX_DIGEST, out_len, QTB_GOST_HASH_GOST94, in, len);
}

static int hash_sb256(unsigned char *out, size_t *out_len, const unsigned char *in, size_t len)
{
    return qtb_gost_digest(out, QTB_GOST_MAX_DIGEST, out_len, QTB_GOST_HASH_STREEBOG256, in, len);
}

static int hash_sb512(unsigned char *out, size_t *out_len, const unsigned char *in, size_t len)
{
    return qtb_gost_digest(out, QTB_GOST_MAX_DIGEST, out_len, QTB_GOST_HASH_STREEBOG512, in, len);
}

static const qtb_xml_digest_alg digest_algs[] = {
    {"http://www.w3.org/2000/09/xmldsig#sha1", "SHA-1", "SHA1", NULL, NULL},
    {MORE "sha224", "SHA-224", "SHA224", NULL, NULL},
    {"http://www.w3.org/2001/04/xmlenc#sha256", "SHA-256", "SHA256", NULL, NULL},
    {MORE "sha384", "SHA-384", "SHA384", NULL, NULL},
    {"http://www.w3.org/2001/04/xmlenc#sha512", "SHA-512", "SHA512", NULL, NULL},
    {MORE "md5", "MD5", NULL, NULL, "MD5 digests are not accepted (collisions are practical)"},
    /* Kalkan: GOST R 34.11-94 (Kazakh S-box) and Streebog (gost-kz.md §1.2). */
    {MORE "gost34311", "GOST 34.311-95", NULL, hash_gost94, NULL},
    {PKIGOVKZ "gostr34112015-512", "GOST R 34.11-2015 (512)", NULL, hash_sb512, NULL},
    {PKIGOVKZ "gostr34112015-256", "GOST R 34.11-2015 (256)", NULL, hash_sb256, NULL},
};

static const qtb_xml_sig_alg sig_algs[] = {
    {"http://www.w3.org/2000/09/xmldsig#rsa-sha1", "RSA-SHA1", QTB_XSIG_PKEY,
     "1.2.840.113549.1.1.5", "SHA1", QTB_XSIG_RAW, "RSA", NULL},
    {MORE "rsa-sha224", "RSA-SHA224", QTB_XSIG_PKEY, "1.2.840.113549.1.1.14", "SHA224",
     QTB_XSIG_RAW, "RSA", NULL},
    {MORE "rsa-sha256", "RSA-SHA256", QTB_XSIG_PKEY, "1.2.840.113549.1.1.11", "SHA256",
     QTB_XSIG_RAW, "RSA", NULL},
    {MORE "rsa-sha384", "RSA-SHA384", QTB_XSIG_PKEY, "1.2.840.113549.1.1.12", "SHA384",
     QTB_XSIG_RAW, "RSA", NULL},
    {MORE "rsa-sha512", "RSA-SHA512", QTB_XSIG_PKEY, "1.2.840.113549.1.1.13", "SHA512",
     QTB_XSIG_RAW, "RSA", NULL},
    {MORE "rsa-md5", "RSA-MD5", QTB_XSIG_PKEY, NULL, NULL, QTB_XSIG_RAW, "RSA",
     "RSA-MD5 signatures are not accepted"},
    {MORE "ecdsa-sha1", "ECDSA-SHA1", QTB_XSIG_PKEY, "1.2.840.10045.4.1", "SHA1", QTB_XSIG_RS_BE,
     "EC", NULL},
    {MORE "ecdsa-sha224", "ECDSA-SHA224", QTB_XSIG_PKEY, "1.2.840.10045.4.3.1", "SHA224",
     QTB_XSIG_RS_BE, "EC", NULL},
    {MORE "ecdsa-sha256", "ECDSA-SHA256", QTB_XSIG_PKEY, "1.2.840.10045.4.3.2", "SHA256",
     QTB_XSIG_RS_BE, "EC", NULL},
    {MORE "ecdsa-sha384", "ECDSA-SHA384", QTB_XSIG_PKEY, "1.2.840.10045.4.3.3", "SHA384",
     QTB_XSIG_RS_BE, "EC", NULL},
    {MORE "ecdsa-sha512", "ECDSA-SHA512", QTB_XSIG_PKEY, "1.2.840.10045.4.3.4", "SHA512",
     QTB_XSIG_RS_BE, "EC", NULL},
    {"http://www.w3.org/2000/09/xmldsig#dsa-sha1", "DSA-SHA1", QTB_XSIG_PKEY, "1.2.840.10040.4.3",
     "SHA1", QTB_XSIG_RS_BE, "DSA", NULL},
    {"http://www.w3.org/2009/xmldsig11#dsa-sha256", "DSA-SHA256", QTB_XSIG_PKEY,
     "2.16.840.1.101.3.4.3.2", "SHA256", QTB_XSIG_RS_BE, "DSA", NULL},
    {"http://www.w3.org/2000/09/xmldsig#hmac-sha1", "HMAC-SHA1", QTB_XSIG_HMAC, NULL, "SHA1",
     QTB_XSIG_RAW, NULL, NULL},
    {MORE "hmac-sha224", "HMAC-SHA224", QTB_XSIG_HMAC, NULL, "SHA224", QTB_XSIG_RAW, NULL, NULL},
    {MORE "hmac-sha256", "HMAC-SHA256", QTB_XSIG_HMAC, NULL, "SHA256", QTB_XSIG_RAW, NULL, NULL},
    {MORE "hmac-sha384", "HMAC-SHA384", QTB_XSIG_HMAC, NULL, "SHA384", QTB_XSIG_RAW, NULL, NULL},
    {MORE "hmac-sha512", "HMAC-SHA512", QTB_XSIG_HMAC, NULL, "SHA512", QTB_XSIG_RAW, NULL, NULL},
    /* RFC 6931 RSASSA-PSS: the reference tool cannot check it; we fail closed as it does. */
    {"http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", "RSASSA-PSS-SHA256", QTB_XSIG_PKEY,
     NULL, NULL, QTB_XSIG_RAW, "RSA", "RSASSA-PSS (RFC 6931) signatures are not supported"},
    {"http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", "RSASSA-PSS-SHA512", QTB_XSIG_PKEY,
     NULL, NULL, QTB_XSIG_RAW, "RSA", "RSASSA-PSS (RFC 6931) signatures are not supported"},
    /* Kalkan GOST (gost-kz.md §1.2): r||s little-endian as in Kalkan's CMS, passed raw. */
    {MORE "gost34310-gost34311", "GOST 34.310-2004", QTB_XSIG_PKEY, "1.2.398.3.10.1.1.1.2", NULL,
     QTB_XSIG_RAW, "GOST", NULL},
    {PKIGOVKZ "gostr34102015-gostr34112015-512", "GOST R 34.10-2015 (512)", QTB_XSIG_PKEY,
     "1.2.398.3.10.1.1.2.3.2", NULL, QTB_XSIG_RAW, "GOST", NULL},
    {PKIGOVKZ "gostr34102015-gostr34112015-256", "GOST R 34.10-2015 (256)", QTB_XSIG_PKEY,
     "1.2.398.3.10.1.1.2.3.1", NULL, QTB_XSIG_RAW, "GOST", NULL},
};

static const qtb_xml_c14n_alg c14n_algs[] = {
    {"http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, false},
    {"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", XML_C14N_1_0, true},
    {"http://www.w3.org/2001/10/xml-exc-c14n#", XML_C14N_EXCLUSIVE_1_0, false},
    {"http://www.w3.org/2001/10/xml-exc-c14n#WithComments", XML_C14N_EXCLUSIVE_1_0, true},
    {"http://www.w3.org/2006/12/xml-c14n11", XML_C14N_1_1, false},
    {"http://www.w3.org/2006/12/xml-c14n11#WithComments", XML_C14N_1_1, true},
};

const qtb_xml_digest_alg *qtb_xml_digest_alg_find(const char *uri)
{
    for (size_t i = 0; uri != NULL && i < QTB_ARRAY_LEN(digest_algs); i++) {
        if (strcmp(digest_algs[i].uri, uri) == 0) {
            return &digest_algs[i];
        }
    }
    return NULL;
}

const qtb_xml_sig_alg *qtb_xml_sig_alg_find(const char *uri)
{
    for (size_t i = 0; uri != NULL && i < QTB_ARRAY_LEN(sig_algs); i++) {
        if (strcmp(sig_algs[i].uri, uri) == 0) {
            return &sig_algs[i];
        }
    }
    return NULL;
}

const qtb_xml_c14n_alg *qtb_xml_c14n_alg_find(const char *uri)
{
    for (size_t i = 0; uri != NULL && i < QTB_ARRAY_LEN(c14n_algs); i++) {
        if (strcmp(c14n_algs[i].uri, uri) == 0) {
            return &c14n_algs[i];
        }
    }
    return NULL;
}

bool qtb_xml_uri_is_gost(const char *uri)
{
    if (uri == NULL) {
        return false;
    }
    if (strncmp(uri, PKIGOVKZ, strlen(PKIGOVKZ)) == 0) {
        return true;
    }
    for (const char *p = uri; *p != '\0'; p++) {
        static const char g[] = "gost";
        size_t i = 0;
        while (i < 4 && p[i] != '\0' && (p[i] | 0x20) == g[i]) {
            i++;
        }
        if (i == 4) {
            return true;
        }
    }
    return false;
}
