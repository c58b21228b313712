/* fl-trace.h — timestamps of what the window shows, for the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

gboolean fl_trace_enabled (void);
void     fl_trace_init    (void);
void     fl_trace         (const char *format,
                           ...) G_GNUC_PRINTF (1, 2);
void     fl_trace_on_paint (const char *format,
                            ...) G_GNUC_PRINTF (1, 2);
void     fl_trace_attach  (GtkWidget  *window,
                           GtkWidget  *list);

G_END_DECLS
