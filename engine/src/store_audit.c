/*
 * The append-only audit log. Entry n carries prev_hash (entry n-1's hash, 32 zero bytes for the
 * first) and hash = SHA-256(prev_hash || canonical(entry)), where canonical() is every field as
 * "<decimal length>:<bytes>\n" in a fixed order (unambiguous whatever the fields contain). The
 * anchor row keeps the count and the head hash, updated in the same transaction.
 */
#include <inttypes.h>
#include <stdio.h>

#include "store_int.h"

static int canonical(qtb_buf *b, int64_t seq, const char *at, const char *actor, const char *action,
                     int64_t submission_id, const char *details)
{
    char num[2][24];
    snprintf(num[0], sizeof(num[0]), "%" PRId64, seq);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, submission_id);
    const char *fields[] = {"qtb-audit-v1", num[0], at, actor, action, num[1], details};
    for (size_t i = 0; i < QTB_ARRAY_LEN(fields); i++) {
        QTB_TRY(qtb_buf_printf(b, "%zu:", strlen(fields[i])));
        QTB_TRY(qtb_buf_puts(b, fields[i]));
        QTB_TRY(qtb_buf_puts(b, "\n"));
    }
    return 0;
}

static int entry_hash(unsigned char out[32], const unsigned char prev[32], int64_t seq,
                      const char *at, const char *actor, const char *action, int64_t sub_id,
                      const char *details)
{
    qtb_buf b;
    qtb_buf_init(&b, (size_t)64 << 20);
    int rc = canonical(&b, seq, at, actor, action, sub_id, details);
    if (rc == 0) {
        const void *parts[] = {prev, b.data != NULL ? (const void *)b.data : ""};
        const size_t lens[] = {32, b.len};
        rc = qtb_sha256_parts(out, parts, lens, 2);
    }
    qtb_buf_dispose(&b);
    return rc;
}

int qtb_store_audit_append_locked(qtb_store *s, const char *actor, const char *action,
                                  int64_t submission_id, const char *details)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    unsigned char prev[32];
    unsigned char hash[32];
    char at[32];
    qtb_store_now(at);
    if (details == NULL) {
        details = "{}";
    }
    QTB_TRY(qtb_store_prepare(s, &st, "SELECT count, head_hash FROM audit_anchor WHERE id = 1"));
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 1) != 32) {
        rc = QTB_FAIL(QTB_EINTEGRITY, "audit anchor row is missing or malformed");
        goto done;
    }
    int64_t seq = sqlite3_column_int64(st, 0) + 1;
    memcpy(prev, sqlite3_column_blob(st, 1), 32);
    sqlite3_finalize(st);
    st = NULL;
    QTB_TRY_GOTO(entry_hash(hash, prev, seq, at, actor, action, submission_id, details));

    QTB_TRY_GOTO(qtb_store_prepare(s, &st,
                                   "INSERT INTO audit_log (seq, at, actor, action, submission_id, "
                                   "details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                   "?8)"));
    if (sqlite3_bind_int64(st, 1, seq) != SQLITE_OK ||
        sqlite3_bind_int64(st, 5, submission_id) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 2, at));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 3, actor));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 4, action));
    QTB_TRY_GOTO(qtb_store_bind_text(s, st, 6, details));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 7, prev, 32));
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 8, hash, 32));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "appending to the audit log"));
    sqlite3_finalize(st);
    st = NULL;

    QTB_TRY_GOTO(qtb_store_prepare(
        s, &st, "UPDATE audit_anchor SET count = ?1, head_hash = ?2 WHERE id = 1"));
    if (sqlite3_bind_int64(st, 1, seq) != SQLITE_OK) {
        rc = qtb_store_fail(s, "bind");
        goto done;
    }
    QTB_TRY_GOTO(qtb_store_bind_blob(s, st, 2, hash, 32));
    QTB_TRY_GOTO(qtb_store_step_done(s, st, "updating the audit anchor"));
done:
    sqlite3_finalize(st);
    return rc;
}

int qtb_store_audit_append(qtb_store *s, const char *actor, const char *action,
                           int64_t submission_id, const char *details)
{
    QTB_ASSERT_ARG(s != NULL && actor != NULL && action != NULL);
    qtb_store_tx tx;
    QTB_TRY(qtb_store_tx_begin(s, &tx));
    int rc = qtb_store_audit_append_locked(s, actor, action, submission_id, details);
    if (rc < 0) {
        qtb_store_tx_abort(s, &tx);
        return rc;
    }
    return qtb_store_tx_commit(s, &tx);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

#define AUDIT_BAD(out, seq, ...)                                                                   \
    do {                                                                                           \
        (out)->first_bad_seq = (seq);                                                              \
        snprintf((out)->problem, sizeof((out)->problem), __VA_ARGS__);                             \
        rc = QTB_FAIL(QTB_EINTEGRITY, "audit log: %s", (out)->problem);                            \
        goto done;                                                                                 \
    } while (0)

/* Read the log in one read transaction, so a concurrent append cannot look like tampering. */
int qtb_store_audit_verify(qtb_audit_status *out, qtb_store *s)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL);
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    int rc = 0;
    bool began = false;
    unsigned char last[32] = {0};
    int64_t n = 0;
    if (sqlite3_get_autocommit(s->db) != 0) {
        QTB_TRY(qtb_store_exec(s, "BEGIN"));
        began = true;
    }
    QTB_TRY_GOTO(qtb_store_prepare(s, &st,
                                   "SELECT seq, at, actor, action, submission_id, details, "
                                   "prev_hash, hash FROM audit_log ORDER BY seq"));
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = qtb_store_fail(s, "reading the audit log");
            goto done;
        }
        int64_t seq = sqlite3_column_int64(st, 0);
        if (seq != n + 1) {
            AUDIT_BAD(out, seq,
                      "entry %" PRId64 " follows entry %" PRId64
                      " (rows deleted, inserted or renumbered)",
                      seq, n);
        }
        if (sqlite3_column_bytes(st, 6) != 32 || sqlite3_column_bytes(st, 7) != 32) {
            AUDIT_BAD(out, seq, "entry %" PRId64 " has a malformed hash", seq);
        }
        if (memcmp(sqlite3_column_blob(st, 6), last, 32) != 0) {
            AUDIT_BAD(out, seq, "entry %" PRId64 " does not chain to the entry before it", seq);
        }
        unsigned char want[32];
        QTB_TRY_GOTO(entry_hash(want, last, seq, col_text(st, 1), col_text(st, 2), col_text(st, 3),
                                sqlite3_column_int64(st, 4), col_text(st, 5)));
        if (memcmp(sqlite3_column_blob(st, 7), want, 32) != 0) {
            AUDIT_BAD(out, seq, "entry %" PRId64 " was edited (its hash does not match)", seq);
        }
        memcpy(last, want, 32);
        n = seq;
    }
    sqlite3_finalize(st);
    st = NULL;
    out->entries = n;
    qtb_hex_encode(out->head_hash, last, 32);

    QTB_TRY_GOTO(qtb_store_prepare(s, &st, "SELECT count, head_hash FROM audit_anchor"));
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW || sqlite3_column_bytes(st, 1) != 32) {
        AUDIT_BAD(out, n + 1, "the anchor row is missing or malformed");
    }
    int64_t count = sqlite3_column_int64(st, 0);
    if (count != n) {
        AUDIT_BAD(out, n + 1,
                  "the anchor counts %" PRId64 " entries, the log has %" PRId64
                  " (tail deleted or rows added behind the anchor)",
                  count, n);
    }
    if (memcmp(sqlite3_column_blob(st, 1), last, 32) != 0) {
        AUDIT_BAD(out, n, "the anchor's head hash differs from the last entry's");
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        AUDIT_BAD(out, n, "more than one anchor row");
    }
done:
    sqlite3_finalize(st);
    if (began) {
        (void)sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    return rc;
}
