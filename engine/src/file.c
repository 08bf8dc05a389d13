/* Files, hex and base64, and detection of DER / PEM / bare base64 input. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

int qtb_file_read(unsigned char **out, size_t *out_len, const char *path, size_t max)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && path != NULL);
    *out = NULL;
    *out_len = 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return QTB_FAIL(QTB_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return QTB_FAIL(QTB_EIO, "cannot stat %s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return QTB_FAIL(QTB_EIO, "%s is a directory, not a file", path);
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        close(fd);
        return QTB_FAIL(QTB_ETOOBIG, "%s is %lld bytes, over the limit of %zu", path,
                        (long long)st.st_size, max);
    }

    qtb_buf b;
    qtb_buf_init(&b, max);
    int rc = 0;
    for (;;) {
        QTB_TRY_GOTO(qtb_buf_reserve(&b, 64 * 1024 < max - b.len ? 64 * 1024 : max - b.len));
        size_t room = b.cap - 1 - b.len;
        if (room == 0) {
            /* At the cap: one more byte means the file is too big. */
            unsigned char extra;
            ssize_t n = read(fd, &extra, 1);
            if (n > 0) {
                rc = QTB_FAIL(QTB_ETOOBIG, "%s is over the limit of %zu bytes", path, max);
                goto done;
            }
            break;
        }
        ssize_t n = read(fd, b.data + b.len, room);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = QTB_FAIL(QTB_EIO, "cannot read %s: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0) {
            break;
        }
        b.len += (size_t)n;
    }
    QTB_TRY_GOTO(qtb_buf_cstr(&b)); /* callers may treat text files as C strings */
    *out = qtb_buf_detach(&b, out_len);
done:
    close(fd);
    qtb_buf_dispose(&b);
    return rc;
}

int qtb_file_write_atomic(const char *path, const void *data, size_t len)
{
    QTB_ASSERT_ARG(path != NULL && (data != NULL || len == 0));
    qtb_buf tmp;
    qtb_buf_init(&tmp, 8192);
    int rc = 0;
    int fd = -1;
    QTB_TRY_GOTO(qtb_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()));
    QTB_TRY_GOTO(qtb_buf_cstr(&tmp));
    fd = open((char *)tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = QTB_FAIL(QTB_EIO, "cannot create %s: %s", (char *)tmp.data, strerror(errno));
        goto done;
    }
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = QTB_FAIL(QTB_EIO, "cannot write %s: %s", path, strerror(errno));
            goto done;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0) {
        rc = QTB_FAIL(QTB_EIO, "cannot sync %s: %s", path, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = QTB_FAIL(QTB_EIO, "cannot close %s: %s", path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename((char *)tmp.data, path) != 0) {
        rc = QTB_FAIL(QTB_EIO, "cannot rename into %s: %s", path, strerror(errno));
        goto done;
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    if (rc < 0 && tmp.data != NULL) {
        unlink((char *)tmp.data);
    }
    qtb_buf_dispose(&tmp);
    return rc;
}

void qtb_hex_encode(char *out, const unsigned char *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

static bool is_b64_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * RFC 4648 §4 with whitespace skipped. Each refusal names what is wrong (and where), because a
 * client that sent a certificate or a signature needs to know which of its bytes broke it.
 */
int qtb_base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t in_len,
                      unsigned flags)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && (in != NULL || in_len == 0));
    QTB_ASSERT_ARG((flags & ~QTB_BASE64_PADDING_OPTIONAL) == 0);
    *out = NULL;
    *out_len = 0;
    /* At most 3 bytes per 4 characters, 2 more from an unpadded last group, and the NUL. */
    unsigned char *res = qtb_malloc(in_len / 4 * 3 + 3);
    if (res == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory decoding base64");
    }
    int rc = 0;
    uint32_t acc = 0;
    size_t digits = 0; /* alphabet characters seen */
    size_t pad = 0;
    size_t n = 0;
    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_b64_space(c)) {
            continue;
        }
        if (c == '=') {
            pad++;
            if (pad > 2) {
                rc = QTB_FAIL(QTB_EPARSE, "more than two '=' in base64 at offset %zu", i);
                goto done;
            }
            continue;
        }
        int v = b64_value(c);
        if (v < 0) {
            rc = QTB_FAIL(QTB_EPARSE, "invalid base64 character at offset %zu", i);
            goto done;
        }
        if (pad > 0) {
            rc = QTB_FAIL(QTB_EPARSE, "base64 data after '=' padding at offset %zu", i);
            goto done;
        }
        acc = (acc << 6) | (uint32_t)v;
        digits++;
        if (digits % 4 == 0) {
            res[n++] = (unsigned char)(acc >> 16);
            res[n++] = (unsigned char)(acc >> 8);
            res[n++] = (unsigned char)acc;
            acc = 0;
        }
    }
    size_t rest = digits % 4; /* characters of a last, incomplete group */
    if (rest == 1) {
        rc = QTB_FAIL(QTB_EPARSE, "base64 input is truncated (one character in its last group)");
        goto done;
    }
    if (pad > 0 && rest + pad != 4) {
        rc = QTB_FAIL(QTB_EPARSE, "base64 padding does not complete the last group of four");
        goto done;
    }
    if (rest != 0 && pad == 0 && (flags & QTB_BASE64_PADDING_OPTIONAL) == 0) {
        rc = QTB_FAIL(QTB_EPARSE, "base64 input is not padded to a multiple of four characters");
        goto done;
    }
    /* Canonical encoding: the bits of the last group that carry no byte are zero (§3.5). */
    if ((rest == 2 && (acc & 0xF) != 0) || (rest == 3 && (acc & 0x3) != 0)) {
        rc = QTB_FAIL(QTB_EPARSE, "non-canonical base64: unused bits of the last group are set");
        goto done;
    }
    if (rest == 2) {
        res[n++] = (unsigned char)(acc >> 4);
    } else if (rest == 3) {
        res[n++] = (unsigned char)(acc >> 10);
        res[n++] = (unsigned char)(acc >> 2);
    }
    res[n] = '\0';
done:
    if (rc < 0) {
        qtb_free(res);
        return rc;
    }
    *out = res;
    *out_len = n;
    return 0;
}

int qtb_base64_encode(char **out, const unsigned char *in, size_t in_len)
{
    QTB_ASSERT_ARG(out != NULL && (in != NULL || in_len == 0));
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t groups = (in_len + 2) / 3;
    size_t need = 0;
    if (qtb_mul_overflows(groups, 4, &need) || qtb_add_overflows(need, 1, &need)) {
        return QTB_FAIL(QTB_ETOOBIG, "base64 output too large");
    }
    char *res = qtb_malloc(need);
    if (res == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory encoding base64");
    }
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < in_len) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (i + 2 < in_len) {
            v |= in[i + 2];
        }
        res[o++] = alphabet[(v >> 18) & 63];
        res[o++] = alphabet[(v >> 12) & 63];
        res[o++] = i + 1 < in_len ? alphabet[(v >> 6) & 63] : '=';
        res[o++] = i + 2 < in_len ? alphabet[v & 63] : '=';
    }
    res[o] = '\0';
    *out = res;
    return 0;
}

static const unsigned char *find_bytes(const unsigned char *hay, size_t hlen, const char *needle)
{
    size_t nlen = strlen(needle);
    if (nlen == 0 || hlen < nlen) {
        return NULL;
    }
    for (size_t i = 0; i + nlen <= hlen; i++) {
        if (memcmp(hay + i, needle, nlen) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

int qtb_decode_binary_input(const unsigned char **der, size_t *der_len, bool *owned,
                            qtb_input_form *form, char *pem_label, size_t label_cap,
                            const unsigned char *in, size_t in_len)
{
    QTB_ASSERT_ARG(der != NULL && der_len != NULL && owned != NULL && form != NULL);
    QTB_ASSERT_ARG(in != NULL || in_len == 0);
    *der = NULL;
    *der_len = 0;
    *owned = false;
    if (pem_label != NULL && label_cap > 0) {
        pem_label[0] = '\0';
    }
    if (in_len == 0) {
        return QTB_FAIL(QTB_EPARSE, "input is empty");
    }
    /* DER always starts with a SEQUENCE tag for the structures we read. */
    if (in[0] == 0x30) {
        *der = in;
        *der_len = in_len;
        *form = QTB_FORM_DER;
        return 0;
    }
    const unsigned char *begin = find_bytes(in, in_len, "-----BEGIN ");
    if (begin != NULL) {
        const unsigned char *label = begin + strlen("-----BEGIN ");
        size_t left = in_len - (size_t)(label - in);
        const unsigned char *label_end = find_bytes(label, left, "-----");
        if (label_end == NULL || label_end - label > 64) {
            return QTB_FAIL(QTB_EPARSE, "malformed PEM header");
        }
        const unsigned char *body = label_end + 5;
        const unsigned char *end = find_bytes(body, in_len - (size_t)(body - in), "-----END ");
        if (end == NULL) {
            return QTB_FAIL(QTB_EPARSE, "PEM block has no END line");
        }
        if (pem_label != NULL && label_cap > 0) {
            size_t l = (size_t)(label_end - label);
            if (l >= label_cap) {
                l = label_cap - 1;
            }
            memcpy(pem_label, label, l);
            pem_label[l] = '\0';
        }
        /* RFC 7468 allows explanatory headers only in legacy forms; we reject them. */
        unsigned char *out = NULL;
        size_t out_len = 0;
        QTB_TRY(qtb_base64_decode(&out, &out_len, (const char *)body, (size_t)(end - body), 0));
        *der = out;
        *der_len = out_len;
        *owned = true;
        *form = QTB_FORM_PEM;
        return 0;
    }
    /* Bare base64, as NCALayer returns CMS: must decode entirely and yield DER. */
    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = in[i];
        if (!(b64_value(c) >= 0 || c == '=' || is_b64_space(c))) {
            return QTB_FAIL(QTB_EPARSE, "input is neither DER, PEM nor base64");
        }
    }
    unsigned char *out = NULL;
    size_t out_len = 0;
    QTB_TRY(qtb_base64_decode(&out, &out_len, (const char *)in, in_len, 0));
    if (out_len == 0 || out[0] != 0x30) {
        qtb_free(out);
        return QTB_FAIL(QTB_EPARSE, "base64 input does not decode to DER");
    }
    *der = out;
    *der_len = out_len;
    *owned = true;
    *form = QTB_FORM_BASE64;
    return 0;
}

void qtb_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) {
        OPENSSL_cleanse(p, n);
    }
}
