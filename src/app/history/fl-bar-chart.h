/* fl-bar-chart.h — horizontal bars with their numbers, drawn with GtkSnapshot
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FL_TYPE_BAR_CHART (fl_bar_chart_get_type ())
G_DECLARE_FINAL_TYPE (FlBarChart, fl_bar_chart, FL, BAR_CHART, GtkWidget)

/* One row per label, one bar per series (one or two), each with its number beside it.
 * Colors come from the theme (accent and success), so the chart reads in light and dark.
 * Clicking a bar emits "bar-activated" (row, series). */
GtkWidget *fl_bar_chart_new         (void);
void       fl_bar_chart_set_series  (FlBarChart         *self,
                                     const char         *first,
                                     const char         *second);
void       fl_bar_chart_set_data    (FlBarChart         *self,
                                     const char * const *labels,
                                     const gint64       *first,
                                     const gint64       *second,
                                     guint               n);
guint      fl_bar_chart_get_n_rows  (FlBarChart         *self);

G_END_DECLS
