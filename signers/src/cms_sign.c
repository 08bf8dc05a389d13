/*
 * Making CMS SignedData with OpenSSL: SHA-256 and the signed attributes contentType,
 * messageDigest and signingTime (RFC 5652 §11), the signer certificate included. Content is
 * streamed through a BIO, so a detached signature of a large file keeps memory flat.
 */
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include <qtb/cms.h>

#include "internal.h"
#include "ossl_int.h"
#include "p12_int.h"

#define SIGN_FLAGS (CMS_BINARY | CMS_NOSMIMECAP)

void qtb_free_bytes(unsigned char *p)
{
    qtb_free(p);
}

static int content_bio(BIO **out, const qtb_cms_sign_options *o)
{
    if (o->content_path != NULL) {
        *out = BIO_new_file(o->content_path, "rb");
        if (*out == NULL) {
            return QTB_FAIL_SSL(QTB_EIO, "cannot open content file %s", o->content_path);
        }
        return 0;
    }
    int n = 0;
    QTB_TRY(qtb_size_to_int(&n, o->content_len));
    *out = BIO_new_mem_buf(o->content != NULL ? (const void *)o->content : "", n);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for content");
    }
    return 0;
}

static int to_der(unsigned char **out, size_t *out_len, CMS_ContentInfo *cms)
{
    unsigned char *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode the CMS");
    }
    *out = qtb_malloc((size_t)n);
    if (*out == NULL) {
        OPENSSL_free(der);
        return QTB_FAIL(QTB_ENOMEM, "out of memory for the CMS");
    }
    memcpy(*out, der, (size_t)n);
    OPENSSL_free(der);
    *out_len = (size_t)n;
    return 0;
}

/*
 * A signing key OpenSSL can use. The GOST signer (gost module) hooks in here: when the store
 * holds a Kazakh GOST key, it will build the SignerInfo itself.
 */
static int signing_key(EVP_PKEY **pkey, X509 **cert, const qtb_p12 *key)
{
    *cert = qtb_p12_cert(key);
    *pkey = qtb_p12_pkey(key);
    if (*cert == NULL) {
        return QTB_FAIL(QTB_EPARSE, "the key store holds no certificate");
    }
    if (*pkey == NULL) {
        if (qtb_p12_has_key(key)) {
            return QTB_FAIL(QTB_EUNSUPPORTED, "GOST signing is not supported yet");
        }
        return QTB_FAIL(QTB_EPARSE, "the key store holds no private key");
    }
    if (X509_check_private_key(*cert, *pkey) != 1) {
        ERR_clear_error();
        return QTB_FAIL(QTB_EPARSE, "the key store's private key does not match its certificate");
    }
    return 0;
}

static int sign_new(CMS_ContentInfo **out, X509 *cert, EVP_PKEY *pkey,
                    const qtb_cms_sign_options *o)
{
    unsigned flags = SIGN_FLAGS | CMS_PARTIAL;
    if ((o->flags & QTB_CMS_SIGN_DETACHED) != 0) {
        flags |= CMS_DETACHED;
    }
    int rc = 0;
    BIO *in = NULL;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (cms == NULL) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "cannot create a CMS");
    }
    if (CMS_add1_signer(cms, cert, pkey, EVP_sha256(), flags) == NULL) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot add the signer");
        goto done;
    }
    QTB_TRY_GOTO(content_bio(&in, o));
    /* Reads the content once: digest for the signer, and a copy when attached. */
    if (CMS_final(cms, in, NULL, flags) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "signing failed");
        goto done;
    }
    *out = cms;
    cms = NULL;
done:
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    return rc;
}

/* SHA-256 of the content of `cms` (attached) or of the given detached content. */
static int content_digest(unsigned char *md, unsigned *md_len, CMS_ContentInfo *cms,
                          const qtb_cms_sign_options *o)
{
    int rc = 0;
    BIO *in = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = qtb_malloc(64 * 1024);
    if (ctx == NULL || buf == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "out of memory for a digest");
        goto done;
    }
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    if (pos != NULL && *pos != NULL) {
        if (o->content_path != NULL || o->content != NULL) {
            rc = QTB_FAIL(QTB_EUSAGE, "the CMS carries its content; do not give it again");
            goto done;
        }
        if (EVP_DigestUpdate(ctx, ASN1_STRING_get0_data(*pos), (size_t)ASN1_STRING_length(*pos)) !=
            1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "digest failed");
            goto done;
        }
    } else {
        if (o->content_path == NULL && o->content == NULL) {
            rc = QTB_FAIL(QTB_EUNSUPPORTED,
                          "the CMS is detached: its content is needed to add a signer");
            goto done;
        }
        QTB_TRY_GOTO(content_bio(&in, o));
        for (;;) {
            int n = BIO_read(in, buf, 64 * 1024);
            if (n <= 0) {
                break;
            }
            if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
                rc = QTB_FAIL_SSL(QTB_ECRYPTO, "digest failed");
                goto done;
            }
        }
    }
    if (EVP_DigestFinal_ex(ctx, md, md_len) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "digest failed");
    }
done:
    BIO_free(in);
    qtb_free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/*
 * Co-signing: the new SignerInfo gets its own messageDigest (computed here, so earlier signers
 * of any algorithm, GOST included, need not be understood) and is signed on its own; the
 * earlier SignerInfos are kept as they are.
 */
static int sign_add(CMS_ContentInfo **out, X509 *cert, EVP_PKEY *pkey,
                    const qtb_cms_sign_options *o)
{
    int rc = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    CMS_ContentInfo *cms = NULL;
    QTB_TRY(
        qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, o->add_to, o->add_to_len));
    int n = 0;
    QTB_TRY_GOTO(qtb_size_to_int(&n, der_len));
    const unsigned char *p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, n);
    if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "the CMS to add a signer to is not SignedData");
        goto done;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    QTB_TRY_GOTO(content_digest(md, &md_len, cms, o));
    CMS_SignerInfo *si = CMS_add1_signer(cms, cert, pkey, EVP_sha256(), SIGN_FLAGS | CMS_PARTIAL);
    if (si == NULL) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot add the signer");
        goto done;
    }
    const ASN1_OBJECT *ctype = CMS_get0_eContentType(cms);
    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, ctype, -1) != 1 ||
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md,
                                    (int)md_len) != 1 ||
        CMS_SignerInfo_sign(si) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "co-signing failed");
        goto done;
    }
    *out = cms;
    cms = NULL;
done:
    CMS_ContentInfo_free(cms);
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

int qtb_cms_sign(unsigned char **out, size_t *out_len, const qtb_p12 *key,
                 const qtb_cms_sign_options *opts)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && key != NULL && opts != NULL);
    QTB_ASSERT_ARG(opts->version == QTB_CMS_SIGN_OPTIONS_VERSION);
    *out = NULL;
    *out_len = 0;
    QTB_TRY(qtb_ossl_init());
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    QTB_TRY(signing_key(&pkey, &cert, key));
    CMS_ContentInfo *cms = NULL;
    if (opts->add_to != NULL) {
        QTB_TRY(sign_add(&cms, cert, pkey, opts));
    } else {
        QTB_TRY(sign_new(&cms, cert, pkey, opts));
    }
    int rc = to_der(out, out_len, cms);
    CMS_ContentInfo_free(cms);
    return rc;
}

int qtb_cms_add_timestamp(unsigned char **out, size_t *out_len, const unsigned char *cms_in,
                          size_t cms_len, size_t index, const unsigned char *token,
                          size_t token_len)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && cms_in != NULL && token != NULL);
    *out = NULL;
    *out_len = 0;
    int rc = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    CMS_ContentInfo *cms = NULL;
    int n = 0, tn = 0;
    QTB_TRY(qtb_size_to_int(&tn, token_len));
    QTB_TRY(qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, cms_in, cms_len));
    QTB_TRY_GOTO(qtb_size_to_int(&n, der_len));
    const unsigned char *p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, n);
    STACK_OF(CMS_SignerInfo) *sis = cms != NULL ? CMS_get0_SignerInfos(cms) : NULL;
    if (sis == NULL) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "not a CMS SignedData");
        goto done;
    }
    if (index >= (size_t)sk_CMS_SignerInfo_num(sis)) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "the CMS has no signer %zu", index + 1);
        goto done;
    }
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, (int)index);
    /* The value is the token's DER as is: an ANY holding a SEQUENCE. */
    if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token,
                                      tn) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot add the timestamp attribute");
        goto done;
    }
    rc = to_der(out, out_len, cms);
done:
    CMS_ContentInfo_free(cms);
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}
