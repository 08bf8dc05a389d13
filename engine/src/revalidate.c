/*
 * Re-validation of the archive: every intake validation is verified again from the stored bytes
 * and recorded under a revalidation run; what changed is reported (CSV, JSON or PDF).
 * The stored CRLs (evidence of intake) join the caller's trust set through
 * qtb_store_add_evidence_crls, so "stored evidence plus the current CRLs" is what decides.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include <hpdf.h>
#include <jansson.h>

#include <qtb/report.h>
#include <qtb/revalidate.h>

#include "pipeline_int.h"
#include "trust_int.h"
#include "report_int.h"
#include "store_int.h"

#define REVALIDATE_COMMIT_EVERY 256

int qtb_store_add_evidence_crls(qtb_trust *t, size_t *added_out, qtb_store *s)
{
    QTB_ASSERT_ARG(t != NULL && s != NULL);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    size_t added = 0;
    QTB_TRY(
        qtb_store_prepare(s, &st, "SELECT id, der FROM evidence WHERE kind = 'CRL' ORDER BY id"));
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = qtb_store_fail(s, "reading stored CRLs");
            goto done;
        }
        char name[64];
        snprintf(name, sizeof(name), "stored evidence #%lld",
                 (long long)sqlite3_column_int64(st, 0));
        QTB_TRY_GOTO(qtb_trust_add_mem(t, sqlite3_column_blob(st, 1),
                                       (size_t)sqlite3_column_bytes(st, 1), name));
        added++;
    }
    if (added_out != NULL) {
        *added_out = added;
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int64_t *collect_ids(qtb_store *s, size_t *n, int *rc)
{
    sqlite3_stmt *st = NULL;
    qtb_buf b;
    qtb_buf_init(&b, (size_t)1 << 32);
    *n = 0;
    *rc = qtb_store_prepare(s, &st, "SELECT id FROM validations WHERE run_id IS NULL ORDER BY id");
    while (*rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            *rc = qtb_store_fail(s, "listing validations");
            break;
        }
        int64_t id = sqlite3_column_int64(st, 0);
        *rc = qtb_buf_put(&b, &id, sizeof(id));
    }
    sqlite3_finalize(st);
    if (*rc < 0) {
        qtb_buf_dispose(&b);
        return NULL;
    }
    *n = b.len / sizeof(int64_t);
    return (int64_t *)qtb_buf_detach(&b, NULL);
}

static int start_run(int64_t *run_id, qtb_store *s, const qtb_revalidate_options *o,
                     const char *started)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    char vtime[32];
    qtb_time_rfc3339(vtime, sizeof(vtime), o->at != 0 ? o->at : (int64_t)time(NULL));
    QTB_TRY(qtb_store_prepare(s, &st,
                              "INSERT INTO revalidation_runs (started_at, validation_time, trust) "
                              "VALUES (?1, ?2, ?3)"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, started));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, vtime));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, o->trust_description));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "starting a revalidation run"));
    *run_id = sqlite3_last_insert_rowid(s->db);
done:
    sqlite3_finalize(st);
    return rc;
}

static const char *sub_or_null(int sub)
{
    return qtb_subindication_name((qtb_subindication)sub);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* A stored BLOB; a zero-length one reads back as NULL from SQLite, but an empty file stored
 * inline is still an input (an empty signature, empty detached content), not a missing one. */
static const unsigned char *col_blob(sqlite3_stmt *st, int i)
{
    static const unsigned char empty[1];
    const unsigned char *p = sqlite3_column_blob(st, i);
    return p != NULL ? p : empty;
}

/*
 * qoltanba stores every document inline (documents.content): a submission is bounded by
 * QTB_MAX_SUBMISSION_BYTES and recorded in one transaction. The schema also allows content NULL
 * with archive_path set; that is reserved (for a later version, or rows another tool wrote) and
 * such a document is not read here: nothing says which folder the path is relative to, and a
 * path taken from a database row could name any file. The validation is recorded as an error
 * that says so, counted like any other, and the run goes on.
 */
static int archived_error(char **out, const char *what, const char *name, const char *path)
{
    char msg[1280];
    snprintf(msg, sizeof(msg),
             "the %s %.200s is kept outside the database at %.900s; this version of qoltanba "
             "only revalidates documents stored inline",
             what, name != NULL ? name : "?", path != NULL ? path : "(no archive_path)");
    /* One line of valid UTF-8 (the report is JSON), whatever the row holds. */
    for (char *p = msg; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7F) {
            *p = '?';
        }
    }
    qtb_utf8_repair(msg);
    *out = qtb_strdup(msg);
    return *out != NULL ? 0 : QTB_FAIL(QTB_ENOMEM, "out of memory");
}

/* Verify validation `id` again; appends to `changes` when the verdict moved. */
static int revalidate_one(qtb_revalidate_summary *out, json_t *changes, qtb_store *s,
                          const qtb_revalidate_options *o, qtb_cert_cache *cache, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    qtb_sub_validation v;
    memset(&v, 0, sizeof(v));
    QTB_TRY(qtb_store_prepare(
        s, &st,
        "SELECT v.submission_id, v.document_id, v.content_document_id, v.indication, "
        "v.subindication, v.error, d.kind, d.name, d.content, c.content, s.submission_key, "
        "s.version, d.archive_path, c.archive_path, c.name FROM validations v JOIN documents d "
        "ON d.id = v.document_id LEFT JOIN "
        "documents c ON c.id = v.content_document_id JOIN submissions s ON s.id = "
        "v.submission_id WHERE v.id = ?1"));
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = qtb_store_fail(s, "reading a validation");
        goto done;
    }
    /* Types first: reading a column as text or bytes may convert it. */
    bool sig_inline = sqlite3_column_type(st, 8) != SQLITE_NULL;
    bool detached = sqlite3_column_type(st, 2) != SQLITE_NULL;
    bool content_inline = !detached || sqlite3_column_type(st, 9) != SQLITE_NULL;
    bool xml = strcmp(col_text(st, 6), "AUTH_XML") == 0;
    const unsigned char *sig = sig_inline ? col_blob(st, 8) : NULL;
    size_t sig_len = (size_t)sqlite3_column_bytes(st, 8);
    const unsigned char *content = detached && content_inline ? col_blob(st, 9) : NULL;
    size_t content_len = (size_t)sqlite3_column_bytes(st, 9);
    if (!sig_inline || !content_inline) {
        v.indication = QTB_INDETERMINATE;
        v.validated_at = o->at != 0 ? o->at : (int64_t)time(NULL);
        QTB_TRY_GOTO(
            !sig_inline
                ? archived_error(&v.error, "signature file", col_text(st, 7), col_text(st, 12))
                : archived_error(&v.error, "signed content", col_text(st, 14), col_text(st, 13)));
    } else {
        QTB_TRY_GOTO(qtb_pipeline_run_verifier(&v, xml, sig, sig_len, content, content_len,
                                               o->trust, cache, o->at, o->verify_flags));
    }
    int64_t sub_id = sqlite3_column_int64(st, 0);
    int64_t doc_id = sqlite3_column_int64(st, 1);
    int64_t content_id = sqlite3_column_int64(st, 2);
    QTB_TRY_GOTO(qtb_store_insert_validation(NULL, s, sub_id, doc_id, content_id, out->run_id, &v));

    const char *old_ind = col_text(st, 3);
    const char *old_sub = col_text(st, 4);
    bool old_err = sqlite3_column_type(st, 5) != SQLITE_NULL;
    const char *new_ind = qtb_indication_name((qtb_indication)v.indication);
    const char *new_sub = sub_or_null(v.subindication);
    bool same = strcmp(old_ind, new_ind) == 0 &&
                ((old_sub == NULL && new_sub == NULL) ||
                 (old_sub != NULL && new_sub != NULL && strcmp(old_sub, new_sub) == 0)) &&
                old_err == (v.error != NULL);
    out->checked++;
    if (same) {
        out->unchanged++;
        goto done;
    }
    out->changed++;
    /* Names and messages come from the store, which another tool may have written: repaired
     * to UTF-8 rather than let one odd byte abort the run. */
    json_t *c =
        json_pack("{s:I, s:o, s:I, s:o, s:{s:s, s:s?, s:o?}, s:{s:s, s:s?, s:o?}}", "submission_id",
                  (json_int_t)sub_id, "key", qtb_json_string_lossy(col_text(st, 10)), "version",
                  (json_int_t)sqlite3_column_int64(st, 11), "document",
                  qtb_json_string_lossy(col_text(st, 7)), "before", "indication", old_ind,
                  "subindication", old_sub, "error", qtb_json_string_lossy(col_text(st, 5)),
                  "after", "indication", new_ind, "subindication", new_sub, "message",
                  qtb_json_string_lossy(v.error != NULL ? v.error : v.message));
    if (c == NULL || json_array_append_new(changes, c) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
done:
    sqlite3_finalize(st);
    qtb_sub_validation_dispose(&v);
    return rc;
}

static int finish_run(qtb_store *s, const qtb_revalidate_summary *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    char at[32];
    qtb_store_now(at);
    QTB_TRY(
        qtb_store_prepare(s, &st, "UPDATE revalidation_runs SET finished_at = ?1 WHERE id = ?2"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, at));
    sqlite3_bind_int64(st, 2, out->run_id);
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "finishing a revalidation run"));
    char details[160];
    snprintf(details, sizeof(details),
             "{\"changed\":%zu,\"checked\":%zu,\"run_id\":%" PRId64 ",\"unchanged\":%zu}",
             out->changed, out->checked, out->run_id, out->unchanged);
    rc = qtb_store_audit_append_locked(s, "revalidate", "REVALIDATE", 0, details);
done:
    sqlite3_finalize(st);
    return rc;
}

static int make_report(char **report_out, const qtb_revalidate_summary *out, json_t *changes,
                       const char *started, const qtb_revalidate_options *o)
{
    char vtime[32];
    qtb_time_rfc3339(vtime, sizeof(vtime), o->at != 0 ? o->at : (int64_t)time(NULL));
    json_t *doc = json_pack("{s:{s:I, s:s, s:s, s:s?}, s:{s:I, s:I, s:I}, s:O}", "run", "id",
                            (json_int_t)out->run_id, "started_at", started, "validation_time",
                            vtime, "trust", o->trust_description, "summary", "checked",
                            (json_int_t)out->checked, "changed", (json_int_t)out->changed,
                            "unchanged", (json_int_t)out->unchanged, "changes", changes);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (text == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    *report_out = qtb_strdup(text);
    free(text);
    return *report_out != NULL ? 0 : QTB_FAIL(QTB_ENOMEM, "out of memory");
}

int qtb_store_revalidate(qtb_revalidate_summary *out, char **report_out, qtb_store *s,
                         const qtb_revalidate_options *opts)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL && opts != NULL);
    QTB_ASSERT_ARG(opts->version == QTB_REVALIDATE_OPTIONS_VERSION);
    memset(out, 0, sizeof(*out));
    if (report_out != NULL) {
        *report_out = NULL;
    }
    int rc = 0;
    size_t n = 0;
    char started[32];
    qtb_store_now(started);
    json_t *changes = json_array();
    qtb_cert_cache *cache = NULL; /* the archive's signers recur: decode each certificate once */
    rc = qtb_cert_cache_new(&cache, 0);
    int64_t *ids = rc == 0 ? collect_ids(s, &n, &rc) : NULL;
    if (changes == NULL && rc == 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    QTB_TRY_GOTO(rc);
    /* Batches of validations per transaction: a crash loses only the open batch, and the run
     * row (without finished_at) shows it was interrupted. */
    QTB_TRY_GOTO(qtb_store_begin(s));
    QTB_TRY_GOTO(start_run(&out->run_id, s, opts, started));
    for (size_t i = 0; i < n; i++) {
        QTB_TRY_GOTO(revalidate_one(out, changes, s, opts, cache, ids[i]));
        if ((i + 1) % REVALIDATE_COMMIT_EVERY == 0) {
            QTB_TRY_GOTO(qtb_store_commit(s));
            QTB_TRY_GOTO(qtb_store_begin(s));
        }
    }
    QTB_TRY_GOTO(finish_run(s, out));
    QTB_TRY_GOTO(qtb_store_commit(s));
    if (report_out != NULL) {
        rc = make_report(report_out, out, changes, started, opts);
    }
done:
    if (rc < 0) {
        qtb_store_rollback(s);
    }
    qtb_free(ids);
    json_decref(changes);
    qtb_cert_cache_free(cache);
    return rc;
}

/* ---- report files -------------------------------------------------------------------------- */

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path);
    size_t m = strlen(ext);
    return n > m && strcasecmp(path + n - m, ext) == 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v != NULL ? v : "";
}

/* RFC 4180 field, quoted; a leading = + - @ is neutralised against spreadsheet formulas. */
static int csv_field(qtb_buf *b, const char *v, bool last)
{
    QTB_TRY(qtb_buf_puts(b, "\""));
    if (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
        QTB_TRY(qtb_buf_puts(b, "'"));
    }
    for (const char *p = v; *p != '\0'; p++) {
        QTB_TRY(qtb_buf_put(b, p, 1));
        if (*p == '"') {
            QTB_TRY(qtb_buf_puts(b, "\""));
        }
    }
    return qtb_buf_puts(b, last ? "\"\r\n" : "\",");
}

static int write_csv(qtb_buf *b, json_t *doc)
{
    QTB_TRY(qtb_buf_puts(b, "submission_id,key,version,document,before_indication,"
                            "before_subindication,after_indication,after_subindication,"
                            "message\r\n"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "changes"), i, c)
    {
        char num[2][24];
        snprintf(num[0], sizeof(num[0]), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(c, "submission_id")));
        snprintf(num[1], sizeof(num[1]), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(c, "version")));
        json_t *before = json_object_get(c, "before");
        json_t *after = json_object_get(c, "after");
        const char *fields[] = {num[0],
                                jstr(c, "key"),
                                num[1],
                                jstr(c, "document"),
                                jstr(before, "indication"),
                                jstr(before, "subindication"),
                                jstr(after, "indication"),
                                jstr(after, "subindication"),
                                jstr(after, "message")};
        for (size_t f = 0; f < QTB_ARRAY_LEN(fields); f++) {
            QTB_TRY(csv_field(b, fields[f], f + 1 == QTB_ARRAY_LEN(fields)));
        }
    }
    return 0;
}

/* The base-14 fonts are Latin-1 only: anything else is shown as '?'. */
static void ascii_line(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 1 < cap; p++) {
        if ((*p & 0xC0) == 0x80) {
            continue; /* UTF-8 continuation bytes */
        }
        out[o++] = *p >= 0x20 && *p < 0x7F ? (char)*p : '?';
    }
    out[o] = '\0';
}

typedef struct pdf_writer {
    HPDF_Doc doc;
    HPDF_Page page;
    HPDF_Font font;
    float y;
} pdf_writer;

static int pdf_line(pdf_writer *w, const char *text, float size)
{
    if (w->page == NULL || w->y < 50) {
        if (w->page != NULL) {
            HPDF_Page_EndText(w->page);
        }
        w->page = HPDF_AddPage(w->doc);
        if (w->page == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "PDF page");
        }
        HPDF_Page_SetSize(w->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        HPDF_Page_BeginText(w->page);
        w->y = HPDF_Page_GetHeight(w->page) - 50;
    }
    char line[160];
    ascii_line(line, sizeof(line), text);
    HPDF_Page_SetFontAndSize(w->page, w->font, size);
    HPDF_Page_TextOut(w->page, 40, w->y, line);
    w->y -= size + 4;
    return 0;
}

static int write_pdf(qtb_buf *b, json_t *doc)
{
    pdf_writer w = {HPDF_New(NULL, NULL), NULL, NULL, 0};
    int rc = 0;
    if (w.doc == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "PDF document");
    }
    w.font = HPDF_GetFont(w.doc, "Helvetica", NULL);
    json_t *run = json_object_get(doc, "run");
    json_t *sum = json_object_get(doc, "summary");
    char line[512];
    QTB_TRY_GOTO(pdf_line(&w, "qoltanba revalidation report", 16));
    snprintf(line, sizeof(line), "run %" JSON_INTEGER_FORMAT " started %s, validation time %s",
             json_integer_value(json_object_get(run, "id")), jstr(run, "started_at"),
             jstr(run, "validation_time"));
    QTB_TRY_GOTO(pdf_line(&w, line, 10));
    snprintf(line, sizeof(line),
             "checked %" JSON_INTEGER_FORMAT ", changed %" JSON_INTEGER_FORMAT
             ", unchanged %" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(sum, "checked")),
             json_integer_value(json_object_get(sum, "changed")),
             json_integer_value(json_object_get(sum, "unchanged")));
    QTB_TRY_GOTO(pdf_line(&w, line, 10));
    QTB_TRY_GOTO(pdf_line(&w, "", 10));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "changes"), i, c)
    {
        json_t *before = json_object_get(c, "before");
        json_t *after = json_object_get(c, "after");
        snprintf(line, sizeof(line), "#%" JSON_INTEGER_FORMAT " %s v%" JSON_INTEGER_FORMAT " %s",
                 json_integer_value(json_object_get(c, "submission_id")), jstr(c, "key"),
                 json_integer_value(json_object_get(c, "version")), jstr(c, "document"));
        QTB_TRY_GOTO(pdf_line(&w, line, 10));
        snprintf(line, sizeof(line), "    %s %s -> %s %s", jstr(before, "indication"),
                 jstr(before, "subindication"), jstr(after, "indication"),
                 jstr(after, "subindication"));
        QTB_TRY_GOTO(pdf_line(&w, line, 9));
        snprintf(line, sizeof(line), "    %s", jstr(after, "message"));
        QTB_TRY_GOTO(pdf_line(&w, line, 9));
    }
    HPDF_Page_EndText(w.page);
    if (HPDF_SaveToStream(w.doc) != HPDF_OK) {
        rc = QTB_FAIL(QTB_ENOMEM, "PDF output");
        goto done;
    }
    HPDF_UINT32 size = HPDF_GetStreamSize(w.doc);
    QTB_TRY_GOTO(qtb_buf_reserve(b, size));
    HPDF_UINT32 got = size;
    if (HPDF_ReadFromStream(w.doc, b->data, &got) != HPDF_OK || got != size) {
        rc = QTB_FAIL(QTB_EGENERIC, "PDF output");
        goto done;
    }
    b->len = got;
done:
    HPDF_Free(w.doc);
    return rc;
}

int qtb_revalidate_report_write(const char *path, const char *report_json)
{
    QTB_ASSERT_ARG(path != NULL && report_json != NULL);
    bool csv = has_ext(path, ".csv");
    bool pdf = has_ext(path, ".pdf");
    bool jsn = has_ext(path, ".json");
    QTB_ENSURE(csv || pdf || jsn, QTB_EUSAGE,
               "%s: the report format comes from the extension: "
               ".csv, .json or .pdf",
               path);
    json_t *doc = json_loads(report_json, 0, NULL);
    if (!json_is_array(json_object_get(doc, "changes"))) {
        json_decref(doc);
        return QTB_FAIL(QTB_EPARSE, "not a revalidation report");
    }
    qtb_buf b;
    qtb_buf_init(&b, (size_t)1 << 30);
    int rc = 0;
    if (csv) {
        rc = write_csv(&b, doc);
    } else if (pdf) {
        rc = write_pdf(&b, doc);
    } else {
        rc = qtb_buf_puts(&b, report_json);
        if (rc == 0) {
            rc = qtb_buf_puts(&b, "\n");
        }
    }
    json_decref(doc);
    if (rc == 0) {
        rc = qtb_file_write_atomic(path, b.data, b.len);
    }
    qtb_buf_dispose(&b);
    return rc;
}
