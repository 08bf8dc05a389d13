/*
 * qtb_describe_input: what a file handed over in place of a signature, key store or
 * certificate holds, built here with OpenSSL (certificate in DER, PEM and bare base64, CRL v1 and
 * v2, CSR, PKCS#12, CMS SignedData and EnvelopedData, OCSP and RFC 3161 responses), and the
 * inputs it must not put a name on (garbage, a bare SEQUENCE, an empty file).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs12.h>
#include <openssl/ts.h>

#include "certgen.h"
#include "cms_int.h"
#include "qtb_test.h"

/* Describe `len` bytes at `der` (freed here), as a string for QTB_CHECK_STR ("(null)" if NULL). */
static const char *described(unsigned char *der, int len)
{
    const char *what = len > 0 ? qtb_describe_input(der, (size_t)len) : NULL;
    OPENSSL_free(der);
    return what != NULL ? what : "(null)";
}

typedef struct fixture {
    EVP_PKEY *key;
    X509 *cert;
} fixture;

static int fixture_make(fixture *f)
{
    static const char *const subject[] = {"CN", "detect test", NULL};
    tg_spec s = {.subject = subject,
                 .ca = true,
                 .key_usage = "critical,keyCertSign,cRLSign,digitalSignature",
                 .not_before = "20260101000000Z",
                 .not_after = "20360101000000Z",
                 .serial = 7};
    f->key = tg_key();
    f->cert = f->key != NULL ? tg_cert(&s, f->key, NULL, NULL) : NULL;
    return f->cert != NULL ? 0 : -1;
}

static void fixture_free(fixture *f)
{
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
}

static void test_detect__certificate_in_every_form(void)
{
    fixture f;
    QTB_REQUIRE(fixture_make(&f) == 0);
    unsigned char *der = NULL;
    int n = i2d_X509(f.cert, &der);
    QTB_CHECK(n > 0 && qtb_describe_input(der, (size_t)n) != NULL &&
              strcmp(qtb_describe_input(der, (size_t)n), "an X.509 certificate") == 0);
    size_t pem_len = 0;
    unsigned char *pem = tg_pem(f.cert, &pem_len);
    const char *what = pem != NULL ? qtb_describe_input(pem, pem_len) : NULL;
    QTB_CHECK_STR(what != NULL ? what : "(null)", "an X.509 certificate");
    qtb_free(pem);
    /* bare base64, as NCALayer hands certificates over */
    unsigned char *b64 = OPENSSL_malloc(4 * ((size_t)n / 3 + 1) + 1);
    int b64_len = b64 != NULL ? EVP_EncodeBlock(b64, der, n) : 0;
    QTB_CHECK_STR(described(b64, b64_len), "an X.509 certificate");
    /* Twin: the certificate cut short is no longer recognised. */
    QTB_CHECK_STR(described(der, n / 2), "(null)");
    fixture_free(&f);
}

static void test_detect__crl_and_csr(void)
{
    fixture f;
    QTB_REQUIRE(fixture_make(&f) == 0);
    for (int version = 0; version <= 1; version++) {
        X509_CRL *crl = X509_CRL_new();
        ASN1_TIME *t = ASN1_TIME_set(NULL, 1800000000);
        QTB_REQUIRE(crl != NULL && t != NULL);
        QTB_CHECK(X509_CRL_set_version(crl, version) == 1 &&
                  X509_CRL_set_issuer_name(crl, X509_get_subject_name(f.cert)) == 1 &&
                  X509_CRL_set1_lastUpdate(crl, t) == 1 &&
                  X509_CRL_sign(crl, f.key, EVP_sha256()) > 0);
        unsigned char *der = NULL;
        QTB_CHECK_STR(described(der, i2d_X509_CRL(crl, &der)),
                      "a certificate revocation list (CRL)");
        X509_CRL_free(crl);
        ASN1_TIME_free(t);
    }
    X509_REQ *req = X509_REQ_new();
    QTB_REQUIRE(req != NULL);
    QTB_CHECK(X509_REQ_set_subject_name(req, X509_get_subject_name(f.cert)) == 1 &&
              X509_REQ_set_pubkey(req, f.key) == 1 && X509_REQ_sign(req, f.key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    QTB_CHECK_STR(described(der, i2d_X509_REQ(req, &der)), "a certification request (PKCS#10)");
    X509_REQ_free(req);
    fixture_free(&f);
}

static void test_detect__key_store_and_cms(void)
{
    fixture f;
    QTB_REQUIRE(fixture_make(&f) == 0);
    PKCS12 *p12 = PKCS12_create("pw", "detect", f.key, f.cert, NULL, 0, 0, 0, 0, 0);
    QTB_REQUIRE(p12 != NULL);
    unsigned char *der = NULL;
    QTB_CHECK_STR(described(der, i2d_PKCS12(p12, &der)), "a PKCS#12 key store");
    PKCS12_free(p12);

    BIO *data = BIO_new_mem_buf("content", 7);
    CMS_ContentInfo *signed_cms = CMS_sign(f.cert, f.key, NULL, data, CMS_BINARY);
    QTB_REQUIRE(signed_cms != NULL);
    der = NULL;
    QTB_CHECK_STR(described(der, i2d_CMS_ContentInfo(signed_cms, &der)), "a CMS signature");
    CMS_ContentInfo_free(signed_cms);
    BIO_free(data);

    /* EnvelopedData needs an RSA (or DH/EC-with-KARI) recipient; EC works through KARI. */
    STACK_OF(X509) *recipients = sk_X509_new_null();
    QTB_REQUIRE(recipients != NULL && sk_X509_push(recipients, f.cert) > 0);
    data = BIO_new_mem_buf("secret", 6);
    CMS_ContentInfo *env = CMS_encrypt(recipients, data, EVP_aes_128_cbc(), CMS_BINARY);
    QTB_REQUIRE(env != NULL);
    der = NULL;
    QTB_CHECK_STR(described(der, i2d_CMS_ContentInfo(env, &der)),
                  "an encrypted CMS message (EnvelopedData or EncryptedData)");
    CMS_ContentInfo_free(env);
    BIO_free(data);
    sk_X509_free(recipients);
    fixture_free(&f);
}

static void test_detect__ocsp_and_timestamp_responses(void)
{
    OCSP_RESPONSE *ocsp = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL);
    QTB_REQUIRE(ocsp != NULL);
    unsigned char *der = NULL;
    QTB_CHECK_STR(described(der, i2d_OCSP_RESPONSE(ocsp, &der)), "an OCSP response");
    OCSP_RESPONSE_free(ocsp);

    TS_RESP *ts = TS_RESP_new();
    TS_STATUS_INFO *st = TS_STATUS_INFO_new();
    QTB_REQUIRE(ts != NULL && st != NULL);
    QTB_CHECK(TS_STATUS_INFO_set_status(st, TS_STATUS_REJECTION) == 1 &&
              TS_RESP_set_status_info(ts, st) == 1);
    der = NULL;
    QTB_CHECK_STR(described(der, i2d_TS_RESP(ts, &der)), "an RFC 3161 timestamp response");
    TS_STATUS_INFO_free(st);
    TS_RESP_free(ts);
}

static void test_detect__documents_and_keys(void)
{
    static const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    QTB_CHECK_STR(qtb_describe_input((const unsigned char *)pdf, sizeof(pdf) - 1),
                  "a PDF document");
    static const char zip[] = "PK\x03\x04\x14\x00";
    QTB_CHECK_STR(qtb_describe_input((const unsigned char *)zip, sizeof(zip) - 1), "a ZIP archive");
    static const char xml[] = "\xef\xbb\xbf <a/>";
    QTB_CHECK_STR(qtb_describe_input((const unsigned char *)xml, sizeof(xml) - 1),
                  "an XML document");
    fixture f;
    QTB_REQUIRE(fixture_make(&f) == 0);
    BIO *b = BIO_new(BIO_s_mem());
    QTB_REQUIRE(b != NULL && PEM_write_bio_PrivateKey(b, f.key, NULL, NULL, 0, NULL, NULL) == 1);
    char *pem = NULL;
    long n = BIO_get_mem_data(b, &pem);
    QTB_CHECK_STR(qtb_describe_input((const unsigned char *)pem, (size_t)n), "a private key");
    BIO_free(b);
    fixture_free(&f);
}

/* Negative twins: nothing is named by guesswork. */
static void test_detect__unrecognised(void)
{
    QTB_CHECK(qtb_describe_input(NULL, 0) == NULL);
    static const unsigned char empty_seq[] = {0x30, 0x00};
    QTB_CHECK(qtb_describe_input(empty_seq, sizeof(empty_seq)) == NULL);
    static const unsigned char ints[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
    QTB_CHECK(qtb_describe_input(ints, sizeof(ints)) == NULL);
    static const char text[] = "hello, I am not a certificate\n";
    QTB_CHECK(qtb_describe_input((const unsigned char *)text, sizeof(text) - 1) == NULL);
    /* a length that runs past the end */
    static const unsigned char cut[] = {0x30, 0x82, 0x10, 0x00, 0x30, 0x00};
    QTB_CHECK(qtb_describe_input(cut, sizeof(cut)) == NULL);
}

int main(void)
{
    QTB_RUN(test_detect__certificate_in_every_form);
    QTB_RUN(test_detect__crl_and_csr);
    QTB_RUN(test_detect__key_store_and_cms);
    QTB_RUN(test_detect__ocsp_and_timestamp_responses);
    QTB_RUN(test_detect__documents_and_keys);
    QTB_RUN(test_detect__unrecognised);
    return qtb_test_done();
}
