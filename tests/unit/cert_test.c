/*
 * Certificates: the real NCA RK test CAs, identity fields on synthetic NCA-profile
 * certificates, RFC 4514 names, input forms (DER, PEM, base64) and bad input.
 */
#include <jansson.h>

#include <qtb/cert.h>
#include <qtb/iin.h>
#include <qtb/report.h>

#include "certgen.h"
#include "certinfo_int.h"
#include "internal.h"
#include "qtb_test.h"

static int read_shared(unsigned char **buf, size_t *len, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures-real/%s", qtb_test_shared_dir(), rel);
    return qtb_file_read(buf, len, path, QTB_MAX_CERT_FILE);
}

/* The "certificate" object of qtb_cert_info_json (decref *root). */
static json_t *info_of(const qtb_cert *c, json_t **root)
{
    char *s = NULL;
    *root = NULL;
    if (qtb_cert_info_json(&s, c) != 0) {
        return NULL;
    }
    json_error_t err;
    *root = json_loads(s, 0, &err);
    qtb_string_free(s);
    return *root != NULL ? json_object_get(*root, "certificate") : NULL;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool jarray_is(const json_t *arr, const char *const *want)
{
    size_t n = 0;
    while (want[n] != NULL) {
        n++;
    }
    if (json_array_size(arr) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(arr, i));
        if (v == NULL || strcmp(v, want[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* ---- real CA certificates -------------------------------------------------------------------- */

static const struct {
    const char *file;
    const char *cn;
    bool self_signed;
    const char *alg;
} real_cas[] = {
    {"ca/root_test_gost_2022.cer", "НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022", true,
     "GOST34.10-2015-512"},
    {"ca/nca_gost2022_test.cer", "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022", false,
     "GOST34.10-2015-512"},
    {"ca/root_rsa_test.pem", "НЕГІЗГІ КО TEST (RSA)", true, "RSA"},
    {"ca/nca_rsa_test.crt", "ҰКО 3.0 (RSA TEST)", false, "RSA"},
    {"ca/root_gost_test.crt", "НЕГІЗГІ КО TEST (GOST)", true, "GOST34.310-2004"},
    {"ca/nca_gost_test.crt", "ҰКО 3.0 (GOST TEST)", false, "GOST34.310-2004"},
};

static void test_cert__real_ca_certificates(void)
{
    QTB_NEED_SHARED();
    for (size_t i = 0; i < QTB_ARRAY_LEN(real_cas); i++) {
        unsigned char *buf = NULL;
        size_t len = 0;
        QTB_OK_CALL(read_shared(&buf, &len, real_cas[i].file));
        qtb_cert *c = NULL;
        int rc = qtb_cert_load(&c, buf, len);
        qtb_free(buf);
        if (rc != 0) {
            fprintf(stderr, "  %s: %s\n", real_cas[i].file, qtb_error_last()->message);
        }
        QTB_REQUIRE(rc == 0);
        QTB_CHECK_STR(qtb_cert_common_name(c), real_cas[i].cn);
        QTB_CHECK(qtb_cert_iin(c) == NULL && qtb_cert_bin(c) == NULL && qtb_cert_roles(c) == 0);
        json_t *root = NULL;
        json_t *o = info_of(c, &root);
        QTB_REQUIRE(o != NULL);
        QTB_CHECK(json_is_true(json_object_get(o, "isCA")));
        QTB_CHECK(json_is_boolean(json_object_get(o, "selfSigned")) &&
                  json_is_true(json_object_get(o, "selfSigned")) == real_cas[i].self_signed);
        QTB_CHECK_STR(jstr(o, "publicKeyAlgorithm"), real_cas[i].alg);
        QTB_CHECK(json_is_null(json_object_get(o, "iin")));
        QTB_CHECK(json_is_null(json_object_get(o, "iinValid")));
        QTB_CHECK(json_is_null(json_object_get(o, "gender")));
        QTB_CHECK(strlen(jstr(o, "fingerprint")) == 64);
        json_decref(root);
        qtb_cert_free(c);
    }
}

static void test_cert__real_gost2004_end_entity(void)
{
    QTB_NEED_SHARED();
    unsigned char *buf = NULL;
    size_t len = 0;
    QTB_OK_CALL(read_shared(&buf, &len, "gost/gost2004_legal_ceo_valid_sign_2022.cer"));
    qtb_cert *c = NULL;
    int rc = qtb_cert_load(&c, buf, len);
    qtb_free(buf);
    QTB_REQUIRE(rc == 0);
    QTB_CHECK_STR(qtb_cert_iin(c), "123456789011");
    QTB_CHECK_STR(qtb_cert_bin(c), "123456789021");
    QTB_CHECK(qtb_cert_roles(c) == (QTB_ROLE_ORGANIZATION | QTB_ROLE_CEO));
    json_t *root = NULL;
    json_t *o = info_of(c, &root);
    QTB_REQUIRE(o != NULL);
    QTB_CHECK_STR(jstr(o, "publicKeyAlgorithm"), "GOST34.310-2004");
    QTB_CHECK_STR(jstr(o, "publicKeyAlgorithmOid"), "1.2.398.3.10.1.1.1.1");
    QTB_CHECK_STR(jstr(o, "signatureAlgorithm"), "GOST34.310-2004-with-GOST34.311-95");
    QTB_CHECK(json_is_false(json_object_get(o, "iinValid")));
    QTB_CHECK(json_is_false(json_object_get(o, "binValid")));
    QTB_CHECK_STR(jstr(o, "patronymic"), "ТЕСТОВИЧ");
    QTB_CHECK_STR(jstr(o, "givenName"), "ТЕСТ");
    QTB_CHECK(strncmp(jstr(o, "notBefore"), "2022-01-18", 10) == 0);
    QTB_CHECK(strncmp(jstr(o, "notAfter"), "2023-01-18", 10) == 0);
    const char *ku[] = {"digitalSignature", "nonRepudiation", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "keyUsage"), ku));
    const char *pol[] = {"1.2.398.3.3.2.1", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "policies"), pol));
    json_decref(root);
    qtb_cert_free(c);
}

/* ---- synthetic NCA-profile certificates ---------------------------------------------------- */

/* A valid IIN: prefix + computed check digit. */
static bool make_idnum(char out[13], const char *prefix11)
{
    int d = 0;
    if (qtb_idnum_check_digit(&d, prefix11) != 0) {
        return false;
    }
    memcpy(out, prefix11, 11);
    out[11] = (char)('0' + d);
    out[12] = '\0';
    return true;
}

static qtb_cert *load_x509(X509 *x)
{
    size_t len = 0;
    unsigned char *der = tg_der(x, &len);
    qtb_cert *c = NULL;
    if (der != NULL && qtb_cert_load(&c, der, len) != 0) {
        c = NULL;
    }
    qtb_free(der);
    return c;
}

static void test_cert__identity_fields(void)
{
    char iin[13], bin[13], iin_sn[20], bin_ou[20];
    /* Born 1985-03-15, digit 7 = 4: a woman born in the 1900s. */
    QTB_REQUIRE(make_idnum(iin, "85031540012") || make_idnum(iin, "85031540013"));
    QTB_REQUIRE(make_idnum(bin, "15034000010"));
    snprintf(iin_sn, sizeof(iin_sn), "IIN%s", iin);
    snprintf(bin_ou, sizeof(bin_ou), "BIN%s", bin);
    const char *subj[] = {"CN",
                          "ИВАНОВА АЙГУЛЬ",
                          "SN",
                          "ИВАНОВА",
                          "serialNumber",
                          iin_sn,
                          "C",
                          "KZ",
                          "L",
                          "АЛМАТЫ",
                          "ST",
                          "АЛМАТЫ",
                          "O",
                          "ТОО \"Тест, и партнёры\"",
                          "OU",
                          bin_ou,
                          "GN",
                          "СЕРИКОВНА",
                          "emailAddress",
                          "a@example.kz",
                          NULL};
    tg_spec s = {subj,
                 false,
                 "critical,digitalSignature,nonRepudiation",
                 "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.3,1.2.398.3.3.4.1.2.4",
                 "1.2.398.3.3.2",
                 "20250101000000Z",
                 "20260101120000Z",
                 10};
    EVP_PKEY *k = tg_key();
    X509 *x = tg_cert(&s, k, NULL, NULL);
    QTB_REQUIRE(x != NULL);
    qtb_cert *c = load_x509(x);
    QTB_REQUIRE(c != NULL);
    QTB_CHECK_STR(qtb_cert_iin(c), iin);
    QTB_CHECK_STR(qtb_cert_bin(c), bin);
    QTB_CHECK(qtb_cert_roles(c) ==
              (QTB_ROLE_ORGANIZATION | QTB_ROLE_CAN_SIGN_FINANCIAL | QTB_ROLE_HR));
    QTB_CHECK(qtb_cert_not_before(c) == 1735689600);
    QTB_CHECK(qtb_cert_not_after(c) == 1767268800);
    json_t *root = NULL;
    json_t *o = info_of(c, &root);
    QTB_REQUIRE(o != NULL);
    QTB_CHECK_STR(jstr(o, "commonName"), "ИВАНОВА АЙГУЛЬ");
    QTB_CHECK_STR(jstr(o, "surname"), "ИВАНОВА");
    QTB_CHECK_STR(jstr(o, "givenName"), "АЙГУЛЬ");
    QTB_CHECK_STR(jstr(o, "patronymic"), "СЕРИКОВНА");
    QTB_CHECK(json_is_true(json_object_get(o, "iinValid")));
    QTB_CHECK_STR(jstr(o, "birthDate"), "1985-03-15");
    QTB_CHECK_STR(jstr(o, "gender"), "FEMALE");
    QTB_CHECK(json_is_true(json_object_get(o, "binValid")));
    QTB_CHECK_STR(jstr(o, "binEntityType"), "resident legal entity");
    QTB_CHECK_STR(jstr(o, "organization"), "ТОО \"Тест, и партнёры\"");
    QTB_CHECK_STR(jstr(o, "email"), "a@example.kz");
    QTB_CHECK_STR(jstr(o, "country"), "KZ");
    QTB_CHECK_STR(jstr(o, "locality"), "АЛМАТЫ");
    QTB_CHECK_STR(jstr(o, "state"), "АЛМАТЫ");
    const char *roles[] = {"ORGANIZATION", "CAN_SIGN_FINANCIAL", "HR", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "roles"), roles));
    const char *ku[] = {"digitalSignature", "nonRepudiation", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "keyUsage"), ku));
    const char *eku[] = {"1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.3",
                         "1.2.398.3.3.4.1.2.4", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "extendedKeyUsage"), eku));
    const char *pol[] = {"1.2.398.3.3.2", NULL};
    QTB_CHECK(jarray_is(json_object_get(o, "policies"), pol));
    QTB_CHECK_STR(jstr(o, "serialNumber"), "0a");
    QTB_CHECK_STR(jstr(o, "notBefore"), "2025-01-01T00:00:00Z");
    QTB_CHECK_STR(jstr(o, "notAfter"), "2026-01-01T12:00:00Z");
    QTB_CHECK_STR(jstr(o, "publicKeyAlgorithm"), "EC");
    QTB_CHECK(json_integer_value(json_object_get(o, "publicKeyBits")) == 256);
    QTB_CHECK_STR(jstr(o, "signatureAlgorithm"), "ecdsa-with-SHA256");
    QTB_CHECK(json_is_true(json_object_get(o, "selfSigned")));
    QTB_CHECK(json_is_false(json_object_get(o, "isCA")));
    char want_subject[512];
    snprintf(want_subject, sizeof(want_subject),
             "emailAddress=a@example.kz,givenName=СЕРИКОВНА,OU=%s,O=ТОО \\\"Тест\\, и "
             "партнёры\\\",ST=АЛМАТЫ,L=АЛМАТЫ,C=KZ,serialNumber=%s,SN=ИВАНОВА,CN=ИВАНОВА АЙГУЛЬ",
             bin_ou, iin_sn);
    QTB_CHECK_STR(jstr(o, "subject"), want_subject);
    QTB_CHECK_STR(jstr(o, "issuer"), want_subject);
    /* The fingerprint is SHA-256 of the DER. */
    unsigned char md[32];
    unsigned int mdlen = 0;
    char hex[65];
    QTB_REQUIRE(X509_digest(x, EVP_sha256(), md, &mdlen) && mdlen == 32);
    qtb_hex_encode(hex, md, 32);
    QTB_CHECK_STR(jstr(o, "fingerprint"), hex);
    /* Key order is part of the contract: the first keys come in this order. */
    const char *order[] = {"commonName", "surname", "givenName", "patronymic", "iin"};
    void *it = json_object_iter(o);
    for (size_t i = 0; i < QTB_ARRAY_LEN(order); i++) {
        QTB_CHECK(it != NULL && strcmp(json_object_iter_key(it), order[i]) == 0);
        it = it != NULL ? json_object_iter_next(o, it) : NULL;
    }
    json_decref(root);
    qtb_cert_free(c);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* Negative twin: a failed checksum is reported, not an error; a CN without the SN has no first
 * name; a male IIN of the 2000s decodes as such. */
static void test_cert__identity_checksum_failure(void)
{
    char iin[13];
    QTB_REQUIRE(make_idnum(iin, "03090550045"));
    iin[11] = (char)('0' + (iin[11] - '0' + 1) % 10);
    char iin_sn[20];
    snprintf(iin_sn, sizeof(iin_sn), "IIN%s", iin);
    const char *subj[] = {"CN", "Aidos",           "SN", "Bekov", "serialNumber", iin_sn,
                          "OU", "BIN123456789021", NULL};
    tg_spec s = {subj, false, NULL, "1.2.398.3.3.4.1.1", NULL, "20250101000000Z", "20260101000000Z",
                 77};
    EVP_PKEY *k = tg_key();
    X509 *x = tg_cert(&s, k, NULL, NULL);
    QTB_REQUIRE(x != NULL);
    qtb_cert *c = load_x509(x);
    QTB_REQUIRE(c != NULL);
    json_t *root = NULL;
    json_t *o = info_of(c, &root);
    QTB_REQUIRE(o != NULL);
    QTB_CHECK_STR(jstr(o, "iin"), iin);
    QTB_CHECK(json_is_false(json_object_get(o, "iinValid")));
    QTB_CHECK_STR(jstr(o, "birthDate"), "2003-09-05");
    QTB_CHECK_STR(jstr(o, "gender"), "MALE");
    QTB_CHECK(json_is_false(json_object_get(o, "binValid")));
    QTB_CHECK(json_is_null(json_object_get(o, "givenName")));
    QTB_CHECK(json_is_null(json_object_get(o, "patronymic")));
    QTB_CHECK(json_array_size(json_object_get(o, "keyUsage")) == 0);
    json_decref(root);
    qtb_cert_free(c);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* A certificate with no IIN (an information system) is valid input: iin and its fields null. */
static void test_cert__no_iin(void)
{
    const char *subj[] = {"UID", "1.2.398.6.10.1.1", "CN", "ИС \"Тест\"",     "C", "KZ",
                          "O",   "АО \"ТЕСТ\"",      "OU", "BIN150340000109", NULL};
    tg_spec s = {subj,
                 false,
                 "critical,digitalSignature",
                 "1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.6.7",
                 NULL,
                 "20250101000000Z",
                 "20280101000000Z",
                 5};
    EVP_PKEY *k = tg_key();
    X509 *x = tg_cert(&s, k, NULL, NULL);
    QTB_REQUIRE(x != NULL);
    qtb_cert *c = load_x509(x);
    QTB_REQUIRE(c != NULL);
    QTB_CHECK(qtb_cert_iin(c) == NULL);
    QTB_CHECK(qtb_cert_roles(c) == (QTB_ROLE_ORGANIZATION | QTB_ROLE_INFORMATION_SYSTEM));
    json_t *root = NULL;
    json_t *o = info_of(c, &root);
    QTB_REQUIRE(o != NULL);
    const char *nulls[] = {"iin",     "iinValid",  "birthDate",  "gender",
                           "surname", "givenName", "patronymic", "email"};
    for (size_t i = 0; i < QTB_ARRAY_LEN(nulls); i++) {
        QTB_CHECK(json_is_null(json_object_get(o, nulls[i])));
    }
    QTB_CHECK(json_is_true(json_object_get(o, "binValid")));
    QTB_CHECK_STR(
        jstr(o, "subject"),
        "OU=BIN150340000109,O=АО \\\"ТЕСТ\\\",C=KZ,CN=ИС \\\"Тест\\\",UID=1.2.398.6.10.1.1");
    json_decref(root);
    qtb_cert_free(c);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void test_cert__rfc4514_names(void)
{
    X509_NAME *n = X509_NAME_new();
    QTB_REQUIRE(n != NULL);
    char *s = NULL;
    QTB_OK_CALL(qtb_name_rfc4514(&s, n));
    QTB_CHECK_STR(s, "");
    qtb_free(s);
    QTB_REQUIRE(
        X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"KZ", -1, -1, 0));
    QTB_REQUIRE(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                           (const unsigned char *)"x,y+z\"<;\\", -1, -1, 0));
    QTB_REQUIRE(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)" #a ",
                                           -1, -1, 0));
    /* set = -1 adds to the previous RDN: a multi-valued RDN. */
    QTB_REQUIRE(X509_NAME_add_entry_by_txt(n, "UID", MBSTRING_UTF8, (const unsigned char *)"u1", -1,
                                           -1, -1));
    QTB_REQUIRE(X509_NAME_add_entry_by_txt(n, "1.2.3.4", MBSTRING_UTF8, (const unsigned char *)"v",
                                           -1, -1, 0));
    QTB_REQUIRE(X509_NAME_add_entry_by_txt(n, "L", MBSTRING_UTF8, (const unsigned char *)"a\nb", -1,
                                           -1, 0));
    QTB_OK_CALL(qtb_name_rfc4514(&s, n));
    QTB_CHECK_STR(s, "L=a\\0Ab,1.2.3.4=#0c0176,UID=u1+CN=\\ #a\\ ,O=x\\,y\\+z\\\"\\<\\;\\\\,C=KZ");
    qtb_free(s);
    X509_NAME_free(n);
}

static void test_cert__role_names(void)
{
    QTB_CHECK_STR(qtb_role_name(QTB_ROLE_INDIVIDUAL), "INDIVIDUAL");
    QTB_CHECK_STR(qtb_role_name(QTB_ROLE_CAN_SIGN), "CAN_SIGN");
    QTB_CHECK_STR(qtb_role_name(QTB_ROLE_TREASURY_CLIENT), "TREASURY_CLIENT");
    QTB_CHECK(qtb_role_name(0) == NULL);
    QTB_CHECK(qtb_role_name(QTB_ROLE_CEO | QTB_ROLE_HR) == NULL);
}

/* ---- input forms and bad input -------------------------------------------------------------- */

static X509 *simple_cert(EVP_PKEY *k, long serial)
{
    const char *subj[] = {"CN", "ТЕСТ", "serialNumber", "IIN123456789011", NULL};
    tg_spec s = {
        subj, false, NULL, "1.2.398.3.3.4.1.1", NULL, "20250101000000Z", "20260101000000Z", serial};
    return tg_cert(&s, k, NULL, NULL);
}

static void test_cert__input_forms(void)
{
    EVP_PKEY *k = tg_key();
    X509 *x = simple_cert(k, 1);
    QTB_REQUIRE(x != NULL);
    size_t dlen = 0, plen = 0;
    unsigned char *der = tg_der(x, &dlen);
    unsigned char *pem = tg_pem(x, &plen);
    char *b64 = NULL;
    QTB_REQUIRE(der != NULL && pem != NULL);
    QTB_OK_CALL(qtb_base64_encode(&b64, der, dlen));
    const unsigned char *forms[] = {der, pem, (const unsigned char *)b64};
    size_t lens[] = {dlen, plen, strlen(b64)};
    char *first = NULL;
    for (size_t i = 0; i < 3; i++) {
        qtb_cert *c = NULL;
        QTB_CHECK(qtb_cert_load(&c, forms[i], lens[i]) == 0);
        char *js = NULL;
        QTB_CHECK(c != NULL && qtb_cert_info_json(&js, c) == 0);
        if (first == NULL) {
            first = js;
        } else {
            QTB_CHECK(js != NULL && strcmp(js, first) == 0);
            qtb_string_free(js);
        }
        qtb_cert_free(c);
    }
    qtb_string_free(first);
    qtb_free(b64);
    qtb_free(der);
    qtb_free(pem);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void expect_load_fails(const unsigned char *data, size_t len, int code, const char *msg)
{
    qtb_cert *c = NULL;
    int rc = qtb_cert_load(&c, data, len);
    QTB_CHECK(rc == code);
    QTB_CHECK(c == NULL);
    if (msg != NULL && strstr(qtb_error_last()->message, msg) == NULL) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", qtb_error_last()->message, msg);
        QTB_CHECK(!"message");
    }
}

static void test_cert__two_certificates(void)
{
    EVP_PKEY *k = tg_key();
    X509 *a = simple_cert(k, 1), *b = simple_cert(k, 2);
    QTB_REQUIRE(a != NULL && b != NULL);
    size_t la = 0, lb = 0, da = 0, db = 0;
    unsigned char *pa = tg_pem(a, &la), *pb = tg_pem(b, &lb);
    unsigned char *dera = tg_der(a, &da), *derb = tg_der(b, &db);
    QTB_REQUIRE(pa != NULL && pb != NULL && dera != NULL && derb != NULL);
    unsigned char *two = qtb_malloc(la + lb + da + db);
    QTB_REQUIRE(two != NULL);
    memcpy(two, pa, la);
    memcpy(two + la, pb, lb);
    expect_load_fails(two, la + lb, QTB_EPARSE, "file holds 2 certificates; give one");
    memcpy(two, dera, da);
    memcpy(two + da, derb, db);
    expect_load_fails(two, da + db, QTB_EPARSE, "file holds 2 certificates; give one");
    /* One PEM certificate plus a key block: not one certificate either. */
    static const char key_block[] =
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    memcpy(two, pa, la);
    memcpy(two + la, key_block, sizeof(key_block) - 1);
    expect_load_fails(two, la + sizeof(key_block) - 1, QTB_EPARSE, "2 PEM blocks");
    /* Negative twin: each alone loads. */
    qtb_cert *c = NULL;
    QTB_CHECK(qtb_cert_load(&c, pa, la) == 0);
    qtb_cert_free(c);
    qtb_free(two);
    qtb_free(pa);
    qtb_free(pb);
    qtb_free(dera);
    qtb_free(derb);
    X509_free(a);
    X509_free(b);
    EVP_PKEY_free(k);
}

static void test_cert__bad_input(void)
{
    expect_load_fails((const unsigned char *)"", 0, QTB_EPARSE, "empty");
    static const char garbage[] = "\x01\x02garbage that is not a certificate";
    expect_load_fails((const unsigned char *)garbage, sizeof(garbage) - 1, QTB_EPARSE, NULL);
    static const char notb64[] = "TWFu TWFu!!";
    expect_load_fails((const unsigned char *)notb64, sizeof(notb64) - 1, QTB_EPARSE, NULL);
    static const char keypem[] = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
    expect_load_fails((const unsigned char *)keypem, sizeof(keypem) - 1, QTB_EPARSE,
                      "not CERTIFICATE");

    EVP_PKEY *k = tg_key();
    X509 *x = simple_cert(k, 3);
    QTB_REQUIRE(x != NULL);
    size_t dlen = 0, plen = 0;
    unsigned char *der = tg_der(x, &dlen);
    unsigned char *pem = tg_pem(x, &plen);
    QTB_REQUIRE(der != NULL && pem != NULL);
    /* Every truncation of the DER fails cleanly. */
    for (size_t cut = 1; cut < dlen; cut++) {
        qtb_cert *c = NULL;
        QTB_CHECK(qtb_cert_load(&c, der, cut) == QTB_EPARSE);
        QTB_CHECK(c == NULL);
    }
    /* A PEM without its END line, and one cut inside the base64. */
    expect_load_fails(pem, plen - 30, QTB_EPARSE, NULL);
    expect_load_fails(pem, plen / 2, QTB_EPARSE, NULL);
    /* Trailing bytes after a DER certificate. */
    unsigned char *t = qtb_malloc(dlen + 3);
    QTB_REQUIRE(t != NULL);
    memcpy(t, der, dlen);
    memcpy(t + dlen, "\x00\x00\x00", 3);
    expect_load_fails(t, dlen + 3, QTB_EPARSE, "trailing bytes");
    qtb_free(t);
    /* Oversize input is refused before parsing. */
    expect_load_fails(der, (size_t)QTB_MAX_CERT_FILE + 1, QTB_ETOOBIG, NULL);
    qtb_free(der);
    qtb_free(pem);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* An extension that does not decode (EKU holding a NULL) makes the certificate malformed. */
static void test_cert__malformed_extension(void)
{
    EVP_PKEY *k = tg_key();
    X509 *x = simple_cert(k, 4);
    QTB_REQUIRE(x != NULL);
    int idx = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
    QTB_REQUIRE(idx >= 0);
    X509_EXTENSION_free(X509_delete_ext(x, idx));
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    QTB_REQUIRE(os != NULL && ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2));
    X509_EXTENSION *bad = X509_EXTENSION_create_by_NID(NULL, NID_ext_key_usage, 0, os);
    QTB_REQUIRE(bad != NULL && X509_add_ext(x, bad, -1));
    QTB_REQUIRE(X509_sign(x, k, EVP_sha256()) > 0);
    size_t dlen = 0;
    unsigned char *der = tg_der(x, &dlen);
    QTB_REQUIRE(der != NULL);
    expect_load_fails(der, dlen, QTB_EPARSE, "malformed");
    qtb_free(der);
    X509_EXTENSION_free(bad);
    ASN1_OCTET_STRING_free(os);
    X509_free(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    QTB_RUN(test_cert__real_ca_certificates);
    QTB_RUN(test_cert__real_gost2004_end_entity);
    QTB_RUN(test_cert__identity_fields);
    QTB_RUN(test_cert__identity_checksum_failure);
    QTB_RUN(test_cert__no_iin);
    QTB_RUN(test_cert__rfc4514_names);
    QTB_RUN(test_cert__role_names);
    QTB_RUN(test_cert__input_forms);
    QTB_RUN(test_cert__two_certificates);
    QTB_RUN(test_cert__bad_input);
    QTB_RUN(test_cert__malformed_extension);
    return qtb_test_done();
}
