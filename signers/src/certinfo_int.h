/*
 * Certificate identity as JSON: the object `qoltanba certinfo --json` prints as "certificate",
 * embedded as "signer" in every verification report.
 */
#ifndef QTB_CERTINFO_INT_H
#define QTB_CERTINFO_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
/* One certificate from DER, PEM or bare base64 (qtb_cert_load's rules); *out is owned. */
int qtb_x509_from_input(X509 **out, const unsigned char *data, size_t len);
/* Wrap an X509 (its reference count is raised) with the identity fields cached. */
int qtb_cert_from_x509(qtb_cert **out, X509 *x509);
/* The certificate inside; owned by `c`. */
X509 *qtb_cert_x509(const qtb_cert *c);
/* {"certificate": {...}} and, when `chain` is not NULL, "chain": [...], as a JSON string. */
int qtb_certinfo_document(char **out, X509 *x, const STACK_OF(X509) * chain);

#endif

#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <qtb/cert.h>

/* Build the certinfo object of `cert` (fields listed in issue 2); *out is a new reference. */
int qtb_certinfo_json(json_t **out, X509 *cert);
/* RFC 4514 string of a name (UTF-8, most significant RDN last as RFC 4514 orders it). */
int qtb_name_rfc4514(char **out, const X509_NAME *name);

/* The first attribute `nid` of a name as a new UTF-8 string (qtb_free), or *out = NULL. */
int qtb_x509_name_attr(char **out, const X509_NAME *name, int nid);
/* The subject's IIN (SERIALNUMBER "IIN…" without the prefix) or BIN (OU "BIN…"); NULL if absent. */
int qtb_x509_iin(char **out, const X509 *cert);
int qtb_x509_bin(char **out, const X509 *cert);
/* Roles (qtb_role bits of <qtb/cert.h>) from the EKU; QTB_EPARSE when the EKU is malformed. */
int qtb_x509_roles(unsigned *out, const X509 *cert);
/* notBefore / notAfter as Unix seconds. */
int qtb_x509_validity(int64_t *not_before, int64_t *not_after, const X509 *cert);

/* One certificate from DER, PEM or bare base64 (qtb_cert_load's rules); *out is owned. */
int qtb_x509_from_input(X509 **out, const unsigned char *data, size_t len);
/* Wrap an X509 (its reference count is raised) with the identity fields cached. */
int qtb_cert_from_x509(qtb_cert **out, X509 *x509);
/* The certificate inside; owned by `c`. */
X509 *qtb_cert_x509(const qtb_cert *c);
/* {"certificate": {...}} and, when `chain` is not NULL, "chain": [...], as a JSON string. */
int qtb_certinfo_document(char **out, X509 *x, const STACK_OF(X509) * chain);

#endif
