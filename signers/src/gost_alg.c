/*
 * Kazakh GOST identifiers: OIDs (NCA RK certificates, CRLs, OCSP, CMS) and XMLDSig URIs
 * (Kalkan, NCALayer, NCANode), mapped to the hash and curve each one means. The table is the one
 * in shared/reference/gost-kz.md §1; every 2004 and 2015/512 line was observed on real NCA test
 * material, the 2015/256 line comes from third-party sources only.
 */
#include "gost.h"

#include <string.h>

#include "internal.h"

#define KZ_DSIG_MORE "http://www.w3.org/2001/04/xmldsig-more#"
#define KZ_PKIGOVKZ "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"

static const qtb_gost_alg gost_algs[] = {
    {
        .name = "GOST34.310-2004",
        .key_oid = "1.2.398.3.10.1.1.1.1",
        .param_oid = "1.2.398.3.10.1.1.1.1.1",
        .dparam_oid = "1.2.398.3.10.1.3.1.1.0",
        .sig_oid = "1.2.398.3.10.1.1.1.2",
        .digest_oid = "1.2.398.3.10.1.3.1",
        .sig_uri = KZ_DSIG_MORE "gost34310-gost34311",
        .digest_uri = KZ_DSIG_MORE "gost34311",
        .curve_name = "CryptoPro-A",
        .hash = QTB_GOST_HASH_GOST94,
        .curve = QTB_GOST_CURVE_CRYPTOPRO_A,
        .field_len = 32,
        .confirmed = true,
    },
    {
        .name = "GOST34.10-2015-512",
        .key_oid = "1.2.398.3.10.1.1.2.2",
        .param_oid = "1.2.398.3.10.1.1.2.2.1",
        .dparam_oid = "1.2.398.3.10.1.3.3",
        .sig_oid = "1.2.398.3.10.1.1.2.3.2",
        .digest_oid = "1.2.398.3.10.1.3.3",
        .sig_uri = KZ_PKIGOVKZ "gostr34102015-gostr34112015-512",
        .digest_uri = KZ_PKIGOVKZ "gostr34112015-512",
        .curve_name = "tc26-512-paramSetA",
        .hash = QTB_GOST_HASH_STREEBOG512,
        .curve = QTB_GOST_CURVE_TC26_512_A,
        .field_len = 64,
        .confirmed = true,
    },
    {
        /*
         * Mapping from third-party sources, unconfirmed: no real 256-bit Kazakh certificate or
         * signature has been seen (NCA reportedly issues only 512-bit keys since 2024).
         */
        .name = "GOST34.10-2015-256",
        .key_oid = "1.2.398.3.10.1.1.2.1",
        .param_oid = "1.2.398.3.10.1.1.2.1.1",
        .dparam_oid = "1.2.398.3.10.1.3.2",
        .sig_oid = "1.2.398.3.10.1.1.2.3.1",
        .digest_oid = "1.2.398.3.10.1.3.2",
        .sig_uri = KZ_PKIGOVKZ "gostr34102015-gostr34112015-256",
        .digest_uri = KZ_PKIGOVKZ "gostr34112015-256",
        .curve_name = "tc26-256-paramSetA",
        .hash = QTB_GOST_HASH_STREEBOG256,
        .curve = QTB_GOST_CURVE_TC26_256_A,
        .field_len = 32,
        .confirmed = false,
    },
};

static const struct {
    const char *id;
    qtb_gost_hash hash;
} gost_digests[] = {
    {"1.2.398.3.10.1.3.1", QTB_GOST_HASH_GOST94},
    /* The 34.311 hash parameter set; Certex's PKCS#11 header uses it as a hash OID too. */
    {"1.2.398.3.10.1.3.1.1.0", QTB_GOST_HASH_GOST94},
    {KZ_DSIG_MORE "gost34311", QTB_GOST_HASH_GOST94},
    {"1.2.398.3.10.1.3.2", QTB_GOST_HASH_STREEBOG256},
    {KZ_PKIGOVKZ "gostr34112015-256", QTB_GOST_HASH_STREEBOG256},
    {"1.2.398.3.10.1.3.3", QTB_GOST_HASH_STREEBOG512},
    {KZ_PKIGOVKZ "gostr34112015-512", QTB_GOST_HASH_STREEBOG512},
};

/* Kalkan's "GOST34311GT": a second 34.311 variant whose S-box is not public. */
#define TUMAR_GOST34311GT "1.3.6.1.4.1.6801.1.2.1"

const qtb_gost_alg *qtb_gost_algs(size_t *count)
{
    if (count != NULL) {
        *count = QTB_ARRAY_LEN(gost_algs);
    }
    return gost_algs;
}

static bool eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

const qtb_gost_alg *qtb_gost_alg_find(const char *id)
{
    if (id == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < QTB_ARRAY_LEN(gost_algs); i++) {
        const qtb_gost_alg *a = &gost_algs[i];
        if (eq(id, a->key_oid) || eq(id, a->param_oid) || eq(id, a->sig_oid) ||
            eq(id, a->sig_uri) || eq(id, a->name)) {
            return a;
        }
    }
    return NULL;
}

int qtb_gost_alg_by_sig(const qtb_gost_alg **out, const char *id)
{
    QTB_ASSERT_ARG(out != NULL);
    QTB_ASSERT_ARG(id != NULL);
    *out = NULL;
    for (size_t i = 0; i < QTB_ARRAY_LEN(gost_algs); i++) {
        if (eq(id, gost_algs[i].sig_oid) || eq(id, gost_algs[i].sig_uri)) {
            *out = &gost_algs[i];
            return 0;
        }
    }
    if (qtb_gost_oid_is_tumar(id)) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "legacy Tumar GOST signature algorithm %s", id);
    }
    return QTB_FAIL(QTB_EUNSUPPORTED, "not a Kazakh GOST signature algorithm: %s", id);
}

bool qtb_gost_oid_is_tumar(const char *oid)
{
    static const char prefix[] = "1.3.6.1.4.1.6801.";
    return oid != NULL && strncmp(oid, prefix, sizeof(prefix) - 1) == 0;
}

/* ---- digests ------------------------------------------------------------------------------- */

size_t qtb_gost_hash_len(qtb_gost_hash hash)
{
    switch (hash) {
    case QTB_GOST_HASH_GOST94:
        return QTB_GOST94_LEN;
    case QTB_GOST_HASH_STREEBOG256:
        return QTB_STREEBOG256_LEN;
    case QTB_GOST_HASH_STREEBOG512:
        return QTB_STREEBOG512_LEN;
    case QTB_GOST_HASH_NONE:
    default:
        return 0;
    }
}

const char *qtb_gost_hash_name(qtb_gost_hash hash)
{
    switch (hash) {
    case QTB_GOST_HASH_GOST94:
        return "GOST34.311-95";
    case QTB_GOST_HASH_STREEBOG256:
        return "GOST34.11-2015-256";
    case QTB_GOST_HASH_STREEBOG512:
        return "GOST34.11-2015-512";
    case QTB_GOST_HASH_NONE:
    default:
        return "unknown";
    }
}

int qtb_gost_md_init(qtb_gost_md *md, qtb_gost_hash hash)
{
    QTB_ASSERT_ARG(md != NULL);
    memset(md, 0, sizeof(*md));
    switch (hash) {
    case QTB_GOST_HASH_GOST94:
        qtb_gost94_init(&md->u.g94);
        break;
    case QTB_GOST_HASH_STREEBOG256:
        QTB_TRY(qtb_streebog_init(&md->u.sb, QTB_STREEBOG256_LEN));
        break;
    case QTB_GOST_HASH_STREEBOG512:
        QTB_TRY(qtb_streebog_init(&md->u.sb, QTB_STREEBOG512_LEN));
        break;
    case QTB_GOST_HASH_NONE:
    default:
        return QTB_FAIL(QTB_EUSAGE, "unknown GOST hash %d", (int)hash);
    }
    md->hash = hash;
    return 0;
}

void qtb_gost_md_update(qtb_gost_md *md, const void *data, size_t len)
{
    if (md->hash == QTB_GOST_HASH_GOST94) {
        qtb_gost94_update(&md->u.g94, data, len);
    } else {
        qtb_streebog_update(&md->u.sb, data, len);
    }
}

int qtb_gost_md_final(qtb_gost_md *md, unsigned char *out, size_t out_cap, size_t *out_len)
{
    QTB_ASSERT_ARG(md != NULL && out != NULL);
    size_t n = qtb_gost_hash_len(md->hash);
    QTB_ASSERT_ARG(n > 0);
    QTB_ASSERT_ARG(out_cap >= n);
    if (md->hash == QTB_GOST_HASH_GOST94) {
        qtb_gost94_final(&md->u.g94, out);
    } else {
        qtb_streebog_final(&md->u.sb, out);
    }
    if (out_len != NULL) {
        *out_len = n;
    }
    return 0;
}

int qtb_gost_digest(unsigned char *out, size_t out_cap, size_t *out_len, qtb_gost_hash hash,
                    const void *data, size_t len)
{
    QTB_ASSERT_ARG(data != NULL || len == 0);
    qtb_gost_md md;
    QTB_TRY(qtb_gost_md_init(&md, hash));
    qtb_gost_md_update(&md, data, len);
    return qtb_gost_md_final(&md, out, out_cap, out_len);
}

int qtb_gost_hash_by_oid(qtb_gost_hash *out, const char *id)
{
    QTB_ASSERT_ARG(out != NULL);
    QTB_ASSERT_ARG(id != NULL);
    *out = QTB_GOST_HASH_NONE;
    for (size_t i = 0; i < QTB_ARRAY_LEN(gost_digests); i++) {
        if (strcmp(id, gost_digests[i].id) == 0) {
            *out = gost_digests[i].hash;
            return 0;
        }
    }
    if (strcmp(id, TUMAR_GOST34311GT) == 0) {
        return QTB_FAIL(QTB_EUNSUPPORTED,
                        "legacy Tumar hash GOST34311GT (%s): its S-box is not public", id);
    }
    if (qtb_gost_oid_is_tumar(id)) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "legacy Tumar GOST algorithm %s", id);
    }
    return QTB_FAIL(QTB_EUNSUPPORTED, "not a Kazakh GOST digest algorithm: %s", id);
}

int qtb_gost_digest_by_oid(unsigned char *out, size_t out_cap, size_t *out_len, const char *id,
                           const void *data, size_t len)
{
    qtb_gost_hash hash = QTB_GOST_HASH_NONE;
    QTB_TRY(qtb_gost_hash_by_oid(&hash, id));
    return qtb_gost_digest(out, out_cap, out_len, hash, data, len);
}
