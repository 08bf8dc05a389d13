/*
 * Fuzz target: one trust-folder file (certificate or CRL, PEM or DER) added to a trust set that
 * already holds a CA, then a path validated through it, so that hostile CRLs (names, scopes,
 * extensions, signatures) and hostile certificates reach the path builder and the revocation
 * code. Also runs the signed-object DER walk on the raw input.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "sigalg.h"
#include "trust_int.h"
#include "trust_priv.h"

/* A P-256 CA and a leaf it issued (critical NCA role EKU), made with the openssl CLI. */
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBXTCCAQOgAwIBAgIBATAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtRVEIgRnV6\n"
                             "eiBDQTAeFw0yNjExMjIwNDU0MTdaFw00NjExMTcwNDU0MTdaMBYxFDASBgNVBAMM\n"
                             "C1FUQiBGdXp6IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6855RpQyPBy5\n"
                             "G1vinsllFZJ8OoLyLLL2MSg8qLvm1XkpnIokfSJr7y+kNlnQBiIagjF4i4r+DVCp\n"
                             "gCYG+647jaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYD\n"
                             "VR0OBBYEFJ3iOHSiZdHutNiwrrKvATmBDj+JMAoGCCqGSM49BAMCA0gAMEUCICrS\n"
                             "w6PTVYpfHlRdLuLj7EBN0T1uNPwK70fBErfKE+qdAiEAh/WElWOeTc5RpD83CeEC\n"
                             "093d4ZDYltMiSvf36gcL6j4=\n"
                             "-----END CERTIFICATE-----\n";

static const char leaf_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBnzCCAUWgAwIBAgICEAAwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLUVRCIEZ1\n"
                               "enogQ0EwHhcNMjMwMTAxMDAwMDAwWhcNMzMwMTAxMDAwMDAwWjAYMRYwFAYDVQQD\n"
                               "DA1RVEIgRnV6eiBMZWFmMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2FN3PwMs\n"
                               "zd4O7Nr3sC5yB20iUJMBYHtyuuOByPBpu06uLadwA7HdaGJjRcJqNUxcJ5Ai/fo0\n"
                               "9CAS0XejScggyaOBgDB+MAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQDAgbAMB0GA1Ud\n"
                               "DgQWBBQpeP81vCP1gX0uaw5OJCBTyrVRNTAfBgNVHSMEGDAWgBSd4jh0omXR7rTY\n"
                               "sK6yrwE5gQ4/iTAhBgNVHSUBAf8EFzAVBggrBgEFBQcDBAYJKoMOAwMEAQICMAoG\n"
                               "CCqGSM49BAMCA0gAMEUCIQDm1U21Zl95PKbTY2vlGj/1nxcB3CANJr6uC6pKIwMA\n"
                               "6gIgCmsUNoTqSMg+BSaebQKIynX3B5h6NSHvaAZVzImmKBE=\n"
                               "-----END CERTIFICATE-----\n";

#define FUZZ_TIME 1811808000 /* 2027-06-01 */

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

static void validate(qtb_trust *t, X509 *leaf)
{
    qtb_path_result r;
    if (qtb_trust_validate(&r, t, leaf, NULL, FUZZ_TIME, FUZZ_TIME, QTB_PATH_FOR_SIGNING) == 0) {
        qtb_path_result_dispose(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509 *ca = pem_cert(ca_pem);
    X509 *leaf = pem_cert(leaf_pem);
    qtb_trust *t = NULL;
    if (ca == NULL || leaf == NULL || qtb_trust_new(&t) != 0) {
        abort();
    }
    if (qtb_trust_add_cert(t, ca, true) != 0) {
        abort();
    }

    qtb_signed_der sd;
    if (qtb_signed_der_split(&sd, data, size, true) == 0) {
        int ok = 0;
        (void)qtb_sig_verify_crl_der(&ok, data, size, X509_get_X509_PUBKEY(ca));
        (void)qtb_sig_verify_cert_der(&ok, data, size, X509_get_X509_PUBKEY(ca));
    }

    size_t before = t->nanchors;
    if (qtb_trust_add_mem(t, data, size, "fuzz input") == 0) {
        validate(t, leaf);
        /* a certificate from the input, validated in its turn */
        if (t->nanchors > before) {
            validate(t, t->anchors[t->nanchors - 1].x);
        }
    }
    qtb_error_clear();
    qtb_trust_free(t);
    X509_free(ca);
    X509_free(leaf);
    return 0;
}
