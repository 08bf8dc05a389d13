/*
 * qoltanba sign: make a CMS SignedData (attached or detached), add a co-signer to an existing
 * one, or attach an RFC 3161 timestamp token to a signer (CAdES-T).
 *
 * Each output form is one branch below: CMS now; the XML signer (`--xml`) and the GOST key
 * path add theirs beside it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <qtb/base64.h>
#include <qtb/cms.h>
#include <qtb/error.h>
#include <qtb/limits.h>
#include <qtb/p12.h>
#include <qtb/report.h>
#include <qtb/xmldsig.h>
#include <qtb/tsp.h>

#include "cli.h"

#define CMD "sign"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba sign --p12 FILE [--password-file F | --password-env VAR]\n"
            "                     [--detached] [--add-to CMS] [--tsa URL [--tsa-policy OID]]\n"
            "                     [--pem | --base64] --out OUT INPUT\n"
            "       qoltanba sign --timestamp-token TOKEN [--signer N] [--pem | --base64]\n"
            "                     --out OUT CMS\n"
            "       qoltanba sign --xml --p12 FILE [--password-file F | --password-env VAR]\n"
            "                     --out OUT INPUT.xml\n"
            "       qoltanba sign --tsa URL [--tsa-policy OID] [--signer N] [--pem | --base64]\n"
            "                     --out OUT CMS\n\n"
            "Sign INPUT as CMS SignedData (signed attributes contentType, messageDigest,\n"
            "signingTime; the signer certificate included) with the key of a PKCS#12 store:\n"
            "RSA or ECDSA with SHA-256, or a Kazakh GOST key (NCA's 34.10-2015/512 or\n"
            "34.310-2004) in Kalkan's format. The password is read from a file, an environment\n"
            "variable or the terminal, never from the command line.\n\n"
            "  --p12 FILE             the key store\n"
            "  --password-file F      first line of F is the password\n"
            "  --password-env VAR     the password is in environment variable VAR\n"
            "  --detached             leave INPUT out of the CMS\n"
            "  --add-to CMS           add a co-signer to an existing CMS (earlier signers are\n"
            "                         kept); INPUT is its detached content, or '-' if attached\n"
            "  --timestamp-token TOK  add an RFC 3161 token (DER) to signer N (default 1) of CMS\n"
            "  --tsa URL              timestamp the new signature (or, without --p12, signer N\n"
            "                         of CMS) at this RFC 3161 TSA: CAdES-T, as NCALayer does\n"
            "  --tsa-policy OID       the TSA policy to ask for (NCA: 1.2.398.3.3.2.6.1)\n"
            "  --pem | --base64       output PEM or bare base64 (as NCALayer) instead of DER\n"
            "  --xml                  append an enveloped XMLDSig signature to INPUT.xml as\n"
            "                         NCALayer signXml does (URI=\"\", enveloped + C14N with\n"
            "                         comments, RSA-SHA256, ECDSA-SHA256 or Kalkan's GOST\n"
            "                         URIs, X509Certificate);\n"
            "                         an already signed document gets a second signature\n"
            "  --out OUT              where to write the signature\n");
}

enum out_form { OUT_DER, OUT_PEM, OUT_BASE64 };

/* Bytes encoded per slice: a multiple of 3 (no padding inside) and of 48 (one 64-column PEM
 * line), so an attached CMS of any size is never held twice in memory. */
#define B64_SLICE (48 * 1024)

/* Bare base64 on one line, as NCALayer returns it, or a PEM body in 64-column lines (RFC 7468
 * §2). 0; 1 when writing failed; a negative library error when encoding failed. */
static int write_base64(FILE *fp, const unsigned char *der, size_t len, bool pem)
{
    for (size_t off = 0; off < len; off += B64_SLICE) {
        size_t n = len - off < B64_SLICE ? len - off : B64_SLICE;
        char *b64 = NULL;
        int rc = qtb_base64_encode(&b64, der + off, n);
        if (rc != 0) {
            return rc;
        }
        size_t blen = strlen(b64);
        bool ok = true;
        if (!pem) {
            ok = fwrite(b64, 1, blen, fp) == blen;
        }
        for (size_t col = 0; ok && pem && col < blen; col += 64) {
            size_t l = blen - col < 64 ? blen - col : 64;
            ok = fwrite(b64 + col, 1, l, fp) == l && fputc('\n', fp) != EOF;
        }
        qtb_string_free(b64);
        if (!ok) {
            return 1;
        }
    }
    if (!pem && fputc('\n', fp) == EOF) {
        return 1;
    }
    return 0;
}

static int write_output(const char *path, const unsigned char *der, size_t len, enum out_form f)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        return cli_error(CMD, "cannot write %s", path);
    }
    bool ok = true;
    int rc = 0;
    if (f == OUT_DER) {
        ok = fwrite(der, 1, len, fp) == len;
    } else {
        ok = f != OUT_PEM || fputs("-----BEGIN CMS-----\n", fp) >= 0;
        rc = ok ? write_base64(fp, der, len, f == OUT_PEM) : 0;
        ok = ok && rc == 0;
        if (ok && f == OUT_PEM) {
            ok = fputs("-----END CMS-----\n", fp) >= 0;
        }
    }
    if (fclose(fp) != 0) {
        ok = false;
    }
    if (rc < 0) {
        return cli_lib_error(CMD, path);
    }
    if (!ok) {
        return cli_error(CMD, "cannot write %s", path);
    }
    return 0;
}

typedef struct sign_args {
    const char *p12;
    const char *password_file;
    const char *password_env;
    const char *add_to;
    const char *timestamp_token;
    const char *tsa_url;
    const char *tsa_policy;
    long signer_index;
    bool detached;
    bool xml;
    enum out_form form;
    const char *out;
    const char *input;
} sign_args;

static int sign_cms(const sign_args *a, unsigned char **out, size_t *out_len)
{
    int rc = CLI_ERROR;
    unsigned char *p12 = NULL, *existing = NULL;
    size_t p12_len = 0, existing_len = 0;
    qtb_p12 *key = NULL;
    char password[QTB_MAX_PASSWORD + 1];
    password[0] = '\0';
    if (cli_read_file(CMD, &p12, &p12_len, a->p12, QTB_MAX_CERT_FILE) != 0 ||
        cli_read_password(CMD, password, sizeof(password), a->password_file, a->password_env,
                          "PKCS#12 password: ") != 0) {
        goto done;
    }
    int lrc = qtb_p12_open(&key, p12, p12_len, password);
    cli_wipe(password, sizeof(password));
    if (lrc != 0) {
        rc = cli_lib_error(CMD, a->p12);
        goto done;
    }
    qtb_cms_sign_options o = QTB_CMS_SIGN_OPTIONS_INIT;
    if (a->detached) {
        o.flags |= QTB_CMS_SIGN_DETACHED;
    }
    if (strcmp(a->input, "-") != 0) {
        o.content_path = a->input;
    } else if (a->add_to == NULL) {
        rc = cli_error(CMD, "INPUT '-' is only for --add-to with an attached CMS");
        goto done;
    }
    if (a->add_to != NULL) {
        if (cli_read_file(CMD, &existing, &existing_len, a->add_to, QTB_MAX_SIGNATURE_FILE) != 0) {
            goto done;
        }
        o.add_to = existing;
        o.add_to_len = existing_len;
    }
    if (qtb_cms_sign(out, out_len, key, &o) != 0) {
        const qtb_error *e = qtb_error_last();
        rc = e->code == QTB_EIO ? cli_lib_error(CMD, a->input) : cli_lib_error(CMD, "signing");
        goto done;
    }
    rc = 0;
done:
    qtb_p12_free(key);
    free(existing);
    free(p12);
    return rc;
}

static int sign_xml(const sign_args *a, unsigned char **out, size_t *out_len)
{
    int rc = CLI_ERROR;
    unsigned char *p12 = NULL, *in = NULL;
    size_t p12_len = 0, in_len = 0;
    qtb_p12 *key = NULL;
    char *signed_xml = NULL;
    size_t signed_len = 0;
    char password[QTB_MAX_PASSWORD + 1];
    password[0] = '\0';
    if (cli_read_file(CMD, &in, &in_len, a->input, QTB_MAX_SIGNATURE_FILE) != 0 ||
        cli_read_file(CMD, &p12, &p12_len, a->p12, QTB_MAX_CERT_FILE) != 0 ||
        cli_read_password(CMD, password, sizeof(password), a->password_file, a->password_env,
                          "PKCS#12 password: ") != 0) {
        goto done;
    }
    int lrc = qtb_p12_open(&key, p12, p12_len, password);
    cli_wipe(password, sizeof(password));
    if (lrc != 0) {
        rc = cli_lib_error(CMD, a->p12);
        goto done;
    }
    if (qtb_xml_sign(&signed_xml, &signed_len, in, in_len, key) != 0) {
        rc = cli_lib_error(CMD, a->input);
        goto done;
    }
    *out = malloc(signed_len > 0 ? signed_len : 1);
    if (*out == NULL) {
        rc = cli_error(CMD, "out of memory");
        goto done;
    }
    memcpy(*out, signed_xml, signed_len);
    *out_len = signed_len;
    rc = 0;
done:
    qtb_string_free(signed_xml);
    qtb_p12_free(key);
    free(in);
    free(p12);
    return rc;
}

static int add_timestamp(const sign_args *a, unsigned char **out, size_t *out_len)
{
    int rc = CLI_ERROR;
    unsigned char *cms = NULL, *tok = NULL;
    size_t cms_len = 0, tok_len = 0;
    if (cli_read_file(CMD, &cms, &cms_len, a->input, QTB_MAX_SIGNATURE_FILE) != 0 ||
        cli_read_file(CMD, &tok, &tok_len, a->timestamp_token, QTB_MAX_CERT_FILE) != 0) {
        goto done;
    }
    if (qtb_cms_add_timestamp(out, out_len, cms, cms_len, (size_t)(a->signer_index - 1), tok,
                              tok_len) != 0) {
        rc = cli_lib_error(CMD, a->input);
        goto done;
    }
    rc = 0;
done:
    free(tok);
    free(cms);
    return rc;
}

/* A copy of `cms` whose signer carries a token from the TSA (free with qtb_free_bytes). */
static int stamp(const sign_args *a, const unsigned char *cms, size_t cms_len, unsigned char **out,
                 size_t *out_len)
{
    qtb_tsa_options o = QTB_TSA_OPTIONS_INIT;
    o.url = a->tsa_url;
    o.policy_oid = a->tsa_policy;
    o.retries = 1;
    size_t index = a->p12 != NULL ? QTB_TSP_LAST_SIGNER : (size_t)(a->signer_index - 1);
    if (qtb_cms_timestamp_signer(out, out_len, cms, cms_len, index, &o) != 0) {
        return cli_lib_error(CMD, "timestamp");
    }
    return 0;
}

static int parse_args(sign_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"p12", required_argument, NULL, 'k'},
        {"password-file", required_argument, NULL, 'f'},
        {"password-env", required_argument, NULL, 'e'},
        {"detached", no_argument, NULL, 'd'},
        {"xml", no_argument, NULL, 'x'},
        {"add-to", required_argument, NULL, 'a'},
        {"timestamp-token", required_argument, NULL, 't'},
        {"signer", required_argument, NULL, 's'},
        {"tsa", required_argument, NULL, 'T'},
        {"tsa-policy", required_argument, NULL, 'P'},
        {"pem", no_argument, NULL, 'p'},
        {"base64", no_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    a->signer_index = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->p12 = optarg;
            break;
        case 'f':
            a->password_file = optarg;
            break;
        case 'e':
            a->password_env = optarg;
            break;
        case 'd':
            a->detached = true;
            break;
        case 'x':
            a->xml = true;
            break;
        case 'a':
            a->add_to = optarg;
            break;
        case 't':
            a->timestamp_token = optarg;
            break;
        case 'T':
            a->tsa_url = optarg;
            break;
        case 'P':
            a->tsa_policy = optarg;
            break;
        case 's': {
            long long v = 0;
            if (cli_parse_int(&v, optarg, 1, QTB_MAX_SIGNERS) != 0) {
                return cli_error(CMD, "--signer wants a number from 1 to %u", QTB_MAX_SIGNERS);
            }
            a->signer_index = (long)v;
            break;
        }
        case 'p':
            a->form = OUT_PEM;
            break;
        case 'b':
            a->form = OUT_BASE64;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_error(CMD, "give exactly one INPUT");
    }
    a->input = argv[optind];
    if (a->out == NULL) {
        return cli_error(CMD, "--out is required");
    }
    if (a->timestamp_token == NULL && a->p12 == NULL && a->tsa_url == NULL) {
        return cli_error(CMD, "--p12 is required");
    }
    if (a->tsa_url != NULL && a->timestamp_token != NULL) {
        return cli_error(CMD, "give either --tsa or --timestamp-token");
    }
    if (a->tsa_policy != NULL && a->tsa_url == NULL) {
        return cli_error(CMD, "--tsa-policy needs --tsa");
    }
    if (a->tsa_url != NULL && a->p12 == NULL && (a->add_to != NULL || a->detached)) {
        return cli_error(CMD, "--tsa without --p12 stamps an existing CMS: no --add-to or "
                              "--detached");
    }
    if (a->timestamp_token != NULL && (a->p12 != NULL || a->add_to != NULL || a->detached)) {
        return cli_error(CMD, "--timestamp-token does not sign: use it without --p12, --add-to "
                              "and --detached");
    }
    if (a->xml && (a->timestamp_token != NULL || a->tsa_url != NULL || a->add_to != NULL ||
                   a->detached || a->form != OUT_DER)) {
        return cli_error(CMD, "--xml signs INPUT.xml in place: no --timestamp-token, --tsa, "
                              "--add-to, --detached, --pem or --base64 (sign a signed file to "
                              "add a signer)");
    }
    return 0;
}

int cmd_sign(int argc, char **argv)
{
    sign_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc < 0) {
        return CLI_OK; /* --help */
    }
    if (rc != 0) {
        return rc;
    }
    unsigned char *der = NULL;
    size_t len = 0;
    if (a.timestamp_token != NULL) {
        rc = add_timestamp(&a, &der, &len);
    } else if (a.xml) {
        rc = sign_xml(&a, &der, &len);
    } else if (a.p12 != NULL) {
        rc = sign_cms(&a, &der, &len);
    } else { /* --tsa alone: stamp signer N of an existing CMS */
        unsigned char *in = NULL;
        size_t in_len = 0;
        rc = cli_read_file(CMD, &in, &in_len, a.input, QTB_MAX_SIGNATURE_FILE);
        if (rc == 0) {
            rc = stamp(&a, in, in_len, &der, &len);
        }
        free(in);
    }
    if (rc == 0 && a.tsa_url != NULL && a.p12 != NULL && !a.xml) {
        unsigned char *stamped = NULL;
        size_t stamped_len = 0;
        rc = stamp(&a, der, len, &stamped, &stamped_len);
        qtb_free_bytes(der);
        der = stamped;
        len = stamped_len;
    }
    if (rc == 0) {
        rc = write_output(a.out, der, len, a.form);
    }
    qtb_free_bytes(der);
    return rc;
}
