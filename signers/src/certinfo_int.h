/*
 * Certificate identity as JSON: the object `qoltanba certinfo --json` prints as "certificate",
 * embedded as "signer" in every verification report.
 */
#ifndef QTB_CERTINFO_INT_H
#define QTB_CERTINFO_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <jansson.h>
#include <openssl/x509.h>

/* Build the certinfo object of `cert` (fields listed in issue 2); *out is a new reference. */
int qtb_certinfo_json(json_t **out, X509 *cert);
/* RFC 4514 string of a name (UTF-8, most significant RDN last as RFC 4514 orders it). */
int qtb_name_rfc4514(char **out, const X509_NAME *name);

#endif
