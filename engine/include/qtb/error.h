/*
 * qoltanba: error codes and the thread-local "last error".
 *
 * Every fallible function returns 0 or a negative QTB_E* code. Details (a one-line message and
 * the source location that set it) are kept per thread and read back with qtb_error_last().
 * Codes are never renumbered or reused: callers, bindings and exit codes depend on them.
 *
 * A verification *verdict* is not an error: verify functions return 0 when they ran, and the
 * outcome is in their report (see <qtb/report.h>).
 */
#ifndef QTB_ERROR_H
#define QTB_ERROR_H

#include <qtb/common.h>

QTB_BEGIN_DECLS

typedef enum qtb_error_code {
    QTB_OK = 0,
    QTB_EGENERIC = -1,     /**< unexpected internal failure */
    QTB_ENOMEM = -2,       /**< allocation failed */
    QTB_EUSAGE = -3,       /**< invalid argument or API misuse */
    QTB_EIO = -4,          /**< file or socket I/O failed */
    QTB_EPARSE = -5,       /**< input is malformed */
    QTB_EPASSWORD = -6,    /**< wrong password for a key store */
    QTB_ETOOBIG = -7,      /**< input exceeds a configured limit */
    QTB_EUNSUPPORTED = -8, /**< algorithm or format not supported */
    QTB_ECRYPTO = -9,      /**< a cryptographic library call failed */
    QTB_ENOTFOUND = -10,   /**< a requested item does not exist */
    QTB_ESTORE = -11,      /**< the SQLite store failed */
    QTB_ENET = -12,        /**< network operation failed */
    QTB_EEXISTS = -13,     /**< the item already exists */
    QTB_ESTATE = -14,      /**< operation not allowed in the current state */
    QTB_EINTEGRITY = -15,  /**< integrity check failed (audit chain, stored hash) */
} qtb_error_code;

/** The last error set on this thread. */
typedef struct qtb_error {
    int code; /**< a qtb_error_code */
    const char
        *message;     /**< one line, never NULL; owned by the thread, valid until the next error */
    const char *file; /**< source file that set the error, or "" */
    int line;         /**< source line that set the error, or 0 */
} qtb_error;

/**
 * The last error recorded on the calling thread.
 * @return a pointer owned by the thread-local state; never NULL (code 0 when nothing failed).
 */
QTB_API const qtb_error *qtb_error_last(void);

/** Forget the last error of the calling thread. */
QTB_API void qtb_error_clear(void);

/** A stable upper-case name for a code, e.g. "EPARSE". */
QTB_API const char *qtb_error_name(int code);

QTB_END_DECLS

#endif
