/* fl-history-window.h — the server's history and the KPI dashboard, for leads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"
#include "fl-history.h"

G_BEGIN_DECLS

#define FL_TYPE_HISTORY_WINDOW (fl_history_window_get_type ())
G_DECLARE_FINAL_TYPE (FlHistoryWindow, fl_history_window, FL, HISTORY_WINDOW, AdwWindow)

/* Whether @role may open it: leads (history, dashboard, export) and specialists (the
 * history, read-only). Agents never. */
gboolean   fl_history_window_role_allowed (FlRole            role);

GtkWidget *fl_history_window_new          (GtkWindow        *parent,
                                           FlContext        *context);
/* Shows the history narrowed to @filter (the filter widgets follow it). */
void       fl_history_window_show_history (FlHistoryWindow  *self,
                                           const FlHistoryFilter *filter);
/* Loads the dashboard for the days @from to @to (YYYY-MM-DD, both included), and the
 * range of the same length before it, and shows it. */
void       fl_history_window_show_dashboard (FlHistoryWindow *self,
                                           const char       *from,
                                           const char       *to);
/* The filter the history shows now. */
const FlHistoryFilter *fl_history_window_get_filter (FlHistoryWindow *self);
GListModel *fl_history_window_get_model   (FlHistoryWindow  *self);
/* Writes the filtered history to @file as CSV (what "Export CSV…" does after the file
 * chooser), page by page; the window's subtitle says when it is done. */
void       fl_history_window_export_to    (FlHistoryWindow  *self,
                                           GFile            *file);

G_END_DECLS
