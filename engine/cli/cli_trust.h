/* --trust DIR... for the store commands (see cli_trust.c). */
#ifndef QTB_CLI_TRUST_H
#define QTB_CLI_TRUST_H

#include <qtb/trust.h>

/* Build a trust set from folders; *out stays NULL without folders. 0 or CLI_ERROR (printed). */
int cli_load_trust(const char *cmd, qtb_trust **out, char **dirs, int n);
/* NULL-safe. */
void cli_trust_release(qtb_trust *t);

/* The CRL files (*.crl) of the trust folders, as evidence for the store (bytes as found, DER or
 * PEM). 0 or CLI_ERROR (printed). Free with cli_evidence_free. */
#include <qtb/store.h>
int cli_trust_crls(const char *cmd, qtb_sub_evidence **out, size_t *n, char **dirs, int ndirs);
void cli_evidence_free(qtb_sub_evidence *e, size_t n);

#endif
