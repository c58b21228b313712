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
 * Threads pass messages: what a worker needs (token, server, presence) is
 * copied into its task's data on the main thread, and what it found comes back
 * in that data; a worker touches nothing of the engine but its own connection.
 *
 * This file holds the sync rounds and the app's mode (the run loop);
 * fl-sync-engine-login.c logs in and out and changes the password,
 * fl-sync-engine-publish.c publishes checklists, fl-sync-engine-http.c checks
 * server addresses and sends requests with bounded answers. They share
 * fl-sync-engine-private.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "fl-json.h"
#include "fl-store-private.h"
#include "fl-sync-engine-private.h"
#include "fl-sync-protocol.h"

#define MAX_OPS_PER_REQUEST   500
#define PULL_LIMIT            1000
#define LONG_POLL_SECONDS     25
#define DEFAULT_TIMEOUT       15
#define MAX_BACKOFF_SECONDS   60
/* The largest answer to a sync, counted after decoding. */
#define MAX_RESPONSE_BYTES       (64 * 1024 * 1024)
/* A request must be answered completely within this many times the timeout
 * (plus a long poll's wait), however slowly the bytes come. */
#define REQUEST_DEADLINE_FACTOR  4
/* One sync: at most this many rounds and seconds (besides the long poll), at
 * most this many rounds in a row in which nothing moves (no op acknowledged,
 * nothing new pulled), at most this many times starting over. */
#define MAX_SYNC_ROUNDS          1000
#define MAX_SYNC_SECONDS         300
#define MAX_IDLE_ROUNDS          3
#define FAST_POLL_PAUSE_MS       2000    /* after MAX_IDLE_ROUNDS empty long polls in a row */
#define MAX_RESETS               2

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
  guint        idle_rounds;     /* in a row, in which nothing moved */
  guint        resets;
  gint64       started;         /* monotonic, µs */
  gint64       cursor_sent;
  gint64       poll_started;    /* monotonic, µs */
  GHashTable  *sent_ids;        /* op ids pushed in the current round */
  FlStore     *worker_store;    /* the workers' own connection: only they touch it */
  char        *store_path;
  char        *server_url;      /* copied on the main thread before each round */
  char        *username;
  char        *token;           /* the main thread's, or one the worker looked up */
  char        *looked_up;       /* a token the worker found in the keyring */
  FlCredentialsBackend backend;
  char        *viewing;
  gboolean     editing;
  gboolean     resetting;       /* pulling everything again after a reset */
  GBytes      *body;
  GCancellable *poll_cancellable;
  GCancellable *outer_cancellable;
  gulong       cancel_handler;
} SyncData;

typedef struct
{
  GBytes      *response;
  GHashTable  *sent_ids;
  FlStore     *worker_store;
  GPtrArray   *changes;
  GPtrArray   *presence;
  guint64      serial;          /* the main store's change serial when the apply started */
  guint        acknowledged;    /* sent ops no longer pending */
  guint        received;        /* tickets, events and checklists pulled */
  gint64       cursor;
  gboolean     more;
  gboolean     reset;
} ApplyData;

static void sync_round (GTask *task);
static void run_once (FlSyncEngine *self);

/* -------------------------------------------------------------------------- */

#define presence_free ((GDestroyNotify) fl_presence_free)

static gboolean
presence_equal (GPtrArray *a,
                GPtrArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      const FlPresence *x = g_ptr_array_index (a, i);
      const FlPresence *y = g_ptr_array_index (b, i);

      if (g_strcmp0 (x->ticket_id, y->ticket_id) != 0 ||
          g_strcmp0 (x->username, y->username) != 0 || !x->editing != !y->editing)
        return FALSE;
    }
  return TRUE;
}

void
_fl_sync_engine_wipe_text (gpointer text)
{
  if (text != NULL)
    {
      memset (text, 0, strlen (text));
      g_free (text);
    }
}

static void
sync_data_free (gpointer data)
{
  SyncData *d = data;

  g_free (d->store_path);
  g_free (d->server_url);
  g_free (d->username);
  g_clear_pointer (&d->token, _fl_sync_engine_wipe_text);
  g_clear_pointer (&d->looked_up, _fl_sync_engine_wipe_text);
  g_free (d->viewing);
  g_clear_object (&d->worker_store);
  g_clear_pointer (&d->body, g_bytes_unref);
  g_clear_pointer (&d->sent_ids, g_hash_table_unref);
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
  g_clear_pointer (&d->sent_ids, g_hash_table_unref);
  g_clear_object (&d->worker_store);
  g_clear_pointer (&d->changes, g_ptr_array_unref);
  g_clear_pointer (&d->presence, g_ptr_array_unref);
  g_free (d);
}

/* Who else is where is only as good as the last answer: the server counts a
 * client for 60 s after its last sync, and so does this side. Offline, or
 * with no answer for that long, nobody is shown. */
#define PRESENCE_MAX_AGE_SECONDS 60

static void
clear_presence (FlSyncEngine *self)
{
  g_clear_handle_id (&self->presence_expiry_id, g_source_remove);
  if (self->presence->len == 0)
    return;

  g_ptr_array_set_size (self->presence, 0);
  g_signal_emit (self, signals [PRESENCE_CHANGED], 0);
}

static gboolean
presence_expired_cb (gpointer user_data)
{
  FlSyncEngine *self = user_data;

  self->presence_expiry_id = 0;
  clear_presence (self);
  return G_SOURCE_REMOVE;
}

static void
set_presence (FlSyncEngine *self,
              GPtrArray    *presence)
{
  g_clear_pointer (&self->presence, g_ptr_array_unref);
  self->presence = presence;
  self->presence_at = g_get_monotonic_time ();
  g_clear_handle_id (&self->presence_expiry_id, g_source_remove);
  if (presence->len > 0)
    self->presence_expiry_id = g_timeout_add_seconds (self->presence_max_age, presence_expired_cb, self);
  g_signal_emit (self, signals [PRESENCE_CHANGED], 0);
}

void
_fl_sync_engine_set_presence_max_age (FlSyncEngine *self,
                                      guint         seconds)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  self->presence_max_age = MAX (seconds, 1);
}

void
_fl_sync_engine_set_state (FlSyncEngine *self,
                           FlSyncState   state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);

  if (state != FL_SYNC_STATE_IDLE && state != FL_SYNC_STATE_SYNCING)
    clear_presence (self);
}

void
_fl_sync_engine_set_last_error (FlSyncEngine *self,
                                const char   *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_ERROR]);
}

/* Mirrors the store's counts in the engine's properties. */
static void
copy_counts (FlSyncEngine *self)
{
  guint pending, conflicts, n_rejected;

  pending = fl_store_get_pending_ops (self->store);
  conflicts = fl_store_get_conflicts (self->store);
  n_rejected = fl_store_get_rejected (self->store);

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

static void
update_counts (FlSyncEngine *self)
{
  _fl_store_refresh_counts (self->store);
  copy_counts (self);
}

/* A worker's own connection to the cache, opened in the worker on first use. */
static FlStore *
get_worker_store (FlStore     **slot,
                  const char   *path,
                  GError      **error)
{
  if (*slot == NULL)
    *slot = fl_store_new (path, error);

  return *slot;
}

/* -------------------------------------------------------------------------- */
/* One round: prepare (worker) → POST (async) → apply (worker)                   */

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SyncData *data = task_data;
  g_autoptr(FlSyncRequest) request = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GError) error = NULL;
  FlStore *store;

  if (!(store = get_worker_store (&data->worker_store, data->store_path, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->server_url == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return;
    }

  if (data->token == NULL)
    {
      FlCredentialsBackend backend;
      g_autofree char *token = fl_credentials_lookup_token (data->server_url, data->username,
                                                            &backend, NULL);
      if (!fl_credentials_token_is_valid (token))
        {
          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                                   _("Not logged in to %s; please log in"), data->server_url);
          return;
        }
      /* Back to the main thread, which keeps it for the next rounds. */
      data->looked_up = g_strdup (token);
      data->token = g_steal_pointer (&token);
      data->backend = backend;
    }

  if (!(ops = fl_store_list_pending_ops (store, MAX_OPS_PER_REQUEST, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->n_sent = ops->len;
  data->cursor_sent = _fl_store_get_cursor (store);
  g_clear_pointer (&data->sent_ids, g_hash_table_unref);
  data->sent_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < ops->len; i++)
    g_hash_table_add (data->sent_ids, g_strdup (((FlOp *) g_ptr_array_index (ops, i))->op_id));
  /* A long poll only while nothing waits to be pushed. */
  data->long_polling = data->long_polling && ops->len == 0;

  request = fl_sync_request_new (fl_store_get_client_id (store));
  request->cursor = data->cursor_sent;
  g_ptr_array_extend_and_steal (request->ops, g_steal_pointer (&ops));
  request->limit = PULL_LIMIT;
  request->wait = data->long_polling ? data->wait : 0;
  request->viewing = g_strdup (data->viewing);
  request->editing = data->viewing != NULL && data->editing;

  g_clear_pointer (&data->body, g_bytes_unref);
  data->body = fl_sync_request_to_bytes (request);

  g_task_return_boolean (task, TRUE);
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ApplyData *data = task_data;
  g_autoptr(FlSyncResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  FlStore *store = data->worker_store;

  g_assert (store != NULL);

  response = fl_sync_response_parse (data->response ? g_bytes_get_data (data->response, NULL) : NULL,
                                     data->response ? g_bytes_get_size (data->response) : 0,
                                     &error);
  if (response == NULL)
    {
      if (g_error_matches (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_INVALID))
        g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                                 _("The server’s changes could not be applied: %s"), error->message);
      else
        g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER, "%s", error->message);
      return;
    }

  if (response->reset)
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

  if (!_fl_store_apply_sync (store, response, &data->changes, &error))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server’s changes could not be applied: %s"), error->message);
      return;
    }

  /* What moved: the ops of this round that are no longer pending, what came in. */
  if (data->sent_ids != NULL && g_hash_table_size (data->sent_ids) > 0)
    {
      g_autoptr(GPtrArray) still = fl_store_list_pending_ops (store, MAX_OPS_PER_REQUEST, NULL);
      guint n_still = 0;

      for (guint i = 0; still != NULL && i < still->len; i++)
        if (g_hash_table_contains (data->sent_ids, ((FlOp *) g_ptr_array_index (still, i))->op_id))
          n_still++;
      data->acknowledged = g_hash_table_size (data->sent_ids) - n_still;
    }
  data->received = response->tickets->len + response->events->len + response->checklists->len;
  data->cursor = _fl_store_get_cursor (store);
  data->more = response->more;
  data->presence = g_steal_pointer (&response->presence);

  g_task_return_boolean (task, TRUE);
}

/* Reports what a round applied: the changes, presence. */
static void
report_applied (FlSyncEngine *self,
                SyncData     *data,
                ApplyData    *applied)
{
  if (applied->changes != NULL && applied->changes->len > 0)
    {
      /* The changes are final as the worker committed them: a list that sees
       * them late resets itself. Only a ticket changed here meanwhile (an
       * action after the apply started) is read again, so that nobody is shown
       * a state older than the one already reported. */
      for (guint i = 0; i < applied->changes->len; i++)
        {
          FlStoreChange *c = g_ptr_array_index (applied->changes, i);
          FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;

          if (_fl_store_changed_since (self->store, t->id, applied->serial))
            {
              FlTicket *now = _fl_store_load_ticket (self->store, t->id, NULL);

              g_clear_object (&c->new_ticket);
              c->new_ticket = now;
            }
        }
      _fl_store_emit_changed (self->store,
                              data->resetting ? FL_STORE_ORIGIN_RESET : FL_STORE_ORIGIN_SYNC,
                              g_steal_pointer (&applied->changes));
    }
  /* Pulling everything again after a reset lasts until nothing more is left. */
  if (applied->reset)
    data->resetting = TRUE;
  else if (!applied->more)
    data->resetting = FALSE;

  if (applied->presence != NULL)
    set_presence (self, g_steal_pointer (&applied->presence));

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
  gboolean presence_moved;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  presence_moved = applied->presence != NULL && !presence_equal (self->presence, applied->presence);
  report_applied (self, data, applied);

  self->last_sync = fl_time_now ();
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_SYNC]);
  update_counts (self);

  data->rounds++;
  if (data->long_polling)
    {
      /* Someone opening a ticket wakes long polls too: that is news. */
      gboolean fast = applied->received == 0 && !presence_moved &&
                      g_get_monotonic_time () - data->poll_started < G_USEC_PER_SEC;

      data->long_polled = TRUE;
      self->fast_polls = fast ? self->fast_polls + 1 : 0;
    }

  if (applied->reset)
    {
      if (++data->resets > MAX_RESETS)
        {
          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                                   _("The server asks to start over again and again; "
                                     "the sync stopped"));
          return;
        }
    }
  else if (applied->more || data->n_sent > 0)
    {
      /* Going on makes sense only while something moves: ops acknowledged, or
       * new changes behind a cursor that advances. */
      gboolean progress = applied->acknowledged > 0 ||
                          (applied->received > 0 && applied->cursor > data->cursor_sent);

      data->idle_rounds = progress ? 0 : data->idle_rounds + 1;
      if (data->idle_rounds >= MAX_IDLE_ROUNDS)
        {
          if (data->n_sent > 0 && applied->acknowledged == 0)
            g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                                     _("The server does not acknowledge the changes sent to it; "
                                       "the sync stopped (they are kept)"));
          else
            g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                                     _("The server says there is more but sends nothing new; "
                                       "the sync stopped"));
          return;
        }
    }

  if ((applied->more || data->n_sent > 0) &&
      (data->rounds >= MAX_SYNC_ROUNDS ||
       g_get_monotonic_time () - data->started > (gint64) MAX_SYNC_SECONDS * G_USEC_PER_SEC))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The sync stopped after %u rounds and %u seconds; "
                                 "the next sync goes on from here"),
                               data->rounds,
                               (guint) ((g_get_monotonic_time () - data->started) / G_USEC_PER_SEC));
      return;
    }

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
      _fl_sync_engine_set_state (self, FL_SYNC_STATE_IDLE);
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
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) apply = NULL;
  GCancellable *cancellable;
  ApplyData *applied;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

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

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->state == FL_SYNC_STATE_CONNECTING || self->state == FL_SYNC_STATE_OFFLINE ||
      self->state == FL_SYNC_STATE_ERROR)
    _fl_sync_engine_set_state (self, FL_SYNC_STATE_SYNCING);

  applied = g_new0 (ApplyData, 1);
  applied->response = g_steal_pointer (&body);
  applied->sent_ids = data->sent_ids ? g_hash_table_ref (data->sent_ids) : NULL;
  applied->worker_store = g_object_ref (data->worker_store);
  applied->serial = _fl_store_get_serial (self->store);

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

  if (data->looked_up != NULL)
    {
      if (self->token == NULL)
        {
          self->token = g_strdup (data->looked_up);
          self->backend = data->backend;
        }
      g_clear_pointer (&data->looked_up, _fl_sync_engine_wipe_text);
    }

  if (data->n_sent > 0)
    _fl_sync_engine_set_state (self, FL_SYNC_STATE_SYNCING);

  msg = _fl_sync_engine_new_message ("POST", data->server_url, "/api/v1/sync", data->token, data->body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  /* Room for the server's own wait on a long poll. */
  g_object_set (_fl_sync_engine_get_session (self),
                "timeout", self->timeout + (data->long_polling ? data->wait : 0),
                NULL);

  cancellable = g_task_get_cancellable (task);
  if (data->long_polling)
    {
      data->poll_started = g_get_monotonic_time ();
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

  _fl_sync_engine_send_bounded (self, msg, MAX_RESPONSE_BYTES,
                                self->timeout * REQUEST_DEADLINE_FACTOR + (data->long_polling ? data->wait : 0),
                                cancellable, post_done_cb, g_steal_pointer (&task));
}

static void
sync_round (GTask *task)
{
  FlSyncEngine *self = g_task_get_source_object (task);
  SyncData *data = g_task_get_task_data (task);
  g_autoptr(GTask) prepare = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  /* What the worker needs of the engine, as it is now. */
  g_free (data->server_url);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  g_free (data->username);
  data->username = g_strdup (fl_store_get_username (self->store));
  g_clear_pointer (&data->token, _fl_sync_engine_wipe_text);
  data->token = g_strdup (self->token);
  g_free (data->viewing);
  data->viewing = g_strdup (self->viewing);
  data->editing = self->editing;

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
      /* A server that answers every long poll at once with nothing would
       * have us poll as fast as it answers: back off from it too. */
      if (self->fast_polls >= MAX_IDLE_ROUNDS)
        {
          /* A short pause, not the growing backoff of errors: the server
           * answers, it only has nothing to say. */
          self->fast_polls = 0;
          if (self->running)
            {
              g_clear_handle_id (&self->retry_source_id, g_source_remove);
              self->retry_source_id = g_timeout_add (FAST_POLL_PAUSE_MS, retry_cb, self);
            }
          g_object_unref (self);
          return;
        }

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
  g_clear_handle_id (&self->presence_expiry_id, g_source_remove);

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

  g_clear_object (&self->store);
  g_clear_object (&self->run_cancellable);
  g_clear_object (&self->poll_cancellable);
  g_clear_pointer (&self->presence, g_ptr_array_unref);
  g_free (self->token);
  g_free (self->ca_file);
  g_free (self->last_error);
  g_free (self->viewing);

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
  self->timeout = DEFAULT_TIMEOUT;
  self->state = FL_SYNC_STATE_OFFLINE;
  self->backend = FL_CREDENTIALS_SECRET_SERVICE;
  self->presence = g_ptr_array_new_with_free_func (presence_free);
  self->presence_max_age = PRESENCE_MAX_AGE_SECONDS;
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
  /* Also what changes without a sync: a dismissed rejected op, a decided conflict. */
  g_signal_connect_object (store, "notify::pending-ops", G_CALLBACK (copy_counts), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "notify::conflicts", G_CALLBACK (copy_counts), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "notify::rejected", G_CALLBACK (copy_counts), self,
                           G_CONNECT_SWAPPED);
  self->pending_ops = fl_store_get_pending_ops (store);
  self->conflicts = fl_store_get_conflicts (store);
  self->rejected = fl_store_get_rejected (store);

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
  /* Requests under way keep the old session (each holds a reference); the next
   * ones get a new session with the new certificates, and a sync starts now
   * (a long poll is cut short) instead of after the retry delay of a failed one. */
  g_clear_object (&self->session);
  fl_sync_engine_kick (self);
}

void
fl_sync_engine_set_allow_insecure (FlSyncEngine *self,
                                   gboolean      allow_insecure)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  self->allow_insecure = !!allow_insecure;
}

void
fl_sync_engine_set_timeout (FlSyncEngine *self,
                            guint         seconds)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  self->timeout = MAX (seconds, 1);
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
          _fl_sync_engine_set_state (self, FL_SYNC_STATE_UNAUTHORIZED);
        }
      else if (g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE))
        _fl_sync_engine_set_state (self, FL_SYNC_STATE_OFFLINE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _fl_sync_engine_set_state (self, FL_SYNC_STATE_ERROR);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _fl_sync_engine_set_last_error (self, error->message);

      update_counts (self);
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  _fl_sync_engine_set_last_error (self, NULL);
  _fl_sync_engine_set_state (self, FL_SYNC_STATE_IDLE);
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
  data->started = g_get_monotonic_time ();
  data->store_path = g_strdup (fl_store_get_path (self->store));

  if (self->state != FL_SYNC_STATE_IDLE && self->state != FL_SYNC_STATE_SYNCING)
    _fl_sync_engine_set_state (self, FL_SYNC_STATE_CONNECTING);

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

  /* Main thread only: the next round copies it into its request. */
  g_free (self->viewing);
  self->viewing = g_strdup (ticket_id);
  self->editing = !!editing;

  fl_sync_engine_kick (self);
}

GPtrArray *
fl_sync_engine_list_presence (FlSyncEngine *self,
                              const char   *ticket_id)
{
  GPtrArray *list;

  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  list = g_ptr_array_new_with_free_func (presence_free);
  if (self->state != FL_SYNC_STATE_IDLE && self->state != FL_SYNC_STATE_SYNCING)
    return list;
  if (g_get_monotonic_time () - self->presence_at > (gint64) self->presence_max_age * G_USEC_PER_SEC)
    return list;
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
