/*
 * Trust sets, path validation, CRL revocation and signature dispatch: on real NCA RK test
 * material from $QTB_SHARED/fixtures-real, and on the generated test PKI in $QTB_FIXTURES.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <openssl/x509.h>

#include <qtb/trust.h>

#include "internal.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_int.h"
#include "trust_priv.h"

#include "qtb_test.h"

/* 2021-07-11: inside the validity of the RSA SIGN leaf and of ҰКО 3.0 (RSA TEST) */
#define T_2021_07_11 1626000000

/* ---- helpers ---------------------------------------------------------------------------- */

static const char *shared_path(const char *rel)
{
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 4096, "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    return p;
}

static const char *fixture_path(const char *rel)
{
    static char buf[4][4096];
    static int next;
    const char *d = getenv("QTB_FIXTURES");
    char *p = buf[next++ % 4];
    snprintf(p, 4096, "%s/pki/%s", d != NULL ? d : "fixtures", rel);
    return p;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int64_t t_rfc3339(const char *s)
{
    int64_t t = 0;
    if (qtb_time_parse_rfc3339(&t, s) != 0) {
        fprintf(stderr, "bad time %s\n", s);
        abort();
    }
    return t;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    unsigned char *data = NULL;
    if (qtb_file_read(&data, len, path, 16u << 20) != 0) {
        return NULL;
    }
    return data;
}

static X509 *load_cert(const char *path)
{
    size_t len = 0;
    unsigned char *data = read_all(path, &len);
    if (data == NULL) {
        return NULL;
    }
    X509 *x = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (len > 10 && memcmp(data, "-----", 5) == 0) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    } else {
        x = d2i_X509_bio(bio, NULL);
    }
    BIO_free(bio);
    qtb_free(data);
    return x;
}

static X509_CRL *load_crl(const char *path)
{
    size_t len = 0;
    unsigned char *data = read_all(path, &len);
    if (data == NULL) {
        return NULL;
    }
    const unsigned char *p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    qtb_free(data);
    return crl;
}

/* The certificates carried in a CMS file. */
static STACK_OF(X509) * cms_certs(const char *path)
{
    BIO *bio = BIO_new_file(path, "rb");
    if (bio == NULL) {
        return NULL;
    }
    CMS_ContentInfo *cms = d2i_CMS_bio(bio, NULL);
    BIO_free(bio);
    if (cms == NULL) {
        return NULL;
    }
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    CMS_ContentInfo_free(cms);
    return certs;
}

/* The first certificate in a CMS file whose public key algorithm has this NID (or any: 0). */
static X509 *cms_cert_by_keynid(const char *path, int nid)
{
    STACK_OF(X509) *certs = cms_certs(path);
    X509 *out = NULL;
    for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        ASN1_OBJECT *alg = NULL;
        X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(x));
        bool match = nid == 0 || OBJ_obj2nid(alg) == nid ||
                     (nid == -1 && OBJ_obj2nid(alg) != NID_rsaEncryption);
        if (match) {
            out = x;
            X509_up_ref(out);
            break;
        }
    }
    sk_X509_pop_free(certs, X509_free);
    return out;
}

static X509 *p12_cert(const char *path, const char *pass)
{
    /*
     * NCA's PKCS#12 needs RC2 from the legacy provider. Loaded and unloaded here rather than
     * through qtb_ossl_init, whose process-lifetime provider references LeakSanitizer reports.
     */
    OSSL_PROVIDER *def = OSSL_PROVIDER_load(NULL, "default");
    OSSL_PROVIDER *leg = OSSL_PROVIDER_load(NULL, "legacy");
    BIO *bio = BIO_new_file(path, "rb");
    PKCS12 *p12 = bio != NULL ? d2i_PKCS12_bio(bio, NULL) : NULL;
    BIO_free(bio);
    if (p12 == NULL || def == NULL || leg == NULL) {
        PKCS12_free(p12);
        OSSL_PROVIDER_unload(leg);
        OSSL_PROVIDER_unload(def);
        return NULL;
    }
    X509 *x = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *ca = NULL;
    /* GOST keys do not load; the certificate bag is what we need, so fall back to it */
    if (PKCS12_parse(p12, pass, &key, &x, &ca) != 1) {
        x = NULL;
        ERR_clear_error();
        STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
        for (int i = 0; safes != NULL && i < sk_PKCS7_num(safes) && x == NULL; i++) {
            PKCS7 *p7 = sk_PKCS7_value(safes, i);
            STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
            if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
                bags = PKCS12_unpack_p7encdata(p7, pass, (int)strlen(pass));
            } else if (OBJ_obj2nid(p7->type) == NID_pkcs7_data) {
                bags = PKCS12_unpack_p7data(p7);
            }
            for (int j = 0; bags != NULL && j < sk_PKCS12_SAFEBAG_num(bags); j++) {
                PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
                if (PKCS12_SAFEBAG_get_nid(bag) == NID_certBag) {
                    x = PKCS12_SAFEBAG_get1_cert(bag);
                    break;
                }
            }
            sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
        }
        sk_PKCS7_pop_free(safes, PKCS7_free);
    }
    EVP_PKEY_free(key);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    OSSL_PROVIDER_unload(leg);
    OSSL_PROVIDER_unload(def);
    ERR_clear_error();
    return x;
}

static bool contains(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

#define EXPECT_VERDICT(r, ind, sub_)                                                               \
    do {                                                                                           \
        if (getenv("QTB_TEST_VERBOSE") != NULL) {                                                  \
            printf("  [%d] %s\n", __LINE__, (r).message);                                          \
        }                                                                                          \
        if ((r).indication != (ind) || (r).sub != (sub_)) {                                        \
            fprintf(stderr, "  %s:%d: got %s/%s, expected %s/%s: %s\n", __FILE__, __LINE__,        \
                    qtb_indication_name((r).indication),                                           \
                    qtb_subindication_name((r).sub) ? qtb_subindication_name((r).sub) : "-",       \
                    qtb_indication_name(ind),                                                      \
                    qtb_subindication_name(sub_) ? qtb_subindication_name(sub_) : "-",             \
                    (r).message);                                                                  \
            qtb_t_case_failed = 1;                                                                 \
        }                                                                                          \
    } while (0)

/* A trust set of the real RSA chain: root as anchor, ҰКО 3.0 (RSA TEST) as untrusted. */
static int rsa_trust(qtb_trust **t, bool with_crl)
{
    int rc = qtb_trust_new(t);
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(*t, shared_path("ca/root_rsa_test.pem"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(*t, shared_path("ca/nca_rsa_test.crt"));
    }
    if (rc == 0 && with_crl) {
        rc = qtb_trust_add_crl_file(*t, shared_path("ca/nca_rsa_test.crl"));
    }
    return rc;
}

static X509 *rsa_leaf(void)
{
    return cms_cert_by_keynid(shared_path("cms/rsa_individual_attached.p7s"), NID_rsaEncryption);
}

/* Write `data` into a fresh file under a fresh temporary folder; returns the folder. */
static char *tmp_dir(void)
{
    char *d = malloc(64);
    snprintf(d, 64, "/tmp/qtb_trust_XXXXXX");
    if (mkdtemp(d) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fwrite(data, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

static void rm_dir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e = NULL;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

/* ---- real NCA RSA chain ------------------------------------------------------------------ */

static void test_trust__rsa_real_chain_valid_2021(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    X509 *leaf = rsa_leaf();
    QTB_REQUIRE(leaf != NULL);
    int rc = rsa_trust(&t, false);
    if (rc != 0) {
        X509_free(leaf);
        qtb_trust_free(t);
    }
    QTB_OK_CALL(rc);
    QTB_CHECK(qtb_trust_anchor_count(t) == 1);
    qtb_path_result r;
    QTB_OK_CALL(
        qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, QTB_PATH_FOR_SIGNING));
    EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(r.chain != NULL && sk_X509_num(r.chain) == 3);
    QTB_CHECK(contains(r.message, "not checked"));
    QTB_CHECK((r.leaf_eku & QTB_EKU_EMAIL_PROTECTION) != 0);
    QTB_CHECK((r.leaf_eku & QTB_EKU_NCA_ROLE) != 0);
    QTB_CHECK(r.revocation_time == 0);
    qtb_path_result_dispose(&r);

    /* twin: the same leaf at the validation time of today is expired (and so is its CA) */
    int64_t now = (int64_t)time(NULL);
    QTB_OK_CALL(qtb_trust_validate(&r, t, leaf, NULL, now, now, QTB_PATH_FOR_SIGNING));
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_OUT_OF_BOUNDS_NO_POE);
    QTB_CHECK(contains(r.message, "expired") && !contains(r.message, "CA '"));
    qtb_path_result_dispose(&r);

    /* twin: a day before the leaf's notBefore (2021-01-18) it is not yet valid */
    QTB_OK_CALL(qtb_trust_validate(&r, t, leaf, NULL, t_rfc3339("2021-01-17T00:00:00Z"), now,
                                   QTB_PATH_FOR_SIGNING));
    EXPECT_VERDICT(r, QTB_TOTAL_FAILED, QTB_SUB_NOT_YET_VALID);
    qtb_path_result_dispose(&r);
    X509_free(leaf);
    qtb_trust_free(t);
}

/* Kazakh deployments trust NCA's issuing CA directly: a path may end at an intermediate. */
static void test_trust__intermediate_as_anchor(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    X509 *leaf = rsa_leaf();
    int rc = qtb_trust_add_anchor_file(t, shared_path("ca/nca_rsa_test.crt"));
    qtb_path_result r;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    if (rc != 0 || leaf == NULL) {
        X509_free(leaf);
        qtb_trust_free(t);
    }
    QTB_REQUIRE(leaf != NULL);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(sk_X509_num(r.chain) == 2);
    qtb_path_result_dispose(&r);
    qtb_trust_free(t);

    /* twin: only the root trusted and the intermediate not supplied: no path */
    QTB_OK_CALL(qtb_trust_new(&t));
    rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_rsa_test.pem"));
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    QTB_CHECK(contains(r.message, "not in the trust set"));
    qtb_path_result_dispose(&r);
}

/* A certificate first added as untrusted and later as an anchor is an anchor (once). */
static void test_trust__untrusted_promoted_to_anchor(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    X509 *leaf = rsa_leaf();
    int rc = qtb_trust_add_untrusted_file(t, shared_path("ca/nca_rsa_test.crt"));
    qtb_path_result before, after;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&before, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(t, shared_path("ca/nca_rsa_test.crt"));
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&after, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    size_t anchors = qtb_trust_anchor_count(t), untrusted = t->nuntrusted;
    X509_free(leaf);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(before, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    EXPECT_VERDICT(after, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(anchors == 1 && untrusted == 0);
    qtb_path_result_dispose(&before);
    qtb_path_result_dispose(&after);
}

/* The intermediate may come from the document (`extra`) instead of the trust set. */
static void test_trust__intermediate_from_extra(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    X509 *leaf = rsa_leaf();
    X509 *nca = load_cert(shared_path("ca/nca_rsa_test.crt"));
    STACK_OF(X509) *extra = sk_X509_new_null();
    sk_X509_push(extra, nca);
    qtb_path_result r;
    int rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_rsa_test.pem"));
    if (rc == 0 && leaf != NULL && nca != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, extra, T_2021_07_11, T_2021_07_11, 0);
    }
    X509_free(leaf);
    sk_X509_pop_free(extra, X509_free);
    qtb_trust_free(t);
    QTB_REQUIRE(nca != NULL);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(sk_X509_num(r.chain) == 3);
    qtb_path_result_dispose(&r);
}

static void test_trust__rsa_real_crl_good(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    X509 *leaf = rsa_leaf();
    int rc = rsa_trust(&t, true);
    qtb_path_result r;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, (int64_t)time(NULL),
                                QTB_PATH_FOR_SIGNING);
    }
    X509_free(leaf);
    QTB_CHECK(qtb_trust_crl_count(t) == 1);
    qtb_trust_free(t);
    QTB_REQUIRE(leaf != NULL);
    QTB_OK_CALL(rc);
    /* the CRL (thisUpdate 2022-03-29) was issued after the signature time: it is fresh */
    EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(r.message, "not revoked (CRL of 2022-03-29"));
    qtb_path_result_dispose(&r);
}

static void test_trust__rsa_real_crl_signature(void)
{
    QTB_NEED_SHARED();
    X509_CRL *crl = load_crl(shared_path("ca/nca_rsa_test.crl"));
    X509 *nca = load_cert(shared_path("ca/nca_rsa_test.crt"));
    X509 *root = load_cert(shared_path("ca/root_rsa_test.pem"));
    int ok = -1, ok_wrong = -1, rc1 = -1, rc2 = -1;
    if (crl != NULL && nca != NULL && root != NULL) {
        rc1 = qtb_sig_verify_crl(&ok, crl, nca);
        rc2 = qtb_sig_verify_crl(&ok_wrong, crl, root);
    }
    X509_CRL_free(crl);
    X509_free(nca);
    X509_free(root);
    QTB_CHECK(rc1 == 0 && ok == 1);
    /* twin: the root's key did not sign it */
    QTB_CHECK(rc2 == 0 && ok_wrong == 0);
}

static void test_trust__cert_signature_dispatch(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = rsa_leaf();
    X509 *nca = load_cert(shared_path("ca/nca_rsa_test.crt"));
    X509 *root = load_cert(shared_path("ca/root_rsa_test.pem"));
    int ok1 = -1, ok2 = -1, ok3 = -1;
    int rc1 = -1, rc2 = -1, rc3 = -1;
    if (leaf != NULL && nca != NULL && root != NULL) {
        rc1 = qtb_sig_verify_cert(&ok1, leaf, nca);
        rc2 = qtb_sig_verify_cert(&ok2, nca, root);
        rc3 = qtb_sig_verify_cert(&ok3, leaf, root);
    }
    X509_free(leaf);
    X509_free(nca);
    X509_free(root);
    QTB_CHECK(rc1 == 0 && ok1 == 1);
    QTB_CHECK(rc2 == 0 && ok2 == 1);
    QTB_CHECK(rc3 == 0 && ok3 == 0);
}

/* Tamper one byte of a signature: the certificate, then the CRL. */
static void test_trust__tampered_intermediate(void)
{
    QTB_NEED_SHARED();
    X509 *nca = load_cert(shared_path("ca/nca_rsa_test.crt"));
    QTB_REQUIRE(nca != NULL);
    unsigned char *der = NULL;
    int n = i2d_X509(nca, &der);
    X509_free(nca);
    QTB_REQUIRE(n > 100);
    size_t len = (size_t)n;
    der[len - 10] ^= 0x01; /* inside the signature value, the last field */
    char *dir = tmp_dir();
    int wrc = dir != NULL ? write_file(dir, "nca.der", der, len) : -1;
    OPENSSL_free(der);
    QTB_REQUIRE(wrc == 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/nca.der", dir);
    qtb_trust *t = NULL;
    X509 *leaf = rsa_leaf();
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_rsa_test.pem"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(t, p);
    }
    qtb_path_result r;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    rm_dir(dir);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE);
    QTB_CHECK(contains(r.message, "does not verify"));
    qtb_path_result_dispose(&r);
}

static void test_trust__tampered_crl_ignored(void)
{
    QTB_NEED_SHARED();
    size_t len = 0;
    unsigned char *der = read_all(shared_path("ca/nca_rsa_test.crl"), &len);
    QTB_REQUIRE(der != NULL && len > 100);
    der[len - 7] ^= 0x80;
    char *dir = tmp_dir();
    int wrc = dir != NULL ? write_file(dir, "nca.crl", der, len) : -1;
    qtb_free(der);
    QTB_REQUIRE(wrc == 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/nca.crl", dir);
    qtb_trust *t = NULL;
    X509 *leaf = rsa_leaf();
    int rc = rsa_trust(&t, false);
    if (rc == 0) {
        rc = qtb_trust_add_crl_file(t, p);
    }
    qtb_path_result r;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    rm_dir(dir);
    QTB_OK_CALL(rc);
    /* the CRL is ignored, and since it was the only one of that issuer, status is unknown */
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
    QTB_CHECK(contains(r.message, "signature") && contains(r.message, "does not verify"));
    qtb_path_result_dispose(&r);
}

/* The real AUTH certificate listed on ca/nca_rsa_test.crl, revoked 2022-01-18T04:41:12Z. */
static void test_trust__rsa_real_revoked(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = p12_cert(shared_path("p12/rsa_individual_auth_revoked_2022.p12"), "Qwerty12");
    QTB_REQUIRE(leaf != NULL);
    qtb_trust *t = NULL;
    int rc = rsa_trust(&t, true);
    qtb_path_result r, before, nocrl;
    int64_t now = t_rfc3339("2022-04-15T00:00:00Z");
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, t_rfc3339("2022-03-01T00:00:00Z"), now,
                                QTB_PATH_FOR_SIGNING);
    }
    if (rc == 0) {
        /* twin: signed between its issuance (04:39:32) and its revocation (04:41:12) */
        rc = qtb_trust_validate(&before, t, leaf, NULL, t_rfc3339("2022-01-18T04:40:00Z"), now,
                                QTB_PATH_FOR_SIGNING);
    }
    qtb_trust_free(t);
    t = NULL;
    if (rc == 0) {
        rc = rsa_trust(&t, false);
    }
    if (rc == 0) {
        /* twin: without the CRL nothing says it is revoked; the message says so */
        rc = qtb_trust_validate(&nocrl, t, leaf, NULL, t_rfc3339("2022-03-01T00:00:00Z"), now,
                                QTB_PATH_FOR_SIGNING);
    }
    qtb_trust_free(t);
    X509_free(leaf);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
    QTB_CHECK(r.revocation_time == t_rfc3339("2022-01-18T04:41:12Z"));
    QTB_CHECK(contains(r.message, "superseded"));
    EXPECT_VERDICT(before, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(before.message, "after the signature time"));
    QTB_CHECK(before.revocation_time == r.revocation_time);
    EXPECT_VERDICT(nocrl, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(nocrl.message, "not checked"));
    QTB_CHECK((r.leaf_eku & QTB_EKU_CLIENT_AUTH) != 0 &&
              (r.leaf_eku & QTB_EKU_EMAIL_PROTECTION) == 0);
    qtb_path_result_dispose(&r);
    qtb_path_result_dispose(&before);
    qtb_path_result_dispose(&nocrl);
}

/* ---- GOST chains: CRYPTO_CONSTRAINTS_FAILURE until a GOST backend is in the list -------- */

static void test_trust__gost_real_chain(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = cms_cert_by_keynid(shared_path("cms/gost2015_rsa_two_signers_attached.p7s"), -1);
    X509 *nca = load_cert(shared_path("ca/nca_gost2022_test.cer"));
    QTB_REQUIRE(leaf != NULL && nca != NULL);
    int ok = 0;
    int direct = qtb_sig_verify_cert(&ok, leaf, nca);
    X509_free(nca);
    qtb_error_clear();
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_test_gost_2022.cer"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(t, shared_path("ca/nca_gost2022_test.cer"));
    }
    qtb_path_result r;
    int64_t sig = t_rfc3339("2022-09-27T21:17:59Z");
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, sig, sig, QTB_PATH_FOR_SIGNING);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    if (direct == QTB_EUNSUPPORTED) {
        EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
        QTB_CHECK(contains(r.message, "1.2.398.3.10.1.1.2.2"));
    } else {
        /* a GOST backend is present: the real chain must now verify */
        QTB_CHECK(direct == 0 && ok == 1);
        EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    }
    qtb_path_result_dispose(&r);
}

/* The real GOST 2015 CRL of ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022 lists this key. */
static void test_trust__gost_real_revoked(void)
{
    QTB_NEED_SHARED();
    X509 *revoked = p12_cert(shared_path("p12/gost2015_individual_revoked_2026.p12"), "Qwerty12");
    X509 *valid = p12_cert(shared_path("p12/gost2015_individual_valid_2026.p12"), "Qwerty12");
    X509 *nca = load_cert(shared_path("ca/nca_gost2022_test.cer"));
    QTB_REQUIRE(revoked != NULL && valid != NULL && nca != NULL);
    int ok = 0;
    int direct = qtb_sig_verify_cert(&ok, valid, nca);
    X509_free(nca);
    qtb_error_clear();
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_test_gost_2022.cer"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(t, shared_path("ca/nca_gost2022_test.cer"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl_file(t, shared_path("ca/nca_gost2022_test.crl"));
    }
    /* signed 2026-09-01, checked 2026-10-01: inside the CRL's window (2026-08-11..2027-02-07) */
    int64_t sig = t_rfc3339("2026-09-01T00:00:00Z"), now = t_rfc3339("2026-10-01T00:00:00Z");
    qtb_path_result rr, rv, early;
    if (rc == 0) {
        rc = qtb_trust_validate(&rr, t, revoked, NULL, sig, now, QTB_PATH_FOR_SIGNING);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&rv, t, valid, NULL, sig, now, QTB_PATH_FOR_SIGNING);
    }
    if (rc == 0) {
        /* twin: signed minutes after issuance, before the revocation at 14:57:29 */
        rc = qtb_trust_validate(&early, t, revoked, NULL, t_rfc3339("2026-05-08T14:57:00Z"), now,
                                QTB_PATH_FOR_SIGNING);
    }
    qtb_trust_free(t);
    X509_free(revoked);
    X509_free(valid);
    QTB_OK_CALL(rc);
    if (direct == QTB_EUNSUPPORTED) {
        EXPECT_VERDICT(rr, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
        EXPECT_VERDICT(rv, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    } else {
        EXPECT_VERDICT(rr, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
        EXPECT_VERDICT(rv, QTB_TOTAL_PASSED, QTB_SUB_NONE);
        QTB_CHECK(contains(rv.message, "not revoked (CRL of 2026-08-11"));
        EXPECT_VERDICT(early, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    }
    qtb_path_result_dispose(&rr);
    qtb_path_result_dispose(&rv);
    qtb_path_result_dispose(&early);
}

/* GOST 34.310-2004: root_gost_test -> nca_gost_test -> the CEO SIGN certificate of 2022. */
static void test_trust__gost2004_real_chain(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = load_cert(shared_path("gost/gost2004_legal_ceo_valid_sign_2022.cer"));
    X509 *nca = load_cert(shared_path("ca/nca_gost_test.crt"));
    QTB_REQUIRE(leaf != NULL && nca != NULL);
    int ok = 0;
    int direct = qtb_sig_verify_cert(&ok, leaf, nca);
    X509_free(nca);
    qtb_error_clear();
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_gost_test.crt"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_untrusted_file(t, shared_path("ca/nca_gost_test.crt"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl_file(t, shared_path("ca/nca_gost_test.crl"));
    }
    int64_t sig = t_rfc3339("2022-06-01T00:00:00Z");
    qtb_path_result r, stale;
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, sig, sig, QTB_PATH_FOR_SIGNING);
    }
    if (rc == 0) {
        /* twin: signed after the CRL's thisUpdate (2022-03-29), checked after its nextUpdate */
        rc = qtb_trust_validate(&stale, t, leaf, NULL, t_rfc3339("2022-09-02T00:00:00Z"),
                                t_rfc3339("2022-10-01T00:00:00Z"), QTB_PATH_FOR_SIGNING);
    }
    qtb_trust_free(t);
    X509_free(leaf);
    QTB_OK_CALL(rc);
    if (direct == QTB_EUNSUPPORTED) {
        EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
        QTB_CHECK(contains(r.message, "1.2.398.3.10.1.1.1.1"));
    } else {
        QTB_CHECK(direct == 0 && ok == 1);
        EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
        QTB_CHECK(contains(r.message, "not revoked (CRL of 2022-03-29"));
        EXPECT_VERDICT(stale, QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
        QTB_CHECK(contains(stale.message, "stale"));
    }
    qtb_path_result_dispose(&r);
    qtb_path_result_dispose(&stale);
}

/* A leaf whose issuer is not in the set at all. */
static void test_trust__untrusted_issuer(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    X509 *leaf = rsa_leaf();
    int rc = qtb_trust_add_anchor_file(t, shared_path("ca/root_test_gost_2022.cer"));
    qtb_path_result r;
    if (rc == 0 && leaf != NULL) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, T_2021_07_11, T_2021_07_11, 0);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    QTB_CHECK(r.chain != NULL && sk_X509_num(r.chain) == 1);
    qtb_path_result_dispose(&r);
}

/* ---- loading ----------------------------------------------------------------------------- */

static void test_trust__load_real_dir(void)
{
    QTB_NEED_SHARED();
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    int rc = qtb_trust_add_dir(t, shared_path("ca"));
    size_t anchors = qtb_trust_anchor_count(t), crls = qtb_trust_crl_count(t);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    QTB_CHECK(anchors == 6);
    QTB_CHECK(crls == 3);
}

static void test_trust__load_errors(void)
{
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    QTB_CHECK(qtb_trust_add_dir(t, "/nonexistent/qtb-trust") == QTB_EIO);
    QTB_CHECK(qtb_trust_add_anchor_file(t, "/nonexistent/qtb-trust.pem") == QTB_EIO);

    char *dir = tmp_dir();
    QTB_REQUIRE(dir != NULL);
    QTB_CHECK(write_file(dir, "garbage.pem", "hello, not a certificate\n", 25) == 0);
    int rc = qtb_trust_add_dir(t, dir);
    QTB_CHECK(rc == QTB_EPARSE);
    QTB_CHECK(contains(qtb_error_last()->message, "garbage.pem"));
    rm_dir(dir);

    dir = tmp_dir();
    QTB_REQUIRE(dir != NULL);
    QTB_CHECK(write_file(dir, "README.txt", "notes\n", 6) == 0);
    QTB_CHECK(qtb_trust_add_dir(t, dir) == QTB_EPARSE);
    QTB_CHECK(contains(qtb_error_last()->message, "README.txt"));
    rm_dir(dir);

    /* a truncated DER certificate */
    dir = tmp_dir();
    QTB_REQUIRE(dir != NULL);
    static const unsigned char trunc[] = {0x30, 0x82, 0x01, 0x00, 0x30, 0x03};
    QTB_CHECK(write_file(dir, "trunc.der", trunc, sizeof(trunc)) == 0);
    QTB_CHECK(qtb_trust_add_dir(t, dir) == QTB_EPARSE);
    rm_dir(dir);

    /* an empty folder is fine and adds nothing */
    dir = tmp_dir();
    QTB_REQUIRE(dir != NULL);
    QTB_CHECK(qtb_trust_add_dir(t, dir) == 0);
    rm_dir(dir);
    QTB_CHECK(qtb_trust_anchor_count(t) == 0);
    qtb_trust_free(t);
}

/* A PEM bundle: several certificates in one file, and a CRL where a certificate is expected. */
static void test_trust__pem_bundle(void)
{
    QTB_NEED_SHARED();
    X509 *a = load_cert(shared_path("ca/root_rsa_test.pem"));
    X509 *b = load_cert(shared_path("ca/nca_rsa_test.crt"));
    X509_CRL *crl = load_crl(shared_path("ca/nca_rsa_test.crl"));
    QTB_REQUIRE(a != NULL && b != NULL && crl != NULL);
    char *dir = tmp_dir();
    char p[512], q[512];
    snprintf(p, sizeof(p), "%s/bundle.pem", dir);
    snprintf(q, sizeof(q), "%s/crl.pem", dir);
    FILE *f = fopen(p, "w");
    PEM_write_X509(f, a);
    PEM_write_X509(f, b);
    fclose(f);
    f = fopen(q, "w");
    PEM_write_X509_CRL(f, crl);
    fclose(f);
    X509_free(a);
    X509_free(b);
    X509_CRL_free(crl);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    int rc1 = qtb_trust_add_anchor_file(t, p);
    size_t n = qtb_trust_anchor_count(t);
    int rc2 = qtb_trust_add_anchor_file(t, q);
    int rc3 = qtb_trust_add_crl_file(t, q);
    int rc4 = qtb_trust_add_dir(t, dir); /* the same items again: no duplicates */
    size_t n2 = qtb_trust_anchor_count(t), c2 = qtb_trust_crl_count(t);
    qtb_trust_free(t);
    rm_dir(dir);
    QTB_CHECK(rc1 == 0 && n == 2);
    QTB_CHECK(rc2 == QTB_EPARSE);
    QTB_CHECK(rc3 == 0 && rc4 == 0);
    QTB_CHECK(n2 == 2 && c2 == 1);
}

/* ---- generated test PKI ($QTB_FIXTURES/pki, from the pki branch) ------------------------- */

typedef struct pki_case {
    const char *cert;
    const char *trust; /* folder under pki/ */
    int64_t sig_days;  /* signature time, days from now */
    qtb_indication ind;
    qtb_subindication sub;
    const char *phrase; /* expected in the message, or NULL */
} pki_case;

#define DAY 86400

static void run_pki_case(const pki_case *k, int64_t now)
{
    char certp[4096], dirp[4096];
    snprintf(certp, sizeof(certp), "%s", fixture_path(k->cert));
    snprintf(dirp, sizeof(dirp), "%s", fixture_path(k->trust));
    X509 *leaf = load_cert(certp);
    if (leaf == NULL) {
        fprintf(stderr, "  cannot load %s\n", certp);
        qtb_t_case_failed = 1;
        return;
    }
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_dir(t, dirp);
    }
    qtb_path_result r;
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, now + k->sig_days * DAY, now,
                                QTB_PATH_FOR_SIGNING);
    }
    X509_free(leaf);
    qtb_trust_free(t);
    if (rc != 0) {
        fprintf(stderr, "  %s: %s\n", k->cert, qtb_error_last()->message);
        qtb_t_case_failed = 1;
        return;
    }
    if (r.indication != k->ind || r.sub != k->sub) {
        fprintf(stderr, "  %s with %s at %+lld days:\n", k->cert, k->trust, (long long)k->sig_days);
    }
    EXPECT_VERDICT(r, k->ind, k->sub);
    if (k->phrase != NULL && !contains(r.message, k->phrase)) {
        fprintf(stderr, "  %s: \"%s\" not in: %s\n", k->cert, k->phrase, r.message);
        qtb_t_case_failed = 1;
    }
    qtb_path_result_dispose(&r);
}

static bool have_pki(void)
{
    return file_exists(fixture_path("trust/rsa/root.pem"));
}

#define NEED_PKI()                                                                                 \
    do {                                                                                           \
        if (!have_pki()) {                                                                         \
            QTB_SKIP("generated PKI not found at %s", fixture_path("trust/rsa"));                  \
        }                                                                                          \
    } while (0)

static void test_trust__pki_rsa_cases(void)
{
    NEED_PKI();
    static const pki_case cases[] = {
        {"certs/rsa_individual_sign.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE,
         "not revoked"},
        /* twin: the same leaf through the EC anchors only */
        {"certs/rsa_individual_sign.pem", "trust/ec", 0, QTB_INDETERMINATE,
         QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND, NULL},
        {"certs/rsa_individual_sign.pem", "trust/all", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_individual_auth.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_individual_both.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_expired.pem", "trust/rsa", 0, QTB_INDETERMINATE, QTB_SUB_OUT_OF_BOUNDS_NO_POE,
         "expired"},
        /* twin: signed while it was valid */
        {"certs/rsa_expired.pem", "trust/rsa", -60, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_notyet.pem", "trust/rsa", 0, QTB_TOTAL_FAILED, QTB_SUB_NOT_YET_VALID, NULL},
        {"certs/rsa_notyet.pem", "trust/rsa", 40, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_revoked.pem", "trust/rsa", 0, QTB_TOTAL_FAILED, QTB_SUB_REVOKED,
         "keyCompromise"},
        /* twin: signed before the revocation (5 days ago) */
        {"certs/rsa_revoked.pem", "trust/rsa", -10, QTB_TOTAL_PASSED, QTB_SUB_NONE,
         "after the signature time"},
        {"certs/rsa_untrusted.pem", "trust/rsa", 0, QTB_INDETERMINATE,
         QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND, NULL},
        {"certs/rsa_untrusted.pem", "trust/all", 0, QTB_INDETERMINATE,
         QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND, NULL},
        /* NCA's signing-right certificate has a critical role EKU: it must not break the path */
        {"certs/rsa_signright.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_infosystem.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/rsa_pss_sign.pem", "trust/rsa", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/ec_individual_sign.pem", "trust/ec", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/ec_ceo_sign.pem", "trust/all", 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL},
        {"certs/ec_individual_sign.pem", "trust/rsa", 0, QTB_INDETERMINATE,
         QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND, NULL},
    };
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < QTB_ARRAY_LEN(cases); i++) {
        run_pki_case(&cases[i], now);
    }
}

/* The stale CRL (thisUpdate now-40d, nextUpdate now-10d) answers nothing for a recent signature. */
static void test_trust__pki_stale_crl(void)
{
    NEED_PKI();
    static const pki_case cases[] = {
        {"certs/rsa_individual_sign.pem", "trust/rsa-stale", 0, QTB_INDETERMINATE,
         QTB_SUB_TRY_LATER, "stale"},
        /* twin: a signature older than the CRL's thisUpdate is covered by it */
        {"certs/rsa_revoked.pem", "trust/rsa-stale", -50, QTB_TOTAL_PASSED, QTB_SUB_NONE,
         "not revoked"},
        /* the stale CRL was issued before the revocation: a signature after it is unknown */
        {"certs/rsa_revoked.pem", "trust/rsa-stale", 0, QTB_INDETERMINATE, QTB_SUB_TRY_LATER, NULL},
    };
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < QTB_ARRAY_LEN(cases); i++) {
        run_pki_case(&cases[i], now);
    }
}

/* With a fresh and a stale CRL of the same CA, the newest usable one decides. */
static void test_trust__pki_newest_crl_wins(void)
{
    NEED_PKI();
    X509 *leaf = load_cert(fixture_path("certs/rsa_revoked.pem"));
    QTB_REQUIRE(leaf != NULL);
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_dir(t, fixture_path("trust/rsa-stale"));
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl_file(t, fixture_path("rsa/ca.crl"));
    }
    qtb_path_result r;
    int64_t now = (int64_t)time(NULL);
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf, NULL, now, now, QTB_PATH_FOR_SIGNING);
    }
    size_t ncrl = qtb_trust_crl_count(t);
    X509_free(leaf);
    qtb_trust_free(t);
    QTB_OK_CALL(rc);
    QTB_CHECK(ncrl == 3);
    EXPECT_VERDICT(r, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
    qtb_path_result_dispose(&r);
}

/* ---- a PKI made in the test, for the constraints the fixtures do not cover --------------- */

#define T0 1700000000 /* 2023-11-14: "now" of the generated PKI */
#define YEAR (365 * DAY)

enum {
    O_CA = 1u << 0,            /* basicConstraints critical CA:TRUE */
    O_PATHLEN0 = 1u << 1,      /* ... pathlen:0 */
    O_BC_FALSE = 1u << 2,      /* basicConstraints CA:FALSE */
    O_KU_CA = 1u << 3,         /* keyUsage keyCertSign, cRLSign */
    O_KU_SIGN = 1u << 4,       /* keyUsage digitalSignature, nonRepudiation */
    O_KU_ENC = 1u << 5,        /* keyUsage keyEncipherment only */
    O_CRIT_OTHER = 1u << 6,    /* a critical extension 1.2.3.4.5 */
    O_OTHER = 1u << 7,         /* the same, not critical */
    O_NC_KZ = 1u << 8,         /* nameConstraints permitted email .kz */
    O_NO_KEYID = 1u << 9,      /* no SKI/AKI */
    O_V1 = 1u << 10,           /* version 1, no extensions */
    O_PSS = 1u << 11,          /* sign with RSASSA-PSS */
    O_KU_CERT_ONLY = 1u << 12, /* keyUsage keyCertSign only (no cRLSign) */
};

typedef struct gcert {
    X509 *x;
    EVP_PKEY *key;
} gcert;

static void gfree(gcert *g)
{
    X509_free(g->x);
    EVP_PKEY_free(g->key);
    g->x = NULL;
    g->key = NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return -1;
    }
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

static int add_other_ext(X509 *x, bool critical)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.3.4.5", 1);
    ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
    static const unsigned char null_der[] = {0x05, 0x00};
    ASN1_OCTET_STRING_set(val, null_der, 2);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical ? 1 : 0, val);
    int rc = ext != NULL && X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(val);
    ASN1_OBJECT_free(obj);
    return rc;
}

static int sign_cert(X509 *x, EVP_PKEY *key, const char *md, bool pss)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL) == 1;
    if (ok && pss) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
    }
    ok = ok && X509_sign_ctx(x, mctx) > 0;
    EVP_MD_CTX_free(mctx);
    return ok ? 0 : -1;
}

/*
 * A certificate for `key` named CN=`cn`, issued by `iss` (self-signed when NULL), valid
 * [nb, na], with the options above and `email` as subjectAltName (may be NULL).
 */
static X509 *gcert_make(const char *cn, EVP_PKEY *key, const gcert *iss, int64_t nb, int64_t na,
                        unsigned opts, const char *md, const char *email)
{
    static long serial = 1000;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL;
    ok = ok && X509_set_version(x, (opts & O_V1) ? X509_VERSION_1 : X509_VERSION_3) == 1;
    ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial) == 1;
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                          -1, 0) == 1;
    ok = ok && X509_set_subject_name(x, name) == 1;
    ok = ok && X509_set_issuer_name(x, iss != NULL ? X509_get_subject_name(iss->x) : name) == 1;
    ok = ok && ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) != NULL;
    ok = ok && ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) != NULL;
    ok = ok && X509_set_pubkey(x, key) == 1;
    X509 *ix = iss != NULL ? iss->x : NULL;
    if (ok && !(opts & O_V1)) {
        if (opts & O_CA) {
            ok = add_ext(x, ix, NID_basic_constraints,
                         (opts & O_PATHLEN0) ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE") ==
                 0;
        }
        if (ok && (opts & O_BC_FALSE)) {
            ok = add_ext(x, ix, NID_basic_constraints, "critical,CA:FALSE") == 0;
        }
        if (ok && (opts & O_KU_CA)) {
            ok = add_ext(x, ix, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
        }
        if (ok && (opts & O_KU_CERT_ONLY)) {
            ok = add_ext(x, ix, NID_key_usage, "critical,keyCertSign") == 0;
        }
        if (ok && (opts & O_KU_SIGN)) {
            ok = add_ext(x, ix, NID_key_usage, "critical,digitalSignature,nonRepudiation") == 0;
        }
        if (ok && (opts & O_KU_ENC)) {
            ok = add_ext(x, ix, NID_key_usage, "critical,keyEncipherment") == 0;
        }
        if (ok && !(opts & O_NO_KEYID)) {
            ok = add_ext(x, ix, NID_subject_key_identifier, "hash") == 0;
            if (ok && iss != NULL) {
                ok = add_ext(x, ix, NID_authority_key_identifier, "keyid:always") == 0;
            }
        }
        if (ok && (opts & (O_CRIT_OTHER | O_OTHER))) {
            ok = add_other_ext(x, (opts & O_CRIT_OTHER) != 0) == 0;
        }
        if (ok && (opts & O_NC_KZ)) {
            ok = add_ext(x, ix, NID_name_constraints, "critical,permitted;email:.kz") == 0;
        }
        if (ok && email != NULL) {
            char v[128];
            snprintf(v, sizeof(v), "email:%s", email);
            ok = add_ext(x, ix, NID_subject_alt_name, v) == 0;
        }
    }
    /* md "" signs without a separate digest (EdDSA) */
    const char *mdname = md == NULL ? "SHA256" : (md[0] == '\0' ? NULL : md);
    ok = ok && sign_cert(x, iss != NULL ? iss->key : key, mdname, (opts & O_PSS) != 0) == 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    return x;
}

static gcert gca(const char *cn, const gcert *iss, int64_t nb, int64_t na, unsigned opts)
{
    gcert g = {.key = EVP_EC_gen("P-256")};
    g.x = g.key != NULL ? gcert_make(cn, g.key, iss, nb, na, opts, NULL, NULL) : NULL;
    return g;
}

enum {
    C_CRIT_OTHER = 1,
    C_DELTA = 2,
    C_ONLY_CA = 4,
    C_HOLD = 8,
    C_KEY_COMPROMISE = 16,
    C_REMOVE = 32 /* removeFromCRL */
};

/*
 * A CRL by `iss` at `this_update` (nextUpdate one month on), listing `serial` (if non-NULL);
 * with a cRLNumber `number` and, for a delta CRL, a BaseCRLNumber `base`, when not negative.
 */
static X509_CRL *gcrl_n(const gcert *iss, int64_t this_update, const ASN1_INTEGER *serial,
                        int64_t rev_time, unsigned opts, int64_t number, int64_t base)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)(this_update + 30 * DAY));
    int ok = crl != NULL && tu != NULL && nu != NULL;
    ok = ok && X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1;
    ok = ok && X509_CRL_set_issuer_name(crl, X509_get_subject_name(iss->x)) == 1;
    ok = ok && X509_CRL_set1_lastUpdate(crl, tu) == 1 && X509_CRL_set1_nextUpdate(crl, nu) == 1;
    if (ok && serial != NULL) {
        X509_REVOKED *rev = X509_REVOKED_new();
        ASN1_TIME *rt = ASN1_TIME_set(NULL, (time_t)rev_time);
        ok = rev != NULL && rt != NULL &&
             X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)serial) == 1 &&
             X509_REVOKED_set_revocationDate(rev, rt) == 1 && X509_CRL_add0_revoked(crl, rev) == 1;
        if (ok && (opts & (C_HOLD | C_KEY_COMPROMISE | C_REMOVE))) {
            ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
            ok = reason != NULL &&
                 ASN1_ENUMERATED_set(reason, (opts & C_HOLD)     ? 6
                                             : (opts & C_REMOVE) ? 8
                                                                 : 1) == 1 &&
                 X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) == 1;
            ASN1_ENUMERATED_free(reason);
        }
        ASN1_TIME_free(rt);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, iss->x, NULL, NULL, crl, 0);
    if (ok && (opts & C_DELTA)) {
        ok = X509_CRL_add1_ext_i2d(crl, NID_delta_crl, (void *)X509_get_serialNumber(iss->x), 1,
                                   0) == 1;
    }
    for (int k = 0; k < 2 && ok; k++) {
        int64_t v = k == 0 ? number : base;
        ASN1_INTEGER *n = v >= 0 ? ASN1_INTEGER_new() : NULL;
        if (v >= 0) {
            ok = n != NULL && ASN1_INTEGER_set_int64(n, v) == 1 &&
                 X509_CRL_add1_ext_i2d(crl, k == 0 ? NID_crl_number : NID_delta_crl, n, k == 1,
                                       0) == 1;
        }
        ASN1_INTEGER_free(n);
    }
    if (ok && (opts & C_ONLY_CA)) {
        X509_EXTENSION *e =
            X509V3_EXT_conf_nid(NULL, &ctx, NID_issuing_distribution_point, "critical,onlyCA:TRUE");
        ok = e != NULL && X509_CRL_add_ext(crl, e, -1) == 1;
        X509_EXTENSION_free(e);
    }
    if (ok && (opts & C_CRIT_OTHER)) {
        ASN1_OBJECT *obj = OBJ_txt2obj("1.2.3.4.6", 1);
        ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
        static const unsigned char null_der[] = {0x05, 0x00};
        ASN1_OCTET_STRING_set(val, null_der, 2);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, val);
        ok = e != NULL && X509_CRL_add_ext(crl, e, -1) == 1;
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(val);
        ASN1_OBJECT_free(obj);
    }
    ok = ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, iss->key, EVP_sha256()) > 0;
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    if (!ok) {
        X509_CRL_free(crl);
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    /* re-parse, as a CRL read from a file would be */
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    X509_CRL_free(crl);
    const unsigned char *p = der;
    X509_CRL *out = n > 0 ? d2i_X509_CRL(NULL, &p, n) : NULL;
    OPENSSL_free(der);
    return out;
}

static X509_CRL *gcrl(const gcert *iss, int64_t this_update, const ASN1_INTEGER *serial,
                      int64_t rev_time, unsigned opts)
{
    return gcrl_n(iss, this_update, serial, rev_time, opts, -1, -1);
}

/* Re-parse a certificate so its cached encoding is the one a reader would see. */
static X509 *reparse(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    const unsigned char *p = der;
    X509 *out = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
    OPENSSL_free(der);
    X509_free(x);
    return out;
}

/* The usual generated hierarchy: root (anchor) -> ca -> leaf, all ECDSA P-256. */
typedef struct gpki {
    gcert root, ca, leaf;
} gpki;

static int gpki_make(gpki *p, unsigned ca_opts, unsigned leaf_opts)
{
    memset(p, 0, sizeof(*p));
    p->root = gca("QTB Test Root", NULL, T0 - 5 * YEAR, T0 + 5 * YEAR, O_CA | O_KU_CA);
    if (p->root.x == NULL) {
        return -1;
    }
    p->ca = gca("QTB Test CA", &p->root, T0 - 2 * YEAR, T0 + 2 * YEAR, ca_opts);
    if (p->ca.x == NULL) {
        return -1;
    }
    p->leaf = gca("QTB Test Leaf", &p->ca, T0 - 30 * DAY, T0 + YEAR, leaf_opts);
    if (p->leaf.x == NULL) {
        return -1;
    }
    p->root.x = reparse(p->root.x);
    p->ca.x = reparse(p->ca.x);
    p->leaf.x = reparse(p->leaf.x);
    return p->root.x && p->ca.x && p->leaf.x ? 0 : -1;
}

static void gpki_free(gpki *p)
{
    gfree(&p->root);
    gfree(&p->ca);
    gfree(&p->leaf);
}

/* Validate p->leaf against root (anchor) + ca (untrusted) + crls; the verdict into *r. */
static int gpki_validate_at(qtb_path_result *r, const gpki *p, X509_CRL *const *crls, size_t ncrls,
                            int64_t sig_time, int64_t now, unsigned flags)
{
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p->root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p->ca.x, false);
    }
    for (size_t i = 0; rc == 0 && i < ncrls; i++) {
        rc = qtb_trust_add_crl(t, crls[i]);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(r, t, p->leaf.x, NULL, sig_time, now, flags);
    }
    qtb_trust_free(t);
    return rc;
}

static int gpki_validate(qtb_path_result *r, const gpki *p, X509_CRL *const *crls, size_t ncrls,
                         int64_t sig_time, unsigned flags)
{
    return gpki_validate_at(r, p, crls, ncrls, sig_time, T0, flags);
}

#define CA_OK (O_CA | O_KU_CA)
#define LEAF_OK (O_KU_SIGN)

static void expect_gen(unsigned ca_opts, unsigned leaf_opts, unsigned flags, qtb_indication ind,
                       qtb_subindication sub, const char *phrase, int line)
{
    gpki p;
    if (gpki_make(&p, ca_opts, leaf_opts) != 0) {
        fprintf(stderr, "  line %d: cannot make the test PKI\n", line);
        qtb_t_case_failed = 1;
        gpki_free(&p);
        return;
    }
    qtb_path_result r;
    int rc = gpki_validate(&r, &p, NULL, 0, T0, flags);
    gpki_free(&p);
    if (rc != 0) {
        fprintf(stderr, "  line %d: %s\n", line, qtb_error_last()->message);
        qtb_t_case_failed = 1;
        return;
    }
    if (r.indication != ind || r.sub != sub) {
        fprintf(stderr, "  case at line %d:\n", line);
    }
    EXPECT_VERDICT(r, ind, sub);
    if (phrase != NULL && !contains(r.message, phrase)) {
        fprintf(stderr, "  line %d: \"%s\" not in: %s\n", line, phrase, r.message);
        qtb_t_case_failed = 1;
    }
    qtb_path_result_dispose(&r);
}

#define EXPECT_GEN(ca, leaf, flags, ind, sub, phrase)                                              \
    expect_gen((ca), (leaf), (flags), (ind), (sub), (phrase), __LINE__)

static void test_trust__gen_constraints(void)
{
    EXPECT_GEN(CA_OK, LEAF_OK, QTB_PATH_FOR_SIGNING, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL);
    /* an issuer that is not a CA */
    EXPECT_GEN(O_BC_FALSE | O_KU_CA, LEAF_OK, 0, QTB_INDETERMINATE,
               QTB_SUB_CHAIN_CONSTRAINTS_FAILURE, "not a CA");
    EXPECT_GEN(O_KU_CA, LEAF_OK, 0, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
               "not a CA");
    /* a CA whose keyUsage does not allow certificate signing */
    EXPECT_GEN(O_CA | O_KU_SIGN, LEAF_OK, 0, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
               "keyCertSign");
    /* pathlen:0 on the issuing CA is fine for a leaf */
    EXPECT_GEN(CA_OK | O_PATHLEN0, LEAF_OK, 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL);
    /* unknown critical extension, on the leaf and on the CA; non-critical is fine */
    EXPECT_GEN(CA_OK, LEAF_OK | O_CRIT_OTHER, 0, QTB_INDETERMINATE,
               QTB_SUB_CHAIN_CONSTRAINTS_FAILURE, "1.2.3.4.5");
    EXPECT_GEN(CA_OK | O_CRIT_OTHER, LEAF_OK, 0, QTB_INDETERMINATE,
               QTB_SUB_CHAIN_CONSTRAINTS_FAILURE, "1.2.3.4.5");
    EXPECT_GEN(CA_OK | O_OTHER, LEAF_OK | O_OTHER, 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL);
    /* a leaf that may only encipher keys cannot sign documents (and may if not asked to) */
    EXPECT_GEN(CA_OK, O_KU_ENC, QTB_PATH_FOR_SIGNING, QTB_INDETERMINATE,
               QTB_SUB_CHAIN_CONSTRAINTS_FAILURE, "digitalSignature");
    EXPECT_GEN(CA_OK, O_KU_ENC, 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL);
    /* no key identifiers at all: names alone find the issuer */
    EXPECT_GEN(CA_OK | O_NO_KEYID, LEAF_OK | O_NO_KEYID, 0, QTB_TOTAL_PASSED, QTB_SUB_NONE, NULL);
}

static void test_trust__gen_pathlen(void)
{
    /* root -> ca (pathlen:0) -> sub-CA -> leaf: one intermediate too many */
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK | O_PATHLEN0, LEAF_OK) == 0);
    gcert sub = gca("QTB Sub CA", &p.ca, T0 - YEAR, T0 + YEAR, CA_OK);
    gcert leaf = gca("QTB Deep Leaf", &sub, T0 - DAY, T0 + YEAR, LEAF_OK);
    QTB_REQUIRE(sub.x != NULL && leaf.x != NULL);
    STACK_OF(X509) *extra = sk_X509_new_null();
    sk_X509_push(extra, sub.x);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    int rc = qtb_trust_add_cert(t, p.root.x, true);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.ca.x, false);
    }
    qtb_path_result r, twin;
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf.x, extra, T0, T0, 0);
    }
    if (rc == 0) {
        /* twin: the sub-CA trusted directly, pathlen of the CA above it is not in the path */
        rc = qtb_trust_add_cert(t, sub.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&twin, t, leaf.x, extra, T0, T0, 0);
    }
    qtb_trust_free(t);
    sk_X509_free(extra);
    gfree(&sub);
    gfree(&leaf);
    gpki_free(&p);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE);
    QTB_CHECK(contains(r.message, "allows 0"));
    EXPECT_VERDICT(twin, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    qtb_path_result_dispose(&r);
    qtb_path_result_dispose(&twin);
}

static void test_trust__gen_name_constraints(void)
{
    gcert root = gca("QTB NC Root", NULL, T0 - YEAR, T0 + YEAR, CA_OK | O_NC_KZ);
    EVP_PKEY *k1 = EVP_EC_gen("P-256");
    QTB_REQUIRE(root.x != NULL && k1 != NULL);
    X509 *good =
        gcert_make("QTB NC Good", k1, &root, T0 - DAY, T0 + DAY, LEAF_OK, NULL, "user@example.kz");
    X509 *bad =
        gcert_make("QTB NC Bad", k1, &root, T0 - DAY, T0 + DAY, LEAF_OK, NULL, "user@example.com");
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, root.x, true);
    }
    qtb_path_result rg, rb;
    if (rc == 0 && good != NULL && bad != NULL) {
        rc = qtb_trust_validate(&rg, t, good, NULL, T0, T0, 0);
    }
    if (rc == 0 && good != NULL && bad != NULL) {
        rc = qtb_trust_validate(&rb, t, bad, NULL, T0, T0, 0);
    }
    qtb_trust_free(t);
    X509_free(good);
    X509_free(bad);
    EVP_PKEY_free(k1);
    gfree(&root);
    QTB_REQUIRE(good != NULL && bad != NULL);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(rg, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    EXPECT_VERDICT(rb, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE);
    QTB_CHECK(contains(rb.message, "nameConstraints"));
    qtb_path_result_dispose(&rg);
    qtb_path_result_dispose(&rb);
}

static void test_trust__gen_ca_validity(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    /* the CA expires two years after T0 and the leaf one year after: sign at T0 + 1.5 years,
     * then the leaf is expired; at T0 - 3 years the CA is not yet valid (leaf too) */
    qtb_path_result r;
    int rc = gpki_validate(&r, &p, NULL, 0, T0 + 3 * YEAR, 0);
    gpki_free(&p);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_OUT_OF_BOUNDS_NO_POE);
    qtb_path_result_dispose(&r);

    /* a CA that expired while its leaf is still valid */
    gcert root = gca("QTB Root 2", NULL, T0 - 5 * YEAR, T0 + 5 * YEAR, CA_OK);
    gcert ca = gca("QTB Short CA", &root, T0 - YEAR, T0 - DAY, CA_OK);
    gcert leaf = gca("QTB Long Leaf", &ca, T0 - 30 * DAY, T0 + YEAR, LEAF_OK);
    gcert ca2 = gca("QTB Late CA", &root, T0 + DAY, T0 + YEAR, CA_OK);
    gcert leaf2 = gca("QTB Early Leaf", &ca2, T0 - 30 * DAY, T0 + YEAR, LEAF_OK);
    QTB_REQUIRE(root.x && ca.x && leaf.x && ca2.x && leaf2.x);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    rc = qtb_trust_add_cert(t, root.x, true);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, ca.x, false);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, ca2.x, false);
    }
    qtb_path_result expired, before, notyet;
    if (rc == 0) {
        rc = qtb_trust_validate(&expired, t, leaf.x, NULL, T0, T0, 0);
    }
    if (rc == 0) {
        /* twin: signed while the CA was valid */
        rc = qtb_trust_validate(&before, t, leaf.x, NULL, T0 - 2 * DAY, T0, 0);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&notyet, t, leaf2.x, NULL, T0, T0, 0);
    }
    qtb_trust_free(t);
    gfree(&root);
    gfree(&ca);
    gfree(&leaf);
    gfree(&ca2);
    gfree(&leaf2);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(expired, QTB_INDETERMINATE, QTB_SUB_OUT_OF_BOUNDS_NO_POE);
    QTB_CHECK(contains(expired.message, "CA 'QTB Short CA' expired"));
    EXPECT_VERDICT(before, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    EXPECT_VERDICT(notyet, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE);
    QTB_CHECK(contains(notyet.message, "not valid before"));
    qtb_path_result_dispose(&expired);
    qtb_path_result_dispose(&before);
    qtb_path_result_dispose(&notyet);
}

/* RSA variants: PSS, SHA-1 (accepted), MD5 (refused), a 512-bit key (refused). */
static void test_trust__gen_rsa_algorithms(void)
{
    EVP_PKEY *rk = EVP_RSA_gen(2048);
    EVP_PKEY *small = EVP_RSA_gen(512);
    EVP_PKEY *lk = EVP_EC_gen("P-256");
    QTB_REQUIRE(rk != NULL && small != NULL && lk != NULL);
    gcert root = {.key = rk};
    root.x = gcert_make("QTB RSA Root", rk, NULL, T0 - YEAR, T0 + YEAR, CA_OK, NULL, NULL);
    gcert weak = {.key = small};
    weak.x = gcert_make("QTB Weak Root", small, NULL, T0 - YEAR, T0 + YEAR, CA_OK, NULL, NULL);
    QTB_REQUIRE(root.x != NULL && weak.x != NULL);
    X509 *pss = gcert_make("QTB PSS", lk, &root, T0 - DAY, T0 + DAY, LEAF_OK, NULL, NULL);
    X509 *sha1 = gcert_make("QTB SHA1", lk, &root, T0 - DAY, T0 + DAY, LEAF_OK, "SHA1", NULL);
    X509 *md5 = gcert_make("QTB MD5", lk, &root, T0 - DAY, T0 + DAY, LEAF_OK, "MD5", NULL);
    X509 *tiny = gcert_make("QTB Tiny", lk, &weak, T0 - DAY, T0 + DAY, LEAF_OK, NULL, NULL);
    X509_free(pss);
    pss = gcert_make("QTB PSS", lk, &root, T0 - DAY, T0 + DAY, LEAF_OK | O_PSS, NULL, NULL);
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, weak.x, true);
    }
    qtb_path_result r[4];
    X509 *leaves[4] = {pss, sha1, md5, tiny};
    for (int i = 0; i < 4 && rc == 0; i++) {
        if (leaves[i] == NULL) {
            rc = -1;
            break;
        }
        rc = qtb_trust_validate(&r[i], t, leaves[i], NULL, T0, T0, 0);
    }
    qtb_trust_free(t);
    for (int i = 0; i < 4; i++) {
        X509_free(leaves[i]);
    }
    EVP_PKEY_free(lk);
    gfree(&root);
    gfree(&weak);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r[0], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    EXPECT_VERDICT(r[1], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    EXPECT_VERDICT(r[2], QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    QTB_CHECK(contains(r[2].message, "weak"));
    EXPECT_VERDICT(r[3], QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    QTB_CHECK(contains(r[3].message, "too small"));
    for (int i = 0; i < 4; i++) {
        qtb_path_result_dispose(&r[i]);
    }
}

/* Ed25519 and ECDSA P-384 paths, each with a tampered twin. */
static void test_trust__gen_other_algorithms(void)
{
    struct {
        const char *name;
        EVP_PKEY *key;
        const char *md;
    } algs[2] = {
        {"Ed25519", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), ""},
        {"P-384", EVP_EC_gen("P-384"), "SHA384"},
    };
    for (size_t a = 0; a < 2; a++) {
        QTB_REQUIRE(algs[a].key != NULL);
        gcert root = {.key = algs[a].key};
        root.x = gcert_make("QTB Alg Root", root.key, NULL, T0 - YEAR, T0 + YEAR, CA_OK, algs[a].md,
                            NULL);
        EVP_PKEY *lk = EVP_EC_gen("P-256");
        X509 *leaf = root.x != NULL ? gcert_make("QTB Alg Leaf", lk, &root, T0 - DAY, T0 + DAY,
                                                 LEAF_OK, algs[a].md, NULL)
                                    : NULL;
        QTB_REQUIRE(root.x != NULL && leaf != NULL);
        leaf = reparse(leaf);
        unsigned char *der = NULL;
        int n = i2d_X509(leaf, &der);
        der[n - 5] ^= 0x04;
        const unsigned char *p = der;
        X509 *bad = d2i_X509(NULL, &p, n);
        OPENSSL_free(der);
        qtb_trust *t = NULL;
        int rc = qtb_trust_new(&t);
        if (rc == 0) {
            rc = qtb_trust_add_cert(t, root.x, true);
        }
        qtb_path_result good, tampered;
        if (rc == 0 && bad != NULL) {
            rc = qtb_trust_validate(&good, t, leaf, NULL, T0, T0, 0);
        }
        if (rc == 0 && bad != NULL) {
            rc = qtb_trust_validate(&tampered, t, bad, NULL, T0, T0, 0);
        }
        qtb_trust_free(t);
        X509_free(leaf);
        X509_free(bad);
        EVP_PKEY_free(lk);
        gfree(&root);
        QTB_REQUIRE(bad != NULL);
        QTB_OK_CALL(rc);
        if (good.indication != QTB_TOTAL_PASSED) {
            fprintf(stderr, "  %s:\n", algs[a].name);
        }
        EXPECT_VERDICT(good, QTB_TOTAL_PASSED, QTB_SUB_NONE);
        EXPECT_VERDICT(tampered, QTB_INDETERMINATE, QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE);
        qtb_path_result_dispose(&good);
        qtb_path_result_dispose(&tampered);
    }
}

/* Two CAs with the same name and different keys; a leaf of each; no key identifiers. */
static void test_trust__gen_same_name_issuers(void)
{
    gcert root = gca("QTB Twin Root", NULL, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID);
    gcert other = gca("QTB Twin Root", NULL, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID);
    gcert leaf = gca("QTB Twin Leaf", &root, T0 - DAY, T0 + DAY, LEAF_OK | O_NO_KEYID);
    QTB_REQUIRE(root.x && other.x && leaf.x);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    int rc = qtb_trust_add_cert(t, other.x, true); /* the wrong one first */
    qtb_path_result wrong, right;
    if (rc == 0) {
        rc = qtb_trust_validate(&wrong, t, leaf.x, NULL, T0, T0, 0);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&right, t, leaf.x, NULL, T0, T0, 0);
    }
    qtb_trust_free(t);
    gfree(&root);
    gfree(&other);
    gfree(&leaf);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(wrong, QTB_INDETERMINATE, QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE);
    EXPECT_VERDICT(right, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    qtb_path_result_dispose(&wrong);
    qtb_path_result_dispose(&right);
}

/* Cross-signed CAs that issue each other, none trusted: the builder must end, not loop. */
static void test_trust__gen_loop_and_depth(void)
{
    EVP_PKEY *ka = EVP_EC_gen("P-256"), *kb = EVP_EC_gen("P-256");
    QTB_REQUIRE(ka != NULL && kb != NULL);
    gcert a = {.key = ka}, b = {.key = kb};
    a.x = gcert_make("QTB Loop A", ka, NULL, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID, NULL, NULL);
    b.x = gcert_make("QTB Loop B", kb, &a, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID, NULL, NULL);
    X509 *a_by_b =
        gcert_make("QTB Loop A", ka, &b, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID, NULL, NULL);
    gcert leaf = gca("QTB Loop Leaf", &b, T0 - DAY, T0 + DAY, LEAF_OK | O_NO_KEYID);
    QTB_REQUIRE(a.x && b.x && a_by_b && leaf.x);
    STACK_OF(X509) *extra = sk_X509_new_null();
    sk_X509_push(extra, b.x);
    sk_X509_push(extra, a_by_b);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    qtb_path_result r;
    int rc = qtb_trust_validate(&r, t, leaf.x, extra, T0, T0, 0);

    /* a chain longer than QTB_MAX_CHAIN_DEPTH under a trusted root */
    gcert chain[QTB_MAX_CHAIN_DEPTH + 1];
    memset(chain, 0, sizeof(chain));
    chain[0] = gca("QTB Deep 0", NULL, T0 - YEAR, T0 + YEAR, CA_OK);
    STACK_OF(X509) *deep = sk_X509_new_null();
    for (size_t i = 1; i <= QTB_MAX_CHAIN_DEPTH; i++) {
        char cn[32];
        snprintf(cn, sizeof(cn), "QTB Deep %zu", i);
        chain[i] = gca(cn, &chain[i - 1], T0 - YEAR, T0 + YEAR,
                       i == QTB_MAX_CHAIN_DEPTH ? LEAF_OK : CA_OK);
        if (i < QTB_MAX_CHAIN_DEPTH) {
            sk_X509_push(deep, chain[i].x);
        }
    }
    qtb_path_result rd, rshort;
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, chain[0].x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&rd, t, chain[QTB_MAX_CHAIN_DEPTH].x, deep, T0, T0, 0);
    }
    if (rc == 0) {
        /* twin: the same chain one certificate shorter fits */
        rc = qtb_trust_validate(&rshort, t, chain[QTB_MAX_CHAIN_DEPTH - 1].x, deep, T0, T0, 0);
    }
    qtb_trust_free(t);
    sk_X509_free(extra);
    sk_X509_free(deep);
    for (size_t i = 0; i <= QTB_MAX_CHAIN_DEPTH; i++) {
        gfree(&chain[i]);
    }
    X509_free(a_by_b);
    gfree(&a);
    gfree(&b);
    gfree(&leaf);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    QTB_CHECK(contains(r.message, "loop"));
    EXPECT_VERDICT(rd, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    QTB_CHECK(contains(rd.message, "within"));
    EXPECT_VERDICT(rshort, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(sk_X509_num(rshort.chain) == (int)QTB_MAX_CHAIN_DEPTH);
    qtb_path_result_dispose(&r);
    qtb_path_result_dispose(&rd);
    qtb_path_result_dispose(&rshort);
}

/* A v1 self-signed root (no extensions) is accepted as an anchor that issues. */
static void test_trust__gen_v1_root(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    QTB_REQUIRE(k != NULL);
    gcert root = {.key = k};
    root.x = gcert_make("QTB V1 Root", k, NULL, T0 - YEAR, T0 + YEAR, O_V1, NULL, NULL);
    QTB_REQUIRE(root.x != NULL);
    root.x = reparse(root.x);
    gcert leaf = gca("QTB V1 Leaf", &root, T0 - DAY, T0 + DAY, LEAF_OK | O_NO_KEYID);
    gcert sub = gca("QTB V1 Sub", &root, T0 - DAY, T0 + DAY, O_V1);
    gcert leaf2 = gca("QTB V1 Leaf 2", &sub, T0 - DAY, T0 + DAY, LEAF_OK | O_NO_KEYID);
    QTB_REQUIRE(leaf.x && sub.x && leaf2.x);
    STACK_OF(X509) *extra = sk_X509_new_null();
    sk_X509_push(extra, sub.x);
    qtb_trust *t = NULL;
    QTB_OK_CALL(qtb_trust_new(&t));
    int rc = qtb_trust_add_cert(t, root.x, true);
    qtb_path_result r, r2;
    if (rc == 0) {
        rc = qtb_trust_validate(&r, t, leaf.x, NULL, T0, T0, 0);
    }
    if (rc == 0) {
        /* twin: a v1 intermediate (not an anchor) is not a CA */
        rc = qtb_trust_validate(&r2, t, leaf2.x, extra, T0, T0, 0);
    }
    qtb_trust_free(t);
    sk_X509_free(extra);
    gfree(&root);
    gfree(&leaf);
    gfree(&sub);
    gfree(&leaf2);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    EXPECT_VERDICT(r2, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE);
    qtb_path_result_dispose(&r);
    qtb_path_result_dispose(&r2);
}

/* CRL rules on generated CRLs: unknown critical extension, delta, scope, CA revoked. */
static void test_trust__gen_crl_rules(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    const ASN1_INTEGER *leaf_serial = X509_get0_serialNumber(p.leaf.x);
    const ASN1_INTEGER *ca_serial = X509_get0_serialNumber(p.ca.x);
    X509_CRL *good = gcrl(&p.ca, T0 - DAY, NULL, 0, 0);
    X509_CRL *crit = gcrl(&p.ca, T0 - DAY, NULL, 0, C_CRIT_OTHER);
    X509_CRL *delta = gcrl(&p.ca, T0 - DAY, leaf_serial, T0 - 2 * DAY, C_DELTA);
    X509_CRL *only_ca = gcrl(&p.ca, T0 - DAY, leaf_serial, T0 - 2 * DAY, C_ONLY_CA);
    X509_CRL *wrong_signer = gcrl(&p.root, T0 - DAY, NULL, 0, 0);
    X509_CRL *ca_revoked = gcrl(&p.root, T0 - DAY, ca_serial, T0 - 3 * DAY, 0);
    X509_CRL *ca_revoked_later = gcrl(&p.root, T0 - DAY, ca_serial, T0 - 2 * DAY, 0);
    QTB_REQUIRE(good && crit && delta && only_ca && wrong_signer && ca_revoked && ca_revoked_later);
    /* a CRL naming the CA as issuer but signed by the root: same name, wrong key */
    X509_CRL_set_issuer_name(wrong_signer, X509_get_subject_name(p.ca.x));
    X509_CRL_sign(wrong_signer, p.root.key, EVP_sha256());
    qtb_path_result r[8];
    int rc = 0;
    int n = 0;
    X509_CRL *set_good[] = {good};
    X509_CRL *set_crit[] = {crit};
    X509_CRL *set_delta[] = {delta};
    X509_CRL *set_only_ca[] = {only_ca};
    X509_CRL *set_wrong[] = {wrong_signer};
    X509_CRL *set_both[] = {crit, good};
    X509_CRL *set_ca_rev[] = {good, ca_revoked};
    X509_CRL *set_ca_later[] = {good, ca_revoked_later};
    struct {
        X509_CRL *const *crls;
        size_t n;
        int64_t sig;
    } runs[] = {
        {set_good, 1, T0},   {set_crit, 1, T0},
        {set_delta, 1, T0},  {set_only_ca, 1, T0},
        {set_wrong, 1, T0},  {set_both, 2, T0},
        {set_ca_rev, 2, T0}, {set_ca_later, 2, T0 - 3 * DAY + 60},
    };
    for (n = 0; n < 8 && rc == 0; n++) {
        rc = gpki_validate(&r[n], &p, runs[n].crls, runs[n].n, runs[n].sig, 0);
    }
    X509_CRL *all[] = {good, crit, delta, only_ca, wrong_signer, ca_revoked, ca_revoked_later};
    for (size_t i = 0; i < QTB_ARRAY_LEN(all); i++) {
        X509_CRL_free(all[i]);
    }
    gpki_free(&p);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(r[0], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(r[0].message, "'QTB Test Leaf' not revoked"));
    EXPECT_VERDICT(r[1], QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
    QTB_CHECK(contains(r[1].message, "1.2.3.4.6"));
    /* a delta alone cannot clear a certificate, but its listing is the CA's signed word */
    EXPECT_VERDICT(r[2], QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
    QTB_CHECK(contains(r[2].message, "revoked"));
    EXPECT_VERDICT(r[3], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(r[3].message, "'QTB Test Leaf' revocation not checked"));
    QTB_CHECK(contains(r[3].message, "do not cover"));
    EXPECT_VERDICT(r[4], QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
    QTB_CHECK(contains(r[4].message, "does not verify"));
    EXPECT_VERDICT(r[5], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(r[5].message, "ignored"));
    EXPECT_VERDICT(r[6], QTB_INDETERMINATE, QTB_SUB_REVOKED_CA_NO_POE);
    EXPECT_VERDICT(r[7], QTB_TOTAL_PASSED, QTB_SUB_NONE);
    QTB_CHECK(contains(r[7].message, "'QTB Test CA' revoked at"));
    for (int i = 0; i < n; i++) {
        qtb_path_result_dispose(&r[i]);
    }
}

/*
 * Delta CRLs from the trust folder (RFC 5280 §5.2.4): the newest delta issued for the newest
 * full CRL is applied to it; deltas for another base, or not signed by the issuer, are not.
 */
static void test_trust__gen_delta_crls(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    const ASN1_INTEGER *leaf = X509_get0_serialNumber(p.leaf.x);
    X509_CRL *base = gcrl_n(&p.ca, T0 - 3 * DAY, NULL, 0, 0, 10, -1);
    X509_CRL *d_kc = gcrl_n(&p.ca, T0 - DAY, leaf, T0 - 2 * DAY, C_KEY_COMPROMISE, 11, 10);
    X509_CRL *d_newer = gcrl_n(&p.ca, T0 - DAY, leaf, T0 - 2 * DAY, C_KEY_COMPROMISE, 13, 12);
    X509_CRL *d_forged = gcrl_n(&p.root, T0 - DAY, leaf, T0 - 2 * DAY, C_KEY_COMPROMISE, 11, 10);
    X509_CRL *d_later = gcrl_n(&p.ca, T0 + 35 * DAY, NULL, 0, 0, 12, 10);
    X509_CRL *hold = gcrl_n(&p.ca, T0 - 3 * DAY, leaf, T0 - 4 * DAY, C_HOLD, 10, -1);
    X509_CRL *d_release = gcrl_n(&p.ca, T0 - DAY, leaf, T0 - 2 * DAY, C_REMOVE, 11, 10);
    X509_CRL *d_silent = gcrl_n(&p.ca, T0 + 35 * DAY, NULL, 0, 0, 11, 10);
    QTB_REQUIRE(base && d_kc && d_newer && d_forged && d_later && hold && d_release && d_silent);
    /* a delta naming the CA as issuer but signed by the root: same name, wrong key */
    X509_CRL_set_issuer_name(d_forged, X509_get_subject_name(p.ca.x));
    X509_CRL_sign(d_forged, p.root.key, EVP_sha256());
    X509_CRL *s_base[] = {base}, *s_kc[] = {d_kc, base}, *s_newer[] = {base, d_newer};
    X509_CRL *s_forged[] = {base, d_forged}, *s_later[] = {base, d_later};
    X509_CRL *s_hold[] = {hold}, *s_release[] = {hold, d_release}, *s_silent[] = {hold, d_silent};
    struct {
        X509_CRL *const *crls;
        size_t n;
        int64_t now;
        qtb_indication ind;
        qtb_subindication sub;
        const char *phrase;
    } runs[] = {
        {s_base, 1, T0, QTB_TOTAL_PASSED, QTB_SUB_NONE, "not revoked"},
        {s_kc, 2, T0, QTB_TOTAL_FAILED, QTB_SUB_REVOKED, "keyCompromise"},
        {s_newer, 2, T0, QTB_TOTAL_PASSED, QTB_SUB_NONE, "not revoked"},
        {s_forged, 2, T0, QTB_TOTAL_PASSED, QTB_SUB_NONE, "does not verify"},
        {s_base, 1, T0 + 40 * DAY, QTB_INDETERMINATE, QTB_SUB_TRY_LATER, "stale"},
        {s_later, 2, T0 + 40 * DAY, QTB_TOTAL_PASSED, QTB_SUB_NONE, "not listed on the delta"},
        {s_hold, 1, T0, QTB_TOTAL_FAILED, QTB_SUB_REVOKED, "certificateHold"},
        {s_release, 2, T0, QTB_TOTAL_PASSED, QTB_SUB_NONE, "released from hold"},
        /* a stale hold says nothing; a current delta that does not release it makes it stand */
        {s_hold, 1, T0 + 40 * DAY, QTB_INDETERMINATE, QTB_SUB_TRY_LATER, "on hold"},
        {s_silent, 2, T0 + 40 * DAY, QTB_TOTAL_FAILED, QTB_SUB_REVOKED, "certificateHold"},
    };
    for (size_t i = 0; i < QTB_ARRAY_LEN(runs); i++) {
        qtb_path_result r;
        int rc = gpki_validate_at(&r, &p, runs[i].crls, runs[i].n, T0, runs[i].now, 0);
        if (rc != 0) {
            QTB_OK_CALL(rc);
            continue;
        }
        if (r.indication != runs[i].ind || r.sub != runs[i].sub ||
            !contains(r.message, runs[i].phrase)) {
            fprintf(stderr, "  delta run %zu: got %s: %s\n", i, qtb_indication_name(r.indication),
                    r.message);
            qtb_t_case_failed = 1;
        }
        qtb_path_result_dispose(&r);
    }
    X509_CRL *all[] = {base, d_kc, d_newer, d_forged, d_later, hold, d_release, d_silent};
    for (size_t i = 0; i < QTB_ARRAY_LEN(all); i++) {
        X509_CRL_free(all[i]);
    }
    gpki_free(&p);
}

/* A certificateHold is a revocation only on a fresh CRL; keyCompromise is final. */
static void test_trust__gen_hold_needs_fresh_crl(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    const ASN1_INTEGER *serial = X509_get0_serialNumber(p.leaf.x);
    X509_CRL *hold = gcrl(&p.ca, T0 - DAY, serial, T0 - 2 * DAY, C_HOLD);
    X509_CRL *kc = gcrl(&p.ca, T0 - DAY, serial, T0 - 2 * DAY, C_KEY_COMPROMISE);
    QTB_REQUIRE(hold != NULL && kc != NULL);
    qtb_trust *t = NULL, *t2 = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_new(&t2);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.ca.x, false);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl(t, hold);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t2, p.root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t2, p.ca.x, false);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl(t2, kc);
    }
    qtb_path_result fresh, stale, final;
    if (rc == 0) {
        rc = qtb_trust_validate(&fresh, t, p.leaf.x, NULL, T0, T0, 0);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&stale, t, p.leaf.x, NULL, T0, T0 + 60 * DAY, 0);
    }
    if (rc == 0) {
        rc = qtb_trust_validate(&final, t2, p.leaf.x, NULL, T0, T0 + 60 * DAY, 0);
    }
    qtb_trust_free(t);
    qtb_trust_free(t2);
    X509_CRL_free(hold);
    X509_CRL_free(kc);
    gpki_free(&p);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(fresh, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
    QTB_CHECK(contains(fresh.message, "certificateHold"));
    EXPECT_VERDICT(stale, QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
    QTB_CHECK(contains(stale.message, "on hold"));
    EXPECT_VERDICT(final, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
    QTB_CHECK(contains(final.message, "keyCompromise"));
    qtb_path_result_dispose(&fresh);
    qtb_path_result_dispose(&stale);
    qtb_path_result_dispose(&final);
}

/* A CA whose keyUsage does not include cRLSign cannot vouch for its CRLs. */
static void test_trust__gen_crl_signer_keyusage(void)
{
    gpki p, q;
    QTB_REQUIRE(gpki_make(&p, O_CA | O_KU_CERT_ONLY, LEAF_OK) == 0);
    QTB_REQUIRE(gpki_make(&q, CA_OK, LEAF_OK) == 0);
    X509_CRL *crl_p = gcrl(&p.ca, T0 - DAY, NULL, 0, 0);
    X509_CRL *crl_q = gcrl(&q.ca, T0 - DAY, NULL, 0, 0);
    QTB_REQUIRE(crl_p != NULL && crl_q != NULL);
    qtb_path_result rp, rq;
    int rc = gpki_validate(&rp, &p, &crl_p, 1, T0, 0);
    if (rc == 0) {
        rc = gpki_validate(&rq, &q, &crl_q, 1, T0, 0);
    }
    X509_CRL_free(crl_p);
    X509_CRL_free(crl_q);
    gpki_free(&p);
    gpki_free(&q);
    QTB_OK_CALL(rc);
    EXPECT_VERDICT(rp, QTB_INDETERMINATE, QTB_SUB_TRY_LATER);
    QTB_CHECK(contains(rp.message, "cRLSign"));
    /* twin: the same with keyCertSign and cRLSign */
    EXPECT_VERDICT(rq, QTB_TOTAL_PASSED, QTB_SUB_NONE);
    qtb_path_result_dispose(&rp);
    qtb_path_result_dispose(&rq);
}

/* Inner and outer signature algorithms: NULL vs absent parameters pass, another OID does not. */
static void test_trust__signature_algorithm_match(void)
{
    QTB_NEED_SHARED();
    /* NCA's GOST 2015 CRL: no parameters inside, NULL outside */
    X509 *nca = load_cert(shared_path("ca/nca_gost2022_test.cer"));
    size_t len = 0;
    unsigned char *der = read_all(shared_path("ca/nca_gost2022_test.crl"), &len);
    QTB_REQUIRE(nca != NULL && der != NULL);
    int ok = 0;
    int rc = qtb_sig_verify_crl_der(&ok, der, len, X509_get_X509_PUBKEY(nca));
    qtb_free(der);
    X509_free(nca);
    QTB_CHECK(rc == QTB_EUNSUPPORTED || (rc == 0 && ok == 1));

    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    X509_CRL *crl = gcrl(&p.ca, T0, NULL, 0, 0);
    unsigned char *cder = NULL;
    int n = crl != NULL ? i2d_X509_CRL(crl, &cder) : -1;
    int rc_good = -1, ok_good = 0, rc_bad = -1, ok_bad = 0;
    if (n > 0) {
        rc_good = qtb_sig_verify_crl_der(&ok_good, cder, (size_t)n, X509_get_X509_PUBKEY(p.ca.x));
        /* the outer ecdsa-with-SHA256 (the last one in the encoding) becomes ...SHA384 */
        static const unsigned char oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x04, 0x03, 0x02};
        for (int i = n - (int)sizeof(oid); i >= 0; i--) {
            if (memcmp(cder + i, oid, sizeof(oid)) == 0) {
                cder[i + sizeof(oid) - 1] = 0x03;
                break;
            }
        }
        rc_bad = qtb_sig_verify_crl_der(&ok_bad, cder, (size_t)n, X509_get_X509_PUBKEY(p.ca.x));
    }
    OPENSSL_free(cder);
    X509_CRL_free(crl);
    gpki_free(&p);
    QTB_CHECK(rc_good == 0 && ok_good == 1);
    QTB_CHECK(rc_bad == QTB_EPARSE && ok_bad == 0);
}

/* The operator's view of a set: a good CRL, one with an unknown critical extension. */
static void test_trust__describe_json(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    X509_CRL *good = gcrl(&p.ca, T0 - DAY, NULL, 0, 0);
    X509_CRL *crit = gcrl(&p.ca, T0 - 2 * DAY, NULL, 0, C_CRIT_OTHER);
    QTB_REQUIRE(good != NULL && crit != NULL);
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.ca.x, false);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl(t, good);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl(t, crit);
    }
    char *doc = NULL, *later = NULL;
    if (rc == 0) {
        rc = qtb_trust_describe_json(&doc, t, T0);
    }
    if (rc == 0) {
        rc = qtb_trust_describe_json(&later, t, T0 + YEAR);
    }
    qtb_trust_free(t);
    X509_CRL_free(good);
    X509_CRL_free(crit);
    gpki_free(&p);
    QTB_OK_CALL(rc);
    json_t *d = json_loads(doc, 0, NULL);
    json_t *l = json_loads(later, 0, NULL);
    qtb_string_free(doc);
    qtb_string_free(later);
    QTB_REQUIRE(d != NULL && l != NULL);
    json_t *crls = json_object_get(d, "crls");
    QTB_CHECK(json_array_size(json_object_get(d, "anchors")) == 1);
    QTB_CHECK(json_array_size(json_object_get(d, "untrusted")) == 1);
    QTB_CHECK(json_array_size(crls) == 2);
    json_t *c0 = json_array_get(crls, 0), *c1 = json_array_get(crls, 1);
    QTB_CHECK_STR(json_string_value(json_object_get(c0, "signature")), "valid");
    QTB_CHECK(json_object_get(c0, "unusable") == NULL);
    QTB_CHECK(json_is_false(json_object_get(c0, "expired")));
    QTB_CHECK(contains(json_string_value(json_object_get(c1, "unusable")), "1.2.3.4.6"));
    /* twin: a year later both CRLs (one month each) have expired */
    json_t *lc = json_array_get(json_object_get(l, "crls"), 0);
    QTB_CHECK(json_is_true(json_object_get(lc, "expired")));
    json_decref(d);
    json_decref(l);
}

/* ---- sharing one trust set between threads ------------------------------------------------ */

typedef struct thread_job {
    const qtb_trust *t;
    X509 *leaf;
    STACK_OF(X509) * extra;
    qtb_indication want;
    int rounds;
    int wrong; /* verdicts that differed from `want` */
    int errors;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    for (int i = 0; i < j->rounds; i++) {
        qtb_path_result r;
        if (qtb_trust_validate(&r, j->t, j->leaf, j->extra, T0, T0, QTB_PATH_FOR_SIGNING) != 0) {
            j->errors++;
            continue;
        }
        if (r.indication != j->want) {
            j->wrong++;
        }
        qtb_path_result_dispose(&r);
    }
    return NULL;
}

static void test_trust__threads_share_a_set(void)
{
    gpki p;
    QTB_REQUIRE(gpki_make(&p, CA_OK, LEAF_OK) == 0);
    /* a leaf under a CA of the same name but another key: must fail in every thread */
    gcert rogue_ca = gca("QTB Test CA", NULL, T0 - YEAR, T0 + YEAR, CA_OK | O_NO_KEYID);
    gcert rogue = gca("QTB Rogue Leaf", &rogue_ca, T0 - DAY, T0 + DAY, LEAF_OK | O_NO_KEYID);
    X509_CRL *crl = gcrl(&p.ca, T0 - DAY, NULL, 0, 0);
    QTB_REQUIRE(rogue_ca.x != NULL && rogue.x != NULL && crl != NULL);
    qtb_trust *t = NULL;
    int rc = qtb_trust_new(&t);
    if (rc == 0) {
        rc = qtb_trust_add_cert(t, p.root.x, true);
    }
    if (rc == 0) {
        rc = qtb_trust_add_crl(t, crl);
    }
    STACK_OF(X509) *extra = sk_X509_new_null();
    sk_X509_push(extra, p.ca.x);
    /* OpenSSL fills a certificate's extension cache lazily, racily: fill it before sharing */
    X509_check_purpose(p.leaf.x, -1, 0);
    X509_check_purpose(p.ca.x, -1, 0);
    X509_check_purpose(rogue.x, -1, 0);
    thread_job jobs[4];
    pthread_t th[4];
    int started = 0;
    for (int i = 0; i < 4 && rc == 0; i++) {
        bool bad = i == 3;
        jobs[i] = (thread_job){.t = t,
                               .leaf = bad ? rogue.x : p.leaf.x,
                               .extra = extra,
                               .want = bad ? QTB_INDETERMINATE : QTB_TOTAL_PASSED,
                               .rounds = 200};
        if (pthread_create(&th[i], NULL, thread_main, &jobs[i]) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
    }
    /* the verdicts are cached by fingerprint: leaf by CA is known to be good */
    unsigned char lfp[QTB_FP_LEN], cfp[QTB_FP_LEN];
    unsigned char *der = NULL;
    int n = i2d_X509(p.leaf.x, &der);
    int cached = -2;
    if (rc == 0 && n > 0 && qtb_trust_fingerprint(lfp, t, der, (size_t)n) == 0) {
        OPENSSL_free(der);
        der = NULL;
        n = i2d_X509(p.ca.x, &der);
        if (n > 0 && qtb_trust_fingerprint(cfp, t, der, (size_t)n) == 0) {
            cached = qtb_sig_cache_get(t, lfp, cfp);
        }
    }
    OPENSSL_free(der);
    qtb_trust_free(t);
    sk_X509_free(extra);
    X509_CRL_free(crl);
    gfree(&rogue_ca);
    gfree(&rogue);
    gpki_free(&p);
    QTB_OK_CALL(rc);
    QTB_CHECK(started == 4);
    for (int i = 0; i < started; i++) {
        QTB_CHECK(jobs[i].errors == 0);
        QTB_CHECK(jobs[i].wrong == 0);
    }
    QTB_CHECK(cached == 1);
}

int main(void)
{
    QTB_RUN(test_trust__rsa_real_chain_valid_2021);
    QTB_RUN(test_trust__intermediate_as_anchor);
    QTB_RUN(test_trust__untrusted_promoted_to_anchor);
    QTB_RUN(test_trust__intermediate_from_extra);
    QTB_RUN(test_trust__rsa_real_crl_good);
    QTB_RUN(test_trust__rsa_real_crl_signature);
    QTB_RUN(test_trust__cert_signature_dispatch);
    QTB_RUN(test_trust__tampered_intermediate);
    QTB_RUN(test_trust__tampered_crl_ignored);
    QTB_RUN(test_trust__rsa_real_revoked);
    QTB_RUN(test_trust__gost_real_chain);
    QTB_RUN(test_trust__gost_real_revoked);
    QTB_RUN(test_trust__gost2004_real_chain);
    QTB_RUN(test_trust__untrusted_issuer);
    QTB_RUN(test_trust__load_real_dir);
    QTB_RUN(test_trust__load_errors);
    QTB_RUN(test_trust__pem_bundle);
    QTB_RUN(test_trust__pki_rsa_cases);
    QTB_RUN(test_trust__pki_stale_crl);
    QTB_RUN(test_trust__pki_newest_crl_wins);
    QTB_RUN(test_trust__gen_constraints);
    QTB_RUN(test_trust__gen_pathlen);
    QTB_RUN(test_trust__gen_name_constraints);
    QTB_RUN(test_trust__gen_ca_validity);
    QTB_RUN(test_trust__gen_rsa_algorithms);
    QTB_RUN(test_trust__gen_other_algorithms);
    QTB_RUN(test_trust__gen_same_name_issuers);
    QTB_RUN(test_trust__gen_loop_and_depth);
    QTB_RUN(test_trust__gen_v1_root);
    QTB_RUN(test_trust__gen_crl_rules);
    QTB_RUN(test_trust__gen_hold_needs_fresh_crl);
    QTB_RUN(test_trust__gen_delta_crls);
    QTB_RUN(test_trust__gen_crl_signer_keyusage);
    QTB_RUN(test_trust__signature_algorithm_match);
    QTB_RUN(test_trust__describe_json);
    QTB_RUN(test_trust__threads_share_a_set);
    return qtb_test_done();
}
