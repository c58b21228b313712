/* fl-sync-engine.c — makes the local cache and firstline-server converge
 *
 * One sync is a series of rounds, each one POST /api/v1/sync: push up to 500
 * pending ops, pull what changed since the cursor, apply it all in one SQLite
 * transaction. Rounds repeat until the outbox is empty and the server has
 * nothing more; the app's mode then keeps a long poll open.
 *
 * Reading the outbox and applying answers happens in a worker thread on a
 * second SQLite connection; the HTTP requests are asynchronous on the main
 * context; the store the UI reads then reports the changes on the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "fl-json.h"
#include "fl-json-private.h"
#include "fl-store-private.h"
#include "fl-sync-engine.h"

#define MAX_OPS_PER_REQUEST   500
#define PULL_LIMIT            1000
#define LONG_POLL_SECONDS     25
#define DEFAULT_TIMEOUT       15
#define MAX_BACKOFF_SECONDS   60
#define MAX_RESPONSE_BYTES    (64 * 1024 * 1024)

struct _FlSyncEngine
{
  GObject               parent_instance;

  /* owned */
  FlStore              *store;
  FlStore              *worker_store;     /* only used by worker threads, under worker_lock */
  GMutex                worker_lock;
  SoupSession          *session;
  GNetworkMonitor      *monitor;
  char                 *token;
  char                 *ca_file;
  char                 *last_error;
  char                 *viewing;
  GPtrArray            *presence;          /* FlPresence */
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
  guint                 retry_source_id;
  gulong                store_changed_id;
  gulong                network_changed_id;
  guint                 running : 1;
  guint                 busy : 1;
  guint                 editing : 1;
};

G_DEFINE_FINAL_TYPE (FlSyncEngine, fl_sync_engine, G_TYPE_OBJECT)

G_DEFINE_QUARK (fl-sync-error-quark, fl_sync_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_PENDING_OPS,
  PROP_CONFLICTS,
  PROP_REJECTED,
  PROP_LAST_SYNC,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  PRESENCE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

typedef struct
{
  guint        wait;            /* long poll at the end, seconds */
  gboolean     long_polling;    /* the current round is the long poll */
  gboolean     long_polled;
  guint        rounds;
  guint        n_sent;
  char        *server_url;
  GBytes      *body;
  GCancellable *poll_cancellable;
  GCancellable *outer_cancellable;
  gulong       cancel_handler;
} SyncData;

typedef struct
{
  GBytes      *response;
  GPtrArray   *changes;
  GPtrArray   *presence;
  gboolean     more;
  gboolean     reset;
} ApplyData;

static void sync_round (GTask *task);
static void run_once (FlSyncEngine *self);

/* -------------------------------------------------------------------------- */

static void
presence_free (gpointer data)
{
  FlPresence *p = data;

  g_free (p->ticket_id);
  g_free (p->username);
  g_free (p);
}

static void
sync_data_free (gpointer data)
{
  SyncData *d = data;

  g_free (d->server_url);
  g_clear_pointer (&d->body, g_bytes_unref);
  if (d->cancel_handler != 0)
    g_cancellable_disconnect (d->outer_cancellable, d->cancel_handler);
  g_clear_object (&d->outer_cancellable);
  g_clear_object (&d->poll_cancellable);
  g_free (d);
}

static void
apply_data_free (gpointer data)
{
  ApplyData *d = data;

  g_clear_pointer (&d->response, g_bytes_unref);
  g_clear_pointer (&d->changes, g_ptr_array_unref);
  g_clear_pointer (&d->presence, g_ptr_array_unref);
  g_free (d);
}

static void
set_state (FlSyncEngine *self,
           FlSyncState   state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
}

static void
set_last_error (FlSyncEngine *self,
                const char   *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_ERROR]);
}

static void
update_counts (FlSyncEngine *self)
{
  g_autoptr(GPtrArray) rejected = fl_store_list_rejected_ops (self->store, NULL);
  guint pending = fl_store_count_pending_ops (self->store);
  guint conflicts = fl_store_count_conflicts (self->store);
  guint n_rejected = rejected ? rejected->len : 0;

  if (pending != self->pending_ops)
    {
      self->pending_ops = pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PENDING_OPS]);
    }
  if (conflicts != self->conflicts)
    {
      self->conflicts = conflicts;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONFLICTS]);
    }
  if (n_rejected != self->rejected)
    {
      self->rejected = n_rejected;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_REJECTED]);
    }
}

/* The worker's own connection to the cache; call with worker_lock held. */
static FlStore *
get_worker_store (FlSyncEngine  *self,
                  GError       **error)
{
  if (self->worker_store == NULL)
    self->worker_store = fl_store_new (fl_store_get_path (self->store), error);

  return self->worker_store;
}

static char *
normalize_url (const char  *url,
               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *trimmed = NULL;
  const char *scheme;

  if (url == NULL || !g_utf8_validate (url, -1, NULL))
    goto bad;

  trimmed = g_strstrip (g_strdup (url));
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  uri = g_uri_parse (trimmed, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    goto bad;

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    goto bad;

  return g_steal_pointer (&trimmed);

bad:
  g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
               _("“%s” is not a server address (http://host:port or https://host:port)"),
               url ? url : "");
  return NULL;
}

static SoupSession *
get_session (FlSyncEngine *self)
{
  if (self->session == NULL)
    {
      self->session = soup_session_new_with_options ("user-agent", "firstline/" PACKAGE_VERSION,
                                                     "timeout", self->timeout,
                                                     NULL);
      if (self->ca_file != NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GTlsDatabase) db = g_tls_file_database_new (self->ca_file, &error);

          if (db != NULL)
            soup_session_set_tls_database (self->session, db);
          else
            g_warning ("Could not load CA file %s: %s", self->ca_file, error->message);
        }
    }

  return self->session;
}

static SoupMessage *
new_message (FlSyncEngine *self,
             const char   *method,
             const char   *server_url,
             const char   *path,
             GBytes       *body)
{
  g_autofree char *url = g_strconcat (server_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    return NULL;

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/json");

  return msg;
}

/* Sends a request that is not a long poll; @callback gets @task back. */
static void
send_short (FlSyncEngine        *self,
            SoupMessage         *msg,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            GTask               *task)
{
  g_object_set (get_session (self), "timeout", self->timeout, NULL);
  soup_session_send_and_read_async (get_session (self), msg, G_PRIORITY_DEFAULT, cancellable,
                                    callback, task);
}

/* The message of an error body, or a sentence for the status. */
static char *
error_message_from (SoupMessage *msg,
                    GBytes      *body)
{
  g_autoptr(JsonNode) root = NULL;
  guint status = soup_message_get_status (msg);

  if (body != NULL && g_bytes_get_size (body) > 0 && g_bytes_get_size (body) < 65536 &&
      (root = fl_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)))
    {

      if (root && JSON_NODE_HOLDS_OBJECT (root) &&
          json_object_has_member (json_node_get_object (root), "error"))
        {
          JsonNode *err = json_object_get_member (json_node_get_object (root), "error");
          if (JSON_NODE_HOLDS_OBJECT (err))
            {
              const char *m = json_object_get_string_member_with_default (json_node_get_object (err),
                                                                          "message", NULL);
              if (m != NULL && g_utf8_validate (m, -1, NULL))
                {
                  g_autofree char *shown = g_utf8_substring (m, 0, MIN (g_utf8_strlen (m, -1), 300));
                  /* Translators: %u is an HTTP status, %s the server's message */
                  return g_strdup_printf (_("The server answered %u: %s"), status, shown);
                }
            }
        }
    }

  /* Translators: %u is an HTTP status like 500, %s its reason like "Internal Server Error" */
  return g_strdup_printf (_("The server answered %u %s"), status,
                          soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "");
}

/* Turns an HTTP outcome into our error codes. */
static gboolean
check_response (SoupMessage  *msg,
                GBytes       *body,
                GError       *transport_error,
                GError      **error)
{
  guint status;
  g_autofree char *message = NULL;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_error_copy (transport_error));
          return FALSE;
        }
      if (transport_error->domain == G_TLS_ERROR)
        {
          g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE,
                       _("The server’s certificate is not trusted: %s"), transport_error->message);
          return FALSE;
        }
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE,
                   _("The server cannot be reached: %s"), transport_error->message);
      return FALSE;
    }

  status = soup_message_get_status (msg);
  if (status >= 200 && status < 300)
    return TRUE;

  message = error_message_from (msg, body);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                 _("The login is no longer valid; please log in again"));
  else if (status == SOUP_STATUS_FORBIDDEN)
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_FORBIDDEN, message);
  else if (status >= 400 && status < 500 && status != 408 && status != 429)
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID, message);
  else
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER, message);

  return FALSE;
}

static JsonNode *
parse_json_object (GBytes  *bytes,
                   GError **error)
{
  JsonNode *root = NULL;

  if (bytes == NULL ||
      (root = fl_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                    NULL)) == NULL)
    {
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                   _("The server sent an answer that is not valid JSON"));
      return NULL;
    }

  return root;
}

/* -------------------------------------------------------------------------- */
/* One round: prepare (worker) → POST (async) → apply (worker)                   */

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  FlSyncEngine *self = source_object;
  SyncData *data = task_data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->worker_lock);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *server_url = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  FlStore *store;
  gsize len;

  if (!(store = get_worker_store (self, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  server_url = fl_store_dup_state (store, "server_url");
  if (server_url == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return;
    }

  if (self->token == NULL)
    {
      FlCredentialsBackend backend;
      char *token = fl_credentials_lookup_token (server_url, fl_store_get_username (store),
                                                 &backend, NULL);
      if (token == NULL)
        {
          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                                   _("Not logged in to %s; please log in"), server_url);
          return;
        }
      /* The main thread reads the token only after this task returned. */
      self->token = token;
      self->backend = backend;
    }

  if (!(ops = fl_store_list_pending_ops (store, MAX_OPS_PER_REQUEST, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->n_sent = ops->len;
  /* A long poll only while nothing waits to be pushed. */
  data->long_polling = data->long_polling && ops->len == 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "client_id");
  json_builder_add_string_value (builder, fl_store_get_client_id (store));
  json_builder_set_member_name (builder, "cursor");
  json_builder_add_int_value (builder, _fl_store_get_cursor (store));
  json_builder_set_member_name (builder, "ops");
  json_builder_begin_array (builder);
  for (guint i = 0; i < ops->len; i++)
    fl_op_build_json (g_ptr_array_index (ops, i), builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, PULL_LIMIT);
  json_builder_set_member_name (builder, "wait");
  json_builder_add_int_value (builder, data->long_polling ? data->wait : 0);
  json_builder_set_member_name (builder, "viewing");
  if (self->viewing != NULL)
    json_builder_add_string_value (builder, self->viewing);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "editing");
  json_builder_add_boolean_value (builder, self->viewing != NULL && self->editing);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);

  g_free (data->server_url);
  data->server_url = g_steal_pointer (&server_url);
  g_clear_pointer (&data->body, g_bytes_unref);
  data->body = g_bytes_new_take (g_steal_pointer (&text), len);

  g_task_return_boolean (task, TRUE);
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FlSyncEngine *self = source_object;
  ApplyData *data = task_data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->worker_lock);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  JsonNode *presence;
  FlStore *store;

  if (!(root = parse_json_object (data->response, &error)) ||
      !(store = get_worker_store (self, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = json_node_get_object (root);

  if (_fl_json_bool_member (obj, "reset", FALSE))
    {
      if (!_fl_store_reset_server_state (store, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      data->reset = TRUE;
      data->more = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (!json_object_has_member (obj, "results") || !json_object_has_member (obj, "cursor"))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server sent an incomplete answer"));
      return;
    }

  if (!_fl_store_apply_sync (store, obj, &data->changes, &error))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server’s changes could not be applied: %s"), error->message);
      return;
    }

  data->more = _fl_json_bool_member (obj, "more", FALSE);

  presence = json_object_get_member (obj, "presence");
  data->presence = g_ptr_array_new_with_free_func (presence_free);
  if (presence != NULL && JSON_NODE_HOLDS_ARRAY (presence))
    {
      JsonArray *array = json_node_get_array (presence);

      for (guint i = 0; i < json_array_get_length (array) && i < 10000; i++)
        {
          JsonNode *el = json_array_get_element (array, i);
          JsonObject *p;
          const char *ticket_id;
          const char *username;
          FlPresence *entry;

          if (!JSON_NODE_HOLDS_OBJECT (el))
            continue;
          p = json_node_get_object (el);
          ticket_id = _fl_json_string_member (p, "ticket_id", NULL);
          username = _fl_json_string_member (p, "username", NULL);
          if (!fl_uuid_is_valid (ticket_id) || !fl_text_is_valid (username, 1, FL_SHORT_TEXT_MAX))
            continue;

          entry = g_new0 (FlPresence, 1);
          entry->ticket_id = g_strdup (ticket_id);
          entry->username = g_strdup (username);
          entry->editing = _fl_json_bool_member (p, "editing", FALSE);
          g_ptr_array_add (data->presence, entry);
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
apply_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  SyncData *data = g_task_get_task_data (task);
  ApplyData *applied = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (applied->changes != NULL && applied->changes->len > 0)
    {
      /* The worker committed before any change made here since; what those
       * tickets are now is what the store holds now. */
      for (guint i = 0; i < applied->changes->len; i++)
        {
          FlStoreChange *c = g_ptr_array_index (applied->changes, i);
          FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;
          FlTicket *now = _fl_store_load_ticket (self->store, t->id, NULL);

          g_clear_object (&c->new_ticket);
          c->new_ticket = now;
        }
      _fl_store_emit_changed (self->store, g_steal_pointer (&applied->changes));
    }

  if (applied->presence != NULL)
    {
      g_clear_pointer (&self->presence, g_ptr_array_unref);
      self->presence = g_steal_pointer (&applied->presence);
      g_signal_emit (self, signals [PRESENCE_CHANGED], 0);
    }

  self->last_sync = fl_time_now ();
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_SYNC]);
  update_counts (self);

  data->rounds++;
  if (data->long_polling)
    data->long_polled = TRUE;

  /* More to pull, or ops were pushed (the outbox may hold more): go on. */
  if (applied->more || data->n_sent > 0)
    {
      data->long_polling = FALSE;
      sync_round (g_steal_pointer (&task));
      return;
    }

  if (data->wait > 0 && !data->long_polled)
    {
      /* Everything is pushed and pulled: up to date while the long poll waits. */
      set_state (self, FL_SYNC_STATE_IDLE);
      data->long_polling = TRUE;
      sync_round (g_steal_pointer (&task));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
post_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  SyncData *data = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) apply = NULL;
  GCancellable *cancellable;
  ApplyData *applied;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport_error);

  if (data->cancel_handler != 0)
    {
      g_cancellable_disconnect (data->outer_cancellable, data->cancel_handler);
      data->cancel_handler = 0;
    }
  if (data->poll_cancellable != NULL && self->poll_cancellable == data->poll_cancellable)
    g_clear_object (&self->poll_cancellable);

  /* A long poll cut short by kick() ends this sync as done: a new one follows. */
  if (transport_error != NULL && data->long_polling &&
      g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (!check_response (msg, body, transport_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->state == FL_SYNC_STATE_CONNECTING || self->state == FL_SYNC_STATE_OFFLINE ||
      self->state == FL_SYNC_STATE_ERROR)
    set_state (self, FL_SYNC_STATE_SYNCING);

  applied = g_new0 (ApplyData, 1);
  applied->response = g_steal_pointer (&body);

  cancellable = g_task_get_cancellable (task);
  apply = g_task_new (self, cancellable, apply_done_cb, g_steal_pointer (&task));
  g_task_set_source_tag (apply, apply_thread);
  g_task_set_task_data (apply, applied, apply_data_free);
  g_task_run_in_thread (apply, apply_thread);
}

static void
prepare_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  SyncData *data = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->n_sent > 0)
    set_state (self, FL_SYNC_STATE_SYNCING);

  msg = new_message (self, "POST", data->server_url, "/api/v1/sync", data->body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  /* Room for the server's own wait on a long poll. */
  g_object_set (get_session (self),
                "timeout", self->timeout + (data->long_polling ? data->wait : 0),
                NULL);

  cancellable = g_task_get_cancellable (task);
  if (data->long_polling)
    {
      g_clear_object (&data->poll_cancellable);
      data->poll_cancellable = g_cancellable_new ();
      g_set_object (&self->poll_cancellable, data->poll_cancellable);
      if (cancellable != NULL)
        {
          g_set_object (&data->outer_cancellable, cancellable);
          data->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                                                        g_object_ref (data->poll_cancellable),
                                                        g_object_unref);
        }
      cancellable = data->poll_cancellable;
    }

  soup_session_send_and_read_async (get_session (self), msg, G_PRIORITY_DEFAULT, cancellable,
                                    post_done_cb, g_steal_pointer (&task));
}

static void
sync_round (GTask *task)
{
  FlSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GTask) prepare = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  prepare = g_task_new (self, g_task_get_cancellable (task), prepare_done_cb, task);
  g_task_set_source_tag (prepare, prepare_thread);
  g_task_set_task_data (prepare, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (prepare, prepare_thread);
}

/* -------------------------------------------------------------------------- */
/* The app's mode                                                               */

static gboolean
retry_cb (gpointer user_data)
{
  FlSyncEngine *self = user_data;

  self->retry_source_id = 0;
  run_once (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (FlSyncEngine *self)
{
  guint seconds = MIN (1u << MIN (self->attempts, 6u), (guint) MAX_BACKOFF_SECONDS);
  /* jitter: 50 % … 150 %, so a whole team does not come back in lockstep */
  double factor = 0.5 + g_random_double ();
  guint ms = (guint) (seconds * 1000 * factor);

  self->attempts++;
  g_clear_handle_id (&self->retry_source_id, g_source_remove);
  self->retry_source_id = g_timeout_add (ms, retry_cb, self);
}

static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;

  if (fl_sync_engine_sync_finish (self, result, &error) ||
      g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_CONFLICTS))
    {
      self->attempts = 0;
      if (self->running)
        {
          g_clear_handle_id (&self->retry_source_id, g_source_remove);
          self->retry_source_id = g_idle_add (retry_cb, self);
        }
      g_object_unref (self);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Stopped; but if started again meanwhile, that start found us busy. */
      if (self->running && self->retry_source_id == 0)
        self->retry_source_id = g_idle_add (retry_cb, self);
      g_object_unref (self);
      return;
    }

  if (self->running && !g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED) &&
      !g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED))
    schedule_retry (self);

  g_object_unref (self);
}

static void
run_once (FlSyncEngine *self)
{
  if (!self->running || self->busy)
    return;

  self->busy = TRUE;
  fl_sync_engine_sync_async (self, LONG_POLL_SECONDS, self->run_cancellable,
                             run_done_cb, g_object_ref (self));
}

static void
on_store_changed_cb (FlSyncEngine *self,
                     GPtrArray    *changes,
                     FlStore      *store)
{
  if (fl_store_count_pending_ops (self->store) != self->pending_ops)
    update_counts (self);

  if (self->pending_ops > 0)
    fl_sync_engine_kick (self);
}

static void
on_network_changed_cb (FlSyncEngine    *self,
                       gboolean         available,
                       GNetworkMonitor *monitor)
{
  if (available && self->running &&
      (self->state == FL_SYNC_STATE_OFFLINE || self->state == FL_SYNC_STATE_ERROR))
    {
      self->attempts = 0;
      fl_sync_engine_kick (self);
    }
}

/* -------------------------------------------------------------------------- */

static void
fl_sync_engine_dispose (GObject *object)
{
  FlSyncEngine *self = (FlSyncEngine *)object;

  fl_sync_engine_stop (self);

  if (self->store != NULL)
    g_clear_signal_handler (&self->store_changed_id, self->store);
  if (self->monitor != NULL)
    g_clear_signal_handler (&self->network_changed_id, self->monitor);
  g_clear_object (&self->monitor);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (fl_sync_engine_parent_class)->dispose (object);
}

static void
fl_sync_engine_finalize (GObject *object)
{
  FlSyncEngine *self = (FlSyncEngine *)object;

  g_clear_object (&self->worker_store);
  g_clear_object (&self->store);
  g_clear_object (&self->run_cancellable);
  g_clear_object (&self->poll_cancellable);
  g_clear_pointer (&self->presence, g_ptr_array_unref);
  g_free (self->token);
  g_free (self->ca_file);
  g_free (self->last_error);
  g_free (self->viewing);
  g_mutex_clear (&self->worker_lock);

  G_OBJECT_CLASS (fl_sync_engine_parent_class)->finalize (object);
}

static void
fl_sync_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    case PROP_PENDING_OPS:
      g_value_set_uint (value, self->pending_ops);
      break;

    case PROP_CONFLICTS:
      g_value_set_uint (value, self->conflicts);
      break;

    case PROP_REJECTED:
      g_value_set_uint (value, self->rejected);
      break;

    case PROP_LAST_SYNC:
      g_value_set_int64 (value, self->last_sync);
      break;

    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_sync_engine_class_init (FlSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fl_sync_engine_dispose;
  object_class->finalize = fl_sync_engine_finalize;
  object_class->get_property = fl_sync_engine_get_property;

  properties [PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      FL_SYNC_STATE_OFFLINE, FL_SYNC_STATE_UNAUTHORIZED, FL_SYNC_STATE_OFFLINE,
                      (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_PENDING_OPS] =
    g_param_spec_uint ("pending-ops", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_CONFLICTS] =
    g_param_spec_uint ("conflicts", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_REJECTED] =
    g_param_spec_uint ("rejected", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_LAST_SYNC] =
    g_param_spec_int64 ("last-sync", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FlSyncEngine::presence-changed:
   *
   * The server's list of who has which ticket open has changed.
   */
  signals [PRESENCE_CHANGED] =
    g_signal_new ("presence-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
fl_sync_engine_init (FlSyncEngine *self)
{
  g_mutex_init (&self->worker_lock);
  self->timeout = DEFAULT_TIMEOUT;
  self->state = FL_SYNC_STATE_OFFLINE;
  self->backend = FL_CREDENTIALS_SECRET_SERVICE;
  self->presence = g_ptr_array_new_with_free_func (presence_free);
}

FlSyncEngine *
fl_sync_engine_new (FlStore *store)
{
  FlSyncEngine *self;

  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  self = g_object_new (FL_TYPE_SYNC_ENGINE, NULL);
  self->store = g_object_ref (store);
  self->store_changed_id = g_signal_connect_object (store, "changed",
                                                    G_CALLBACK (on_store_changed_cb), self,
                                                    G_CONNECT_SWAPPED);
  self->pending_ops = fl_store_count_pending_ops (store);
  self->conflicts = fl_store_count_conflicts (store);

  return self;
}

FlStore *
fl_sync_engine_get_store (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  return self->store;
}

FlSyncState
fl_sync_engine_get_state (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FL_SYNC_STATE_OFFLINE);

  return self->state;
}

guint
fl_sync_engine_get_pending_ops (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);

  return self->pending_ops;
}

guint
fl_sync_engine_get_conflicts (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);

  return self->conflicts;
}

gint64
fl_sync_engine_get_last_sync (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);

  return self->last_sync;
}

const char *
fl_sync_engine_get_last_error (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  return self->last_error;
}

char *
fl_sync_engine_dup_server_url (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  return fl_store_dup_state (self->store, "server_url");
}

FlCredentialsBackend
fl_sync_engine_get_credentials_backend (FlSyncEngine *self)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FL_CREDENTIALS_SECRET_SERVICE);

  return self->backend;
}

void
fl_sync_engine_set_ca_file (FlSyncEngine *self,
                            const char   *ca_file)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  if (ca_file != NULL && *ca_file == '\0')
    ca_file = NULL;

  if (g_strcmp0 (self->ca_file, ca_file) == 0)
    return;

  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
  g_clear_object (&self->session);
}

void
fl_sync_engine_set_timeout (FlSyncEngine *self,
                            guint         seconds)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  self->timeout = MAX (seconds, 1);
}

/* -------------------------------------------------------------------------- */
/* Login and logout                                                             */

typedef struct
{
  char   *server_url;
  char   *username;
  char   *token;
  FlRole  role;
  FlCredentialsBackend backend;
} LoginData;

static void
login_data_free (gpointer data)
{
  LoginData *d = data;

  g_free (d->server_url);
  g_free (d->username);
  if (d->token)
    memset (d->token, 0, strlen (d->token));
  g_free (d->token);
  g_free (d);
}

static void
login_store_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  LoginData *data = task_data;
  GError *error = NULL;

  if (!fl_credentials_store_token (data->server_url, data->username, data->token,
                                   &data->backend, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
login_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      !fl_store_set_user (self->store, data->username, data->role, &error) ||
      !fl_store_set_state (self->store, "server_url", data->server_url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_free (self->token);
  self->token = g_strdup (data->token);
  self->backend = data->backend;

  /* The worker reopens the cache to see the new user. */
  g_mutex_lock (&self->worker_lock);
  g_clear_object (&self->worker_store);
  g_mutex_unlock (&self->worker_lock);

  set_last_error (self, NULL);
  set_state (self, FL_SYNC_STATE_IDLE);
  g_task_return_boolean (task, TRUE);

  if (self->running)
    fl_sync_engine_kick (self);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GTask) store_task = NULL;
  GCancellable *cancellable;
  JsonObject *obj;
  JsonObject *user;
  const char *token;
  const char *role;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport_error);

  if (transport_error == NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                               _("Wrong username or password"));
      return;
    }
  if (transport_error == NULL && soup_message_get_status (msg) == 429)
    {
      const char *retry = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                        "Retry-After");
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("Too many failed logins; try again in %s seconds"),
                               retry ? retry : "60");
      return;
    }

  if (!check_response (msg, body, transport_error, &error) ||
      !(root = parse_json_object (body, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = json_node_get_object (root);
  token = json_object_get_string_member_with_default (obj, "token", NULL);
  user = json_object_has_member (obj, "user") &&
         JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "user"))
         ? json_object_get_object_member (obj, "user") : NULL;
  role = user ? json_object_get_string_member_with_default (user, "role", NULL) : NULL;

  if (!fl_text_is_valid (token, 16, 512) || user == NULL ||
      !fl_role_from_string (role, &data->role))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server sent an incomplete answer"));
      return;
    }

  data->token = g_strdup (token);
  if (fl_text_is_valid (json_object_get_string_member_with_default (user, "username", NULL),
                        1, FL_SHORT_TEXT_MAX))
    {
      g_free (data->username);
      data->username = g_strdup (json_object_get_string_member (user, "username"));
    }

  cancellable = g_task_get_cancellable (task);
  store_task = g_task_new (self, cancellable, login_stored_cb, g_steal_pointer (&task));
  g_task_set_task_data (store_task, data, NULL);
  g_task_run_in_thread (store_task, login_store_thread);
}

void
fl_sync_engine_login_async (FlSyncEngine        *self,
                            const char          *server_url,
                            const char          *username,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  LoginData *data;
  char *text;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_login_async);

  if (!(url = normalize_url (server_url, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!fl_text_is_valid (username, 1, FL_SHORT_TEXT_MAX) || !fl_text_is_valid (password, 1, 4096))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("Username and password are required"));
      return;
    }

  data = g_new0 (LoginData, 1);
  data->server_url = g_strdup (url);
  data->username = g_strdup (username);
  g_task_set_task_data (task, data, login_data_free);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  /* no old token on a login */
  g_clear_pointer (&self->token, g_free);
  msg = new_message (self, "POST", url, "/api/v1/session", body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), url);
      return;
    }

  send_short (self, msg, cancellable, login_done_cb, g_steal_pointer (&task));
}

gboolean
fl_sync_engine_login_finish (FlSyncEngine  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
logout_clear_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  LoginData *data = task_data;
  GError *error = NULL;

  if (data->server_url == NULL || data->username == NULL ||
      fl_credentials_clear_token (data->server_url, data->username, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
logout_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;

  /* Best effort: even unreachable, the token is forgotten here. */
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  g_clear_pointer (&self->token, g_free);
  set_state (self, FL_SYNC_STATE_UNAUTHORIZED);

  /* The keyring is asked in a thread, never on the main loop. */
  g_task_run_in_thread (task, logout_clear_thread);
}

void
fl_sync_engine_logout_async (FlSyncEngine        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  LoginData *data;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_logout_async);

  fl_sync_engine_stop (self);

  data = g_new0 (LoginData, 1);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  g_task_set_task_data (task, data, login_data_free);

  if (data->server_url != NULL && self->token != NULL)
    msg = new_message (self, "DELETE", data->server_url, "/api/v1/session", NULL);

  if (msg == NULL)
    {
      g_clear_pointer (&self->token, g_free);
      set_state (self, FL_SYNC_STATE_UNAUTHORIZED);
      g_task_run_in_thread (task, logout_clear_thread);
      return;
    }

  send_short (self, msg, cancellable, logout_done_cb, g_steal_pointer (&task));
}

gboolean
fl_sync_engine_logout_finish (FlSyncEngine  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* -------------------------------------------------------------------------- */
/* Publishing a checklist                                                        */

static void
token_lookup_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  FlSyncEngine *self = source_object;
  LoginData *data = task_data;
  GError *error = NULL;

  data->token = fl_credentials_lookup_token (data->server_url, data->username,
                                             &data->backend, &error);
  if (data->token == NULL && self->token == NULL)
    {
      g_clear_error (&error);
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                               _("Not logged in to %s; please log in"), data->server_url);
      return;
    }

  g_clear_error (&error);
  g_task_return_boolean (task, TRUE);
}

static void
publish_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gint64 version;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport_error);

  if (!check_response (msg, body, transport_error, &error) ||
      !(root = parse_json_object (body, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  version = json_object_get_int_member_with_default (json_node_get_object (root), "version", 0);
  g_task_return_int (task, version);
}

static void
publish_ready_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  JsonNode *definition = g_object_get_data (G_OBJECT (task), "definition");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;
  GCancellable *cancellable;
  const char *id;
  char *text;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->token != NULL)
    {
      g_free (self->token);
      self->token = g_strdup (data->token);
    }

  id = json_object_get_string_member_with_default (json_node_get_object (definition), "id", "");
  escaped = g_uri_escape_string (id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/checklists/%s", escaped);
  text = json_to_string (definition, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  msg = new_message (self, "PUT", data->server_url, path, body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  send_short (self, msg, cancellable, publish_done_cb, g_steal_pointer (&task));
}

void
fl_sync_engine_publish_checklist_async (FlSyncEngine        *self,
                                        JsonNode            *definition,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) lookup = NULL;
  LoginData *data;
  const char *id;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));
  g_return_if_fail (definition != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_publish_checklist_async);

  if (!JSON_NODE_HOLDS_OBJECT (definition) ||
      !fl_text_is_valid ((id = json_object_get_string_member_with_default (json_node_get_object (definition),
                                                                            "id", NULL)),
                         1, FL_SHORT_TEXT_MAX))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("A checklist must be a JSON object with an “id”"));
      return;
    }

  data = g_new0 (LoginData, 1);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  g_task_set_task_data (task, data, login_data_free);
  g_object_set_data_full (G_OBJECT (task), "definition", json_node_ref (definition),
                          (GDestroyNotify) json_node_unref);

  if (data->server_url == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return;
    }

  lookup = g_task_new (self, cancellable, publish_ready_cb, g_steal_pointer (&task));
  g_task_set_task_data (lookup, data, NULL);
  g_task_run_in_thread (lookup, token_lookup_thread);
}

gint64
fl_sync_engine_publish_checklist_finish (FlSyncEngine  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return g_task_propagate_int (G_TASK (result), error);
}

/* -------------------------------------------------------------------------- */
/* Syncing                                                                      */

static void
sync_finished_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED))
        {
          g_clear_pointer (&self->token, g_free);
          set_state (self, FL_SYNC_STATE_UNAUTHORIZED);
        }
      else if (g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE))
        set_state (self, FL_SYNC_STATE_OFFLINE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (self, FL_SYNC_STATE_ERROR);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_last_error (self, error->message);

      update_counts (self);
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  set_last_error (self, NULL);
  set_state (self, FL_SYNC_STATE_IDLE);
  update_counts (self);

  if (self->conflicts > 0)
    g_task_return_new_error (outer, FL_SYNC_ERROR, FL_SYNC_ERROR_CONFLICTS,
                             g_dngettext (GETTEXT_PACKAGE,
                                          "Synced, but %u conflict waits for a decision",
                                          "Synced, but %u conflicts wait for a decision",
                                          self->conflicts),
                             self->conflicts);
  else
    g_task_return_boolean (outer, TRUE);
}

void
fl_sync_engine_sync_async (FlSyncEngine        *self,
                           guint                wait,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *outer;
  GTask *task;
  SyncData *data;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, fl_sync_engine_sync_async);

  data = g_new0 (SyncData, 1);
  data->wait = MIN (wait, 30);

  if (self->state != FL_SYNC_STATE_IDLE && self->state != FL_SYNC_STATE_SYNCING)
    set_state (self, FL_SYNC_STATE_CONNECTING);

  task = g_task_new (self, cancellable, sync_finished_cb, outer);
  g_task_set_task_data (task, data, sync_data_free);
  sync_round (task);
}

gboolean
fl_sync_engine_sync_finish (FlSyncEngine  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
fl_sync_engine_start (FlSyncEngine *self)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  if (self->running)
    return;

  self->running = TRUE;
  g_clear_object (&self->run_cancellable);
  self->run_cancellable = g_cancellable_new ();

  if (self->monitor == NULL)
    {
      self->monitor = g_object_ref (g_network_monitor_get_default ());
      self->network_changed_id = g_signal_connect_object (self->monitor, "network-changed",
                                                          G_CALLBACK (on_network_changed_cb),
                                                          self, G_CONNECT_SWAPPED);
    }

  run_once (self);
}

void
fl_sync_engine_stop (FlSyncEngine *self)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source_id, g_source_remove);
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
}

void
fl_sync_engine_kick (FlSyncEngine *self)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  if (!self->running)
    return;

  if (self->busy)
    {
      /* Cut a long poll short; a round that pushes ops is left to finish. */
      if (self->poll_cancellable != NULL)
        g_cancellable_cancel (self->poll_cancellable);
      return;
    }

  g_clear_handle_id (&self->retry_source_id, g_source_remove);
  run_once (self);
}

void
fl_sync_engine_set_viewing (FlSyncEngine *self,
                            const char   *ticket_id,
                            gboolean      editing)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  if (g_strcmp0 (self->viewing, ticket_id) == 0 && self->editing == !!editing)
    return;

  /* Read by the worker while it builds a request; a torn read is harmless
   * (the next request carries the right value) but keep it consistent. */
  g_mutex_lock (&self->worker_lock);
  g_free (self->viewing);
  self->viewing = g_strdup (ticket_id);
  self->editing = !!editing;
  g_mutex_unlock (&self->worker_lock);

  fl_sync_engine_kick (self);
}

GPtrArray *
fl_sync_engine_list_presence (FlSyncEngine *self,
                              const char   *ticket_id)
{
  GPtrArray *list;

  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  list = g_ptr_array_new_with_free_func (presence_free);
  for (guint i = 0; i < self->presence->len; i++)
    {
      FlPresence *p = g_ptr_array_index (self->presence, i);
      FlPresence *copy;

      if (ticket_id != NULL && g_strcmp0 (p->ticket_id, ticket_id) != 0)
        continue;
      if (g_strcmp0 (p->username, fl_store_get_username (self->store)) == 0)
        continue;

      copy = g_new0 (FlPresence, 1);
      copy->ticket_id = g_strdup (p->ticket_id);
      copy->username = g_strdup (p->username);
      copy->editing = p->editing;
      g_ptr_array_add (list, copy);
    }

  return list;
}
