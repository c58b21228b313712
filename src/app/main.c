/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "fl-application.h"
#include "fl-trace.h"

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

  /* Firstline draws lists, labels and a few charts: GTK's cairo renderer does
   * that without a GPU. With GTK 4.8's GL renderer on a software rasterizer
   * (virtual machines, remote desktops, Xvfb: llvmpipe) typing a search over
   * 100,000 cached tickets took 5 s of CPU and ~10 s to show results, and the
   * window held twice the memory (245 MB against 120 MB); with cairo the
   * results are there at once. GSK_RENDERER=gl (or vulkan) still chooses. */
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GSK_RENDERER", "cairo", FALSE);

  /* FIRSTLINE_TRACE: timestamps for the benchmarks (fl-trace.c) */
  fl_trace_init ();

  app = fl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
