/*
 * Fuzz target: an OCSP response (the bytes a responder sends) judged for a P-256 leaf and its CA,
 * with and without a nonce expected: the hand-walked envelope, BasicOCSPResponse decoding, CertID
 * matching, responder authorisation, signature dispatch, nonce and freshness all see hostile
 * input.
 *
 * Almost every mutation breaks the response's signature, so the input is judged twice: as it
 * came, and re-signed. When it holds a BasicOCSPResponse that OpenSSL decodes, the harness signs
 * its tbsResponseData, byte for byte as received, with the key of the responder it names (the
 * embedded delegated responder, else the CA), re-signs with the CA key every certificate it
 * carries that names the CA as issuer (so a mutated delegate still chains), and wraps the result
 * in a successful OCSPResponse. The mutated statuses, times, CertIDs, extensions and responder
 * certificates then reach the logic behind the signature check.
 *
 * The CA, the leaf (serial 0x1000) and the delegated responder (id-kp-OCSPSigning, serial 0x1001)
 * and both keys were made with the openssl CLI for this target only; the resign-* seeds are
 * `openssl ocsp` answers of that CA about that leaf (good CA-signed with the nonce below, revoked
 * by the delegate with it, unknown CA-signed by key id, the "not issued" certificateHold/1970
 * convention by the delegate). ECDSA signatures differ from run to run; the paths taken do not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "revocation_int.h"
#include "sigalg.h"

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBejCCASCgAwIBAgIUStwqcPt9Csi55P2MqvLNWqA5K2gwCgYIKoZIzj0EAwIw\n"
                             "GzEZMBcGA1UEAwwQUVRCIE9DU1AgRnV6eiBDQTAeFw0yNjEyMDcxNTA1MDlaFw00\n"
                             "NjEyMDIxNTA1MDlaMBsxGTAXBgNVBAMMEFFUQiBPQ1NQIEZ1enogQ0EwWTATBgcq\n"
                             "hkjOPQIBBggqhkjOPQMBBwNCAAREeZ4niiGT9jSIXa1wYpZ5StbuN/oiHuKzK1C3\n"
                             "0VST8RAXxM/fh4cX/KO30N9I20XMI8B8c8wHn3IvE0KvWkz4o0IwQDAdBgNVHQ4E\n"
                             "FgQUVD25lwXMcI9VZpFT9NrkGM+cdOswDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\n"
                             "Af8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIgZS4csJdOPXH5mrAPS+92BxuuBDoN\n"
                             "RGcDo5niKULz9jYCIQDmh3vyPu8eC30xNH9AGrZK5BNlFAU4mEusQ9vXa3klxw==\n"
                             "-----END CERTIFICATE-----\n";

static const char leaf_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBITCBxwICEAAwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQUVRCIE9DU1AgRnV6\n"
                               "eiBDQTAeFw0yNjEyMDcxNTA1MDlaFw0zNjEyMDQxNTA1MDlaMB0xGzAZBgNVBAMM\n"
                               "ElFUQiBPQ1NQIEZ1enogTGVhZjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJ+t\n"
                               "/LI8LfXL3Clphi8nXT1WMusTJo3teT4VES176EqVVf0pWkfDPg1dUt0VquZl15SD\n"
                               "dhXBvwtW8YP6K/2uYvEwCgYIKoZIzj0EAwIDSQAwRgIhAO5VqXGXJyAgFd+SaGe8\n"
                               "wV4yQUfrfT2SLVxGQTe2ZkJPAiEAi27wi1+jHPZo7BwWPIbW5gwv0/mP9R8XN4yB\n"
                               "ilU9VNA=\n"
                               "-----END CERTIFICATE-----\n";

static const char responder_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhDCCASqgAwIBAgICEAEwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQUVRCIE9D\n"
    "U1AgRnV6eiBDQTAeFw0yNjEyMDcxNTA1MDlaFw0zNjEyMDQxNTA1MDlaMCIxIDAe\n"
    "BgNVBAMMF1FUQiBPQ1NQIEZ1enogUmVzcG9uZGVyMFkwEwYHKoZIzj0CAQYIKoZI\n"
    "zj0DAQcDQgAEpw7SiVrXikKitf1iNvwLXxfwJDz6L7Cu3sPFq9ayXPd5tbxnJWfp\n"
    "X70NoBTDy/08b7qWgmuRTrFguETbfhO8xKNXMFUwEwYDVR0lBAwwCgYIKwYBBQUH\n"
    "AwkwHQYDVR0OBBYEFF9BhF/tY1DKtQlKVvsQkplcNQn0MB8GA1UdIwQYMBaAFFQ9\n"
    "uZcFzHCPVWaRU/Ta5BjPnHTrMAoGCCqGSM49BAMCA0gAMEUCIQCXIX1u05OrQZUy\n"
    "Mf+etWyXTgqIebjUwfMnuFsYzjni6AIgOs39WQcomC1FKRnMf9U8nof7soDSXua3\n"
    "JB87PKmRBdA=\n"
    "-----END CERTIFICATE-----\n";

static const char responder_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcRT2GLc5t2v/pHDs\n"
    "8X/cXBuWdsYrqxBwtWlmvKFDYf+hRANCAASnDtKJWteKQqK1/WI2/AtfF/AkPPov\n"
    "sK7ew8Wr1rJc93m1vGclZ+lfvQ2gFMPL/TxvupaCa5FOsWC4RNt+E7zE\n"
    "-----END PRIVATE KEY-----\n";

static const char ca_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0FgcBGPoLmNkaXSf\n"
    "6hXSHhMiNiSH9vThwche4ppM3LahRANCAAREeZ4niiGT9jSIXa1wYpZ5StbuN/oi\n"
    "HuKzK1C30VST8RAXxM/fh4cX/KO30N9I20XMI8B8c8wHn3IvE0KvWkz4\n"
    "-----END PRIVATE KEY-----\n";

#define FUZZ_TIME 1811808000 /* 2027-06-01 */

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

/* The fixtures, parsed on the first input and only read afterwards. */
static X509 *ca, *leaf, *responder;
static EVP_PKEY *ca_key, *responder_key;

static void judge(const uint8_t *data, size_t size)
{
    static const unsigned char nonce[QTB_OCSP_NONCE_LEN] = {0x51, 0x54, 0x42};
    qtb_ocsp_answer a;
    if (qtb_ocsp_check(&a, data, size, leaf, ca, NULL, FUZZ_TIME, 0) == 0 &&
        a.verdict > QTB_OCSP_INVALID) {
        abort();
    }
    if (qtb_ocsp_check(&a, data, size, leaf, ca, nonce, FUZZ_TIME, 3600) == 0 &&
        a.verdict != QTB_OCSP_INVALID && a.verdict != QTB_OCSP_GOOD &&
        a.verdict != QTB_OCSP_REVOKED && a.verdict != QTB_OCSP_UNKNOWN) {
        abort();
    }
    qtb_error_clear();
}

/* tag, definite DER length, then the parts in order; malloc'd, NULL when out of memory. */
static unsigned char *tlv(size_t *out_len, uint8_t tag, size_t n, const unsigned char *const *parts,
                          const size_t *lens)
{
    size_t body = 0;
    for (size_t i = 0; i < n; i++) {
        body += lens[i];
    }
    unsigned char h[2 + sizeof(size_t)];
    size_t hl = 0;
    h[hl++] = tag;
    if (body < 0x80) {
        h[hl++] = (unsigned char)body;
    } else {
        size_t nb = 0;
        for (size_t v = body; v != 0; v >>= 8) {
            nb++;
        }
        h[hl++] = (unsigned char)(0x80 | nb);
        for (size_t i = nb; i-- > 0;) {
            h[hl++] = (unsigned char)(body >> (8 * i));
        }
    }
    unsigned char *out = malloc(hl + body);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, h, hl);
    size_t off = hl;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > 0) {
            memcpy(out + off, parts[i], lens[i]);
            off += lens[i];
        }
    }
    *out_len = off;
    return out;
}

static unsigned char *wrap(size_t *out_len, uint8_t tag, const unsigned char *content, size_t len)
{
    return tlv(out_len, tag, 1, &content, &len);
}

static bool next_tlv(qtb_reader *r, uint8_t want, const unsigned char **c, size_t *n)
{
    uint8_t tag = 0;
    return qtb_reader_der_tlv(r, &tag, c, n) == 0 && tag == want;
}

/* The BasicOCSPResponse bytes inside OCSPResponse { status, [0] { SEQUENCE { OID, OCTET STRING } }
 * } */
static bool basic_bytes(const unsigned char **basic, size_t *len, const uint8_t *data, size_t size)
{
    qtb_reader r;
    const unsigned char *c = NULL;
    size_t n = 0;
    qtb_reader_init(&r, data, size);
    if (!next_tlv(&r, 0x30, &c, &n)) {
        return false;
    }
    qtb_reader_init(&r, c, n);
    if (!next_tlv(&r, 0x0a, &c, &n) || !next_tlv(&r, 0xa0, &c, &n)) {
        return false;
    }
    qtb_reader_init(&r, c, n);
    if (!next_tlv(&r, 0x30, &c, &n)) {
        return false;
    }
    qtb_reader_init(&r, c, n);
    return next_tlv(&r, 0x06, &c, &n) && next_tlv(&r, 0x04, basic, len);
}

/* Does the responderID name `x` (by name, or by the SHA-1 of its key)? */
static bool names(X509 *x, const ASN1_OCTET_STRING *key, const X509_NAME *name)
{
    if (name != NULL) {
        return X509_NAME_cmp(name, X509_get_subject_name(x)) == 0;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    return key != NULL && X509_pubkey_digest(x, EVP_sha1(), md, &len) == 1 &&
           (size_t)ASN1_STRING_length(key) == len &&
           memcmp(ASN1_STRING_get0_data(key), md, len) == 0;
}

/* Re-sign, with the CA key, every carried certificate the CA would have issued; 1 if any. */
static int resign_certs(OCSP_BASICRESP *bs)
{
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
    int n = 0;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) != 0 ||
            X509_cmp(x, ca) == 0) {
            continue;
        }
        if (X509_sign(x, ca_key, EVP_sha256()) <= 0) {
            ERR_clear_error(); /* e.g. a version or field OpenSSL will not encode */
            continue;
        }
        n = 1;
    }
    return n;
}

static unsigned char *sign_sha256(size_t *sig_len, EVP_PKEY *key, const unsigned char *tbs,
                                  size_t tbs_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t n = 0;
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, tbs, tbs_len) != 1 || (sig = OPENSSL_malloc(n)) == NULL ||
        EVP_DigestSign(ctx, sig, &n, tbs, tbs_len) != 1) {
        abort(); /* a fixed P-256 key signs anything */
    }
    EVP_MD_CTX_free(ctx);
    *sig_len = n;
    return sig;
}

static void judge_resigned(const uint8_t *data, size_t size)
{
    static const unsigned char ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                                 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    static const unsigned char id_basic[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                             0x05, 0x07, 0x30, 0x01, 0x01};
    static const unsigned char successful[] = {0x0a, 0x01, 0x00};
    static const unsigned char no_unused_bits[] = {0x00};
    const unsigned char *basic = NULL;
    size_t basic_len = 0;
    qtb_signed_der sd;
    if (!basic_bytes(&basic, &basic_len, data, size) || basic_len > INT32_MAX ||
        qtb_signed_der_split(&sd, basic, basic_len, true) != 0) {
        qtb_error_clear();
        return;
    }
    const unsigned char *p = basic;
    OCSP_BASICRESP *bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic_len);
    if (bs == NULL || p != basic + basic_len) {
        ERR_clear_error();
        OCSP_BASICRESP_free(bs);
        return;
    }
    const ASN1_OCTET_STRING *rkey = NULL;
    const X509_NAME *rname = NULL;
    EVP_PKEY *key = ca_key;
    if (OCSP_resp_get0_id(bs, &rkey, &rname) == 1 && names(responder, rkey, rname)) {
        key = responder_key;
    }
    /* the fields after the signature: the certificates, as received or re-signed */
    const unsigned char *trail = sd.sig + sd.sig_len;
    size_t trail_len = (size_t)(basic + basic_len - trail);
    unsigned char *reencoded = NULL;
    if (resign_certs(bs)) {
        int len = i2d_OCSP_BASICRESP(bs, &reencoded);
        qtb_signed_der re;
        if (len <= 0 || qtb_signed_der_split(&re, reencoded, (size_t)len, true) != 0) {
            qtb_error_clear();
            ERR_clear_error();
            goto done;
        }
        trail = re.sig + re.sig_len;
        trail_len = (size_t)(reencoded + len - trail);
    }

    size_t sig_len = 0, bits_len = 0, new_len = 0, octet_len = 0, rb_len = 0, a0_len = 0,
           resp_len = 0;
    unsigned char *sig = sign_sha256(&sig_len, key, sd.tbs, sd.tbs_len);
    const unsigned char *bits_parts[] = {no_unused_bits, sig};
    const size_t bits_lens[] = {1, sig_len};
    unsigned char *bits = tlv(&bits_len, 0x03, 2, bits_parts, bits_lens);
    const unsigned char *new_parts[] = {sd.tbs, ecdsa_sha256, bits, trail};
    const size_t new_lens[] = {sd.tbs_len, sizeof(ecdsa_sha256), bits_len, trail_len};
    unsigned char *new_basic = bits != NULL ? tlv(&new_len, 0x30, 4, new_parts, new_lens) : NULL;
    unsigned char *octet = new_basic != NULL ? wrap(&octet_len, 0x04, new_basic, new_len) : NULL;
    const unsigned char *rb_parts[] = {id_basic, octet};
    const size_t rb_lens[] = {sizeof(id_basic), octet_len};
    unsigned char *rb = octet != NULL ? tlv(&rb_len, 0x30, 2, rb_parts, rb_lens) : NULL;
    unsigned char *a0 = rb != NULL ? wrap(&a0_len, 0xa0, rb, rb_len) : NULL;
    const unsigned char *resp_parts[] = {successful, a0};
    const size_t resp_lens[] = {sizeof(successful), a0_len};
    unsigned char *resp = a0 != NULL ? tlv(&resp_len, 0x30, 2, resp_parts, resp_lens) : NULL;
    if (resp != NULL) {
        judge(resp, resp_len);
    }
    free(resp);
    free(a0);
    free(rb);
    free(octet);
    free(new_basic);
    free(bits);
    OPENSSL_free(sig);
done:
    OPENSSL_free(reencoded);
    OCSP_BASICRESP_free(bs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ca == NULL) {
        ca = pem_cert(ca_pem);
        leaf = pem_cert(leaf_pem);
        responder = pem_cert(responder_pem);
        ca_key = pem_key(ca_key_pem);
        responder_key = pem_key(responder_key_pem);
        if (ca == NULL || leaf == NULL || responder == NULL || ca_key == NULL ||
            responder_key == NULL) {
            abort();
        }
    }
    judge(data, size);
    judge_resigned(data, size);
    return 0;
}
