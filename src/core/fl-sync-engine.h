/* fl-sync-engine.h — makes the local cache and firstline-server converge
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fl-credentials.h"
#include "fl-store.h"
#include "fl-sync-protocol.h"

G_BEGIN_DECLS

#define FL_SYNC_ERROR (fl_sync_error_quark ())

typedef enum
{
  FL_SYNC_ERROR_UNREACHABLE,     /* no connection, refused, timed out: the CLI's exit 3 */
  FL_SYNC_ERROR_UNAUTHORIZED,    /* 401: log in again */
  FL_SYNC_ERROR_SERVER,          /* the server answered with an error or nonsense */
  FL_SYNC_ERROR_NOT_CONFIGURED,  /* no server or no login yet */
  FL_SYNC_ERROR_CONFLICTS,       /* finished, but conflicts are waiting: the CLI's exit 4 */
  FL_SYNC_ERROR_FORBIDDEN,       /* 403 */
  FL_SYNC_ERROR_INVALID,         /* 4xx other than the above */
  FL_SYNC_ERROR_INSECURE,        /* plain http:// to a host that is not this machine */
} FlSyncError;

GQuark fl_sync_error_quark (void);

/* Whether @url may be given a password: a valid http:// or https:// address,
 * and plain http:// only to this machine (127.0.0.0/8, ::1, localhost) unless
 * @allow_insecure. Makes no network I/O. */
gboolean      fl_sync_check_server_url         (const char           *url,
                                                gboolean              allow_insecure,
                                                GError              **error);

typedef enum
{
  FL_SYNC_STATE_OFFLINE,
  FL_SYNC_STATE_CONNECTING,
  FL_SYNC_STATE_SYNCING,
  FL_SYNC_STATE_IDLE,
  FL_SYNC_STATE_ERROR,
  FL_SYNC_STATE_UNAUTHORIZED,
} FlSyncState;


#define FL_TYPE_SYNC_ENGINE (fl_sync_engine_get_type ())
G_DECLARE_FINAL_TYPE (FlSyncEngine, fl_sync_engine, FL, SYNC_ENGINE, GObject)

FlSyncEngine *fl_sync_engine_new               (FlStore              *store);
FlStore      *fl_sync_engine_get_store         (FlSyncEngine         *self);

/* Properties: "state", "pending-ops", "conflicts", "rejected", "last-sync" (ms),
 * "last-error", "server-url", "credentials-backend". */
FlSyncState   fl_sync_engine_get_state         (FlSyncEngine         *self);
guint         fl_sync_engine_get_pending_ops   (FlSyncEngine         *self);
guint         fl_sync_engine_get_conflicts     (FlSyncEngine         *self);
gint64        fl_sync_engine_get_last_sync     (FlSyncEngine         *self);
const char   *fl_sync_engine_get_last_error    (FlSyncEngine         *self);
char         *fl_sync_engine_dup_server_url    (FlSyncEngine         *self);
FlCredentialsBackend fl_sync_engine_get_credentials_backend (FlSyncEngine *self);

/* A file of CA certificates to trust for HTTPS, besides the system's. */
void          fl_sync_engine_set_ca_file       (FlSyncEngine         *self,
                                                const char           *ca_file);
/* Whether a login may use plain http:// to another host (default: no). */
void          fl_sync_engine_set_allow_insecure (FlSyncEngine        *self,
                                                 gboolean             allow_insecure);
/* Seconds to wait for an answer beyond a long poll's own wait (default 15). */
void          fl_sync_engine_set_timeout       (FlSyncEngine         *self,
                                                guint                 seconds);

/* POST /api/v1/session; on success the user and server are kept in the store and
 * the token in the Secret Service (or the fallback file). */
void          fl_sync_engine_login_async       (FlSyncEngine         *self,
                                                const char           *server_url,
                                                const char           *username,
                                                const char           *password,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean      fl_sync_engine_login_finish      (FlSyncEngine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* DELETE /api/v1/session (when reachable) and forget the token. */
void          fl_sync_engine_logout_async      (FlSyncEngine         *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean      fl_sync_engine_logout_finish     (FlSyncEngine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* POST /api/v1/me/password; the server logs out the user's other sessions, this one stays.
 * A wrong @old_password and a too short @new_password are FL_SYNC_ERROR_INVALID. */
#define FL_SYNC_MIN_PASSWORD 8
void          fl_sync_engine_change_password_async  (FlSyncEngine        *self,
                                                     const char          *old_password,
                                                     const char          *new_password,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean      fl_sync_engine_change_password_finish (FlSyncEngine        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* DELETE /api/v1/sessions: revokes every token of the user, this one too, then forgets
 * it like a logout. Unlike a logout it fails when the server cannot be reached. */
void          fl_sync_engine_logout_everywhere_async  (FlSyncEngine        *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean      fl_sync_engine_logout_everywhere_finish (FlSyncEngine        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* PUT /api/v1/checklists/{id} with @definition (a CHECKLIST JSON object); role lead.
 * On success the checklist, with the version the server gave it, is in the store. */
void          fl_sync_engine_publish_checklist_async  (FlSyncEngine        *self,
                                                       JsonNode            *definition,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gint64        fl_sync_engine_publish_checklist_finish (FlSyncEngine        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* The same for a predefined answer (PUT /api/v1/answers/{id}; fl-answer.h). */
void          fl_sync_engine_publish_answer_async     (FlSyncEngine        *self,
                                                       JsonNode            *definition,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gint64        fl_sync_engine_publish_answer_finish    (FlSyncEngine        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* A member of the team, from GET /api/v1/users. */
typedef struct
{
  char   *username;
  char   *display_name;
  FlRole  role;
} FlUserInfo;

/* GET /api/v1/users: a GPtrArray of FlUserInfo (transfer full), kept in the store too. */
void          fl_sync_engine_list_users_async  (FlSyncEngine        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GPtrArray    *fl_sync_engine_list_users_finish (FlSyncEngine        *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* The users of the last GET /api/v1/users (offline); empty when never fetched. */
GPtrArray    *fl_sync_engine_dup_cached_users  (FlSyncEngine        *self);

/* GET @path (from "/api/v1/", with its query) with the user's token: the answer's JSON
 * object, parsed in a worker thread. For what only the server has: the history
 * (GET /api/v1/tickets), a ticket's server timeline, the reports. Errors as for a sync:
 * FL_SYNC_ERROR_FORBIDDEN for a role that may not, _UNREACHABLE, _UNAUTHORIZED, … */
void          fl_sync_engine_get_json_async    (FlSyncEngine         *self,
                                                const char           *path,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonNode     *fl_sync_engine_get_json_finish   (FlSyncEngine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* One complete sync: pushes every pending op and pulls until nothing is left
 * (with @wait > 0 the last pull is a long poll of that many seconds). */
void          fl_sync_engine_sync_async        (FlSyncEngine         *self,
                                                guint                 wait,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean      fl_sync_engine_sync_finish       (FlSyncEngine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* The app's mode: sync, then keep a long poll open; push local changes at once;
 * back off when offline; come back with the network. */
void          fl_sync_engine_start             (FlSyncEngine         *self);
void          fl_sync_engine_stop              (FlSyncEngine         *self);
/* Wakes a running engine now (after a local change, or when the user asks). */
void          fl_sync_engine_kick              (FlSyncEngine         *self);

/* Presence: what the user has open and whether they type in it. */
void          fl_sync_engine_set_viewing       (FlSyncEngine         *self,
                                                const char           *ticket_id,
                                                gboolean              editing);
/* Others on @ticket_id (NULL: everyone), as FlPresence. */
GPtrArray    *fl_sync_engine_list_presence     (FlSyncEngine         *self,
                                                const char           *ticket_id);

G_END_DECLS
