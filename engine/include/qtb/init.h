/**
 * @file init.h
 * One-time process initialisation, for programs that call the library from many threads.
 */
#ifndef QTB_INIT_H
#define QTB_INIT_H

#include <qtb/common.h>

QTB_BEGIN_DECLS

/**
 * Initialise what the library's dependencies set up lazily and without a lock: OpenSSL's
 * providers (default + legacy) and libxml2's parser and schema type table (libxml2 2.9 builds
 * the latter on first use, racing when two threads validate their first document at once).
 * Call once from the main thread before starting threads that use the library (e.g. an HTTP
 * server's workers). Idempotent and thread-safe; the library works without it single-threaded.
 */
QTB_API void qtb_library_init(void);

QTB_END_DECLS

#endif
