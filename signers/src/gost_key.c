/*
 * GOST private keys from NCA key stores. The PKCS#12 loader (p12.c) hands over the private
 * scalar little-endian whatever its stored form (an OCTET STRING for 34.10-2015/512, a DER
 * INTEGER for 34.310-2004); here the PKCS#8 algorithm and parameter set pick the curve.
 */
#include "gost.h"

#include <openssl/objects.h>

#include "internal.h"
#include "p12_int.h"

static int obj_text(char *buf, size_t cap, const ASN1_OBJECT *obj)
{
    int n = OBJ_obj2txt(buf, (int)cap, obj, 1);
    if (n <= 0 || (size_t)n >= cap) {
        return QTB_FAIL_SSL(QTB_EPARSE, "unreadable or oversized OID in the private key");
    }
    return 0;
}

int qtb_gost_privkey_from_p12(qtb_gost_privkey *out, const struct qtb_p12 *p12)
{
    QTB_ASSERT_ARG(out != NULL && p12 != NULL);
    memset(out, 0, sizeof(*out));
    const unsigned char *key = NULL;
    size_t key_len = 0;
    const ASN1_OBJECT *key_alg = NULL, *param_set = NULL;
    QTB_TRY(qtb_p12_gost_key(p12, &key, &key_len, &key_alg, &param_set));
    if (key_alg == NULL) {
        return QTB_FAIL(QTB_EPARSE, "GOST private key without an algorithm");
    }
    char alg_oid[128];
    QTB_TRY(obj_text(alg_oid, sizeof(alg_oid), key_alg));
    if (qtb_gost_oid_is_tumar(alg_oid)) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "legacy Tumar GOST private key %s is not supported",
                        alg_oid);
    }
    const qtb_gost_alg *alg = NULL;
    size_t n = 0;
    const qtb_gost_alg *algs = qtb_gost_algs(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(alg_oid, algs[i].key_oid) == 0) {
            alg = &algs[i];
        }
    }
    if (alg == NULL) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "not a Kazakh GOST private key algorithm: %s", alg_oid);
    }
    /* As for public keys: the parameter set must be the one the algorithm is defined with. */
    if (param_set != NULL) {
        char param_oid[128];
        QTB_TRY(obj_text(param_oid, sizeof(param_oid), param_set));
        if (strcmp(param_oid, alg->param_oid) != 0) {
            return QTB_FAIL(QTB_EUNSUPPORTED, "%s private key with unsupported parameter set %s",
                            alg->name, param_oid);
        }
    }
    if (key_len != alg->field_len) {
        return QTB_FAIL(QTB_EPARSE, "%s private key must be %zu bytes, got %zu", alg->name,
                        alg->field_len, key_len);
    }
    return qtb_gost_privkey_from_raw(out, alg, key, key_len);
}
