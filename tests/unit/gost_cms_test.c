/*
 * GOST CMS signing through the library (qtb_cms_sign with NCA's real GOST keys) and its
 * verification (qtb_cms_verify): Kalkan's digest, attached and detached, co-signing that keeps
 * the earlier SignerInfo byte for byte, and the failing twins.
 */
#include <stdio.h>
#include <string.h>

#include <qtb/cms.h>
#include <qtb/p12.h>
#include <qtb/report.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

#include "cms_int.h"
#include "gost.h"
#include "internal.h"
#include "qtb_test.h"
#include "report_int.h"

/* Inside the 2026 keys' validity, after the revocations, before the CRL's nextUpdate. */
#define AT "2026-11-01T00:00:00Z"

static const char *shared(char *buf, size_t cap, const char *rel)
{
    snprintf(buf, cap, "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    return buf;
}

static qtb_p12 *open_key(const char *name, const char *password)
{
    char path[4096];
    unsigned char *der = NULL;
    size_t len = 0;
    qtb_p12 *p = NULL;
    if (qtb_file_read(&der, &len, shared(path, sizeof(path), name), QTB_MAX_CERT_FILE) != 0) {
        return NULL;
    }
    if (qtb_p12_open(&p, der, len, password) != 0) {
        p = NULL;
    }
    qtb_free(der);
    return p;
}

static qtb_trust *gost_trust(void)
{
    char a[4096], b[4096], c[4096];
    qtb_trust *t = NULL;
    if (qtb_trust_new(&t) != 0 ||
        qtb_trust_add_anchor_file(t, shared(a, sizeof(a), "ca/root_test_gost_2022.cer")) != 0 ||
        qtb_trust_add_untrusted_file(t, shared(b, sizeof(b), "ca/nca_gost2022_test.cer")) != 0 ||
        qtb_trust_add_crl_file(t, shared(c, sizeof(c), "ca/nca_gost2022_test.crl")) != 0) {
        qtb_trust_free(t);
        return NULL;
    }
    return t;
}

/* Verify; returns the report (caller frees) or NULL. */
static qtb_report *verify(const unsigned char *cms, size_t len, const char *content,
                          const qtb_trust *t)
{
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.trust = t;
    if (qtb_time_parse_rfc3339(&o.at, AT) != 0) {
        return NULL;
    }
    if (content != NULL) {
        o.content = (const unsigned char *)content;
        o.content_len = strlen(content);
    }
    qtb_report *r = NULL;
    return qtb_cms_verify(&r, cms, len, &o) == 0 ? r : NULL;
}

static const char doc[] = "Өтініш № 1";

static void test_gost_cms__attached_kalkan_digest(void)
{
    QTB_NEED_SHARED();
    qtb_p12 *key = open_key("p12/gost2015_legal_ceo_valid_2026.p12", "Qwerty12");
    qtb_trust *t = gost_trust();
    QTB_REQUIRE(key != NULL && t != NULL);
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.content = (const unsigned char *)doc;
    so.content_len = strlen(doc);
    unsigned char *cms = NULL;
    size_t len = 0;
    QTB_OK_CALL(qtb_cms_sign(&cms, &len, key, &so));
    /* The messageDigest is Streebog-512 of the content, under Kalkan's OIDs. */
    qtb_cms_raw *raw = qtb_calloc(1, sizeof(*raw));
    QTB_REQUIRE(raw != NULL);
    QTB_OK_CALL(qtb_cms_parse(raw, cms, len));
    QTB_CHECK(raw->nsigners == 1 && raw->has_econtent && raw->ncerts == 1);
    static const unsigned char dalg[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x83, 0x0e,
                                         0x03, 0x0a, 0x01, 0x03, 0x03, 0x05, 0x00};
    QTB_CHECK(raw->signers[0].digest_alg.tlv_len == sizeof(dalg) &&
              memcmp(raw->signers[0].digest_alg.tlv, dalg, sizeof(dalg)) == 0);
    QTB_CHECK(raw->signers[0].sig.val_len == 128);
    unsigned char md[64];
    QTB_OK_CALL(qtb_streebog(md, sizeof(md), doc, strlen(doc)));
    const unsigned char *a = raw->signers[0].signed_attrs.val;
    size_t alen = raw->signers[0].signed_attrs.val_len;
    bool found = false;
    for (size_t i = 0; i + 66 <= alen; i++) {
        found = found || (a[i] == 0x04 && a[i + 1] == 0x40 && memcmp(a + i + 2, md, 64) == 0);
    }
    QTB_CHECK(found);
    qtb_free(raw);

    qtb_report *r = verify(cms, len, NULL, t);
    QTB_REQUIRE(r != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    qtb_report_free(r);
    /* Negative twin: the last byte is the signature's (no unsigned attributes follow). */
    cms[len - 1] ^= 0x01;
    r = verify(cms, len, NULL, t);
    QTB_REQUIRE(r != NULL);
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == QTB_SUB_SIG_CRYPTO_FAILURE);
    qtb_report_free(r);
    qtb_free_bytes(cms);
    qtb_trust_free(t);
    qtb_p12_free(key);
}

static void test_gost_cms__cosign_keeps_first_signer(void)
{
    QTB_NEED_SHARED();
    qtb_p12 *k1 = open_key("p12/gost2015_individual_valid_2026.p12", "Qwerty12");
    qtb_p12 *k2 = open_key("p12/gost2015_legal_signright_valid_2026.p12", "Qwerty12");
    qtb_trust *t = gost_trust();
    QTB_REQUIRE(k1 != NULL && k2 != NULL && t != NULL);
    qtb_cms_sign_options so = QTB_CMS_SIGN_OPTIONS_INIT;
    so.flags = QTB_CMS_SIGN_DETACHED;
    so.content = (const unsigned char *)doc;
    so.content_len = strlen(doc);
    unsigned char *one = NULL, *two = NULL;
    size_t one_len = 0, two_len = 0;
    QTB_OK_CALL(qtb_cms_sign(&one, &one_len, k1, &so));
    so.add_to = one;
    so.add_to_len = one_len;
    QTB_OK_CALL(qtb_cms_sign(&two, &two_len, k2, &so));
    qtb_cms_raw *r1 = qtb_calloc(1, sizeof(*r1)), *r2 = qtb_calloc(1, sizeof(*r2));
    QTB_REQUIRE(r1 != NULL && r2 != NULL);
    QTB_OK_CALL(qtb_cms_parse(r1, one, one_len));
    QTB_OK_CALL(qtb_cms_parse(r2, two, two_len));
    QTB_CHECK(r2->nsigners == 2 && r2->ncerts == 2 && !r2->has_econtent);
    /* The first SignerInfo's signed attributes and signature, byte for byte. */
    QTB_CHECK(r2->signers[0].signed_attrs.tlv_len == r1->signers[0].signed_attrs.tlv_len &&
              memcmp(r2->signers[0].signed_attrs.tlv, r1->signers[0].signed_attrs.tlv,
                     r1->signers[0].signed_attrs.tlv_len) == 0);
    QTB_CHECK(r2->signers[0].sig.val_len == 128 &&
              memcmp(r2->signers[0].sig.val, r1->signers[0].sig.val, 128) == 0);
    qtb_free(r1);
    qtb_free(r2);
    qtb_report *r = verify(two, two_len, doc, t);
    QTB_REQUIRE(r != NULL);
    QTB_CHECK(qtb_report_signature_count(r) == 2);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    qtb_report_free(r);
    /* Negative twins: other content; co-signing a detached CMS without its content. */
    r = verify(two, two_len, "Өтініш № 2", t);
    QTB_REQUIRE(r != NULL);
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == QTB_SUB_HASH_FAILURE);
    QTB_CHECK(qtb_report_signature_subindication(r, 1) == QTB_SUB_HASH_FAILURE);
    qtb_report_free(r);
    unsigned char *x = NULL;
    size_t xl = 0;
    so.content = NULL;
    so.content_len = 0;
    QTB_CHECK(qtb_cms_sign(&x, &xl, k2, &so) == QTB_EUNSUPPORTED);
    QTB_CHECK(x == NULL);
    qtb_free_bytes(one);
    qtb_free_bytes(two);
    qtb_trust_free(t);
    qtb_p12_free(k1);
    qtb_p12_free(k2);
}

int main(void)
{
    QTB_RUN(test_gost_cms__attached_kalkan_digest);
    QTB_RUN(test_gost_cms__cosign_keeps_first_signer);
    return qtb_test_done();
}
