/*
 * Fuzz target: an OCSP response (the bytes a responder sends) judged for a P-256 leaf and its CA
 * (made with the openssl CLI; the corpus holds `openssl ocsp` answers about that leaf: good,
 * revoked, unknown, delegated and CA-signed, with and without a nonce), with and without a
 * nonce expected: the hand-walked envelope, BasicOCSPResponse decoding, CertID matching,
 * responder authorisation, signature dispatch and freshness all see hostile input.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "revocation_int.h"

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBmzCCAUGgAwIBAgIUXtuF2O6RZdTs5XFu1Oc76mM8eA8wCgYIKoZIzj0EAwIw\n"
                             "GzEZMBcGA1UEAwwQUVRCIE9DU1AgRnV6eiBDQTAeFw0yNjExMjIwNTE2NDNaFw00\n"
                             "NjExMTcwNTE2NDNaMBsxGTAXBgNVBAMMEFFUQiBPQ1NQIEZ1enogQ0EwWTATBgcq\n"
                             "hkjOPQIBBggqhkjOPQMBBwNCAARVqojL1J3jbRVgK/aTMQQeK3Yhrzj4GFZ3DA5z\n"
                             "aTbeacDgD9MpKkJPOz30/Sp8uREJHEkkGS8Nc2QDBNX3Q3Wto2MwYTAdBgNVHQ4E\n"
                             "FgQUdm8/Fj9gEO0vQQt6k0gOE+bf9/kwHwYDVR0jBBgwFoAUdm8/Fj9gEO0vQQt6\n"
                             "k0gOE+bf9/kwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZI\n"
                             "zj0EAwIDSAAwRQIgOVh8nevQS9wTuHBZ57qG6YJyAANh81mnO/eTO3YeK/UCIQCa\n"
                             "0t5hbOgrNQD2Sp/P7oWoqqAAFLBSLwjzjIETW8SGzw==\n"
                             "-----END CERTIFICATE-----\n";

static const char leaf_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBITCBxwICEAAwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQUVRCIE9DU1AgRnV6\n"
                               "eiBDQTAeFw0yNjExMjIwNTE2NDNaFw0zNjExMTkwNTE2NDNaMB0xGzAZBgNVBAMM\n"
                               "ElFUQiBPQ1NQIEZ1enogTGVhZjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDWL\n"
                               "5jl8CwZnHldWVgq7kBbybU2rRtiz9kFNWyxSdZjIKZD1PBf5SyjeDWx+41KYGi4m\n"
                               "v5W3J/QFiJQ1I0cjh9kwCgYIKoZIzj0EAwIDSQAwRgIhANfWvQMsR2svVPgW3U1j\n"
                               "Y2EHw5VU6RkyEvg6DLWd0JyYAiEAj0RpMnxCg9JjiB3oojPQDHTUq1ow6fotv8Uy\n"
                               "f0oyTX4=\n"
                               "-----END CERTIFICATE-----\n";

#define FUZZ_TIME 1811808000 /* 2027-06-01 */

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static X509 *ca, *leaf;
    if (ca == NULL) {
        ca = pem_cert(ca_pem);
        leaf = pem_cert(leaf_pem);
        if (ca == NULL || leaf == NULL) {
            abort();
        }
    }
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
    return 0;
}
