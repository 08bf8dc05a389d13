/* The review store's internals shared by store.c, store_review.c and store_audit.c. */
#ifndef QTB_STORE_INT_H
#define QTB_STORE_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <sqlite3.h>

#include <qtb/store.h>

#include "internal.h"

#define QTB_STORE_BUSY_TIMEOUT_MS 10000

struct qtb_store {
    sqlite3 *db;
    char *path;
    int schema_version;
};

/* Record the SQLite error of the connection as QTB_ESTORE, with what we were doing. */
int qtb_store_fail(qtb_store *s, const char *what);
int qtb_store_exec(qtb_store *s, const char *sql) QTB_MUST_USE;
int qtb_store_prepare(qtb_store *s, sqlite3_stmt **out, const char *sql) QTB_MUST_USE;
/* Bind a C string, or NULL as SQL NULL. */
int qtb_store_bind_text(qtb_store *s, sqlite3_stmt *st, int idx, const char *v) QTB_MUST_USE;
int qtb_store_bind_blob(qtb_store *s, sqlite3_stmt *st, int idx, const void *v,
                        size_t len) QTB_MUST_USE;
/* Step a statement that returns no row (SQLITE_DONE). */
int qtb_store_step_done(qtb_store *s, sqlite3_stmt *st, const char *what) QTB_MUST_USE;
/* The current time as RFC 3339 UTC. */
void qtb_store_now(char buf[32]);

/* A write that is atomic on its own or nested in an open transaction (then a savepoint). */
typedef struct qtb_store_tx {
    bool own; /* true: BEGIN IMMEDIATE ... COMMIT; false: SAVEPOINT ... RELEASE */
    bool open;
} qtb_store_tx;
int qtb_store_tx_begin(qtb_store *s, qtb_store_tx *tx) QTB_MUST_USE;
int qtb_store_tx_commit(qtb_store *s, qtb_store_tx *tx) QTB_MUST_USE;
void qtb_store_tx_abort(qtb_store *s, qtb_store_tx *tx);

/* SHA-256 over the concatenation of n parts. */
int qtb_sha256_parts(unsigned char out[32], const void *const *parts, const size_t *lens,
                     size_t n) QTB_MUST_USE;
/* The content index entry of (key, content hash): SHA-256(key || 0x00 || hash). */
int qtb_store_index_digest(unsigned char out[32], const char *key, size_t key_len,
                           const unsigned char hash[32]) QTB_MUST_USE;

/* Rows shared by recording, review and revalidation (inside the caller's transaction). */
int qtb_store_add_review_row(qtb_store *s, int64_t id, const char *from, const char *to,
                             const char *reviewer, const char *remark, const char *at) QTB_MUST_USE;
int qtb_store_set_status(qtb_store *s, int64_t id, const char *status, const char *at) QTB_MUST_USE;
/* content_doc_id and run_id: 0 for none. */
int qtb_store_insert_validation(int64_t *id_out, qtb_store *s, int64_t sub_id, int64_t doc_id,
                                int64_t content_doc_id, int64_t run_id,
                                const qtb_sub_validation *v) QTB_MUST_USE;

/* Append a document, taking ownership of `data` (freed on failure too). */
int qtb_submission_result_take_document(qtb_submission_result *r, const char *name,
                                        const char *kind, unsigned char *data,
                                        size_t len) QTB_MUST_USE;

/* Free what one validation owns (not the struct itself). */
void qtb_sub_validation_dispose(qtb_sub_validation *v);

/* Append an audit entry inside the caller's transaction. */
int qtb_store_audit_append_locked(qtb_store *s, const char *actor, const char *action,
                                  int64_t submission_id, const char *details) QTB_MUST_USE;

#endif
