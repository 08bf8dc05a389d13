/* qoltanba serve: the endpoints. Each one decodes the request, calls the library and encodes
 * what it returned: no verification logic lives here. */
#ifdef QTB_HAVE_MHD

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qtb/base64.h>
#include <qtb/batch.h>
#include <qtb/cert.h>
#include <qtb/error.h>
#include <qtb/limits.h>
#include <qtb/p12.h>
#include <qtb/questionnaire.h>
#include <qtb/report.h>

#include "cli.h"
#include "serve.h"
#include "serve_web.h"

#define MAX_KEY 128
#define MAX_CERTS 64
#define MAX_REMARK 4000

/* ---- request decoding -------------------------------------------------------------------- */

/* A library error as a response: bad input 422, missing 404, conflicts 409, the rest 500. */
static void lib_error(serve_resp *r, const char *what)
{
    const qtb_error *e = qtb_error_last();
    unsigned status = 500;
    switch (e->code) {
    case QTB_EPARSE:
    case QTB_EUNSUPPORTED:
    case QTB_ETOOBIG:
    case QTB_EPASSWORD:
        status = 422;
        break;
    case QTB_EUSAGE:
        status = 400;
        break;
    case QTB_ENOTFOUND:
        status = 404;
        break;
    case QTB_ESTATE:
    case QTB_EEXISTS:
        status = 409;
        break;
    default:
        status = 500;
        break;
    }
    serve_error(r, status, "%s: %s", what, e->message);
}

/* One base64 value of the request, `what` naming it in the answer (`field "cms"`, `certs[0]`).
 * NCALayer's output (padded, CRLF every 76 characters) and unpadded base64 (Java's basic
 * decoder, many JSON clients) are both accepted; the library says what is wrong with anything
 * else. 0: decoded, free with qtb_string_free; -1: an error response was written. */
static int decode_b64(serve_resp *r, json_t *v, const char *what, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!json_is_string(v)) {
        serve_error(r, 400, "%s must be a base64 string", what);
        return -1;
    }
    int rc = qtb_base64_decode(out, len, json_string_value(v), json_string_length(v),
                               QTB_BASE64_PADDING_OPTIONAL);
    if (rc == QTB_EPARSE) {
        serve_error(r, 400, "%s is not valid base64: %s", what, qtb_error_last()->message);
        return -1;
    }
    if (rc != 0) {
        lib_error(r, what);
        return -1;
    }
    return 0;
}

/* A required (or optional) base64 field of the JSON object. 0: decoded (or absent and optional,
 * *out NULL); -1: an error response was written. */
static int get_b64(serve_resp *r, json_t *obj, const char *name, bool required, unsigned char **out,
                   size_t *len)
{
    *out = NULL;
    *len = 0;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            serve_error(r, 400, "missing field \"%s\"", name);
            return -1;
        }
        return 0;
    }
    char what[64];
    snprintf(what, sizeof(what), "field \"%s\"", name);
    return decode_b64(r, v, what, out, len);
}

static json_t *parse_body(serve_resp *r, const serve_req *q)
{
    json_error_t err;
    json_t *j =
        q->len > 0 ? json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (j == NULL) {
        serve_error(r, 400, "the body is not valid JSON%s%s", q->len > 0 ? ": " : "",
                    q->len > 0 ? err.text : " (empty)");
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        serve_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* "at": RFC 3339 ("2026-01-02T03:04:05Z" or with an offset) or seconds since the epoch;
 * absent: now. */
static int get_at(serve_resp *r, json_t *obj, int64_t *at)
{
    *at = 0;
    json_t *v = json_object_get(obj, "at");
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *at = (int64_t)json_integer_value(v);
        return 0;
    }
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    if (qtb_time_parse(at, s) != 0) {
        serve_error(r, 400,
                    "field \"at\" must be RFC 3339 (YYYY-MM-DDTHH:MM:SSZ or with an offset)");
        return -1;
    }
    return 0;
}

/* A library string holding JSON, as a jansson value (NULL: 500 written). */
static json_t *lib_json(serve_resp *r, char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;
    qtb_string_free(text);
    if (j == NULL) {
        serve_error(r, 500, "the library returned no JSON");
    }
    return j;
}

/* ---- verification ------------------------------------------------------------------------ */

static void verify(serve_server *s, const serve_req *q, serve_resp *r, bool xml)
{
    json_t *body = parse_body(r, q);
    unsigned char *sig = NULL;
    unsigned char *data = NULL;
    size_t sig_len = 0;
    size_t data_len = 0;
    qtb_report *rep = NULL;
    int64_t at = 0;
    if (body == NULL || get_b64(r, body, xml ? "xml" : "cms", true, &sig, &sig_len) != 0 ||
        (!xml && get_b64(r, body, "data", false, &data, &data_len) != 0) ||
        get_at(r, body, &at) != 0) {
        goto done;
    }
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.trust = s->trust;
    o.cert_cache = s->cache;
    o.at = at;
    o.content = data;
    o.content_len = data_len;
    int rc = xml ? qtb_xml_verify(&rep, sig, sig_len, &o) : qtb_cms_verify(&rep, sig, sig_len, &o);
    if (rc != 0) {
        lib_error(r, xml ? "xml" : "cms");
        goto done;
    }
    char *text = NULL;
    if (qtb_report_to_json(&text, rep) != 0) {
        lib_error(r, "report");
        goto done;
    }
    json_t *j = lib_json(r, text);
    if (j != NULL) {
        json_object_set_new(j, "valid",
                            json_boolean(qtb_report_indication(rep) == QTB_TOTAL_PASSED));
        serve_json(r, 200, j);
    }
done:
    qtb_report_free(rep);
    qtb_string_free((char *)sig);
    qtb_string_free((char *)data);
    json_decref(body);
}

static void x509_info(const serve_req *q, serve_resp *r)
{
    json_t *body = parse_body(r, q);
    if (body == NULL) {
        return;
    }
    json_t *certs = json_object_get(body, "certs");
    json_t *out = json_array();
    if (!json_is_array(certs) || json_array_size(certs) == 0 ||
        json_array_size(certs) > MAX_CERTS) {
        serve_error(r, 400, "field \"certs\" must be an array of 1 to %d base64 certificates",
                    MAX_CERTS);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(certs); i++) {
        char what[32];
        snprintf(what, sizeof(what), "certs[%zu]", i);
        unsigned char *der = NULL;
        size_t len = 0;
        if (decode_b64(r, json_array_get(certs, i), what, &der, &len) != 0) {
            goto done;
        }
        qtb_cert *c = NULL;
        char *text = NULL;
        int rc = qtb_cert_load(&c, der, len);
        qtb_string_free((char *)der);
        if (rc == 0) {
            rc = qtb_cert_info_json(&text, c);
        }
        qtb_cert_free(c);
        if (rc != 0) {
            lib_error(r, what);
            goto done;
        }
        json_t *j = lib_json(r, text);
        if (j == NULL) {
            goto done;
        }
        json_array_append_new(out, j);
    }
    serve_json(r, 200, json_pack("{s:O}", "certs", out));
done:
    json_decref(out);
    json_decref(body);
}

static void p12_info(const serve_req *q, serve_resp *r)
{
    json_t *body = parse_body(r, q);
    unsigned char *der = NULL;
    size_t len = 0;
    qtb_p12 *p = NULL;
    if (body == NULL || get_b64(r, body, "p12", true, &der, &len) != 0) {
        goto done;
    }
    json_t *pw = json_object_get(body, "password");
    if (!json_is_string(pw)) {
        serve_error(r, 400, "missing field \"password\" (a string)");
        goto done;
    }
    int rc = qtb_p12_open(&p, der, len, json_string_value(pw));
    char *text = NULL;
    if (rc == 0) {
        rc = qtb_p12_info_json(&text, p);
    }
    if (rc != 0) {
        lib_error(r, "p12");
        goto done;
    }
    json_t *j = lib_json(r, text);
    if (j != NULL) {
        serve_json(r, 200, j);
    }
done:
    if (json_is_string(json_object_get(body, "password"))) {
        json_t *pwv = json_object_get(body, "password");
        cli_wipe((char *)json_string_value(pwv), json_string_length(pwv));
    }
    qtb_p12_free(p);
    if (der != NULL) {
        cli_wipe(der, len);
    }
    qtb_string_free((char *)der);
    json_decref(body);
}

/* POST /questionnaire: the applicant XML as the body; the PDF, or 422 with the findings. */
static void questionnaire(const serve_req *q, serve_resp *r)
{
    qtb_applicant *a = NULL;
    qtb_findings *f = NULL;
    if (qtb_applicant_parse(&a, q->body != NULL ? q->body : (const unsigned char *)"", q->len,
                            NULL) != 0) {
        lib_error(r, "applicant");
        goto done;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    qtb_check_options co = QTB_CHECK_OPTIONS_INIT;
    co.today_year = tm.tm_year + 1900;
    co.today_month = tm.tm_mon + 1;
    co.today_day = tm.tm_mday;
    if (qtb_applicant_check(&f, a, &co) != 0) {
        lib_error(r, "pre-checks");
        goto done;
    }
    if (qtb_findings_error_count(f) > 0) {
        char *text = NULL;
        if (qtb_findings_to_json(&text, f, a) != 0) {
            lib_error(r, "findings");
            goto done;
        }
        json_t *j = lib_json(r, text);
        if (j != NULL) {
            serve_json(r, 422,
                       json_pack("{s:s, s:o}", "error", "the applicant data has errors to fix",
                                 "findings", j));
        }
        goto done;
    }
    unsigned char *pdf = NULL;
    size_t len = 0;
    if (qtb_questionnaire_render(&pdf, &len, a, NULL) != 0) {
        lib_error(r, "questionnaire");
        goto done;
    }
    r->bytes = malloc(len > 0 ? len : 1);
    if (r->bytes == NULL) {
        qtb_string_free((char *)pdf);
        serve_error(r, 500, "out of memory");
        goto done;
    }
    memcpy(r->bytes, pdf, len);
    qtb_string_free((char *)pdf);
    r->len = len;
    r->type = "application/pdf";
    r->status = 200;
done:
    qtb_findings_free(f);
    qtb_applicant_free(a);
}

/* ---- submissions ------------------------------------------------------------------------- */

static bool valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > MAX_KEY || k[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static const char *actor_of(const serve_req *q, char *buf, size_t cap)
{
    snprintf(buf, cap, "api:%s", q->who != NULL ? q->who->name : "anonymous");
    return buf;
}

/* The id and status of the newest version of `key` with this content (store lock held). */
static int find_recorded(serve_server *s, const char *key, int64_t *id, char *status, size_t cap)
{
    char *text = NULL;
    if (qtb_store_list_json(&text, s->store, NULL, false) != 0) {
        return -1;
    }
    json_t *all = json_loads(text, 0, NULL);
    qtb_string_free(text);
    size_t i;
    json_t *row;
    int found = -1;
    json_array_foreach(all, i, row)
    {
        const char *k = json_string_value(json_object_get(row, "key"));
        if (k != NULL && strcmp(k, key) == 0) {
            *id = (int64_t)json_integer_value(json_object_get(row, "id"));
            snprintf(status, cap, "%s", json_string_value(json_object_get(row, "status")));
            found = 0;
            break;
        }
    }
    json_decref(all);
    return found;
}

static json_t *findings_json(const qtb_submission_result *res)
{
    json_t *a = json_array();
    for (size_t i = 0; i < res->nfindings; i++) {
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "severity", res->findings[i].severity,
                                           "code", res->findings[i].code, "message",
                                           res->findings[i].message));
    }
    return a;
}

/* Record a verified submission: one transaction, under the store lock. */
static int record(serve_server *s, const serve_req *q, const qtb_submission_result *res,
                  int64_t *id, char *status, size_t cap, bool *dup)
{
    char actor[96];
    *dup = false;
    pthread_mutex_lock(&s->store_mu);
    int rc = qtb_store_begin(s->store);
    if (rc == 0) {
        rc = qtb_store_record(s->store, id, res, actor_of(q, actor, sizeof(actor)), 0);
    }
    if (rc == 0) {
        rc = qtb_store_link_evidence(s->store, *id, s->evidence_ids, s->nevidence);
    }
    if (rc == 0) {
        rc = qtb_store_commit(s->store);
    } else {
        qtb_store_rollback(s->store);
    }
    if (rc == QTB_EEXISTS) {
        *dup = true;
        rc = find_recorded(s, res->key, id, status, cap) == 0 ? 0 : QTB_EEXISTS;
    } else if (rc == 0) {
        rc = find_recorded(s, res->key, id, status, cap) == 0 ? 0 : QTB_ENOTFOUND;
    }
    pthread_mutex_unlock(&s->store_mu);
    return rc;
}

static void submit(serve_server *s, const serve_req *q, serve_resp *r)
{
    json_t *body = parse_body(r, q);
    qtb_sub_file *files = NULL;
    size_t n = 0;
    qtb_submission_result res;
    qtb_submission_result_init(&res);
    if (body == NULL) {
        goto done;
    }
    const char *key = json_string_value(json_object_get(body, "key"));
    json_t *fobj = json_object_get(body, "files");
    if (key == NULL || !valid_key(key)) {
        serve_error(r, 400, "field \"key\" must be 1-%d characters of A-Z a-z 0-9 . _ -", MAX_KEY);
        goto done;
    }
    if (!json_is_object(fobj) || json_object_size(fobj) == 0 ||
        json_object_size(fobj) > QTB_MAX_SUBMISSION_FILES) {
        serve_error(r, 400, "field \"files\" must be an object {name: base64}");
        goto done;
    }
    files = calloc(json_object_size(fobj), sizeof(*files));
    if (files == NULL) {
        serve_error(r, 500, "out of memory");
        goto done;
    }
    const char *name;
    json_t *v;
    json_object_foreach(fobj, name, v)
    {
        char what[128];
        char label[101];
        snprintf(label, sizeof(label), "%s", name);
        serve_utf8_trim(label);
        snprintf(what, sizeof(what), "files[\"%s\"]", label);
        unsigned char *d = NULL;
        size_t len = 0;
        if (decode_b64(r, v, what, &d, &len) != 0) {
            goto done;
        }
        files[n].name = name;
        files[n].data = d;
        files[n].len = len;
        n++;
    }
    if (qtb_pipeline_load_files(&res, key, files, n) != 0) {
        lib_error(r, "files");
        goto done;
    }
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    ctx.trust = s->trust;
    ctx.cert_cache = s->cache;
    if (qtb_pipeline_verify(&res, &ctx) != 0) {
        lib_error(r, "verification");
        goto done;
    }
    int64_t id = 0;
    char status[32] = "";
    bool dup = false;
    if (record(s, q, &res, &id, status, sizeof(status), &dup) != 0) {
        lib_error(r, "store");
        goto done;
    }
    serve_json(r, dup ? 200 : 201,
               json_pack("{s:I, s:s, s:s, s:s?, s:b, s:o}", "id", (json_int_t)id, "status", status,
                         "outcome", qtb_outcome_name(res.outcome), "reason", res.reason,
                         "duplicate", dup, "findings", findings_json(&res)));
done:
    for (size_t i = 0; i < n; i++) {
        qtb_string_free((char *)files[i].data);
    }
    free(files);
    qtb_submission_result_dispose(&res);
    json_decref(body);
}

static void list(serve_server *s, const char *status, serve_resp *r)
{
    char *text = NULL;
    pthread_mutex_lock(&s->store_mu);
    int rc = qtb_store_list_json(&text, s->store, status, false);
    if (rc != 0) {
        lib_error(r, "list");
    }
    pthread_mutex_unlock(&s->store_mu);
    if (rc == 0) {
        json_t *j = lib_json(r, text);
        if (j != NULL) {
            serve_json(r, 200, j);
        }
    }
}

static void show(serve_server *s, int64_t id, serve_resp *r)
{
    char *text = NULL;
    pthread_mutex_lock(&s->store_mu);
    int rc = qtb_store_show_json(&text, s->store, id);
    if (rc != 0) {
        lib_error(r, "show");
    }
    pthread_mutex_unlock(&s->store_mu);
    if (rc == 0) {
        json_t *j = lib_json(r, text);
        if (j != NULL) {
            serve_json(r, 200, j);
        }
    }
}

static void pdf(serve_server *s, int64_t id, serve_resp *r)
{
    unsigned char *data = NULL;
    size_t len = 0;
    pthread_mutex_lock(&s->store_mu);
    int rc = qtb_store_document(&data, &len, s->store, id, "questionnaire.pdf");
    if (rc != 0) {
        lib_error(r, "questionnaire.pdf");
    }
    pthread_mutex_unlock(&s->store_mu);
    if (rc != 0) {
        return;
    }
    r->bytes = malloc(len > 0 ? len : 1);
    if (r->bytes == NULL) {
        qtb_string_free((char *)data);
        serve_error(r, 500, "out of memory");
        return;
    }
    memcpy(r->bytes, data, len);
    qtb_string_free((char *)data);
    r->len = len;
    r->type = "application/pdf";
    r->status = 200;
}

static void decide(serve_server *s, const serve_req *q, int64_t id, bool approve, serve_resp *r)
{
    json_t *body = q->len > 0 ? parse_body(r, q) : json_object();
    if (body == NULL) {
        return;
    }
    json_t *rv = json_object_get(body, "remark");
    const char *remark = json_string_value(rv);
    if ((rv != NULL && !json_is_null(rv) && remark == NULL) ||
        (remark != NULL && strlen(remark) > MAX_REMARK)) {
        serve_error(r, 400, "field \"remark\" must be a string of at most %d bytes", MAX_REMARK);
        goto done;
    }
    if (!approve && (remark == NULL || remark[0] == '\0')) {
        serve_error(r, 400, "missing field \"remark\": say what the applicant must fix");
        goto done;
    }
    const char *reviewer = q->who != NULL ? q->who->name : "anonymous";
    pthread_mutex_lock(&s->store_mu);
    int rc = approve ? qtb_store_approve(s->store, id, reviewer, remark)
                     : qtb_store_return(s->store, id, reviewer, remark);
    if (rc != 0) {
        lib_error(r, approve ? "approve" : "return");
    }
    pthread_mutex_unlock(&s->store_mu);
    if (rc == 0) {
        serve_json(r, 200,
                   json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "status",
                             approve ? "APPROVED" : "RETURNED", "reviewer", reviewer));
    }
done:
    json_decref(body);
}

/* ---- the page ---------------------------------------------------------------------------- */

static void page(const serve_req *q, serve_resp *r)
{
    if (strcmp(q->path, "/favicon.ico") == 0) {
        r->bytes = (unsigned char *)"";
        r->bytes_static = true;
        r->status = 204; /* no icon: say so rather than 404 in every browser console */
        return;
    }
    const char *path = strcmp(q->path, "/") == 0 ? "/index.html" : q->path;
    for (size_t i = 0; i < sizeof(serve_web_files) / sizeof(*serve_web_files); i++) {
        if (strcmp(serve_web_files[i].path, path) == 0) {
            r->bytes = (unsigned char *)serve_web_files[i].data;
            r->len = serve_web_files[i].len;
            r->bytes_static = true;
            r->type = serve_web_files[i].type;
            r->status = 200;
            return;
        }
    }
    serve_error(r, 404, "no such file: %s", q->path);
}

void serve_dispatch(serve_server *s, serve_req *q, const char *query_status, serve_resp *out,
                    int64_t id)
{
    bool post = strcmp(q->method, "POST") == 0;
    switch (q->route) {
    case ROUTE_PAGE:
        page(q, out);
        break;
    case ROUTE_HEALTH:
        serve_json(out, 200, json_pack("{s:s}", "status", "ok"));
        break;
    case ROUTE_METRICS:
        serve_metrics_text(s, (char **)&out->bytes, &out->len);
        out->status = out->bytes != NULL ? 200 : 500;
        out->type = "text/plain; version=0.0.4";
        break;
    case ROUTE_CMS_VERIFY:
        verify(s, q, out, false);
        break;
    case ROUTE_XML_VERIFY:
        verify(s, q, out, true);
        break;
    case ROUTE_X509_INFO:
        x509_info(q, out);
        break;
    case ROUTE_P12_INFO:
        p12_info(q, out);
        break;
    case ROUTE_QUESTIONNAIRE:
        questionnaire(q, out);
        break;
    case ROUTE_SUBMISSIONS:
        if (post) {
            submit(s, q, out);
        } else {
            list(s, query_status, out);
        }
        break;
    case ROUTE_SUBMISSION:
        show(s, id, out);
        break;
    case ROUTE_SUBMISSION_PDF:
        pdf(s, id, out);
        break;
    case ROUTE_APPROVE:
    case ROUTE_RETURN:
        decide(s, q, id, q->route == ROUTE_APPROVE, out);
        break;
    case ROUTE_NONE:
    case ROUTE_COUNT:
    default:
        serve_error(out, 404, "no such endpoint");
        break;
    }
    if (out->status == 0) {
        serve_error(out, 500, "the endpoint produced no response");
    }
}

#endif /* QTB_HAVE_MHD */
