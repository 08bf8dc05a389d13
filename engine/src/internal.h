/*
 * qoltanba internal helpers: error macros, checked allocation, bounded buffers and readers.
 * Included by every library source; never by the CLI, the server or callers.
 */
#ifndef QTB_INTERNAL_H
#define QTB_INTERNAL_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <qtb/base64.h>
#include <qtb/error.h>
#include <qtb/limits.h>

/* ---- errors ------------------------------------------------------------------------------ */

/* Record `code` with a message and the call site; evaluates to `code`. */
int qtb_error_set(int code, const char *file, int line, const char *fmt, ...) QTB_PRINTF(4, 5);
/* Like qtb_error_set, and appends the deepest queued OpenSSL reason (then clears the queue). */
int qtb_error_set_openssl(int code, const char *file, int line, const char *fmt, ...)
    QTB_PRINTF(4, 5);

#define QTB_FAIL(code, ...) qtb_error_set((code), __FILE__, __LINE__, __VA_ARGS__)
#define QTB_FAIL_SSL(code, ...) qtb_error_set_openssl((code), __FILE__, __LINE__, __VA_ARGS__)

/* Propagate a negative result unchanged (the deepest message is the most precise). */
#define QTB_TRY(expr)                                                                              \
    do {                                                                                           \
        int qtb_try_rc_ = (expr);                                                                  \
        if (qtb_try_rc_ < 0) {                                                                     \
            return qtb_try_rc_;                                                                    \
        }                                                                                          \
    } while (0)

/* With a `done:` label and an `int rc` in scope: propagate into rc and jump to cleanup. */
#define QTB_TRY_GOTO(expr)                                                                         \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc < 0) {                                                                              \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define QTB_ENSURE(cond, code, ...)                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return QTB_FAIL((code), __VA_ARGS__);                                                  \
        }                                                                                          \
    } while (0)

/* Programmer error: abort in debug builds, QTB_EUSAGE in release builds. */
#ifdef NDEBUG
#define QTB_ASSERT_ARG(cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return QTB_FAIL(QTB_EUSAGE, "invalid argument: %s", #cond);                            \
        }                                                                                          \
    } while (0)
#else
#include <assert.h>
#define QTB_ASSERT_ARG(cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            assert(!"invalid argument: " #cond);                                                   \
            return QTB_FAIL(QTB_EUSAGE, "invalid argument: %s", #cond);                            \
        }                                                                                          \
    } while (0)
#endif

#define QTB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation ---------------------------------------------------------------------------- */

/*
 * All library allocations go through these, so the test suite can fail the Nth one
 * (QTB_FAIL_ALLOC_AT=N in the environment) and check that QTB_ENOMEM comes back with no leak.
 */
void *qtb_malloc(size_t n);
void *qtb_calloc(size_t count, size_t size);
void *qtb_realloc(void *p, size_t n);
void qtb_free(void *p);
char *qtb_strdup(const char *s);
char *qtb_strndup(const char *s, size_t n);

/* Checked arithmetic: false on overflow. */
static inline bool qtb_add_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}
static inline bool qtb_mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/* size_t -> int for OpenSSL/libxml2/SQLite APIs; fails with QTB_ETOOBIG above INT_MAX. */
int qtb_size_to_int(int *out, size_t n);

/* ---- growable buffer with a hard cap --------------------------------------------------------- */

typedef struct qtb_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
    size_t max; /* the hard limit; an append beyond it fails with QTB_ETOOBIG */
} qtb_buf;

void qtb_buf_init(qtb_buf *b, size_t max);
void qtb_buf_dispose(qtb_buf *b);
int qtb_buf_reserve(qtb_buf *b, size_t extra) QTB_MUST_USE;
int qtb_buf_put(qtb_buf *b, const void *data, size_t len) QTB_MUST_USE;
int qtb_buf_puts(qtb_buf *b, const char *s) QTB_MUST_USE;
int qtb_buf_printf(qtb_buf *b, const char *fmt, ...) QTB_PRINTF(2, 3) QTB_MUST_USE;
/* NUL-terminate without counting the NUL in len (data is then a C string). */
int qtb_buf_cstr(qtb_buf *b) QTB_MUST_USE;
/* Hand the bytes to the caller (free with qtb_free); the buffer is left empty. */
unsigned char *qtb_buf_detach(qtb_buf *b, size_t *len_out);

/* ---- bounded reader over untrusted bytes --------------------------------------------------- */

typedef struct qtb_reader {
    const unsigned char *data;
    size_t len;
    size_t pos;
} qtb_reader;

static inline void qtb_reader_init(qtb_reader *r, const void *data, size_t len)
{
    r->data = (const unsigned char *)data;
    r->len = len;
    r->pos = 0;
}
static inline size_t qtb_reader_left(const qtb_reader *r)
{
    return r->len - r->pos;
}
int qtb_reader_u8(qtb_reader *r, uint8_t *out) QTB_MUST_USE;
int qtb_reader_bytes(qtb_reader *r, const unsigned char **out, size_t n) QTB_MUST_USE;
int qtb_reader_skip(qtb_reader *r, size_t n) QTB_MUST_USE;
/* One DER TLV with a single-byte tag and a definite length: tag, content pointer and length. */
int qtb_reader_der_tlv(qtb_reader *r, uint8_t *tag, const unsigned char **content,
                       size_t *clen) QTB_MUST_USE;

/* ---- files and encodings ------------------------------------------------------------------- */

/* Read a whole file, failing with QTB_ETOOBIG beyond `max` bytes. */
int qtb_file_read(unsigned char **out, size_t *out_len, const char *path, size_t max) QTB_MUST_USE;
/* Write atomically: temp file in the same folder, fsync, rename. */
int qtb_file_write_atomic(const char *path, const void *data, size_t len) QTB_MUST_USE;

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void qtb_hex_encode(char *out, const unsigned char *in, size_t len);

/* Base64: qtb_base64_decode and qtb_base64_encode are public, in <qtb/base64.h>. */

/*
 * Binary input as users hand it to us: DER, PEM (the first block, with its label returned),
 * or bare base64 of DER (as NCALayer returns it). `*der` is either `in` itself (no copy) or a
 * fresh allocation reported by *owned; free it with qtb_free when owned.
 */
typedef enum qtb_input_form {
    QTB_FORM_DER = 1,
    QTB_FORM_PEM = 2,
    QTB_FORM_BASE64 = 3,
} qtb_input_form;
int qtb_decode_binary_input(const unsigned char **der, size_t *der_len, bool *owned,
                            qtb_input_form *form, char *pem_label, size_t label_cap,
                            const unsigned char *in, size_t in_len) QTB_MUST_USE;

/* Zero memory that held a secret; not optimised away. */
void qtb_wipe(void *p, size_t n);

#endif
