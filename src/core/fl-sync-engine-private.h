/* fl-sync-engine-private.h — what the parts of the sync engine share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "fl-sync-engine.h"

G_BEGIN_DECLS

struct _FlSyncEngine
{
  GObject               parent_instance;

  /* owned */
  FlStore              *store;
  SoupSession          *session;
  GNetworkMonitor      *monitor;
  char                 *token;
  char                 *ca_file;
  char                 *last_error;
  char                 *viewing;
  GPtrArray            *presence;          /* FlPresence */
  gint64                presence_at;       /* monotonic µs when it came */
  guint                 presence_max_age;  /* seconds it is good for */
  guint                 presence_expiry_id;
  GCancellable         *run_cancellable;
  GCancellable         *poll_cancellable;  /* cancels only a long poll (kick) */

  FlSyncState           state;
  FlCredentialsBackend  backend;
  guint                 timeout;
  guint                 pending_ops;
  guint                 conflicts;
  guint                 rejected;
  gint64                last_sync;
  guint                 attempts;
  guint                 fast_polls;        /* long polls in a row answered at once with nothing */
  guint                 retry_source_id;
  gulong                store_changed_id;
  gulong                network_changed_id;
  guint                 running : 1;
  guint                 busy : 1;
  guint                 editing : 1;
  guint                 allow_insecure : 1;
};

/* The data of a login, logout, password change or publication. */
typedef struct
{
  char   *server_url;
  char   *username;
  char   *token;
  char   *known_token;      /* the engine's when the task started */
  FlRole  role;
  FlCredentialsBackend backend;
} LoginData;

void          _fl_sync_engine_wipe_text          (gpointer              text);
void          _fl_sync_engine_login_data_free    (gpointer              data);
/* For tests: how long presence from the server counts (default 60 s). */
void          _fl_sync_engine_set_presence_max_age (FlSyncEngine       *self,
                                                    guint               seconds);
void          _fl_sync_engine_set_state          (FlSyncEngine         *self,
                                                  FlSyncState           state);
void          _fl_sync_engine_set_last_error     (FlSyncEngine         *self,
                                                  const char           *message);
char         *_fl_sync_engine_normalize_url      (const char           *url,
                                                  GError              **error);
SoupSession  *_fl_sync_engine_get_session       (FlSyncEngine         *self);
/* Sends @msg; the answer may have at most @max_bytes and must be complete within
 * @seconds. @task goes to @callback; read it with _fl_sync_engine_send_bounded_finish(). */
void          _fl_sync_engine_send_bounded       (FlSyncEngine         *self,
                                                  SoupMessage          *msg,
                                                  gsize                 max_bytes,
                                                  guint                 seconds,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
SoupMessage  *_fl_sync_engine_new_message        (const char           *method,
                                                  const char           *server_url,
                                                  const char           *path,
                                                  const char           *token,
                                                  GBytes               *body);
/* Sends @msg with the short limits (1 MiB, the timeout); @task goes to @callback. */
void          _fl_sync_engine_send_short         (FlSyncEngine         *self,
                                                  SoupMessage          *msg,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  GTask                *task);
GBytes       *_fl_sync_engine_send_bounded_finish (GAsyncResult        *result,
                                                  SoupMessage         **out_msg,
                                                  GError              **error);
gboolean      _fl_sync_engine_check_response     (SoupMessage          *msg,
                                                  GBytes               *body,
                                                  GError               *transport_error,
                                                  GError              **error);
JsonNode     *_fl_sync_engine_parse_json_object  (GBytes               *bytes,
                                                  GError              **error);
/* A worker thread: the token of the task's LoginData from the keyring, or its
 * known_token; FL_SYNC_ERROR_UNAUTHORIZED without either. */
void          _fl_sync_engine_token_lookup_thread (GTask               *task,
                                                  gpointer              source_object,
                                                  gpointer              task_data,
                                                  GCancellable         *cancellable);

G_END_DECLS
