/*
 * qoltanba: every size and count limit for untrusted input, in one place.
 * Options structs copy these as their defaults; a caller may lower (or knowingly raise) them.
 */
#ifndef QTB_LIMITS_H
#define QTB_LIMITS_H

#define QTB_MAX_CERT_FILE (1u << 20)          /**< a certificate or PKCS#12 file: 1 MiB */
#define QTB_MAX_SIGNATURE_FILE (64u << 20)    /**< a CMS or signed XML file held in memory */
#define QTB_MAX_TRUST_FILE (16u << 20)        /**< one file in a trust folder (CRLs can be big) */
#define QTB_MAX_TRUST_FILES 4096u             /**< files read from one trust folder */
#define QTB_MAX_PASSWORD 1024u                /**< a key store password */
#define QTB_MAX_P12_BAGS 256u                 /**< safe bags in one PKCS#12 file */
#define QTB_MAX_P12_CERTS 64u                 /**< certificates in one PKCS#12 file */
#define QTB_MAX_CHAIN_DEPTH 8u                /**< certificates in one path, anchor included */
#define QTB_MAX_PATH_TRIES 32u                /**< issuer candidates tried while building a path */
#define QTB_MAX_SIGNERS 64u                   /**< SignerInfos in a CMS, signatures in an XML */
#define QTB_MAX_CMS_CERTS 64u                 /**< certificates carried in one CMS */
#define QTB_MAX_XML_DEPTH 256u                /**< XML element nesting */
#define QTB_MAX_XML_NODES 200000u             /**< XML nodes in one document */
#define QTB_MAX_XML_REFERENCES 16u            /**< ds:Reference elements in one SignedInfo */
#define QTB_MAX_XML_TRANSFORMS 4u             /**< ds:Transform elements in one Reference */
#define QTB_MAX_APPLICANT_FILE (1u << 20)     /**< applicant XML */
#define QTB_MAX_DETACHED_CONTENT (1ull << 40) /**< detached content is streamed; sanity cap */
#define QTB_MAX_HTTP_BODY (32u << 20)         /**< HTTP request body */
#define QTB_MAX_HTTP_BODIES (512u << 20)      /**< all request bodies held at once (503 above) */
#define QTB_MAX_SUBMISSION_FILES 256u         /**< files in one submission folder */
#define QTB_MAX_SUBMISSION_FILE (64u << 20)   /**< one file of a submission */
#define QTB_MAX_SUBMISSION_BYTES (256u << 20) /**< all files of one submission together */
#define QTB_MAX_INBOX_ENTRIES 1000000u        /**< submission folders in one inbox */
#define QTB_MAX_REMARK 4096u                  /**< a reviewer's remark, bytes */
#define QTB_MAX_OCSP_RESPONSE (1u << 20)      /**< one OCSP response fetched over HTTP */

#endif
