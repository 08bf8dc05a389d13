/*
 * Fuzz target: a SubjectPublicKeyInfo as DER, through the GOST backend (handles, SPKI decoding,
 * point checks), then a verification whose signature is taken from the input's last bytes.
 * Deterministic and offline; the corpus holds real NCA SPKIs and malformed twins.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "gost.h"
#include "internal.h"
#include "sigalg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509_PUBKEY *spki = d2i_X509_PUBKEY(NULL, &p, (long)size);
    if (spki == NULL) {
        ERR_clear_error();
        return 0;
    }
    if (!qtb_sigalg_gost.handles(spki)) {
        X509_PUBKEY_free(spki);
        ERR_clear_error();
        return 0;
    }
    qtb_gost_pubkey key;
    if (qtb_gost_pubkey_from_spki(&key, spki) == 0) {
        /* A decoded key is on the curve: verifying anything must give a verdict, not a crash. */
        size_t want = 2 * key.alg->field_len;
        const unsigned char *sig = size >= want ? data + size - want : data;
        int ok = -1;
        int rc = qtb_gost_verify(&ok, &key, data, size, sig, size >= want ? want : size);
        if (rc != 0 || ok == -1) {
            abort();
        }
        X509_ALGOR *alg = X509_ALGOR_new();
        ASN1_OBJECT *oid = OBJ_txt2obj(key.alg->sig_oid, 1);
        if (alg != NULL && oid != NULL && X509_ALGOR_set0(alg, oid, V_ASN1_UNDEF, NULL) == 1) {
            oid = NULL;
            rc =
                qtb_sigalg_gost.verify(&ok, spki, alg, data, size, sig, size >= want ? want : size);
            if (rc != 0) {
                abort();
            }
        }
        ASN1_OBJECT_free(oid);
        X509_ALGOR_free(alg);
    }
    X509_PUBKEY_free(spki);
    ERR_clear_error();
    qtb_error_clear();
    return 0;
}
