/*
 * qoltanba: base64 with the standard alphabet (RFC 4648 §4), the way signatures, certificates and
 * documents travel from NCALayer and through the HTTP API. The library's own readers (PEM, bare
 * base64 input, XMLDSig) use the same decoder, so a caller accepts exactly what they accept.
 */
#ifndef QTB_BASE64_H
#define QTB_BASE64_H

#include <qtb/common.h>
#include <qtb/report.h> /* qtb_string_free */

QTB_BEGIN_DECLS

/**
 * Decoding flag: the final '=' padding may be left out (RFC 4648 §3.2 lets a protocol say so;
 * Java's basic decoder and many JSON clients do). Padding that is present must still complete
 * the last group of four.
 */
#define QTB_BASE64_PADDING_OPTIONAL 0x1u

/**
 * Decode standard base64 (RFC 4648 §4).
 *
 * Space, tab, CR and LF are skipped wherever they appear, so PEM bodies and NCALayer's output
 * wrapped at 76 columns with CRLF decode as they are. Refused with QTB_EPARSE: any other
 * character outside the alphabet (including the URL-safe '-' and '_'), data after '=', more
 * than two '=', a lone character in the last group, a missing '=' (unless
 * QTB_BASE64_PADDING_OPTIONAL), and non-canonical input whose unused bits in the last group are
 * not zero (RFC 4648 §3.5), so every byte string has one accepted encoding up to whitespace.
 * Empty input (or only whitespace) decodes to zero bytes.
 *
 * @param out receives the decoded bytes, NUL-terminated (the NUL not counted in `*out_len`);
 *        free with qtb_string_free((char *)*out). NULL on failure.
 * @param out_len receives the number of decoded bytes.
 * @param in the text; need not be NUL-terminated. Borrowed. NULL only when `in_len` is 0.
 * @param in_len its length in bytes.
 * @param flags 0 (padding required) or QTB_BASE64_PADDING_OPTIONAL.
 * @return 0; QTB_EPARSE with a one-line message naming the offset of the offending character or
 *         what is wrong with the padding; QTB_ENOMEM; QTB_EUSAGE (unknown flags).
 */
QTB_API int qtb_base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t in_len,
                              unsigned flags) QTB_MUST_USE;

/**
 * Encode as standard base64 (RFC 4648 §4) with '=' padding, on one line (no line breaks).
 * @param out receives a NUL-terminated string of 4 * ceil(in_len / 3) characters; free with
 *        qtb_string_free.
 * @param in the bytes; borrowed. NULL only when `in_len` is 0.
 * @return 0; QTB_ETOOBIG (the output length overflows size_t); QTB_ENOMEM.
 */
QTB_API int qtb_base64_encode(char **out, const unsigned char *in, size_t in_len) QTB_MUST_USE;

QTB_END_DECLS

#endif
