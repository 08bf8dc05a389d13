/* Recording one verified submission: every row it produces, in one transaction or savepoint. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "report_int.h"
#include "store_int.h"

/* ---- the result container ------------------------------------------------------------------ */

void qtb_submission_result_init(qtb_submission_result *r)
{
    if (r != NULL) {
        memset(r, 0, sizeof(*r));
    }
}

void qtb_sub_validation_dispose(qtb_sub_validation *v)
{
    for (size_t i = 0; i < v->nsigners; i++) {
        qtb_sub_signer *g = &v->signers[i];
        qtb_free(g->message);
        qtb_free(g->iin);
        qtb_free(g->bin);
        qtb_free(g->name);
        qtb_free(g->roles_json);
        qtb_free(g->cert_sha256);
        qtb_free(g->signing_time);
        qtb_free(g->best_signature_time);
        qtb_free(g->report_json);
    }
    qtb_free(v->signers);
    for (size_t i = 0; i < v->nevidence; i++) {
        qtb_free(v->evidence[i].kind);
        qtb_free(v->evidence[i].der);
    }
    qtb_free(v->evidence);
    qtb_free(v->message);
    qtb_free(v->error);
    qtb_free(v->report_json);
}

void qtb_submission_result_dispose(qtb_submission_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->ndocuments; i++) {
        qtb_free(r->documents[i].name);
        qtb_free(r->documents[i].kind);
        qtb_free(r->documents[i].data);
    }
    qtb_free(r->documents);
    for (size_t i = 0; i < r->nvalidations; i++) {
        qtb_sub_validation_dispose(&r->validations[i]);
    }
    qtb_free(r->validations);
    for (size_t i = 0; i < r->nfindings; i++) {
        qtb_free(r->findings[i].severity);
        qtb_free(r->findings[i].code);
        qtb_free(r->findings[i].message);
    }
    qtb_free(r->findings);
    qtb_free(r->key);
    qtb_free(r->applicant_iin);
    qtb_free(r->applicant_bin);
    qtb_free(r->application_id);
    qtb_free(r->reason);
    memset(r, 0, sizeof(*r));
}

/* Grow an array of `size`-byte items by one zeroed item; returns it or NULL. */
static void *grow(void **arr, size_t *n, size_t size)
{
    size_t count = 0;
    size_t bytes = 0;
    if (qtb_add_overflows(*n, 1, &count) || qtb_mul_overflows(count, size, &bytes)) {
        return NULL;
    }
    unsigned char *p = qtb_realloc(*arr, bytes);
    if (p == NULL) {
        return NULL;
    }
    memset(p + *n * size, 0, size);
    *arr = p;
    *n = count;
    return p + (count - 1) * size;
}

int qtb_submission_result_take_document(qtb_submission_result *r, const char *name,
                                        const char *kind, unsigned char *data, size_t len)
{
    char *n = qtb_strdup(name);
    char *k = qtb_strdup(kind);
    unsigned char digest[32];
    qtb_sub_document *doc = NULL;
    int rc = 0;
    if (n == NULL || k == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto fail;
    }
    const void *parts[] = {data != NULL ? (const void *)data : ""};
    const size_t lens[] = {len};
    rc = qtb_sha256_parts(digest, parts, lens, 1);
    if (rc < 0) {
        goto fail;
    }
    doc = grow((void **)&r->documents, &r->ndocuments, sizeof(*doc));
    if (doc == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto fail;
    }
    doc->name = n;
    doc->kind = k;
    doc->data = data;
    doc->len = len;
    memcpy(doc->sha256, digest, 32);
    return 0;
fail:
    qtb_free(n);
    qtb_free(k);
    qtb_free(data);
    return rc;
}

int qtb_submission_result_add_document(qtb_submission_result *r, const char *name, const char *kind,
                                       const unsigned char *data, size_t len)
{
    QTB_ASSERT_ARG(r != NULL && name != NULL && kind != NULL && (data != NULL || len == 0));
    unsigned char *d = qtb_malloc(len > 0 ? len : 1);
    if (d == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (len > 0) {
        memcpy(d, data, len);
    }
    return qtb_submission_result_take_document(r, name, kind, d, len);
}

int qtb_submission_result_add_finding(qtb_submission_result *r, const char *severity,
                                      const char *code, const char *message)
{
    QTB_ASSERT_ARG(r != NULL && severity != NULL && code != NULL && message != NULL);
    char *sv = qtb_strdup(severity);
    char *c = qtb_strdup(code);
    char *m = qtb_strdup(message);
    qtb_sub_finding *f = NULL;
    if (sv != NULL && c != NULL && m != NULL) {
        f = grow((void **)&r->findings, &r->nfindings, sizeof(*f));
    }
    if (f == NULL) {
        qtb_free(sv);
        qtb_free(c);
        qtb_free(m);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    f->severity = sv;
    f->code = c;
    f->message = m;
    return 0;
}

/* ---- recording ----------------------------------------------------------------------------- */

typedef struct prev_version {
    int64_t id;
    int64_t version;
    char status[16];
} prev_version;

static int find_previous(prev_version *out, qtb_store *s, const char *key)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    QTB_TRY(qtb_store_prepare(s, &st,
                              "SELECT id, version, status FROM submissions WHERE "
                              "submission_key = ?1 ORDER BY version DESC LIMIT 1"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, key));
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->version = sqlite3_column_int64(st, 1);
        const unsigned char *status = sqlite3_column_text(st, 2);
        snprintf(out->status, sizeof(out->status), "%s",
                 status != NULL ? (const char *)status : "");
    } else if (step != SQLITE_DONE) {
        rc = qtb_store_fail(s, "finding the previous version");
    }
done:
    sqlite3_finalize(st);
    return rc;
}

int qtb_store_add_review_row(qtb_store *s, int64_t id, const char *from, const char *to,
                             const char *reviewer, const char *remark, const char *at)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(s, &st,
                              "INSERT INTO reviews (submission_id, from_status, to_status, "
                              "reviewer, remark, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, from));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, to));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 4, reviewer));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 5, remark));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 6, at));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a review entry"));
done:
    sqlite3_finalize(st);
    return rc;
}

static int set_status(qtb_store *s, int64_t id, const char *status, const char *at)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(s, &st,
                              "UPDATE submissions SET status = ?1, updated_at = ?2 WHERE id = ?3"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, status));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, at));
    if (sqlite3_bind_int64(st, 3, id) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "updating a status"));
done:
    sqlite3_finalize(st);
    return rc;
}

int qtb_store_set_status(qtb_store *s, int64_t id, const char *status, const char *at)
{
    return set_status(s, id, status, at);
}

static const char *kind_name(qtb_applicant_kind k)
{
    switch (k) {
    case QTB_APPLICANT_ENTREPRENEUR:
    case QTB_APPLICANT_LEGAL_ENTITY:
    case QTB_APPLICANT_NATURAL_PERSON:
        return qtb_applicant_kind_name(k);
    default:
        return NULL;
    }
}

static int insert_submission(int64_t *id_out, qtb_store *s, const qtb_submission_result *r,
                             int64_t version, int64_t prev_id, const char *status, const char *at)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(
        s, &st,
        "INSERT INTO submissions (submission_key, version, content_hash, applicant_kind, "
        "applicant_iin, applicant_bin, application_id, outcome, reason, status, previous_id, "
        "received_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?12)"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, r->key));
    QTB_TRY_GOTO(sqlite3_bind_int64(st, 2, version) == SQLITE_OK ? 0 : qtb_store_fail(s, "bind"));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 3, r->content_hash, 32));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 4, kind_name(r->applicant_kind)));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 5, r->applicant_iin));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 6, r->applicant_bin));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 7, r->application_id));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 8, qtb_outcome_name(r->outcome)));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 9, r->reason));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 10, status));
    if (prev_id > 0) {
        QTB_TRY_GOTO(sqlite3_bind_int64(st, 11, prev_id) == SQLITE_OK ? 0
                                                                      : qtb_store_fail(s, "bind"));
    }
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 12, at));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a submission"));
    *id_out = sqlite3_last_insert_rowid(s->db);
done:
    sqlite3_finalize(st);
    return rc;
}

static int insert_documents(int64_t *ids, qtb_store *s, int64_t sub_id,
                            const qtb_submission_result *r)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(s, &st,
                              "INSERT INTO documents (submission_id, name, kind, sha256, size, "
                              "content) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (size_t i = 0; i < r->ndocuments; i++) {
        const qtb_sub_document *d = &r->documents[i];
        sqlite3_reset(st);
        QTB_TRY_GOTO(sqlite3_bind_int64(st, 1, sub_id) == SQLITE_OK ? 0
                                                                    : qtb_store_fail(s, "bind"));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, d->name));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, d->kind));
        QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 4, d->sha256, 32));
        QTB_TRY_GOTO(sqlite3_bind_int64(st, 5, (sqlite3_int64)d->len) == SQLITE_OK
                         ? 0
                         : qtb_store_fail(s, "bind"));
        QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 6, d->data, d->len));
        QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a document"));
        ids[i] = sqlite3_last_insert_rowid(s->db);
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static const char *sub_name(int sub)
{
    return qtb_subindication_name((qtb_subindication)sub);
}

static int insert_signers(qtb_store *s, int64_t val_id, const qtb_sub_validation *v,
                          const char *vtime)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(
        s, &st,
        "INSERT INTO signatures (validation_id, idx, indication, subindication, message, "
        "signer_iin, signer_bin, signer_roles, signer_name, cert_sha256, signing_time, "
        "best_signature_time, validation_time, report_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    for (size_t i = 0; i < v->nsigners; i++) {
        const qtb_sub_signer *g = &v->signers[i];
        sqlite3_reset(st);
        if (sqlite3_bind_int64(st, 1, val_id) != SQLITE_OK ||
            sqlite3_bind_int64(st, 2, (sqlite3_int64)i) != SQLITE_OK) {
            rc = qtb_store_fail(s, "bind");
            goto done;
        }
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, qtb_indication_name(g->indication)));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 4, sub_name(g->subindication)));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 5, g->message));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 6, g->iin));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 7, g->bin));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 8, g->roles_json));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 9, g->name));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 10, g->cert_sha256));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 11, g->signing_time));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 12, g->best_signature_time));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 13, vtime));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 14, g->report_json ? g->report_json : "{}"));
        QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a signature"));
    }
done:
    sqlite3_finalize(st);
    return rc;
}

int qtb_store_put_evidence(int64_t *id_out, qtb_store *s, const qtb_sub_evidence *e)
{
    QTB_ASSERT_ARG(id_out != NULL && s != NULL && e != NULL && e->kind != NULL);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    unsigned char digest[32];
    const void *parts[] = {e->der != NULL ? (const void *)e->der : ""};
    const size_t lens[] = {e->len};
    QTB_TRY(qtb_sha256_parts(digest, parts, lens, 1));
    /* A no-op update makes RETURNING give the id of an existing row too. */
    QTB_TRY(qtb_store_prepare(s, &st,
                              "INSERT INTO evidence (kind, sha256, der) VALUES (?1, ?2, ?3) "
                              "ON CONFLICT (sha256) DO UPDATE SET kind = kind RETURNING id"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, e->kind));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 2, digest, 32));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 3, e->der, e->len));
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = qtb_store_fail(s, "storing evidence");
        goto done;
    }
    *id_out = sqlite3_column_int64(st, 0);
    (void)sqlite3_step(st);
done:
    sqlite3_finalize(st);
    return rc;
}

static int link_one(qtb_store *s, sqlite3_stmt **link, int64_t val_id, int64_t ev_id)
{
    if (*link == NULL) {
        QTB_TRY(qtb_store_prepare(s, link,
                                  "INSERT OR IGNORE INTO validation_evidence (validation_id, "
                                  "evidence_id) VALUES (?1, ?2)"));
    }
    sqlite3_reset(*link);
    if (sqlite3_bind_int64(*link, 1, val_id) != SQLITE_OK ||
        sqlite3_bind_int64(*link, 2, ev_id) != SQLITE_OK) {
        return qtb_store_fail(s, "bind");
    }
    return qtb_store_step_done(s, *link, "linking evidence");
}

static int insert_evidence(qtb_store *s, int64_t val_id, const qtb_sub_validation *v)
{
    sqlite3_stmt *link = NULL;
    int rc = 0;
    for (size_t i = 0; i < v->nevidence; i++) {
        int64_t ev_id = 0;
        QTB_TRY_GOTO(qtb_store_put_evidence(&ev_id, s, &v->evidence[i]));
        QTB_TRY_GOTO(link_one(s, &link, val_id, ev_id));
    }
done:
    sqlite3_finalize(link);
    return rc;
}

int qtb_store_link_evidence(qtb_store *s, int64_t submission_id, const int64_t *ids, size_t n)
{
    QTB_ASSERT_ARG(s != NULL && (ids != NULL || n == 0));
    if (n == 0) {
        return 0;
    }
    sqlite3_stmt *st = NULL;
    sqlite3_stmt *link = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(
        s, &st, "SELECT id FROM validations WHERE submission_id = ?1 AND run_id IS NULL"));
    sqlite3_bind_int64(st, 1, submission_id);
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = qtb_store_fail(s, "listing validations");
            goto done;
        }
        int64_t val_id = sqlite3_column_int64(st, 0);
        for (size_t i = 0; i < n; i++) {
            QTB_TRY_GOTO(link_one(s, &link, val_id, ids[i]));
        }
    }
done:
    sqlite3_finalize(st);
    sqlite3_finalize(link);
    return rc;
}

int qtb_store_insert_validation(int64_t *id_out, qtb_store *s, int64_t sub_id, int64_t doc_id,
                                int64_t content_doc_id, int64_t run_id, const qtb_sub_validation *v)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    char vtime[32];
    qtb_time_rfc3339(vtime, sizeof(vtime), v->validated_at);
    QTB_TRY(qtb_store_prepare(
        s, &st,
        "INSERT INTO validations (submission_id, document_id, content_document_id, run_id, "
        "validated_at, indication, subindication, message, error, report_json) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    if (sqlite3_bind_int64(st, 1, sub_id) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, doc_id) != SQLITE_OK ||
        (content_doc_id > 0 && sqlite3_bind_int64(st, 3, content_doc_id) != SQLITE_OK) ||
        (run_id > 0 && sqlite3_bind_int64(st, 4, run_id) != SQLITE_OK)) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 5, vtime));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 6, qtb_indication_name(v->indication)));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 7, sub_name(v->subindication)));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 8, v->message));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 9, v->error));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 10, v->report_json));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a validation"));
    int64_t val_id = sqlite3_last_insert_rowid(s->db);
    QTB_TRY_GOTO(insert_signers(s, val_id, v, vtime));
    QTB_TRY_GOTO(insert_evidence(s, val_id, v));
    if (id_out != NULL) {
        *id_out = val_id;
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int insert_findings(qtb_store *s, int64_t sub_id, const qtb_submission_result *r)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (r->nfindings == 0) {
        return 0;
    }
    QTB_TRY(qtb_store_prepare(s, &st,
                              "INSERT INTO findings (submission_id, severity, code, message) "
                              "VALUES (?1, ?2, ?3, ?4)"));
    for (size_t i = 0; i < r->nfindings; i++) {
        sqlite3_reset(st);
        if (sqlite3_bind_int64(st, 1, sub_id) != SQLITE_OK) {
            rc = qtb_store_fail(s, "bind");
            goto done;
        }
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, r->findings[i].severity));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, r->findings[i].code));
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 4, r->findings[i].message));
        QTB_TRY_GOTO(qtb_store_step_done(s, st, "inserting a finding"));
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int validate_result(const qtb_submission_result *r)
{
    QTB_ENSURE(r->key != NULL && r->key[0] != '\0', QTB_EUSAGE, "submission without a key");
    QTB_ENSURE(r->outcome >= QTB_OUTCOME_ACCEPTED && r->outcome <= QTB_OUTCOME_ERROR, QTB_EUSAGE,
               "submission %s: invalid outcome", r->key);
    for (size_t i = 0; i < r->nvalidations; i++) {
        const qtb_sub_validation *v = &r->validations[i];
        QTB_ENSURE(v->document < r->ndocuments, QTB_EUSAGE,
                   "submission %s: validation %zu names no document", r->key, i);
        QTB_ENSURE(v->content_document < (long)r->ndocuments, QTB_EUSAGE,
                   "submission %s: validation %zu names no content document", r->key, i);
    }
    return 0;
}

static int audit_record(qtb_store *s, const qtb_submission_result *r, int64_t id, int64_t version,
                        const char *actor)
{
    char hash_hex[65];
    qtb_hex_encode(hash_hex, r->content_hash, 32);
    json_t *d = json_pack("{s:s, s:I, s:s, s:s, s:s?}", "key", r->key, "version",
                          (json_int_t)version, "outcome", qtb_outcome_name(r->outcome),
                          "content_hash", hash_hex, "reason", r->reason);
    if (d == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (text == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = qtb_store_audit_append_locked(s, actor, "RECORD", id, text);
    free(text);
    return rc;
}

static int record_rows(int64_t *id_out, qtb_store *s, const qtb_submission_result *r,
                       const char *actor, unsigned flags)
{
    int rc = 0;
    int64_t *doc_ids = NULL;
    char at[32];
    qtb_store_now(at);

    int exists = qtb_store_has_content(s, r->key, r->content_hash, flags);
    QTB_TRY(exists);
    if (exists == 1) {
        return QTB_FAIL(QTB_EEXISTS, "submission %s with this content is already recorded", r->key);
    }
    prev_version prev;
    QTB_TRY(find_previous(&prev, s, r->key));
    const char *status =
        r->outcome == QTB_OUTCOME_ACCEPTED ? "PENDING" : qtb_outcome_name(r->outcome);
    int64_t id = 0;
    QTB_TRY(insert_submission(&id, s, r, prev.version + 1, prev.id, status, at));

    char remark[96] = "";
    if (prev.id > 0 && strcmp(prev.status, "PENDING") == 0) {
        char why[64];
        snprintf(why, sizeof(why), "superseded by version %lld", (long long)(prev.version + 1));
        QTB_TRY(set_status(s, prev.id, "SUPERSEDED", at));
        QTB_TRY(qtb_store_add_review_row(s, prev.id, "PENDING", "SUPERSEDED", actor, why, at));
    }
    if (prev.id > 0 && strcmp(prev.status, "RETURNED") == 0) {
        snprintf(remark, sizeof(remark), "resubmitted after version %lld was returned",
                 (long long)prev.version);
    } else if (prev.id > 0) {
        snprintf(remark, sizeof(remark), "new version after version %lld (%s)",
                 (long long)prev.version, prev.status);
    }
    QTB_TRY(qtb_store_add_review_row(s, id, NULL, status, actor, remark[0] ? remark : NULL, at));

    if (r->ndocuments > 0) {
        doc_ids = qtb_calloc(r->ndocuments, sizeof(*doc_ids));
        if (doc_ids == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    QTB_TRY_GOTO(insert_documents(doc_ids, s, id, r));
    for (size_t i = 0; i < r->nvalidations; i++) {
        const qtb_sub_validation *v = &r->validations[i];
        int64_t content = v->content_document >= 0 ? doc_ids[v->content_document] : 0;
        QTB_TRY_GOTO(qtb_store_insert_validation(NULL, s, id, doc_ids[v->document], content, 0, v));
    }
    QTB_TRY_GOTO(insert_findings(s, id, r));
    QTB_TRY_GOTO(audit_record(s, r, id, prev.version + 1, actor));
    if (id_out != NULL) {
        *id_out = id;
    }
done:
    qtb_free(doc_ids);
    return rc;
}

int qtb_store_record(qtb_store *s, int64_t *id_out, const qtb_submission_result *r,
                     const char *actor, unsigned flags)
{
    QTB_ASSERT_ARG(s != NULL && r != NULL && actor != NULL);
    QTB_TRY(validate_result(r));
    qtb_store_tx tx;
    QTB_TRY(qtb_store_tx_begin(s, &tx));
    int rc = record_rows(id_out, s, r, actor, flags);
    if (rc < 0) {
        qtb_store_tx_abort(s, &tx);
        return rc;
    }
    return qtb_store_tx_commit(s, &tx);
}
