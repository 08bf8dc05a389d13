/*
 * Who a certificate belongs to, as JSON: the NCA RK subject profile (kz-pki.md §3.1), holder
 * roles from the EKU (§3.2), policies (§3.3), Kazakh algorithm names (§3.6) and IIN/BIN decoding
 * (§3.7). Every field is read without decoding the public key, because OpenSSL cannot decode
 * Kazakh GOST keys and identity must not depend on that.
 */
#include <stdio.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <qtb/cert.h>
#include <qtb/iin.h>

#include "certinfo_int.h"
#include "internal.h"
#include "report_int.h"

#define NAME_MAX_LEN (64u << 10) /* an RFC 4514 string; real names are a few hundred bytes */
#define OID_TEXT_MAX 128

/* ---- small helpers ------------------------------------------------------------------------- */

/* Dotted text of an OID into buf; "" when it does not fit. */
static void oid_text(char *buf, size_t cap, const ASN1_OBJECT *obj)
{
    int n = OBJ_obj2txt(buf, (int)cap, obj, 1);
    if (n <= 0 || (size_t)n >= cap) {
        buf[0] = '\0';
    }
}

/* An ASN.1 string as a new UTF-8 C string; rejects embedded NUL bytes. */
static int asn1_string_utf8(char **out, const ASN1_STRING *s, const char *what)
{
    *out = NULL;
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "%s is not a valid string", what);
    }
    if (strlen((const char *)utf8) != (size_t)n) {
        OPENSSL_free(utf8);
        return QTB_FAIL(QTB_EPARSE, "%s holds a NUL byte", what);
    }
    *out = qtb_strndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return 0;
}

int qtb_x509_name_attr(char **out, const X509_NAME *name, int nid)
{
    QTB_ASSERT_ARG(out != NULL && name != NULL);
    *out = NULL;
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0) {
        return 0;
    }
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    return asn1_string_utf8(out, X509_NAME_ENTRY_get_data(e), OBJ_nid2sn(nid));
}

/* The first attribute of type `nid` that starts with `prefix`, with the prefix removed. */
static int name_attr_prefixed(char **out, const X509_NAME *name, int nid, const char *prefix)
{
    *out = NULL;
    size_t plen = strlen(prefix);
    int i = -1;
    for (;;) {
        i = X509_NAME_get_index_by_NID(name, nid, i);
        if (i < 0) {
            return 0;
        }
        char *v = NULL;
        QTB_TRY(asn1_string_utf8(&v, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)),
                                 OBJ_nid2sn(nid)));
        if (strncmp(v, prefix, plen) == 0 && v[plen] != '\0') {
            *out = qtb_strdup(v + plen);
            qtb_free(v);
            if (*out == NULL) {
                return QTB_FAIL(QTB_ENOMEM, "out of memory");
            }
            return 0;
        }
        qtb_free(v);
    }
}

int qtb_x509_iin(char **out, const X509 *cert)
{
    QTB_ASSERT_ARG(out != NULL && cert != NULL);
    /* SERIALNUMBER "IIN" + 12 digits (kz-pki.md §3.1); absent for information systems. */
    return name_attr_prefixed(out, X509_get_subject_name(cert), NID_serialNumber, "IIN");
}

int qtb_x509_bin(char **out, const X509 *cert)
{
    QTB_ASSERT_ARG(out != NULL && cert != NULL);
    /* OU "BIN" + 12 digits: legal-entity certificates only. */
    return name_attr_prefixed(out, X509_get_subject_name(cert), NID_organizationalUnitName, "BIN");
}

/* ---- roles ----------------------------------------------------------------------------------- */

static const struct {
    unsigned role;
    const char *name;
    const char *oid;
} role_table[] = {
    {QTB_ROLE_INDIVIDUAL, "INDIVIDUAL", "1.2.398.3.3.4.1.1"},
    {QTB_ROLE_ORGANIZATION, "ORGANIZATION", "1.2.398.3.3.4.1.2"},
    {QTB_ROLE_CEO, "CEO", "1.2.398.3.3.4.1.2.1"},
    {QTB_ROLE_CAN_SIGN, "CAN_SIGN", "1.2.398.3.3.4.1.2.2"},
    {QTB_ROLE_CAN_SIGN_FINANCIAL, "CAN_SIGN_FINANCIAL", "1.2.398.3.3.4.1.2.3"},
    {QTB_ROLE_HR, "HR", "1.2.398.3.3.4.1.2.4"},
    {QTB_ROLE_EMPLOYEE, "EMPLOYEE", "1.2.398.3.3.4.1.2.5"},
    {QTB_ROLE_INFORMATION_SYSTEM, "INFORMATION_SYSTEM", "1.2.398.3.3.4.1.2.6"},
    {QTB_ROLE_TREASURY_CLIENT, "TREASURY_CLIENT", "1.2.398.5.19.1.2.2.1"},
};

const char *qtb_role_name(unsigned role)
{
    for (size_t i = 0; i < QTB_ARRAY_LEN(role_table); i++) {
        if (role_table[i].role == role) {
            return role_table[i].name;
        }
    }
    return NULL;
}

static unsigned role_of_oid(const char *oid)
{
    for (size_t i = 0; i < QTB_ARRAY_LEN(role_table); i++) {
        if (strcmp(oid, role_table[i].oid) == 0) {
            return role_table[i].role;
        }
    }
    /* 1.2.398.3.3.4.1.2.6.* name specific information systems (kz-pki.md §3.2). */
    static const char is_arc[] = "1.2.398.3.3.4.1.2.6.";
    if (strncmp(oid, is_arc, sizeof(is_arc) - 1) == 0) {
        return QTB_ROLE_INFORMATION_SYSTEM;
    }
    return 0;
}

/* The EKU, or NULL when absent; QTB_EPARSE when present but malformed or repeated. */
static int get_eku(EXTENDED_KEY_USAGE **out, const X509 *cert)
{
    int crit = 0;
    *out = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
    if (*out == NULL && crit != -1) {
        return QTB_FAIL_SSL(QTB_EPARSE, "malformed or repeated extendedKeyUsage extension");
    }
    return 0;
}

int qtb_x509_roles(unsigned *out, const X509 *cert)
{
    QTB_ASSERT_ARG(out != NULL && cert != NULL);
    *out = 0;
    EXTENDED_KEY_USAGE *eku = NULL;
    QTB_TRY(get_eku(&eku, cert));
    for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
        char oid[OID_TEXT_MAX];
        oid_text(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i));
        *out |= role_of_oid(oid);
    }
    EXTENDED_KEY_USAGE_free(eku);
    return 0;
}

/* ---- algorithms ------------------------------------------------------------------------------ */

static const struct {
    const char *oid;
    const char *name;
    int bits;
} pkey_table[] = {
    /* kz-pki.md §3.6: NCA's names for its GOST keys. */
    {"1.2.398.3.10.1.1.2.2", "GOST34.10-2015-512", 512},
    {"1.2.398.3.10.1.1.2.1", "GOST34.10-2015-256", 256},
    {"1.2.398.3.10.1.1.1.1", "GOST34.310-2004", 256},
    /* Russian GOST R 34.10 keys, which OpenSSL knows only with the gost engine. */
    {"1.2.643.7.1.1.1.1", "GOSTR34.10-2012-256", 256},
    {"1.2.643.7.1.1.1.2", "GOSTR34.10-2012-512", 512},
    {"1.2.643.2.2.19", "GOSTR34.10-2001", 256},
    {"1.2.840.113549.1.1.1", "RSA", 0},
    {"1.2.840.113549.1.1.10", "RSA-PSS", 0},
    {"1.2.840.10045.2.1", "EC", 0},
    {"1.3.101.112", "Ed25519", 255},
    {"1.3.101.113", "Ed448", 448},
};

static const struct {
    const char *oid;
    const char *name;
} sigalg_table[] = {
    {"1.2.398.3.10.1.1.2.3.2", "GOST34.10-2015-512-with-GOST34.11-2015-512"},
    {"1.2.398.3.10.1.1.2.3.1", "GOST34.10-2015-256-with-GOST34.11-2015-256"},
    {"1.2.398.3.10.1.1.1.2", "GOST34.310-2004-with-GOST34.311-95"},
};

static int add_pkey_fields(json_t *o, const X509 *cert)
{
    const ASN1_OBJECT *alg = NULL;
    X509_PUBKEY *spki = X509_get_X509_PUBKEY(cert);
    if (spki == NULL || !X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, NULL, NULL, NULL, spki)) {
        return QTB_FAIL_SSL(QTB_EPARSE, "certificate has no public key");
    }
    char oid[OID_TEXT_MAX];
    oid_text(oid, sizeof(oid), alg);
    const char *name = NULL;
    int bits = 0;
    for (size_t i = 0; i < QTB_ARRAY_LEN(pkey_table); i++) {
        if (strcmp(oid, pkey_table[i].oid) == 0) {
            name = pkey_table[i].name;
            bits = pkey_table[i].bits;
        }
    }
    if (bits == 0) {
        /* RSA and EC sizes need the decoded key; a key OpenSSL cannot decode has no size. */
        ERR_set_mark();
        EVP_PKEY *pk = X509_get0_pubkey(cert);
        bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
        ERR_pop_to_mark();
    }
    int bad = 0;
    bad |= json_object_set_new(o, "publicKeyAlgorithm", json_string(name != NULL ? name : oid));
    bad |= json_object_set_new(o, "publicKeyAlgorithmOid", json_string(oid));
    bad |= json_object_set_new(o, "publicKeyBits", bits > 0 ? json_integer(bits) : json_null());

    const X509_ALGOR *sigalg = NULL;
    const ASN1_OBJECT *sigobj = NULL;
    X509_get0_signature(NULL, &sigalg, cert);
    X509_ALGOR_get0(&sigobj, NULL, NULL, sigalg);
    oid_text(oid, sizeof(oid), sigobj);
    name = NULL;
    for (size_t i = 0; i < QTB_ARRAY_LEN(sigalg_table); i++) {
        if (strcmp(oid, sigalg_table[i].oid) == 0) {
            name = sigalg_table[i].name;
        }
    }
    int nid = OBJ_obj2nid(sigobj);
    if (name == NULL && nid != NID_undef) {
        name = OBJ_nid2ln(nid);
    }
    bad |= json_object_set_new(o, "signatureAlgorithm", json_string(name != NULL ? name : oid));
    return bad ? QTB_FAIL(QTB_ENOMEM, "out of memory") : 0;
}

/* ---- RFC 4514 names -------------------------------------------------------------------------- */

/*
 * RFC 4514 §3 keywords plus the registered LDAP descriptors (RFC 4519) of the attributes NCA
 * uses; any other type is written as a dotted OID with a #hex value (§2.3, §2.4).
 */
static const struct {
    int nid;
    const char *name;
} rdn_names[] = {
    {NID_commonName, "CN"},
    {NID_localityName, "L"},
    {NID_stateOrProvinceName, "ST"},
    {NID_organizationName, "O"},
    {NID_organizationalUnitName, "OU"},
    {NID_countryName, "C"},
    {NID_streetAddress, "STREET"},
    {NID_domainComponent, "DC"},
    {NID_userId, "UID"},
    {NID_surname, "SN"},
    {NID_givenName, "givenName"},
    {NID_serialNumber, "serialNumber"},
    {NID_title, "title"},
    {NID_initials, "initials"},
    {NID_generationQualifier, "generationQualifier"},
    {NID_dnQualifier, "dnQualifier"},
    {NID_pseudonym, "pseudonym"},
    {NID_businessCategory, "businessCategory"},
    {NID_postalCode, "postalCode"},
    {NID_organizationIdentifier, "organizationIdentifier"},
    {NID_pkcs9_emailAddress, "emailAddress"},
};

static int put_escaped(qtb_buf *b, const char *v)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        bool esc = strchr("\"+,;<>\\", c) != NULL && c != '\0';
        esc = esc || (i == 0 && (c == ' ' || c == '#')) || (i + 1 == n && c == ' ');
        if (c < 0x20 || c == 0x7f) {
            QTB_TRY(qtb_buf_printf(b, "\\%02X", c));
        } else if (esc) {
            QTB_TRY(qtb_buf_put(b, "\\", 1));
            QTB_TRY(qtb_buf_put(b, &c, 1));
        } else {
            QTB_TRY(qtb_buf_put(b, &c, 1));
        }
    }
    return 0;
}

static int put_hex_value(qtb_buf *b, const ASN1_STRING *s)
{
    ASN1_TYPE at;
    memset(&at, 0, sizeof(at));
    at.type = ASN1_STRING_type(s);
    at.value.asn1_string = (ASN1_STRING *)s;
    unsigned char *der = NULL;
    int n = i2d_ASN1_TYPE(&at, &der);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot encode a name attribute");
    }
    int rc = qtb_buf_put(b, "#", 1);
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = qtb_buf_printf(b, "%02x", der[i]);
    }
    OPENSSL_free(der);
    return rc;
}

static int put_entry(qtb_buf *b, const X509_NAME_ENTRY *e)
{
    const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
    const ASN1_STRING *val = X509_NAME_ENTRY_get_data(e);
    int nid = OBJ_obj2nid(obj);
    const char *kw = NULL;
    for (size_t i = 0; i < QTB_ARRAY_LEN(rdn_names); i++) {
        if (rdn_names[i].nid == nid) {
            kw = rdn_names[i].name;
        }
    }
    if (kw == NULL) {
        char oid[OID_TEXT_MAX];
        oid_text(oid, sizeof(oid), obj);
        QTB_TRY(qtb_buf_printf(b, "%s=", oid));
        return put_hex_value(b, val);
    }
    QTB_TRY(qtb_buf_printf(b, "%s=", kw));
    char *v = NULL;
    ERR_set_mark();
    int rc = asn1_string_utf8(&v, val, kw);
    ERR_pop_to_mark();
    if (rc == QTB_ENOMEM) {
        return rc;
    }
    if (rc < 0) {
        /* Not a string type (or not decodable): RFC 4514 §2.4 allows the #hex form. */
        return put_hex_value(b, val);
    }
    rc = put_escaped(b, v);
    qtb_free(v);
    return rc;
}

int qtb_name_rfc4514(char **out, const X509_NAME *name)
{
    QTB_ASSERT_ARG(out != NULL && name != NULL);
    *out = NULL;
    qtb_buf b;
    qtb_buf_init(&b, NAME_MAX_LEN);
    int rc = 0;
    int n = X509_NAME_entry_count(name);
    int prev_set = -1;
    /* RFC 4514 §2.1: the last RDN of the sequence comes first. */
    for (int i = n - 1; i >= 0; i--) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int set = X509_NAME_ENTRY_set(e);
        if (i != n - 1) {
            QTB_TRY_GOTO(qtb_buf_put(&b, set == prev_set ? "+" : ",", 1));
        }
        prev_set = set;
        QTB_TRY_GOTO(put_entry(&b, e));
    }
    QTB_TRY_GOTO(qtb_buf_cstr(&b));
    if (b.data == NULL) {
        *out = qtb_strdup("");
        rc = *out == NULL ? QTB_FAIL(QTB_ENOMEM, "out of memory") : 0;
        goto done;
    }
    *out = (char *)qtb_buf_detach(&b, NULL);
done:
    qtb_buf_dispose(&b);
    return rc;
}

/* ---- the certinfo object ------------------------------------------------------------------- */

static json_t *jstr_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *jbool_or_null(const char *s, bool v)
{
    return s != NULL ? json_boolean(v) : json_null();
}

static int time_rfc3339(char *buf, size_t cap, const ASN1_TIME *t, int64_t *secs)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        return QTB_FAIL_SSL(QTB_EPARSE, "certificate has an invalid validity time");
    }
    int64_t s = (int64_t)timegm(&tm);
    if (secs != NULL) {
        *secs = s;
    }
    qtb_time_rfc3339(buf, cap, s);
    return 0;
}

int qtb_x509_validity(int64_t *not_before, int64_t *not_after, const X509 *cert)
{
    char buf[64];
    QTB_TRY(time_rfc3339(buf, sizeof(buf), X509_get0_notBefore(cert), not_before));
    QTB_TRY(time_rfc3339(buf, sizeof(buf), X509_get0_notAfter(cert), not_after));
    return 0;
}

static json_t *hex_string(const unsigned char *p, size_t n)
{
    char *hex = qtb_malloc(2 * n + 1);
    if (hex == NULL) {
        return NULL;
    }
    qtb_hex_encode(hex, p, n);
    json_t *s = json_string(hex);
    qtb_free(hex);
    return s;
}

static json_t *octets_or_null(const ASN1_OCTET_STRING *os)
{
    if (os == NULL) {
        return json_null();
    }
    return hex_string(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
}

static json_t *serial_hex(const X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (bn == NULL) {
        return NULL;
    }
    char *hex = BN_bn2hex(bn);
    BN_free(bn);
    if (hex == NULL) {
        return NULL;
    }
    for (char *p = hex; *p; p++) {
        if (*p >= 'A' && *p <= 'F') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    json_t *s = json_string(hex);
    OPENSSL_free(hex);
    return s;
}

static int add_identity(json_t *o, const X509 *cert)
{
    const X509_NAME *subj = X509_get_subject_name(cert);
    char *cn = NULL, *sn = NULL, *patr = NULL, *given = NULL, *iin = NULL, *bin = NULL;
    char *org = NULL, *email = NULL, *c = NULL, *l = NULL, *st = NULL, *bc = NULL;
    int rc = 0;
    QTB_TRY_GOTO(qtb_x509_name_attr(&cn, subj, NID_commonName));
    QTB_TRY_GOTO(qtb_x509_name_attr(&sn, subj, NID_surname));
    /* NCA puts the patronymic (отчество) in GIVENNAME, kz-pki.md §3.1. */
    QTB_TRY_GOTO(qtb_x509_name_attr(&patr, subj, NID_givenName));
    QTB_TRY_GOTO(qtb_x509_iin(&iin, cert));
    QTB_TRY_GOTO(qtb_x509_bin(&bin, cert));
    QTB_TRY_GOTO(qtb_x509_name_attr(&org, subj, NID_organizationName));
    QTB_TRY_GOTO(qtb_x509_name_attr(&email, subj, NID_pkcs9_emailAddress));
    QTB_TRY_GOTO(qtb_x509_name_attr(&c, subj, NID_countryName));
    QTB_TRY_GOTO(qtb_x509_name_attr(&l, subj, NID_localityName));
    QTB_TRY_GOTO(qtb_x509_name_attr(&st, subj, NID_stateOrProvinceName));
    QTB_TRY_GOTO(qtb_x509_name_attr(&bc, subj, NID_businessCategory));

    /* CN is "SURNAME GIVEN": the first name is what follows the surname. */
    if (cn != NULL && sn != NULL) {
        size_t snlen = strlen(sn);
        if (snlen > 0 && strncmp(cn, sn, snlen) == 0 && cn[snlen] == ' ') {
            const char *g = cn + snlen;
            while (*g == ' ') {
                g++;
            }
            if (*g != '\0') {
                given = qtb_strdup(g);
                if (given == NULL) {
                    rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
                    goto done;
                }
            }
        }
    }

    char birth[16] = "";
    const char *gender = NULL;
    qtb_iin_info ii;
    if (iin != NULL && qtb_iin_decode(&ii, iin) == 0) {
        snprintf(birth, sizeof(birth), "%04d-%02d-%02d", ii.year, ii.month, ii.day);
        gender = ii.sex == QTB_SEX_MALE ? "MALE" : ii.sex == QTB_SEX_FEMALE ? "FEMALE" : NULL;
    }
    const char *entity = NULL;
    qtb_bin_info bi;
    if (bin != NULL && qtb_bin_decode(&bi, bin) == 0) {
        entity = bi.entity_name;
    }

    int bad = 0;
    bad |= json_object_set_new(o, "commonName", jstr_or_null(cn));
    bad |= json_object_set_new(o, "surname", jstr_or_null(sn));
    bad |= json_object_set_new(o, "givenName", jstr_or_null(given));
    bad |= json_object_set_new(o, "patronymic", jstr_or_null(patr));
    bad |= json_object_set_new(o, "iin", jstr_or_null(iin));
    bad |= json_object_set_new(o, "iinValid",
                               jbool_or_null(iin, iin && qtb_idnum_check(iin) == QTB_IDNUM_VALID));
    bad |= json_object_set_new(o, "birthDate", jstr_or_null(birth[0] ? birth : NULL));
    bad |= json_object_set_new(o, "gender", jstr_or_null(gender));
    bad |= json_object_set_new(o, "bin", jstr_or_null(bin));
    bad |= json_object_set_new(o, "binValid",
                               jbool_or_null(bin, bin && qtb_idnum_check(bin) == QTB_IDNUM_VALID));
    bad |= json_object_set_new(o, "binEntityType", jstr_or_null(entity));
    bad |= json_object_set_new(o, "organization", jstr_or_null(org));
    bad |= json_object_set_new(o, "email", jstr_or_null(email));
    bad |= json_object_set_new(o, "country", jstr_or_null(c));
    bad |= json_object_set_new(o, "locality", jstr_or_null(l));
    bad |= json_object_set_new(o, "state", jstr_or_null(st));
    bad |= json_object_set_new(o, "businessCategory", jstr_or_null(bc));
    if (bad) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    qtb_free(cn);
    qtb_free(sn);
    qtb_free(patr);
    qtb_free(given);
    qtb_free(iin);
    qtb_free(bin);
    qtb_free(org);
    qtb_free(email);
    qtb_free(c);
    qtb_free(l);
    qtb_free(st);
    qtb_free(bc);
    return rc;
}

static const char *const ku_names[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
    "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly",
};

static int add_usage(json_t *o, const X509 *cert)
{
    int rc = 0;
    int crit = 0;
    json_t *roles = json_array();
    json_t *ku = json_array();
    json_t *eku = json_array();
    json_t *pol = json_array();
    ASN1_BIT_STRING *kubits = NULL;
    EXTENDED_KEY_USAGE *ekus = NULL;
    CERTIFICATEPOLICIES *cps = NULL;
    if (roles == NULL || ku == NULL || eku == NULL || pol == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    unsigned r = 0;
    QTB_TRY_GOTO(qtb_x509_roles(&r, cert));
    for (size_t i = 0; i < QTB_ARRAY_LEN(role_table); i++) {
        if ((r & role_table[i].role) != 0 &&
            json_array_append_new(roles, json_string(role_table[i].name))) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
    }

    kubits = X509_get_ext_d2i(cert, NID_key_usage, &crit, NULL);
    if (kubits == NULL && crit != -1) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "malformed or repeated keyUsage extension");
        goto done;
    }
    for (int i = 0; kubits != NULL && i < (int)QTB_ARRAY_LEN(ku_names); i++) {
        if (ASN1_BIT_STRING_get_bit(kubits, i) &&
            json_array_append_new(ku, json_string(ku_names[i]))) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
    }

    QTB_TRY_GOTO(get_eku(&ekus, cert));
    for (int i = 0; ekus != NULL && i < sk_ASN1_OBJECT_num(ekus); i++) {
        char oid[OID_TEXT_MAX];
        oid_text(oid, sizeof(oid), sk_ASN1_OBJECT_value(ekus, i));
        if (json_array_append_new(eku, json_string(oid))) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
    }

    cps = X509_get_ext_d2i(cert, NID_certificate_policies, &crit, NULL);
    if (cps == NULL && crit != -1) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "malformed or repeated certificatePolicies extension");
        goto done;
    }
    for (int i = 0; cps != NULL && i < sk_POLICYINFO_num(cps); i++) {
        char oid[OID_TEXT_MAX];
        oid_text(oid, sizeof(oid), sk_POLICYINFO_value(cps, i)->policyid);
        if (json_array_append_new(pol, json_string(oid))) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
    }
    int bad = 0;
    bad |= json_object_set(o, "roles", roles);
    bad |= json_object_set(o, "keyUsage", ku);
    bad |= json_object_set(o, "extendedKeyUsage", eku);
    bad |= json_object_set(o, "policies", pol);
    if (bad) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    json_decref(roles);
    json_decref(ku);
    json_decref(eku);
    json_decref(pol);
    ASN1_BIT_STRING_free(kubits);
    EXTENDED_KEY_USAGE_free(ekus);
    CERTIFICATEPOLICIES_free(cps);
    return rc;
}

/* Self-issued with matching key identifiers; the signature itself is not checked here. */
static bool is_self_signed(X509 *cert)
{
    if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
        return false;
    }
    ERR_set_mark();
    AUTHORITY_KEYID *akid = X509_get_ext_d2i(cert, NID_authority_key_identifier, NULL, NULL);
    int r = X509_check_akid(cert, akid);
    AUTHORITY_KEYID_free(akid);
    ERR_pop_to_mark();
    return r == X509_V_OK;
}

static int add_names_and_times(json_t *o, X509 *cert)
{
    char *issuer = NULL, *subject = NULL;
    int rc = 0;
    QTB_TRY_GOTO(qtb_name_rfc4514(&issuer, X509_get_issuer_name(cert)));
    QTB_TRY_GOTO(qtb_name_rfc4514(&subject, X509_get_subject_name(cert)));
    char nb[64], na[64];
    QTB_TRY_GOTO(time_rfc3339(nb, sizeof(nb), X509_get0_notBefore(cert), NULL));
    QTB_TRY_GOTO(time_rfc3339(na, sizeof(na), X509_get0_notAfter(cert), NULL));
    int bad = 0;
    bad |= json_object_set_new(o, "serialNumber", serial_hex(cert));
    bad |= json_object_set_new(o, "issuer", json_string(issuer));
    bad |= json_object_set_new(o, "subject", json_string(subject));
    bad |= json_object_set_new(o, "notBefore", json_string(nb));
    bad |= json_object_set_new(o, "notAfter", json_string(na));
    if (bad) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    qtb_free(issuer);
    qtb_free(subject);
    return rc;
}

static int add_ids(json_t *o, X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!X509_digest(cert, EVP_sha256(), md, &mdlen)) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "cannot hash the certificate");
    }
    int bad = 0;
    bad |= json_object_set_new(o, "subjectKeyIdentifier",
                               octets_or_null(X509_get0_subject_key_id(cert)));
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cert);
    bad |= json_object_set_new(o, "authorityKeyIdentifier", octets_or_null(akid));
    bad |= json_object_set_new(o, "fingerprint", hex_string(md, mdlen));
    bad |= json_object_set_new(o, "selfSigned", json_boolean(is_self_signed(cert)));
    bad |= json_object_set_new(o, "isCA", json_boolean(X509_get_extension_flags(cert) & EXFLAG_CA));
    return bad ? QTB_FAIL(QTB_ENOMEM, "out of memory") : 0;
}

int qtb_certinfo_json(json_t **out, X509 *cert)
{
    QTB_ASSERT_ARG(out != NULL && cert != NULL);
    *out = NULL;
    /* Caches the extensions; a certificate whose extensions do not decode is malformed. */
    uint32_t flags = X509_get_extension_flags(cert);
    if ((flags & EXFLAG_INVALID) != 0) {
        return QTB_FAIL(QTB_EPARSE, "certificate has malformed extensions");
    }
    json_t *o = json_object();
    if (o == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = 0;
    QTB_TRY_GOTO(add_identity(o, cert));
    QTB_TRY_GOTO(add_usage(o, cert));
    QTB_TRY_GOTO(add_names_and_times(o, cert));
    QTB_TRY_GOTO(add_pkey_fields(o, cert));
    QTB_TRY_GOTO(add_ids(o, cert));
    *out = o;
    o = NULL;
done:
    json_decref(o);
    return rc;
}
