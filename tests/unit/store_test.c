/*
 * The review store: migrations, recording, review transitions and history, the audit chain
 * against direct SQL tampering, atomicity, foreign keys and two connections at once; the
 * signer <-> applicant rule, the submission loader, and revalidation of documents kept
 * outside the database.
 *
 * `store_test --seed DB` fills DB with a known set of submissions through the library, for
 * tests/e2e/store_review.sh (verification cannot accept anything before the CMS and
 * questionnaire modules are merged).
 */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/pem.h>

#include <qtb/batch.h>
#include <qtb/questionnaire.h>
#include <qtb/revalidate.h>
#include <qtb/store.h>
#include <qtb/verify.h>

#include "pipeline_int.h"
#include "qtb_test.h"
#include "store_int.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    if (tmpdir[0] != '\0') {
        return;
    }
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/qtb_store_test.XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
}

/* A fresh database path for each case. */
static const char *db_path(const char *name)
{
    static char path[512];
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/%s.db", tmpdir, name);
    unlink(path);
    char side[600];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    return path;
}

/* An ACCEPTED submission with one document, one validation with one signer and a finding. */
static int make_result(qtb_submission_result *r, const char *key, unsigned char salt,
                       qtb_outcome outcome)
{
    qtb_submission_result_init(r);
    r->key = qtb_strdup(key);
    memset(r->content_hash, salt, 32);
    r->applicant_kind = QTB_APPLICANT_NATURAL_PERSON;
    r->applicant_iin = qtb_strdup("900101300123");
    r->application_id = qtb_strdup("APP-TEST-1");
    r->outcome = outcome;
    if (outcome != QTB_OUTCOME_ACCEPTED) {
        r->reason = qtb_strdup("SIGNER_IIN_MISMATCH: the signer's IIN is not the applicant's IIN");
    }
    unsigned char xml[] = "<applicant kind=\"PERSON\"><iin>900101300123</iin></applicant>";
    unsigned char cms[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    QTB_TRY(qtb_submission_result_add_document(r, "applicant.xml", "APPLICANT_XML", xml,
                                               sizeof(xml) - 1));
    QTB_TRY(qtb_submission_result_add_document(r, "questionnaire.pdf.cms", "QUESTIONNAIRE_CMS", cms,
                                               sizeof(cms)));
    r->validations = qtb_calloc(1, sizeof(*r->validations));
    if (r->validations == NULL) {
        return QTB_ENOMEM;
    }
    r->nvalidations = 1;
    qtb_sub_validation *v = &r->validations[0];
    v->document = 1;
    v->content_document = -1;
    v->validated_at = 1795000000;
    v->indication = QTB_TOTAL_PASSED;
    v->message = qtb_strdup("signature valid");
    v->report_json = qtb_strdup("{\"format\":\"CMS\",\"indication\":\"TOTAL_PASSED\"}");
    v->signers = qtb_calloc(1, sizeof(*v->signers));
    v->nsigners = 1;
    v->signers[0].indication = QTB_TOTAL_PASSED;
    v->signers[0].iin = qtb_strdup("900101300123");
    v->signers[0].roles_json = qtb_strdup("[\"INDIVIDUAL\"]");
    v->signers[0].cert_sha256 = qtb_strdup("ab12");
    v->signers[0].report_json = qtb_strdup("{\"signer\":{\"iin\":\"900101300123\"}}");
    v->evidence = qtb_calloc(1, sizeof(*v->evidence));
    v->nevidence = 1;
    v->evidence[0].kind = qtb_strdup("CERTIFICATE");
    v->evidence[0].der = qtb_malloc(3);
    memcpy(v->evidence[0].der, "\x30\x01\x00", 3);
    v->evidence[0].len = 3;
    return qtb_submission_result_add_finding(r, "INFO", "TEST", "made by the unit test");
}

static int64_t count_rows(qtb_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static int raw_exec(qtb_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static char *status_of(qtb_store *s, int64_t id)
{
    static char buf[32];
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT status FROM submissions WHERE id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
        }
    }
    sqlite3_finalize(st);
    return buf;
}

/* Record one submission; returns its id or -1. */
static int64_t record(qtb_store *s, const char *key, unsigned char salt, qtb_outcome o)
{
    qtb_submission_result r;
    int64_t id = -1;
    if (make_result(&r, key, salt, o) == 0 && qtb_store_record(s, &id, &r, "test", 0) != 0) {
        id = -1;
    }
    qtb_submission_result_dispose(&r);
    return id;
}

/* ---- migrations ------------------------------------------------------------------------------ */

static void test_store__migrations_idempotent(void)
{
    const char *path = db_path("migrate");
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, path));
    QTB_CHECK(qtb_store_schema_version(s) >= 1);
    int v = qtb_store_schema_version(s);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'") == 1);
    QTB_CHECK(count_rows(s, "PRAGMA foreign_keys") == 1);
    QTB_CHECK(count_rows(s, "PRAGMA synchronous") == 2); /* FULL */
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM audit_anchor") == 1);
    qtb_store_close(s);
    /* A second open applies nothing and keeps the data. */
    QTB_OK_CALL(qtb_store_open(&s, path));
    QTB_CHECK(qtb_store_schema_version(s) == v);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM audit_anchor") == 1);
    sqlite3_stmt *st = NULL;
    QTB_REQUIRE(sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
    QTB_CHECK(sqlite3_step(st) == SQLITE_ROW);
    QTB_CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    qtb_store_close(s);
}

static void test_store__newer_schema_refused(void)
{
    const char *path = db_path("newer");
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, path));
    QTB_REQUIRE(raw_exec(s, "PRAGMA user_version = 999") == 0);
    qtb_store_close(s);
    QTB_CHECK(qtb_store_open(&s, path) == QTB_ESTORE);
    QTB_CHECK(s == NULL);
    QTB_CHECK(strstr(qtb_error_last()->message, "newer") != NULL);
}

static void test_store__open_bad_path(void)
{
    qtb_store *s = NULL;
    QTB_CHECK(qtb_store_open(&s, "/nonexistent-dir/qtb/x.db") == QTB_ESTORE);
    QTB_CHECK(s == NULL);
    /* A file that is not a database. */
    const char *path = db_path("garbage");
    FILE *f = fopen(path, "wb");
    QTB_REQUIRE(f != NULL);
    for (int i = 0; i < 256; i++) {
        fputs("not a database ", f);
    }
    fclose(f);
    QTB_CHECK(qtb_store_open(&s, path) == QTB_ESTORE);
    QTB_CHECK(s == NULL);
}

/* ---- recording --------------------------------------------------------------------------- */

static void test_store__record_and_skip_identical(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("record")));
    qtb_submission_result r;
    QTB_OK_CALL(make_result(&r, "sub-1", 1, QTB_OUTCOME_ACCEPTED));
    int64_t id = 0;
    int rc = qtb_store_record(s, &id, &r, "test", 0);
    QTB_CHECK(rc == 0 && id > 0);
    QTB_CHECK(qtb_store_has_content(s, "sub-1", r.content_hash, 0) == 1);
    /* The same content again: nothing written. */
    int64_t id2 = 0;
    QTB_CHECK(qtb_store_record(s, &id2, &r, "test", 0) == QTB_EEXISTS);
    qtb_submission_result_dispose(&r);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM documents") == 2);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM signatures WHERE signer_iin = '900101300123'") ==
              1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM validation_evidence") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM findings") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM audit_log WHERE action = 'RECORD'") == 1);
    QTB_CHECK_STR(status_of(s, id), "PENDING");
    /* The content index finds it, and not another key with the same hash. */
    unsigned char *index = NULL;
    size_t n = 0;
    unsigned char h[32];
    memset(h, 1, 32);
    QTB_OK_CALL(qtb_store_content_index(&index, &n, s, 0));
    QTB_CHECK(n == 1);
    QTB_CHECK(qtb_content_index_contains(index, n, "sub-1", h));
    QTB_CHECK(!qtb_content_index_contains(index, n, "sub-2", h));
    h[0] = 2;
    QTB_CHECK(!qtb_content_index_contains(index, n, "sub-1", h));
    qtb_string_free((char *)index);
    qtb_store_close(s);
}

static void test_store__new_version_supersedes_pending(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("supersede")));
    int64_t v1 = record(s, "sub", 1, QTB_OUTCOME_ACCEPTED);
    int64_t v2 = record(s, "sub", 2, QTB_OUTCOME_ACCEPTED);
    QTB_REQUIRE(v1 > 0 && v2 > v1);
    QTB_CHECK_STR(status_of(s, v1), "SUPERSEDED");
    QTB_CHECK_STR(status_of(s, v2), "PENDING");
    QTB_CHECK(count_rows(s, "SELECT max(version) FROM submissions WHERE submission_key='sub'") ==
              2);
    /* The superseded version can no longer be decided. */
    QTB_CHECK(qtb_store_approve(s, v1, "alice", NULL) == QTB_ESTATE);
    qtb_store_close(s);
}

static void test_store__errors_retried_only_on_request(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("retry")));
    QTB_REQUIRE(record(s, "e", 7, QTB_OUTCOME_ERROR) > 0);
    qtb_submission_result r;
    QTB_OK_CALL(make_result(&r, "e", 7, QTB_OUTCOME_ERROR));
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", 0) == QTB_EEXISTS);
    QTB_CHECK(qtb_store_has_content(s, "e", r.content_hash, QTB_RECORD_RETRY_ERRORS) == 0);
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", QTB_RECORD_RETRY_ERRORS) == 0);
    /* An ACCEPTED record of that content is final: retrying does not duplicate it. */
    r.outcome = QTB_OUTCOME_ACCEPTED;
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", QTB_RECORD_RETRY_ERRORS) == 0);
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", QTB_RECORD_RETRY_ERRORS) == QTB_EEXISTS);
    qtb_submission_result_dispose(&r);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions WHERE submission_key = 'e'") == 3);
    qtb_store_close(s);
}

/* A failure in the middle of a submission leaves none of its rows. */
static void test_store__record_is_atomic(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("atomic")));
    qtb_submission_result bad;
    QTB_OK_CALL(make_result(&bad, "bad", 9, QTB_OUTCOME_ACCEPTED));
    /* Violates the findings CHECK constraint, after submission, documents and validations. */
    qtb_free(bad.findings[0].severity);
    bad.findings[0].severity = qtb_strdup("BOGUS");
    QTB_CHECK(qtb_store_record(s, NULL, &bad, "test", 0) == QTB_ESTORE);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM documents") == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM validations") == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM audit_log") == 0);

    /* Inside a batch transaction the failed submission is a savepoint: the others commit. */
    QTB_OK_CALL(qtb_store_begin(s));
    QTB_CHECK(record(s, "good-1", 1, QTB_OUTCOME_ACCEPTED) > 0);
    QTB_CHECK(qtb_store_record(s, NULL, &bad, "test", 0) == QTB_ESTORE);
    QTB_CHECK(record(s, "good-2", 2, QTB_OUTCOME_REJECTED) > 0);
    QTB_OK_CALL(qtb_store_commit(s));
    qtb_submission_result_dispose(&bad);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 2);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions WHERE submission_key = 'bad'") == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM documents") == 4);
    qtb_audit_status st;
    QTB_OK_CALL(qtb_store_audit_verify(&st, s));
    QTB_CHECK(st.entries == 2);

    /* A rolled-back batch leaves nothing. */
    QTB_OK_CALL(qtb_store_begin(s));
    QTB_CHECK(record(s, "gone", 3, QTB_OUTCOME_ACCEPTED) > 0);
    qtb_store_rollback(s);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions WHERE submission_key='gone'") == 0);
    QTB_OK_CALL(qtb_store_audit_verify(&st, s));
    QTB_CHECK(st.entries == 2);
    qtb_store_close(s);
}

static void test_store__invalid_result_refused(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("invalid")));
    qtb_submission_result r;
    QTB_OK_CALL(make_result(&r, "x", 1, QTB_OUTCOME_ACCEPTED));
    r.validations[0].document = 99;
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", 0) == QTB_EUSAGE);
    r.validations[0].document = 0;
    r.outcome = (qtb_outcome)0;
    QTB_CHECK(qtb_store_record(s, NULL, &r, "test", 0) == QTB_EUSAGE);
    qtb_submission_result_dispose(&r);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 0);
    qtb_store_close(s);
}

static void test_store__foreign_keys_enforced(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("fk")));
    QTB_REQUIRE(record(s, "a", 1, QTB_OUTCOME_ACCEPTED) > 0);
    QTB_CHECK(raw_exec(s, "INSERT INTO documents (submission_id, name, kind, sha256, size, "
                          "content) VALUES (4242, 'x', 'OTHER', zeroblob(32), 0, x'')") != 0);
    QTB_CHECK(raw_exec(s, "DELETE FROM submissions") != 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check "
                            "<> 'ok'") == 0);
    qtb_store_close(s);
}

/* ---- review ------------------------------------------------------------------------------ */

static void test_store__transitions(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("transitions")));
    int64_t a = record(s, "a", 1, QTB_OUTCOME_ACCEPTED);
    int64_t b = record(s, "b", 2, QTB_OUTCOME_ACCEPTED);
    int64_t rej = record(s, "c", 3, QTB_OUTCOME_REJECTED);
    QTB_REQUIRE(a > 0 && b > 0 && rej > 0);
    QTB_CHECK_STR(status_of(s, rej), "REJECTED");

    QTB_OK_CALL(qtb_store_approve(s, a, "alice", NULL));
    QTB_CHECK_STR(status_of(s, a), "APPROVED");
    QTB_CHECK(qtb_store_approve(s, a, "alice", NULL) == QTB_ESTATE);
    QTB_CHECK(strstr(qtb_error_last()->message, "APPROVED") != NULL);
    QTB_CHECK(qtb_store_return(s, a, "alice", "too late") == QTB_ESTATE);

    QTB_CHECK(qtb_store_return(s, b, "bob", "") == QTB_EUSAGE);
    QTB_CHECK(qtb_store_return(s, b, "bob", NULL) == QTB_EUSAGE);
    QTB_CHECK_STR(status_of(s, b), "PENDING");
    QTB_OK_CALL(qtb_store_return(s, b, "bob", "the ID scan is unreadable"));
    QTB_CHECK_STR(status_of(s, b), "RETURNED");
    QTB_CHECK(qtb_store_approve(s, b, "bob", NULL) == QTB_ESTATE);

    QTB_CHECK(qtb_store_approve(s, rej, "alice", NULL) == QTB_ESTATE);
    QTB_CHECK(qtb_store_approve(s, 9999, "alice", NULL) == QTB_ENOTFOUND);
    QTB_CHECK(qtb_store_approve(s, a, "", NULL) == QTB_EUSAGE);
    char *huge = qtb_malloc(QTB_MAX_REMARK + 2);
    QTB_REQUIRE(huge != NULL);
    memset(huge, 'x', QTB_MAX_REMARK + 1);
    huge[QTB_MAX_REMARK + 1] = '\0';
    QTB_CHECK(qtb_store_return(s, b, "bob", huge) == QTB_ETOOBIG);
    qtb_free(huge);

    QTB_CHECK(count_rows(s, "SELECT count(*) FROM reviews WHERE to_status = 'APPROVED' AND "
                            "reviewer = 'alice'") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM reviews WHERE to_status = 'RETURNED' AND "
                            "remark = 'the ID scan is unreadable'") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM audit_log WHERE action IN ('APPROVE', "
                            "'RETURN')") == 2);
    /* History rows are append-only. */
    QTB_CHECK(raw_exec(s, "UPDATE reviews SET reviewer = 'mallory'") != 0);
    qtb_store_close(s);
}

static void test_store__return_resubmit_history(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("resubmit")));
    int64_t v1 = record(s, "firm", 1, QTB_OUTCOME_ACCEPTED);
    QTB_REQUIRE(v1 > 0);
    QTB_OK_CALL(qtb_store_return(s, v1, "carol", "licence expired"));
    int64_t v2 = record(s, "firm", 2, QTB_OUTCOME_ACCEPTED);
    QTB_REQUIRE(v2 > v1);
    QTB_CHECK_STR(status_of(s, v1), "RETURNED");
    QTB_CHECK_STR(status_of(s, v2), "PENDING");
    char *json = NULL;
    QTB_OK_CALL(qtb_store_show_json(&json, s, v2));
    QTB_CHECK(strstr(json, "licence expired") != NULL);
    QTB_CHECK(strstr(json, "resubmitted after version 1 was returned") != NULL);
    QTB_CHECK(strstr(json, "\"versions\"") != NULL);
    qtb_string_free(json);
    QTB_OK_CALL(qtb_store_approve(s, v2, "carol", "fixed"));
    QTB_CHECK(qtb_store_show_json(&json, s, 12345) == QTB_ENOTFOUND);

    QTB_OK_CALL(qtb_store_list_json(&json, s, "APPROVED", false));
    QTB_CHECK(strstr(json, "\"firm\"") != NULL);
    qtb_string_free(json);
    QTB_OK_CALL(qtb_store_list_json(&json, s, "RETURNED", false));
    QTB_CHECK(strstr(json, "\"firm\"") == NULL); /* v1 is not the latest version */
    qtb_string_free(json);
    QTB_OK_CALL(qtb_store_list_json(&json, s, "RETURNED", true));
    QTB_CHECK(strstr(json, "\"firm\"") != NULL);
    qtb_string_free(json);
    json = NULL;
    QTB_CHECK(qtb_store_list_json(&json, s, "BOGUS", false) == QTB_EUSAGE);
    QTB_CHECK(json == NULL);
    qtb_store_close(s);
}

/* ---- audit ------------------------------------------------------------------------------- */

/* A store with 5 audit entries and the protecting triggers dropped, as an attacker would. */
static qtb_store *tamper_store(const char *name)
{
    qtb_store *s = NULL;
    if (qtb_store_open(&s, db_path(name)) != 0) {
        return NULL;
    }
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        if (record(s, key, (unsigned char)(i + 1), QTB_OUTCOME_ACCEPTED) <= 0) {
            qtb_store_close(s);
            return NULL;
        }
    }
    qtb_audit_status st;
    if (qtb_store_audit_verify(&st, s) != 0 || st.entries != 5 ||
        raw_exec(s, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete") != 0) {
        qtb_store_close(s);
        return NULL;
    }
    return s;
}

static void test_store__audit_intact_and_guarded(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("audit_ok")));
    qtb_audit_status st;
    QTB_OK_CALL(qtb_store_audit_verify(&st, s)); /* empty log */
    QTB_CHECK(st.entries == 0);
    QTB_OK_CALL(qtb_store_audit_append(s, "tester", "NOTE", 0, "{\"x\":\"line\\nbreak\"}"));
    QTB_OK_CALL(qtb_store_audit_append(s, "tester", "NOTE", 0, NULL));
    QTB_OK_CALL(qtb_store_audit_verify(&st, s));
    QTB_CHECK(st.entries == 2 && st.first_bad_seq == 0 && strlen(st.head_hash) == 64);
    QTB_CHECK(raw_exec(s, "UPDATE audit_log SET actor = 'x'") != 0);
    QTB_CHECK(raw_exec(s, "DELETE FROM audit_log") != 0);
    QTB_CHECK(raw_exec(s, "DELETE FROM audit_anchor") != 0);
    QTB_OK_CALL(qtb_store_audit_verify(&st, s));
    qtb_store_close(s);
}

static void test_store__audit_detects_edit(void)
{
    qtb_store *s = tamper_store("audit_edit");
    QTB_REQUIRE(s != NULL);
    QTB_REQUIRE(raw_exec(s, "UPDATE audit_log SET details = replace(details, 'PENDING', "
                            "'x') WHERE seq = 3; UPDATE audit_log SET actor = 'mallory' "
                            "WHERE seq = 3") == 0);
    qtb_audit_status st;
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(st.first_bad_seq == 3);
    QTB_CHECK(strstr(st.problem, "edited") != NULL);
    qtb_store_close(s);
}

static void test_store__audit_detects_delete(void)
{
    qtb_store *s = tamper_store("audit_delete");
    QTB_REQUIRE(s != NULL);
    QTB_REQUIRE(raw_exec(s, "DELETE FROM audit_log WHERE seq = 2") == 0);
    qtb_audit_status st;
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(st.first_bad_seq == 3);
    /* Renumbering to hide the gap breaks the chain instead. */
    QTB_REQUIRE(raw_exec(s, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 2") == 0);
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(st.first_bad_seq == 2);
    qtb_store_close(s);
}

static void test_store__audit_detects_reorder(void)
{
    qtb_store *s = tamper_store("audit_reorder");
    QTB_REQUIRE(s != NULL);
    /* Swap the contents of entries 2 and 4, keeping sequence numbers. */
    QTB_REQUIRE(raw_exec(s, "UPDATE audit_log SET seq = 100 WHERE seq = 2;"
                            "UPDATE audit_log SET seq = 2 WHERE seq = 4;"
                            "UPDATE audit_log SET seq = 4 WHERE seq = 100") == 0);
    qtb_audit_status st;
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(st.first_bad_seq == 2);
    qtb_store_close(s);
}

static void test_store__audit_detects_truncation(void)
{
    qtb_store *s = tamper_store("audit_truncate");
    QTB_REQUIRE(s != NULL);
    QTB_REQUIRE(raw_exec(s, "DELETE FROM audit_log WHERE seq >= 4") == 0);
    qtb_audit_status st;
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(strstr(st.problem, "anchor") != NULL);
    /* Everything deleted is detected too. */
    QTB_REQUIRE(raw_exec(s, "DELETE FROM audit_log") == 0);
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    qtb_store_close(s);
}

static void test_store__audit_detects_forged_append(void)
{
    qtb_store *s = tamper_store("audit_forge");
    QTB_REQUIRE(s != NULL);
    /* A row added by hand (right seq and prev_hash, but a made-up hash). */
    QTB_REQUIRE(raw_exec(s, "INSERT INTO audit_log (seq, at, actor, action, submission_id, "
                            "details, prev_hash, hash) SELECT 6, at, 'mallory', 'APPROVE', 1, "
                            "'{}', hash, hash FROM audit_log WHERE seq = 5") == 0);
    qtb_audit_status st;
    QTB_CHECK(qtb_store_audit_verify(&st, s) == QTB_EINTEGRITY);
    QTB_CHECK(st.first_bad_seq == 6);
    qtb_store_close(s);
}

/* ---- two connections ----------------------------------------------------------------------- */

typedef struct writer_arg {
    const char *path;
    const char *prefix;
    int n;
    int failures;
} writer_arg;

static void *writer_thread(void *p)
{
    writer_arg *a = p;
    qtb_store *s = NULL;
    if (qtb_store_open(&s, a->path) != 0) {
        a->failures = a->n;
        return NULL;
    }
    for (int i = 0; i < a->n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "%s-%d", a->prefix, i);
        if (i % 10 == 0 && qtb_store_begin(s) != 0) {
            a->failures++;
        }
        if (record(s, key, (unsigned char)i, QTB_OUTCOME_ACCEPTED) <= 0) {
            a->failures++;
        }
        if (i % 10 == 9 && qtb_store_commit(s) != 0) {
            a->failures++;
        }
    }
    qtb_store_close(s);
    return NULL;
}

static void test_store__two_connections(void)
{
    const char *path = db_path("concurrent");
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, path)); /* migrate once before the race */
    writer_arg a = {path, "a", 60, 0};
    writer_arg b = {path, "b", 60, 0};
    pthread_t ta;
    pthread_t tb;
    QTB_REQUIRE(pthread_create(&ta, NULL, writer_thread, &a) == 0);
    QTB_REQUIRE(pthread_create(&tb, NULL, writer_thread, &b) == 0);
    /* A reader on a third connection meanwhile. */
    for (int i = 0; i < 20; i++) {
        char *json = NULL;
        QTB_CHECK(qtb_store_list_json(&json, s, "PENDING", false) == 0);
        qtb_string_free(json);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    QTB_CHECK(a.failures == 0 && b.failures == 0);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 120);
    qtb_audit_status st;
    QTB_OK_CALL(qtb_store_audit_verify(&st, s));
    QTB_CHECK(st.entries == 120);
    qtb_store_close(s);
}

/* ---- signer <-> applicant rule ------------------------------------------------------------- */

static void test_match__person(void)
{
    const char *none[] = {NULL};
    qtb_signer_id me = {"900101300123", NULL, none, 0};
    qtb_signer_id other = {"850505400456", NULL, none, 0};
    const char *emp[] = {"EMPLOYEE"};
    qtb_signer_id employee = {"900101300123", "150340000109", emp, 1};
    qtb_signer_id nobody = {NULL, NULL, none, 0};
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_NATURAL_PERSON, "900101300123", NULL, &me) ==
              QTB_MATCH_OK);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_NATURAL_PERSON, "900101300123", NULL, &other) ==
              QTB_MATCH_IIN_MISMATCH);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_NATURAL_PERSON, "900101300123", NULL, &employee) ==
              QTB_MATCH_ORG_CERTIFICATE);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_NATURAL_PERSON, "900101300123", NULL, &nobody) ==
              QTB_MATCH_NO_IDENTITY);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_NATURAL_PERSON, NULL, NULL, &me) ==
              QTB_MATCH_UNKNOWN_APPLICANT);
    QTB_CHECK_STR(qtb_match_code(QTB_MATCH_IIN_MISMATCH), "SIGNER_IIN_MISMATCH");
    QTB_CHECK(qtb_match_code(QTB_MATCH_OK) == NULL);
}

static void test_match__ip(void)
{
    const char *none[] = {NULL};
    qtb_signer_id owner = {"900101300123", NULL, none, 0};
    qtb_signer_id other = {"900101300124", NULL, none, 0};
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_ENTREPRENEUR, "900101300123", NULL, &owner) ==
              QTB_MATCH_OK);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_ENTREPRENEUR, "900101300123", NULL, &other) ==
              QTB_MATCH_IIN_MISMATCH);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_ENTREPRENEUR, "", NULL, &owner) ==
              QTB_MATCH_UNKNOWN_APPLICANT);
}

static void test_match__legal_entity(void)
{
    const char *ceo[] = {"ORGANIZATION", "CEO"};
    const char *can[] = {"CAN_SIGN"};
    const char *fin[] = {"CAN_SIGN_FINANCIAL", "EMPLOYEE"};
    qtb_signer_id boss = {"700101300111", "150340000109", ceo, 2};
    qtb_signer_id signer = {"800101300222", "150340000109", can, 1};
    qtb_signer_id clerk = {"800101300333", "150340000109", fin, 2};
    qtb_signer_id elsewhere = {"700101300111", "160440000110", ceo, 2};
    qtb_signer_id personal = {"700101300111", NULL, ceo, 2};
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", &boss) ==
              QTB_MATCH_OK);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", &signer) ==
              QTB_MATCH_OK);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", &clerk) ==
              QTB_MATCH_ROLE_NOT_ALLOWED);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", &elsewhere) ==
              QTB_MATCH_BIN_MISMATCH);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", &personal) ==
              QTB_MATCH_NO_IDENTITY);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, "700101300111", NULL, &boss) ==
              QTB_MATCH_UNKNOWN_APPLICANT);
    QTB_CHECK(qtb_match_signer((qtb_applicant_kind)0, "1", "2", &boss) ==
              QTB_MATCH_UNKNOWN_APPLICANT);
    QTB_CHECK(qtb_match_signer(QTB_APPLICANT_LEGAL_ENTITY, NULL, "150340000109", NULL) ==
              QTB_MATCH_NO_IDENTITY);
}

/* ---- the submission loader --------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    fputs(text, f);
    return fclose(f);
}

static const char *make_submission(const char *name, const char *applicant)
{
    static char dir[512];
    make_tmpdir();
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
    mkdir(dir, 0700);
    char att[600];
    snprintf(att, sizeof(att), "%s/attachments", dir);
    mkdir(att, 0700);
    if (applicant != NULL) {
        write_file(dir, "applicant.xml", applicant);
    }
    write_file(dir, "questionnaire.pdf.cms", "not a cms");
    write_file(att, "id.pdf", "%PDF-1.4 id");
    return dir;
}

static void test_pipeline__content_hash(void)
{
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    const char *dir = make_submission("hash", "<applicant kind='PERSON'><iin>1</iin></applicant>");
    qtb_submission_result a;
    qtb_submission_result b;
    qtb_submission_result_init(&a);
    qtb_submission_result_init(&b);
    QTB_OK_CALL(qtb_pipeline_load(&a, &ctx, dir, "hash"));
    QTB_CHECK(a.ndocuments == 3);
    QTB_CHECK_STR(a.documents[0].name, "applicant.xml");
    QTB_CHECK_STR(a.documents[1].name, "attachments/id.pdf");
    QTB_CHECK_STR(a.documents[1].kind, "ATTACHMENT");
    QTB_CHECK(a.outcome == QTB_OUTCOME_ACCEPTED && a.reason == NULL);
    QTB_OK_CALL(qtb_pipeline_load(&b, &ctx, dir, "hash"));
    QTB_CHECK(memcmp(a.content_hash, b.content_hash, 32) == 0);
    qtb_submission_result_dispose(&b);
    /* One changed byte, or a renamed file, changes the hash. */
    char att[600];
    snprintf(att, sizeof(att), "%s/attachments", dir);
    write_file(att, "id.pdf", "%PDF-1.4 iD");
    qtb_submission_result_init(&b);
    QTB_OK_CALL(qtb_pipeline_load(&b, &ctx, dir, "hash"));
    QTB_CHECK(memcmp(a.content_hash, b.content_hash, 32) != 0);
    qtb_submission_result_dispose(&b);
    qtb_submission_result_dispose(&a);
    qtb_submission_result_init(&a);
    QTB_CHECK(qtb_pipeline_load(&a, &ctx, "/nonexistent/qtb", "x") == QTB_EIO);
    qtb_submission_result_dispose(&a);
}

/* In-memory files (the HTTP upload path) load exactly like the same files in a folder. */
static void test_pipeline__load_files_matches_folder(void)
{
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    const char *xml = "<applicant kind='PERSON'><iin>1</iin></applicant>";
    const char *dir = make_submission("mem", xml);
    qtb_submission_result a;
    qtb_submission_result b;
    qtb_submission_result_init(&a);
    qtb_submission_result_init(&b);
    QTB_OK_CALL(qtb_pipeline_load(&a, &ctx, dir, "mem"));
    /* Given out of order: the loader sorts as the folder loader does. */
    qtb_sub_file files[] = {
        {"questionnaire.pdf.cms", (const unsigned char *)"not a cms", 9},
        {"attachments/id.pdf", (const unsigned char *)"%PDF-1.4 id", 11},
        {"applicant.xml", (const unsigned char *)xml, strlen(xml)},
    };
    QTB_OK_CALL(qtb_pipeline_load_files(&b, "mem", files, 3));
    QTB_CHECK(b.ndocuments == 3);
    QTB_CHECK_STR(b.documents[1].kind, "ATTACHMENT");
    QTB_CHECK(memcmp(a.content_hash, b.content_hash, 32) == 0);
    qtb_submission_result_dispose(&b);
    /* One changed byte changes the hash. */
    files[1].data = (const unsigned char *)"%PDF-1.4 iD";
    qtb_submission_result_init(&b);
    QTB_OK_CALL(qtb_pipeline_load_files(&b, "mem", files, 3));
    QTB_CHECK(memcmp(a.content_hash, b.content_hash, 32) != 0);
    qtb_submission_result_dispose(&b);
    /* Names that could escape a folder, and duplicates, are refused. */
    const char *bad[] = {"../x.pdf", "/etc/passwd", "attachments/../a", "a//b", "", "a/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        qtb_sub_file f = {bad[i], (const unsigned char *)"x", 1};
        qtb_submission_result_init(&b);
        QTB_CHECK(qtb_pipeline_load_files(&b, "mem", &f, 1) == QTB_EUSAGE);
        qtb_submission_result_dispose(&b);
    }
    qtb_sub_file twice[] = {files[2], files[2]};
    qtb_submission_result_init(&b);
    QTB_CHECK(qtb_pipeline_load_files(&b, "mem", twice, 2) == QTB_EUSAGE);
    qtb_submission_result_dispose(&b);
    /* The stored documents can be read back by name; an unknown name is not found. */
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("docs")));
    a.outcome = QTB_OUTCOME_REJECTED;
    a.reason = qtb_strdup("test");
    int64_t id = 0;
    QTB_OK_CALL(qtb_store_record(s, &id, &a, "test", 0));
    unsigned char *data = NULL;
    size_t len = 0;
    QTB_OK_CALL(qtb_store_document(&data, &len, s, id, "attachments/id.pdf"));
    QTB_CHECK(len == 11 && memcmp(data, "%PDF-1.4 id", 11) == 0);
    qtb_string_free((char *)data);
    QTB_CHECK(qtb_store_document(&data, &len, s, id, "nope.pdf") == QTB_ENOTFOUND);
    QTB_CHECK(qtb_store_document(&data, &len, s, id + 1000, "applicant.xml") == QTB_ENOTFOUND);
    qtb_store_close(s);
    qtb_submission_result_dispose(&a);
}

static void test_pipeline__symlinks_confined(void)
{
    make_tmpdir();
    const char *dir = make_submission("links", "<applicant kind='IP'><iin>1</iin></applicant>");
    char path[1024];
    char target[1024];
    snprintf(path, sizeof(path), "%s/escape.txt", dir);
    QTB_REQUIRE(symlink("/etc/hostname", path) == 0 || errno == EEXIST);
    snprintf(path, sizeof(path), "%s/attachments/inside.pdf", dir);
    snprintf(target, sizeof(target), "%s/attachments/id.pdf", dir);
    QTB_REQUIRE(symlink(target, path) == 0 || errno == EEXIST);
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    ctx.inbox_root = tmpdir;
    qtb_submission_result r;
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_load(&r, &ctx, dir, "links"));
    bool escaped = false;
    bool inside = false;
    for (size_t i = 0; i < r.ndocuments; i++) {
        escaped = escaped || strcmp(r.documents[i].name, "escape.txt") == 0;
        inside = inside || strcmp(r.documents[i].name, "attachments/inside.pdf") == 0;
    }
    QTB_CHECK(!escaped);
    QTB_CHECK(inside);
    bool warned = false;
    for (size_t i = 0; i < r.nfindings; i++) {
        warned = warned || strcmp(r.findings[i].code, "SYMLINK_SKIPPED") == 0;
    }
    QTB_CHECK(warned);
    QTB_CHECK(!qtb_pipeline_inside(NULL, dir));
    qtb_submission_result_dispose(&r);
}

/* A demo applicant of fixtures/applicants (schema-valid), read whole. */
static char *fixture_applicant(const char *name)
{
    const char *src = getenv("QTB_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/fixtures/applicants/%s", src ? src : ".", name);
    unsigned char *data = NULL;
    size_t len = 0;
    if (qtb_file_read(&data, &len, path, 1u << 20) != 0) {
        return NULL;
    }
    return (char *)data; /* NUL-terminated by qtb_file_read */
}

static bool has_finding(const qtb_submission_result *r, const char *code)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        if (strcmp(r->findings[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

static void test_pipeline__applicant_checks(void)
{
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    struct {
        const char *name;
        const char *xml;
        const char *code;
    } cases[] = {
        {"noapp", NULL, "MISSING_APPLICANT"},
        {"badxml", "<applicant", "APPLICANT_INVALID"},
        {"dtd", "<!DOCTYPE a [<!ENTITY e 'x'>]><applicant kind='natural-person'/>",
         "APPLICANT_INVALID"},
        {"schema", "<applicant kind='natural-person'><iin>900101300123</iin></applicant>",
         "APPLICANT_INVALID"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *dir = make_submission(cases[i].name, cases[i].xml);
        qtb_submission_result r;
        qtb_submission_result_init(&r);
        QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, cases[i].name));
        QTB_CHECK(r.outcome == QTB_OUTCOME_REJECTED);
        QTB_CHECK(r.reason != NULL && strncmp(r.reason, cases[i].code, strlen(cases[i].code)) == 0);
        QTB_CHECK(r.nvalidations == 0);
        qtb_submission_result_dispose(&r);
    }
}

/* A schema-valid applicant: who must sign is recorded, the questionnaire is regenerated and used
 * as the detached content, and the pre-checks become findings. */
static void test_pipeline__applicant_and_questionnaire(void)
{
    char *legal = fixture_applicant("le-koltanba-test-pki-ru.xml");
    char *bad_iin = fixture_applicant("np-bad-iin-kk.xml");
    if (legal == NULL || bad_iin == NULL) {
        qtb_free(legal);
        qtb_free(bad_iin);
        QTB_SKIP("fixtures/applicants not found (QTB_SOURCE_DIR)");
    }
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    ctx.at = 1795305600; /* 2026-11-22 */
    const char *dir = make_submission("legal", legal);
    qtb_submission_result r;
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, "legal"));
    QTB_CHECK(r.applicant_kind == QTB_APPLICANT_LEGAL_ENTITY);
    QTB_CHECK_STR(r.applicant_bin, "040540000123");
    QTB_CHECK(r.application_id != NULL);
    QTB_CHECK(r.outcome != QTB_OUTCOME_ACCEPTED); /* "not a cms" cannot pass */
    QTB_REQUIRE(r.nvalidations == 1);
    long pdf = r.validations[0].content_document;
    QTB_REQUIRE(pdf >= 0);
    QTB_CHECK_STR(r.documents[pdf].kind, "QUESTIONNAIRE_PDF");
    QTB_CHECK(r.documents[pdf].len > 5 && memcmp(r.documents[pdf].data, "%PDF-", 5) == 0);
    QTB_CHECK(!has_finding(&r, "USER_IIN_CHECKSUM"));
    /* Regeneration is reproducible: the same applicant gives the same PDF. */
    qtb_submission_result again;
    qtb_submission_result_init(&again);
    QTB_OK_CALL(qtb_pipeline_check_submission(&again, &ctx, dir, "legal"));
    QTB_REQUIRE(again.nvalidations == 1 && again.validations[0].content_document >= 0);
    QTB_CHECK(memcmp(again.documents[again.validations[0].content_document].sha256,
                     r.documents[pdf].sha256, 32) == 0);
    qtb_submission_result_dispose(&again);
    qtb_submission_result_dispose(&r);

    dir = make_submission("badiin", bad_iin);
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, "badiin"));
    QTB_CHECK(r.applicant_kind == QTB_APPLICANT_NATURAL_PERSON);
    QTB_CHECK(has_finding(&r, "USER_IIN_CHECKSUM"));
    QTB_CHECK(r.reason == NULL || strncmp(r.reason, "USER_IIN_CHECKSUM", 17) != 0);
    qtb_submission_result_dispose(&r);
    qtb_free(legal);
    qtb_free(bad_iin);
}

/* An attached CMS (RSA, test PKI) over `content`, written to dir/questionnaire.pdf.cms. */
static int write_attached_cms(const char *dir, const unsigned char *content, size_t len)
{
    const char *fix = getenv("QTB_FIXTURES");
    char cert_path[1024];
    char key_path[1024];
    snprintf(cert_path, sizeof(cert_path), "%s/pki/certs/rsa_individual_sign.pem", fix ? fix : ".");
    snprintf(key_path, sizeof(key_path), "%s/pki/keys/rsa_individual_sign.key.pem",
             fix ? fix : ".");
    FILE *cf = fopen(cert_path, "r");
    FILE *kf = fopen(key_path, "r");
    X509 *cert = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
    if (cf) {
        fclose(cf);
    }
    if (kf) {
        fclose(kf);
    }
    BIO *in = BIO_new_mem_buf(content, (int)len);
    CMS_ContentInfo *cms = cert && key && in ? CMS_sign(cert, key, NULL, in, CMS_BINARY) : NULL;
    unsigned char *der = NULL;
    int der_len = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
    int rc = -1;
    if (der_len > 0) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/questionnaire.pdf.cms", dir);
        FILE *f = fopen(path, "wb");
        if (f != NULL) {
            rc = fwrite(der, 1, (size_t)der_len, f) == (size_t)der_len ? 0 : -1;
            fclose(f);
        }
    }
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

/* An attached questionnaire signature must carry exactly the regenerated PDF. */
static void test_pipeline__attached_questionnaire(void)
{
    char *xml = fixture_applicant("np-kurmangaliyeva-pki-kk.xml");
    if (xml == NULL) {
        QTB_SKIP("fixtures/applicants not found (QTB_SOURCE_DIR)");
    }
    qtb_applicant *a = NULL;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    int rc = qtb_applicant_parse(&a, (const unsigned char *)xml, strlen(xml), NULL);
    if (rc == 0) {
        rc = qtb_questionnaire_render(&pdf, &pdf_len, a, NULL);
    }
    qtb_applicant_free(a);
    const char *dir = make_submission("attached", xml);
    qtb_free(xml);
    QTB_REQUIRE(rc == 0);
    if (write_attached_cms(dir, pdf, pdf_len) != 0) {
        qtb_string_free((char *)pdf);
        QTB_SKIP("test PKI not found (QTB_FIXTURES)");
    }
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    qtb_submission_result r;
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, "attached"));
    QTB_CHECK(!has_finding(&r, "QUESTIONNAIRE_MISMATCH"));
    QTB_REQUIRE(r.nvalidations == 1);
    QTB_CHECK(r.validations[0].content_document == -1); /* the CMS carries the content */
    qtb_submission_result_dispose(&r);

    /* Attached, but over other bytes (the PDF with one byte changed). */
    pdf[pdf_len / 2] ^= 1;
    QTB_REQUIRE(write_attached_cms(dir, pdf, pdf_len) == 0);
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, "attached"));
    QTB_CHECK(has_finding(&r, "QUESTIONNAIRE_MISMATCH"));
    QTB_CHECK(r.outcome != QTB_OUTCOME_ACCEPTED);
    qtb_submission_result_dispose(&r);
    qtb_string_free((char *)pdf);
}

/* Turns on when the CMS module is merged: an invalid questionnaire signature must be a recorded
 * rejection (SIGNATURE_INVALID), not an ERROR. */
static void test_pipeline__cms_verdict_is_rejection(void)
{
    qtb_report *rep = NULL;
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    int rc = qtb_cms_verify(&rep, junk, sizeof(junk), &o);
    qtb_report_free(rep);
    if (rc == QTB_EUNSUPPORTED) {
        QTB_SKIP("qtb_cms_verify is still a stub (the cms branch is not merged)");
    }
    char *xml = fixture_applicant("np-ivanova-ru.xml");
    if (xml == NULL) {
        QTB_SKIP("fixtures/applicants not found (QTB_SOURCE_DIR)");
    }
    const char *dir = make_submission("cmsjunk", xml);
    qtb_free(xml);
    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    qtb_submission_result r;
    qtb_submission_result_init(&r);
    QTB_OK_CALL(qtb_pipeline_check_submission(&r, &ctx, dir, "cmsjunk"));
    QTB_CHECK(r.outcome != QTB_OUTCOME_ACCEPTED);
    QTB_CHECK(has_finding(&r, "SIGNATURE_INVALID"));
    QTB_CHECK(r.outcome == QTB_OUTCOME_REJECTED);
    qtb_submission_result_dispose(&r);
}

/* The batch runner through the library: evidence stored once and linked to every validation;
 * a re-run skips everything. */
static void test_batch__run_with_evidence(void)
{
    char *xml = fixture_applicant("np-ivanova-ru.xml");
    if (xml == NULL) {
        QTB_SKIP("fixtures/applicants not found (QTB_SOURCE_DIR)");
    }
    char inbox[512];
    make_tmpdir();
    snprintf(inbox, sizeof(inbox), "%s/inbox", tmpdir);
    QTB_REQUIRE(mkdir(inbox, 0700) == 0 || errno == EEXIST);
    for (int i = 0; i < 3; i++) {
        char dir[600];
        snprintf(dir, sizeof(dir), "%s/s%d", inbox, i);
        QTB_REQUIRE(mkdir(dir, 0700) == 0 || errno == EEXIST);
        QTB_REQUIRE(write_file(dir, "applicant.xml", xml) == 0);
        QTB_REQUIRE(write_file(dir, "questionnaire.pdf.cms", i == 0 ? "a" : "b") == 0);
    }
    qtb_free(xml);
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("batch")));
    unsigned char crl[] = {0x30, 0x02, 0x05, 0x00};
    qtb_sub_evidence ev = {"CRL", crl, sizeof(crl)};
    qtb_batch_options o = QTB_BATCH_OPTIONS_INIT;
    o.jobs = 2;
    o.commit_every = 2;
    o.evidence = &ev;
    o.nevidence = 1;
    qtb_batch_summary sum;
    QTB_OK_CALL(qtb_batch_run(&sum, s, inbox, &o));
    QTB_CHECK(sum.total == 3 && sum.skipped == 0);
    QTB_CHECK(sum.accepted + sum.rejected + sum.errors == 3);
    QTB_CHECK(sum.accepted == 0); /* "a" and "b" are not signatures */
    QTB_CHECK(sum.commits == 2);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM evidence WHERE kind = 'CRL'") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM validation_evidence") == 3);
    QTB_OK_CALL(qtb_batch_run(&sum, s, inbox, &o));
    QTB_CHECK(sum.total == 3 && sum.skipped == 3);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM evidence") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM submissions") == 3);
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/none", tmpdir);
    QTB_CHECK(qtb_batch_run(&sum, s, missing, &o) == QTB_EIO);
    qtb_store_close(s);
}

/* ---- revalidation of documents kept outside the database ------------------------------------ */

/* The first column of the first row, copied (free with qtb_free); NULL when none or NULL. */
static char *text_of(qtb_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        v = qtb_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

/* The outcome of the revalidation (run 1) of submission `sub`'s one validation. */
static char *run1_outcome(qtb_store *s, int64_t sub)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT indication || ' ' || ifnull(error, ifnull(message, '')) FROM validations "
             "WHERE run_id = 1 AND submission_id = %lld",
             (long long)sub);
    return text_of(s, sql);
}

#define ARCHIVED_NOTE "; this version of qoltanba only revalidates documents stored inline"

/*
 * qoltanba never writes archive_path, but the schema allows a document with content NULL and
 * archive_path set (another tool, a later version). Revalidation must record a clear error for
 * such a validation, count it and finish the run; an empty file stored inline is not such a
 * document.
 */
static void test_revalidate__archived_documents(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("archived")));
    int64_t inl = record(s, "inline", 1, QTB_OUTCOME_ACCEPTED);
    int64_t empty = record(s, "empty", 2, QTB_OUTCOME_ACCEPTED);
    int64_t arch = record(s, "archived", 3, QTB_OUTCOME_ACCEPTED);
    int64_t odd = record(s, "odd-path", 4, QTB_OUTCOME_ACCEPTED);
    qtb_submission_result r;
    int64_t detached = -1;
    if (make_result(&r, "detached", 5, QTB_OUTCOME_ACCEPTED) == 0) {
        r.validations[0].content_document = 0; /* applicant.xml stands in for signed content */
        if (qtb_store_record(s, &detached, &r, "test", 0) != 0) {
            detached = -1;
        }
    }
    qtb_submission_result_dispose(&r);
    QTB_REQUIRE(inl > 0 && empty > 0 && arch > 0 && odd > 0 && detached > 0);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "UPDATE documents SET content = X'' WHERE submission_id = %lld AND name = "
             "'questionnaire.pdf.cms';"
             "UPDATE documents SET content = NULL, archive_path = "
             "'archive/2026/archived/questionnaire.pdf.cms' WHERE submission_id = %lld AND "
             "name = 'questionnaire.pdf.cms';"
             "UPDATE documents SET content = NULL, archive_path = 'a' || char(10) || 'b' || "
             "CAST(X'C3' AS TEXT) WHERE submission_id = %lld AND name = "
             "'questionnaire.pdf.cms';"
             "UPDATE documents SET content = NULL, archive_path = "
             "'archive/2026/detached/applicant.xml' WHERE submission_id = %lld AND name = "
             "'applicant.xml';",
             (long long)empty, (long long)arch, (long long)odd, (long long)detached);
    QTB_REQUIRE(raw_exec(s, sql) == 0);
    QTB_REQUIRE(count_rows(s, "SELECT count(*) FROM documents WHERE content IS NULL") == 3);

    qtb_revalidate_options o = QTB_REVALIDATE_OPTIONS_INIT;
    o.at = 1800000000;
    qtb_revalidate_summary sum;
    char *report = NULL;
    QTB_OK_CALL(qtb_store_revalidate(&sum, &report, s, &o));
    QTB_CHECK(sum.run_id == 1 && sum.checked == 5);
    QTB_CHECK(sum.changed == 5 && sum.unchanged == 0); /* intake said TOTAL_PASSED for all */
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM revalidation_runs WHERE finished_at IS NOT "
                            "NULL") == 1);
    QTB_CHECK(count_rows(s, "SELECT count(*) FROM validations WHERE run_id = 1") == 5);

    char *got = run1_outcome(s, arch);
    QTB_CHECK_STR(got, "INDETERMINATE the signature file questionnaire.pdf.cms is kept outside "
                       "the database at archive/2026/archived/questionnaire.pdf.cms" ARCHIVED_NOTE);
    qtb_free(got);
    got = run1_outcome(s, detached);
    QTB_CHECK_STR(got, "INDETERMINATE the signed content applicant.xml is kept outside the "
                       "database at archive/2026/detached/applicant.xml" ARCHIVED_NOTE);
    qtb_free(got);
    /* A path with a line break and a broken UTF-8 byte: still one line of valid UTF-8. */
    got = run1_outcome(s, odd);
    QTB_CHECK_STR(got, "INDETERMINATE the signature file questionnaire.pdf.cms is kept outside "
                       "the database at a?b?" ARCHIVED_NOTE);
    qtb_free(got);
    QTB_CHECK(report != NULL && strstr(report, "outside the database at archive/2026/archived/"
                                               "questionnaire.pdf.cms; this version") != NULL);
    QTB_CHECK(report != NULL && strstr(report, "at a?b?; this version") != NULL);

    /* Twins: inline documents, the empty one included, went through the verifier. */
    got = run1_outcome(s, inl);
    QTB_CHECK(got != NULL && strstr(got, "outside the database") == NULL);
    QTB_CHECK(got != NULL && strncmp(got, "TOTAL_PASSED", 12) != 0);
    qtb_free(got);
    got = run1_outcome(s, empty);
    QTB_CHECK(got != NULL && strstr(got, "outside the database") == NULL);
    QTB_CHECK(got != NULL && strstr(got, "empty") != NULL);
    if (got != NULL && strstr(got, "empty") == NULL) {
        fprintf(stderr, "  empty signature revalidated as: %s\n", got);
    }
    qtb_free(got);
    qtb_string_free(report);
    qtb_store_close(s);
}

/* A document name that is not UTF-8 (written by another tool): the run completes, and the
 * change record and report carry the name repaired, instead of failing "out of memory". */
static void test_revalidate__non_utf8_names(void)
{
    qtb_store *s = NULL;
    QTB_OK_CALL(qtb_store_open(&s, db_path("non-utf8")));
    int64_t id = record(s, "odd-name", 1, QTB_OUTCOME_ACCEPTED);
    int64_t twin = record(s, "plain-name", 2, QTB_OUTCOME_ACCEPTED);
    QTB_REQUIRE(id > 0 && twin > 0);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE documents SET name = 'q' || CAST(X'C3FF' AS TEXT) || '.cms' WHERE "
             "submission_id = %lld AND name = 'questionnaire.pdf.cms'",
             (long long)id);
    QTB_REQUIRE(raw_exec(s, sql) == 0);
    qtb_revalidate_options o = QTB_REVALIDATE_OPTIONS_INIT;
    o.at = 1800000000;
    qtb_revalidate_summary sum;
    char *report = NULL;
    QTB_OK_CALL(qtb_store_revalidate(&sum, &report, s, &o));
    QTB_CHECK(sum.checked == 2 && sum.changed == 2);
    json_error_t err;
    json_t *doc = report != NULL ? json_loads(report, 0, &err) : NULL;
    QTB_CHECK(doc != NULL);
    QTB_CHECK(report != NULL && strstr(report, "\"document\": \"q??.cms\"") != NULL);
    QTB_CHECK(report != NULL && strstr(report, "\"document\": \"questionnaire.pdf.cms\"") != NULL);
    json_decref(doc);
    qtb_string_free(report);
    qtb_store_close(s);
}

/* ---- seeding for the e2e review test --------------------------------------------------------- */

static int seed(const char *path)
{
    qtb_store *s = NULL;
    if (qtb_store_open(&s, path) != 0) {
        fprintf(stderr, "seed: %s\n", qtb_error_last()->message);
        return 2;
    }
    int64_t ids[4] = {
        record(s, "alpha", 1, QTB_OUTCOME_ACCEPTED),
        record(s, "bravo", 2, QTB_OUTCOME_ACCEPTED),
        record(s, "charlie", 3, QTB_OUTCOME_REJECTED),
        record(s, "delta", 4, QTB_OUTCOME_ACCEPTED),
    };
    qtb_store_close(s);
    for (int i = 0; i < 4; i++) {
        if (ids[i] != i + 1) {
            fprintf(stderr, "seed: unexpected id %lld\n", (long long)ids[i]);
            return 2;
        }
    }
    return 0;
}

/* Record a second version of `key` (content salt 0x55). */
static int resubmit(const char *path, const char *key)
{
    qtb_store *s = NULL;
    if (qtb_store_open(&s, path) != 0) {
        return 2;
    }
    int64_t id = record(s, key, 0x55, QTB_OUTCOME_ACCEPTED);
    qtb_store_close(s);
    if (id <= 0) {
        fprintf(stderr, "resubmit: %s\n", qtb_error_last()->message);
        return 2;
    }
    printf("%lld\n", (long long)id);
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (tmpdir[0] != '\0') {
        (void)nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--seed") == 0) {
        return seed(argv[2]);
    }
    if (argc == 4 && strcmp(argv[1], "--resubmit") == 0) {
        return resubmit(argv[2], argv[3]);
    }
    QTB_RUN(test_store__migrations_idempotent);
    QTB_RUN(test_store__newer_schema_refused);
    QTB_RUN(test_store__open_bad_path);
    QTB_RUN(test_store__record_and_skip_identical);
    QTB_RUN(test_store__new_version_supersedes_pending);
    QTB_RUN(test_store__errors_retried_only_on_request);
    QTB_RUN(test_store__record_is_atomic);
    QTB_RUN(test_store__invalid_result_refused);
    QTB_RUN(test_store__foreign_keys_enforced);
    QTB_RUN(test_store__transitions);
    QTB_RUN(test_store__return_resubmit_history);
    QTB_RUN(test_store__audit_intact_and_guarded);
    QTB_RUN(test_store__audit_detects_edit);
    QTB_RUN(test_store__audit_detects_delete);
    QTB_RUN(test_store__audit_detects_reorder);
    QTB_RUN(test_store__audit_detects_truncation);
    QTB_RUN(test_store__audit_detects_forged_append);
    QTB_RUN(test_store__two_connections);
    QTB_RUN(test_match__person);
    QTB_RUN(test_match__ip);
    QTB_RUN(test_match__legal_entity);
    QTB_RUN(test_pipeline__content_hash);
    QTB_RUN(test_pipeline__symlinks_confined);
    QTB_RUN(test_pipeline__applicant_checks);
    QTB_RUN(test_pipeline__applicant_and_questionnaire);
    QTB_RUN(test_pipeline__load_files_matches_folder);
    QTB_RUN(test_pipeline__attached_questionnaire);
    QTB_RUN(test_pipeline__cms_verdict_is_rejection);
    QTB_RUN(test_batch__run_with_evidence);
    QTB_RUN(test_revalidate__archived_documents);
    QTB_RUN(test_revalidate__non_utf8_names);
    int rc = qtb_test_done();
    cleanup();
    return rc;
}
