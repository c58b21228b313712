/* fl-server-store-sqlite-private.h — what the files of the SQLite store share
 *
 * FlServerStoreSqlite is split over fl-server-store-sqlite.c (the connection, pulls and
 * the GObject with its writer thread) and fl-server-store-sqlite-{schema,users,history,
 * ops,reports,intake}.c. Conn and the helpers they call from one another are declared
 * here; the cross-file functions carry the _fl_sqlite_ prefix.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "fl-answer.h"
#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-server-store-sqlite.h"
#include "fl-similar.h"
#include "fl-sqlite-private.h"

G_BEGIN_DECLS

typedef struct _Conn Conn;


/* How far in the past an op's time may lie: ops made offline keep their time
 * for this long; an older time is replaced by the server's. */
#define OP_MAX_AGE_MS (30 * 24 * 3600 * 1000LL)

typedef struct
{
  char *title;
  char *description;
  char *requester;
  char *notes;
} FtsRow;

struct _Conn
{
  sqlite3        *db;
  FlSqliteCache  *stmts;          /* prepared statements */
  char           *path;
  FlPolicy        policy;
  GHashTable     *checklists;     /* "id/version" → FlChecklist, parsed once */
  /* What pulls read, parsed once and shared by every client's answer (the HTTP
   * layer keeps each one's JSON text on the object); bounded, emptied when full. */
  GHashTable     *change_events;  /* seq → FlEvent (an event never changes) */
  GHashTable     *change_tickets; /* id → FlTicket at its stored seq */
  /* In a batch the FTS rows are written at its end, outside the ops' savepoints:
   * FTS5 flushes its pending terms at every savepoint, a new index segment per op. */
  GHashTable     *fts_batch;      /* rowid → FtsRow, of the released ops */
  GHashTable     *fts_op;         /* rowid → FtsRow, of the op under way */
  gboolean        in_batch;
  gint64          token_idle_ms;
  GHashTable     *counts;         /* history query → CountEntry */
};

/* A history total, valid while the database's seq is @seq. */
typedef struct
{
  gint64 seq;
  gint64 total;
} CountEntry;

#define COUNT_CACHE_MAX 256

typedef enum
{
  TOKEN_FRESH,          /* nothing to write */
  TOKEN_TOUCH,          /* record its use */
  TOKEN_EXPIRED,        /* delete it */
} TokenWrite;

#define DAY_MS (24 * 3600 * 1000LL)
#define HOUR_MS (3600 * 1000LL)

/* fl-server-store-sqlite.c */
gboolean
_fl_sqlite_db_error (Conn       *self,
                     GError    **error,
                     const char *what);

sqlite3_stmt *
_fl_sqlite_prepare (Conn       *self,
                    const char *sql,
                    GError    **error);
/* The parsed JSON of the first column of each row of @sql. */
GPtrArray *
_fl_sqlite_list_json (Conn        *self,
                      const char  *sql,
                      GError     **error);

gboolean
_fl_sqlite_exec (Conn       *self,
                 const char *sql,
                 GError    **error);

void
_fl_sqlite_rollback (Conn *self);

gboolean
_fl_sqlite_step_done (Conn         *self,
                      sqlite3_stmt *stmt,
                      GError      **error);

gint64
_fl_sqlite_next_seq (Conn    *self,
                     GError **error);

gboolean
_fl_sqlite_table_exists (Conn       *self,
                         const char *name);

gint64
_fl_sqlite_meta_get (Conn       *self,
                     const char *key,
                     gint64      fallback);

/* fl-server-store-sqlite-schema.c */
gboolean
_fl_sqlite_upgrade_schema (Conn    *self,
                           GError **error);

/* fl-server-store-sqlite-users.c */
void
_fl_sqlite_conn_set_token_idle_days (Conn *self,
                                     guint days);

gboolean
_fl_sqlite_conn_add_user (Conn       *self,
                          const char *username,
                          const char *display_name,
                          FlRole      role,
                          const char *password_hash,
                          GError    **error);

FlServerUser *
_fl_sqlite_conn_get_user (Conn       *self,
                          const char *username);

char *
_fl_sqlite_conn_dup_password_hash (Conn       *self,
                                   const char *username,
                                   gint64     *user_id);

GPtrArray *
_fl_sqlite_conn_list_users (Conn *self);

gboolean
_fl_sqlite_conn_set_user_disabled (Conn       *self,
                                   const char *username,
                                   gboolean    disabled,
                                   GError    **error);

gboolean
_fl_sqlite_conn_remove_user (Conn       *self,
                             const char *username,
                             GError    **error);

gboolean
_fl_sqlite_conn_set_password (Conn       *self,
                              gint64      user_id,
                              const char *password_hash,
                              const char *keep_token,
                              GError    **error);

char *
_fl_sqlite_conn_create_token (Conn    *self,
                              gint64   user_id,
                              GError **error);

int
_fl_sqlite_token_write (Conn       *self,
                        TokenWrite  write,
                        const char *hash,
                        gint64      now);

FlServerUser *
_fl_sqlite_conn_lookup_token (Conn       *self,
                              const char *token,
                              gint64      now,
                              char      **out_hash,
                              TokenWrite *write);

void
_fl_sqlite_conn_revoke_token (Conn       *self,
                              const char *token);

gboolean
_fl_sqlite_conn_revoke_user_tokens (Conn    *self,
                                    gint64   user_id,
                                    GError **error);

/* fl-server-store-sqlite-history.c */
gint64
_fl_sqlite_conn_get_latest_seq (Conn *self);

FlTicket *
_fl_sqlite_load_ticket (Conn       *self,
                        const char *ticket_id,
                        GError    **error);

FlTicket *
_fl_sqlite_conn_get_ticket (Conn       *self,
                            const char *ticket_id);

gboolean
_fl_sqlite_conn_has_ticket (Conn       *self,
                            const char *ticket_id);

FlEvent *
_fl_sqlite_event_from_row (sqlite3_stmt *stmt);

GPtrArray *
_fl_sqlite_conn_get_events (Conn       *self,
                            const char *ticket_id);

GPtrArray *
_fl_sqlite_conn_query_tickets (Conn                *self,
                               const FlTicketQuery *query,
                               gint64              *total,
                               GError             **error);

/* fl-server-store-sqlite-ops.c */
FlChecklist *
_fl_sqlite_lookup_checklist (Conn       *self,
                             const char *id,
                             gint64      version,
                             GError    **error);

gboolean
_fl_sqlite_conn_begin_batch (Conn    *self,
                             GError **error);

GPtrArray *
_fl_sqlite_conn_list_checklists (Conn    *self,
                                 GError **error);

JsonNode *
_fl_sqlite_conn_put_checklist (Conn       *self,
                               const char *id,
                               JsonNode   *checklist,
                               GError    **error);

gboolean
_fl_sqlite_conn_seed_checklists (Conn       *self,
                                 const char *dir,
                                 GError    **error);

GPtrArray *
_fl_sqlite_conn_apply_batch (Conn               *self,
                             GPtrArray          *ops,
                             const char         *client_id,
                             const FlServerUser *user,
                             GError            **error);

/* fl-server-store-sqlite-reports.c */
JsonNode *
_fl_sqlite_conn_report (Conn    *self,
                        gint64   from,
                        gint64   to,
                        gint64   now,
                        GError **error);

JsonNode *
_fl_sqlite_conn_report_checklists (Conn    *self,
                                   gint64   from,
                                   gint64   to,
                                   GError **error);

/* fl-server-store-sqlite-intake.c */
GPtrArray *
_fl_sqlite_conn_find_similar (Conn                 *self,
                              const FlSimilarQuery *query,
                              GError              **error);

GPtrArray *
_fl_sqlite_conn_list_answers (Conn    *self,
                              GError **error);

GPtrArray *
_fl_sqlite_conn_get_answer_changes (Conn     *self,
                                    gint64    cursor,
                                    gint64    upper,
                                    gint64   *out_cursor,
                                    GError  **error);

JsonNode *
_fl_sqlite_store_answer (Conn       *self,
                         const char *id,
                         JsonNode   *answer,
                         gboolean    only_if_new,
                         GError    **error);

gboolean
_fl_sqlite_conn_seed_answers (Conn    *self,
                              GError **error);

G_END_DECLS
