/* fl-cli.h — the commands of firstline-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, as documented in docs/cli.md. */
typedef enum
{
  FL_CLI_EXIT_OK          = 0,
  FL_CLI_EXIT_ERROR       = 1,
  FL_CLI_EXIT_USAGE       = 2,
  FL_CLI_EXIT_UNREACHABLE = 3,
  FL_CLI_EXIT_CONFLICTS   = 4,
} FlCliExit;

/* Runs one command line (@argv[0] is the program name) and returns the exit
 * status. Output goes to stdout, messages to stderr; the password of `login` is
 * read from stdin. */
int fl_cli_run (int    argc,
                char **argv);

/* @text with every control character but newline and tab, and every byte
 * that is not UTF-8, replaced by U+FFFD: fit for a terminal. */
char *fl_cli_sanitize (const char *text);

G_END_DECLS
