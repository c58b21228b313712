/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "fl-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FlApplication) app = NULL;

  /* FIRSTLINE_LOCALEDIR: translations of an uninstalled build (build/po) */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("FIRSTLINE_LOCALEDIR") ? g_getenv ("FIRSTLINE_LOCALEDIR")
                                                                     : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = fl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
