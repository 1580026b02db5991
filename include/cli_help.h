/* cli_help.h - `help [COMMAND]` and `COMMAND --help` (SPEC 3.2): printed to
 * stdout, exit 0, no configuration read. The texts live in cli_help.c; a
 * command without one there is described by its usage line alone. */
#ifndef CPR_CLI_HELP_H
#define CPR_CLI_HELP_H

#include <glib.h>
#include <stdio.h>

/* TRUE when the arguments after the command name (argv[0] is the command)
 * ask for help: "--help" or "-h" before any "--". */
gboolean cli_help_requested(int argc, char **argv);
/* Print the help of `command` to `out`: its usage line, then what it does and
 * its options. `usage` is the command's line from the command table. */
void cli_help_print(FILE *out, const char *command, const char *usage);

#endif
