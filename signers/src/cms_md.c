/*
 * Streaming message digests chosen by AlgorithmIdentifier, for CMS messageDigest and RFC 3161
 * messageImprint. EVP covers SHA-1/SHA-2/SHA-3; the NCA GOST hashes are named here so that a
 * message says what is missing, and get their implementation from the gost module.
 */
#include <stdio.h>

#include <openssl/objects.h>

#include "cms_int.h"
#include "gost.h"
#include "internal.h"
#include "sigalg.h"

/* Names of the Kazakh OIDs OpenSSL does not know (gost-kz.md §1.1). */
static const struct {
    const char *oid;
    const char *name;
} kz_names[] = {
    {"1.2.398.3.10.1.3.1", "GOST 34.311-95"},
    {"1.2.398.3.10.1.3.2", "GOST 34.11-2015/256"},
    {"1.2.398.3.10.1.3.3", "GOST 34.11-2015/512"},
    {"1.2.398.3.10.1.1.1.1", "GOST 34.310-2004 key"},
    {"1.2.398.3.10.1.1.1.2", "GOST 34.310-2004"},
    {"1.2.398.3.10.1.1.2.1", "GOST 34.10-2015/256 key"},
    {"1.2.398.3.10.1.1.2.2", "GOST 34.10-2015/512 key"},
    {"1.2.398.3.10.1.1.2.3.1", "GOST 34.10-2015/256"},
    {"1.2.398.3.10.1.1.2.3.2", "GOST 34.10-2015/512"},
};

void qtb_algor_name(char *buf, size_t cap, const X509_ALGOR *alg)
{
    const ASN1_OBJECT *obj = NULL;
    char oid[128];
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (obj == NULL || OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0) {
        snprintf(buf, cap, "(unknown)");
        return;
    }
    for (size_t i = 0; i < QTB_ARRAY_LEN(kz_names); i++) {
        if (strcmp(oid, kz_names[i].oid) == 0) {
            snprintf(buf, cap, "%s (%s)", kz_names[i].name, oid);
            return;
        }
    }
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) {
        snprintf(buf, cap, "%s", OBJ_nid2ln(nid));
        return;
    }
    snprintf(buf, cap, "%s", oid);
}

int qtb_md_init(qtb_md *md, const X509_ALGOR *alg)
{
    QTB_ASSERT_ARG(md != NULL && alg != NULL);
    memset(md, 0, sizeof(*md));
    qtb_algor_name(md->name, sizeof(md->name), alg);
    const ASN1_OBJECT *obj = NULL;
    int ptype = V_ASN1_UNDEF;
    X509_ALGOR_get0(&obj, &ptype, NULL, alg);
    /* RFC 5754 §2: SHA-2 parameters are absent or NULL; anything else is malformed. */
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
        return QTB_FAIL(QTB_EPARSE, "digest algorithm %s has unexpected parameters", md->name);
    }
    /* The Kazakh digest OIDs (gost-kz.md §1.1); the Tumar ones stay unsupported, by name. */
    char oid[64];
    if (obj != NULL && OBJ_obj2txt(oid, sizeof(oid), obj, 1) > 0 &&
        strncmp(oid, "1.2.398.3.10.1.3.", 17) == 0) {
        qtb_gost_hash h = QTB_GOST_HASH_NONE;
        if (strlen(oid) != 18 || qtb_gost_hash_by_oid(&h, oid) < 0) {
            return QTB_FAIL(QTB_EUNSUPPORTED, "digest algorithm %s is not supported", md->name);
        }
        QTB_TRY(qtb_gost_md_init(&md->g, h));
        md->gost = true;
        return 0;
    }
    const EVP_MD *evp = EVP_get_digestbyobj(obj);
    if (evp == NULL) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "digest algorithm %s is not supported", md->name);
    }
    int nid = EVP_MD_get_type(evp);
    if ((nid == NID_md5 || nid == NID_md4 || nid == NID_md2) &&
        (qtb_sig_policy() & QTB_SIGPOLICY_LEGACY) == 0) {
        /* the legacy policy (QTB_VERIFY_ALLOW_WEAK_CRYPTO) accepts them, as it does for
         * signatures; EVP still refuses what this OpenSSL no longer has (MD2) */
        return QTB_FAIL(QTB_EUNSUPPORTED, "digest algorithm %s is too weak", md->name);
    }
    md->ctx = EVP_MD_CTX_new();
    if (md->ctx == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for a digest");
    }
    if (EVP_DigestInit_ex(md->ctx, evp, NULL) != 1) {
        EVP_MD_CTX_free(md->ctx);
        md->ctx = NULL;
        return QTB_FAIL_SSL(QTB_EUNSUPPORTED, "digest algorithm %s is not available", md->name);
    }
    return 0;
}

int qtb_md_update(qtb_md *md, const void *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if (md->gost) {
        qtb_gost_md_update(&md->g, p, n);
        return 0;
    }
    if (EVP_DigestUpdate(md->ctx, p, n) != 1) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "digest update failed");
    }
    return 0;
}

int qtb_md_final(qtb_md *md, unsigned char *out, size_t *out_len)
{
    unsigned int n = 0;
    if (md->gost) {
        /* Callers' buffers are EVP_MAX_MD_SIZE (64) bytes: enough for Streebog-512. */
        return qtb_gost_md_final(&md->g, out, EVP_MAX_MD_SIZE, out_len);
    }
    if (EVP_DigestFinal_ex(md->ctx, out, &n) != 1) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "digest final failed");
    }
    *out_len = n;
    return 0;
}

void qtb_md_dispose(qtb_md *md)
{
    if (md == NULL) {
        return;
    }
    EVP_MD_CTX_free(md->ctx);
    md->ctx = NULL;
    if (md->gost) {
        qtb_wipe(&md->g, sizeof(md->g));
        md->gost = false;
    }
}

int qtb_md_digest(unsigned char *out, size_t *out_len, const X509_ALGOR *alg,
                  const unsigned char *p, size_t n)
{
    qtb_md md;
    int rc = qtb_md_init(&md, alg);
    if (rc == 0) {
        rc = qtb_md_update(&md, p, n);
    }
    if (rc == 0) {
        rc = qtb_md_final(&md, out, out_len);
    }
    qtb_md_dispose(&md);
    return rc;
}
