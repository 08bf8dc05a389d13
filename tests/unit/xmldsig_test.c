/*
 * XMLDSig verify and sign: the real NCA (Kalkan) samples, the generated test PKI, and the
 * attacks of issue 4 (XXE, billion laughs, XSLT, wrapping, no signature).
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <qtb/p12.h>
#include <qtb/trust.h>
#include <qtb/verify.h>
#include <qtb/xmldsig.h>

#include "internal.h"
#include "qtb_test.h"
#include "report_int.h"
#include "xmldsig_int.h"

static char path_buf[4096];

static const char *fixture(const char *rel)
{
    const char *f = getenv("QTB_FIXTURES");
    snprintf(path_buf, sizeof(path_buf), "%s/%s", f ? f : "fixtures", rel);
    return path_buf;
}

static const char *shared(const char *rel)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", qtb_test_shared_dir(), rel);
    return path_buf;
}

/* Verify `xml` and return the report as parsed JSON (NULL on failure). */
static json_t *verify_json(qtb_report **rep_out, const char *xml, size_t len, const qtb_trust *t,
                           int64_t at)
{
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    qtb_report *r = NULL;
    char *js = NULL;
    o.trust = t;
    o.at = at;
    if (qtb_xml_verify(&r, (const unsigned char *)xml, len, &o) != 0) {
        return NULL;
    }
    if (qtb_report_to_json(&js, r) != 0) {
        qtb_report_free(r);
        return NULL;
    }
    json_t *doc = json_loads(js, 0, NULL);
    qtb_string_free(js);
    if (rep_out != NULL) {
        *rep_out = r;
    } else {
        qtb_report_free(r);
    }
    return doc;
}

static const char *jpath_str(json_t *doc, size_t sig, const char *k1, const char *k2)
{
    json_t *s = json_array_get(json_object_get(doc, "signatures"), sig);
    json_t *v = json_object_get(s, k1);
    if (k2 != NULL) {
        v = json_object_get(v, k2);
    }
    return json_string_value(v);
}

static int load_trust(qtb_trust **out, const char *dir)
{
    QTB_TRY(qtb_trust_new(out));
    return qtb_trust_add_dir(*out, dir);
}

static int open_p12(qtb_p12 **out, const char *name)
{
    char rel[256];
    unsigned char *der = NULL, *pw = NULL;
    size_t der_len = 0, pw_len = 0;
    snprintf(rel, sizeof(rel), "pki/p12/%s.p12", name);
    QTB_TRY(qtb_file_read(&der, &der_len, fixture(rel), QTB_MAX_CERT_FILE));
    int rc = qtb_file_read(&pw, &pw_len, fixture("pki/password.txt"), QTB_MAX_PASSWORD);
    if (rc == 0) {
        while (pw_len > 0 && (pw[pw_len - 1] == '\n' || pw[pw_len - 1] == '\r')) {
            pw_len--;
        }
        char pass[QTB_MAX_PASSWORD + 1];
        memcpy(pass, pw, pw_len);
        pass[pw_len] = '\0';
        rc = qtb_p12_open(out, der, der_len, pass);
        qtb_wipe(pass, sizeof(pass));
    }
    qtb_free(der);
    qtb_free(pw);
    return rc;
}

static const char *DOC = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<application><!-- a comment -->\n"
                         "  <applicant>Әлия Сәрсенбаева</applicant>\n"
                         "  <amount>100</amount>\n"
                         "  <item Id=\"item-1\">pay 10</item>\n"
                         "</application>\n";

/* Sign DOC with a generated key store; *out freed with qtb_string_free. */
static int sign_with(char **out, size_t *len, const char *name, const char *in, const char *id)
{
    qtb_p12 *p = NULL;
    QTB_TRY(open_p12(&p, name));
    int rc = qtb_xml_sign_id(out, len, (const unsigned char *)in, strlen(in), p, id);
    qtb_p12_free(p);
    return rc;
}

#define NEED_FIXTURES()                                                                            \
    do {                                                                                           \
        FILE *f_ = fopen(fixture("pki/password.txt"), "r");                                        \
        if (f_ == NULL) {                                                                          \
            QTB_SKIP("generated PKI not found (QTB_FIXTURES)");                                    \
        }                                                                                          \
        fclose(f_);                                                                                \
    } while (0)

/* Replace the first occurrence of `from` by `to` in a qtb_malloc'd string. */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *hit = strstr(s, from);
    if (hit == NULL) {
        return NULL;
    }
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *r = qtb_malloc(n + 1);
    size_t pre = (size_t)(hit - s);
    memcpy(r, s, pre);
    memcpy(r + pre, to, strlen(to));
    memcpy(r + pre + strlen(to), hit + strlen(from), strlen(hit + strlen(from)) + 1);
    return r;
}

/* ---- generated PKI ------------------------------------------------------------------------ */

static void check_signed_by(const char *name, const char *trust_dir, const char *iin,
                            const char *bin)
{
    char *signed_xml = NULL;
    size_t len = 0;
    qtb_trust *t = NULL;
    QTB_OK_CALL(sign_with(&signed_xml, &len, name, DOC, NULL));
    QTB_OK_CALL(load_trust(&t, fixture(trust_dir)));
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, signed_xml, len, t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK_STR(json_string_value(json_object_get(doc, "format")), "XMLDSIG");
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK(qtb_report_signature_count(r) == 1);
    QTB_CHECK_STR(jpath_str(doc, 0, "signer", "iin"), iin);
    if (bin != NULL) {
        QTB_CHECK_STR(jpath_str(doc, 0, "signer", "bin"), bin);
    }
    json_t *cov = json_object_get(json_array_get(json_object_get(doc, "signatures"), 0), "covers");
    QTB_CHECK(json_is_true(json_object_get(cov, "wholeDocument")));
    if (qtb_report_indication(r) != QTB_TOTAL_PASSED) {
        fprintf(stderr, "  %s\n", qtb_report_signature_message(r, 0));
    }
    json_decref(doc);
    qtb_report_free(r);
    qtb_trust_free(t);
    qtb_string_free(signed_xml);
}

static void test_xmldsig__individual_valid(void)
{
    NEED_FIXTURES();
    check_signed_by("rsa_individual_sign", "pki/trust/rsa", "900315400126", NULL);
}

static void test_xmldsig__ceo_valid(void)
{
    NEED_FIXTURES();
    check_signed_by("rsa_ceo_sign", "pki/trust/rsa", "751102300459", "040540000123");
}

static void test_xmldsig__ecdsa_valid(void)
{
    NEED_FIXTURES();
    char *signed_xml = NULL;
    size_t len = 0;
    qtb_trust *t = NULL;
    QTB_OK_CALL(sign_with(&signed_xml, &len, "ec_individual_sign", DOC, NULL));
    QTB_OK_CALL(load_trust(&t, fixture("pki/trust/ec")));
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, signed_xml, len, t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK(strstr(jpath_str(doc, 0, "signatureMethod", NULL), "ecdsa-sha256") != NULL);
    json_decref(doc);
    qtb_report_free(r);
    qtb_trust_free(t);
    qtb_string_free(signed_xml);
}

/* Expect one signature with this verdict after replacing `from` by `to` in the signed doc. */
static void check_tampered(const char *name, const char *trust_dir, const char *from,
                           const char *to, qtb_indication want, qtb_subindication want_sub)
{
    char *signed_xml = NULL;
    size_t len = 0;
    qtb_trust *t = NULL;
    QTB_OK_CALL(sign_with(&signed_xml, &len, name, DOC, NULL));
    QTB_OK_CALL(load_trust(&t, fixture(trust_dir)));
    char *bad = from != NULL ? replace(signed_xml, from, to) : qtb_strdup(signed_xml);
    QTB_REQUIRE(bad != NULL);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, bad, strlen(bad), t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_count(r) == 1);
    QTB_CHECK(qtb_report_signature_indication(r, 0) == want);
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == want_sub);
    if (qtb_report_signature_subindication(r, 0) != want_sub) {
        fprintf(stderr, "  got %s: %s\n",
                qtb_subindication_name(qtb_report_signature_subindication(r, 0)),
                qtb_report_signature_message(r, 0));
    }
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(bad);
    qtb_trust_free(t);
    qtb_string_free(signed_xml);
}

static void test_xmldsig__text_changed_after_signing(void)
{
    NEED_FIXTURES();
    check_tampered("rsa_individual_sign", "pki/trust/rsa", "<amount>100<", "<amount>900<",
                   QTB_TOTAL_FAILED, QTB_SUB_HASH_FAILURE);
}

static void test_xmldsig__comment_change_is_not_signed(void)
{
    NEED_FIXTURES();
    /* URI="" drops comments (XMLDSig §4.4.3.3): changing one keeps the signature valid. */
    check_tampered("rsa_individual_sign", "pki/trust/rsa", "a comment", "another comment",
                   QTB_TOTAL_PASSED, QTB_SUB_NONE);
}

static void test_xmldsig__corrupted_signature_value(void)
{
    NEED_FIXTURES();
    check_tampered("rsa_individual_sign", "pki/trust/rsa", "<ds:SignatureValue>",
                   "<ds:SignatureValue>AAAA", QTB_TOTAL_FAILED, QTB_SUB_SIG_CRYPTO_FAILURE);
}

static void test_xmldsig__untrusted(void)
{
    NEED_FIXTURES();
    check_tampered("rsa_untrusted", "pki/trust/rsa", NULL, NULL, QTB_INDETERMINATE,
                   QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND);
}

static void test_xmldsig__revoked(void)
{
    NEED_FIXTURES();
    check_tampered("rsa_revoked", "pki/trust/rsa", NULL, NULL, QTB_TOTAL_FAILED, QTB_SUB_REVOKED);
}

static void test_xmldsig__second_signer_keeps_first_valid(void)
{
    NEED_FIXTURES();
    char *one = NULL, *two = NULL;
    size_t len1 = 0, len2 = 0;
    qtb_trust *t = NULL;
    QTB_OK_CALL(sign_with(&one, &len1, "rsa_individual_sign", DOC, NULL));
    QTB_OK_CALL(sign_with(&two, &len2, "rsa_ceo_sign", one, NULL));
    QTB_OK_CALL(load_trust(&t, fixture("pki/trust/rsa")));
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, two, len2, t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_count(r) == 2);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK_STR(jpath_str(doc, 0, "signer", "iin"), "900315400126");
    QTB_CHECK_STR(jpath_str(doc, 1, "signer", "bin"), "040540000123");
    json_decref(doc);
    qtb_report_free(r);
    /* Negative twin: the second signature covers the first; swap the first's value. */
    char *bad = replace(two, "<amount>100<", "<amount>101<");
    QTB_REQUIRE(bad != NULL);
    doc = verify_json(&r, bad, strlen(bad), t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_indication(r, 0) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_signature_indication(r, 1) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_FAILED);
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(bad);
    qtb_trust_free(t);
    qtb_string_free(one);
    qtb_string_free(two);
}

/* ---- the certificate cache, shared by threads ------------------------------------------- */

typedef struct thread_job {
    const char *good;
    const char *bad;
    const qtb_trust *t;
    qtb_cert_cache *cache;
    int wrong;
} thread_job;

static void *verify_many(void *arg)
{
    thread_job *j = arg;
    for (int i = 0; i < 40; i++) {
        const char *x = (i % 2) ? j->bad : j->good;
        qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
        o.trust = j->t;
        o.cert_cache = j->cache;
        qtb_report *r = NULL;
        if (qtb_xml_verify(&r, (const unsigned char *)x, strlen(x), &o) != 0) {
            j->wrong++;
            continue;
        }
        qtb_indication want = (i % 2) ? QTB_TOTAL_FAILED : QTB_TOTAL_PASSED;
        j->wrong += qtb_report_indication(r) != want;
        qtb_report_free(r);
    }
    return NULL;
}

static void test_xmldsig__cert_cache_shared_by_threads(void)
{
    NEED_FIXTURES();
    char *good = NULL;
    size_t len = 0;
    qtb_trust *t = NULL;
    qtb_cert_cache *cache = NULL;
    QTB_OK_CALL(sign_with(&good, &len, "rsa_individual_sign", DOC, NULL));
    QTB_OK_CALL(load_trust(&t, fixture("pki/trust/rsa")));
    QTB_OK_CALL(qtb_cert_cache_new(&cache, 4)); /* tiny: collisions and evictions happen */
    char *bad = replace(good, "<amount>100<", "<amount>900<");
    QTB_REQUIRE(bad != NULL);
    thread_job jobs[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){good, bad, t, cache, 0};
        QTB_REQUIRE(pthread_create(&tid[i], NULL, verify_many, &jobs[i]) == 0);
    }
    int wrong = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        wrong += jobs[i].wrong;
    }
    QTB_CHECK(wrong == 0);
    qtb_cert_cache_free(cache);
    qtb_free(bad);
    qtb_trust_free(t);
    qtb_string_free(good);
}

/* ---- attacks ------------------------------------------------------------------------------ */

static void test_xmldsig__no_signature(void)
{
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, DOC, strlen(DOC), NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) != QTB_TOTAL_PASSED);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_NO_SIGNATURE_FOUND);
    QTB_CHECK(qtb_report_signature_count(r) == 0);
    json_decref(doc);
    qtb_report_free(r);
}

static void test_xmldsig__xxe_local_file_never_read(void)
{
    char secret_path[] = "/tmp/qtb_xxe_secretXXXXXX";
    int fd = mkstemp(secret_path);
    QTB_REQUIRE(fd >= 0);
    char secret[64];
    snprintf(secret, sizeof(secret), "TOPSECRET-%ld-%d", (long)time(NULL), (int)getpid());
    QTB_REQUIRE(write(fd, secret, strlen(secret)) == (ssize_t)strlen(secret));
    close(fd);
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
             "<a><b>&xxe;</b><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>"
             "</a>",
             secret_path);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, xml, strlen(xml), NULL, 0);
    QTB_REQUIRE(doc != NULL);
    char *js = json_dumps(doc, 0);
    QTB_CHECK(js != NULL && strstr(js, secret) == NULL);
    QTB_CHECK(strstr(qtb_error_last()->message, secret) == NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_FORMAT_FAILURE);
    QTB_CHECK(js != NULL && strstr(js, "DOCTYPE") != NULL);
    free(js);
    json_decref(doc);
    qtb_report_free(r);
    /* The parser the signer uses refuses it too. */
    xmlDocPtr parsed = NULL;
    QTB_CHECK(qtb_xml_parse(&parsed, (const unsigned char *)xml, strlen(xml)) == QTB_EPARSE);
    QTB_CHECK(parsed == NULL);
    unlink(secret_path);
}

static void test_xmldsig__billion_laughs_fast_and_small(void)
{
    qtb_buf b;
    qtb_buf_init(&b, 1 << 20);
    QTB_OK_CALL(qtb_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                 "<!ENTITY lol \"lolololololololololololololololololololol\">\n"));
    for (int i = 1; i < 10; i++) {
        QTB_OK_CALL(qtb_buf_printf(&b, "<!ENTITY lol%d \"", i));
        for (int j = 0; j < 10; j++) {
            QTB_OK_CALL(qtb_buf_printf(&b, i == 1 ? "&lol;" : "&lol%d;", i - 1));
        }
        QTB_OK_CALL(qtb_buf_puts(&b, "\">\n"));
    }
    QTB_OK_CALL(qtb_buf_puts(&b, "]>\n<lolz>&lol9;</lolz>\n"));
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, (const char *)b.data, b.len, NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &after);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(secs < 1.0);
    QTB_CHECK(after.ru_maxrss - before.ru_maxrss < 32 * 1024); /* KiB: far below any expansion */
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_FORMAT_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    qtb_buf_dispose(&b);
}

static void test_xmldsig__undeclared_entity_and_deep_nesting(void)
{
    const char *ent = "<a>&undefined;</a>";
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, ent, strlen(ent), NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_FORMAT_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    qtb_buf b;
    qtb_buf_init(&b, 1 << 20);
    for (unsigned i = 0; i < QTB_MAX_XML_DEPTH + 10; i++) {
        QTB_OK_CALL(qtb_buf_puts(&b, "<d>"));
    }
    doc = verify_json(&r, (const char *)b.data, b.len, NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_FORMAT_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    qtb_buf_dispose(&b);
}

static void test_xmldsig__xslt_transform_refused(void)
{
    NEED_FIXTURES();
    char *signed_xml = NULL;
    size_t len = 0;
    QTB_OK_CALL(sign_with(&signed_xml, &len, "rsa_individual_sign", DOC, NULL));
    char *bad = replace(
        signed_xml,
        "<ds:Transform "
        "Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments\"/>",
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"><xsl:stylesheet "
        "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" version=\"1.0\"><xsl:template "
        "match=\"/\"><xsl:value-of select=\"document('file:///etc/passwd')\"/></xsl:template>"
        "</xsl:stylesheet></ds:Transform>");
    QTB_REQUIRE(bad != NULL);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, bad, strlen(bad), NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_indication(r, 0) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == QTB_SUB_FORMAT_FAILURE);
    QTB_CHECK(strstr(qtb_report_signature_message(r, 0), "REC-xslt") != NULL);
    char *js = json_dumps(doc, 0);
    QTB_CHECK(js != NULL && strstr(js, "root:") == NULL);
    free(js);
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(bad);
    qtb_string_free(signed_xml);
}

static void test_xmldsig__remote_reference_refused(void)
{
    NEED_FIXTURES();
    char *signed_xml = NULL;
    size_t len = 0;
    QTB_OK_CALL(sign_with(&signed_xml, &len, "rsa_individual_sign", DOC, NULL));
    char *bad = replace(signed_xml, "URI=\"\"", "URI=\"http://127.0.0.1:1/x\"");
    QTB_REQUIRE(bad != NULL);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, bad, strlen(bad), NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == QTB_SUB_FORMAT_FAILURE);
    QTB_CHECK(strstr(qtb_report_signature_message(r, 0), "same-document") != NULL);
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(bad);
    qtb_string_free(signed_xml);
}

static void test_xmldsig__wrapping_with_id(void)
{
    NEED_FIXTURES();
    char *signed_xml = NULL;
    size_t len = 0;
    qtb_trust *t = NULL;
    QTB_OK_CALL(sign_with(&signed_xml, &len, "rsa_individual_sign", DOC, "item-1"));
    QTB_OK_CALL(load_trust(&t, fixture("pki/trust/rsa")));
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, signed_xml, len, t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK_STR(jpath_str(doc, 0, "covers", "id"), "item-1");
    QTB_CHECK_STR(jpath_str(doc, 0, "covers", "path"), "/application/item");
    json_decref(doc);
    qtb_report_free(r);

    /* Attack 1: an evil twin with the same ID placed first: duplicate IDs fail outright. */
    char *dup = replace(signed_xml, "<amount>", "<item Id=\"item-1\">pay 10000</item><amount>");
    QTB_REQUIRE(dup != NULL);
    doc = verify_json(&r, dup, strlen(dup), t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_FAILED);
    QTB_CHECK(strstr(json_string_value(json_object_get(doc, "message")), "more than once") != NULL);
    json_decref(doc);
    qtb_report_free(r);

    /* Attack 2: the signed item moved into a wrapper, an unsigned one where the application
     * reads: the signature still verifies, and its "covers" shows it is not the read element. */
    char *moved = replace(signed_xml, "<item Id=\"item-1\">pay 10</item>",
                          "<item>pay 10000</item><Wrapper><item Id=\"item-1\">pay 10</item>"
                          "</Wrapper>");
    QTB_REQUIRE(moved != NULL);
    doc = verify_json(&r, moved, strlen(moved), t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK_STR(jpath_str(doc, 0, "covers", "path"), "/application/Wrapper/item");
    QTB_CHECK(json_is_false(json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "signatures"), 0), "covers"),
        "wholeDocument")));
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(dup);
    qtb_free(moved);
    qtb_trust_free(t);
    qtb_string_free(signed_xml);
}

static void test_xmldsig__hmac_refused_by_default(void)
{
    QTB_NEED_SHARED();
    unsigned char *xml = NULL;
    size_t len = 0;
    QTB_OK_CALL(qtb_file_read(
        &xml, &len,
        shared("conformance/xmldsig/xmlsec/aleksey-xmldsig-01/enveloping-sha256-hmac-sha256.xml"),
        QTB_MAX_SIGNATURE_FILE));
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, (const char *)xml, len, NULL, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) != QTB_TOTAL_PASSED);
    QTB_CHECK(strstr(qtb_report_signature_message(r, 0), "HMAC signatures are not accepted") !=
              NULL);
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(xml);
}

/* ---- real NCA (Kalkan) samples -------------------------------------------------------------- */

static qtb_trust *nca_rsa_trust(void)
{
    qtb_trust *t = NULL;
    if (qtb_trust_new(&t) != 0 ||
        qtb_trust_add_anchor_file(t, shared("fixtures-real/ca/root_rsa_test.pem")) != 0 ||
        qtb_trust_add_untrusted_file(t, shared("fixtures-real/ca/nca_rsa_test.crt")) != 0) {
        qtb_trust_free(t);
        return NULL;
    }
    return t;
}

static void test_xmldsig__real_nca_rsa(void)
{
    QTB_NEED_SHARED();
    unsigned char *xml = NULL;
    size_t len = 0;
    int64_t at = 0;
    QTB_OK_CALL(qtb_time_parse_rfc3339(&at, "2021-06-01T00:00:00Z"));
    QTB_OK_CALL(qtb_file_read(&xml, &len, shared("fixtures-real/xml/rsa_individual_enveloped.xml"),
                              QTB_MAX_SIGNATURE_FILE));
    qtb_trust *t = nca_rsa_trust();
    QTB_REQUIRE(t != NULL);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, (const char *)xml, len, t, at);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK_STR(jpath_str(doc, 0, "signer", "iin"), "123456789011");
    if (qtb_report_indication(r) != QTB_TOTAL_PASSED) {
        fprintf(stderr, "  %s\n", qtb_report_signature_message(r, 0));
    }
    json_decref(doc);
    qtb_report_free(r);
    /* Negative twins: one changed byte of content; and "now", after the certificate expired. */
    char *bad = replace((const char *)xml, "<b>test</b>", "<b>Test</b>");
    if (bad == NULL) {
        xml[len - 1] = '\0';
        bad = replace((const char *)xml, ">test<", ">Test<");
    }
    QTB_REQUIRE(bad != NULL);
    doc = verify_json(&r, bad, strlen(bad), t, at);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_HASH_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    doc = verify_json(&r, (const char *)xml, len, t, 0);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) != QTB_TOTAL_PASSED);
    json_decref(doc);
    qtb_report_free(r);
    qtb_free(bad);
    qtb_trust_free(t);
    qtb_free(xml);
}

/* RSA + GOST 2015 anchors, intermediates and CRLs of the real NCA test PKI. */
static qtb_trust *nca_all_trust(void)
{
    qtb_trust *t = nca_rsa_trust();
    if (t == NULL ||
        qtb_trust_add_anchor_file(t, shared("fixtures-real/ca/root_test_gost_2022.cer")) != 0 ||
        qtb_trust_add_untrusted_file(t, shared("fixtures-real/ca/nca_gost2022_test.cer")) != 0 ||
        qtb_trust_add_crl_file(t, shared("fixtures-real/ca/nca_gost2022_test.crl")) != 0) {
        qtb_trust_free(t);
        return NULL;
    }
    return t;
}

/* Flip one base64 character of the n-th SignatureValue (0-based), keeping it valid base64. */
static void flip_sig_value(unsigned char *xml, size_t len, int n)
{
    const char *tag = "<ds:SignatureValue>";
    unsigned char *p = xml;
    for (int i = 0; i <= n; i++) {
        p = memmem(p, len - (size_t)(p - xml), tag, strlen(tag));
        QTB_REQUIRE(p != NULL);
        p += strlen(tag);
    }
    while (*p == '\n' || *p == '\r') {
        p++;
    }
    p[4] = p[4] == 'A' ? 'B' : 'A';
}

static void test_xmldsig__real_nca_two_signatures(void)
{
    QTB_NEED_SHARED();
    unsigned char *xml = NULL;
    size_t len = 0;
    int64_t at_rsa = 0, at_gost = 0;
    QTB_OK_CALL(qtb_time_parse_rfc3339(&at_rsa, "2021-06-01T00:00:00Z"));
    QTB_OK_CALL(qtb_time_parse_rfc3339(&at_gost, "2022-09-28T00:00:00Z"));
    QTB_OK_CALL(qtb_file_read(&xml, &len,
                              shared("fixtures-real/xml/rsa_and_gost2015_two_signatures.xml"),
                              QTB_MAX_SIGNATURE_FILE));
    qtb_trust *t = nca_all_trust();
    QTB_REQUIRE(t != NULL);
    qtb_report *r = NULL;
    /* The RSA certificate expired before the GOST one began: each passes at its own time. */
    json_t *doc = verify_json(&r, (const char *)xml, len, t, at_rsa);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_count(r) == 2);
    /* The first (RSA) covers the document without the GOST signature appended after it. */
    QTB_CHECK(qtb_report_signature_indication(r, 0) == QTB_TOTAL_PASSED);
    QTB_CHECK_STR(jpath_str(doc, 0, "signer", "iin"), "123456789011");
    QTB_CHECK(qtb_report_signature_subindication(r, 1) == QTB_SUB_NOT_YET_VALID);
    json_decref(doc);
    qtb_report_free(r);
    doc = verify_json(&r, (const char *)xml, len, t, at_gost);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_indication(r, 1) == QTB_TOTAL_PASSED);
    QTB_CHECK(strstr(qtb_report_signature_message(r, 1), "GOST R 34.10-2015 (512)") != NULL);
    QTB_CHECK_STR(jpath_str(doc, 1, "signer", "iin"), "123456789012");
    QTB_CHECK(qtb_report_signature_subindication(r, 0) == QTB_SUB_OUT_OF_BOUNDS_NO_POE);
    json_decref(doc);
    qtb_report_free(r);
    /* Negative twin: one character of the GOST SignatureValue changed. */
    flip_sig_value(xml, len, 1);
    doc = verify_json(&r, (const char *)xml, len, t, at_gost);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_signature_indication(r, 1) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_signature_subindication(r, 1) == QTB_SUB_SIG_CRYPTO_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    qtb_trust_free(t);
    qtb_free(xml);
}

static void test_xmldsig__real_nca_gost_ceo(void)
{
    QTB_NEED_SHARED();
    unsigned char *xml = NULL;
    size_t len = 0;
    int64_t at = 0;
    QTB_OK_CALL(qtb_time_parse_rfc3339(&at, "2025-03-01T00:00:00Z"));
    QTB_OK_CALL(qtb_file_read(&xml, &len,
                              shared("fixtures-real/xml/gost2015_legal_ceo_enveloped.xml"),
                              QTB_MAX_SIGNATURE_FILE));
    qtb_trust *t = nca_all_trust();
    QTB_REQUIRE(t != NULL);
    qtb_report *r = NULL;
    json_t *doc = verify_json(&r, (const char *)xml, len, t, at);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    QTB_CHECK(strstr(qtb_report_signature_message(r, 0), "GOST R 34.10-2015") != NULL);
    QTB_CHECK_STR(jpath_str(doc, 0, "signer", "bin"), "123456789021");
    json_decref(doc);
    qtb_report_free(r);
    /* Negative twins: the signed text changed; the SignatureValue changed. */
    unsigned char *m = memmem(xml, len, "QCxn00hfuH9zCv58", 16);
    QTB_REQUIRE(m != NULL);
    m[0] = 'R';
    doc = verify_json(&r, (const char *)xml, len, t, at);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_HASH_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    m[0] = 'Q';
    flip_sig_value(xml, len, 0);
    doc = verify_json(&r, (const char *)xml, len, t, at);
    QTB_REQUIRE(doc != NULL);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_SIG_CRYPTO_FAILURE);
    json_decref(doc);
    qtb_report_free(r);
    qtb_trust_free(t);
    qtb_free(xml);
}

int main(void)
{
    QTB_RUN(test_xmldsig__individual_valid);
    QTB_RUN(test_xmldsig__ceo_valid);
    QTB_RUN(test_xmldsig__ecdsa_valid);
    QTB_RUN(test_xmldsig__text_changed_after_signing);
    QTB_RUN(test_xmldsig__comment_change_is_not_signed);
    QTB_RUN(test_xmldsig__corrupted_signature_value);
    QTB_RUN(test_xmldsig__untrusted);
    QTB_RUN(test_xmldsig__revoked);
    QTB_RUN(test_xmldsig__second_signer_keeps_first_valid);
    QTB_RUN(test_xmldsig__cert_cache_shared_by_threads);
    QTB_RUN(test_xmldsig__no_signature);
    QTB_RUN(test_xmldsig__xxe_local_file_never_read);
    QTB_RUN(test_xmldsig__billion_laughs_fast_and_small);
    QTB_RUN(test_xmldsig__undeclared_entity_and_deep_nesting);
    QTB_RUN(test_xmldsig__xslt_transform_refused);
    QTB_RUN(test_xmldsig__remote_reference_refused);
    QTB_RUN(test_xmldsig__wrapping_with_id);
    QTB_RUN(test_xmldsig__hmac_refused_by_default);
    QTB_RUN(test_xmldsig__real_nca_rsa);
    QTB_RUN(test_xmldsig__real_nca_two_signatures);
    QTB_RUN(test_xmldsig__real_nca_gost_ceo);
    return qtb_test_done();
}
