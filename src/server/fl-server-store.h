/* fl-server-store.h — the server's storage, as an interface
 *
 * FlServerStore is everything the HTTP layer (fl-server.c), the command line (main.c) and
 * the demo data (fl-server-seed.c) need from storage. fl_server_store_open() picks the
 * backend; today that is FlServerStoreSqlite (fl-server-store-sqlite.c), one SQLite file.
 * A second backend implements FlServerStoreInterface and is added in
 * fl_server_store_open(), without touching the HTTP code.
 *
 * Threads: every function but the _async ones is called on the thread that opened the
 * store (the server's main loop) and must be quick there — reads, single-row writes.
 * Writes that can take long (a batch of ops, publishing a checklist) have an _async
 * variant: the backend does them elsewhere (FlServerStoreSqlite: one writer thread with
 * its own connection), in the order they were started, and the callback runs on the
 * calling thread's main context once the result is durable. The synchronous
 * fl_server_store_apply_batch() and fl_server_store_put_checklist() are for the command
 * line, where nothing else waits.
 *
 * Backends: FlServerStoreSqlite (the default, one process) and FlServerStorePg
 * (fl-server-store-pg.c; several processes may share the database, and the store emits
 * ::changed when another one stored changes).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fl-store.h"
#include "fl-sync-protocol.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_SERVER_STORE_ERROR (fl_server_store_error_quark ())

typedef enum
{
  FL_SERVER_STORE_ERROR_FAILED,     /* database or I/O failure: 500 */
  FL_SERVER_STORE_ERROR_EXISTS,     /* the user or thing exists already */
  FL_SERVER_STORE_ERROR_INVALID,    /* invalid input: 422 */
  FL_SERVER_STORE_ERROR_NOT_FOUND,
} FlServerStoreError;

GQuark fl_server_store_error_quark (void);

typedef struct
{
  gint64    id;                 /* stable: never given to another user */
  char     *username;
  char     *display_name;
  FlRole    role;
  gboolean  disabled;
} FlServerUser;

#define FL_SERVER_STORE_TOKEN_IDLE_DAYS  30             /* default */
#define FL_SERVER_STORE_TOKEN_TOUCH_MS   (60 * 1000)    /* last use recorded at most this often */

typedef struct
{
  FlOpResultStatus status;
  gint64         version;
  gint64         number;
  FlTicket      *current;         /* conflict: the ticket as it is */
  const char    *error_code;      /* rejected: API error code (static string) */
  char          *error_message;
} FlApplyResult;

/* The figures of the summary report a history query can narrow to, each exactly as
 * fl_server_store_report() counts it (docs/api.md): */
typedef enum
{
  FL_REPORT_KPI_NONE,
  FL_REPORT_KPI_RESOLVED,         /* has a resolution now */
  FL_REPORT_KPI_OPEN,             /* new, in_progress, waiting, escalated */
  FL_REPORT_KPI_ESCALATED,        /* handed off at least once */
  FL_REPORT_KPI_FIRST_CONTACT,    /* resolved first_contact, never handed off */
  FL_REPORT_KPI_LEVEL1,           /* resolved, never handed off */
  FL_REPORT_KPI_REOPENED,         /* reopened within FL_REPORT_REOPEN_WINDOW_MS of a resolve */
  FL_REPORT_KPI_BREACHED,         /* an SLA breach at @now, waiting time excluded */
  FL_REPORT_KPI_AGE_LT_4H,        /* open, by age at @now: the backlog_aging buckets */
  FL_REPORT_KPI_AGE_4H_24H,
  FL_REPORT_KPI_AGE_1D_3D,
  FL_REPORT_KPI_AGE_3D_7D,
  FL_REPORT_KPI_AGE_GT_7D,
} FlReportKpi;

const char *fl_report_kpi_to_string   (FlReportKpi  kpi);
gboolean    fl_report_kpi_from_string (const char  *text,
                                       FlReportKpi *kpi);

/* A history query (GET /api/v1/tickets). Every set member narrows the result; matches
 * come newest first: created_at descending, then number descending.
 *
 * Paging: @offset skips that many matches. Keyset paging: with @after_number > 0, only
 * the matches after (@after_created_at, @after_number) in that order count — created_at
 * < @after_created_at, or equal with number < @after_number — and @offset skips among
 * those. A backend must answer a keyset page without reading the rows before it (an
 * index on the order and the filters), so that page 1000 costs what page 1 costs. */
typedef struct
{
  const char *status;
  const char *category;
  const char *assignee;
  gint64      level;              /* 0: any */
  const char *queue;
  gint64      from;               /* 0: open */
  gint64      to;                 /* 0: open; exclusive */
  const char *q;                  /* full text (words as prefixes), see docs/api.md */
  gint64      limit;
  gint64      offset;
  gint64      after_created_at;   /* keyset cursor, with after_number */
  gint64      after_number;       /* 0: none */
  /* Drill-down from the summary report: exactly the tickets a figure counts. */
  FlReportKpi kpi;
  gint64      now;                /* for the kpis that depend on the time (breached, aging) */
  const char *resolved_by;        /* the latest resolve was by this user */
  const char *handed_off_by;      /* this user handed the ticket off (at least once) */
  gint64      resolved_from;      /* resolved now, resolved_at ≥ this (0: open) */
  gint64      resolved_to;        /* resolved now, resolved_at < this (0: open) */
} FlTicketQuery;

/* "Reopened within 7 days" in the reports: a reopen at most this long after the resolve
 * before it. */
#define FL_REPORT_REOPEN_WINDOW_MS (7 * 24 * 3600 * 1000LL)

FlServerUser *fl_server_user_copy        (const FlServerUser *user);
void          fl_server_user_free        (FlServerUser    *user);
JsonNode     *fl_server_user_to_json     (const FlServerUser *user);
void          fl_apply_result_free       (FlApplyResult   *result);
gboolean      fl_server_validate_checklist (JsonNode      *checklist,
                                          GError         **error);

#define FL_TYPE_SERVER_STORE (fl_server_store_get_type ())
G_DECLARE_INTERFACE (FlServerStore, fl_server_store, FL, SERVER_STORE, GObject)

struct _FlServerStoreInterface
{
  GTypeInterface parent_iface;

  void           (*set_policy)           (FlServerStore       *self,
                                          const FlPolicy      *policy);
  void           (*set_token_idle_days)  (FlServerStore       *self,
                                          guint                days);
  gboolean       (*backup)               (FlServerStore       *self,
                                          const char          *file,
                                          GError             **error);

  /* users */
  gboolean       (*add_user)             (FlServerStore       *self,
                                          const char          *username,
                                          const char          *display_name,
                                          FlRole               role,
                                          const char          *password_hash,
                                          GError             **error);
  FlServerUser * (*get_user)             (FlServerStore       *self,
                                          const char          *username);
  char *         (*dup_password_hash)    (FlServerStore       *self,
                                          const char          *username,
                                          gint64              *user_id);
  GPtrArray *    (*list_users)           (FlServerStore       *self);
  gboolean       (*set_user_disabled)    (FlServerStore       *self,
                                          const char          *username,
                                          gboolean             disabled,
                                          GError             **error);
  gboolean       (*remove_user)          (FlServerStore       *self,
                                          const char          *username,
                                          GError             **error);
  gboolean       (*set_password)         (FlServerStore       *self,
                                          gint64               user_id,
                                          const char          *password_hash,
                                          const char          *keep_token,
                                          GError             **error);

  /* tokens */
  char *         (*create_token)         (FlServerStore       *self,
                                          gint64               user_id,
                                          GError             **error);
  FlServerUser * (*lookup_token)         (FlServerStore       *self,
                                          const char          *token);
  void           (*revoke_token)         (FlServerStore       *self,
                                          const char          *token);
  gboolean       (*revoke_user_tokens)   (FlServerStore       *self,
                                          gint64               user_id,
                                          GError             **error);

  /* tickets, events, changes, reports */
  gint64         (*get_latest_seq)       (FlServerStore       *self);
  gboolean       (*has_ticket)           (FlServerStore       *self,
                                          const char          *ticket_id);
  FlTicket *     (*get_ticket)           (FlServerStore       *self,
                                          const char          *ticket_id);
  GPtrArray *    (*get_events)           (FlServerStore       *self,
                                          const char          *ticket_id);
  gboolean       (*get_changes)          (FlServerStore       *self,
                                          gint64               cursor,
                                          gint64               limit,
                                          GPtrArray          **tickets,
                                          GPtrArray          **events,
                                          GPtrArray          **checklists,
                                          gint64              *out_cursor,
                                          gboolean            *more,
                                          GError             **error);
  GPtrArray *    (*query_tickets)        (FlServerStore       *self,
                                          const FlTicketQuery *query,
                                          gint64              *total,
                                          GError             **error);
  JsonNode *     (*report)               (FlServerStore       *self,
                                          gint64               from,
                                          gint64               to,
                                          gint64               now,
                                          GError             **error);
  JsonNode *     (*report_checklists)    (FlServerStore       *self,
                                          gint64               from,
                                          gint64               to,
                                          GError             **error);

  /* ops */
  GPtrArray *    (*apply_batch)          (FlServerStore       *self,
                                          GPtrArray           *ops,
                                          const char          *client_id,
                                          const FlServerUser  *user,
                                          GError             **error);
  void           (*apply_batch_async)    (FlServerStore       *self,
                                          GPtrArray           *ops,
                                          const char          *client_id,
                                          const FlServerUser  *user,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
  GPtrArray *    (*apply_batch_finish)   (FlServerStore       *self,
                                          GAsyncResult        *result,
                                          GError             **error);

  /* checklists */
  GPtrArray *    (*list_checklists)      (FlServerStore       *self,
                                          GError             **error);
  JsonNode *     (*put_checklist)        (FlServerStore       *self,
                                          const char          *id,
                                          JsonNode            *checklist,
                                          GError             **error);
  void           (*put_checklist_async)  (FlServerStore       *self,
                                          const char          *id,
                                          JsonNode            *checklist,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
  JsonNode *     (*put_checklist_finish) (FlServerStore       *self,
                                          GAsyncResult        *result,
                                          GError             **error);
  gboolean       (*seed_checklists)      (FlServerStore       *self,
                                          const char          *dir,
                                          GError             **error);

  /* State several instances share; NULL in a backend of one process (the server then
   * keeps it in its memory). */
  gint64         (*login_wait)           (FlServerStore       *self,
                                          const char          *username,
                                          guint                max_failures,
                                          gint64               window_ms);
  void           (*login_failed)         (FlServerStore       *self,
                                          const char          *username);
  void           (*put_presence)         (FlServerStore       *self,
                                          const char          *client_id,
                                          const char          *username,
                                          const char          *viewing,
                                          gboolean             editing,
                                          gboolean             changed);
  GPtrArray *    (*list_presence)        (FlServerStore       *self,
                                          gint64               fresh_ms);
  /* similar solved tickets and predefined answers (1.1); see the functions below */
  GPtrArray *    (*find_similar)         (FlServerStore       *self,
                                          const FlSimilarQuery *query,
                                          GError             **error);
  GPtrArray *    (*list_answers)         (FlServerStore       *self,
                                          GError             **error);
  GPtrArray *    (*get_answer_changes)   (FlServerStore       *self,
                                          gint64               cursor,
                                          gint64               upper,
                                          gint64              *out_cursor,
                                          GError             **error);
  JsonNode *     (*put_answer)           (FlServerStore       *self,
                                          const char          *id,
                                          JsonNode            *answer,
                                          GError             **error);
  gboolean       (*seed_answers)         (FlServerStore       *self,
                                          GError             **error);
};

/* One client's presence as the shared store has it. */
typedef struct
{
  char     *client_id;
  char     *username;
  char     *viewing;
  gboolean  editing;
  gint64    age_ms;             /* since it was last seen */
} FlServerPresence;

void          fl_server_presence_free       (FlServerPresence    *presence);

/* The store of the data directory @dir (created when missing), its schema current. */
FlServerStore *fl_server_store_open         (const char          *dir,
                                             GError             **error);
/* @database NULL: fl_server_store_open (@dir); a postgresql:// URI: that database
 * (fl-server-store-pg.h). */
FlServerStore *fl_server_store_open_database (const char         *database,
                                             const char          *dir,
                                             GError             **error);
/* For backends: emits FlServerStore::changed. */
void          fl_server_store_emit_changed  (FlServerStore       *self,
                                             gint64               latest_seq);

void          fl_server_store_set_policy    (FlServerStore       *self,
                                             const FlPolicy      *policy);
/* Tokens unused for @days expire (default FL_SERVER_STORE_TOKEN_IDLE_DAYS); expired ones
 * are removed. */
void          fl_server_store_set_token_idle_days (FlServerStore *self,
                                             guint                days);
/* An online backup to the new file @file (mode 0600). */
gboolean      fl_server_store_backup        (FlServerStore       *self,
                                             const char          *file,
                                             GError             **error);

/* Users. Usernames are unique; FL_SERVER_STORE_ERROR_EXISTS when taken. */
gboolean      fl_server_store_add_user      (FlServerStore       *self,
                                             const char          *username,
                                             const char          *display_name,
                                             FlRole               role,
                                             const char          *password_hash,
                                             GError             **error);
/* Also disabled users (see ->disabled). */
FlServerUser *fl_server_store_get_user      (FlServerStore       *self,
                                             const char          *username);
/* NULL for an unknown or disabled user; @user_id (optional) gets the user's id. */
char         *fl_server_store_dup_password_hash (FlServerStore   *self,
                                             const char          *username,
                                             gint64              *user_id);
GPtrArray    *fl_server_store_list_users    (FlServerStore       *self);
/* Disabling revokes the user's tokens. Unknown users: FL_SERVER_STORE_ERROR_NOT_FOUND. */
gboolean      fl_server_store_set_user_disabled (FlServerStore   *self,
                                             const char          *username,
                                             gboolean             disabled,
                                             GError             **error);
/* Removes the user and its tokens; tickets and events keep the username. */
gboolean      fl_server_store_remove_user   (FlServerStore       *self,
                                             const char          *username,
                                             GError             **error);
/* Sets a new password hash and revokes every token of the user but @keep_token (nullable). */
gboolean      fl_server_store_set_password  (FlServerStore       *self,
                                             gint64               user_id,
                                             const char          *password_hash,
                                             const char          *keep_token,
                                             GError             **error);

/* Tokens: only their hash is stored. */
char         *fl_server_store_create_token  (FlServerStore       *self,
                                             gint64               user_id,
                                             GError             **error);
/* The enabled user of an unexpired @token, or NULL; records the token's use (at most once
 * per FL_SERVER_STORE_TOKEN_TOUCH_MS) and removes an expired token. */
FlServerUser *fl_server_store_lookup_token  (FlServerStore       *self,
                                             const char          *token);
void          fl_server_store_revoke_token  (FlServerStore       *self,
                                             const char          *token);
gboolean      fl_server_store_revoke_user_tokens (FlServerStore  *self,
                                             gint64               user_id,
                                             GError             **error);

/* Tickets and events */
gint64        fl_server_store_get_latest_seq (FlServerStore      *self);
gboolean      fl_server_store_has_ticket    (FlServerStore       *self,
                                             const char          *ticket_id);
FlTicket     *fl_server_store_get_ticket    (FlServerStore       *self,
                                             const char          *ticket_id);
GPtrArray    *fl_server_store_get_events    (FlServerStore       *self,
                                             const char          *ticket_id);
/* Events with seq > @cursor (at most @limit), the tickets they touch and the checklists
 * published in the same range. */
gboolean      fl_server_store_get_changes   (FlServerStore       *self,
                                             gint64               cursor,
                                             gint64               limit,
                                             GPtrArray          **tickets,
                                             GPtrArray          **events,
                                             GPtrArray          **checklists,
                                             gint64              *out_cursor,
                                             gboolean            *more,
                                             GError             **error);
/* @total: every match of the filters, regardless of limit, offset and the keyset cursor. */
GPtrArray    *fl_server_store_query_tickets (FlServerStore       *self,
                                             const FlTicketQuery *query,
                                             gint64              *total,
                                             GError             **error);
/* The summary report (GET /api/v1/reports/summary) over the tickets with created_at in
 * [@from, @to), at the time @now, as the JSON object docs/api.md defines field by field:
 * created, resolved, escalated, open, the rates (reopen_rate: tickets with a reopen within
 * FL_REPORT_REOPEN_WINDOW_MS of the resolve before it, over resolved), median and p90
 * resolve seconds (nearest rank), sla_breaches with waiting time excluded (a ticket waiting
 * now breaches only if it passed due_at before it began to wait), backlog_aging (the open
 * tickets by now − created_at: lt_4h, 4h_24h, 1d_3d, 3d_7d, gt_7d, always all five, in that
 * order), by_category, by_agent (every enabled agent and specialist, also with nothing to
 * count, and anyone else who resolved or handed off) and by_day. Must answer in well
 * under a second at 1,000,000 tickets in the range. */
JsonNode     *fl_server_store_report        (FlServerStore       *self,
                                             gint64               from,
                                             gint64               to,
                                             gint64               now,
                                             GError             **error);
/* The checklist report (GET /api/v1/reports/checklists) over the tickets created in
 * [@from, @to): per checklist id and version that a ticket reached a step of, sorted by
 * id then version, "title" (English), "started" (tickets), "resolved_l1" (of those,
 * resolved now and never handed off), "escalated" (handed off at least once), and
 * "steps": every step of that version in definition order with "text" (English),
 * "reached", "resolved_l1", "escalated" as above over the tickets that reached the step,
 * and "median_seconds_to_resolve" (median of resolved_at − the first time the step was
 * recorded, over the reached tickets resolved now, not below 0; 0 when none). */
JsonNode     *fl_server_store_report_checklists (FlServerStore   *self,
                                             gint64               from,
                                             gint64               to,
                                             GError             **error);

/* Applies @ops (FlOp) of one request as one group: each op atomic on its own (a rejected
 * op leaves the others), all of them durable together before the results (FlApplyResult,
 * one per op, in order) are returned. Each op_id is applied once. On an error nothing of
 * the batch is applied. */
GPtrArray    *fl_server_store_apply_batch   (FlServerStore       *self,
                                             GPtrArray           *ops,
                                             const char          *client_id,
                                             const FlServerUser  *user,
                                             GError             **error);
/* The same off the calling thread; batches are applied in the order they were started.
 * @ops, @client_id and @user are copied. */
void          fl_server_store_apply_batch_async (FlServerStore   *self,
                                             GPtrArray           *ops,
                                             const char          *client_id,
                                             const FlServerUser  *user,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray    *fl_server_store_apply_batch_finish (FlServerStore  *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Checklists: JSON nodes as published */
GPtrArray    *fl_server_store_list_checklists (FlServerStore     *self,
                                             GError             **error);
/* Stores @checklist as the next version of @id; returns the stored form. Invalid
 * definitions fail with an FL_CHECKLIST_ERROR. */
JsonNode     *fl_server_store_put_checklist (FlServerStore       *self,
                                             const char          *id,
                                             JsonNode            *checklist,
                                             GError             **error);
void          fl_server_store_put_checklist_async (FlServerStore *self,
                                             const char          *id,
                                             JsonNode            *checklist,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
JsonNode     *fl_server_store_put_checklist_finish (FlServerStore *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* Stores each checklist of @dir (*.json) whose id is not stored yet. */
gboolean      fl_server_store_seed_checklists (FlServerStore     *self,
                                             const char          *dir,
                                             GError             **error);

/* Shared state (NULL implementations: nothing is shared). The seconds to wait before
 * @username may try a password again: @max_failures failed logins within @window_ms,
 * counted over every instance; 0 when it may. */
gint64        fl_server_store_login_wait    (FlServerStore       *self,
                                             const char          *username,
                                             guint                max_failures,
                                             gint64               window_ms);
void          fl_server_store_login_failed  (FlServerStore       *self,
                                             const char          *username);
/* Records that @client_id is there (viewing a ticket or not); @changed: what it views
 * changed, which the other instances are told at once. */
void          fl_server_store_put_presence  (FlServerStore       *self,
                                             const char          *client_id,
                                             const char          *username,
                                             const char          *viewing,
                                             gboolean             editing,
                                             gboolean             changed);
/* The clients seen within @fresh_ms by any instance (FlServerPresence), or NULL when the
 * backend does not share presence. */
GPtrArray    *fl_server_store_list_presence (FlServerStore       *self,
                                             gint64               fresh_ms);

/* Similar solved tickets: up to @query->limit (1–20) resolved or closed tickets,
 * best first, no ticket twice, as FlSimilarResult (fl-store.h: ticket, score),
 * ranked as fl_similar_search () ranks (fl-similar.h: the same weights in every
 * backend). A backend without it returns an empty array. */
GPtrArray    *fl_server_store_find_similar  (FlServerStore       *self,
                                             const FlSimilarQuery *query,
                                             GError             **error);
/* The predefined answers (JsonNode, the format of fl-answer.h), the latest version
 * of each, by id. */
GPtrArray    *fl_server_store_list_answers  (FlServerStore       *self,
                                             GError             **error);
/* The answers published with a seq in (@cursor, @upper] — an answer takes a seq
 * from the same sequence as events and checklists when it is stored — in seq
 * order; raises *@out_cursor to the largest seq returned. */
GPtrArray    *fl_server_store_get_answer_changes (FlServerStore  *self,
                                             gint64               cursor,
                                             gint64               upper,
                                             gint64              *out_cursor,
                                             GError             **error);
/* Validates @answer (fl_answer_validate; else FL_SERVER_STORE_ERROR_INVALID, also
 * when its id is not @id) and stores it as the next version of @id (1 when new)
 * with a new seq, in one transaction; returns the stored form. */
JsonNode     *fl_server_store_put_answer    (FlServerStore       *self,
                                             const char          *id,
                                             JsonNode            *answer,
                                             GError             **error);
/* Stores each built-in answer (fl_answer_load_builtin) whose id is not stored yet. */
gboolean      fl_server_store_seed_answers  (FlServerStore       *self,
                                             GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlServerUser, fl_server_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlApplyResult, fl_apply_result_free)

G_END_DECLS
