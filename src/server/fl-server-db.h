/* fl-server-db.h — the server's SQLite storage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fl-sync-protocol.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_SERVER_DB_ERROR (fl_server_db_error_quark ())

typedef enum
{
  FL_SERVER_DB_ERROR_FAILED,        /* SQLite or I/O failure: 500 */
  FL_SERVER_DB_ERROR_EXISTS,        /* the user or thing exists already */
  FL_SERVER_DB_ERROR_INVALID,       /* invalid input: 422 */
  FL_SERVER_DB_ERROR_NOT_FOUND,
} FlServerDbError;

GQuark fl_server_db_error_quark (void);

typedef struct _FlServerDb FlServerDb;

typedef struct
{
  gint64    id;                 /* stable: never given to another user */
  char     *username;
  char     *display_name;
  FlRole    role;
  gboolean  disabled;
} FlServerUser;

#define FL_SERVER_DB_TOKEN_IDLE_DAYS  30                /* default */
#define FL_SERVER_DB_TOKEN_TOUCH_MS   (60 * 1000)       /* last use recorded at most this often */

typedef struct
{
  FlOpResultStatus status;
  gint64         version;
  gint64         number;
  FlTicket      *current;         /* conflict: the ticket as it is */
  const char    *error_code;      /* rejected: API error code (static string) */
  char          *error_message;
} FlApplyResult;

typedef struct
{
  const char *status;
  const char *category;
  const char *assignee;
  gint64      level;              /* 0: any */
  const char *queue;
  gint64      from;               /* 0: open */
  gint64      to;                 /* 0: open; exclusive */
  const char *q;
  gint64      limit;
  gint64      offset;
} FlTicketQuery;

FlServerDb   *fl_server_db_open          (const char      *dir,
                                          GError         **error);
void          fl_server_db_free          (FlServerDb      *self);
gboolean      fl_server_db_backup        (FlServerDb      *self,
                                          const char      *file,
                                          GError         **error);
void          fl_server_db_set_policy    (FlServerDb      *self,
                                          const FlPolicy  *policy);

/* Users and tokens */
FlServerUser *fl_server_user_copy        (const FlServerUser *user);
void          fl_server_user_free        (FlServerUser    *user);
JsonNode     *fl_server_user_to_json     (const FlServerUser *user);

gboolean      fl_server_db_add_user      (FlServerDb      *self,
                                          const char      *username,
                                          const char      *display_name,
                                          FlRole           role,
                                          const char      *password_hash,
                                          GError         **error);
/* Also disabled users (see ->disabled). */
FlServerUser *fl_server_db_get_user      (FlServerDb      *self,
                                          const char      *username);
/* NULL for an unknown or disabled user; @user_id (optional) gets the user's id. */
char         *fl_server_db_dup_password_hash (FlServerDb  *self,
                                          const char      *username,
                                          gint64          *user_id);
GPtrArray    *fl_server_db_list_users    (FlServerDb      *self);
/* Disabling revokes the user's tokens. Unknown users: FL_SERVER_DB_ERROR_NOT_FOUND. */
gboolean      fl_server_db_set_user_disabled (FlServerDb  *self,
                                          const char      *username,
                                          gboolean         disabled,
                                          GError         **error);
/* Removes the user and its tokens; tickets and events keep the username. */
gboolean      fl_server_db_remove_user   (FlServerDb      *self,
                                          const char      *username,
                                          GError         **error);
/* Sets a new password hash and revokes every token of the user but @keep_token (nullable). */
gboolean      fl_server_db_set_password  (FlServerDb      *self,
                                          gint64           user_id,
                                          const char      *password_hash,
                                          const char      *keep_token,
                                          GError         **error);
/* Tokens unused for @days expire (default FL_SERVER_DB_TOKEN_IDLE_DAYS). */
void          fl_server_db_set_token_idle_days (FlServerDb *self,
                                          guint            days);
char         *fl_server_db_create_token  (FlServerDb      *self,
                                          gint64           user_id,
                                          GError         **error);
/* The enabled user of an unexpired @token, or NULL; records the token's use. */
FlServerUser *fl_server_db_lookup_token  (FlServerDb      *self,
                                          const char      *token);
void          fl_server_db_revoke_token  (FlServerDb      *self,
                                          const char      *token);
gboolean      fl_server_db_revoke_user_tokens (FlServerDb *self,
                                          gint64           user_id,
                                          GError         **error);

/* Tickets and events */
gint64        fl_server_db_get_latest_seq (FlServerDb     *self);
gboolean       fl_server_db_begin_batch  (FlServerDb      *self,
                                          GError         **error);
gboolean       fl_server_db_end_batch    (FlServerDb      *self,
                                          gboolean         commit,
                                          GError         **error);
FlApplyResult *fl_server_db_apply_op     (FlServerDb      *self,
                                          const FlOp      *op,
                                          const char      *client_id,
                                          const FlServerUser *user,
                                          GError         **error);
void          fl_apply_result_free       (FlApplyResult   *result);
gboolean      fl_server_db_has_ticket    (FlServerDb      *self,
                                         const char      *ticket_id);
FlTicket     *fl_server_db_get_ticket    (FlServerDb      *self,
                                          const char      *ticket_id);
GPtrArray    *fl_server_db_get_events    (FlServerDb      *self,
                                          const char      *ticket_id);
/* Events with seq > @cursor (at most @limit), the tickets they touch and the checklists
 * published in the same range. */
gboolean      fl_server_db_get_changes   (FlServerDb      *self,
                                          gint64           cursor,
                                          gint64           limit,
                                          GPtrArray      **tickets,
                                          GPtrArray      **events,
                                          GPtrArray      **checklists,
                                          gint64          *out_cursor,
                                          gboolean        *more,
                                          GError         **error);
GPtrArray    *fl_server_db_query_tickets (FlServerDb      *self,
                                          const FlTicketQuery *query,
                                          gint64          *total,
                                          GError         **error);
JsonNode     *fl_server_db_report        (FlServerDb      *self,
                                          gint64           from,
                                          gint64           to,
                                          gint64           now,
                                          GError         **error);

/* Checklists: JSON nodes as published */
GPtrArray    *fl_server_db_list_checklists (FlServerDb    *self,
                                          GError         **error);
/* Stores @checklist as the next version of @id; returns the stored form. Invalid
 * definitions fail with an FL_CHECKLIST_ERROR. */
JsonNode     *fl_server_db_put_checklist (FlServerDb      *self,
                                          const char      *id,
                                          JsonNode        *checklist,
                                          GError         **error);
gboolean      fl_server_db_seed_checklists (FlServerDb    *self,
                                          const char      *dir,
                                          GError         **error);
gboolean      fl_server_validate_checklist (JsonNode      *checklist,
                                          GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlServerDb, fl_server_db_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlServerUser, fl_server_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlApplyResult, fl_apply_result_free)

G_END_DECLS
