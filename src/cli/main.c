/* main.c — firstline-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

#include "fl-cli.h"

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  /* FIRSTLINE_LOCALEDIR: the build's translations, for tests and firstline-dev. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("FIRSTLINE_LOCALEDIR") ? g_getenv ("FIRSTLINE_LOCALEDIR")
                                                                   : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  return fl_cli_run (argc, argv);
}
