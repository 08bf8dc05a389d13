/* --trust DIR... for the store commands (see cli_trust.c). */
#ifndef QTB_CLI_TRUST_H
#define QTB_CLI_TRUST_H

#include <qtb/trust.h>

/* Build a trust set from folders; *out stays NULL without folders. 0 or CLI_ERROR (printed). */
int cli_load_trust(const char *cmd, qtb_trust **out, char **dirs, int n);
/* NULL-safe. */
void cli_trust_release(qtb_trust *t);

#endif
