/*
 * The public base64 API (<qtb/base64.h>): RFC 4648 §10 vectors both ways, NCALayer's CRLF-wrapped
 * output, and every refusal (bad character, bad or missing padding, non-canonical bits, a
 * truncated group), each beside the accepted input it differs from.
 */
#include <stdio.h>
#include <string.h>

#include <qtb/base64.h>
#include <qtb/error.h>

#include "qtb_test.h"

/* Decode `in`, a C string. */
static int dec(unsigned char **out, size_t *len, const char *in, unsigned flags)
{
    return qtb_base64_decode(out, len, in, strlen(in), flags);
}

/* 1 when `in` decodes (with `flags`) to exactly `want_len` bytes `want`, NUL-terminated; quiet,
 * because twins expect 0. */
static int decodes_to(const char *in, unsigned flags, const char *want, size_t want_len)
{
    unsigned char *out = NULL;
    size_t len = 99;
    int rc = dec(&out, &len, in, flags);
    int ok = rc == 0 && out != NULL && len == want_len && memcmp(out, want, want_len) == 0 &&
             out[len] == '\0';
    qtb_string_free((char *)out);
    return ok;
}

/* 1 when `in` is refused with QTB_EPARSE, *out NULL and *out_len 0, and the message holds `msg`. */
static int refused(const char *in, unsigned flags, const char *msg)
{
    unsigned char *out = (unsigned char *)"x";
    size_t len = 99;
    int rc = dec(&out, &len, in, flags);
    const char *m = qtb_error_last()->message;
    int ok = rc == QTB_EPARSE && out == NULL && len == 0 && strstr(m, msg) != NULL;
    if (!ok) {
        fprintf(stderr, "  \"%s\" (flags %u): rc %d, message \"%s\", want EPARSE \"%s\"\n", in,
                flags, rc, rc != 0 ? m : "", msg);
    }
    if (rc == 0) {
        qtb_string_free((char *)out);
    }
    return ok;
}

static const struct {
    const char *raw;
    const char *b64;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_base64__rfc4648_vectors(void)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        char *enc = NULL;
        QTB_OK_CALL(
            qtb_base64_encode(&enc, (const unsigned char *)rfc4648[i].raw, strlen(rfc4648[i].raw)));
        QTB_CHECK_STR(enc, rfc4648[i].b64);
        qtb_string_free(enc);
        QTB_CHECK(decodes_to(rfc4648[i].b64, 0, rfc4648[i].raw, strlen(rfc4648[i].raw)));
    }
    /* Twin: one character changed gives other bytes, not the same ones. */
    QTB_CHECK(!decodes_to("Zm9vYmFz", 0, "foobar", 6));
    QTB_CHECK(decodes_to("Zm9vYmFz", 0, "foobas", 6));
}

/* Every byte value, through encode and decode, at each length mod 3. */
static void test_base64__round_trip_all_bytes(void)
{
    unsigned char all[258];
    for (size_t i = 0; i < sizeof(all); i++) {
        all[i] = (unsigned char)(i * 7 + 3);
    }
    for (size_t n = 255; n <= 258; n++) {
        char *enc = NULL;
        QTB_OK_CALL(qtb_base64_encode(&enc, all, n));
        QTB_CHECK(strlen(enc) == (n + 2) / 3 * 4);
        QTB_CHECK(decodes_to(enc, 0, (const char *)all, n));
        /* Twin: the last data character moved by one no longer gives these bytes. */
        size_t last = strcspn(enc, "=") - 1;
        enc[last] = enc[last] == 'A' ? 'B' : 'A';
        QTB_CHECK(!decodes_to(enc, QTB_BASE64_PADDING_OPTIONAL, (const char *)all, n));
        qtb_string_free(enc);
    }
}

/* NCALayer: standard padded base64, CRLF every 76 characters; PEM bodies: LF every 64. */
static void test_base64__whitespace_skipped(void)
{
    unsigned char raw[200];
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] = (unsigned char)(255 - i);
    }
    char *enc = NULL;
    QTB_OK_CALL(qtb_base64_encode(&enc, raw, sizeof(raw)));
    char wrapped[600];
    size_t o = 0;
    for (size_t i = 0; enc[i] != '\0'; i++) {
        if (i > 0 && i % 76 == 0) {
            wrapped[o++] = '\r';
            wrapped[o++] = '\n';
        }
        wrapped[o++] = enc[i];
    }
    memcpy(wrapped + o, "\r\n", 3);
    qtb_string_free(enc);
    QTB_CHECK(strstr(wrapped, "\r\n") - wrapped == 76);
    QTB_CHECK(decodes_to(wrapped, 0, (const char *)raw, sizeof(raw)));
    QTB_CHECK(decodes_to(" Zm9v\tYmFy \n", 0, "foobar", 6));
    QTB_CHECK(decodes_to("Zm9vYg=\r\n=", 0, "foob", 4));
    QTB_CHECK(decodes_to(" \r\n\t", 0, "", 0));
    /* Twins: other control characters are not whitespace here. */
    QTB_CHECK(refused("Zm9v\vYmFy", 0, "invalid base64 character at offset 4"));
    QTB_CHECK(refused("Zm9v\fYmFy", 0, "at offset 4"));
    const char nul[] = "Zm9v\0YmFy";
    unsigned char *out = NULL;
    size_t len = 0;
    QTB_CHECK(qtb_base64_decode(&out, &len, nul, sizeof(nul) - 1, 0) == QTB_EPARSE);
    QTB_CHECK(out == NULL);
}

static void test_base64__bad_character(void)
{
    QTB_CHECK(refused("@@@@", 0, "invalid base64 character at offset 0"));
    QTB_CHECK(refused("Zm9vYm@y", 0, "invalid base64 character at offset 6"));
    /* base64url's alphabet is not this one. */
    QTB_CHECK(refused("-_-_", 0, "offset 0"));
    QTB_CHECK(refused("Zm9v\xd0\x90", 0, "offset 4"));
    /* Twin: the same input with the character replaced decodes. */
    QTB_CHECK(decodes_to("Zm9vYmFy", 0, "foobar", 6));
    QTB_CHECK(decodes_to("+/+/", 0, "\xfb\xff\xbf", 3));
}

static void test_base64__bad_padding(void)
{
    QTB_CHECK(refused("Zg=", 0, "padding does not complete the last group"));
    QTB_CHECK(refused("Zg=", QTB_BASE64_PADDING_OPTIONAL, "padding does not complete"));
    QTB_CHECK(refused("Zm8==", 0, "padding does not complete"));
    QTB_CHECK(refused("Zm9v=", 0, "padding does not complete"));
    QTB_CHECK(refused("Zg===", 0, "more than two '='"));
    QTB_CHECK(refused("====", 0, "more than two '='"));
    QTB_CHECK(refused("=", 0, "padding does not complete"));
    QTB_CHECK(refused("Zg==Zm8=", 0, "data after '=' padding at offset 4"));
    QTB_CHECK(refused("aGVs=bG8=", QTB_BASE64_PADDING_OPTIONAL, "data after '=' padding"));
    QTB_CHECK(refused("Z", QTB_BASE64_PADDING_OPTIONAL, "truncated"));
    QTB_CHECK(refused("Zm9vY", 0, "truncated"));
    /* Twins: complete padding is accepted. */
    QTB_CHECK(decodes_to("Zg==", 0, "f", 1));
    QTB_CHECK(decodes_to("Zm8=", 0, "fo", 2));
}

/* Padding left out: refused by default, accepted with QTB_BASE64_PADDING_OPTIONAL. */
static void test_base64__missing_padding(void)
{
    QTB_CHECK(refused("Zg", 0, "not padded to a multiple of four"));
    QTB_CHECK(refused("Zm9vYmE", 0, "not padded"));
    QTB_CHECK(decodes_to("Zg", QTB_BASE64_PADDING_OPTIONAL, "f", 1));
    QTB_CHECK(decodes_to("Zm9vYmE", QTB_BASE64_PADDING_OPTIONAL, "fooba", 5));
    QTB_CHECK(decodes_to("Zm9vYmE=", QTB_BASE64_PADDING_OPTIONAL, "fooba", 5));
    QTB_CHECK(decodes_to("Zm9v", QTB_BASE64_PADDING_OPTIONAL, "foo", 3));
}

/* RFC 4648 §3.5: the unused bits of the last group must be zero, padded or not. */
static void test_base64__non_canonical(void)
{
    QTB_CHECK(refused("Zh==", 0, "non-canonical"));
    QTB_CHECK(refused("Zm9=", 0, "non-canonical"));
    QTB_CHECK(refused("aGVsbG9=", 0, "non-canonical"));
    QTB_CHECK(refused("Zh", QTB_BASE64_PADDING_OPTIONAL, "non-canonical"));
    QTB_CHECK(refused("aGVsbG9", QTB_BASE64_PADDING_OPTIONAL, "non-canonical"));
    /* Twins: the canonical spelling of the same bytes. */
    QTB_CHECK(decodes_to("Zg==", 0, "f", 1));
    QTB_CHECK(decodes_to("Zm8=", 0, "fo", 2));
    QTB_CHECK(decodes_to("aGVsbG8=", 0, "hello", 5));
    QTB_CHECK(decodes_to("aGVsbG8", QTB_BASE64_PADDING_OPTIONAL, "hello", 5));
}

static void test_base64__empty(void)
{
    QTB_CHECK(decodes_to("", 0, "", 0));
    QTB_CHECK(decodes_to("", QTB_BASE64_PADDING_OPTIONAL, "", 0));
    unsigned char *out = NULL;
    size_t len = 1;
    QTB_OK_CALL(qtb_base64_decode(&out, &len, NULL, 0, 0));
    QTB_CHECK(out != NULL && len == 0);
    qtb_string_free((char *)out);
    char *enc = NULL;
    QTB_OK_CALL(qtb_base64_encode(&enc, NULL, 0));
    QTB_CHECK_STR(enc, "");
    qtb_string_free(enc);
    /* Twins: padding alone, or a lone character, is not an empty encoding. */
    QTB_CHECK(refused("==", 0, "padding does not complete"));
    QTB_CHECK(refused("A", QTB_BASE64_PADDING_OPTIONAL, "truncated"));
}

int main(void)
{
    QTB_RUN(test_base64__rfc4648_vectors);
    QTB_RUN(test_base64__round_trip_all_bytes);
    QTB_RUN(test_base64__whitespace_skipped);
    QTB_RUN(test_base64__bad_character);
    QTB_RUN(test_base64__bad_padding);
    QTB_RUN(test_base64__missing_padding);
    QTB_RUN(test_base64__non_canonical);
    QTB_RUN(test_base64__empty);
    return qtb_test_done();
}
