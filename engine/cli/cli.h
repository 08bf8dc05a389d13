/* qoltanba CLI: shared helpers. The CLI uses only the public library API. */
#ifndef QTB_CLI_H
#define QTB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes, for every subcommand. */
enum {
    CLI_OK = 0,            /* success; TOTAL_PASSED */
    CLI_FAILED = 1,        /* TOTAL_FAILED, or findings that block the operation */
    CLI_ERROR = 2,         /* usage, I/O, unreadable input */
    CLI_INDETERMINATE = 3, /* INDETERMINATE verdict */
};

#define QTB_CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef QTB_CMD

/* Print "qoltanba <cmd>: error: <msg>" to stderr; returns CLI_ERROR. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like cli_error, with qtb_error_last()'s message appended. */
int cli_lib_error(const char *cmd, const char *what);

/*
 * Read a secret without it touching argv: from a file (first line), from an environment
 * variable, or from a prompt on the controlling terminal (echo off). `buf` receives a
 * NUL-terminated string; wipe it with cli_wipe when done.
 * Returns 0, or CLI_ERROR after printing a reason.
 */
int cli_read_password(const char *cmd, char *buf, size_t cap, const char *file, const char *env_var,
                      const char *prompt);
void cli_wipe(void *p, size_t n);

/* Whole file into memory (NUL-terminated); returns 0 or CLI_ERROR after printing a reason. */
int cli_read_file(const char *cmd, unsigned char **out, size_t *len, const char *path, size_t max);

/* True when argv has -h/--help. */
bool cli_wants_help(int argc, char **argv);

/* A whole decimal number in [min, max]: 0 with *out set, or -1 (the caller says which option
 * and range in its message). */
int cli_parse_int(long long *out, const char *s, long long min, long long max);

#endif
