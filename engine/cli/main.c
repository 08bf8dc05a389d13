/* qoltanba: command-line entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include <qtb/common.h>

#include "cli.h"

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
#define QTB_CMD(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef QTB_CMD
};

static void usage(FILE *out)
{
    fprintf(out, "usage: qoltanba <command> [options] [args]\n\n"
                 "Verify, sign and record documents signed with Kazakh ЭЦП (NCA RK) keys.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'qoltanba <command> --help' for a command's options.\n"
                 "Exit codes: 0 success/TOTAL_PASSED, 1 TOTAL_FAILED or blocking findings,\n"
                 "2 usage or I/O error, 3 INDETERMINATE.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("qoltanba %s\n", QTB_VERSION_STRING);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, cmd) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "qoltanba: error: unknown command '%s' (see 'qoltanba --help')\n", cmd);
    return CLI_ERROR;
}
