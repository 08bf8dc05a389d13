/*
 * qoltanba: checking applicants' submissions and the batch runner that records them.
 *
 * A submission is a folder: applicant.xml, questionnaire.pdf.cms (a CMS signature over the
 * questionnaire PDF that qoltanba regenerates from applicant.xml), optional auth.xml (an XML
 * challenge signed at registration), attachments/NAME.pdf each with an optional detached .cms.
 * Checking it is pure CPU work (no database); recording it is qtb_store_record.
 */
#ifndef QTB_BATCH_H
#define QTB_BATCH_H

#include <stdbool.h>

#include <qtb/common.h>
#include <qtb/questionnaire.h>
#include <qtb/store.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

QTB_BEGIN_DECLS

/* ---- signer <-> applicant ---------------------------------------------------------------- */

/** Why a signer does not match the applicant (stable; QTB_MATCH_OK when it does). */
typedef enum qtb_match {
    QTB_MATCH_OK = 0,
    QTB_MATCH_UNKNOWN_APPLICANT = 1, /**< applicant kind or its IIN/BIN is missing */
    QTB_MATCH_NO_IDENTITY = 2,       /**< the certificate names no IIN (or BIN) */
    QTB_MATCH_IIN_MISMATCH = 3,      /**< person/ИП: the signer's IIN is not the applicant's */
    QTB_MATCH_BIN_MISMATCH = 4,      /**< legal entity: the signer's BIN is not the entity's */
    QTB_MATCH_ROLE_NOT_ALLOWED = 5,  /**< legal entity: the signer is neither CEO nor CAN_SIGN */
    QTB_MATCH_ORG_CERTIFICATE = 6,   /**< a person signed with an organisation's certificate */
} qtb_match;

/** A signer's identity as the certificate states it (borrowed strings). */
typedef struct qtb_signer_id {
    const char *iin;          /**< SERIALNUMBER IIN…, or NULL */
    const char *bin;          /**< OU BIN…, or NULL */
    const char *const *roles; /**< role names from the EKU: "CEO", "CAN_SIGN", ... */
    size_t nroles;
} qtb_signer_id;

/**
 * The signer-must-match-the-applicant rule: an ИП's signer IIN is the ИП's IIN; a legal
 * entity's signer has the entity's BIN and the role CEO or CAN_SIGN; a person signs with their
 * own IIN on a personal certificate (no BIN). Pure function.
 */
QTB_API qtb_match qtb_match_signer(qtb_applicant_kind kind, const char *applicant_iin,
                                   const char *applicant_bin, const qtb_signer_id *signer);
/** Stable code, e.g. "SIGNER_IIN_MISMATCH" (NULL for QTB_MATCH_OK). */
QTB_API const char *qtb_match_code(qtb_match m);
/** One-line English explanation. */
QTB_API const char *qtb_match_message(qtb_match m);

/* ---- one submission ---------------------------------------------------------------------- */

#define QTB_PIPELINE_CTX_VERSION 2

typedef struct qtb_pipeline_ctx {
    unsigned version;           /**< QTB_PIPELINE_CTX_VERSION */
    const qtb_trust *trust;     /**< anchors and CRLs (shared, read-only); NULL: nothing trusted */
    int64_t at;                 /**< validation time; 0 means now */
    unsigned verify_flags;      /**< QTB_VERIFY_*; the time also sets "today" for the pre-checks */
    const char *inbox_root;     /**< symlinks resolving outside this folder are skipped; may be NULL
                                     (then every symlink is skipped) */
    qtb_cert_cache *cert_cache; /**< decoded certificates shared by every verification (any
                                     number of threads); NULL: decode them each time.
                                     qtb_batch_run makes one for the run when this is NULL. */
} qtb_pipeline_ctx;

#define QTB_PIPELINE_CTX_INIT                                                                      \
    {                                                                                              \
        QTB_PIPELINE_CTX_VERSION, NULL, 0, 0, NULL, NULL                                           \
    }

/**
 * Read a submission folder into `out` (documents and the content hash: SHA-256 over the files
 * sorted by name, each as name, NUL, 8-byte big-endian size, SHA-256 of its bytes). Problems with
 * the applicant's files (too big, unreadable, a symlink escaping the inbox) become findings and,
 * where they block, a REJECTED or ERROR outcome.
 * @param out initialised with qtb_submission_result_init; dispose it in every case.
 * @param key the submission name (copied).
 * @return 0; QTB_ENOMEM; QTB_EIO when the folder itself cannot be listed.
 */
QTB_API int qtb_pipeline_load(qtb_submission_result *out, const qtb_pipeline_ctx *ctx,
                              const char *dir, const char *key) QTB_MUST_USE;

/** One file of a submission given in memory (see qtb_pipeline_load_files). Borrowed. */
typedef struct qtb_sub_file {
    const char *name; /**< path inside the submission: applicant.xml, questionnaire.pdf.cms,
                           auth.xml, attachments/<x>.pdf[.cms] */
    const unsigned char *data;
    size_t len;
} qtb_sub_file;

/**
 * Like qtb_pipeline_load, for a submission held in memory (e.g. an HTTP upload): the files are
 * copied into `out`, classified and hashed exactly as if they were read from a folder, so the
 * same content gets the same content hash. Names must be relative, '/'-separated, without "."
 * or ".." parts and unique (QTB_EUSAGE otherwise); sizes are bounded like the folder's.
 */
QTB_API int qtb_pipeline_load_files(qtb_submission_result *out, const char *key,
                                    const qtb_sub_file *files, size_t n) QTB_MUST_USE;

/**
 * Verify a loaded submission: applicant.xml, the questionnaire CMS over the regenerated PDF,
 * auth.xml, the attachments' detached CMS, and the signer <-> applicant rule. Sets outcome,
 * reason, validations and findings. A verifier that fails to run is an ERROR outcome, a
 * verdict or mismatch a REJECTED outcome with a reason: neither is a returned error.
 * Thread-safe for distinct `out`. @return 0; QTB_ENOMEM.
 */
QTB_API int qtb_pipeline_verify(qtb_submission_result *out,
                                const qtb_pipeline_ctx *ctx) QTB_MUST_USE;

/** qtb_pipeline_load then qtb_pipeline_verify. */
QTB_API int qtb_pipeline_check_submission(qtb_submission_result *out, const qtb_pipeline_ctx *ctx,
                                          const char *dir, const char *key) QTB_MUST_USE;

/* ---- the batch runner -------------------------------------------------------------------- */

/** Reported once per submission, from the calling thread, after its row is committed. */
typedef struct qtb_batch_event {
    const char *key;
    int64_t id;      /**< submission id; 0 when skipped */
    int64_t version; /**< its version; 0 when skipped */
    qtb_outcome outcome;
    const char *reason; /**< may be NULL */
    bool skipped;       /**< already recorded with the same content */
    size_t done, total;
} qtb_batch_event;

typedef void (*qtb_batch_cb)(void *payload, const qtb_batch_event *ev);

#define QTB_BATCH_OPTIONS_VERSION 1

typedef struct qtb_batch_options {
    unsigned version;          /**< QTB_BATCH_OPTIONS_VERSION */
    unsigned jobs;             /**< worker threads; 0: one per online CPU */
    qtb_pipeline_ctx pipeline; /**< trust and time (inbox_root is set by the runner) */
    unsigned record_flags;     /**< QTB_RECORD_* */
    size_t commit_every;       /**< submissions per transaction; 0: 256 */
    unsigned commit_ms;        /**< commit at least this often; 0: 1000 */
    qtb_batch_cb progress;
    void *payload;
    /** Test hooks for crash-consistency tests: kill the process with SIGKILL after this many
     *  commits, or in the middle of transaction N+1 (after recording some submissions, before
     *  its commit). 0: off. */
    unsigned crash_after_commits;
    unsigned crash_mid_transaction;
    /** Evidence the verification relied on beyond what the signatures carry (e.g. the CRLs of
     *  the trust folders): stored once (by hash) and linked to every validation of the run, so
     *  a validation can be replayed later. Borrowed. */
    const qtb_sub_evidence *evidence;
    size_t nevidence;
} qtb_batch_options;

#define QTB_BATCH_OPTIONS_INIT                                                                     \
    {                                                                                              \
        QTB_BATCH_OPTIONS_VERSION, 0, QTB_PIPELINE_CTX_INIT, 0, 0, 0, NULL, NULL, 0, 0, NULL, 0    \
    }

typedef struct qtb_batch_summary {
    size_t total, accepted, rejected, errors, skipped;
    size_t commits;
    double seconds;
} qtb_batch_summary;

/**
 * Check every sub-folder of `inbox` on `jobs` worker threads and record the results through
 * `s` from the calling thread: several submissions per transaction, never one split across two.
 * Folders already recorded with the same content are skipped; a kill at any moment loses only
 * uncommitted work, which a re-run redoes.
 * @return 0 when the run completed (rejections and per-submission errors are outcomes);
 *         QTB_EIO (inbox unreadable), QTB_ESTORE, QTB_ENOMEM: operational failures.
 */
QTB_API int qtb_batch_run(qtb_batch_summary *out, qtb_store *s, const char *inbox,
                          const qtb_batch_options *opts) QTB_MUST_USE;

QTB_END_DECLS

#endif
