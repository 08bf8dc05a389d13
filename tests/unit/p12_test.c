/*
 * PKCS#12: the 13 real NCA RK test key stores (SOURCES.md p12 table), the generated test PKI
 * (MANIFEST.tsv), stores built here with OpenSSL (chain, no MAC, no key), and bad input.
 */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pkcs12.h>

#include <qtb/cert.h>
#include <qtb/p12.h>

#include "certgen.h"
#include "certinfo_int.h"
#include "internal.h"
#include "p12_int.h"
#include "qtb_test.h"

static int read_shared(unsigned char **buf, size_t *len, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    return qtb_file_read(buf, len, path, QTB_MAX_CERT_FILE);
}

/* The certificate object of a store's JSON document (parsed; decref the returned root). */
static json_t *info_of(const qtb_p12 *p, json_t **root)
{
    char *s = NULL;
    if (qtb_p12_info_json(&s, p) != 0) {
        return NULL;
    }
    json_error_t err;
    *root = json_loads(s, 0, &err);
    qtb_free(s);
    return *root != NULL ? json_object_get(*root, "certificate") : NULL;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Roles array as "A,B" for comparison with the tables. */
static void roles_text(char *buf, size_t cap, const json_t *o)
{
    buf[0] = '\0';
    size_t i;
    const json_t *v;
    size_t used = 0;
    json_array_foreach(json_object_get(o, "roles"), i, v)
    {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? "," : "", json_string_value(v));
        if (n < 0 || (size_t)n >= cap - used) {
            return;
        }
        used += (size_t)n;
    }
}

typedef struct real_p12 {
    const char *file;
    const char *password;
    const char *iin; /* NULL: none */
    const char *bin;
    const char *roles;
    const char *alg;
    const char *not_before; /* date part, from SOURCES.md */
    const char *not_after;
    size_t gost_key_len; /* 0: RSA */
} real_p12;

/* Expected values from ../shared/fixtures-real/SOURCES.md (the p12 table). */
static const real_p12 real[] = {
    {"gost2015_individual_valid_2026", "Qwerty12", "123456789011", NULL, "INDIVIDUAL",
     "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_individual_revoked_2026", "Qwerty12", "123456789011", NULL, "INDIVIDUAL",
     "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_legal_ceo_valid_2026", "Qwerty12", "123456789011", "123456789021",
     "ORGANIZATION,CEO", "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_legal_ceo_revoked_2026", "Qwerty12", "123456789011", "123456789021",
     "ORGANIZATION,CEO", "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_legal_employee_valid_2026", "Qwerty12", "123456789012", "123456789021",
     "ORGANIZATION,EMPLOYEE", "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_legal_signright_valid_2026", "Qwerty12", "123456789012", "123456789021",
     "ORGANIZATION,CAN_SIGN", "GOST34.10-2015-512", "2026-06-16", "2027-06-16", 64},
    {"gost2015_legal_infosystem_valid_2026", "Qwerty12", NULL, "123456789021",
     "ORGANIZATION,INFORMATION_SYSTEM", "GOST34.10-2015-512", "2026-05-08", "2029-05-07", 64},
    {"gost2015_legal_treasury_client_valid_2026", "Qwerty12", "123456789012", "123456789021",
     "ORGANIZATION,TREASURY_CLIENT", "GOST34.10-2015-512", "2026-05-08", "2027-05-08", 64},
    {"gost2015_legal_ceo_2024", "Qwerty12", "123456789011", "123456789021", "ORGANIZATION,CEO",
     "GOST34.10-2015-512", "2024-10-29", "2025-10-29", 64},
    {"gost2015_individual_2022", "Aa123456", "123456789012", NULL, "INDIVIDUAL",
     "GOST34.10-2015-512", "2022-07-28", "2023-07-28", 64},
    {"rsa_individual_sign_2021", "Qwerty12", "123456789011", NULL, "INDIVIDUAL", "RSA",
     "2021-01-18", "2022-01-18", 0},
    {"rsa_individual_auth_revoked_2022", "Qwerty12", "123456789011", NULL, "INDIVIDUAL", "RSA",
     "2022-01-18", "2023-01-18", 0},
    {"gost2004_legal_ceo_sign_revoked_2022", "Qwerty12", "123456789011", "123456789021",
     "ORGANIZATION,CEO", "GOST34.310-2004", "2022-01-18", "2023-01-18", 32},
};

static void check_real(const real_p12 *e)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "p12/%s.p12", e->file);
    unsigned char *buf = NULL;
    size_t len = 0;
    QTB_OK_CALL(read_shared(&buf, &len, rel));
    qtb_p12 *p = NULL;
    int rc = qtb_p12_open(&p, buf, len, e->password);
    if (rc != 0) {
        fprintf(stderr, "  %s: %s\n", e->file, qtb_error_last()->message);
        qtb_free(buf);
        QTB_REQUIRE(rc == 0);
    }
    json_t *root = NULL;
    json_t *c = info_of(p, &root);
    QTB_CHECK(c != NULL);
    if (c != NULL) {
        const char *iin = jstr(c, "iin");
        QTB_CHECK(e->iin != NULL ? iin != NULL && strcmp(iin, e->iin) == 0 : iin == NULL);
        const char *bin = jstr(c, "bin");
        QTB_CHECK(e->bin != NULL ? bin != NULL && strcmp(bin, e->bin) == 0 : bin == NULL);
        /* The test numbers fail the checksum: reported, not an error. */
        QTB_CHECK(e->iin != NULL ? json_is_false(json_object_get(c, "iinValid"))
                                 : json_is_null(json_object_get(c, "iinValid")));
        QTB_CHECK(json_is_null(json_object_get(c, "birthDate")));
        QTB_CHECK(json_is_null(json_object_get(c, "gender")));
        char roles[256];
        roles_text(roles, sizeof(roles), c);
        QTB_CHECK_STR(roles, e->roles);
        QTB_CHECK_STR(jstr(c, "publicKeyAlgorithm"), e->alg);
        QTB_CHECK(strncmp(jstr(c, "notBefore"), e->not_before, 10) == 0);
        QTB_CHECK(strncmp(jstr(c, "notAfter"), e->not_after, 10) == 0);
        QTB_CHECK(json_is_false(json_object_get(c, "isCA")));
        QTB_CHECK(json_array_size(json_object_get(root, "chain")) == 0);
    }
    json_decref(root);

    /* The public getters agree with the JSON. */
    qtb_cert *qc = NULL;
    QTB_CHECK(qtb_p12_has_key(p));
    const unsigned char *key = NULL;
    size_t key_len = 0;
    const ASN1_OBJECT *alg = NULL, *params = NULL;
    rc = qtb_p12_gost_key(p, &key, &key_len, &alg, &params);
    if (e->gost_key_len > 0) {
        QTB_CHECK(rc == 0 && key_len == e->gost_key_len);
        QTB_CHECK(qtb_p12_pkey(p) == NULL);
        char oid[64] = "";
        OBJ_obj2txt(oid, sizeof(oid), params, 1);
        QTB_CHECK(strncmp(oid, "1.2.398.3.10.1.1.", 17) == 0);
    } else {
        QTB_CHECK(rc == QTB_ENOTFOUND);
        QTB_CHECK(qtb_p12_pkey(p) != NULL);
        QTB_CHECK(X509_check_private_key(qtb_p12_cert(p), qtb_p12_pkey(p)) == 1);
    }
    if (qtb_cert_from_x509(&qc, qtb_p12_cert(p)) == 0) {
        QTB_CHECK(e->iin != NULL ? strcmp(qtb_cert_iin(qc), e->iin) == 0
                                 : qtb_cert_iin(qc) == NULL);
        QTB_CHECK(qtb_cert_roles(qc) &
                  (strstr(e->roles, "INDIVIDUAL") ? QTB_ROLE_INDIVIDUAL : QTB_ROLE_ORGANIZATION));
    } else {
        QTB_CHECK(!"qtb_cert_from_x509 failed");
    }
    qtb_cert_free(qc);
    qtb_p12_free(p);
    qtb_free(buf);
}

static void test_p12__real_stores(void)
{
    QTB_NEED_SHARED();
    for (size_t i = 0; i < QTB_ARRAY_LEN(real); i++) {
        check_real(&real[i]);
    }
}

/*
 * The GOST key bytes are what the signer needs: d·G on the key's curve must be the certificate's
 * public key (X‖Y little-endian, kz-pki.md §3.6). Curves: CryptoPro-A (34.310-2004) and
 * tc26-512-paramSetA (34.10-2015/512, RFC 7836), both with cofactor 1.
 */
static const struct {
    const char *param_set;
    const char *p, *a, *b, *q, *gx, *gy;
} curves[] = {
    {"1.2.398.3.10.1.1.1.1.1", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94", "A6",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893", "1",
     "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14"},
    {"1.2.398.3.10.1.1.2.2.1",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
     "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"
     "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
     "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
     "3",
     "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
     "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4"},
};

/* 1 when d·G equals the SPKI point, 0 when not, -1 on a setup failure. */
static int gost_pub_matches(size_t curve, const unsigned char *d, size_t dlen, X509 *cert)
{
    BIGNUM *p = NULL, *a = NULL, *b = NULL, *q = NULL, *gx = NULL, *gy = NULL;
    BN_hex2bn(&p, curves[curve].p);
    BN_hex2bn(&a, curves[curve].a);
    BN_hex2bn(&b, curves[curve].b);
    BN_hex2bn(&q, curves[curve].q);
    BN_hex2bn(&gx, curves[curve].gx);
    BN_hex2bn(&gy, curves[curve].gy);
    BIGNUM *k = BN_lebin2bn(d, (int)dlen, NULL);
    BIGNUM *x = BN_new(), *y = BN_new();
    EC_GROUP *g = EC_GROUP_new_curve_GFp(p, a, b, NULL);
    EC_POINT *gen = g != NULL ? EC_POINT_new(g) : NULL;
    EC_POINT *r = g != NULL ? EC_POINT_new(g) : NULL;
    int result = -1;
    if (gen != NULL && r != NULL && k != NULL && x != NULL && y != NULL &&
        EC_POINT_set_affine_coordinates(g, gen, gx, gy, NULL) &&
        EC_GROUP_set_generator(g, gen, q, BN_value_one()) &&
        EC_POINT_mul(g, r, k, NULL, NULL, NULL) &&
        EC_POINT_get_affine_coordinates(g, r, x, y, NULL)) {
        const unsigned char *pk = NULL;
        int pklen = 0;
        X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, X509_get_X509_PUBKEY(cert));
        /* The BIT STRING holds an OCTET STRING of X‖Y. */
        const unsigned char *c = pk;
        ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &c, pklen);
        int half = os != NULL ? ASN1_STRING_length(os) / 2 : 0;
        BIGNUM *px = os != NULL ? BN_lebin2bn(ASN1_STRING_get0_data(os), half, NULL) : NULL;
        BIGNUM *py = os != NULL ? BN_lebin2bn(ASN1_STRING_get0_data(os) + half, half, NULL) : NULL;
        result = px != NULL && py != NULL && BN_cmp(px, x) == 0 && BN_cmp(py, y) == 0;
        BN_free(px);
        BN_free(py);
        ASN1_OCTET_STRING_free(os);
    }
    EC_POINT_free(gen);
    EC_POINT_free(r);
    EC_GROUP_free(g);
    BN_free(p);
    BN_free(a);
    BN_free(b);
    BN_free(q);
    BN_free(gx);
    BN_free(gy);
    BN_clear_free(k);
    BN_free(x);
    BN_free(y);
    return result;
}

static void test_p12__gost_key_matches_certificate(void)
{
    QTB_NEED_SHARED();
    for (size_t i = 0; i < QTB_ARRAY_LEN(real); i++) {
        if (real[i].gost_key_len == 0) {
            continue;
        }
        char rel[256];
        snprintf(rel, sizeof(rel), "p12/%s.p12", real[i].file);
        unsigned char *buf = NULL;
        size_t len = 0;
        QTB_OK_CALL(read_shared(&buf, &len, rel));
        qtb_p12 *p = NULL;
        int rc = qtb_p12_open(&p, buf, len, real[i].password);
        qtb_free(buf);
        QTB_REQUIRE(rc == 0);
        const unsigned char *key = NULL;
        size_t key_len = 0;
        const ASN1_OBJECT *alg = NULL, *params = NULL;
        QTB_CHECK(qtb_p12_gost_key(p, &key, &key_len, &alg, &params) == 0);
        char oid[64] = "";
        OBJ_obj2txt(oid, sizeof(oid), params, 1);
        size_t curve = strcmp(oid, curves[0].param_set) == 0 ? 0 : 1;
        QTB_CHECK_STR(oid, curves[curve].param_set);
        QTB_CHECK(gost_pub_matches(curve, key, key_len, qtb_p12_cert(p)) == 1);
        /* Negative twin: one flipped bit gives another point. */
        unsigned char bad[64];
        memcpy(bad, key, key_len);
        bad[0] ^= 1;
        QTB_CHECK(gost_pub_matches(curve, bad, key_len, qtb_p12_cert(p)) == 0);
        qtb_wipe(bad, sizeof(bad));
        qtb_p12_free(p);
    }
}

static void test_p12__real_wrong_password(void)
{
    QTB_NEED_SHARED();
    const char *files[] = {"p12/gost2015_individual_valid_2026.p12",
                           "p12/rsa_individual_sign_2021.p12", "p12/gost2015_individual_2022.p12"};
    const char *wrong[] = {"Qwerty13", "", "Qwerty12"};
    for (size_t i = 0; i < QTB_ARRAY_LEN(files); i++) {
        unsigned char *buf = NULL;
        size_t len = 0;
        QTB_OK_CALL(read_shared(&buf, &len, files[i]));
        QTB_CHECK(qtb_p12_detect(buf, len));
        for (size_t j = 0; j < QTB_ARRAY_LEN(wrong); j++) {
            qtb_p12 *p = NULL;
            int rc = qtb_p12_open(&p, buf, len, wrong[j]);
            if (i == 2 || j != 2) { /* Qwerty12 is right for the first two */
                QTB_CHECK(rc == QTB_EPASSWORD);
                QTB_CHECK(p == NULL);
                QTB_CHECK(strstr(qtb_error_last()->message, "wrong password") != NULL);
            }
            qtb_p12_free(p);
        }
        qtb_free(buf);
    }
}

static void test_p12__truncated_and_tampered(void)
{
    QTB_NEED_SHARED();
    unsigned char *buf = NULL;
    size_t len = 0;
    QTB_OK_CALL(read_shared(&buf, &len, "p12/gost2015_legal_ceo_valid_2026.p12"));
    size_t cuts[] = {0, 1, 2, 10, 100, len / 2, len - 1};
    for (size_t i = 0; i < QTB_ARRAY_LEN(cuts); i++) {
        qtb_p12 *p = NULL;
        QTB_CHECK(!qtb_p12_detect(buf, cuts[i]));
        QTB_CHECK(qtb_p12_open(&p, buf, cuts[i], "Qwerty12") == QTB_EPARSE);
        QTB_CHECK(p == NULL);
    }
    /* One flipped byte anywhere: an error (EPARSE, or EPASSWORD from the MAC), never a crash. */
    for (size_t off = 0; off < len; off += 7) {
        unsigned char *t = qtb_malloc(len);
        QTB_REQUIRE(t != NULL);
        memcpy(t, buf, len);
        t[off] ^= 0x5a;
        qtb_p12 *p = NULL;
        int rc = qtb_p12_open(&p, t, len, "Qwerty12");
        QTB_CHECK(rc == QTB_EPARSE || rc == QTB_EPASSWORD || rc == QTB_EUNSUPPORTED ||
                  (rc == 0 && p != NULL)); /* a flip in unauthenticated framing may survive */
        qtb_p12_free(p);
        qtb_free(t);
    }
    /* Trailing bytes are rejected rather than ignored. */
    unsigned char *t = qtb_malloc(len + 1);
    QTB_REQUIRE(t != NULL);
    memcpy(t, buf, len);
    t[len] = 0;
    qtb_p12 *p = NULL;
    QTB_CHECK(qtb_p12_open(&p, t, len + 1, "Qwerty12") == QTB_EPARSE);
    qtb_free(t);
    qtb_free(buf);
}

static void test_p12__base64_input(void)
{
    QTB_NEED_SHARED();
    unsigned char *buf = NULL;
    size_t len = 0;
    QTB_OK_CALL(read_shared(&buf, &len, "p12/rsa_individual_sign_2021.p12"));
    char *b64 = NULL;
    QTB_OK_CALL(qtb_base64_encode(&b64, buf, len));
    QTB_CHECK(qtb_p12_detect((unsigned char *)b64, strlen(b64)));
    qtb_p12 *p = NULL;
    QTB_CHECK(qtb_p12_open(&p, (unsigned char *)b64, strlen(b64), "Qwerty12") == 0);
    QTB_CHECK(p != NULL && qtb_p12_pkey(p) != NULL);
    qtb_p12_free(p);
    qtb_free(b64);
    qtb_free(buf);
}

static void test_p12__garbage_and_certificates(void)
{
    static const unsigned char junk[] = "this is not a key store at all\n";
    qtb_p12 *p = NULL;
    QTB_CHECK(!qtb_p12_detect(junk, sizeof(junk) - 1));
    QTB_CHECK(qtb_p12_open(&p, junk, sizeof(junk) - 1, "x") == QTB_EPARSE);
    static const unsigned char seq[] = {0x30, 0x03, 0x02, 0x01, 0x03};
    QTB_CHECK(qtb_p12_open(&p, seq, sizeof(seq), "x") == QTB_EPARSE);
    QTB_CHECK(qtb_p12_open(&p, seq, 0, "x") == QTB_EPARSE);
    QTB_CHECK(p == NULL);

    /* A certificate is not a key store. */
    EVP_PKEY *k = tg_key();
    const char *subj[] = {"CN", "X", NULL};
    tg_spec s = {subj, false, NULL, NULL, NULL, "20250101000000Z", "20300101000000Z", 1};
    X509 *x = tg_cert(&s, k, NULL, NULL);
    QTB_REQUIRE(x != NULL);
    size_t dlen = 0;
    unsigned char *der = tg_der(x, &dlen);
    QTB_CHECK(der != NULL && !qtb_p12_detect(der, dlen));
    QTB_CHECK(qtb_p12_open(&p, der, dlen, "x") == QTB_EPARSE);
    qtb_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* A PFX built by OpenSSL: mac_iter -1 leaves the MAC out. */
static unsigned char *make_pfx(size_t *len, const char *pass, EVP_PKEY *key, X509 *cert,
                               STACK_OF(X509) * ca, int mac_iter)
{
    PKCS12 *p12 = PKCS12_create(pass, "test", key, cert, ca, 0, 0, 0, mac_iter, 0);
    if (p12 == NULL) {
        return NULL;
    }
    unsigned char *tmp = NULL;
    int n = i2d_PKCS12(p12, &tmp);
    PKCS12_free(p12);
    if (n <= 0) {
        return NULL;
    }
    unsigned char *out = qtb_malloc((size_t)n);
    if (out != NULL) {
        memcpy(out, tmp, (size_t)n);
        *len = (size_t)n;
    }
    OPENSSL_free(tmp);
    return out;
}

static void test_p12__chain_and_key_match(void)
{
    EVP_PKEY *ca_key = tg_key();
    EVP_PKEY *leaf_key = tg_key();
    const char *ca_subj[] = {"CN", "Test CA", "C", "KZ", NULL};
    const char *leaf_subj[] = {"CN",           "ТЕСТОВ ТЕСТ",     "SN", "ТЕСТОВ",
                               "serialNumber", "IIN900101300007", NULL};
    tg_spec cs = {
        ca_subj,           true, "critical,keyCertSign,cRLSign", NULL, NULL, "20250101000000Z",
        "20350101000000Z", 1};
    tg_spec ls = {leaf_subj,
                  false,
                  "critical,digitalSignature,nonRepudiation",
                  "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.1",
                  "1.2.398.3.3.2",
                  "20250101000000Z",
                  "20300101000000Z",
                  2};
    X509 *ca = tg_cert(&cs, ca_key, NULL, NULL);
    X509 *leaf = tg_cert(&ls, leaf_key, ca, ca_key);
    QTB_REQUIRE(ca != NULL && leaf != NULL);
    STACK_OF(X509) *chain = sk_X509_new_null();
    QTB_REQUIRE(chain != NULL && sk_X509_push(chain, ca));

    /* With a MAC and with none: both open with the right password only. */
    int macs[] = {0, -1};
    for (size_t m = 0; m < QTB_ARRAY_LEN(macs); m++) {
        size_t len = 0;
        unsigned char *pfx = make_pfx(&len, "пароль-1", leaf_key, leaf, chain, macs[m]);
        QTB_REQUIRE(pfx != NULL);
        qtb_p12 *p = NULL;
        QTB_CHECK(qtb_p12_open(&p, pfx, len, "пароль-1") == 0);
        if (p != NULL) {
            QTB_CHECK(X509_cmp(qtb_p12_cert(p), leaf) == 0);
            QTB_CHECK(sk_X509_num(qtb_p12_chain(p)) == 1);
            QTB_CHECK(X509_check_private_key(qtb_p12_cert(p), qtb_p12_pkey(p)) == 1);
            json_t *root = NULL;
            json_t *c = info_of(p, &root);
            QTB_CHECK_STR(jstr(c, "iin"), "900101300007");
            QTB_CHECK(json_is_true(json_object_get(c, "iinValid")));
            QTB_CHECK_STR(jstr(c, "birthDate"), "1990-01-01");
            QTB_CHECK_STR(jstr(c, "gender"), "MALE");
            json_t *ch = json_array_get(json_object_get(root, "chain"), 0);
            QTB_CHECK_STR(jstr(ch, "commonName"), "Test CA");
            QTB_CHECK(json_is_true(json_object_get(ch, "isCA")));
            QTB_CHECK(json_is_true(json_object_get(ch, "selfSigned")));
            json_decref(root);
        }
        qtb_p12_free(p);
        p = NULL;
        QTB_CHECK(qtb_p12_open(&p, pfx, len, "пароль-2") == QTB_EPASSWORD);
        QTB_CHECK(strstr(qtb_error_last()->message, "wrong password") != NULL);
        QTB_CHECK(p == NULL);
        qtb_free(pfx);
    }

    /* Certificates only, empty password: opens, no key. */
    size_t len = 0;
    unsigned char *pfx = make_pfx(&len, "", NULL, leaf, NULL, 0);
    QTB_REQUIRE(pfx != NULL);
    qtb_p12 *p = NULL;
    QTB_CHECK(qtb_p12_open(&p, pfx, len, "") == 0);
    QTB_CHECK(p != NULL && !qtb_p12_has_key(p) && qtb_p12_pkey(p) == NULL);
    qtb_p12_free(p);
    qtb_free(pfx);

    sk_X509_free(chain);
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
}

/* The generated test PKI: every store in MANIFEST.tsv, both flavours, reports its row. */
static void test_p12__generated_pki(void)
{
    const char *fix = getenv("QTB_FIXTURES");
    if (fix == NULL) {
        QTB_SKIP("QTB_FIXTURES not set");
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/pki/MANIFEST.tsv", fix);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        QTB_SKIP("no generated PKI under %.200s", fix);
    }
    char line[2048];
    int rows = 0;
    bool header = true;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (header) {
            header = false;
            continue;
        }
        char *col[16] = {0};
        size_t ncol = 0;
        char *s = line;
        while (ncol < QTB_ARRAY_LEN(col)) {
            col[ncol++] = s;
            char *tab = strchr(s, '\t');
            if (tab == NULL) {
                s[strcspn(s, "\r\n")] = '\0';
                break;
            }
            *tab = '\0';
            s = tab + 1;
        }
        QTB_REQUIRE(ncol >= 12);
        /* name key_alg hierarchy holder iin bin roles iin_valid bin_valid status nb na */
        const char *flavours[] = {"", ".legacy"};
        for (size_t fl = 0; fl < 2; fl++) {
            snprintf(path, sizeof(path), "%s/pki/p12/%s%s.p12", fix, col[0], flavours[fl]);
            unsigned char *buf = NULL;
            size_t len = 0;
            QTB_OK_CALL(qtb_file_read(&buf, &len, path, QTB_MAX_CERT_FILE));
            qtb_p12 *p = NULL;
            QTB_CHECK(qtb_p12_open(&p, buf, len, "Qwerty12x") == QTB_EPASSWORD);
            int rc = qtb_p12_open(&p, buf, len, "Qwerty12");
            qtb_free(buf);
            if (rc != 0) {
                fprintf(stderr, "  %s: %s\n", path, qtb_error_last()->message);
            }
            QTB_REQUIRE(rc == 0);
            json_t *root = NULL;
            json_t *c = info_of(p, &root);
            QTB_REQUIRE(c != NULL);
            bool has_iin = strcmp(col[4], "-") != 0;
            bool has_bin = strcmp(col[5], "-") != 0;
            QTB_CHECK(has_iin ? jstr(c, "iin") && strcmp(jstr(c, "iin"), col[4]) == 0
                              : json_is_null(json_object_get(c, "iin")));
            QTB_CHECK(has_bin ? jstr(c, "bin") && strcmp(jstr(c, "bin"), col[5]) == 0
                              : json_is_null(json_object_get(c, "bin")));
            char roles[256];
            roles_text(roles, sizeof(roles), c);
            QTB_CHECK_STR(roles, col[6]);
            if (has_iin) {
                QTB_CHECK(json_is_true(json_object_get(c, "iinValid")) ==
                          (strcmp(col[7], "true") == 0));
            }
            if (has_bin) {
                QTB_CHECK(json_is_true(json_object_get(c, "binValid")) ==
                          (strcmp(col[8], "true") == 0));
            }
            QTB_CHECK_STR(jstr(c, "notBefore"), col[10]);
            QTB_CHECK_STR(jstr(c, "notAfter"), col[11]);
            const char *alg = jstr(c, "publicKeyAlgorithm");
            if (strncmp(col[1], "RSA", 3) == 0) {
                QTB_CHECK(alg != NULL && strncmp(alg, "RSA", 3) == 0);
            } else if (strncmp(col[1], "ECDSA", 5) == 0) {
                QTB_CHECK_STR(alg, "EC");
            }
            QTB_CHECK(qtb_p12_pkey(p) != NULL);
            QTB_CHECK(X509_check_private_key(qtb_p12_cert(p), qtb_p12_pkey(p)) == 1);
            json_decref(root);
            qtb_p12_free(p);
        }
        rows++;
    }
    fclose(f);
    QTB_CHECK(rows > 0);
}

int main(void)
{
    QTB_RUN(test_p12__real_stores);
    QTB_RUN(test_p12__gost_key_matches_certificate);
    QTB_RUN(test_p12__real_wrong_password);
    QTB_RUN(test_p12__truncated_and_tampered);
    QTB_RUN(test_p12__base64_input);
    QTB_RUN(test_p12__garbage_and_certificates);
    QTB_RUN(test_p12__chain_and_key_match);
    QTB_RUN(test_p12__generated_pki);
    return qtb_test_done();
}
