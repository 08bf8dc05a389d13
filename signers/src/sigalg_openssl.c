/*
 * The OpenSSL signature backend: RSA PKCS#1 v1.5 (RFC 8017 §8.2), RSASSA-PSS with the
 * parameters of its AlgorithmIdentifier (RFC 4055 §3.1), ECDSA (RFC 5758 §3.2), DSA and
 * EdDSA (RFC 8410). The key is the one OpenSSL decoded when the SubjectPublicKeyInfo was
 * parsed (X509_PUBKEY_get0 borrows it; it is not decoded again here).
 *
 * Policy: MD2/MD4/MD5 signatures are refused (QTB_EUNSUPPORTED, i.e. CRYPTO_CONSTRAINTS_FAILURE);
 * SHA-1 is still accepted because older certificates and the conformance corpus use it; RSA and
 * DSA keys below 1024 bits are refused.
 */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "internal.h"
#include "sigalg.h"

#define QTB_MIN_RSA_BITS 1024

static int spki_key_nid(const X509_PUBKEY *spki)
{
    ASN1_OBJECT *alg = NULL;
    if (X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, spki) != 1 || alg == NULL) {
        return NID_undef;
    }
    return OBJ_obj2nid(alg);
}

static bool openssl_handles(const X509_PUBKEY *spki)
{
    switch (spki_key_nid(spki)) {
    case NID_rsaEncryption:
    case NID_rsassaPss:
    case NID_X9_62_id_ecPublicKey:
    case NID_dsa:
    case NID_ED25519:
    case NID_ED448:
        return true;
    default:
        return false;
    }
}

static bool digest_is_weak(int mdnid)
{
    return mdnid == NID_md2 || mdnid == NID_md4 || mdnid == NID_md5 || mdnid == NID_mdc2 ||
           mdnid == NID_md5_sha1;
}

static bool digest_is_known(int mdnid)
{
    switch (mdnid) {
    case NID_sha1:
    case NID_sha224:
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
    case NID_sha3_224:
    case NID_sha3_256:
    case NID_sha3_384:
    case NID_sha3_512:
        return true;
    default:
        return false;
    }
}

/* The hash an AlgorithmIdentifier names (RFC 4055 §2.1: absent means SHA-1). */
static int algor_md_nid(const X509_ALGOR *a)
{
    if (a == NULL) {
        return NID_sha1;
    }
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, a);
    return OBJ_obj2nid(obj);
}

typedef struct pss_params {
    int md;
    int mgf1_md;
    int salt;
} pss_params;

/* RSASSA-PSS-params (RFC 4055 §3.1); every field has a default. */
static int pss_params_read(pss_params *out, const X509_ALGOR *sigalg)
{
    int ptype = V_ASN1_UNDEF;
    const void *pval = NULL;
    X509_ALGOR_get0(NULL, &ptype, &pval, sigalg);
    QTB_ENSURE(ptype == V_ASN1_SEQUENCE, QTB_EUNSUPPORTED,
               "RSASSA-PSS signature without parameters");
    ASN1_TYPE param = {.type = V_ASN1_SEQUENCE, .value.sequence = (ASN1_STRING *)pval};
    RSA_PSS_PARAMS *pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), &param);
    if (pss == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "unreadable RSASSA-PSS parameters");
    }
    int rc = 0;
    out->md = algor_md_nid(pss->hashAlgorithm);
    out->mgf1_md = NID_sha1;
    out->salt = 20;
    if (pss->maskGenAlgorithm != NULL) {
        const ASN1_OBJECT *mgf = NULL;
        int mtype = V_ASN1_UNDEF;
        const void *mval = NULL;
        X509_ALGOR_get0(&mgf, &mtype, &mval, pss->maskGenAlgorithm);
        if (OBJ_obj2nid(mgf) != NID_mgf1 || mtype != V_ASN1_SEQUENCE) {
            rc = QTB_FAIL(QTB_EUNSUPPORTED, "RSASSA-PSS with a mask generation other than MGF1");
            goto done;
        }
        ASN1_TYPE mparam = {.type = V_ASN1_SEQUENCE, .value.sequence = (ASN1_STRING *)mval};
        X509_ALGOR *mgfmd = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), &mparam);
        if (mgfmd == NULL) {
            rc = QTB_FAIL_SSL(QTB_EPARSE, "unreadable MGF1 parameters");
            goto done;
        }
        out->mgf1_md = algor_md_nid(mgfmd);
        X509_ALGOR_free(mgfmd);
    }
    if (pss->saltLength != NULL) {
        long salt = ASN1_INTEGER_get(pss->saltLength);
        if (salt < 0 || salt > 1024) {
            rc = QTB_FAIL(QTB_EPARSE, "RSASSA-PSS salt length %ld out of range", salt);
            goto done;
        }
        out->salt = (int)salt;
    }
    if (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1) {
        rc = QTB_FAIL(QTB_EUNSUPPORTED, "RSASSA-PSS trailer field other than 1");
        goto done;
    }
    if (!digest_is_known(out->md) || !digest_is_known(out->mgf1_md)) {
        rc = QTB_FAIL(QTB_EUNSUPPORTED, "RSASSA-PSS with hash %s is not accepted",
                      OBJ_nid2sn(digest_is_known(out->md) ? out->mgf1_md : out->md));
        goto done;
    }
done:
    RSA_PSS_PARAMS_free(pss);
    return rc;
}

static int check_key_size(EVP_PKEY *pkey)
{
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA) {
        int bits = EVP_PKEY_get_bits(pkey);
        QTB_ENSURE(bits >= QTB_MIN_RSA_BITS || (qtb_sig_policy() & QTB_SIGPOLICY_LEGACY),
                   QTB_EUNSUPPORTED, "%s key of %d bits is too small (at least %d required)",
                   id == EVP_PKEY_DSA ? "DSA" : "RSA", bits, QTB_MIN_RSA_BITS);
    }
    return 0;
}

/* True when the key can make signatures of the kind `pknid` names. */
static bool key_fits(EVP_PKEY *pkey, int pknid)
{
    int id = EVP_PKEY_get_base_id(pkey);
    if (pknid == NID_rsaEncryption) {
        return id == EVP_PKEY_RSA;
    }
    if (pknid == NID_rsassaPss) {
        return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
    }
    return id == pknid;
}

static int openssl_verify(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                          const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                          size_t sig_len)
{
    *ok = 0;
    char oid[128];
    const ASN1_OBJECT *sigobj = NULL;
    X509_ALGOR_get0(&sigobj, NULL, NULL, sigalg);
    int signid = OBJ_obj2nid(sigobj);

    EVP_PKEY *pkey = X509_PUBKEY_get0(spki);
    if (pkey == NULL) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot decode the public key");
    }
    QTB_TRY(check_key_size(pkey));

    pss_params pss = {0};
    int mdnid = NID_undef;
    int pknid = NID_undef;
    if (signid == NID_rsassaPss) {
        QTB_TRY(pss_params_read(&pss, sigalg));
        mdnid = pss.md;
        pknid = NID_rsassaPss;
    } else if (signid == NID_undef || OBJ_find_sigid_algs(signid, &mdnid, &pknid) != 1) {
        qtb_sigalg_oid_text(oid, sizeof(oid), sigobj);
        return QTB_FAIL(QTB_EUNSUPPORTED, "unsupported signature algorithm %s", oid);
    }
    bool legacy = (qtb_sig_policy() & QTB_SIGPOLICY_LEGACY) != 0;
    if (digest_is_weak(mdnid) && !legacy) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "weak signature algorithm %s is not accepted",
                        OBJ_nid2sn(signid));
    }
    bool pure = pknid == NID_ED25519 || pknid == NID_ED448;
    if (!pure && !digest_is_known(mdnid) && !(legacy && digest_is_weak(mdnid))) {
        qtb_sigalg_oid_text(oid, sizeof(oid), sigobj);
        return QTB_FAIL(QTB_EUNSUPPORTED, "unsupported signature algorithm %s", oid);
    }
    if (!key_fits(pkey, pknid)) {
        /* A signature of another kind cannot have been made with this key. */
        return 0;
    }

    int rc = 0;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    const char *mdname = pure ? NULL : OBJ_nid2sn(mdnid);
    if (EVP_DigestVerifyInit_ex(mctx, &pctx, mdname, NULL, NULL, pkey, NULL) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot set up %s verification", OBJ_nid2sn(signid));
        goto done;
    }
    if (signid == NID_rsassaPss) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, OBJ_nid2sn(pss.mgf1_md), NULL) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss.salt) != 1) {
            /* The key's own PSS restrictions (RFC 4055 §3.1) refuse these parameters. */
            ERR_clear_error();
            goto done;
        }
    }
    /* 1 valid; 0 invalid; negative for a malformed signature, which is invalid too. */
    if (EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len) == 1) {
        *ok = 1;
    }
    ERR_clear_error();
done:
    EVP_MD_CTX_free(mctx);
    return rc;
}

const qtb_sigalg_ops qtb_sigalg_openssl = {
    .version = QTB_SIGALG_OPS_VERSION,
    .name = "openssl",
    .handles = openssl_handles,
    .verify = openssl_verify,
};
