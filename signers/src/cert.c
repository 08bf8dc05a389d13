/* One certificate from DER, PEM or bare base64, with the identity fields cached. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <qtb/cert.h>

#include "certinfo_int.h"
#include "cms_int.h"
#include "internal.h"

struct qtb_cert {
    X509 *x509;
    char *iin;
    char *bin;
    char *cn;
    unsigned roles;
    int64_t not_before;
    int64_t not_after;
};

/* Occurrences of `needle` in the bytes (PEM files are small; QTB_MAX_CERT_FILE bounds them). */
static size_t count_bytes(const unsigned char *in, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    size_t count = 0;
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(in + i, needle, n) == 0) {
            count++;
            i += n - 1;
        }
    }
    return count;
}

/* Parse DER that must be exactly one certificate. */
static int parse_der(X509 **out, const unsigned char *der, size_t len)
{
    int ilen = 0;
    QTB_TRY(qtb_size_to_int(&ilen, len));
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, ilen);
    if (x == NULL) {
        char msg[256];
        if (qtb_wrong_kind(msg, sizeof(msg), der, len, "an X.509 certificate", "a certificate")) {
            ERR_clear_error();
            return QTB_FAIL(QTB_EPARSE, "%s", msg);
        }
        return QTB_FAIL_SSL(QTB_EPARSE, "not a certificate");
    }
    if (p != der + len) {
        /* Two DER certificates back to back deserve the same answer as a two-block PEM. */
        size_t count = 1;
        ERR_set_mark();
        while (p < der + len) {
            X509 *next = d2i_X509(NULL, &p, (long)(der + len - p));
            if (next == NULL) {
                count = 0;
                break;
            }
            X509_free(next);
            count++;
        }
        ERR_pop_to_mark();
        X509_free(x);
        if (count > 1) {
            return QTB_FAIL(QTB_EPARSE, "file holds %zu certificates; give one", count);
        }
        return QTB_FAIL(QTB_EPARSE, "trailing bytes after the certificate");
    }
    *out = x;
    return 0;
}

int qtb_x509_from_input(X509 **out, const unsigned char *data, size_t len)
{
    QTB_ASSERT_ARG(out != NULL && (data != NULL || len == 0));
    *out = NULL;
    if (len > QTB_MAX_CERT_FILE) {
        return QTB_FAIL(QTB_ETOOBIG, "certificate file is larger than %u bytes", QTB_MAX_CERT_FILE);
    }
    size_t blocks = count_bytes(data, len, "-----BEGIN ");
    if (blocks > 1) {
        size_t certs = count_bytes(data, len, "-----BEGIN CERTIFICATE-----");
        if (certs == blocks) {
            return QTB_FAIL(QTB_EPARSE, "file holds %zu certificates; give one", certs);
        }
        return QTB_FAIL(QTB_EPARSE, "file holds %zu PEM blocks; give one certificate", blocks);
    }
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form = QTB_FORM_DER;
    char label[80];
    QTB_TRY(
        qtb_decode_binary_input(&der, &der_len, &owned, &form, label, sizeof(label), data, len));
    int rc = 0;
    if (form == QTB_FORM_PEM && strcmp(label, "CERTIFICATE") != 0 &&
        strcmp(label, "X509 CERTIFICATE") != 0) {
        rc = QTB_FAIL(QTB_EPARSE, "PEM block is \"%s\", not CERTIFICATE", label);
        goto done;
    }
    rc = parse_der(out, der, der_len);
done:
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

int qtb_cert_from_x509(qtb_cert **out, X509 *x509)
{
    QTB_ASSERT_ARG(out != NULL && x509 != NULL);
    *out = NULL;
    if ((X509_get_extension_flags(x509) & EXFLAG_INVALID) != 0) {
        return QTB_FAIL(QTB_EPARSE, "certificate has malformed extensions");
    }
    qtb_cert *c = qtb_calloc(1, sizeof(*c));
    if (c == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = 0;
    if (!X509_up_ref(x509)) {
        qtb_free(c);
        return QTB_FAIL_SSL(QTB_ECRYPTO, "X509_up_ref failed");
    }
    c->x509 = x509;
    QTB_TRY_GOTO(qtb_x509_iin(&c->iin, x509));
    QTB_TRY_GOTO(qtb_x509_bin(&c->bin, x509));
    QTB_TRY_GOTO(qtb_x509_name_attr(&c->cn, X509_get_subject_name(x509), NID_commonName));
    QTB_TRY_GOTO(qtb_x509_roles(&c->roles, x509));
    QTB_TRY_GOTO(qtb_x509_validity(&c->not_before, &c->not_after, x509));
    *out = c;
    c = NULL;
done:
    qtb_cert_free(c);
    return rc;
}

int qtb_cert_load(qtb_cert **out, const unsigned char *data, size_t len)
{
    QTB_ASSERT_ARG(out != NULL && (data != NULL || len == 0));
    *out = NULL;
    X509 *x = NULL;
    QTB_TRY(qtb_x509_from_input(&x, data, len));
    int rc = qtb_cert_from_x509(out, x);
    X509_free(x);
    return rc;
}

void qtb_cert_free(qtb_cert *c)
{
    if (c == NULL) {
        return;
    }
    X509_free(c->x509);
    qtb_free(c->iin);
    qtb_free(c->bin);
    qtb_free(c->cn);
    qtb_free(c);
}

X509 *qtb_cert_x509(const qtb_cert *c)
{
    return c != NULL ? c->x509 : NULL;
}

/* {"certificate": <certinfo of x>} plus, when given, "chain": [...], dumped as UTF-8 JSON. */
int qtb_certinfo_document(char **out, X509 *x, const STACK_OF(X509) * chain)
{
    QTB_ASSERT_ARG(out != NULL && x != NULL);
    *out = NULL;
    json_t *doc = json_object();
    json_t *cert = NULL;
    json_t *arr = NULL;
    int rc = 0;
    if (doc == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    QTB_TRY_GOTO(qtb_certinfo_json(&cert, x));
    if (json_object_set_new(doc, "certificate", cert) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    if (chain != NULL) {
        arr = json_array();
        if (arr == NULL || json_object_set(doc, "chain", arr) != 0) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < sk_X509_num(chain); i++) {
            json_t *one = NULL;
            QTB_TRY_GOTO(qtb_certinfo_json(&one, sk_X509_value(chain, i)));
            if (json_array_append_new(arr, one) != 0) {
                rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
                goto done;
            }
        }
    }
    *out = json_dumps(doc, JSON_INDENT(2));
    if (*out == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    json_decref(arr);
    json_decref(doc);
    return rc;
}

int qtb_cert_info_json(char **out, const qtb_cert *c)
{
    QTB_ASSERT_ARG(out != NULL && c != NULL);
    return qtb_certinfo_document(out, c->x509, NULL);
}

const char *qtb_cert_iin(const qtb_cert *c)
{
    return c != NULL ? c->iin : NULL;
}

const char *qtb_cert_bin(const qtb_cert *c)
{
    return c != NULL ? c->bin : NULL;
}

const char *qtb_cert_common_name(const qtb_cert *c)
{
    return c != NULL ? c->cn : NULL;
}

unsigned qtb_cert_roles(const qtb_cert *c)
{
    return c != NULL ? c->roles : 0;
}

int64_t qtb_cert_not_before(const qtb_cert *c)
{
    return c != NULL ? c->not_before : 0;
}

int64_t qtb_cert_not_after(const qtb_cert *c)
{
    return c != NULL ? c->not_after : 0;
}
