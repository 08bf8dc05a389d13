/* Growable byte buffer with a hard cap, and a bounded reader for untrusted bytes. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void qtb_buf_init(qtb_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void qtb_buf_dispose(qtb_buf *b)
{
    if (b == NULL) {
        return;
    }
    qtb_free(b->data);
    qtb_buf_init(b, b->max);
}

int qtb_buf_reserve(qtb_buf *b, size_t extra)
{
    size_t need = 0;
    /* +1 keeps room for a NUL terminator (qtb_buf_cstr) without another allocation. */
    if (qtb_add_overflows(b->len, extra, &need) || qtb_add_overflows(need, 1, &need)) {
        return QTB_FAIL(QTB_ETOOBIG, "buffer size overflow");
    }
    if (need - 1 > b->max) {
        return QTB_FAIL(QTB_ETOOBIG, "data exceeds the limit of %zu bytes", b->max);
    }
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (qtb_mul_overflows(cap, 2, &cap)) {
            cap = need;
            break;
        }
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    unsigned char *p = qtb_realloc(b->data, cap);
    if (p == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int qtb_buf_put(qtb_buf *b, const void *data, size_t len)
{
    if (len == 0) {
        return 0;
    }
    QTB_TRY(qtb_buf_reserve(b, len));
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int qtb_buf_puts(qtb_buf *b, const char *s)
{
    return qtb_buf_put(b, s, strlen(s));
}

int qtb_buf_printf(qtb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return QTB_FAIL(QTB_EGENERIC, "formatting failed");
    }
    QTB_TRY(qtb_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int qtb_buf_cstr(qtb_buf *b)
{
    QTB_TRY(qtb_buf_reserve(b, 0));
    b->data[b->len] = '\0';
    return 0;
}

unsigned char *qtb_buf_detach(qtb_buf *b, size_t *len_out)
{
    unsigned char *p = b->data;
    if (len_out != NULL) {
        *len_out = b->len;
    }
    qtb_buf_init(b, b->max);
    return p;
}

int qtb_reader_u8(qtb_reader *r, uint8_t *out)
{
    if (qtb_reader_left(r) < 1) {
        return QTB_FAIL(QTB_EPARSE, "unexpected end of data at offset %zu", r->pos);
    }
    *out = r->data[r->pos++];
    return 0;
}

int qtb_reader_bytes(qtb_reader *r, const unsigned char **out, size_t n)
{
    if (qtb_reader_left(r) < n) {
        return QTB_FAIL(QTB_EPARSE, "need %zu bytes at offset %zu, %zu left", n, r->pos,
                        qtb_reader_left(r));
    }
    *out = r->data + r->pos;
    r->pos += n;
    return 0;
}

int qtb_reader_skip(qtb_reader *r, size_t n)
{
    const unsigned char *ignored = NULL;
    return qtb_reader_bytes(r, &ignored, n);
}

int qtb_reader_der_tlv(qtb_reader *r, uint8_t *tag, const unsigned char **content, size_t *clen)
{
    uint8_t first = 0;
    QTB_TRY(qtb_reader_u8(r, tag));
    if ((*tag & 0x1f) == 0x1f) {
        return QTB_FAIL(QTB_EPARSE, "multi-byte DER tag at offset %zu", r->pos - 1);
    }
    QTB_TRY(qtb_reader_u8(r, &first));
    size_t len = 0;
    if (first < 0x80) {
        len = first;
    } else {
        size_t nbytes = first & 0x7f;
        /* X.690 §10.1: DER uses definite lengths only; 0x80 is BER indefinite. */
        if (nbytes == 0 || nbytes > sizeof(size_t)) {
            return QTB_FAIL(QTB_EPARSE, "unsupported DER length form at offset %zu", r->pos - 1);
        }
        for (size_t i = 0; i < nbytes; i++) {
            uint8_t b = 0;
            QTB_TRY(qtb_reader_u8(r, &b));
            len = (len << 8) | b;
        }
    }
    if (qtb_reader_left(r) < len) {
        return QTB_FAIL(QTB_EPARSE, "DER length %zu exceeds the input at offset %zu", len, r->pos);
    }
    *clen = len;
    return qtb_reader_bytes(r, content, len);
}
