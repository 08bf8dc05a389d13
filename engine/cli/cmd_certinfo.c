/*
 * qoltanba certinfo: who a certificate or PKCS#12 key store belongs to (issue 2).
 * The password of a key store comes from a file, an environment variable or the terminal,
 * never from argv, and is wiped as soon as the store is open.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <qtb/cert.h>
#include <qtb/error.h>
#include <qtb/limits.h>
#include <qtb/p12.h>
#include <qtb/report.h>

#include "cli.h"

#define CMD "certinfo"

static const char usage[] =
    "usage: qoltanba certinfo [--password-file F | --password-env VAR] [--json] FILE\n"
    "\n"
    "Show who a certificate or a PKCS#12 key store belongs to: name, IIN, BIN, organisation,\n"
    "roles (NCANode names), key usage, policies, validity and algorithm.\n"
    "\n"
    "FILE                  a certificate (PEM, DER or bare base64) or a PKCS#12 file (.p12/.pfx)\n"
    "--json                print {\"certificate\": {...}} (a PKCS#12 adds \"chain\": [...])\n"
    "--password-file F     read the PKCS#12 password from the first line of F\n"
    "--password-env VAR    read the PKCS#12 password from environment variable VAR\n"
    "                      without either, the password is asked for on the terminal;\n"
    "                      it is never taken from the command line\n"
    "\n"
    "Exit status: 0 success; 2 unreadable input, wrong password, or not a certificate.\n";

typedef struct opts {
    bool json;
    const char *password_file;
    const char *password_env;
    const char *path;
} opts;

static int parse_args(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    bool no_more_options = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (no_more_options || a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->path != NULL) {
                return cli_error(CMD, "give one FILE (see --help)");
            }
            o->path = a;
        } else if (strcmp(a, "--") == 0) {
            no_more_options = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--password-file") == 0 || strcmp(a, "--password-env") == 0) {
            if (i + 1 >= argc) {
                return cli_error(CMD, "%s needs a value", a);
            }
            if (strcmp(a, "--password-file") == 0) {
                o->password_file = argv[++i];
            } else {
                o->password_env = argv[++i];
            }
        } else if (strncmp(a, "--password-file=", 16) == 0) {
            o->password_file = a + 16;
        } else if (strncmp(a, "--password-env=", 15) == 0) {
            o->password_env = a + 15;
        } else if (strncmp(a, "--password", 10) == 0 || strncmp(a, "--pass", 6) == 0) {
            return cli_error(CMD, "a password is never taken from the command line; use "
                                  "--password-file F or --password-env VAR");
        } else {
            return cli_error(CMD, "unknown option %s (see --help)", a);
        }
    }
    if (o->path == NULL) {
        return cli_error(CMD, "no FILE given (see --help)");
    }
    if (o->password_file != NULL && o->password_env != NULL) {
        return cli_error(CMD, "give either --password-file or --password-env, not both");
    }
    return 0;
}

/* ---- the human card ------------------------------------------------------------------------ */

static const char *str_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void print_line(const char *label, const char *value)
{
    if (value != NULL && value[0] != '\0') {
        printf("  %-14s %s\n", label, value);
    }
}

static void print_list(const char *label, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return;
    }
    printf("  %-14s ", label);
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        printf("%s%s", i > 0 ? ", " : "", json_string_value(v));
    }
    printf("\n");
}

static void print_idnum(const char *label, const json_t *c, const char *num_key,
                        const char *valid_key)
{
    const char *num = str_field(c, num_key);
    if (num == NULL) {
        return;
    }
    const char *check =
        json_is_true(json_object_get(c, valid_key)) ? "checksum valid" : "checksum FAILS";
    printf("  %-14s %s (%s", label, num, check);
    const char *birth = str_field(c, "birthDate");
    const char *gender = str_field(c, "gender");
    if (strcmp(num_key, "iin") == 0 && birth != NULL) {
        printf("; born %s", birth);
    }
    if (strcmp(num_key, "iin") == 0 && gender != NULL) {
        printf("; %s", strcmp(gender, "MALE") == 0 ? "male" : "female");
    }
    printf(")\n");
}

static const char *validity_state(const char *not_before, const char *not_after)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* RFC 3339 UTC strings of one width compare in time order. */
    if (not_before != NULL && strcmp(now, not_before) < 0) {
        return "not yet valid";
    }
    if (not_after != NULL && strcmp(now, not_after) > 0) {
        return "expired";
    }
    return "within validity period";
}

static void print_card(const json_t *c)
{
    const char *cn = str_field(c, "commonName");
    const char *patr = str_field(c, "patronymic");
    if (cn != NULL && patr != NULL) {
        printf("  %-14s %s %s\n", "Name", cn, patr);
    } else {
        print_line("Name", cn);
    }
    print_idnum("IIN", c, "iin", "iinValid");
    print_idnum("BIN", c, "bin", "binValid");
    print_line("Organization", str_field(c, "organization"));
    print_line("Email", str_field(c, "email"));
    print_list("Roles", json_object_get(c, "roles"));
    print_list("Key usage", json_object_get(c, "keyUsage"));
    print_line("Algorithm", str_field(c, "publicKeyAlgorithm"));
    const char *nb = str_field(c, "notBefore");
    const char *na = str_field(c, "notAfter");
    printf("  %-14s %s .. %s (%s)\n", "Valid", nb, na, validity_state(nb, na));
    print_line("Serial", str_field(c, "serialNumber"));
    print_line("Subject", str_field(c, "subject"));
    print_line("Issuer", str_field(c, "issuer"));
    print_line("SHA-256", str_field(c, "fingerprint"));
    if (json_is_true(json_object_get(c, "isCA"))) {
        printf("  %-14s %s\n", "CA",
               json_is_true(json_object_get(c, "selfSigned")) ? "yes (self-signed root)" : "yes");
    }
}

static int print_human(const char *doc_text, bool is_p12, bool has_key)
{
    json_error_t jerr;
    json_t *doc = json_loads(doc_text, 0, &jerr);
    if (doc == NULL) {
        return cli_error(CMD, "internal error: certificate JSON does not parse");
    }
    printf("%s\n", is_p12 ? (has_key ? "PKCS#12 key store: certificate of the key"
                                     : "PKCS#12 key store (no private key): certificate")
                          : "Certificate");
    print_card(json_object_get(doc, "certificate"));
    const json_t *chain = json_object_get(doc, "chain");
    size_t i;
    const json_t *c;
    json_array_foreach(chain, i, c)
    {
        printf("\nOther certificate %zu in the key store\n", i + 1);
        print_card(c);
    }
    json_decref(doc);
    return 0;
}

/* ---- the command --------------------------------------------------------------------------- */

static int open_p12(char **doc, bool *has_key, const opts *o, const unsigned char *data, size_t len)
{
    char password[QTB_MAX_PASSWORD + 1];
    char prompt[256];
    snprintf(prompt, sizeof(prompt), "Password for %s: ", o->path);
    int rc = cli_read_password(CMD, password, sizeof(password), o->password_file, o->password_env,
                               prompt);
    if (rc != 0) {
        cli_wipe(password, sizeof(password));
        return rc;
    }
    qtb_p12 *p = NULL;
    int lrc = qtb_p12_open(&p, data, len, password);
    cli_wipe(password, sizeof(password));
    if (lrc == QTB_EPASSWORD) {
        return cli_error(CMD, "%s: wrong password", o->path);
    }
    if (lrc != 0) {
        return cli_lib_error(CMD, o->path);
    }
    *has_key = qtb_p12_has_key(p);
    lrc = qtb_p12_info_json(doc, p);
    qtb_p12_free(p);
    if (lrc != 0) {
        return cli_lib_error(CMD, o->path);
    }
    return 0;
}

static int load_cert(char **doc, const opts *o, const unsigned char *data, size_t len)
{
    qtb_cert *c = NULL;
    if (qtb_cert_load(&c, data, len) != 0) {
        const qtb_error *e = qtb_error_last();
        return cli_error(CMD, "%s: not a readable certificate or PKCS#12 file: %s", o->path,
                         e->message);
    }
    int rc = qtb_cert_info_json(doc, c);
    qtb_cert_free(c);
    if (rc != 0) {
        return cli_lib_error(CMD, o->path);
    }
    return 0;
}

int cmd_certinfo(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc != 0) {
        return rc;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    rc = cli_read_file(CMD, &data, &len, o.path, QTB_MAX_CERT_FILE);
    if (rc != 0) {
        return rc;
    }
    char *doc = NULL;
    bool is_p12 = false;
    bool has_key = false;
    if (len == 0) {
        rc = cli_error(CMD, "%s is empty", o.path);
    } else if (qtb_p12_detect(data, len)) {
        is_p12 = true;
        rc = open_p12(&doc, &has_key, &o, data, len);
    } else {
        rc = load_cert(&doc, &o, data, len);
    }
    free(data);
    if (rc != 0) {
        return rc;
    }
    if (o.json) {
        printf("%s\n", doc);
    } else {
        rc = print_human(doc, is_p12, has_key);
    }
    qtb_string_free(doc);
    if (fflush(stdout) != 0) {
        return cli_error(CMD, "cannot write the output");
    }
    return rc;
}
