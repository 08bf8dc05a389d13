/* Internals of the submission pipeline shared with the batch runner and the unit tests. */
#ifndef QTB_PIPELINE_INT_H
#define QTB_PIPELINE_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>

#include <qtb/batch.h>

/* True when `path` resolves (symlinks followed) to `root` or below it; false for a NULL root. */
bool qtb_pipeline_inside(const char *root, const char *path);
/* "PERSON", "IP", "LEGAL" and their synonyms (case-insensitive). */
qtb_applicant_kind qtb_pipeline_kind_from_text(const char *t);

#endif
