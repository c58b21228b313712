/* fl-store-private.h — what the sync engine and tests of core need of the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "fl-sqlite-private.h"
#include "fl-store.h"
#include "fl-sync-protocol.h"

G_BEGIN_DECLS

/* Shared by fl-store.c, fl-store-tickets.c, fl-store-outbox.c and fl-store-sync.c. */
struct _FlStore
{
  GObject     parent_instance;

  /* owned */
  char       *path;
  sqlite3    *db;
  FlSqliteCache *stmts;        /* prepared statements */
  char       *client_id;
  char       *username;
  FlRole      role;
  int         schema_version;
  GHashTable *changed_at;      /* ticket id → the serial of its last "changed" */
  guint64     serial;
  guint       pending_ops;
  guint       conflicts;
  guint       rejected;
  FlStoreOrigin emitting;      /* the origin of the emission running now */
  guint       in_transaction : 1;
};

/* SQLite helpers (fl-store.c) */
gboolean      set_sqlite_error          (FlStore       *self,
                                         int            rc,
                                         GError       **error);
gboolean      exec_sql                  (FlStore       *self,
                                         const char    *sql,
                                         GError       **error);
sqlite3_stmt *get_stmt                  (FlStore       *self,
                                         const char    *sql,
                                         GError       **error);
gboolean      step_done                 (FlStore       *self,
                                         sqlite3_stmt  *stmt,
                                         GError       **error);
guint         _fl_store_count_rows      (FlStore       *self,
                                         const char    *sql);

/* Shared between the parts of the store */
FlOp         *_fl_store_op_from_row     (sqlite3_stmt  *stmt);
FlOp         *_fl_store_load_outbox_op  (FlStore       *self,
                                         const char    *op_id,
                                         char         **out_state);
gboolean      _fl_store_queue_op        (FlStore       *self,
                                         const FlOp    *op,
                                         GError       **error);
gboolean      _fl_store_run_stmt_text   (FlStore       *self,
                                         const char    *sql,
                                         const char    *arg,
                                         GError       **error);
gboolean      _fl_store_append_fts_note (FlStore       *self,
                                         const char    *ticket_id,
                                         const char    *body,
                                         GError       **error);

/* The SQL that takes a file from schema version @from to @from + 1. */
const char   *_fl_store_get_migration   (int          from);
sqlite3      *_fl_store_get_db          (FlStore     *self);
gboolean      _fl_store_begin           (FlStore     *self,
                                         GError     **error);
gboolean      _fl_store_commit          (FlStore     *self,
                                         GError     **error);
void          _fl_store_rollback        (FlStore     *self);
/* Emits "changed" (detailed by @origin) for @changes (an array of FlStoreChange,
 * freed by the store), and updates the counts. */
void          _fl_store_emit_changed    (FlStore     *self,
                                         FlStoreOrigin origin,
                                         GPtrArray   *changes);
/* Reads the counts of pending, conflicting and rejected ops again; notifies. */
void          _fl_store_refresh_counts  (FlStore     *self);
/* Every emission of "changed" raises the serial; whether @ticket_id was in one
 * after @serial. */
guint64       _fl_store_get_serial      (FlStore     *self);
gboolean      _fl_store_changed_since   (FlStore     *self,
                                         const char  *ticket_id,
                                         guint64      serial);
GPtrArray    *_fl_store_changes_new     (void);
void          _fl_store_changes_add     (GPtrArray   *changes,
                                         FlTicket    *old_ticket,
                                         FlTicket    *new_ticket);
FlTicket     *_fl_store_apply_local_in_transaction (FlStore    *self,
                                         const char  *ticket_id,
                                         FlOpType     type,
                                         JsonObject  *data,
                                         GPtrArray   *changes,
                                         GError     **error);
FlTicket     *_fl_store_load_ticket     (FlStore     *self,
                                         const char  *id,
                                         GError     **error);
gboolean      _fl_store_write_ticket    (FlStore     *self,
                                         FlTicket    *ticket,
                                         GError     **error);
/* Search on the worker's own connection (fl-ticket-list-model.c) and reading
 * its results back on the store's. */
GArray       *_fl_store_search_rowids   (sqlite3     *db,
                                         FlView       view,
                                         const char  *username,
                                         const char  *match,
                                         GError     **error);
GPtrArray    *_fl_store_load_tickets_by_rowid (FlStore      *self,
                                         const gint64 *rowids,
                                         guint         n_rowids,
                                         GError      **error);
gint64        _fl_store_get_rowid       (FlStore     *self,
                                         const char  *id);
/* A ticket from a row of "SELECT " FL_STORE_TICKET_COLUMNS. */
#define FL_STORE_TICKET_COLUMNS \
  "id, number, version, seq, title, description, req_name, req_email, req_phone, " \
  "req_department, req_location, asset, channel, category, impact, urgency, priority, " \
  "status, level, queue, assignee, resolution_code, resolution_summary, created_by, " \
  "created_at, updated_at, resolved_at, due_at, waiting_since, pending, waiting_reason, " \
  "follow_up_at, attention"
FlTicket     *_fl_store_ticket_from_row (sqlite3_stmt *stmt);
gboolean      _fl_store_write_event     (FlStore     *self,
                                         FlEvent     *event,
                                         GError     **error);

G_END_DECLS

G_BEGIN_DECLS

/* Applies one answer of POST /api/v1/sync in one transaction: the results of the
 * ops that were sent, then the changes (events, tickets rebased on the ops still
 * pending, checklists) and the new cursor (a negative one keeps the cursor).
 * @out_changes receives what changed for "changed" (emit it on the thread that
 * owns the store the UI reads). */
gboolean      _fl_store_apply_sync      (FlStore     *self,
                                         FlSyncResponse *response,
                                         GPtrArray  **out_changes,
                                         GError     **error);
/* The server lost our cursor: forget its state, keep our unsent ops. */
gboolean      _fl_store_reset_server_state (FlStore  *self,
                                            GError  **error);
gint64        _fl_store_get_cursor      (FlStore     *self);

G_END_DECLS
