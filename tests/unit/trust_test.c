/*
 * Trust sets, path validation, CRL revocation and signature dispatch: on real NCA RK test
 * material from $QTB_SHARED/fixtures-real, and on the generated test PKI in $QTB_FIXTURES.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <qtb/trust.h>

#include "internal.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_int.h"

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

int main(void)
{
    QTB_RUN(test_trust__rsa_real_chain_valid_2021);
    QTB_RUN(test_trust__intermediate_as_anchor);
    QTB_RUN(test_trust__intermediate_from_extra);
    QTB_RUN(test_trust__rsa_real_crl_good);
    QTB_RUN(test_trust__rsa_real_crl_signature);
    QTB_RUN(test_trust__cert_signature_dispatch);
    QTB_RUN(test_trust__tampered_intermediate);
    QTB_RUN(test_trust__tampered_crl_ignored);
    QTB_RUN(test_trust__rsa_real_revoked);
    QTB_RUN(test_trust__gost_real_chain);
    QTB_RUN(test_trust__untrusted_issuer);
    QTB_RUN(test_trust__load_real_dir);
    QTB_RUN(test_trust__load_errors);
    QTB_RUN(test_trust__pem_bundle);
    QTB_RUN(test_trust__pki_rsa_cases);
    QTB_RUN(test_trust__pki_stale_crl);
    QTB_RUN(test_trust__pki_newest_crl_wins);
    return qtb_test_done();
}
