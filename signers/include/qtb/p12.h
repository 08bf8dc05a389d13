/*
 * qoltanba: PKCS#12 key stores as NCA RK issues them (GOST 34.10-2015/512, GOST 34.310-2004, RSA).
 *
 * OpenSSL's PKCS12_parse gives up on Kazakh GOST keys, so the safe bags are walked here: the
 * certificates are always read, RSA/EC keys are loaded, GOST keys are kept as raw bytes for the
 * GOST signer. Key material is wiped when the store is freed.
 */
#ifndef QTB_P12_H
#define QTB_P12_H

#include <stdbool.h>

#include <qtb/common.h>

QTB_BEGIN_DECLS

/** An opened key store (opaque). */
typedef struct qtb_p12 qtb_p12;

/**
 * Open a PKCS#12 file.
 * @param out receives the store; free with qtb_p12_free.
 * @param der the file (DER; PEM or bare base64 of it are accepted too), at most QTB_MAX_CERT_FILE.
 * @param password UTF-8, NUL-terminated; "" for none. Not kept: the caller wipes its copy.
 * @return 0; QTB_EPASSWORD ("wrong password") when the MAC or the decryption rejects the password;
 *         QTB_EPARSE when the input is not PKCS#12 or holds no certificate; QTB_EUNSUPPORTED for
 *         an unsupported protection (public-key privacy mode, several private keys); QTB_ETOOBIG.
 */
QTB_API int qtb_p12_open(qtb_p12 **out, const unsigned char *der, size_t len,
                         const char *password) QTB_MUST_USE;

/** Free a store and wipe its key material (NULL is fine). */
QTB_API void qtb_p12_free(qtb_p12 *p);

/**
 * True when `data` parses as a PKCS#12 PFX (no password needed): lets a caller decide whether
 * to ask for one.
 */
QTB_API bool qtb_p12_detect(const unsigned char *data, size_t len);

/**
 * `{"certificate": {...}, "chain": [...]}`: the key's certificate (see qtb_cert_info_json)
 * and the other certificates of the store, in file order.
 * @param out NUL-terminated UTF-8 JSON; free with qtb_string_free.
 */
QTB_API int qtb_p12_info_json(char **out, const qtb_p12 *p) QTB_MUST_USE;

/** True when the store holds a private key (of any algorithm). */
QTB_API bool qtb_p12_has_key(const qtb_p12 *p);

QTB_END_DECLS

#endif
