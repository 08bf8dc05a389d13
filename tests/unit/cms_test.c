/* CMS: the BER walk, SignedData parsing, signing and verifying in memory. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <qtb/cms.h>
#include <qtb/p12.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

#include "certcache_int.h"
#include "cms_int.h"
#include "internal.h"
#include "qtb_test.h"

static void test_cms__ber_definite_and_indefinite(void)
{
    /* SEQUENCE { INTEGER 5 } definite, then the same with indefinite length. */
    static const unsigned char def[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    static const unsigned char indef[] = {0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00};
    qtb_ber e;
    QTB_OK_CALL(qtb_ber_read(&e, def, sizeof(def), 0));
    QTB_CHECK(e.tag == 0x30 && e.val_len == 3 && e.tlv_len == 5 && !e.indefinite);
    QTB_OK_CALL(qtb_ber_read(&e, indef, sizeof(indef), 0));
    QTB_CHECK(e.indefinite && e.val_len == 3 && e.tlv_len == 7);
    qtb_ber_iter it;
    qtb_ber child;
    qtb_ber_iter_init(&it, &e, 1);
    QTB_CHECK(qtb_ber_next(&it, &child) == 1 && child.tag == 0x02 && child.val[0] == 5);
    QTB_CHECK(qtb_ber_next(&it, &child) == 0);
}

static void test_cms__ber_rejects_malformed(void)
{
    static const unsigned char too_long[] = {0x30, 0x05, 0x02, 0x01, 0x05};
    static const unsigned char no_eoc[] = {0x30, 0x80, 0x02, 0x01, 0x05};
    static const unsigned char prim_indef[] = {0x04, 0x80, 0x00, 0x00};
    static const unsigned char huge_len[] = {0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const unsigned char high_tag[] = {0x1f, 0x81, 0x01, 0x00};
    qtb_ber e;
    QTB_CHECK(qtb_ber_read(&e, too_long, sizeof(too_long), 0) == QTB_EPARSE);
    QTB_CHECK(qtb_ber_read(&e, no_eoc, sizeof(no_eoc), 0) == QTB_EPARSE);
    QTB_CHECK(qtb_ber_read(&e, prim_indef, sizeof(prim_indef), 0) == QTB_EPARSE);
    QTB_CHECK(qtb_ber_read(&e, huge_len, sizeof(huge_len), 0) == QTB_EPARSE);
    QTB_CHECK(qtb_ber_read(&e, high_tag, sizeof(high_tag), 0) == QTB_EPARSE);
    QTB_CHECK(qtb_ber_read(&e, too_long, 1, 0) == QTB_EPARSE);
}

static void test_cms__ber_depth_is_bounded(void)
{
    /* 40 nested indefinite SEQUENCEs: deeper than QTB_BER_MAX_DEPTH. */
    unsigned char buf[200];
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        buf[n++] = 0x30;
        buf[n++] = 0x80;
    }
    for (int i = 0; i < 40; i++) {
        buf[n++] = 0x00;
        buf[n++] = 0x00;
    }
    qtb_ber e;
    QTB_CHECK(qtb_ber_read(&e, buf, n, 0) == QTB_EPARSE);
    /* The same with 10 levels is fine. */
    n = 0;
    for (int i = 0; i < 10; i++) {
        buf[n++] = 0x30;
        buf[n++] = 0x80;
    }
    for (int i = 0; i < 10; i++) {
        buf[n++] = 0x00;
        buf[n++] = 0x00;
    }
    QTB_OK_CALL(qtb_ber_read(&e, buf, n, 0));
    QTB_CHECK(e.tlv_len == n);
}

static void test_cms__detect_kind(void)
{
    static const unsigned char xml[] = "\xef\xbb\xbf  \n<?xml version='1.0'?><a/>";
    static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    static const unsigned char b64[] = "MIIB";
    QTB_CHECK(qtb_detect_signature_kind(xml, sizeof(xml) - 1) == QTB_SIG_XML);
    QTB_CHECK(qtb_detect_signature_kind(der, sizeof(der)) == QTB_SIG_CMS);
    QTB_CHECK(qtb_detect_signature_kind(b64, sizeof(b64) - 1) == QTB_SIG_CMS);
    QTB_CHECK(qtb_detect_signature_kind((const unsigned char *)"  ", 2) == QTB_SIG_UNKNOWN);
    QTB_CHECK(qtb_detect_signature_kind(NULL, 0) == QTB_SIG_UNKNOWN);
}

static char *fixture(const char *rel)
{
    const char *fix = getenv("QTB_FIXTURES");
    if (fix == NULL) {
        return NULL;
    }
    size_t n = strlen(fix) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/%s", fix, rel);
    }
    return p;
}

static int open_key(qtb_p12 **key, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "pki/p12/%s.p12", name);
    char *path = fixture(rel);
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = path ? qtb_file_read(&der, &len, path, QTB_MAX_CERT_FILE) : QTB_ENOTFOUND;
    free(path);
    if (rc == 0) {
        rc = qtb_p12_open(key, der, len, "Qwerty12");
    }
    qtb_free(der);
    return rc;
}

static int load_trust(qtb_trust **t, const char *sub)
{
    char *dir = fixture(sub);
    int rc = dir ? qtb_trust_new(t) : QTB_ENOTFOUND;
    if (rc == 0) {
        rc = qtb_trust_add_dir(*t, dir);
    }
    free(dir);
    return rc;
}

static const unsigned char doc[] = "Өтініш: заявление абитуриента, 2026";

static void test_cms__sign_verify_in_memory(void)
{
    qtb_p12 *key = NULL;
    qtb_trust *trust = NULL;
    unsigned char *cms = NULL;
    size_t cms_len = 0;
    qtb_report *rep = NULL;
    if (open_key(&key, "rsa_individual_sign") != 0 || load_trust(&trust, "pki/trust/rsa") != 0) {
        qtb_p12_free(key);
        qtb_trust_free(trust);
        QTB_SKIP("generated PKI not available");
    }
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.flags = QTB_CMS_SIGN_DETACHED;
    so.content = doc;
    so.content_len = sizeof(doc) - 1;
    int rc = qtb_cms_sign(&cms, &cms_len, key, &so);
    QTB_CHECK(rc == 0);

    qtb_verify_options vo = QTB_VERIFY_OPTIONS_INIT;
    vo.trust = trust;
    vo.content = doc;
    vo.content_len = sizeof(doc) - 1;
    if (rc == 0 && qtb_cms_verify(&rep, cms, cms_len, &vo) == 0) {
        QTB_CHECK(qtb_report_indication(rep) == QTB_TOTAL_PASSED);
        QTB_CHECK(qtb_report_signature_count(rep) == 1);
        qtb_report_free(rep);
        rep = NULL;
    } else {
        QTB_CHECK(!"sign or verify failed");
    }
    /* Negative twin: one byte of content changed. */
    unsigned char other[sizeof(doc)];
    memcpy(other, doc, sizeof(doc));
    other[0] ^= 1;
    vo.content = other;
    if (rc == 0 && qtb_cms_verify(&rep, cms, cms_len, &vo) == 0) {
        QTB_CHECK(qtb_report_indication(rep) == QTB_TOTAL_FAILED);
        QTB_CHECK(qtb_report_signature_subindication(rep, 0) == QTB_SUB_HASH_FAILURE);
        qtb_report_free(rep);
        rep = NULL;
    }
    /* No trust at all: INDETERMINATE, never passed. */
    vo.content = doc;
    vo.trust = NULL;
    if (rc == 0 && qtb_cms_verify(&rep, cms, cms_len, &vo) == 0) {
        QTB_CHECK(qtb_report_indication(rep) == QTB_INDETERMINATE);
        qtb_report_free(rep);
        rep = NULL;
    }
    /* No-chain mode never says TOTAL_PASSED. */
    vo.trust = trust;
    vo.flags = QTB_VERIFY_NO_CHAIN;
    if (rc == 0 && qtb_cms_verify(&rep, cms, cms_len, &vo) == 0) {
        QTB_CHECK(qtb_report_indication(rep) == QTB_INDETERMINATE);
        qtb_report_free(rep);
        rep = NULL;
    }
    qtb_free_bytes(cms);
    qtb_p12_free(key);
    qtb_trust_free(trust);
}

static void test_cms__parse_own_signature(void)
{
    qtb_p12 *key = NULL;
    unsigned char *cms = NULL;
    size_t cms_len = 0;
    if (open_key(&key, "ec_individual_sign") != 0) {
        QTB_SKIP("generated PKI not available");
    }
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.content = doc;
    so.content_len = sizeof(doc) - 1;
    QTB_OK_CALL(qtb_cms_sign(&cms, &cms_len, key, &so));
    qtb_cms_raw *raw = calloc(1, sizeof(*raw));
    QTB_REQUIRE(raw != NULL);
    QTB_CHECK(qtb_cms_parse(raw, cms, cms_len) == 0);
    QTB_CHECK(raw->has_econtent && raw->econtent.val_len == sizeof(doc) - 1);
    QTB_CHECK(raw->nsigners == 1 && raw->ncerts == 1);
    QTB_CHECK(raw->signers[0].has_signed_attrs && !raw->signers[0].has_unsigned_attrs);
    QTB_CHECK(QTB_OID_EQ(&raw->econtent_type, qtb_oid_data));
    /* Every proper prefix is rejected, never read past. */
    size_t bad = 0;
    for (size_t n = 0; n < cms_len; n += 7) {
        if (qtb_cms_parse(raw, cms, n) == 0) {
            bad++;
        }
    }
    QTB_CHECK(bad == 0);
    /* Trailing bytes are rejected too. */
    unsigned char *longer = malloc(cms_len + 1);
    QTB_REQUIRE(longer != NULL);
    memcpy(longer, cms, cms_len);
    longer[cms_len] = 0;
    QTB_CHECK(qtb_cms_parse(raw, longer, cms_len + 1) == QTB_EPARSE);
    free(longer);
    free(raw);
    qtb_free_bytes(cms);
    qtb_p12_free(key);
}

static void test_cms__garbage_is_format_failure(void)
{
    static const unsigned char junk[] = {0x30, 0x82, 0xff, 0xff, 0x01};
    qtb_report *rep = NULL;
    QTB_OK_CALL(qtb_cms_verify(&rep, junk, sizeof(junk), NULL));
    QTB_CHECK(qtb_report_indication(rep) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_subindication(rep) == QTB_SUB_FORMAT_FAILURE);
    qtb_report_free(rep);
    QTB_OK_CALL(qtb_cms_verify(&rep, (const unsigned char *)"", 0, NULL));
    QTB_CHECK(qtb_report_indication(rep) == QTB_TOTAL_FAILED);
    qtb_report_free(rep);
}

static void test_cms__cert_cache(void)
{
    qtb_p12 *key = NULL;
    qtb_trust *trust = NULL;
    qtb_cert_cache *cache = NULL;
    unsigned char *cms = NULL;
    size_t cms_len = 0;
    if (open_key(&key, "rsa_ceo_sign") != 0 || load_trust(&trust, "pki/trust/rsa") != 0) {
        qtb_p12_free(key);
        qtb_trust_free(trust);
        QTB_SKIP("generated PKI not available");
    }
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.content = doc;
    so.content_len = sizeof(doc) - 1;
    QTB_OK_CALL(qtb_cms_sign(&cms, &cms_len, key, &so));
    QTB_OK_CALL(qtb_cert_cache_new(&cache, 16));
    /* The same verdicts with and without the cache, twice (miss, then hit). */
    qtb_verify_options vo = QTB_VERIFY_OPTIONS_INIT;
    vo.trust = trust;
    for (int round = 0; round < 3; round++) {
        qtb_report *rep = NULL;
        vo.cert_cache = round == 0 ? NULL : cache;
        QTB_OK_CALL(qtb_cms_verify(&rep, cms, cms_len, &vo));
        QTB_CHECK(qtb_report_indication(rep) == QTB_TOTAL_PASSED);
        qtb_report_free(rep);
    }
    /* Negative twin through the cache: the signature value corrupted. */
    cms[cms_len - 3] ^= 1;
    qtb_report *rep = NULL;
    QTB_OK_CALL(qtb_cms_verify(&rep, cms, cms_len, &vo));
    QTB_CHECK(qtb_report_signature_subindication(rep, 0) == QTB_SUB_SIG_CRYPTO_FAILURE);
    qtb_report_free(rep);
    /* A malformed certificate is refused, cached or not. */
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    X509 *x = NULL;
    QTB_CHECK(qtb_cert_cache_get(&x, cache, junk, sizeof(junk)) == QTB_EPARSE);
    QTB_CHECK(qtb_cert_cache_get(&x, NULL, junk, sizeof(junk)) == QTB_EPARSE);
    QTB_CHECK(x == NULL);
    qtb_cert_cache_free(cache);
    qtb_free_bytes(cms);
    qtb_p12_free(key);
    qtb_trust_free(trust);
}

typedef struct mt_arg {
    const unsigned char *cms;
    size_t cms_len;
    const qtb_verify_options *vo;
    int passed;
} mt_arg;

static void *mt_worker(void *p)
{
    mt_arg *a = p;
    for (int i = 0; i < 40; i++) {
        qtb_report *rep = NULL;
        if (qtb_cms_verify(&rep, a->cms, a->cms_len, a->vo) == 0 &&
            qtb_report_indication(rep) == QTB_TOTAL_PASSED) {
            a->passed++;
        }
        qtb_report_free(rep);
    }
    return NULL;
}

/* One trust set and one cache shared by four threads: every verdict still right. */
static void test_cms__threads_share_trust_and_cache(void)
{
    qtb_p12 *key = NULL;
    qtb_trust *trust = NULL;
    qtb_cert_cache *cache = NULL;
    unsigned char *cms = NULL;
    size_t cms_len = 0;
    if (open_key(&key, "rsa_employee") != 0 || load_trust(&trust, "pki/trust/rsa") != 0) {
        qtb_p12_free(key);
        qtb_trust_free(trust);
        QTB_SKIP("generated PKI not available");
    }
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.content = doc;
    so.content_len = sizeof(doc) - 1;
    QTB_OK_CALL(qtb_cms_sign(&cms, &cms_len, key, &so));
    QTB_OK_CALL(qtb_cert_cache_new(&cache, 8));
    qtb_verify_options vo = QTB_VERIFY_OPTIONS_INIT;
    vo.trust = trust;
    vo.cert_cache = cache;
    pthread_t tid[4];
    mt_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (mt_arg){cms, cms_len, &vo, 0};
        QTB_REQUIRE(pthread_create(&tid[i], NULL, mt_worker, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        QTB_CHECK(args[i].passed == 40);
    }
    qtb_cert_cache_free(cache);
    qtb_free_bytes(cms);
    qtb_p12_free(key);
    qtb_trust_free(trust);
}

static void test_cms__gost_digest_is_named(void)
{
    /* AlgorithmIdentifier { 1.2.398.3.10.1.3.3 } (GOST 34.11-2015/512), NULL params. */
    static const unsigned char alg_der[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x83, 0x0e,
                                            0x03, 0x0a, 0x01, 0x03, 0x03, 0x05, 0x00};
    const unsigned char *p = alg_der;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, sizeof(alg_der));
    QTB_REQUIRE(alg != NULL);
    qtb_md md;
    int rc = qtb_md_init(&md, alg);
    QTB_CHECK(rc == QTB_EUNSUPPORTED);
    QTB_CHECK(strstr(qtb_error_last()->message, "GOST 34.11-2015/512") != NULL);
    qtb_md_dispose(&md);
    X509_ALGOR_free(alg);
}

int main(void)
{
    QTB_RUN(test_cms__ber_definite_and_indefinite);
    QTB_RUN(test_cms__ber_rejects_malformed);
    QTB_RUN(test_cms__ber_depth_is_bounded);
    QTB_RUN(test_cms__detect_kind);
    QTB_RUN(test_cms__sign_verify_in_memory);
    QTB_RUN(test_cms__parse_own_signature);
    QTB_RUN(test_cms__garbage_is_format_failure);
    QTB_RUN(test_cms__gost_digest_is_named);
    QTB_RUN(test_cms__cert_cache);
    QTB_RUN(test_cms__threads_share_trust_and_cache);
    return qtb_test_done();
}
