/*
 * The one thing the CMS verifier needs from inside the trust set: the certificates given as
 * untrusted (--untrusted), where a signer's certificate may be found when the CMS carries
 * none (RFC 5652 §5.1: certificates are optional). Anchors are not searched: they identify CAs.
 * (Kept out of trust.c to avoid editing the trust module in parallel; it may move there.)
 */
#include "cms_int.h"
#include "internal.h"
#include "trust_priv.h"

size_t qtb_trust_untrusted_count(const qtb_trust *t)
{
    return t != NULL ? t->nuntrusted : 0;
}

X509 *qtb_trust_untrusted_get(const qtb_trust *t, size_t i)
{
    return t != NULL && i < t->nuntrusted ? t->untrusted[i].x : NULL;
}
