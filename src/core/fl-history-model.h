/* fl-history-model.h — the server's ticket history as a lazy list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-history.h"
#include "fl-sync-engine.h"

G_BEGIN_DECLS

#define FL_HISTORY_MODEL_PAGE 100

#define FL_TYPE_HISTORY_MODEL (fl_history_model_get_type ())
G_DECLARE_FINAL_TYPE (FlHistoryModel, fl_history_model, FL, HISTORY_MODEL, GObject)

/* A GListModel of FlTicket: the server's tickets matching a filter, newest first, as far
 * as they are loaded. Pages of FL_HISTORY_MODEL_PAGE come with keyset paging
 * (GET /api/v1/tickets?after=…); the request and the parsing run off the main loop, and
 * an answer for an older filter is dropped. Nothing is loaded before the first
 * fl_history_model_set_filter(). Properties: "loading", "total" (every match on the
 * server, -1 before the first page), "has-more", "error" (the last failure's message). */
FlHistoryModel        *fl_history_model_new        (FlSyncEngine          *engine);
/* Empties the list and loads the first page for @filter. */
void                   fl_history_model_set_filter (FlHistoryModel        *self,
                                                    const FlHistoryFilter *filter);
const FlHistoryFilter *fl_history_model_get_filter (FlHistoryModel        *self);
/* Loads the next page, unless one is on its way or none is left. */
void                   fl_history_model_load_more  (FlHistoryModel        *self);
gboolean               fl_history_model_get_loading (FlHistoryModel       *self);
gint64                 fl_history_model_get_total  (FlHistoryModel        *self);
gboolean               fl_history_model_get_has_more (FlHistoryModel      *self);
const char            *fl_history_model_get_error  (FlHistoryModel        *self);

G_END_DECLS
