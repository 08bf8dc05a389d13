/*
 * qoltanba: RFC 3161 timestamps requested from a TSA over HTTP (CAdES-T signing, as NCALayer and
 * NCANode stamp signatures with NCA RK's TSA so they stay valid after the certificate expires).
 */
#ifndef QTB_TSP_H
#define QTB_TSP_H

#include <qtb/common.h>

QTB_BEGIN_DECLS

#define QTB_TSA_OPTIONS_VERSION 1

typedef struct qtb_tsa_options {
    unsigned version;       /**< QTB_TSA_OPTIONS_VERSION */
    const char *url;        /**< the TSA (http or https) */
    const char *policy_oid; /**< reqPolicy, dotted (e.g. NCA's 1.2.398.3.3.2.6.1); NULL: any */
    long timeout_ms;        /**< per attempt; 0: 10000 */
    unsigned retries;       /**< extra attempts on network failure (at most 5) */
} qtb_tsa_options;

#define QTB_TSA_OPTIONS_INIT                                                                       \
    {                                                                                              \
        QTB_TSA_OPTIONS_VERSION, NULL, NULL, 0, 0                                                  \
    }

/** qtb_cms_timestamp_signer: the last SignerInfo (the one a signing call just appended). */
#define QTB_TSP_LAST_SIGNER ((size_t)-1)

/**
 * Timestamp SignerInfo `index` (0-based, or QTB_TSP_LAST_SIGNER) of a CMS: ask the TSA for a token
 * over the SHA-256 of its signature value (with a random nonce and certReq), check that the answer
 * is granted and is about that imprint, nonce and (when given) policy, and embed the token as the
 * unsigned attribute id-aa-signatureTimeStampToken (qtb_cms_add_timestamp). The token's signature
 * and the TSA's certificate are checked when the CMS is verified, not here.
 * @param out the new CMS (DER); free with qtb_free_bytes.
 * @return 0; QTB_ENET (TSA unreachable, HTTP error, or it refused: its status and text are in
 *         the message); QTB_EPARSE (the CMS or the answer is malformed); QTB_EINTEGRITY (the
 *         answer is about another imprint, nonce or policy); QTB_ENOTFOUND (no such signer);
 *         QTB_EUSAGE; QTB_EUNSUPPORTED (no libcurl); QTB_ENOMEM.
 */
QTB_API int qtb_cms_timestamp_signer(unsigned char **out, size_t *out_len, const unsigned char *cms,
                                     size_t cms_len, size_t index,
                                     const qtb_tsa_options *opts) QTB_MUST_USE;

QTB_END_DECLS

#endif
