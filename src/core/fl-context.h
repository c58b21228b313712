/* fl-context.h — what the app's parts share: the store, the sync engine, the clock,
 * the checklists and the categories
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-categories.h"
#include "fl-checklist-library.h"
#include "fl-store.h"
#include "fl-sync-engine.h"

G_BEGIN_DECLS

#define FL_TYPE_CONTEXT (fl_context_get_type ())
G_DECLARE_FINAL_TYPE (FlContext, fl_context, FL, CONTEXT, GObject)

FlContext  *fl_context_new           (FlStore    *store,
                                      GSettings  *settings);
FlStore    *fl_context_get_store     (FlContext  *self);
/* The sync engine on the same store (always there; it may not be logged in). */
FlSyncEngine *fl_context_get_sync_engine (FlContext *self);
/* The one checklist library on the store (built-in and published checklists). */
FlChecklistLibrary *fl_context_get_checklist_library (FlContext *self);
/* The ticket categories (fl_categories_load_default ()): FlCategory, transfer none. */
GPtrArray  *fl_context_get_categories (FlContext  *self);
/* NULL where no schema is installed (the CLI) */
GSettings  *fl_context_get_settings  (FlContext  *self);
/* The time every part uses, ms since the epoch; tests may set it. */
gint64      fl_context_get_now       (FlContext  *self);
void        fl_context_set_now       (FlContext  *self,
                                      gint64      now);
/* Default path of the local cache: $FIRSTLINE_CACHE or $XDG_DATA_HOME/firstline/cache.db */
char       *fl_context_dup_default_cache_path (void);

G_END_DECLS
