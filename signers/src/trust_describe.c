/*
 * What a trust set holds, as JSON, for operators (`qoltanba trust DIR`): every anchor and
 * untrusted certificate, and every CRL with the verdict the path validator would reach on its
 * own terms (issuer present, signature, critical extensions, freshness at `now`).
 */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <qtb/trust.h>

#include "internal.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_priv.h"

static int set_new(json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return 0;
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    qtb_time_rfc3339(buf, sizeof(buf), t);
    return json_string(buf);
}

static int cert_json(json_t **out, const qtb_tcert *c)
{
    char name[400], hex[2 * QTB_FP_LEN + 1];
    json_t *o = json_object();
    if (o == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = 0;
    qtb_name_label(name, sizeof(name), X509_get_subject_name(c->x));
    qtb_hex_encode(hex, c->fp, QTB_FP_LEN);
    QTB_TRY_GOTO(set_new(o, "subject", json_string(name)));
    QTB_TRY_GOTO(set_new(o, "sha256", json_string(hex)));
    if (c->meta.times_ok) {
        QTB_TRY_GOTO(set_new(o, "not_before", time_json(c->meta.not_before)));
        QTB_TRY_GOTO(set_new(o, "not_after", time_json(c->meta.not_after)));
    }
    bool self_issued = X509_NAME_cmp(X509_get_subject_name(c->x), X509_get_issuer_name(c->x)) == 0;
    QTB_TRY_GOTO(set_new(o, "self_issued", json_boolean(self_issued)));
    *out = o;
    return 0;
done:
    json_decref(o);
    return rc;
}

/* The certificate in the set that issued `crl` (name, then key identifier), or NULL. */
static const qtb_tcert *crl_issuer(const qtb_trust *t, const qtb_tcrl *c)
{
    for (int pass = 0; pass < 2; pass++) {
        const qtb_tcert *list = pass == 0 ? t->anchors : t->untrusted;
        size_t n = pass == 0 ? t->nanchors : t->nuntrusted;
        for (size_t i = 0; i < n; i++) {
            if (X509_NAME_cmp(X509_get_subject_name(list[i].x), X509_CRL_get_issuer(c->crl)) != 0) {
                continue;
            }
            const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(list[i].x);
            if (c->akid != NULL && skid != NULL && ASN1_OCTET_STRING_cmp(c->akid, skid) != 0) {
                continue;
            }
            return &list[i];
        }
    }
    return NULL;
}

/* "valid", "invalid", "no issuer certificate in the trust set", or why it cannot be checked. */
static int crl_signature_text(char *buf, size_t cap, const qtb_trust *t, const qtb_tcrl *c)
{
    const qtb_tcert *iss = crl_issuer(t, c);
    if (iss == NULL) {
        snprintf(buf, cap, "no issuer certificate in the trust set");
        return 0;
    }
    int ok = 0;
    int rc = qtb_sig_verify_crl_der(&ok, c->der, c->der_len, X509_get_X509_PUBKEY(iss->x));
    if (rc == QTB_EUNSUPPORTED || rc == QTB_EPARSE) {
        snprintf(buf, cap, "cannot be checked: %s", qtb_error_last()->message);
        qtb_error_clear();
        return 0;
    }
    QTB_TRY(rc);
    snprintf(buf, cap, "%s", ok ? "valid" : "invalid");
    return 0;
}

static int crl_json(json_t **out, const qtb_trust *t, const qtb_tcrl *c, int64_t now)
{
    char name[400], sig[300];
    json_t *o = json_object();
    if (o == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = 0;
    qtb_name_label(name, sizeof(name), X509_CRL_get_issuer(c->crl));
    QTB_TRY_GOTO(crl_signature_text(sig, sizeof(sig), t, c));
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(c->crl);
    int entries = revoked != NULL ? sk_X509_REVOKED_num(revoked) : 0;
    bool stale = c->next_update != 0 && now > c->next_update;
    QTB_TRY_GOTO(set_new(o, "file", json_string(c->file)));
    QTB_TRY_GOTO(set_new(o, "issuer", json_string(name)));
    QTB_TRY_GOTO(set_new(o, "this_update", time_json(c->this_update)));
    QTB_TRY_GOTO(
        set_new(o, "next_update", c->next_update != 0 ? time_json(c->next_update) : json_null()));
    QTB_TRY_GOTO(set_new(o, "entries", json_integer(entries)));
    QTB_TRY_GOTO(set_new(o, "delta", json_boolean(c->delta)));
    QTB_TRY_GOTO(set_new(o, "signature", json_string(sig)));
    QTB_TRY_GOTO(set_new(o, "expired", json_boolean(stale)));
    if (c->unusable) {
        QTB_TRY_GOTO(set_new(o, "unusable", json_string(c->unusable_why)));
    }
    *out = o;
    return 0;
done:
    json_decref(o);
    return rc;
}

static int certs_json(json_t *doc, const char *key, const qtb_tcert *list, size_t n)
{
    json_t *arr = json_array();
    QTB_TRY(set_new(doc, key, arr));
    for (size_t i = 0; i < n; i++) {
        json_t *o = NULL;
        QTB_TRY(cert_json(&o, &list[i]));
        if (json_array_append_new(arr, o) != 0) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    return 0;
}

int qtb_trust_describe_json(char **out, const qtb_trust *t, int64_t now)
{
    QTB_ASSERT_ARG(out != NULL && t != NULL);
    *out = NULL;
    int rc = 0;
    json_t *doc = json_object();
    json_t *crls = json_array();
    if (doc == NULL || crls == NULL) {
        json_decref(doc);
        json_decref(crls);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    QTB_TRY_GOTO(certs_json(doc, "anchors", t->anchors, t->nanchors));
    QTB_TRY_GOTO(certs_json(doc, "untrusted", t->untrusted, t->nuntrusted));
    QTB_TRY_GOTO(set_new(doc, "crls", json_incref(crls)));
    for (size_t i = 0; i < t->ncrls; i++) {
        json_t *o = NULL;
        QTB_TRY_GOTO(crl_json(&o, t, &t->crls[i], now));
        if (json_array_append_new(crls, o) != 0) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
    }
    *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*out == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    json_decref(crls);
    json_decref(doc);
    return rc;
}
