/* qoltanba certinfo: placeholder until the identity module lands (issue 2). */
#include "cli.h"

int cmd_certinfo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("certinfo", "not implemented yet");
}
