/* Reports: verdict bookkeeping and the JSON document shared by every verifier. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"
#include "report_int.h"

static const char *const sub_names[] = {
    [QTB_SUB_NONE] = NULL,
    [QTB_SUB_FORMAT_FAILURE] = "FORMAT_FAILURE",
    [QTB_SUB_HASH_FAILURE] = "HASH_FAILURE",
    [QTB_SUB_SIG_CRYPTO_FAILURE] = "SIG_CRYPTO_FAILURE",
    [QTB_SUB_REVOKED] = "REVOKED",
    [QTB_SUB_EXPIRED] = "EXPIRED",
    [QTB_SUB_NOT_YET_VALID] = "NOT_YET_VALID",
    [QTB_SUB_SIG_CONSTRAINTS_FAILURE] = "SIG_CONSTRAINTS_FAILURE",
    [QTB_SUB_CHAIN_CONSTRAINTS_FAILURE] = "CHAIN_CONSTRAINTS_FAILURE",
    [QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE] = "CERTIFICATE_CHAIN_GENERAL_FAILURE",
    [QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE] = "CRYPTO_CONSTRAINTS_FAILURE",
    [QTB_SUB_POLICY_PROCESSING_ERROR] = "POLICY_PROCESSING_ERROR",
    [QTB_SUB_SIGNATURE_POLICY_NOT_AVAILABLE] = "SIGNATURE_POLICY_NOT_AVAILABLE",
    [QTB_SUB_TIMESTAMP_ORDER_FAILURE] = "TIMESTAMP_ORDER_FAILURE",
    [QTB_SUB_NO_SIGNING_CERTIFICATE_FOUND] = "NO_SIGNING_CERTIFICATE_FOUND",
    [QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND] = "NO_CERTIFICATE_CHAIN_FOUND",
    [QTB_SUB_REVOKED_NO_POE] = "REVOKED_NO_POE",
    [QTB_SUB_REVOKED_CA_NO_POE] = "REVOKED_CA_NO_POE",
    [QTB_SUB_OUT_OF_BOUNDS_NO_POE] = "OUT_OF_BOUNDS_NO_POE",
    [QTB_SUB_OUT_OF_BOUNDS_NOT_REVOKED] = "OUT_OF_BOUNDS_NOT_REVOKED",
    [QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE] = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
    [QTB_SUB_NO_POE] = "NO_POE",
    [QTB_SUB_TRY_LATER] = "TRY_LATER",
    [QTB_SUB_SIGNED_DATA_NOT_FOUND] = "SIGNED_DATA_NOT_FOUND",
    [QTB_SUB_UNEXPECTED_ERROR] = "UNEXPECTED_ERROR",
    [QTB_SUB_NO_SIGNATURE_FOUND] = "NO_SIGNATURE_FOUND",
};

const char *qtb_indication_name(qtb_indication ind)
{
    switch (ind) {
    case QTB_TOTAL_PASSED:
        return "TOTAL_PASSED";
    case QTB_TOTAL_FAILED:
        return "TOTAL_FAILED";
    case QTB_INDETERMINATE:
    default:
        return "INDETERMINATE";
    }
}

const char *qtb_subindication_name(qtb_subindication sub)
{
    if ((size_t)sub >= QTB_ARRAY_LEN(sub_names)) {
        return NULL;
    }
    return sub_names[sub];
}

qtb_subindication qtb_subindication_from_name(const char *name)
{
    if (name == NULL) {
        return QTB_SUB_NONE;
    }
    for (size_t i = 1; i < QTB_ARRAY_LEN(sub_names); i++) {
        if (sub_names[i] != NULL && strcmp(sub_names[i], name) == 0) {
            return (qtb_subindication)i;
        }
    }
    return QTB_SUB_NONE;
}

int qtb_report_new(qtb_report **out, const char *format)
{
    QTB_ASSERT_ARG(out != NULL && format != NULL);
    *out = NULL;
    qtb_report *r = qtb_calloc(1, sizeof(*r));
    if (r == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory creating a report");
    }
    r->format = qtb_strdup(format);
    if (r->format == NULL) {
        qtb_free(r);
        return QTB_FAIL(QTB_ENOMEM, "out of memory creating a report");
    }
    *out = r;
    return 0;
}

void qtb_report_free(qtb_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nsigs; i++) {
        qtb_free(r->sigs[i].message);
        json_decref(r->sigs[i].obj);
    }
    qtb_free(r->sigs);
    json_decref(r->extra);
    qtb_free(r->format);
    qtb_free(r->doc_message);
    qtb_free(r);
}

int qtb_report_add_signature(qtb_sig_report **out, qtb_report *r)
{
    QTB_ASSERT_ARG(out != NULL && r != NULL);
    if (r->nsigs == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        size_t bytes = 0;
        if (qtb_mul_overflows(cap, sizeof(*r->sigs), &bytes)) {
            return QTB_FAIL(QTB_ETOOBIG, "too many signatures");
        }
        qtb_sig_report *p = qtb_realloc(r->sigs, bytes);
        if (p == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory adding a signature to a report");
        }
        r->sigs = p;
        r->cap = cap;
    }
    qtb_sig_report *s = &r->sigs[r->nsigs];
    memset(s, 0, sizeof(*s));
    s->obj = json_object();
    if (s->obj == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory adding a signature to a report");
    }
    s->indication = QTB_INDETERMINATE;
    r->nsigs++;
    *out = s;
    return 0;
}

/*
 * Length of the valid UTF-8 sequence at p (RFC 3629 §3-4: shortest form, no surrogates, at most
 * U+10FFFF), or 0 when p does not begin one. `left` bytes are readable.
 */
static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) {
        return 0;
    }
    if (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) {
        return 0;
    }
    return n;
}

void qtb_utf8_repair(char *s)
{
    size_t left = strlen(s);
    unsigned char *p = (unsigned char *)s;
    while (left > 0) {
        size_t n = utf8_seq_len(p, left);
        if (n == 0) {
            *p = '?';
            n = 1;
        }
        p += n;
        left -= n;
    }
}

json_t *qtb_json_string_lossy(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    json_t *j = json_string(s);
    if (j != NULL) {
        return j;
    }
    char *copy = qtb_strdup(s);
    if (copy == NULL) {
        return NULL;
    }
    qtb_utf8_repair(copy);
    j = json_string(copy);
    qtb_free(copy);
    return j;
}

static int set_message(char **dst, const char *fmt, va_list ap) QTB_PRINTF(2, 0);

static int set_message(char **dst, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    /* Arguments are cut with %.Ns and the whole with the buffer, possibly mid-character. */
    qtb_utf8_repair(buf);
    char *m = qtb_strdup(buf);
    if (m == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory setting a verdict");
    }
    qtb_free(*dst);
    *dst = m;
    return 0;
}

int qtb_sig_report_set(qtb_sig_report *s, qtb_indication ind, qtb_subindication sub,
                       const char *fmt, ...)
{
    QTB_ASSERT_ARG(s != NULL && fmt != NULL);
    va_list ap;
    va_start(ap, fmt);
    int rc = set_message(&s->message, fmt, ap);
    va_end(ap);
    QTB_TRY(rc);
    s->indication = ind;
    s->sub = sub;
    return 0;
}

int qtb_report_set_document_failure(qtb_report *r, qtb_subindication sub, const char *fmt, ...)
{
    QTB_ASSERT_ARG(r != NULL && fmt != NULL);
    va_list ap;
    va_start(ap, fmt);
    int rc = set_message(&r->doc_message, fmt, ap);
    va_end(ap);
    QTB_TRY(rc);
    r->doc_sub = sub;
    return 0;
}

const char *qtb_report_format(const qtb_report *r)
{
    return r ? r->format : "";
}

/* FORMAT_FAILURE / HASH / SIG_CRYPTO / REVOKED / EXPIRED / NOT_YET_VALID are failures. */
static qtb_indication doc_failure_indication(qtb_subindication sub)
{
    return sub >= QTB_SUB_FORMAT_FAILURE && sub <= QTB_SUB_NOT_YET_VALID ? QTB_TOTAL_FAILED
                                                                         : QTB_INDETERMINATE;
}

qtb_indication qtb_report_indication(const qtb_report *r)
{
    if (r == NULL) {
        return QTB_INDETERMINATE;
    }
    if (r->doc_sub != QTB_SUB_NONE) {
        return doc_failure_indication(r->doc_sub);
    }
    if (r->nsigs == 0) {
        return QTB_INDETERMINATE;
    }
    /* Any failure fails the document; otherwise any doubt keeps it indeterminate. */
    qtb_indication worst = QTB_TOTAL_PASSED;
    for (size_t i = 0; i < r->nsigs; i++) {
        if (r->sigs[i].indication == QTB_TOTAL_FAILED) {
            return QTB_TOTAL_FAILED;
        }
        if (r->sigs[i].indication != QTB_TOTAL_PASSED) {
            worst = QTB_INDETERMINATE;
        }
    }
    return worst;
}

qtb_subindication qtb_report_subindication(const qtb_report *r)
{
    if (r == NULL) {
        return QTB_SUB_UNEXPECTED_ERROR;
    }
    if (r->doc_sub != QTB_SUB_NONE) {
        return r->doc_sub;
    }
    if (r->nsigs == 0) {
        return QTB_SUB_NO_SIGNATURE_FOUND;
    }
    qtb_indication overall = qtb_report_indication(r);
    for (size_t i = 0; i < r->nsigs; i++) {
        if (r->sigs[i].indication == overall) {
            return r->sigs[i].sub;
        }
    }
    return QTB_SUB_NONE;
}

size_t qtb_report_signature_count(const qtb_report *r)
{
    return r ? r->nsigs : 0;
}

qtb_indication qtb_report_signature_indication(const qtb_report *r, size_t i)
{
    return r != NULL && i < r->nsigs ? r->sigs[i].indication : QTB_INDETERMINATE;
}

qtb_subindication qtb_report_signature_subindication(const qtb_report *r, size_t i)
{
    return r != NULL && i < r->nsigs ? r->sigs[i].sub : QTB_SUB_NONE;
}

const char *qtb_report_signature_message(const qtb_report *r, size_t i)
{
    if (r == NULL || i >= r->nsigs || r->sigs[i].message == NULL) {
        return "";
    }
    return r->sigs[i].message;
}

static json_t *sub_json(qtb_subindication sub)
{
    const char *n = qtb_subindication_name(sub);
    return n ? json_string(n) : json_null();
}

int qtb_report_to_json(char **out, const qtb_report *r)
{
    QTB_ASSERT_ARG(out != NULL && r != NULL);
    *out = NULL;
    int rc = 0;
    json_t *doc = json_object();
    json_t *sigs = json_array();
    if (doc == NULL || sigs == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising a report");
        goto done;
    }
    bool ok =
        json_object_set_new(doc, "format", json_string(r->format)) == 0 &&
        json_object_set_new(doc, "indication",
                            json_string(qtb_indication_name(qtb_report_indication(r)))) == 0 &&
        json_object_set_new(doc, "subIndication", sub_json(qtb_report_subindication(r))) == 0;
    if (ok && r->doc_message != NULL) {
        ok = json_object_set_new(doc, "message", json_string(r->doc_message)) == 0;
    }
    for (size_t i = 0; ok && i < r->nsigs; i++) {
        const qtb_sig_report *s = &r->sigs[i];
        json_t *o = json_object();
        ok = o != NULL &&
             json_object_set_new(o, "indication",
                                 json_string(qtb_indication_name(s->indication))) == 0 &&
             json_object_set_new(o, "subIndication", sub_json(s->sub)) == 0 &&
             json_object_set_new(o, "message", json_string(s->message ? s->message : "")) == 0 &&
             json_object_update(o, s->obj) == 0 && json_array_append_new(sigs, o) == 0;
        if (!ok) {
            json_decref(o);
        }
    }
    if (ok && r->extra != NULL) {
        ok = json_object_update(doc, r->extra) == 0;
    }
    if (ok) {
        ok = json_object_set(doc, "signatures", sigs) == 0;
    }
    if (!ok) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising a report");
        goto done;
    }
    *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*out == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising a report");
    }
done:
    json_decref(sigs);
    json_decref(doc);
    return rc;
}

void qtb_string_free(char *s)
{
    /* Strings from jansson and from qtb_malloc both come from malloc. */
    qtb_free(s);
}

void qtb_time_rfc3339(char *buf, size_t cap, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, cap, "invalid-time");
        return;
    }
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return -1;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int qtb_time_parse_rfc3339(int64_t *out, const char *s)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL);
    const char *p = s;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    bool ok = parse_digits(&p, 4, &y) == 0 && *p++ == '-' && parse_digits(&p, 2, &mo) == 0 &&
              *p++ == '-' && parse_digits(&p, 2, &d) == 0;
    if (ok && (*p == 'T' || *p == 't' || *p == ' ')) {
        p++;
        ok = parse_digits(&p, 2, &h) == 0 && *p++ == ':' && parse_digits(&p, 2, &mi) == 0 &&
             *p++ == ':' && parse_digits(&p, 2, &se) == 0;
        if (ok && *p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                p++;
            }
        }
    } else if (ok && *p == '\0') {
        /* A bare date means midnight UTC. */
        p = "Z";
    } else {
        ok = false;
    }
    int offset = 0;
    if (ok && (*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if (ok && (*p == '+' || *p == '-')) {
        int oh = 0, om = 0;
        int sign = *p == '-' ? -1 : 1;
        p++;
        ok = parse_digits(&p, 2, &oh) == 0 && *p++ == ':' && parse_digits(&p, 2, &om) == 0 &&
             *p == '\0';
        offset = sign * (oh * 3600 + om * 60);
    } else {
        ok = false;
    }
    if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
        return QTB_FAIL(QTB_EPARSE, "not an RFC 3339 time: '%s' (e.g. 2026-01-31T12:00:00Z)", s);
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    *out = (int64_t)t - offset;
    return 0;
}

int qtb_time_parse(int64_t *out, const char *s)
{
    return qtb_time_parse_rfc3339(out, s);
}
