/* fl-store-private.h — what the sync engine and tests of core need of the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "fl-store.h"

G_BEGIN_DECLS

/* The SQL that takes a file from schema version @from to @from + 1. */
const char   *_fl_store_get_migration   (int          from);
sqlite3      *_fl_store_get_db          (FlStore     *self);
gboolean      _fl_store_begin           (FlStore     *self,
                                         GError     **error);
gboolean      _fl_store_commit          (FlStore     *self,
                                         GError     **error);
void          _fl_store_rollback        (FlStore     *self);
/* Emits "changed" for @changes (an array of FlStoreChange, freed by the store). */
void          _fl_store_emit_changed    (FlStore     *self,
                                         GPtrArray   *changes);
GPtrArray    *_fl_store_changes_new     (void);
void          _fl_store_changes_add     (GPtrArray   *changes,
                                         FlTicket    *old_ticket,
                                         FlTicket    *new_ticket);
FlTicket     *_fl_store_load_ticket     (FlStore     *self,
                                         const char  *id,
                                         GError     **error);
gboolean      _fl_store_write_ticket    (FlStore     *self,
                                         FlTicket    *ticket,
                                         GError     **error);
gboolean      _fl_store_write_event     (FlStore     *self,
                                         FlEvent     *event,
                                         GError     **error);

G_END_DECLS
