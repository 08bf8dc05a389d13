/* Review decisions (PENDING -> APPROVED | RETURNED) and the JSON views of the store. */
#include <inttypes.h>
#include <stdio.h>

#include <jansson.h>

#include "store_int.h"

static const char *const statuses[] = {"PENDING",    "APPROVED", "RETURNED",
                                       "SUPERSEDED", "REJECTED", "ERROR"};

static bool known_status(const char *s)
{
    for (size_t i = 0; i < QTB_ARRAY_LEN(statuses); i++) {
        if (strcmp(statuses[i], s) == 0) {
            return true;
        }
    }
    return false;
}

static int decide_locked(qtb_store *s, int64_t id, const char *to, const char *reviewer,
                         const char *remark)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    char status[16] = "";
    char at[32];
    qtb_store_now(at);
    QTB_TRY(qtb_store_prepare(s, &st, "SELECT status FROM submissions WHERE id = ?1"));
    if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "no submission with id %" PRId64, id);
        goto done;
    }
    if (step != SQLITE_ROW) {
        rc = qtb_store_fail(s, "reading a submission");
        goto done;
    }
    snprintf(status, sizeof(status), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    st = NULL;
    if (strcmp(status, "PENDING") != 0) {
        rc = QTB_FAIL(QTB_ESTATE,
                      "submission %" PRId64 " is %s: only a PENDING submission can be %s", id,
                      status, strcmp(to, "APPROVED") == 0 ? "approved" : "returned");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_set_status(s, id, to, at));
    QTB_TRY_GOTO(qtb_store_add_review_row(s, id, status, to, reviewer, remark, at));
    json_t *d = json_pack("{s:s, s:s, s:s, s:s?}", "from", status, "to", to, "reviewer", reviewer,
                          "remark", remark);
    char *text = d != NULL ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (text == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    rc = qtb_store_audit_append_locked(
        s, reviewer, strcmp(to, "APPROVED") == 0 ? "APPROVE" : "RETURN", id, text);
    free(text);
done:
    sqlite3_finalize(st);
    return rc;
}

static int decide(qtb_store *s, int64_t id, const char *to, const char *reviewer,
                  const char *remark)
{
    QTB_ENSURE(strlen(reviewer) <= 256, QTB_ETOOBIG, "the reviewer name is over 256 bytes");
    QTB_ENSURE(remark == NULL || strlen(remark) <= QTB_MAX_REMARK, QTB_ETOOBIG,
               "the remark is over %u bytes", QTB_MAX_REMARK);
    qtb_store_tx tx;
    QTB_TRY(qtb_store_tx_begin(s, &tx));
    int rc = decide_locked(s, id, to, reviewer, remark);
    if (rc < 0) {
        qtb_store_tx_abort(s, &tx);
        return rc;
    }
    return qtb_store_tx_commit(s, &tx);
}

int qtb_store_approve(qtb_store *s, int64_t id, const char *reviewer, const char *remark)
{
    QTB_ASSERT_ARG(s != NULL && reviewer != NULL);
    QTB_ENSURE(reviewer[0] != '\0', QTB_EUSAGE, "a reviewer name is required");
    return decide(s, id, "APPROVED", reviewer, remark);
}

int qtb_store_return(qtb_store *s, int64_t id, const char *reviewer, const char *remark)
{
    QTB_ASSERT_ARG(s != NULL && reviewer != NULL);
    QTB_ENSURE(reviewer[0] != '\0', QTB_EUSAGE, "a reviewer name is required");
    QTB_ENSURE(remark != NULL && remark[0] != '\0', QTB_EUSAGE,
               "a remark is required to return a submission");
    return decide(s, id, "RETURNED", reviewer, remark);
}

/* ---- JSON views ---------------------------------------------------------------------------- */

/* A column as a JSON value: NULL -> null, integer -> integer, text -> string; blobs -> hex. */
static json_t *col_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return json_null();
    case SQLITE_INTEGER:
        return json_integer((json_int_t)sqlite3_column_int64(st, i));
    case SQLITE_BLOB: {
        int n = sqlite3_column_bytes(st, i);
        const unsigned char *b = sqlite3_column_blob(st, i);
        if (n > 64 || b == NULL) {
            return json_null();
        }
        char hex[129];
        qtb_hex_encode(hex, b, (size_t)n);
        return json_string(hex);
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        return t != NULL ? json_string(t) : json_null();
    }
    }
}

/* Every row of a prepared statement as an object with the column names as keys. Columns named
 * "*_json" are parsed (and stored under the name without the suffix). */
static int rows_json(json_t **out, qtb_store *s, sqlite3_stmt *st)
{
    json_t *arr = json_array();
    if (arr == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            json_decref(arr);
            return qtb_store_fail(s, "reading rows");
        }
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        int n = sqlite3_column_count(st);
        for (int i = 0; i < n; i++) {
            const char *name = sqlite3_column_name(st, i);
            size_t nl = strlen(name);
            json_t *v = NULL;
            char key[64];
            snprintf(key, sizeof(key), "%s", name);
            if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
                key[nl - 5] = '\0';
                const char *t = (const char *)sqlite3_column_text(st, i);
                v = t != NULL ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
                if (v == NULL) {
                    v = json_null();
                }
            } else {
                v = col_json(st, i);
            }
            if (v == NULL || json_object_set_new(o, key, v) != 0) {
                json_decref(arr);
                return QTB_FAIL(QTB_ENOMEM, "out of memory");
            }
        }
    }
    *out = arr;
    return 0;
}

static int query_json(json_t **out, qtb_store *s, const char *sql, int64_t id, const char *text)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(s, &st, sql));
    if (sqlite3_bind_parameter_count(st) >= 1 && sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    if (sqlite3_bind_parameter_count(st) >= 2) {
        QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, text));
    }
    QTB_TRY_GOTO(rows_json(out, s, st));
done:
    sqlite3_finalize(st);
    return rc;
}

static int dump(char **out, json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    *out = qtb_strdup(text);
    free(text);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return 0;
}

#define SUBMISSION_COLUMNS                                                                         \
    "id, submission_key AS key, version, status, outcome, reason, applicant_kind, "                \
    "applicant_iin, applicant_bin, application_id, content_hash, previous_id, received_at, "       \
    "updated_at"

int qtb_store_list_json(char **out, qtb_store *s, const char *status, bool all_versions)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL);
    *out = NULL;
    if (status != NULL && !known_status(status)) {
        return QTB_FAIL(QTB_EUSAGE,
                        "unknown status '%s' (PENDING APPROVED RETURNED SUPERSEDED REJECTED ERROR)",
                        status);
    }
    json_t *arr = NULL;
    const char *sql = all_versions
                          ? "SELECT " SUBMISSION_COLUMNS " FROM submissions s WHERE ?1 >= 0 AND "
                            "(?2 IS NULL OR status = ?2) ORDER BY id DESC"
                          : "SELECT " SUBMISSION_COLUMNS
                            " FROM submissions s WHERE ?1 >= 0 AND version = "
                            "(SELECT max(version) FROM submissions t WHERE t.submission_key = "
                            "s.submission_key) AND (?2 IS NULL OR status = ?2) ORDER BY id DESC";
    QTB_TRY(query_json(&arr, s, sql, 0, status));
    int rc = dump(out, arr);
    json_decref(arr);
    return rc;
}

static int show_parts(json_t *sub, qtb_store *s, int64_t id)
{
    json_t *v = NULL;
    QTB_TRY(query_json(&v, s,
                       "SELECT id, name, kind, sha256, size, archive_path FROM documents "
                       "WHERE submission_id = ?1 ORDER BY id",
                       id, NULL));
    json_object_set_new(sub, "documents", v);
    QTB_TRY(query_json(&v, s,
                       "SELECT id, document_id, content_document_id, run_id, validated_at, "
                       "indication, subindication, message, error FROM validations WHERE "
                       "submission_id = ?1 ORDER BY id",
                       id, NULL));
    json_object_set_new(sub, "validations", v);
    size_t i;
    json_t *val;
    json_array_foreach(v, i, val)
    {
        json_t *sigs = NULL;
        int64_t vid = json_integer_value(json_object_get(val, "id"));
        QTB_TRY(query_json(&sigs, s,
                           "SELECT idx, indication, subindication, message, signer_iin, "
                           "signer_bin, signer_roles AS signer_roles_json, signer_name, "
                           "cert_sha256, signing_time, best_signature_time, validation_time "
                           "FROM signatures WHERE validation_id = ?1 ORDER BY idx",
                           vid, NULL));
        json_object_set_new(val, "signatures", sigs);
    }
    QTB_TRY(query_json(&v, s,
                       "SELECT severity, code, message FROM findings WHERE submission_id = ?1 "
                       "ORDER BY id",
                       id, NULL));
    json_object_set_new(sub, "findings", v);
    QTB_TRY(query_json(&v, s,
                       "SELECT t.id, t.version, t.status, t.outcome, t.received_at FROM "
                       "submissions t JOIN submissions s ON s.submission_key = t.submission_key "
                       "WHERE s.id = ?1 ORDER BY t.version",
                       id, NULL));
    json_object_set_new(sub, "versions", v);
    QTB_TRY(query_json(&v, s,
                       "SELECT r.submission_id, t.version, r.from_status AS \"from\", "
                       "r.to_status AS \"to\", r.reviewer, r.remark, r.at FROM reviews r "
                       "JOIN submissions t ON t.id = r.submission_id JOIN submissions s ON "
                       "s.submission_key = t.submission_key WHERE s.id = ?1 ORDER BY r.id",
                       id, NULL));
    json_object_set_new(sub, "history", v);
    return 0;
}

int qtb_store_show_json(char **out, qtb_store *s, int64_t id)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL);
    *out = NULL;
    json_t *arr = NULL;
    int rc = 0;
    QTB_TRY(query_json(&arr, s, "SELECT " SUBMISSION_COLUMNS " FROM submissions WHERE id = ?1", id,
                       NULL));
    json_t *sub = json_array_get(arr, 0);
    if (sub == NULL) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "no submission with id %" PRId64, id);
        goto done;
    }
    QTB_TRY_GOTO(show_parts(sub, s, id));
    rc = dump(out, sub);
done:
    json_decref(arr);
    return rc;
}

int qtb_store_document(unsigned char **out, size_t *len, qtb_store *s, int64_t submission_id,
                       const char *name)
{
    QTB_ASSERT_ARG(out != NULL && len != NULL && s != NULL && name != NULL);
    *out = NULL;
    *len = 0;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(s, &st,
                              "SELECT content FROM documents WHERE submission_id = ?1 AND "
                              "name = ?2 ORDER BY id LIMIT 1"));
    QTB_TRY_GOTO(sqlite3_bind_int64(st, 1, submission_id) == SQLITE_OK ? 0
                                                                       : qtb_store_fail(s, "bind"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, name));
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "submission %" PRId64 " has no document %s", submission_id,
                      name);
        goto done;
    }
    if (step != SQLITE_ROW) {
        rc = qtb_store_fail(s, "reading a document");
        goto done;
    }
    if (sqlite3_column_type(st, 0) != SQLITE_BLOB) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "document %s of submission %" PRId64 " is archived", name,
                      submission_id);
        goto done;
    }
    int n = sqlite3_column_bytes(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    unsigned char *copy = qtb_malloc((size_t)n + 1);
    if (copy == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    if (n > 0) {
        memcpy(copy, p, (size_t)n);
    }
    copy[n] = 0;
    *out = copy;
    *len = (size_t)n;
done:
    sqlite3_finalize(st);
    return rc;
}
