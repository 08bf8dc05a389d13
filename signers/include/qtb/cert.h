/*
 * qoltanba: X.509 certificates and who they belong to (NCA RK profile, kz-pki.md §3).
 *
 * A certificate is read from DER, PEM or bare base64 and must hold exactly one certificate.
 * Identity comes from the subject (SERIALNUMBER "IIN…", OU "BIN…", SURNAME, GIVENNAME which NCA
 * uses for the patronymic) and the role from the extended key usage OIDs. A failed IIN/BIN
 * checksum is reported, never an error: NCA's own test certificates carry invalid numbers.
 * A certificate without an IIN (an information system, a CA) is valid input: the IIN is NULL.
 */
#ifndef QTB_CERT_H
#define QTB_CERT_H

#include <stdbool.h>
#include <stdint.h>

#include <qtb/common.h>

QTB_BEGIN_DECLS

/** A parsed certificate (opaque). */
typedef struct qtb_cert qtb_cert;

/** Holder roles from the EKU (kz-pki.md §3.2); names as NCANode prints them. */
typedef enum qtb_role {
    QTB_ROLE_INDIVIDUAL = 1u << 0,         /**< 1.2.398.3.3.4.1.1 */
    QTB_ROLE_ORGANIZATION = 1u << 1,       /**< 1.2.398.3.3.4.1.2 */
    QTB_ROLE_CEO = 1u << 2,                /**< 1.2.398.3.3.4.1.2.1 */
    QTB_ROLE_CAN_SIGN = 1u << 3,           /**< 1.2.398.3.3.4.1.2.2 */
    QTB_ROLE_CAN_SIGN_FINANCIAL = 1u << 4, /**< 1.2.398.3.3.4.1.2.3 */
    QTB_ROLE_HR = 1u << 5,                 /**< 1.2.398.3.3.4.1.2.4 */
    QTB_ROLE_EMPLOYEE = 1u << 6,           /**< 1.2.398.3.3.4.1.2.5 */
    QTB_ROLE_INFORMATION_SYSTEM = 1u << 7, /**< 1.2.398.3.3.4.1.2.6 and its sub-arcs */
    QTB_ROLE_TREASURY_CLIENT = 1u << 8,    /**< 1.2.398.5.19.1.2.2.1 */
} qtb_role;

/**
 * The NCANode name of one role bit, e.g. "CAN_SIGN".
 * @return a static string, or NULL when `role` is not exactly one known bit.
 */
QTB_API const char *qtb_role_name(unsigned role);

/**
 * Parse a certificate.
 * @param out receives the certificate; free with qtb_cert_free.
 * @param data DER, PEM (one CERTIFICATE block) or bare base64 of DER; copied.
 * @param len at most QTB_MAX_CERT_FILE bytes.
 * @return 0; QTB_EPARSE when the input is not a certificate, holds trailing bytes or more than one
 *         PEM certificate (message "file holds N certificates; give one"); QTB_ETOOBIG; QTB_ENOMEM.
 */
QTB_API int qtb_cert_load(qtb_cert **out, const unsigned char *data, size_t len) QTB_MUST_USE;

/** Free a certificate (NULL is fine). */
QTB_API void qtb_cert_free(qtb_cert *c);

/**
 * The identity document `{"certificate": {...}}` as `qoltanba certinfo --json` prints it.
 * @param out a NUL-terminated UTF-8 JSON string; free with qtb_string_free (<qtb/report.h>).
 * @return 0; QTB_ENOMEM; QTB_EPARSE when a field cannot be decoded.
 */
QTB_API int qtb_cert_info_json(char **out, const qtb_cert *c) QTB_MUST_USE;

/** The holder's IIN (12 characters after "IIN"), or NULL; owned by `c`. */
QTB_API const char *qtb_cert_iin(const qtb_cert *c);
/** The organisation's BIN (after "BIN" in OU), or NULL; owned by `c`. */
QTB_API const char *qtb_cert_bin(const qtb_cert *c);
/** The subject common name (UTF-8), or NULL; owned by `c`. */
QTB_API const char *qtb_cert_common_name(const qtb_cert *c);
/** Bitwise OR of qtb_role values found in the EKU. */
QTB_API unsigned qtb_cert_roles(const qtb_cert *c);
/** notBefore and notAfter as Unix seconds (UTC). */
QTB_API int64_t qtb_cert_not_before(const qtb_cert *c);
QTB_API int64_t qtb_cert_not_after(const qtb_cert *c);

QTB_END_DECLS

#endif
