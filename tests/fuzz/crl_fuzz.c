/*
 * Fuzz target: one trust-folder file (certificate or CRL, PEM or DER) added to a trust set that
 * already holds a CA, then a path validated through it, so that hostile CRLs (names, scopes,
 * extensions, signatures) and hostile certificates reach the path builder and the revocation
 * code. Also runs the signed-object DER walk on the raw input.
 *
 * Almost every mutation breaks a CRL's signature, and the revocation logic behind it (scope and
 * issuingDistributionPoint, issuer and key identifier match, thisUpdate/nextUpdate, reasons,
 * holds, delta and critical extensions) would never run. So every CRL the input holds (DER, or
 * each "X509 CRL" PEM block) is also re-signed with the CA's key (X509_CRL_sign, which re-encodes
 * the parsed list) and validated against in a second trust set, besides the input as it came.
 *
 * The CA (CN=QTB Fuzz CA, keyUsage keyCertSign+cRLSign) and its key, and the leaf (serial 0x1000,
 * critical NCA role EKU, a CRL distribution point http://test.qoltanba.invalid/ca.crl) were made
 * with the openssl CLI for this target only; the CA keeps the subject key identifier of the one
 * before it, so the older seeds (same names, serial and key identifier) still match it. The
 * resign-* seeds are `openssl ca -gencrl` lists of that CA: the leaf on hold, superseded under
 * a matching issuingDistributionPoint, key-compromised in a delta CRL, and an empty list whose
 * nextUpdate is before the validation time. ECDSA signatures differ from run to run; the paths
 * taken do not.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "sigalg.h"
#include "trust_int.h"
#include "trust_priv.h"

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBXDCCAQOgAwIBAgIBATAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtRVEIgRnV6\n"
                             "eiBDQTAeFw0yNjEyMDcxNTA0MzNaFw00NjEyMDIxNTA0MzNaMBYxFDASBgNVBAMM\n"
                             "C1FUQiBGdXp6IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu6+DakuKWIpP\n"
                             "4MNoRMsyNf7HybRTaZ8iQRz+dcValWAJOeMbPFsdyJcja/yhTusjuo0XKqGucq5V\n"
                             "EIPbg8R9vKNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYD\n"
                             "VR0OBBYEFJ3iOHSiZdHutNiwrrKvATmBDj+JMAoGCCqGSM49BAMCA0cAMEQCIGHI\n"
                             "HFDrC74J+nfQme5LiSmrCt5EdNxP3eHfPBRxZbKQAiA9DWFUvzYvauyYYvdxPBxF\n"
                             "sCzNys5TP54mR10IuaUFEw==\n"
                             "-----END CERTIFICATE-----\n";

static const char leaf_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIB1zCCAXygAwIBAgICEAAwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLUVRCIEZ1\n"
                               "enogQ0EwHhcNMjMwMTAxMDAwMDAwWhcNMzMwMTAxMDAwMDAwWjAYMRYwFAYDVQQD\n"
                               "DA1RVEIgRnV6eiBMZWFmMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEywVZyIoq\n"
                               "KXp84iyZZf2IXFVpY3QU+N8oNS8Frjsht51g5kvjWo/Z10JjyF++rSA18Izie8f3\n"
                               "PvsqXwa6pCcLo6OBtzCBtDAJBgNVHRMEAjAAMA4GA1UdDwEB/wQEAwIGwDAdBgNV\n"
                               "HQ4EFgQUXT/U5d+fu4iBMRHi+nqN1uJfE1gwHwYDVR0jBBgwFoAUneI4dKJl0e60\n"
                               "2LCusq8BOYEOP4kwIQYDVR0lAQH/BBcwFQYIKwYBBQUHAwQGCSqDDgMDBAECAjA0\n"
                               "BgNVHR8ELTArMCmgJ6AlhiNodHRwOi8vdGVzdC5xb2x0YW5iYS5pbnZhbGlkL2Nh\n"
                               "LmNybDAKBggqhkjOPQQDAgNJADBGAiEAvl/5CsqN5DOY9I+GKKmQkGqc4oh7M2AK\n"
                               "Pfu+VheqXDECIQDBICVK0LJuWUOf5usSzy/fnBbtDYw1A7S/9Yl9K88gdw==\n"
                               "-----END CERTIFICATE-----\n";

static const char ca_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6Fj/uFp9dRn5Kyya\n"
    "+rKGpp/kVMFcqr8w7iZEZLhAr7uhRANCAAS7r4NqS4pYik/gw2hEyzI1/sfJtFNp\n"
    "nyJBHP51xVqVYAk54xs8Wx3IlyNr/KFO6yO6jRcqoa5yrlUQg9uDxH28\n"
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
static X509 *ca, *leaf;
static EVP_PKEY *ca_key;

static qtb_trust *trust_with_ca(void)
{
    qtb_trust *t = NULL;
    if (qtb_trust_new(&t) != 0 || qtb_trust_add_cert(t, ca, true) != 0) {
        abort();
    }
    return t;
}

static void validate(qtb_trust *t, X509 *x)
{
    qtb_path_result r;
    if (qtb_trust_validate(&r, t, x, NULL, FUZZ_TIME, FUZZ_TIME, QTB_PATH_FOR_SIGNING) == 0) {
        qtb_path_result_dispose(&r);
    }
}

/* Sign `crl` again with the CA key and add it to `t`; 1 if it went in. */
static int add_resigned(qtb_trust *t, X509_CRL *crl)
{
    int in = X509_CRL_sign(crl, ca_key, EVP_sha256()) > 0 && qtb_trust_add_crl(t, crl) == 0;
    X509_CRL_free(crl);
    return in;
}

/* The input's CRLs, re-signed, alone with the CA in a trust set; the leaf validated there. */
static void validate_resigned(const uint8_t *data, size_t size)
{
    if (size == 0 || size > INT32_MAX) {
        return;
    }
    qtb_trust *t = trust_with_ca();
    int added = 0;
    if (data[0] == 0x30) {
        const unsigned char *p = data;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)size);
        if (crl != NULL) {
            added += add_resigned(t, crl);
        }
    } else {
        BIO *bio = BIO_new_mem_buf(data, (int)size);
        X509_CRL *crl = NULL;
        for (int i = 0;
             bio != NULL && i < 8 && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL;
             i++) {
            added += add_resigned(t, crl);
        }
        BIO_free(bio);
    }
    ERR_clear_error();
    if (added > 0) {
        validate(t, leaf);
    }
    qtb_error_clear();
    qtb_trust_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ca == NULL) {
        ca = pem_cert(ca_pem);
        leaf = pem_cert(leaf_pem);
        ca_key = pem_key(ca_key_pem);
        if (ca == NULL || leaf == NULL || ca_key == NULL) {
            abort();
        }
    }
    qtb_trust *t = trust_with_ca();

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

    validate_resigned(data, size);
    return 0;
}
