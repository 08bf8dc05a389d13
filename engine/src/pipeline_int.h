/* Internals of the submission pipeline shared with the batch runner and the unit tests. */
#ifndef QTB_PIPELINE_INT_H
#define QTB_PIPELINE_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>

#include <qtb/batch.h>

#include "store_int.h"

/* True when `path` resolves (symlinks followed) to `root` or below it; false for a NULL root. */
bool qtb_pipeline_inside(const char *root, const char *path);

/* Run qtb_cms_verify or qtb_xml_verify and fill `v` (zeroed by the caller) with the verdict,
 * signers and report; a verifier that fails to run is recorded in v->error, not returned.
 * `cache` (may be NULL) keeps decoded certificates across calls and threads. */
int qtb_pipeline_run_verifier(qtb_sub_validation *v, bool xml, const unsigned char *sig,
                              size_t sig_len, const unsigned char *content, size_t content_len,
                              const qtb_trust *trust, qtb_cert_cache *cache, int64_t at,
                              unsigned flags) QTB_MUST_USE;

#endif
