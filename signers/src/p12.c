/*
 * PKCS#12 (RFC 7292) key stores, walked bag by bag. PKCS12_parse cannot be used: it fails as a
 * whole on a private key whose algorithm OpenSSL does not know, and every current NCA RK key is
 * GOST 34.10-2015 (1.2.398.3.10.1.1.2.2). Here certificates always load, RSA/EC keys become an
 * EVP_PKEY, and Kazakh GOST keys are kept as raw bytes for the GOST signer.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <qtb/p12.h>

#include "certinfo_int.h"
#include "cms_int.h"
#include "internal.h"
#include "ossl_int.h"
#include "p12_int.h"

/* Kazakh GOST key algorithms: 1.2.398.3.10.1.1.1.* (34.310-2004), .1.1.2.* (34.10-2015). */
#define KZ_GOST_KEY_ARC "1.2.398.3.10.1.1."

struct qtb_p12 {
    X509 *cert;
    STACK_OF(X509) * chain;
    EVP_PKEY *pkey;
    bool has_key;
    unsigned char *gost_key;
    size_t gost_key_len;
    ASN1_OBJECT *key_alg;
    ASN1_OBJECT *param_set;
};

/* State of one walk over the safe contents. */
typedef struct walk {
    const char *pass; /* the password that matched the MAC (NULL and "" differ in PKCS#12) */
    int passlen;
    bool mac_checked; /* the password is known to be right */
    size_t bags;
    STACK_OF(X509) * certs;
    ASN1_OCTET_STRING *cert_ids[QTB_MAX_P12_CERTS]; /* localKeyID per certificate, or NULL */
    PKCS8_PRIV_KEY_INFO *p8;
    ASN1_OCTET_STRING *key_id;
    size_t keys;
} walk;

/* Without a MAC a failed decryption is the only sign of a wrong password. */
static int decrypt_failed(const walk *w, const char *what)
{
    if (!w->mac_checked) {
        return QTB_FAIL_SSL(QTB_EPASSWORD, "wrong password (cannot decrypt the %s)", what);
    }
    return QTB_FAIL_SSL(QTB_EPARSE, "cannot decrypt the %s", what);
}

static int local_key_id(ASN1_OCTET_STRING **out, const PKCS12_SAFEBAG *bag)
{
    *out = NULL;
    const ASN1_TYPE *t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
    if (t == NULL || t->type != V_ASN1_OCTET_STRING) {
        return 0;
    }
    *out = ASN1_OCTET_STRING_dup(t->value.octet_string);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return 0;
}

static int take_key(walk *w, PKCS8_PRIV_KEY_INFO *p8, const PKCS12_SAFEBAG *bag)
{
    w->keys++;
    if (w->keys > 1) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        return QTB_FAIL(QTB_EUNSUPPORTED, "key store holds more than one private key");
    }
    w->p8 = p8;
    return local_key_id(&w->key_id, bag);
}

static int take_cert(walk *w, const PKCS12_SAFEBAG *bag)
{
    if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) {
        return 0; /* SDSI certificates: not X.509, nothing to show */
    }
    size_t n = (size_t)sk_X509_num(w->certs);
    if (n >= QTB_MAX_P12_CERTS) {
        return QTB_FAIL(QTB_ETOOBIG, "key store holds more than %u certificates",
                        QTB_MAX_P12_CERTS);
    }
    X509 *x = PKCS12_SAFEBAG_get1_cert(bag);
    if (x == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "a certificate in the key store does not parse");
    }
    if (!sk_X509_push(w->certs, x)) {
        X509_free(x);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return local_key_id(&w->cert_ids[n], bag);
}

static int walk_bags(walk *w, const STACK_OF(PKCS12_SAFEBAG) * bags, int depth)
{
    if (depth > 3) {
        return QTB_FAIL(QTB_EPARSE, "key store nests safe contents too deeply");
    }
    for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
        const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
        if (++w->bags > QTB_MAX_P12_BAGS) {
            return QTB_FAIL(QTB_ETOOBIG, "key store holds more than %u bags", QTB_MAX_P12_BAGS);
        }
        switch (PKCS12_SAFEBAG_get_nid(bag)) {
        case NID_keyBag: {
            PKCS8_PRIV_KEY_INFO *p8 =
                ASN1_item_dup(ASN1_ITEM_rptr(PKCS8_PRIV_KEY_INFO), PKCS12_SAFEBAG_get0_p8inf(bag));
            if (p8 == NULL) {
                return QTB_FAIL(QTB_ENOMEM, "out of memory");
            }
            QTB_TRY(take_key(w, p8, bag));
            break;
        }
        case NID_pkcs8ShroudedKeyBag: {
            PKCS8_PRIV_KEY_INFO *p8 = PKCS12_decrypt_skey(bag, w->pass, w->passlen);
            if (p8 == NULL) {
                return decrypt_failed(w, "private key");
            }
            QTB_TRY(take_key(w, p8, bag));
            break;
        }
        case NID_certBag:
            QTB_TRY(take_cert(w, bag));
            break;
        case NID_safeContentsBag:
            QTB_TRY(walk_bags(w, PKCS12_SAFEBAG_get0_safes(bag), depth + 1));
            break;
        default:
            break; /* CRL and secret bags carry nothing certinfo or the signers use */
        }
    }
    return 0;
}

static int walk_authsafes(walk *w, const PKCS12 *p12)
{
    STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
    if (safes == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "PKCS#12 contents do not parse");
    }
    int rc = 0;
    for (int i = 0; i < sk_PKCS7_num(safes); i++) {
        PKCS7 *p7 = sk_PKCS7_value(safes, i);
        STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
        int nid = OBJ_obj2nid(p7->type);
        if (nid == NID_pkcs7_data) {
            bags = PKCS12_unpack_p7data(p7);
            if (bags == NULL) {
                rc = QTB_FAIL_SSL(QTB_EPARSE, "PKCS#12 safe contents do not parse");
                goto done;
            }
        } else if (nid == NID_pkcs7_encrypted) {
            bags = PKCS12_unpack_p7encdata(p7, w->pass, w->passlen);
            if (bags == NULL) {
                rc = decrypt_failed(w, "certificate bags");
                goto done;
            }
        } else {
            rc = QTB_FAIL(QTB_EUNSUPPORTED, "PKCS#12 public-key privacy mode is not supported");
            goto done;
        }
        rc = walk_bags(w, bags, 0);
        sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
        if (rc < 0) {
            goto done;
        }
    }
done:
    sk_PKCS7_pop_free(safes, PKCS7_free);
    return rc;
}

/*
 * RFC 7292 §5.1: the MAC proves the password. An empty password may be encoded either as no
 * bytes at all or as the BMPString terminator; try both, as PKCS12_parse does.
 */
static int check_mac(walk *w, PKCS12 *p12, const char *password)
{
    if (!PKCS12_mac_present(p12)) {
        w->pass = password;
        w->passlen = -1;
        return 0;
    }
    const char *tries[2] = {password, NULL};
    size_t ntries = password[0] == '\0' ? 2 : 1;
    for (size_t i = 0; i < ntries; i++) {
        ERR_clear_error();
        if (PKCS12_verify_mac(p12, tries[i], tries[i] != NULL ? -1 : 0)) {
            w->pass = tries[i];
            w->passlen = tries[i] != NULL ? -1 : 0;
            w->mac_checked = true;
            return 0;
        }
        /* A MAC that could not be computed is not a password problem. */
        if (ERR_GET_REASON(ERR_peek_last_error()) == PKCS12_R_MAC_GENERATION_ERROR) {
            return QTB_FAIL_SSL(QTB_EUNSUPPORTED, "cannot compute the PKCS#12 integrity MAC");
        }
    }
    ERR_clear_error();
    return QTB_FAIL(QTB_EPASSWORD, "wrong password");
}

/* The first OID of the key parameters: GOST keys carry SEQUENCE { paramSet, digest }. */
static int gost_param_set(ASN1_OBJECT **out, const X509_ALGOR *alg)
{
    *out = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    if (ptype == V_ASN1_OBJECT) {
        *out = OBJ_dup(pval);
        return *out != NULL ? 0 : QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (ptype != V_ASN1_SEQUENCE) {
        return 0;
    }
    const ASN1_STRING *seq = pval;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    ERR_set_mark();
    ASN1_SEQUENCE_ANY *items = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(seq));
    ERR_pop_to_mark();
    if (items == NULL) {
        return QTB_FAIL(QTB_EPARSE, "GOST key parameters do not parse");
    }
    int rc = 0;
    const ASN1_TYPE *first = sk_ASN1_TYPE_num(items) > 0 ? sk_ASN1_TYPE_value(items, 0) : NULL;
    if (first != NULL && first->type == V_ASN1_OBJECT) {
        *out = OBJ_dup(first->value.object);
        if (*out == NULL) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
    return rc;
}

/*
 * Keep a Kazakh GOST key as its little-endian private scalar. 34.10-2015 keys hold an OCTET STRING
 * of the little-endian bytes (the RFC 4491 layout); 34.310-2004 keys hold a DER INTEGER
 * (big-endian), which is reversed here so the GOST signer sees one byte order.
 */
static int keep_gost_key(qtb_p12 *p, const unsigned char *pk, int pklen, const X509_ALGOR *alg)
{
    unsigned char tag = pklen > 0 ? pk[0] : 0;
    const unsigned char *q = pk;
    ASN1_STRING *inner = NULL;
    ERR_set_mark();
    if (tag == V_ASN1_OCTET_STRING) {
        inner = d2i_ASN1_OCTET_STRING(NULL, &q, pklen);
    } else if (tag == V_ASN1_INTEGER) {
        inner = d2i_ASN1_INTEGER(NULL, &q, pklen);
    }
    ERR_pop_to_mark();
    int rc = 0;
    if (inner == NULL || q != pk + pklen) {
        rc = QTB_FAIL(QTB_EPARSE, "GOST private key is neither an OCTET STRING nor an INTEGER");
        goto done;
    }
    const unsigned char *key = ASN1_STRING_get0_data(inner);
    size_t key_len = (size_t)ASN1_STRING_length(inner);
    size_t want = key_len;
    if (tag == V_ASN1_INTEGER) {
        /* A positive INTEGER may carry a leading zero; the scalar is 32 or 64 bytes. */
        while (key_len > 0 && key[0] == 0) {
            key++;
            key_len--;
        }
        want = key_len <= 32 ? 32 : 64;
    }
    if (key_len == 0 || key_len > 64 || (want != 32 && want != 64)) {
        rc = QTB_FAIL(QTB_EPARSE, "GOST private key has an unexpected length (%zu bytes)", key_len);
        goto done;
    }
    p->gost_key = qtb_calloc(1, want);
    if (p->gost_key == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    if (tag == V_ASN1_INTEGER) {
        for (size_t i = 0; i < key_len; i++) {
            p->gost_key[i] = key[key_len - 1 - i];
        }
    } else {
        memcpy(p->gost_key, key, key_len);
    }
    p->gost_key_len = want;
    rc = gost_param_set(&p->param_set, alg);
done:
    if (inner != NULL) {
        ASN1_STRING_clear_free(inner);
    }
    return rc;
}

static int load_key(qtb_p12 *p, const PKCS8_PRIV_KEY_INFO *p8)
{
    const ASN1_OBJECT *obj = NULL;
    const unsigned char *pk = NULL;
    int pklen = 0;
    const X509_ALGOR *alg = NULL;
    if (!PKCS8_pkey_get0(&obj, &pk, &pklen, &alg, p8)) {
        return QTB_FAIL_SSL(QTB_EPARSE, "private key info does not parse");
    }
    p->has_key = true;
    p->key_alg = OBJ_dup(obj);
    if (p->key_alg == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof(oid), obj, 1);
    if (n > 0 && (size_t)n < sizeof(oid) &&
        strncmp(oid, KZ_GOST_KEY_ARC, strlen(KZ_GOST_KEY_ARC)) == 0) {
        return keep_gost_key(p, pk, pklen, alg);
    }
    /* Any other algorithm OpenSSL cannot load stays NULL; the signer reports it by name. */
    ERR_set_mark();
    p->pkey = EVP_PKCS82PKEY(p8);
    ERR_pop_to_mark();
    return 0;
}

/* Which certificate belongs to the key: localKeyID, else the public key, else the leaf. */
static int pick_cert(const walk *w, const qtb_p12 *p)
{
    int n = sk_X509_num(w->certs);
    if (w->key_id != NULL) {
        for (int i = 0; i < n; i++) {
            if (w->cert_ids[i] != NULL && ASN1_OCTET_STRING_cmp(w->cert_ids[i], w->key_id) == 0) {
                return i;
            }
        }
    }
    if (p->pkey != NULL) {
        for (int i = 0; i < n; i++) {
            ERR_set_mark();
            int match = X509_check_private_key(sk_X509_value(w->certs, i), p->pkey);
            ERR_pop_to_mark();
            if (match) {
                return i;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if ((X509_get_extension_flags(sk_X509_value(w->certs, i)) & EXFLAG_CA) == 0) {
            return i;
        }
    }
    return 0;
}

static int finish(qtb_p12 *p, walk *w)
{
    if (w->p8 != NULL) {
        QTB_TRY(load_key(p, w->p8));
    }
    int n = sk_X509_num(w->certs);
    if (n == 0) {
        return QTB_FAIL(QTB_EPARSE, "key store holds no certificate");
    }
    int idx = pick_cert(w, p);
    p->chain = sk_X509_new_null();
    if (p->chain == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(w->certs, i);
        if (i == idx) {
            p->cert = x;
        } else if (!sk_X509_push(p->chain, x)) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        sk_X509_set(w->certs, i, NULL); /* ownership moved to p */
    }
    return 0;
}

static void walk_dispose(walk *w)
{
    sk_X509_pop_free(w->certs, X509_free);
    for (size_t i = 0; i < QTB_ARRAY_LEN(w->cert_ids); i++) {
        ASN1_OCTET_STRING_free(w->cert_ids[i]);
    }
    ASN1_OCTET_STRING_free(w->key_id);
    /* PKCS8_PRIV_KEY_INFO_free cleanses the key octets before freeing them. */
    PKCS8_PRIV_KEY_INFO_free(w->p8);
}

/* Parse the PFX itself: exactly one PKCS12 structure, nothing after it. */
static int parse_pfx(PKCS12 **out, const unsigned char *data, size_t len)
{
    *out = NULL;
    if (len > QTB_MAX_CERT_FILE) {
        return QTB_FAIL(QTB_ETOOBIG, "key store is larger than %u bytes", QTB_MAX_CERT_FILE);
    }
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form = QTB_FORM_DER;
    QTB_TRY(qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, data, len));
    int rc = 0;
    int ilen = 0;
    QTB_TRY_GOTO(qtb_size_to_int(&ilen, der_len));
    const unsigned char *p = der;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, ilen);
    if (p12 == NULL) {
        char msg[256];
        if (qtb_wrong_kind(msg, sizeof(msg), data, len, "a PKCS#12 key store",
                           "a PKCS#12 key store")) {
            ERR_clear_error();
            rc = QTB_FAIL(QTB_EPARSE, "%s", msg);
        } else {
            rc = QTB_FAIL_SSL(QTB_EPARSE, "not a PKCS#12 file");
        }
        goto done;
    }
    if (p != der + der_len) {
        PKCS12_free(p12);
        rc = QTB_FAIL(QTB_EPARSE, "trailing bytes after the PKCS#12 structure");
        goto done;
    }
    *out = p12;
done:
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

bool qtb_p12_detect(const unsigned char *data, size_t len)
{
    if (data == NULL || len == 0) {
        return false;
    }
    PKCS12 *p12 = NULL;
    ERR_set_mark();
    int rc = parse_pfx(&p12, data, len);
    ERR_pop_to_mark();
    PKCS12_free(p12);
    return rc == 0;
}

int qtb_p12_open(qtb_p12 **out, const unsigned char *der, size_t len, const char *password)
{
    QTB_ASSERT_ARG(out != NULL && (der != NULL || len == 0) && password != NULL);
    *out = NULL;
    QTB_TRY(qtb_ossl_init());
    if (strlen(password) > QTB_MAX_PASSWORD) {
        return QTB_FAIL(QTB_ETOOBIG, "password is longer than %u bytes", QTB_MAX_PASSWORD);
    }
    PKCS12 *p12 = NULL;
    QTB_TRY(parse_pfx(&p12, der, len));
    walk w;
    memset(&w, 0, sizeof(w));
    qtb_p12 *p = qtb_calloc(1, sizeof(*p));
    w.certs = sk_X509_new_null();
    int rc = 0;
    if (p == NULL || w.certs == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    QTB_TRY_GOTO(check_mac(&w, p12, password));
    QTB_TRY_GOTO(walk_authsafes(&w, p12));
    QTB_TRY_GOTO(finish(p, &w));
    *out = p;
    p = NULL;
done:
    walk_dispose(&w);
    qtb_p12_free(p);
    PKCS12_free(p12);
    return rc;
}

void qtb_p12_free(qtb_p12 *p)
{
    if (p == NULL) {
        return;
    }
    X509_free(p->cert);
    sk_X509_pop_free(p->chain, X509_free);
    EVP_PKEY_free(p->pkey);
    qtb_wipe(p->gost_key, p->gost_key_len);
    qtb_free(p->gost_key);
    ASN1_OBJECT_free(p->key_alg);
    ASN1_OBJECT_free(p->param_set);
    qtb_free(p);
}

int qtb_p12_info_json(char **out, const qtb_p12 *p)
{
    QTB_ASSERT_ARG(out != NULL && p != NULL);
    return qtb_certinfo_document(out, p->cert, p->chain);
}

bool qtb_p12_has_key(const qtb_p12 *p)
{
    return p != NULL && p->has_key;
}

X509 *qtb_p12_cert(const qtb_p12 *p)
{
    return p->cert;
}

STACK_OF(X509) * qtb_p12_chain(const qtb_p12 *p)
{
    return p->chain;
}

EVP_PKEY *qtb_p12_pkey(const qtb_p12 *p)
{
    return p->pkey;
}

int qtb_p12_gost_key(const qtb_p12 *p, const unsigned char **key, size_t *key_len,
                     const ASN1_OBJECT **key_alg, const ASN1_OBJECT **param_set)
{
    QTB_ASSERT_ARG(p != NULL && key != NULL && key_len != NULL);
    if (p->gost_key == NULL) {
        return QTB_FAIL(QTB_ENOTFOUND, "the key store holds no GOST key");
    }
    *key = p->gost_key;
    *key_len = p->gost_key_len;
    if (key_alg != NULL) {
        *key_alg = p->key_alg;
    }
    if (param_set != NULL) {
        *param_set = p->param_set;
    }
    return 0;
}
