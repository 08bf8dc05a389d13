/* Thread-local last error, and translation of OpenSSL's error queue at the failure site. */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "internal.h"

#define QTB_ERROR_MSG_MAX 512

typedef struct error_state {
    qtb_error err;
    char message[QTB_ERROR_MSG_MAX];
} error_state;

static _Thread_local error_state tls_error = {{0, "", "", 0}, ""};

const qtb_error *qtb_error_last(void)
{
    if (tls_error.err.message == NULL) {
        tls_error.err.message = "";
    }
    return &tls_error.err;
}

void qtb_error_clear(void)
{
    tls_error.err.code = 0;
    tls_error.message[0] = '\0';
    tls_error.err.message = tls_error.message;
    tls_error.err.file = "";
    tls_error.err.line = 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* vsnprintf with the caller's format: checked at the callers (QTB_PRINTF in internal.h). */
static int set_v(int code, const char *file, int line, const char *fmt, va_list ap)
    QTB_PRINTF(4, 0);

static int set_v(int code, const char *file, int line, const char *fmt, va_list ap)
{
    vsnprintf(tls_error.message, sizeof(tls_error.message), fmt, ap);
    /* One line: a message is printed after "error: " by the CLI and logged by the server. */
    for (char *p = tls_error.message; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    tls_error.err.code = code;
    tls_error.err.message = tls_error.message;
    tls_error.err.file = base_name(file);
    tls_error.err.line = line;
    return code;
}

int qtb_error_set(int code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_v(code, file, line, fmt, ap);
    va_end(ap);
    return code;
}

int qtb_error_set_openssl(int code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_v(code, file, line, fmt, ap);
    va_end(ap);

    /* The last queued entry is the deepest cause OpenSSL recorded. */
    unsigned long e = 0;
    unsigned long last = 0;
    while ((e = ERR_get_error()) != 0) {
        last = e;
    }
    if (last != 0) {
        const char *reason = ERR_reason_error_string(last);
        size_t used = strlen(tls_error.message);
        if (reason != NULL && used + 3 < sizeof(tls_error.message)) {
            snprintf(tls_error.message + used, sizeof(tls_error.message) - used, " (%s)", reason);
        }
    }
    return code;
}

const char *qtb_error_name(int code)
{
    switch (code) {
    case QTB_OK:
        return "OK";
    case QTB_EGENERIC:
        return "EGENERIC";
    case QTB_ENOMEM:
        return "ENOMEM";
    case QTB_EUSAGE:
        return "EUSAGE";
    case QTB_EIO:
        return "EIO";
    case QTB_EPARSE:
        return "EPARSE";
    case QTB_EPASSWORD:
        return "EPASSWORD";
    case QTB_ETOOBIG:
        return "ETOOBIG";
    case QTB_EUNSUPPORTED:
        return "EUNSUPPORTED";
    case QTB_ECRYPTO:
        return "ECRYPTO";
    case QTB_ENOTFOUND:
        return "ENOTFOUND";
    case QTB_ESTORE:
        return "ESTORE";
    case QTB_ENET:
        return "ENET";
    case QTB_EEXISTS:
        return "EEXISTS";
    case QTB_ESTATE:
        return "ESTATE";
    case QTB_EINTEGRITY:
        return "EINTEGRITY";
    default:
        return "EUNKNOWN";
    }
}
