/*
 * qoltanba: re-validating the archive. Every signature file recorded at intake is verified again
 * from its stored bytes (and stored detached content) with today's trust and CRLs, or at a given
 * time; the new results are recorded beside the old ones (validations.run_id) and the changes
 * are reported, e.g. a certificate revoked since intake.
 */
#ifndef QTB_REVALIDATE_H
#define QTB_REVALIDATE_H

#include <qtb/common.h>
#include <qtb/store.h>
#include <qtb/trust.h>

QTB_BEGIN_DECLS

#define QTB_REVALIDATE_OPTIONS_VERSION 1

typedef struct qtb_revalidate_options {
    unsigned version;              /**< QTB_REVALIDATE_OPTIONS_VERSION */
    const qtb_trust *trust;        /**< anchors and current CRLs; NULL: nothing trusted */
    int64_t at;                    /**< validation time; 0 means now */
    unsigned verify_flags;         /**< QTB_VERIFY_* */
    const char *trust_description; /**< recorded with the run (e.g. the folders); may be NULL */
} qtb_revalidate_options;

#define QTB_REVALIDATE_OPTIONS_INIT                                                                \
    {                                                                                              \
        QTB_REVALIDATE_OPTIONS_VERSION, NULL, 0, 0, NULL                                           \
    }

typedef struct qtb_revalidate_summary {
    int64_t run_id;
    size_t checked; /**< signature files verified again */
    size_t changed; /**< whose indication, sub-indication or ability to verify changed */
    size_t unchanged;
} qtb_revalidate_summary;

/**
 * Re-verify every intake validation of the store and record a revalidation run.
 * Documents are read from the database only (qoltanba stores them inline): a signature file or
 * detached content without inline bytes (content NULL, archive_path set, written by another
 * tool) is not read from disk; its validation is recorded as INDETERMINATE with an error naming
 * the archive_path, counted in `checked`, and the run goes on (schemas/README.md).
 * @param report_out a JSON report ({run, summary, changes[]}) for qtb_revalidate_report_write;
 *        free with qtb_string_free. May be NULL.
 * @return 0 when the run completed (changed verdicts are results, not errors); QTB_ESTORE,
 *         QTB_ENOMEM.
 */
QTB_API int qtb_store_revalidate(qtb_revalidate_summary *out, char **report_out, qtb_store *s,
                                 const qtb_revalidate_options *opts) QTB_MUST_USE;

/**
 * Write a report made by qtb_store_revalidate, in the format of the file's extension: ".csv"
 * (one line per change), ".json", or ".pdf" (a printable summary). Written atomically.
 * @return 0; QTB_EUSAGE (unknown extension); QTB_EPARSE (not such a report); QTB_EIO.
 */
QTB_API int qtb_revalidate_report_write(const char *path, const char *report_json) QTB_MUST_USE;

QTB_END_DECLS

#endif
