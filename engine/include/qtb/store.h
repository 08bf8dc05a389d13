/*
 * qoltanba: the SQLite review store. Submissions (one row per version), their documents,
 * validations and signatures, the evidence used, pre-check findings, review decisions with
 * their history, and an append-only, hash-chained audit log.
 *
 * Threads: a qtb_store is one SQLite connection. Use it from one thread at a time (the
 * connection is opened without SQLite's mutex); open one qtb_store per thread. Any number of
 * connections and processes may use the same file: the store runs in WAL mode with a busy
 * timeout, and every write takes the write lock up front (BEGIN IMMEDIATE).
 *
 * Durability: synchronous=FULL. Writers batch many submissions per transaction (see
 * qtb_store_begin), so the fsync per commit costs little, and a review decision or an audit
 * entry that was reported as done survives a power cut, not only a process crash.
 */
#ifndef QTB_STORE_H
#define QTB_STORE_H

#include <stdbool.h>

#include <qtb/common.h>
#include <qtb/questionnaire.h> /* qtb_applicant_kind */
#include <qtb/report.h>        /* qtb_string_free */
#include <qtb/trust.h>

QTB_BEGIN_DECLS

typedef struct qtb_store qtb_store;

/**
 * Open (creating if needed) a store and bring its schema up to date. Migrations are compiled
 * into the library and applied in order, each in its own transaction (PRAGMA user_version).
 * @param out the store; free with qtb_store_close.
 * @param path the database file (copied).
 * @return 0; QTB_ESTORE when SQLite fails or the file's schema is newer than this library;
 *         QTB_ENOMEM.
 */
QTB_API int qtb_store_open(qtb_store **out, const char *path) QTB_MUST_USE;

/** Close; NULL-safe. An open transaction is rolled back. */
QTB_API void qtb_store_close(qtb_store *s);

/** The schema version of the open store (PRAGMA user_version). */
QTB_API int qtb_store_schema_version(const qtb_store *s);

/** Begin a write transaction that groups several qtb_store_record calls (BEGIN IMMEDIATE). */
QTB_API int qtb_store_begin(qtb_store *s) QTB_MUST_USE;
/** Commit the transaction started by qtb_store_begin. @return 0, QTB_ESTORE. */
QTB_API int qtb_store_commit(qtb_store *s) QTB_MUST_USE;
/** Roll it back; safe without an open transaction. */
QTB_API void qtb_store_rollback(qtb_store *s);

/* ---- what one submission's verification produced ---------------------------------------- */

typedef enum qtb_outcome {
    QTB_OUTCOME_ACCEPTED = 1, /**< verified: waits for review (PENDING) */
    QTB_OUTCOME_REJECTED = 2, /**< a recorded rejection with a reason (not an error) */
    QTB_OUTCOME_ERROR = 3,    /**< verification could not run (operational problem) */
} qtb_outcome;

/** "ACCEPTED", "REJECTED" or "ERROR". */
QTB_API const char *qtb_outcome_name(qtb_outcome o);

/* Every pointer below is owned by the qtb_submission_result and freed by
 * qtb_submission_result_dispose (allocate with the library's allocator: results are built by
 * qtb_pipeline_check_submission, or by the qtb_submission_result_* helpers). */

typedef struct qtb_sub_document {
    char *name; /**< path relative to the submission folder, '/'-separated */
    char *kind; /**< APPLICANT_XML QUESTIONNAIRE_CMS QUESTIONNAIRE_PDF AUTH_XML ATTACHMENT
                     ATTACHMENT_CMS OTHER */
    unsigned char *data;
    size_t len;
    unsigned char sha256[32];
} qtb_sub_document;

typedef struct qtb_sub_signer {
    int indication;    /**< qtb_indication */
    int subindication; /**< qtb_subindication */
    char *message;
    char *iin, *bin, *name; /**< signer identity from the report; may be NULL */
    char *roles_json;       /**< JSON array of role names, e.g. ["CEO"]; may be NULL */
    char *cert_sha256;      /**< hex fingerprint of the signing certificate; may be NULL */
    char *signing_time, *best_signature_time; /**< RFC 3339; may be NULL */
    char *report_json;                        /**< this signature's JSON object */
} qtb_sub_signer;

typedef struct qtb_sub_evidence {
    char *kind; /**< CERTIFICATE CRL OCSP TIMESTAMP */
    unsigned char *der;
    size_t len;
} qtb_sub_evidence;

typedef struct qtb_sub_validation {
    size_t document;       /**< index into documents[]: the signature file */
    long content_document; /**< index of the detached content in documents[], or -1 */
    int64_t validated_at;  /**< seconds since the epoch */
    int indication;        /**< qtb_indication of the whole document */
    int subindication;     /**< qtb_subindication */
    char *message, *error; /**< error: the verifier did not run (may be NULL) */
    char *report_json;     /**< the whole report, or NULL */
    qtb_sub_signer *signers;
    size_t nsigners;
    qtb_sub_evidence *evidence;
    size_t nevidence;
} qtb_sub_validation;

typedef struct qtb_sub_finding {
    char *severity; /**< ERROR WARNING INFO */
    char *code;     /**< stable upper-case code, e.g. SIGNER_IIN_MISMATCH */
    char *message;
} qtb_sub_finding;

typedef struct qtb_submission_result {
    char *key;                         /**< the submission's name (its inbox folder) */
    unsigned char content_hash[32];    /**< see qtb_pipeline_content_hash */
    qtb_applicant_kind applicant_kind; /**< 0 while unknown (applicant.xml missing or invalid) */
    char *applicant_iin;  /**< the IIN the signer must have: the person's or the ИП's */
    char *applicant_bin;  /**< a legal entity's BIN */
    char *application_id; /**< the questionnaire's application ID */
    qtb_outcome outcome;
    char *reason; /**< one line for REJECTED / ERROR */
    qtb_sub_document *documents;
    size_t ndocuments;
    qtb_sub_validation *validations;
    size_t nvalidations;
    qtb_sub_finding *findings;
    size_t nfindings;
} qtb_submission_result;

/** Zero a result before filling it. */
QTB_API void qtb_submission_result_init(qtb_submission_result *r);
/** Free everything a result owns and zero it; NULL-safe. */
QTB_API void qtb_submission_result_dispose(qtb_submission_result *r);
/** Append a copy of `data` as a document (its SHA-256 is computed). @return 0, QTB_ENOMEM. */
QTB_API int qtb_submission_result_add_document(qtb_submission_result *r, const char *name,
                                               const char *kind, const unsigned char *data,
                                               size_t len) QTB_MUST_USE;
/** Append a finding (strings copied). @return 0, QTB_ENOMEM. */
QTB_API int qtb_submission_result_add_finding(qtb_submission_result *r, const char *severity,
                                              const char *code, const char *message) QTB_MUST_USE;

/* ---- recording ---------------------------------------------------------------------------- */

/** qtb_store_record flag: record again a content whose recorded outcome was ERROR. */
#define QTB_RECORD_RETRY_ERRORS 0x1u

/**
 * Record one verified submission atomically: the submission row (the next version of its key),
 * its documents, validations, signatures, evidence, findings, the review history entry and the
 * audit entries. Inside a qtb_store_begin transaction it is a savepoint (all or nothing, the
 * surrounding batch goes on); otherwise it is its own transaction.
 * An ACCEPTED result becomes PENDING and supersedes a PENDING previous version; a previous
 * RETURNED version keeps its status and the new version records that it answers the return.
 * @param id_out the new submission id (may be NULL).
 * @param actor who recorded it (audit log), e.g. "batch".
 * @param flags QTB_RECORD_*.
 * @return 0; QTB_EEXISTS when the same key with the same content hash is already recorded
 *         (nothing written); QTB_ESTORE; QTB_ENOMEM; QTB_EUSAGE.
 */
QTB_API int qtb_store_record(qtb_store *s, int64_t *id_out, const qtb_submission_result *r,
                             const char *actor, unsigned flags) QTB_MUST_USE;

/**
 * Store one piece of evidence (once per SHA-256 of its bytes). @param id_out its row id.
 * @return 0, QTB_ESTORE (also for an unknown kind), QTB_ENOMEM.
 */
QTB_API int qtb_store_put_evidence(int64_t *id_out, qtb_store *s,
                                   const qtb_sub_evidence *e) QTB_MUST_USE;

/**
 * Add every CRL stored as evidence to a trust set, so a re-validation sees the revocation data of
 * intake beside the current CRLs (the newest usable CRL of each issuer decides). Stored
 * certificates are not added: evidence never becomes a trust anchor. Set-up only: call before
 * other threads validate with `t`.
 * @param added_out how many CRLs were added (may be NULL).
 * @return 0, QTB_ESTORE, QTB_ENOMEM, QTB_EPARSE (a stored CRL no longer parses).
 */
QTB_API int qtb_store_add_evidence_crls(qtb_trust *t, size_t *added_out, qtb_store *s) QTB_MUST_USE;

/** Link stored evidence rows to every intake validation of a submission. @return 0, ESTORE. */
QTB_API int qtb_store_link_evidence(qtb_store *s, int64_t submission_id, const int64_t *ids,
                                    size_t n) QTB_MUST_USE;

/** 1 when the key with this content hash is recorded (ignoring ERROR outcomes with
 *  QTB_RECORD_RETRY_ERRORS), 0 when not, or a QTB_E* code. */
QTB_API int qtb_store_has_content(qtb_store *s, const char *key, const unsigned char hash[32],
                                  unsigned flags) QTB_MUST_USE;

/**
 * Every (key, content hash) recorded (without ERROR outcomes under QTB_RECORD_RETRY_ERRORS), as
 * SHA-256(key || 0x00 || hash) digests sorted ascending: a lock-free membership test for worker
 * threads (see qtb_batch_run and qtb_content_index_contains).
 * @param out an array of n*32 bytes; free with qtb_string_free. @return 0, QTB_ESTORE, ENOMEM.
 */
QTB_API int qtb_store_content_index(unsigned char **out, size_t *n, qtb_store *s,
                                    unsigned flags) QTB_MUST_USE;

/** True when (key, hash) is in an index made by qtb_store_content_index. */
QTB_API bool qtb_content_index_contains(const unsigned char *index, size_t n, const char *key,
                                        const unsigned char hash[32]);

/* ---- review ------------------------------------------------------------------------------- */

/**
 * Approve a PENDING submission.
 * @return 0; QTB_ENOTFOUND (no such id); QTB_ESTATE when it is not PENDING (the message says
 *         its status); QTB_EUSAGE (empty reviewer); QTB_ETOOBIG (remark over QTB_MAX_REMARK,
 *         reviewer over 256 bytes); QTB_ESTORE.
 */
QTB_API int qtb_store_approve(qtb_store *s, int64_t id, const char *reviewer,
                              const char *remark) QTB_MUST_USE;
/** Return a PENDING submission to the applicant; `remark` is required. Errors as approve. */
QTB_API int qtb_store_return(qtb_store *s, int64_t id, const char *reviewer,
                             const char *remark) QTB_MUST_USE;

/**
 * Submissions as a JSON array (the latest version of each key unless `all_versions`), newest
 * first, optionally only those with `status` (PENDING APPROVED RETURNED SUPERSEDED REJECTED
 * ERROR). @param out free with qtb_string_free. @return 0, QTB_EUSAGE (unknown status),
 * QTB_ESTORE, QTB_ENOMEM.
 */
QTB_API int qtb_store_list_json(char **out, qtb_store *s, const char *status,
                                bool all_versions) QTB_MUST_USE;
/**
 * One submission with its documents (no bytes), validations, signatures, findings, review
 * history of all versions of its key, as JSON. @return 0, QTB_ENOTFOUND, QTB_ESTORE.
 */
QTB_API int qtb_store_show_json(char **out, qtb_store *s, int64_t id) QTB_MUST_USE;

/**
 * The stored bytes of one document of a submission, by its name in the submission (e.g.
 * "questionnaire.pdf", the PDF regenerated from applicant.xml). `*out` is NUL-terminated (not
 * counted in `*len`) and freed with qtb_string_free. QTB_ENOTFOUND when the submission has no
 * such document or its content was moved to an archive.
 */
QTB_API int qtb_store_document(unsigned char **out, size_t *len, qtb_store *s,
                               int64_t submission_id, const char *name) QTB_MUST_USE;

/* ---- audit log ---------------------------------------------------------------------------- */

/**
 * Append an entry: hash = SHA-256(prev_hash || canonical entry); the anchor row (count, head)
 * is updated in the same transaction. @param details a JSON object text or NULL ("{}").
 * @return 0, QTB_ESTORE.
 */
QTB_API int qtb_store_audit_append(qtb_store *s, const char *actor, const char *action,
                                   int64_t submission_id, const char *details) QTB_MUST_USE;

/** The result of qtb_store_audit_verify. */
typedef struct qtb_audit_status {
    int64_t entries;       /**< rows checked */
    int64_t first_bad_seq; /**< first row that fails, or 0 */
    char head_hash[65];    /**< hex of the last hash (keep it elsewhere to detect rewrites) */
    char problem[256];     /**< one line; "" when intact */
} qtb_audit_status;

/**
 * Check the whole chain: consecutive sequence numbers from 1, each prev_hash equal to the
 * previous hash, each hash recomputed, and the anchor's count and head equal to the last row.
 * Detects edited, deleted, inserted, reordered and truncated rows. It detects, it cannot
 * prevent: someone with write access to the file can rewrite the whole chain and the anchor;
 * compare head_hash with a copy kept outside the database to catch that.
 * @return 0 when intact; QTB_EINTEGRITY with `out->problem` set when not; QTB_ESTORE.
 */
QTB_API int qtb_store_audit_verify(qtb_audit_status *out, qtb_store *s) QTB_MUST_USE;

QTB_END_DECLS

#endif
