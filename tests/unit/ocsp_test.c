/*
 * OCSP responses: the real NCA RK samples in ../shared/fixtures-real/ocsp at pinned times, and
 * responses built here with the generated PKI's keys (CA-signed, delegated, unauthorised,
 * stale, nonce, NCA's not-issued convention), each with its negative twin. Network round trips
 * are tested against a real `openssl ocsp` responder in tests/e2e/revocation.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <qtb/p12.h>
#include <qtb/revocation.h>

#include "internal.h"
#include "ossl_int.h"
#include "p12_int.h"
#include "report_int.h"
#include "revocation_int.h"
#include "sigalg.h"
#include "trust_int.h"

#include "qtb_test.h"

static const char *real_path(const char *rel)
{
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 4096, "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    return p;
}

static const char *pki_path(const char *rel)
{
    static char buf[8][4096];
    static int next;
    const char *d = getenv("QTB_FIXTURES");
    char *p = buf[next++ % 8];
    snprintf(p, 4096, "%s/pki/%s", d != NULL ? d : "fixtures", rel);
    return p;
}

static bool have_pki(void)
{
    struct stat st;
    return stat(pki_path("ocsp/ocsp.pem"), &st) == 0;
}

#define NEED_PKI()                                                                                 \
    do {                                                                                           \
        if (!have_pki()) {                                                                         \
            QTB_SKIP("generated PKI not found at %s", pki_path(""));                               \
        }                                                                                          \
    } while (0)

static int64_t t_rfc3339(const char *s)
{
    int64_t t = 0;
    if (qtb_time_parse_rfc3339(&t, s) != 0) {
        fprintf(stderr, "bad time %s\n", s);
        abort();
    }
    return t;
}

/* A certificate file, PEM or DER. */
static X509 *load_cert(const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (qtb_file_read(&data, &len, path, 1u << 20) != 0) {
        fprintf(stderr, "  cannot read %s\n", path);
        return NULL;
    }
    X509 *x = NULL;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (len > 0 && data[0] == 0x30) {
        const unsigned char *p = data;
        x = d2i_X509(NULL, &p, (long)len);
    } else {
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    }
    BIO_free(b);
    qtb_free(data);
    return x;
}

static EVP_PKEY *load_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

/* The certificate of a real NCA key store (passwords in SOURCES.md). */
static X509 *p12_cert(const char *rel, const char *password)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (qtb_file_read(&data, &len, real_path(rel), 1u << 20) != 0) {
        return NULL;
    }
    qtb_p12 *p = NULL;
    X509 *x = NULL;
    if (qtb_p12_open(&p, data, len, password) == 0) {
        x = qtb_p12_cert(p);
        if (x != NULL) {
            X509_up_ref(x);
        }
    }
    qtb_p12_free(p);
    qtb_free(data);
    return x;
}

static int check_file(qtb_ocsp_answer *a, const char *path, X509 *cert, X509 *issuer,
                      const unsigned char *nonce, int64_t now)
{
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = qtb_file_read(&der, &len, path, 1u << 20);
    if (rc == 0) {
        rc = qtb_ocsp_check(a, der, len, cert, issuer, nonce, now, 0);
    }
    qtb_free(der);
    return rc;
}

/* ---- real NCA RK responses ------------------------------------------------------------------ */

static void test_ocsp__real_rsa_good(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = p12_cert("p12/rsa_individual_sign_2021.p12", "Qwerty12");
    X509 *ca = load_cert(real_path("ca/nca_rsa_test.crt"));
    X509 *root = load_cert(real_path("ca/root_rsa_test.pem"));
    QTB_REQUIRE(leaf != NULL && ca != NULL && root != NULL);
    qtb_ocsp_answer a;
    const char *resp = real_path("ocsp/rsa_individual_sign_2021_good.ocsp.der");
    QTB_OK_CALL(check_file(&a, resp, leaf, ca, NULL, t_rfc3339("2022-09-02T17:00:00Z")));
    QTB_CHECK(a.verdict == QTB_OCSP_GOOD);
    QTB_CHECK(a.this_update == t_rfc3339("2022-09-02T16:53:59Z"));
    QTB_CHECK(a.next_update == 0);
    /* twin: four days later the answer (no nextUpdate) is too old */
    QTB_OK_CALL(check_file(&a, resp, leaf, ca, NULL, t_rfc3339("2022-09-06T17:00:00Z")));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "stale") != NULL);
    /* twin: the response is about another certificate (the CA itself under the root) */
    QTB_OK_CALL(check_file(&a, resp, ca, root, NULL, t_rfc3339("2022-09-02T17:00:00Z")));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "not about") != NULL);
    /* twin: a nonce we did not send (the response echoes an 8-byte one) */
    unsigned char nonce[QTB_OCSP_NONCE_LEN] = {1, 2, 3};
    QTB_OK_CALL(check_file(&a, resp, leaf, ca, nonce, t_rfc3339("2022-09-02T17:00:00Z")));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "nonce") != NULL);
    X509_free(leaf);
    X509_free(ca);
    X509_free(root);
}

static void test_ocsp__real_rsa_tampered(void)
{
    QTB_NEED_SHARED();
    X509 *leaf = p12_cert("p12/rsa_individual_sign_2021.p12", "Qwerty12");
    X509 *ca = load_cert(real_path("ca/nca_rsa_test.crt"));
    QTB_REQUIRE(leaf != NULL && ca != NULL);
    unsigned char *der = NULL;
    size_t len = 0;
    QTB_OK_CALL(qtb_file_read(&der, &len, real_path("ocsp/rsa_individual_sign_2021_good.ocsp.der"),
                              1u << 20));
    int64_t now = t_rfc3339("2022-09-02T17:00:00Z");
    qtb_ocsp_answer a;
    /* the signature BIT STRING ends the tbs/alg/sig triple, before the [0] certs: find it by
     * flipping the byte just before the certificates' 0xa0 tag (the last signature byte) */
    qtb_signed_der sd;
    const unsigned char *basic = NULL;
    for (size_t i = 0; i + 4 < len && basic == NULL; i++) {
        /* the BasicOCSPResponse starts right after the OCTET STRING header of responseBytes */
        if (der[i] == 0x04 && der[i + 1] == 0x82 && der[i + 4] == 0x30) {
            basic = der + i + 4;
        }
    }
    QTB_REQUIRE(basic != NULL);
    QTB_OK_CALL(qtb_signed_der_split(&sd, basic, len - (size_t)(basic - der), true));
    size_t at = (size_t)(sd.sig - der) + sd.sig_len / 2;
    der[at] ^= 0x01;
    QTB_OK_CALL(qtb_ocsp_check(&a, der, len, leaf, ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "signature") != NULL);
    der[at] ^= 0x01;
    QTB_OK_CALL(qtb_ocsp_check(&a, der, len, leaf, ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_GOOD);
    /* truncated */
    QTB_OK_CALL(qtb_ocsp_check(&a, der, len - 10, leaf, ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID);
    qtb_free(der);
    X509_free(leaf);
    X509_free(ca);
}

/*
 * The GOST-signed NCA answers, checked in full (GOST backend: signatures of the responder's
 * certificate and of the response). NCA's answer for a serial it never issued (revoked,
 * certificateHold, 1970-01-01) is unknown, never REVOKED.
 */
typedef struct gost_case {
    const char *resp, *p12, *password, *issuer;
    qtb_ocsp_verdict want;
    const char *revoked_at; /* REVOKED: the time; NULL otherwise */
    int reason;
} gost_case;

static void test_ocsp__real_gost_responses(void)
{
    QTB_NEED_SHARED();
    static const gost_case cases[] = {
        {"ocsp/gost2015_individual_2022_revoked_1970hold.ocsp.der",
         "p12/gost2015_individual_2022.p12", "Aa123456", "ca/nca_gost2022_test.cer",
         QTB_OCSP_UNKNOWN, NULL, -1},
        {"ocsp/gost2004_legal_ceo_revoked.ocsp.der", "p12/gost2004_legal_ceo_sign_revoked_2022.p12",
         "Qwerty12", "ca/nca_gost_test.crt", QTB_OCSP_REVOKED, "2022-01-18T06:30:55Z", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const gost_case *k = &cases[i];
        X509 *leaf = p12_cert(k->p12, k->password);
        X509 *ca = load_cert(real_path(k->issuer));
        QTB_REQUIRE(leaf != NULL && ca != NULL);
        qtb_ocsp_answer a;
        QTB_OK_CALL(
            check_file(&a, real_path(k->resp), leaf, ca, NULL, t_rfc3339("2022-09-02T18:00:00Z")));
        QTB_CHECK(a.verdict == k->want);
        if (k->revoked_at != NULL) {
            QTB_CHECK(a.revocation_time == t_rfc3339(k->revoked_at) && a.reason == k->reason);
        }
        if (qtb_t_case_failed) {
            fprintf(stderr, "  %s: %s\n", k->resp, a.note);
        }
        /* twin: a week later the answer (no nextUpdate) is stale */
        QTB_OK_CALL(
            check_file(&a, real_path(k->resp), leaf, ca, NULL, t_rfc3339("2022-09-09T18:00:00Z")));
        QTB_CHECK(a.verdict == QTB_OCSP_INVALID);
        /* twin: the RSA CA as issuer: not about this certificate */
        X509 *rsa_ca = load_cert(real_path("ca/nca_rsa_test.crt"));
        QTB_REQUIRE(rsa_ca != NULL);
        QTB_OK_CALL(check_file(&a, real_path(k->resp), leaf, rsa_ca, NULL,
                               t_rfc3339("2022-09-02T18:00:00Z")));
        QTB_CHECK(a.verdict == QTB_OCSP_INVALID);
        X509_free(rsa_ca);
        X509_free(leaf);
        X509_free(ca);
    }
}

/* ---- responses built with the generated PKI ------------------------------------------------- */

typedef struct built {
    int status; /* V_OCSP_CERTSTATUS_* */
    int reason;
    int64_t revtime, thisupd, nextupd; /* nextupd 0: absent */
    const unsigned char *nonce;        /* NULL: none */
    unsigned long flags;               /* OCSP_basic_sign flags (OCSP_RESPID_KEY, OCSP_NOCERTS) */
} built;

static unsigned char *build(size_t *len, const built *b, X509 *cert, X509 *issuer, X509 *signer,
                            EVP_PKEY *key)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), cert, issuer);
    ASN1_GENERALIZEDTIME *tu = ASN1_GENERALIZEDTIME_set(NULL, (time_t)b->thisupd);
    ASN1_GENERALIZEDTIME *nu =
        b->nextupd ? ASN1_GENERALIZEDTIME_set(NULL, (time_t)b->nextupd) : NULL;
    ASN1_GENERALIZEDTIME *rt = b->status == V_OCSP_CERTSTATUS_REVOKED
                                   ? ASN1_GENERALIZEDTIME_set(NULL, (time_t)b->revtime)
                                   : NULL;
    unsigned char *der = NULL;
    OCSP_RESPONSE *r = NULL;
    if (bs == NULL || id == NULL || tu == NULL ||
        OCSP_basic_add1_status(bs, id, b->status, b->reason, rt, tu, nu) == NULL) {
        goto done;
    }
    if (b->nonce != NULL &&
        OCSP_basic_add1_nonce(bs, (unsigned char *)b->nonce, QTB_OCSP_NONCE_LEN) != 1) {
        goto done;
    }
    if (OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, b->flags) != 1) {
        goto done;
    }
    r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    int n = r != NULL ? i2d_OCSP_RESPONSE(r, &der) : -1;
    *len = n > 0 ? (size_t)n : 0;
done:
    OCSP_RESPONSE_free(r);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_GENERALIZEDTIME_free(tu);
    ASN1_GENERALIZEDTIME_free(nu);
    ASN1_GENERALIZEDTIME_free(rt);
    return der;
}

typedef struct gen_pki {
    X509 *leaf, *ca, *responder, *other_leaf, *foreign_ca;
    EVP_PKEY *ca_key, *responder_key, *leaf_key, *foreign_key;
} gen_pki;

static bool gen_load(gen_pki *g)
{
    memset(g, 0, sizeof(*g));
    g->leaf = load_cert(pki_path("certs/rsa_individual_sign.pem"));
    g->other_leaf = load_cert(pki_path("certs/rsa_ceo_sign.pem"));
    g->ca = load_cert(pki_path("rsa/ca.pem"));
    g->responder = load_cert(pki_path("ocsp/ocsp.pem"));
    g->foreign_ca = load_cert(pki_path("untrusted/ca.pem"));
    g->ca_key = load_key(pki_path("rsa/ca.key.pem"));
    g->responder_key = load_key(pki_path("ocsp/ocsp.key.pem"));
    g->leaf_key = load_key(pki_path("keys/rsa_individual_sign.key.pem"));
    g->foreign_key = load_key(pki_path("untrusted/ca.key.pem"));
    return g->leaf && g->other_leaf && g->ca && g->responder && g->foreign_ca && g->ca_key &&
           g->responder_key && g->leaf_key && g->foreign_key;
}

static void gen_free(gen_pki *g)
{
    X509_free(g->leaf);
    X509_free(g->other_leaf);
    X509_free(g->ca);
    X509_free(g->responder);
    X509_free(g->foreign_ca);
    EVP_PKEY_free(g->ca_key);
    EVP_PKEY_free(g->responder_key);
    EVP_PKEY_free(g->leaf_key);
    EVP_PKEY_free(g->foreign_key);
}

/* Build, check at `now` with `nonce`, return the verdict (note printed on request). */
static qtb_ocsp_verdict judge(qtb_ocsp_answer *a, const built *b, gen_pki *g, X509 *signer,
                              EVP_PKEY *key, const unsigned char *nonce, int64_t now)
{
    size_t len = 0;
    unsigned char *der = build(&len, b, g->leaf, g->ca, signer, key);
    if (der == NULL) {
        fprintf(stderr, "  cannot build a response\n");
        return (qtb_ocsp_verdict)-1;
    }
    int rc = qtb_ocsp_check(a, der, len, g->leaf, g->ca, nonce, now, 0);
    OPENSSL_free(der);
    if (rc != 0) {
        return (qtb_ocsp_verdict)-1;
    }
    if (getenv("QTB_TEST_VERBOSE") != NULL) {
        fprintf(stderr, "  %s\n", a->note);
    }
    return a->verdict;
}

static void test_ocsp__built_signers(void)
{
    NEED_PKI();
    gen_pki g;
    QTB_REQUIRE(gen_load(&g));
    int64_t now = (int64_t)time(NULL);
    built b = {V_OCSP_CERTSTATUS_GOOD, -1, 0, now - 60, now + 3600, NULL, 0};
    qtb_ocsp_answer a;
    /* the CA itself, and its delegated responder (OCSPSigning, carried in the response) */
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_GOOD);
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_GOOD);
    b.flags = OCSP_RESPID_KEY;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_GOOD);
    /* twins: the delegated responder's certificate left out; a leaf of the CA without
     * OCSPSigning; another hierarchy's CA */
    b.flags = OCSP_NOCERTS;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_INVALID);
    QTB_CHECK(strstr(a.note, "not authorised") != NULL);
    b.flags = 0;
    QTB_CHECK(judge(&a, &b, &g, g.leaf, g.leaf_key, NULL, now) == QTB_OCSP_INVALID);
    QTB_CHECK(strstr(a.note, "OCSPSigning") != NULL);
    QTB_CHECK(judge(&a, &b, &g, g.foreign_ca, g.foreign_key, NULL, now) == QTB_OCSP_INVALID);
    QTB_CHECK(strstr(a.note, "not authorised") != NULL);
    gen_free(&g);
}

static void test_ocsp__built_freshness_and_nonce(void)
{
    NEED_PKI();
    gen_pki g;
    QTB_REQUIRE(gen_load(&g));
    int64_t now = (int64_t)time(NULL);
    unsigned char n1[QTB_OCSP_NONCE_LEN], n2[QTB_OCSP_NONCE_LEN];
    memset(n1, 0x11, sizeof(n1));
    memset(n2, 0x22, sizeof(n2));
    built b = {V_OCSP_CERTSTATUS_GOOD, -1, 0, now - 60, now + 3600, n1, 0};
    qtb_ocsp_answer a;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, n1, now) == QTB_OCSP_GOOD);
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, n2, now) == QTB_OCSP_INVALID);
    QTB_CHECK(strstr(a.note, "nonce") != NULL);
    /* no nonce echoed: accepted on freshness, and said */
    b.nonce = NULL;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, n1, now) == QTB_OCSP_GOOD);
    QTB_CHECK(strstr(a.note, "no nonce") != NULL);
    /* nextUpdate passed; a twin still inside it */
    b.thisupd = now - 7200;
    b.nextupd = now - 60;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_INVALID);
    QTB_CHECK(strstr(a.note, "stale") != NULL);
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now - 120) == QTB_OCSP_GOOD);
    /* no nextUpdate: a day's grace after thisUpdate */
    b.nextupd = 0;
    b.thisupd = now - 2 * 86400;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_INVALID);
    b.thisupd = now - 3600;
    QTB_CHECK(judge(&a, &b, &g, g.responder, g.responder_key, NULL, now) == QTB_OCSP_GOOD);
    gen_free(&g);
}

static void test_ocsp__built_statuses(void)
{
    NEED_PKI();
    gen_pki g;
    QTB_REQUIRE(gen_load(&g));
    int64_t now = (int64_t)time(NULL);
    qtb_ocsp_answer a;
    built b = {V_OCSP_CERTSTATUS_REVOKED,
               OCSP_REVOKED_STATUS_KEYCOMPROMISE,
               now - 86400,
               now - 60,
               now + 3600,
               NULL,
               0};
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_REVOKED);
    QTB_CHECK(a.revocation_time == now - 86400 && a.reason == 1);
    /* a real hold is a revocation */
    b.reason = OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_REVOKED);
    /* NCA's "never issued": hold at the epoch is unknown, never revoked */
    b.revtime = 0;
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_UNKNOWN);
    QTB_CHECK(strstr(a.note, "not issued") != NULL);
    /* ... but another reason at the epoch stays a revocation */
    b.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_REVOKED);
    b.status = V_OCSP_CERTSTATUS_UNKNOWN;
    QTB_CHECK(judge(&a, &b, &g, g.ca, g.ca_key, NULL, now) == QTB_OCSP_UNKNOWN);
    /* a response about another certificate of the same CA */
    size_t len = 0;
    built good = {V_OCSP_CERTSTATUS_GOOD, -1, 0, now - 60, now + 3600, NULL, 0};
    unsigned char *der = build(&len, &good, g.other_leaf, g.ca, g.ca, g.ca_key);
    QTB_REQUIRE(der != NULL);
    QTB_OK_CALL(qtb_ocsp_check(&a, der, len, g.leaf, g.ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "not about") != NULL);
    QTB_OK_CALL(qtb_ocsp_check(&a, der, len, g.other_leaf, g.ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_GOOD);
    OPENSSL_free(der);
    /* an error status from the responder */
    OCSP_RESPONSE *r = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL);
    der = NULL;
    int n = i2d_OCSP_RESPONSE(r, &der);
    OCSP_RESPONSE_free(r);
    QTB_REQUIRE(n > 0);
    QTB_OK_CALL(qtb_ocsp_check(&a, der, (size_t)n, g.leaf, g.ca, NULL, now, 0));
    QTB_CHECK(a.verdict == QTB_OCSP_INVALID && strstr(a.note, "tryLater") != NULL);
    OPENSSL_free(der);
    gen_free(&g);
}

static void test_ocsp__request_round_trip(void)
{
    NEED_PKI();
    gen_pki g;
    QTB_REQUIRE(gen_load(&g));
    unsigned char *der = NULL;
    size_t len = 0;
    unsigned char nonce[QTB_OCSP_NONCE_LEN];
    QTB_OK_CALL(qtb_ocsp_request(&der, &len, nonce, g.leaf, g.ca));
    const unsigned char *p = der;
    OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
    QTB_REQUIRE(req != NULL);
    QTB_CHECK(OCSP_request_onereq_count(req) == 1);
    OCSP_CERTID *want = OCSP_cert_to_id(EVP_sha256(), g.leaf, g.ca);
    QTB_CHECK(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), want) == 0);
    /* a response echoing the request's nonce passes the nonce check */
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    QTB_CHECK(OCSP_copy_nonce(bs, req) == 1);
    int idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
    QTB_CHECK(idx >= 0);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(want);
    OCSP_REQUEST_free(req);
    OPENSSL_free(der);
    unsigned char key1[QTB_FP_LEN], key2[QTB_FP_LEN];
    QTB_OK_CALL(qtb_ocsp_cache_key(key1, g.leaf, g.ca));
    QTB_OK_CALL(qtb_ocsp_cache_key(key2, g.other_leaf, g.ca));
    QTB_CHECK(memcmp(key1, key2, QTB_FP_LEN) != 0);
    gen_free(&g);
}

/* A responder that refuses connections: TRY_LATER, and the failure is remembered briefly, so
 * a second validation of the same certificate does not knock again. */
static void test_ocsp__responder_down_cached(void)
{
    NEED_PKI();
    qtb_trust *t = NULL;
    qtb_revocation *rev = NULL;
    X509 *leaf = load_cert(pki_path("certs/rsa_individual_sign.pem"));
    QTB_REQUIRE(leaf != NULL);
    QTB_OK_CALL(qtb_trust_new(&t));
    QTB_OK_CALL(qtb_trust_add_anchor_file(t, pki_path("trust/rsa/root.pem")));
    QTB_OK_CALL(qtb_trust_add_anchor_file(t, pki_path("trust/rsa/ca.pem")));
    qtb_revocation_options o = QTB_REVOCATION_OPTIONS_INIT;
    o.sources[0] = QTB_REV_SOURCE_OCSP;
    o.ocsp_url = "http://127.0.0.1:1/"; /* nothing listens on port 1 */
    o.timeout_ms = 2000;
    QTB_OK_CALL(qtb_revocation_new(&rev, &o));
    qtb_trust_set_revocation(t, rev);
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < 3; i++) {
        qtb_path_result r;
        QTB_OK_CALL(qtb_trust_validate(&r, t, leaf, NULL, now, now, QTB_PATH_FOR_SIGNING));
        QTB_CHECK(r.indication == QTB_INDETERMINATE && r.sub == QTB_SUB_TRY_LATER);
        QTB_CHECK(r.nevidence == 0);
        qtb_path_result_dispose(&r);
    }
    QTB_CHECK(qtb_revocation_ocsp_requests(rev) == 1);
    /* twin: without the checker the same leaf passes (no revocation data at all) */
    qtb_trust_set_revocation(t, NULL);
    qtb_path_result r;
    QTB_OK_CALL(qtb_trust_validate(&r, t, leaf, NULL, now, now, QTB_PATH_FOR_SIGNING));
    QTB_CHECK(r.indication == QTB_TOTAL_PASSED);
    qtb_path_result_dispose(&r);
    qtb_trust_free(t);
    qtb_revocation_free(rev);
    X509_free(leaf);
}

static void test_ocsp__sources_parse(void)
{
    qtb_rev_source s[QTB_REV_MAX_SOURCES];
    QTB_OK_CALL(qtb_revocation_parse_sources(s, "ocsp,crl"));
    QTB_CHECK(s[0] == QTB_REV_SOURCE_OCSP && s[1] == QTB_REV_SOURCE_CRL &&
              s[2] == QTB_REV_SOURCE_NONE);
    QTB_OK_CALL(qtb_revocation_parse_sources(s, "crl"));
    QTB_CHECK(s[0] == QTB_REV_SOURCE_CRL && s[1] == QTB_REV_SOURCE_NONE);
    QTB_CHECK(qtb_revocation_parse_sources(s, "crl,crl") == QTB_EUSAGE);
    QTB_CHECK(qtb_revocation_parse_sources(s, "ocsp,ldap") == QTB_EUSAGE);
    QTB_CHECK(qtb_revocation_parse_sources(s, "") == QTB_EUSAGE);
    qtb_revocation_options o = QTB_REVOCATION_OPTIONS_INIT;
    qtb_revocation *r = NULL;
    o.ocsp_url = "ftp://example.invalid/";
    QTB_CHECK(qtb_revocation_new(&r, &o) == QTB_EUSAGE && r == NULL);
    o.ocsp_url = "http://127.0.0.1:9/";
    QTB_OK_CALL(qtb_revocation_new(&r, &o));
    QTB_CHECK(qtb_revocation_ocsp_requests(r) == 0);
    qtb_revocation_free(r);
    qtb_error_clear();
}

int main(void)
{
    if (qtb_ossl_init() != 0) {
        return 1;
    }
    QTB_RUN(test_ocsp__real_rsa_good);
    QTB_RUN(test_ocsp__real_rsa_tampered);
    QTB_RUN(test_ocsp__real_gost_responses);
    QTB_RUN(test_ocsp__built_signers);
    QTB_RUN(test_ocsp__built_freshness_and_nonce);
    QTB_RUN(test_ocsp__built_statuses);
    QTB_RUN(test_ocsp__request_round_trip);
    QTB_RUN(test_ocsp__responder_down_cached);
    QTB_RUN(test_ocsp__sources_parse);
    return qtb_test_done();
}
