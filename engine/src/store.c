/* The review store: opening, migrations, transactions and recording a submission. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <qtb/report.h>

#include "qtb_migrations.h"
#include "report_int.h"
#include "store_int.h"

/* ---- small SQLite helpers (the one place SQLite errors become qtb errors) ------------------ */

int qtb_store_fail(qtb_store *s, const char *what)
{
    return QTB_FAIL(QTB_ESTORE, "%s: %s", what, s->db != NULL ? sqlite3_errmsg(s->db) : "no db");
}

int qtb_store_exec(qtb_store *s, const char *sql)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        return qtb_store_fail(s, "sqlite exec");
    }
    return 0;
}

int qtb_store_prepare(qtb_store *s, sqlite3_stmt **out, const char *sql)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return qtb_store_fail(s, "sqlite prepare");
    }
    return 0;
}

int qtb_store_bind_text(qtb_store *s, sqlite3_stmt *st, int idx, const char *v)
{
    int rc = v != NULL ? sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, idx);
    if (rc != SQLITE_OK) {
        return qtb_store_fail(s, "sqlite bind");
    }
    return 0;
}

int qtb_store_bind_blob(qtb_store *s, sqlite3_stmt *st, int idx, const void *v, size_t len)
{
    if (sqlite3_bind_blob64(st, idx, v != NULL ? v : "", (sqlite3_uint64)len, SQLITE_STATIC) !=
        SQLITE_OK) {
        return qtb_store_fail(s, "sqlite bind blob");
    }
    return 0;
}

int qtb_store_step_done(qtb_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        return qtb_store_fail(s, what);
    }
    return 0;
}

void qtb_store_now(char buf[32])
{
    qtb_time_rfc3339(buf, 32, (int64_t)time(NULL));
}

/* ---- transactions -------------------------------------------------------------------------- */

int qtb_store_tx_begin(qtb_store *s, qtb_store_tx *tx)
{
    tx->own = sqlite3_get_autocommit(s->db) != 0;
    tx->open = false;
    QTB_TRY(qtb_store_exec(s, tx->own ? "BEGIN IMMEDIATE" : "SAVEPOINT qtb_tx"));
    tx->open = true;
    return 0;
}

int qtb_store_tx_commit(qtb_store *s, qtb_store_tx *tx)
{
    int rc = qtb_store_exec(s, tx->own ? "COMMIT" : "RELEASE qtb_tx");
    if (rc < 0) {
        qtb_store_tx_abort(s, tx);
        return rc;
    }
    tx->open = false;
    return 0;
}

void qtb_store_tx_abort(qtb_store *s, qtb_store_tx *tx)
{
    if (!tx->open) {
        return;
    }
    tx->open = false;
    if (tx->own) {
        if (sqlite3_get_autocommit(s->db) == 0) {
            (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
        return;
    }
    (void)sqlite3_exec(s->db, "ROLLBACK TO qtb_tx; RELEASE qtb_tx", NULL, NULL, NULL);
}

int qtb_store_begin(qtb_store *s)
{
    QTB_ASSERT_ARG(s != NULL);
    QTB_ENSURE(sqlite3_get_autocommit(s->db) != 0, QTB_ESTATE, "a transaction is already open");
    return qtb_store_exec(s, "BEGIN IMMEDIATE");
}

int qtb_store_commit(qtb_store *s)
{
    QTB_ASSERT_ARG(s != NULL);
    QTB_ENSURE(sqlite3_get_autocommit(s->db) == 0, QTB_ESTATE, "no transaction is open");
    int rc = qtb_store_exec(s, "COMMIT");
    if (rc < 0) {
        qtb_store_rollback(s);
    }
    return rc;
}

void qtb_store_rollback(qtb_store *s)
{
    if (s != NULL && s->db != NULL && sqlite3_get_autocommit(s->db) == 0) {
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

/* ---- open and migrate ---------------------------------------------------------------------- */

static int read_user_version(qtb_store *s, int *out)
{
    sqlite3_stmt *st = NULL;
    QTB_TRY(qtb_store_prepare(s, &st, "PRAGMA user_version"));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return qtb_store_fail(s, "reading user_version");
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Each migration runs in its own IMMEDIATE transaction and re-reads the version under the write
 * lock, so two processes opening a new file at once apply every migration exactly once. */
static int migrate(qtb_store *s)
{
    int count = (int)QTB_ARRAY_LEN(qtb_migrations);
    for (;;) {
        int v = 0;
        QTB_TRY(read_user_version(s, &v));
        if (v > count) {
            return QTB_FAIL(QTB_ESTORE, "%s: schema version %d is newer than this library's (%d)",
                            s->path, v, count);
        }
        if (v == count) {
            s->schema_version = v;
            return 0;
        }
        QTB_TRY(qtb_store_exec(s, "BEGIN IMMEDIATE"));
        int rc = read_user_version(s, &v);
        if (rc == 0 && v < count) {
            rc = qtb_store_exec(s, qtb_migrations[v].sql);
            if (rc == 0) {
                char pragma[64];
                snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
                rc = qtb_store_exec(s, pragma);
            }
            if (rc < 0) {
                (void)QTB_FAIL(QTB_ESTORE, "migration %s: %s", qtb_migrations[v].name,
                               qtb_error_last()->message);
            }
        }
        if (rc < 0) {
            qtb_store_rollback(s);
            return QTB_ESTORE;
        }
        QTB_TRY(qtb_store_commit(s));
    }
}

static int configure(qtb_store *s)
{
    if (sqlite3_busy_timeout(s->db, QTB_STORE_BUSY_TIMEOUT_MS) != SQLITE_OK) {
        return qtb_store_fail(s, "busy_timeout");
    }
    sqlite3_stmt *st = NULL;
    QTB_TRY(qtb_store_prepare(s, &st, "PRAGMA journal_mode = WAL"));
    int rc = sqlite3_step(st);
    bool wal =
        rc == SQLITE_ROW && sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        return QTB_FAIL(QTB_ESTORE, "%s: cannot switch to WAL mode", s->path);
    }
    /* FULL: see store.h; batched commits make the extra fsync cheap. */
    QTB_TRY(qtb_store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL"));
    return 0;
}

int qtb_store_open(qtb_store **out, const char *path)
{
    QTB_ASSERT_ARG(out != NULL && path != NULL);
    *out = NULL;
    int rc = 0;
    qtb_store *s = qtb_calloc(1, sizeof(*s));
    if (s == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    s->path = qtb_strdup(path);
    if (s->path == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = QTB_FAIL(QTB_ESTORE, "%s: %s", path,
                      s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
        goto done;
    }
    (void)sqlite3_extended_result_codes(s->db, 1);
    QTB_TRY_GOTO(configure(s));
    QTB_TRY_GOTO(migrate(s));
    *out = s;
    s = NULL;
done:
    qtb_store_close(s);
    return rc;
}

void qtb_store_close(qtb_store *s)
{
    if (s == NULL) {
        return;
    }
    qtb_store_rollback(s);
    if (s->db != NULL) {
        (void)sqlite3_close_v2(s->db);
    }
    qtb_free(s->path);
    qtb_free(s);
}

int qtb_store_schema_version(const qtb_store *s)
{
    return s != NULL ? s->schema_version : 0;
}

/* ---- names --------------------------------------------------------------------------------- */

const char *qtb_outcome_name(qtb_outcome o)
{
    switch (o) {
    case QTB_OUTCOME_ACCEPTED:
        return "ACCEPTED";
    case QTB_OUTCOME_REJECTED:
        return "REJECTED";
    case QTB_OUTCOME_ERROR:
    default:
        return "ERROR";
    }
}

/* ---- hashing ----------------------------------------------------------------------------- */

int qtb_sha256_parts(unsigned char out[32], const void *const *parts, const size_t *lens, size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i++) {
        ok = EVP_DigestUpdate(c, parts[i], lens[i]);
    }
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(c, out, &len) && len == 32;
    EVP_MD_CTX_free(c);
    if (!ok) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256");
    }
    return 0;
}

int qtb_store_index_digest(unsigned char out[32], const char *key, size_t key_len,
                           const unsigned char hash[32])
{
    const void *parts[] = {key, "", hash};
    const size_t lens[] = {key_len, 1, 32};
    return qtb_sha256_parts(out, parts, lens, 3);
}

/* ---- membership -------------------------------------------------------------------------- */

int qtb_store_has_content(qtb_store *s, const char *key, const unsigned char hash[32],
                          unsigned flags)
{
    QTB_ASSERT_ARG(s != NULL && key != NULL && hash != NULL);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    QTB_TRY(qtb_store_prepare(
        s, &st,
        (flags & QTB_RECORD_RETRY_ERRORS) != 0
            ? "SELECT 1 FROM submissions WHERE submission_key = ?1 AND content_hash = ?2 AND "
              "outcome <> 'ERROR'"
            : "SELECT 1 FROM submissions WHERE submission_key = ?1 AND content_hash = ?2"));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 1, key));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 2, hash, 32));
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        rc = 1;
    } else if (step != SQLITE_DONE) {
        rc = qtb_store_fail(s, "looking up content");
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

int qtb_store_content_index(unsigned char **out, size_t *n, qtb_store *s, unsigned flags)
{
    QTB_ASSERT_ARG(out != NULL && n != NULL && s != NULL);
    *out = NULL;
    *n = 0;
    int rc = 0;
    sqlite3_stmt *st = NULL;
    qtb_buf b;
    qtb_buf_init(&b, (size_t)1 << 34);
    QTB_TRY_GOTO(qtb_store_prepare(
        s, &st,
        (flags & QTB_RECORD_RETRY_ERRORS) != 0
            ? "SELECT submission_key, content_hash FROM submissions WHERE outcome <> 'ERROR'"
            : "SELECT submission_key, content_hash FROM submissions"));
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = qtb_store_fail(s, "reading the content index");
            goto done;
        }
        const unsigned char *key = sqlite3_column_text(st, 0);
        int klen = sqlite3_column_bytes(st, 0);
        const void *hash = sqlite3_column_blob(st, 1);
        if (key == NULL || hash == NULL || sqlite3_column_bytes(st, 1) != 32) {
            rc = QTB_FAIL(QTB_EINTEGRITY, "submissions row with a malformed key or hash");
            goto done;
        }
        unsigned char digest[32];
        QTB_TRY_GOTO(qtb_store_index_digest(digest, (const char *)key, (size_t)klen, hash));
        QTB_TRY_GOTO(qtb_buf_put(&b, digest, 32));
    }
    *n = b.len / 32;
    if (*n > 0) {
        qsort(b.data, *n, 32, cmp32);
    }
    *out = qtb_buf_detach(&b, NULL);
done:
    sqlite3_finalize(st);
    qtb_buf_dispose(&b);
    return rc;
}

bool qtb_content_index_contains(const unsigned char *index, size_t n, const char *key,
                                const unsigned char hash[32])
{
    unsigned char digest[32];
    if (index == NULL || n == 0 || key == NULL ||
        qtb_store_index_digest(digest, key, strlen(key), hash) < 0) {
        return false;
    }
    return bsearch(digest, index, n, 32, cmp32) != NULL;
}
