/* fl-server.c — the HTTP API of firstline-server
 *
 * Everything here runs on the main loop: handlers that need to wait (a long poll, a
 * password check in a worker thread, a push or a checklist the store's writer thread
 * applies) pause their message and unpause it later, so other requests keep being
 * served.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <gio/gnetworking.h>
#include <stdio.h>
#include <string.h>

#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-json.h"
#include "fl-server-params.h"
#include "fl-server.h"
#include "fl-server-connections.h"
#include "fl-server-tls.h"
#include "fl-sync-protocol.h"

#define API_PREFIX          "/api/v1/"
#define PRESENCE_FRESH_US   (60 * G_USEC_PER_SEC)
#define PRESENCE_PER_USER   8       /* clients one user may be present with */
#define FL_SERVER_MAX_WAITING_CHECKS 32
/* Connections waiting to be accepted; libsoup's own listener takes 10. */
#define LISTEN_BACKLOG      1024

struct _FlServer
{
  GObject          parent_instance;

  /* owned */
  SoupServer      *soup;
  FlServerConnections *connections; /* NULL until it listens */
  GTlsCertificate *tls_certificate; /* NULL for plain HTTP */
  FlTlsGate       *tls_gate;        /* NULL until it listens with TLS */
  GMainContext    *idle_context;    /* never run: libsoup's HTTPS listener waits in it */
  FlServerStore   *store;
  FlAuthLimiter   *limiter;
  gint64           login_window_s;
  GHashTable      *presence;      /* client_id → Presence */
  GList           *waiters;       /* Waiter, oldest first */
  GHashTable      *paused;        /* SoupServerMessage → Paused */

  guint            n_in_flight;
  gboolean         stopping;
  gboolean         tls;

  /* password checks: own threads, a bounded queue, fair between client addresses */
  GThreadPool     *check_pool;
  GMainContext    *context;
  GHashTable      *checks_by_address;   /* address → checks queued or running */
  guint64          check_seq;
};

G_DEFINE_FINAL_TYPE (FlServer, fl_server, G_TYPE_OBJECT)

typedef struct
{
  char     *username;
  char     *viewing;              /* nullable */
  gboolean  editing;
  gint64    last_seen;            /* monotonic µs */
} Presence;

/* A paused message: answered once, and never after the client went away. */
typedef struct
{
  FlServer          *self;        /* borrowed */
  SoupServerMessage *msg;         /* owned */
  gulong             finished_id;
  gulong             disconnected_id;
  gboolean           gone;
} Paused;

typedef struct
{
  Paused           *paused;       /* borrowed, in self->paused */
  FlServerUser     *user;
  char             *client_id;
  gint64            cursor;
  gint64            limit;
  guint             timeout_id;
} Waiter;

typedef enum
{
  ROUTE_HEALTH,
  ROUTE_SESSION,
  ROUTE_ME,
  ROUTE_USERS,
  ROUTE_SYNC,
  ROUTE_TICKETS,
  ROUTE_TICKET,
  ROUTE_REPORT,
  ROUTE_REPORT_CHECKLISTS,
  ROUTE_CHECKLISTS,
  ROUTE_CHECKLIST,
  ROUTE_SIMILAR,
  ROUTE_ANSWERS,
  ROUTE_ANSWER,
  ROUTE_ME_PASSWORD,
  ROUTE_SESSIONS,
} Route;

/* -------------------------------------------------------------------------- */
/* Helpers */

static void
thread_pool_free_wait (gpointer pool)
{
  g_thread_pool_free (pool, FALSE, TRUE);
}

static void
presence_free (gpointer data)
{
  Presence *p = data;

  g_free (p->username);
  g_free (p->viewing);
  g_free (p);
}

static void
set_json (SoupServerMessage *msg,
          guint              status,
          JsonNode          *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), len);
}

static void
set_error (SoupServerMessage *msg,
           guint              status,
           const char        *code,
           const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  set_json (msg, status, node);
}

static void
set_internal_error (SoupServerMessage *msg,
                    const GError      *error)
{
  g_warning ("Internal error: %s", error ? error->message : "unknown");
  set_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", _("Internal server error"));
}

/* Maps a model error (bad field) onto 400 or 422. */
static void
set_model_error (SoupServerMessage *msg,
                 const GError      *error)
{
  if (error->domain == FL_MODEL_ERROR && error->code == FL_MODEL_ERROR_TYPE)
    set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
  else
    set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable", error->message);
}

/* Parses the request body as a JSON object; sets the error response and returns NULL otherwise. */
static JsonNode *
read_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonNode) root = NULL;
  const char *data;
  gsize len;

  data = g_bytes_get_data (bytes, &len);

  if (len > FL_SERVER_BODY_LIMIT)
    {
      set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                 _("The request body is larger than 1 MiB"));
      return NULL;
    }

  root = fl_json_parse (data, len, NULL);
  if (root == NULL)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("The body is not valid JSON"));
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("The body must be a JSON object"));
      return NULL;
    }

  return g_steal_pointer (&root);
}

static const char *
bearer_token (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  auth += 7;
  while (*auth == ' ')
    auth++;
  return *auth ? auth : NULL;
}

static JsonNode *
tickets_array (GPtrArray *tickets)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; tickets && i < tickets->len; i++)
    fl_ticket_build_json (g_ptr_array_index (tickets, i), b);
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static JsonNode *
events_array (GPtrArray *events)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; events && i < events->len; i++)
    fl_event_build_json (g_ptr_array_index (events, i), b);
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static JsonNode *
nodes_array (GPtrArray *nodes)
{
  JsonArray *array = json_array_new ();

  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; nodes && i < nodes->len; i++)
    json_array_add_element (array, json_node_copy (g_ptr_array_index (nodes, i)));
  json_node_take_array (node, array);
  return node;
}

/* -------------------------------------------------------------------------- */
/* Paused messages */

static void
on_paused_gone_cb (SoupServerMessage *msg,
                   gpointer           user_data)
{
  Paused *p = user_data;

  p->gone = TRUE;
}

static Paused *
pause_message (FlServer          *self,
               SoupServerMessage *msg)
{
  Paused *p = g_new0 (Paused, 1);

  p->self = self;
  p->msg = g_object_ref (msg);
  p->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_paused_gone_cb), p);
  p->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_paused_gone_cb), p);
  g_hash_table_insert (self->paused, msg, p);
  g_object_set_data (G_OBJECT (msg), "fl-paused", p);
  soup_server_message_pause (msg);
  return p;
}

static void
paused_free (gpointer data)
{
  Paused *p = data;

  g_object_set_data (G_OBJECT (p->msg), "fl-paused", NULL);
  g_clear_signal_handler (&p->finished_id, p->msg);
  g_clear_signal_handler (&p->disconnected_id, p->msg);
  g_clear_object (&p->msg);
  g_free (p);
}

/* Sends what was set on the message, unless the client went away; frees @p. */
static void
unpause_message (Paused *p)
{
  FlServer *self = p->self;

  if (!p->gone)
    soup_server_message_unpause (p->msg);
  g_hash_table_remove (self->paused, p->msg);
}

/* -------------------------------------------------------------------------- */
/* Presence and sync responses */

static gboolean
update_presence (FlServer           *self,
                 const char         *client_id,
                 const FlServerUser *user,
                 const char         *viewing,
                 gboolean            editing)
{
  Presence *p = g_hash_table_lookup (self->presence, client_id);
  const char *client_id_of = NULL;
  gboolean changed;

  if (p == NULL)
    {
      GHashTableIter iter;
      Presence *old;
      const char *oldest_id = NULL;
      gint64 oldest = G_MAXINT64;
      guint mine = 0;
      gint64 now = g_get_monotonic_time ();

      /* Bound the table: drop stale entries when it grows, and keep at most
       * PRESENCE_PER_USER clients of one user (a client id is the client's
       * word; a user inventing new ones only replaces their own entries). */
      g_hash_table_iter_init (&iter, self->presence);
      while (g_hash_table_iter_next (&iter, (gpointer *) &client_id_of, (gpointer *) &old))
        {
          if (g_hash_table_size (self->presence) > 1000 && now - old->last_seen >= PRESENCE_FRESH_US)
            {
              g_hash_table_iter_remove (&iter);
              continue;
            }
          if (g_strcmp0 (old->username, user->username) == 0)
            {
              mine++;
              if (old->last_seen < oldest)
                oldest = old->last_seen, oldest_id = client_id_of;
            }
        }
      if (mine >= PRESENCE_PER_USER && oldest_id != NULL)
        g_hash_table_remove (self->presence, oldest_id);

      p = g_new0 (Presence, 1);
      p->username = g_strdup (user->username);
      g_hash_table_insert (self->presence, g_strdup (client_id), p);
      changed = viewing != NULL;
    }
  else
    {
      gboolean was_fresh = g_get_monotonic_time () - p->last_seen < PRESENCE_FRESH_US;

      changed = g_strcmp0 (p->viewing, viewing) != 0 ||
                (viewing != NULL && (!p->editing != !editing || !was_fresh));
      if (g_strcmp0 (p->username, user->username) != 0)
        {
          g_free (p->username);
          p->username = g_strdup (user->username);
          changed = TRUE;
        }
    }

  g_free (p->viewing);
  p->viewing = g_strdup (viewing);
  p->editing = viewing != NULL && editing;
  p->last_seen = g_get_monotonic_time ();
  fl_server_store_put_presence (self->store, client_id, p->username, p->viewing, p->editing,
                                changed);
  return changed;
}

static void
touch_presence (FlServer   *self,
                const char *client_id)
{
  Presence *p = g_hash_table_lookup (self->presence, client_id);

  if (p != NULL)
    {
      p->last_seen = g_get_monotonic_time ();
      fl_server_store_put_presence (self->store, client_id, p->username, p->viewing, p->editing,
                                    FALSE);
    }
}

static int
compare_presence (gconstpointer a,
                  gconstpointer b)
{
  const Presence *x = *(const Presence * const *) a;
  const Presence *y = *(const Presence * const *) b;
  int c = g_strcmp0 (x->username, y->username);

  /* by user, the most recently seen first */
  if (c != 0)
    return c;
  return x->last_seen > y->last_seen ? -1 : x->last_seen < y->last_seen ? 1 : 0;
}

/* The others' open tickets for @username's answer, into @out (FlPresence). */
static void
presence_list (FlServer   *self,
               const char *username,
               GPtrArray  *out)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GPtrArray) shared = NULL;
  g_autoptr(GPtrArray) from_store = NULL;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Presence *p;

  /* Several instances: every one's clients, from the store. */
  shared = fl_server_store_list_presence (self->store, PRESENCE_FRESH_US / 1000);
  if (shared != NULL)
    {
      from_store = g_ptr_array_new_with_free_func (presence_free);
      for (guint i = 0; i < shared->len; i++)
        {
          FlServerPresence *sp = g_ptr_array_index (shared, i);

          if (g_strcmp0 (sp->username, username) == 0)
            continue;
          p = g_new0 (Presence, 1);
          p->username = g_strdup (sp->username);
          p->viewing = g_strdup (sp->viewing);
          p->editing = sp->editing;
          p->last_seen = now - sp->age_ms * 1000;
          g_ptr_array_add (from_store, p);
          g_ptr_array_add (list, p);
        }
    }
  else
    {
      g_hash_table_iter_init (&iter, self->presence);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &p))
        if (p->viewing != NULL && g_strcmp0 (p->username, username) != 0 &&
            now - p->last_seen < PRESENCE_FRESH_US)
          g_ptr_array_add (list, p);
    }

  g_ptr_array_sort (list, compare_presence);

  for (guint i = 0; i < list->len; i++)
    {
      Presence *cur = g_ptr_array_index (list, i);
      gboolean editing = cur->editing;

      /* one entry per user: the ticket of their latest client; typing in it
       * from any of their clients counts */
      while (i + 1 < list->len &&
             g_strcmp0 (((Presence *) g_ptr_array_index (list, i + 1))->username, cur->username) == 0)
        {
          Presence *next = g_ptr_array_index (list, ++i);

          if (g_strcmp0 (next->viewing, cur->viewing) == 0)
            editing |= next->editing;
        }

      g_ptr_array_add (out, fl_presence_new (cur->viewing, cur->username, editing));
    }
}

/* Replaces @array's contents by @items (taken; nullable). */
static void
take_items (GPtrArray **array,
            GPtrArray  *items)
{
  if (items == NULL)
    return;
  g_ptr_array_unref (*array);
  *array = items;
}

/* The JSON text of a ticket or an event, made once per object: the store hands
 * every client's answer the same parsed objects, so each is serialized once,
 * not once per client. */
static const char *
object_json_text (gpointer object)
{
  static GQuark quark;
  char *text;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("fl-server-json-text");

  text = g_object_get_qdata (object, quark);
  if (text == NULL)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      if (FL_IS_TICKET (object))
        fl_ticket_build_json (object, b);
      else
        fl_event_build_json (object, b);
      node = json_builder_get_root (b);
      text = json_to_string (node, FALSE);
      g_object_set_qdata_full (object, quark, text, g_free);
    }
  return text;
}

static void
append_node (GString  *out,
             JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  g_string_append (out, text);
}

static void
append_objects (GString   *out,
                GPtrArray *objects)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < objects->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, object_json_text (g_ptr_array_index (objects, i)));
    }
  g_string_append_c (out, ']');
}

/* The text of fl_sync_response_to_json (@response), with the tickets' and
 * events' texts made once per object. */
static char *
sync_response_to_text (const FlSyncResponse *response)
{
  GString *out = g_string_sized_new (4096);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) presence = NULL;

  g_string_append (out, "{\"results\":[");
  for (guint i = 0; i < response->results->len; i++)
    {
      g_autoptr(JsonNode) node = fl_op_result_to_json (g_ptr_array_index (response->results, i));

      if (i > 0)
        g_string_append_c (out, ',');
      append_node (out, node);
    }
  g_string_append (out, "],\"changes\":{\"tickets\":");
  append_objects (out, response->tickets);
  g_string_append (out, ",\"events\":");
  append_objects (out, response->events);
  g_string_append (out, ",\"checklists\":[");
  for (guint i = 0; i < response->checklists->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_node (out, g_ptr_array_index (response->checklists, i));
    }
  g_string_append (out, "],\"answers\":[");
  for (guint i = 0; i < response->answers->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_node (out, g_ptr_array_index (response->answers, i));
    }
  g_string_append (out, "]},\"presence\":");

  json_builder_begin_array (b);
  for (guint i = 0; i < response->presence->len; i++)
    {
      FlPresence *p = g_ptr_array_index (response->presence, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ticket_id");
      json_builder_add_string_value (b, p->ticket_id);
      json_builder_set_member_name (b, "username");
      json_builder_add_string_value (b, p->username);
      json_builder_set_member_name (b, "editing");
      json_builder_add_boolean_value (b, p->editing);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  presence = json_builder_get_root (b);
  append_node (out, presence);

  g_string_append_printf (out, ",\"cursor\":%" G_GINT64_FORMAT ",\"more\":%s%s}",
                          response->cursor, response->more ? "true" : "false",
                          response->reset ? ",\"reset\":true" : "");
  return g_string_free (out, FALSE);
}

static void
set_json_text (SoupServerMessage *msg,
               guint              status,
               char              *text)
{
  gsize len = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

/* Builds the sync answer's text with @results (FlOpResult; nullable); *out_empty
 * tells whether nothing newer than @cursor exists. */
static char *
build_sync_response (FlServer    *self,
                     const char  *username,
                     GPtrArray   *results,
                     gint64       cursor,
                     gint64       limit,
                     gboolean    *out_empty,
                     GError     **error)
{
  g_autoptr(FlSyncResponse) response = fl_sync_response_new ();
  GPtrArray *tickets = NULL;
  GPtrArray *events = NULL;
  GPtrArray *checklists = NULL;
  GPtrArray *answers = NULL;
  gint64 latest = fl_server_store_get_latest_seq (self->store);

  response->cursor = cursor;
  response->reset = cursor > latest;

  if (response->reset)
    {
      response->cursor = 0;
    }
  else if (!fl_server_store_get_changes (self->store, cursor, limit, &tickets, &events,
                                         &checklists, &response->cursor, &response->more, error))
    {
      g_clear_pointer (&tickets, g_ptr_array_unref);
      g_clear_pointer (&events, g_ptr_array_unref);
      g_clear_pointer (&checklists, g_ptr_array_unref);
      return NULL;
    }

  take_items (&response->tickets, tickets);
  take_items (&response->events, events);
  take_items (&response->checklists, checklists);

  /* Answers published up to what this read has seen: the latest seq before it
   * (every event up to there is in the changes unless "more"), or the cursor. */
  if (!response->reset)
    {
      gint64 upper = response->more ? response->cursor : MAX (latest, response->cursor);

      answers = fl_server_store_get_answer_changes (self->store, cursor, upper,
                                                    &response->cursor, error);
      if (answers == NULL)
        return NULL;
      take_items (&response->answers, answers);
    }
  if (results != NULL)
    take_items (&response->results, g_ptr_array_ref (results));

  if (out_empty)
    *out_empty = !response->reset && response->events->len == 0 &&
                 response->checklists->len == 0 && response->answers->len == 0;

  presence_list (self, username, response->presence);
  return sync_response_to_text (response);
}

static void
waiter_free (Waiter *w)
{
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  fl_server_user_free (w->user);
  g_free (w->client_id);
  g_free (w);
}

/* Answers a waiting long poll with whatever is there now. @answers (nullable)
 * keeps the answers made during one wake-up by cursor, limit and user: waiters
 * in the same place get the same bytes, made once. */
static void
waiter_answer (FlServer   *self,
               Waiter     *w,
               GHashTable *answers)
{
  g_autoptr(GError) error = NULL;
  Paused *p = w->paused;

  self->waiters = g_list_remove (self->waiters, w);

  if (!p->gone)
    {
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s",
                                              w->cursor, w->limit, w->user->username);
      GBytes *shared = answers ? g_hash_table_lookup (answers, key) : NULL;
      g_autoptr(GBytes) bytes = shared ? g_bytes_ref (shared) : NULL;

      touch_presence (self, w->client_id);
      if (bytes == NULL)
        {
          char *text = build_sync_response (self, w->user->username, NULL, w->cursor, w->limit,
                                            NULL, &error);

          if (text != NULL)
            {
              bytes = g_bytes_new_take (text, strlen (text));
              if (answers != NULL)
                g_hash_table_insert (answers, g_steal_pointer (&key), g_bytes_ref (bytes));
            }
        }

      if (bytes != NULL)
        {
          SoupMessageBody *body = soup_server_message_get_response_body (p->msg);

          soup_server_message_set_status (p->msg, SOUP_STATUS_OK, NULL);
          soup_message_headers_set_content_type (soup_server_message_get_response_headers (p->msg),
                                                 "application/json", NULL);
          soup_message_body_truncate (body);
          soup_message_body_append_bytes (body, bytes);
        }
      else
        set_internal_error (p->msg, error);
    }

  waiter_free (w);
  unpause_message (p);
}

static void
wake_waiters (FlServer *self)
{
  g_autoptr(GHashTable) answers = NULL;

  if (self->waiters == NULL)
    return;

  answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  while (self->waiters != NULL)
    waiter_answer (self, self->waiters->data, answers);
}

/* Another instance stored changes: the long polls behind them get their answer. */
static void
on_store_changed_cb (FlServerStore *store,
                     gint64         latest_seq,
                     gpointer       user_data)
{
  FlServer *self = user_data;
  g_autoptr(GHashTable) answers = NULL;
  GList *l = self->waiters;

  answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  while (l != NULL)
    {
      GList *next = l->next;
      Waiter *w = l->data;

      if (w->cursor < latest_seq)
        waiter_answer (self, w, answers);
      l = next;
    }
}

static gboolean
on_waiter_timeout_cb (gpointer user_data)
{
  Waiter *w = user_data;

  w->timeout_id = 0;
  waiter_answer (w->paused->self, w, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
drop_paused_cb (gpointer user_data)
{
  SoupServerMessage *msg = user_data;
  Paused *p;

  /* The server may be gone by now: the table is reached through the Paused itself. */
  p = g_object_get_data (G_OBJECT (msg), "fl-paused");
  if (p != NULL)
    unpause_message (p);
  return G_SOURCE_REMOVE;
}

static void
on_waiter_gone_cb (SoupServerMessage *msg,
                   gpointer           user_data)
{
  FlServer *self = user_data;

  /* The client went away while waiting: drop its waiter without answering. */
  g_object_set_data (G_OBJECT (msg), "fl-client-closed", GINT_TO_POINTER (TRUE));
  for (GList *l = self->waiters; l; l = l->next)
    {
      Waiter *w = l->data;

      if (w->paused->msg == msg)
        {
          self->waiters = g_list_delete_link (self->waiters, l);
          w->paused->gone = TRUE;
          /* Not during the message's own signal emission: later. */
          g_idle_add_full (G_PRIORITY_DEFAULT, drop_paused_cb, g_object_ref (msg), g_object_unref);
          waiter_free (w);
          return;
        }
    }
}

/* -------------------------------------------------------------------------- */
/* Handlers */

static void
handle_health (FlServer          *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), json_object_new ());
  JsonObject *obj = json_node_get_object (node);

  json_object_unref (obj);
  json_object_set_string_member (obj, "status", "ok");
  json_object_set_string_member (obj, "version", PACKAGE_VERSION);
  /* With the HTTPS clients not through their handshake yet. */
  json_object_set_int_member (obj, "connections",
                              (self->connections ? fl_server_connections_get_count (self->connections) : 0) +
                              (self->tls_gate ? fl_tls_gate_get_pending (self->tls_gate) : 0));
  json_object_set_int_member (obj, "open_fds", fl_server_count_open_fds ());
  set_json (msg, SOUP_STATUS_OK, node);
}

typedef enum
{
  CHECK_LOGIN,
  CHECK_CHANGE_PASSWORD,
} CheckKind;

/* One password check, from the handler through the pool back to the main loop. */
typedef struct
{
  FlServer  *self;                /* owned */
  Paused    *paused;              /* borrowed, in self->paused */
  CheckKind  kind;
  char      *username;
  char      *address;             /* the client's, nullable */
  char      *password;
  char      *hash;                /* nullable: a dummy hash is checked */
  gint64     user_id;
  guint64    rank;                /* queue order: fewer checks of the address first */
  char      *new_password;        /* CHECK_CHANGE_PASSWORD */
  char      *new_hash;
  char      *keep_token;          /* CHECK_CHANGE_PASSWORD: the caller's token stays */
  gboolean   ok;
} Login;

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static void
login_free (gpointer data)
{
  Login *login = data;

  g_free (login->username);
  g_free (login->address);
  wipe_free (login->password);
  wipe_free (login->new_password);
  g_free (login->hash);
  g_free (login->new_hash);
  wipe_free (login->keep_token);
  g_clear_object (&login->self);
  g_free (login);
}

static gint
compare_checks (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  const Login *la = a, *lb = b;

  return la->rank < lb->rank ? -1 : la->rank > lb->rank;
}

static void
set_too_many (SoupServerMessage *msg,
              gint64             wait,
              const char        *message)
{
  g_autofree char *retry = g_strdup_printf ("%" G_GINT64_FORMAT, wait);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", retry);
  set_error (msg, 429, "too_many_requests", message);
}

static gint64
now_seconds (void)
{
  return g_get_monotonic_time () / G_USEC_PER_SEC;
}

/* Whether a password check for @username may start; answers 429 otherwise. On TRUE the
 * attempt is reserved in the limiter until check_done_cb() ends it. */
static gboolean
begin_check (FlServer          *self,
             SoupServerMessage *msg,
             const char        *username)
{
  const char *address = soup_server_message_get_remote_host (msg);
  gint64 wait;

  /* Argon2id needs 64 MiB and tens of milliseconds a check: a long queue only makes
   * everyone wait, so beyond a few dozen waiting checks the answer comes at once. */
  if (g_thread_pool_unprocessed (self->check_pool) >= FL_SERVER_MAX_WAITING_CHECKS)
    {
      set_too_many (msg, 2, _("Too many logins at once; try again shortly"));
      return FALSE;
    }

  wait = fl_auth_limiter_begin (self->limiter, username, address, now_seconds ());
  if (wait == 0)
    {
      /* The failures at other instances sharing the store count too. */
      wait = fl_server_store_login_wait (self->store, username, FL_AUTH_MAX_FAILURES,
                                         self->login_window_s * 1000);
      if (wait > 0)
        fl_auth_limiter_end (self->limiter, username, address, FALSE, now_seconds ());
    }
  if (wait > 0)
    {
      set_too_many (msg, wait, _("Too many failed logins; try again later"));
      return FALSE;
    }
  return TRUE;
}

static void
push_check (FlServer          *self,
            SoupServerMessage *msg,
            Login             *login)
{
  const char *address = soup_server_message_get_remote_host (msg);
  guint n = 0;

  login->self = g_object_ref (self);
  login->address = g_strdup (address);
  if (login->address != NULL)
    {
      n = GPOINTER_TO_UINT (g_hash_table_lookup (self->checks_by_address, login->address));
      g_hash_table_replace (self->checks_by_address, g_strdup (login->address),
                            GUINT_TO_POINTER (n + 1));
    }
  /* Round robin between addresses, oldest first within one: a flood from one place
   * does not hold up a login from another. */
  login->rank = ((guint64) MIN (n, G_MAXUINT16) << 48) | (self->check_seq++ & G_GUINT64_CONSTANT (0xffffffffffff));
  login->paused = pause_message (self, msg);
  g_thread_pool_push (self->check_pool, login, NULL);
}

static void
finish_login (FlServer          *self,
              Login             *login,
              SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlServerUser) user = NULL;
  g_autofree char *token = NULL;

  if (login->ok)
    user = fl_server_store_get_user (self->store, login->username);

  /* Disabled, removed or replaced while the check ran: as a wrong password. */
  if (user == NULL || user->disabled || user->id != login->user_id)
    {
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("Wrong username or password"));
      return;
    }

  token = fl_server_store_create_token (self->store, user->id, &error);
  if (token == NULL)
    set_internal_error (msg, error);
  else
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), json_object_new ());
      JsonObject *obj = json_node_get_object (node);

      json_object_unref (obj);
      json_object_set_string_member (obj, "token", token);
      json_object_set_member (obj, "user", fl_server_user_to_json (user));
      set_json (msg, SOUP_STATUS_OK, node);
    }
}

static void
finish_change_password (FlServer          *self,
                        Login             *login,
                        SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;

  if (!login->ok)
    {
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("The current password is wrong"));
      return;
    }
  if (login->new_hash == NULL)
    {
      set_internal_error (msg, NULL);
      return;
    }

  if (!fl_server_store_set_password (self->store, login->user_id, login->new_hash,
                                     login->keep_token, &error))
    {
      if (g_error_matches (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND))
        set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("The current password is wrong"));
      else
        set_internal_error (msg, error);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* On the main loop, after the check. */
static gboolean
check_done_cb (gpointer user_data)
{
  Login *login = user_data;
  FlServer *self = login->self;
  Paused *p = login->paused;
  gboolean failed = !login->ok || login->hash == NULL;

  if (login->address != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->checks_by_address, login->address));

      if (n <= 1)
        g_hash_table_remove (self->checks_by_address, login->address);
      else
        g_hash_table_replace (self->checks_by_address, g_strdup (login->address),
                              GUINT_TO_POINTER (n - 1));
    }
  login->ok = !failed;
  fl_auth_limiter_end (self->limiter, login->username, login->address, failed, now_seconds ());
  if (failed)
    fl_server_store_login_failed (self->store, login->username);

  if (!p->gone)
    {
      if (login->kind == CHECK_LOGIN)
        finish_login (self, login, p->msg);
      else
        finish_change_password (self, login, p->msg);
    }
  unpause_message (p);

  login_free (login);
  return G_SOURCE_REMOVE;
}

/* In a pool thread. */
static void
check_thread (gpointer data,
              gpointer pool_data)
{
  Login *login = data;

  login->ok = fl_auth_verify_password (login->hash, login->password);
  if (login->ok && login->new_password != NULL)
    login->new_hash = fl_auth_hash_password (login->new_password);

  g_main_context_invoke_full (login->self->context, G_PRIORITY_DEFAULT, check_done_cb, login, NULL);
}

static void
handle_login (FlServer          *self,
              SoupServerMessage *msg)
{
  g_autoptr(JsonNode) body = read_body (msg);
  JsonObject *obj;
  JsonNode *username, *password;
  Login *login;

  if (body == NULL)
    return;

  obj = json_node_get_object (body);
  username = json_object_get_member (obj, "username");
  password = json_object_get_member (obj, "password");

  if (username == NULL || password == NULL ||
      JSON_NODE_HOLDS_NULL (username) || JSON_NODE_HOLDS_NULL (password))
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Fields 'username' and 'password' are required"));
      return;
    }
  if (!JSON_NODE_HOLDS_VALUE (username) || json_node_get_value_type (username) != G_TYPE_STRING ||
      !JSON_NODE_HOLDS_VALUE (password) || json_node_get_value_type (password) != G_TYPE_STRING)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Fields 'username' and 'password' must be strings"));
      return;
    }
  if (!fl_text_is_valid (json_node_get_string (username), 1, FL_SHORT_TEXT_MAX) ||
      !fl_text_is_valid (json_node_get_string (password), 0, 4096))
    {
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("Wrong username or password"));
      return;
    }

  /* Counted as it starts, so parallel attempts cannot outrun the limit. */
  if (!begin_check (self, msg, json_node_get_string (username)))
    return;

  login = g_new0 (Login, 1);
  login->kind = CHECK_LOGIN;
  login->username = g_strdup (json_node_get_string (username));
  login->password = g_strdup (json_node_get_string (password));
  login->hash = fl_server_store_dup_password_hash (self->store, login->username, &login->user_id);

  /* Argon2id takes tens of milliseconds: not on the main loop. */
  push_check (self, msg, login);
}

/* POST /me/password {"old_password", "new_password"} → 204 */
static void
handle_change_password (FlServer           *self,
                        SoupServerMessage  *msg,
                        const FlServerUser *user)
{
  g_autoptr(JsonNode) body = read_body (msg);
  JsonObject *obj;
  JsonNode *old_password, *new_password;
  const char *new_text;
  Login *login;

  if (body == NULL)
    return;

  obj = json_node_get_object (body);
  old_password = json_object_get_member (obj, "old_password");
  new_password = json_object_get_member (obj, "new_password");

  if (old_password == NULL || new_password == NULL ||
      JSON_NODE_HOLDS_NULL (old_password) || JSON_NODE_HOLDS_NULL (new_password))
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Fields 'old_password' and 'new_password' are required"));
      return;
    }
  if (!JSON_NODE_HOLDS_VALUE (old_password) || json_node_get_value_type (old_password) != G_TYPE_STRING ||
      !JSON_NODE_HOLDS_VALUE (new_password) || json_node_get_value_type (new_password) != G_TYPE_STRING)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Fields 'old_password' and 'new_password' must be strings"));
      return;
    }

  new_text = json_node_get_string (new_password);
  if (!fl_text_is_valid (new_text, 1, 4096) ||
      g_utf8_strlen (new_text, -1) < FL_AUTH_MIN_PASSWORD)
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("The new password must have 8 to 4096 characters"));
      return;
    }
  if (!fl_text_is_valid (json_node_get_string (old_password), 0, 4096))
    {
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("The current password is wrong"));
      return;
    }

  if (!begin_check (self, msg, user->username))
    return;

  login = g_new0 (Login, 1);
  login->kind = CHECK_CHANGE_PASSWORD;
  login->username = g_strdup (user->username);
  login->password = g_strdup (json_node_get_string (old_password));
  login->new_password = g_strdup (new_text);
  login->keep_token = g_strdup (bearer_token (msg));
  login->hash = fl_server_store_dup_password_hash (self->store, user->username, &login->user_id);
  if (login->user_id != user->id)
    g_clear_pointer (&login->hash, g_free);
  login->user_id = user->id;
  push_check (self, msg, login);
}

/* DELETE /sessions → 204: every token of the caller, this one too */
static void
handle_logout_everywhere (FlServer           *self,
                          SoupServerMessage  *msg,
                          const FlServerUser *user)
{
  g_autoptr(GError) error = NULL;

  if (!fl_server_store_revoke_user_tokens (self->store, user->id, &error))
    {
      set_internal_error (msg, error);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
handle_logout (FlServer          *self,
               SoupServerMessage *msg)
{
  fl_server_store_revoke_token (self->store, bearer_token (msg));
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
handle_me (FlServer           *self,
           SoupServerMessage  *msg,
           const FlServerUser *user)
{
  g_autoptr(JsonNode) node = fl_server_user_to_json (user);

  set_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_users (FlServer          *self,
              SoupServerMessage *msg)
{
  g_autoptr(GPtrArray) users = fl_server_store_list_users (self->store);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), json_object_new ());
  JsonObject *obj = json_node_get_object (node);
  JsonArray *array = json_array_new ();

  json_object_unref (obj);
  for (guint i = 0; i < users->len; i++)
    json_array_add_element (array, fl_server_user_to_json (g_ptr_array_index (users, i)));
  json_object_set_array_member (obj, "users", array);
  set_json (msg, SOUP_STATUS_OK, node);
}

static FlOpResult *
result_to_op_result (const char          *op_id,
                     const FlApplyResult *r)
{
  FlOpResult *result = fl_op_result_new (op_id, r->status);

  if (r->status != FL_OP_RESULT_REJECTED)
    {
      result->version = r->version;
      result->number = MAX (r->number, 0);
    }
  if (r->status == FL_OP_RESULT_CONFLICT && r->current != NULL)
    result->current = g_object_ref (r->current);
  if (r->status == FL_OP_RESULT_REJECTED)
    {
      result->error_code = g_strdup (r->error_code);
      result->error_message = g_strdup (r->error_message);
    }
  return result;
}

/* A push waiting for the store's writer. */
typedef struct
{
  FlServer          *self;          /* owned */
  SoupServerMessage *msg;           /* owned, paused */
  FlSyncRequest     *request;       /* owned */
  FlServerUser      *user;
} SyncPush;

static void
sync_push_free (SyncPush *push)
{
  g_clear_object (&push->self);
  g_clear_object (&push->msg);
  g_clear_pointer (&push->request, fl_sync_request_free);
  g_clear_pointer (&push->user, fl_server_user_free);
  g_free (push);
}

/* After the ops (if any) are applied: presence, waking the long polls, the answer
 * with @results (FlOpResult), and maybe a long poll of this request itself. */
static void
finish_sync (FlServer            *self,
             SoupServerMessage   *msg,
             const FlServerUser  *user,
             const FlSyncRequest *request,
             GPtrArray           *results,
             gboolean             changed)
{
  g_autofree char *response = NULL;
  g_autoptr(GError) error = NULL;
  const char *viewing = request->viewing;
  gboolean empty = FALSE;

  /* Presence only for tickets that exist (after this request's own creates):
   * nobody inflates the others' answers with made-up ids. */
  if (viewing != NULL && !fl_server_store_has_ticket (self->store, viewing))
    viewing = NULL;
  if (update_presence (self, request->client_id, user, viewing, request->editing))
    changed = TRUE;

  /* Wake the others before this request maybe waits itself. */
  if (changed)
    wake_waiters (self);

  response = build_sync_response (self, user->username, results, request->cursor,
                                  request->limit, &empty, &error);
  if (response == NULL)
    {
      set_internal_error (msg, error);
      return;
    }

  if (request->ops->len == 0 && empty && request->wait > 0 && !self->stopping)
    {
      Waiter *w = g_new0 (Waiter, 1);

      w->user = fl_server_user_copy (user);
      w->client_id = g_strdup (request->client_id);
      w->cursor = request->cursor;
      w->limit = request->limit;
      w->paused = pause_message (self, msg);
      g_signal_connect_object (msg, "disconnected", G_CALLBACK (on_waiter_gone_cb), self, 0);
      w->timeout_id = g_timeout_add ((guint) request->wait * 1000, on_waiter_timeout_cb, w);
      self->waiters = g_list_append (self->waiters, w);
      return;
    }

  set_json_text (msg, SOUP_STATUS_OK, g_steal_pointer (&response));
}

/* On the main loop, once the push's ops are committed (or failed). */
static void
on_batch_applied_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SyncPush *push = user_data;
  FlServer *self = push->self;
  g_autoptr(GPtrArray) applied = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;
  Paused *p;

  applied = fl_server_store_apply_batch_finish (FL_SERVER_STORE (source), result, &error);
  p = g_object_get_data (G_OBJECT (push->msg), "fl-paused");

  if (applied == NULL)
    {
      /* Nothing of this request is applied; the client sends it again. */
      if (p != NULL)
        set_internal_error (push->msg, error);
    }
  else
    {
      results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_result_free);
      for (guint i = 0; i < applied->len; i++)
        {
          FlOp *op = g_ptr_array_index (push->request->ops, i);
          FlApplyResult *r = g_ptr_array_index (applied, i);

          if (r->status == FL_OP_RESULT_APPLIED)
            changed = TRUE;
          g_ptr_array_add (results, result_to_op_result (op->op_id, r));
        }
      /* Also when the client went away: the ops are stored, the others hear of them. */
      finish_sync (self, push->msg, push->user, push->request, results, changed);
    }

  if (p != NULL)
    unpause_message (p);
  sync_push_free (push);
}

static void
handle_sync (FlServer           *self,
             SoupServerMessage  *msg,
             const FlServerUser *user)
{
  g_autoptr(JsonNode) body = read_body (msg);
  g_autoptr(FlSyncRequest) request = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  if (body == NULL)
    return;

  /* Every field and every op is checked before any op is applied. */
  if (!(request = fl_sync_request_from_json (body, &error)))
    {
      set_model_error (msg, error);
      return;
    }

  /* The ops go to the store's writer, off the main loop: one transaction for the
   * request (each op atomic within it), one sync to disk, and the answer is built
   * here once they are durable (on_batch_applied_cb). */
  if (request->ops->len > 0)
    {
      SyncPush *push = g_new0 (SyncPush, 1);

      push->self = g_object_ref (self);
      push->msg = g_object_ref (msg);
      push->user = fl_server_user_copy (user);
      pause_message (self, msg);
      fl_server_store_apply_batch_async (self->store, request->ops, request->client_id, user,
                                         NULL, on_batch_applied_cb, push);
      push->request = g_steal_pointer (&request);
      return;
    }

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_result_free);
  finish_sync (self, msg, user, request, results, FALSE);
}

/* The history's keyset cursor, "CREATED_AT_MS:NUMBER" (the last ticket of a page). */
static gboolean
parse_page_cursor (const char *text,
                   gint64     *created_at,
                   gint64     *number)
{
  g_auto(GStrv) parts = NULL;
  guint64 a, n;

  *created_at = *number = 0;
  if (text == NULL)
    return TRUE;
  parts = g_strsplit (text, ":", -1);
  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXINT64, &a, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXINT64, &n, NULL))
    return FALSE;
  *created_at = (gint64) a;
  *number = (gint64) n;
  return TRUE;
}

static void
handle_tickets (FlServer          *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  FlTicketQuery q = { 0 };
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *next = NULL;
  gint64 limit;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  gint64 total = 0;
  FlStatus status;
  const char *names[] = { "status", "category", "assignee", "queue", "q", "resolved_by",
                          "handed_off_by" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = fl_server_param_text (query, names[i]);

      if (value != NULL && !fl_text_is_valid (value, 1, 1000))
        {
          set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("Invalid query parameter"));
          return;
        }
    }

  q.status = fl_server_param_text (query, "status");
  q.category = fl_server_param_text (query, "category");
  q.assignee = fl_server_param_text (query, "assignee");
  q.queue = fl_server_param_text (query, "queue");
  q.q = fl_server_param_text (query, "q");
  q.resolved_by = fl_server_param_text (query, "resolved_by");
  q.handed_off_by = fl_server_param_text (query, "handed_off_by");
  q.now = fl_time_now ();
  q.limit = 100;

  if (fl_server_param_text (query, "kpi") != NULL &&
      !fl_report_kpi_from_string (fl_server_param_text (query, "kpi"), &q.kpi))
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Parameter 'kpi' has an unknown value"));
      return;
    }

  if (q.status != NULL && !fl_status_from_string (q.status, &status))
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Parameter 'status' has an unknown value"));
      return;
    }

  if (!fl_server_param_int (fl_server_param_text (query, "level"), 0, G_MAXINT32, &q.level) ||
      !fl_server_param_int (fl_server_param_text (query, "limit"), 1, 500, &q.limit) ||
      !fl_server_param_int (fl_server_param_text (query, "offset"), 0, G_MAXINT32, &q.offset))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameters 'level', 'limit' and 'offset' must be numbers"));
      return;
    }

  if (fl_server_param_text (query, "level") != NULL && q.level != 1 && q.level != 2)
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Parameter 'level' must be 1 or 2"));
      return;
    }

  if (!fl_server_param_time (fl_server_param_text (query, "from"), FALSE, &q.from) ||
      !fl_server_param_time (fl_server_param_text (query, "to"), TRUE, &q.to))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameters 'from' and 'to' must be RFC 3339 times"));
      return;
    }

  if (!fl_server_param_time (fl_server_param_text (query, "resolved_from"), FALSE,
                             &q.resolved_from) ||
      !fl_server_param_time (fl_server_param_text (query, "resolved_to"), TRUE, &q.resolved_to))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameters 'from' and 'to' must be RFC 3339 times"));
      return;
    }

  if (!parse_page_cursor (fl_server_param_text (query, "after"),
                          &q.after_created_at, &q.after_number))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameter 'after' is not a cursor of this list"));
      return;
    }

  /* One more than asked: whether a next page exists. */
  limit = q.limit;
  q.limit = limit + 1;
  tickets = fl_server_store_query_tickets (self->store, &q, &total, &error);
  if (tickets == NULL)
    {
      set_internal_error (msg, error);
      return;
    }
  if ((gint64) tickets->len > limit)
    {
      FlTicket *last = g_ptr_array_index (tickets, limit - 1);

      next = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                              last->created_at, last->number);
      g_ptr_array_set_size (tickets, limit);
    }

  node = json_node_init_object (json_node_alloc (), json_object_new ());
  obj = json_node_get_object (node);
  json_object_unref (obj);
  json_object_set_member (obj, "tickets", tickets_array (tickets));
  json_object_set_int_member (obj, "total", total);
  if (next != NULL)
    json_object_set_string_member (obj, "next", next);
  set_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_ticket (FlServer          *self,
               SoupServerMessage *msg,
               const char        *id)
{
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;

  if (!fl_uuid_is_valid (id))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("The ticket id is not a UUID"));
      return;
    }

  ticket = fl_server_store_get_ticket (self->store, id);
  if (ticket == NULL)
    {
      set_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("Unknown ticket"));
      return;
    }
  events = fl_server_store_get_events (self->store, id);

  node = json_node_init_object (json_node_alloc (), json_object_new ());
  obj = json_node_get_object (node);
  json_object_unref (obj);
  json_object_set_member (obj, "ticket", fl_ticket_to_json (ticket));
  json_object_set_member (obj, "events", events_array (events));
  set_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_report (FlServer          *self,
               SoupServerMessage *msg,
               GHashTable        *query,
               gboolean           checklists)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = fl_time_now ();
  gint64 to = 0, from = 0;

  if (!fl_server_param_time (fl_server_param_text (query, "from"), FALSE, &from) ||
      !fl_server_param_time (fl_server_param_text (query, "to"), TRUE, &to))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameters 'from' and 'to' must be RFC 3339 times"));
      return;
    }
  if (to == 0)
    to = now;
  if (from == 0)
    from = to - 30 * 24 * 3600 * 1000LL;
  if (from > to)
    {
      set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable",
                 _("Parameter 'from' is after 'to'"));
      return;
    }

  if (checklists)
    node = fl_server_store_report_checklists (self->store, from, to, &error);
  else
    node = fl_server_store_report (self->store, from, to, now, &error);
  if (node == NULL)
    set_internal_error (msg, error);
  else
    set_json (msg, SOUP_STATUS_OK, node);
}

/* Answers {"@member": [...]} with @list (JsonNode, taken), or a 500 for NULL. */
static void
set_json_list (SoupServerMessage *msg,
               const char        *member,
               GPtrArray         *list,
               GError            *error)
{
  g_autoptr(GPtrArray) owned = list;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;

  if (list == NULL)
    {
      set_internal_error (msg, error);
      return;
    }

  node = json_node_init_object (json_node_alloc (), json_object_new ());
  obj = json_node_get_object (node);
  json_object_unref (obj);
  json_object_set_member (obj, member, nodes_array (owned));
  set_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_checklists (FlServer          *self,
                   SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *list = fl_server_store_list_checklists (self->store, &error);

  set_json_list (msg, "checklists", list, error);
}

static void
on_checklist_put_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;
  Paused *p;

  stored = fl_server_store_put_checklist_finish (FL_SERVER_STORE (source), result, &error);
  p = g_object_get_data (G_OBJECT (msg), "fl-paused");
  if (p == NULL)
    return;

  if (stored == NULL)
    {
      if (g_error_matches (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_TYPE))
        set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
      else if (error->domain == FL_CHECKLIST_ERROR)
        set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable", error->message);
      else
        set_internal_error (msg, error);
    }
  else
    {
      set_json (msg, SOUP_STATUS_OK, stored);
      wake_waiters (p->self);
    }
  unpause_message (p);
}

static void
handle_put_checklist (FlServer          *self,
                      SoupServerMessage *msg,
                      const char        *id)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *obj;

  if (!fl_text_is_valid (id, 1, FL_SHORT_TEXT_MAX))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("Invalid checklist id"));
      return;
    }

  body = read_body (msg);
  if (body == NULL)
    return;

  /* The id in the path names the checklist; the body may leave it out. */
  obj = json_node_get_object (body);
  if (!json_object_has_member (obj, "id"))
    json_object_set_string_member (obj, "id", id);

  /* Stored by the writer, off the main loop; answered in on_checklist_put_cb. */
  pause_message (self, msg);
  fl_server_store_put_checklist_async (self->store, id, body, NULL, on_checklist_put_cb,
                                       g_object_ref (msg));
}

/* -------------------------------------------------------------------------- */
/* Similar solved tickets and predefined answers */

static void
handle_similar (FlServer          *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  const char *names[] = { "title", "description", "category", "requester" };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  FlSimilarQuery q = { 0 };
  gint64 limit = 5;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = fl_server_param_text (query, names[i]);

      if (value != NULL && !fl_text_is_valid (value, 0, 20000))
        {
          set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("Invalid query parameter"));
          return;
        }
    }
  if (!fl_server_param_int (fl_server_param_text (query, "limit"), 1, 20, &limit))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                 _("Parameter 'limit' must be a number"));
      return;
    }

  q.title = fl_server_param_text (query, "title");
  q.description = fl_server_param_text (query, "description");
  q.category = fl_server_param_text (query, "category");
  q.requester = fl_server_param_text (query, "requester");
  q.now = g_get_real_time () / 1000;
  q.limit = (guint) limit;

  results = fl_server_store_find_similar (self->store, &q, &error);
  if (results == NULL)
    {
      set_internal_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tickets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < results->len; i++)
    {
      FlSimilarResult *r = g_ptr_array_index (results, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "ticket");
      fl_ticket_build_json (r->ticket, builder);
      json_builder_set_member_name (builder, "score");
      json_builder_add_double_value (builder, r->score);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  set_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_answers (FlServer          *self,
                SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *list = fl_server_store_list_answers (self->store, &error);

  set_json_list (msg, "answers", list, error);
}

/* Stored at once on the main connection: a lead publishes an answer now and then. */
static void
handle_put_answer (FlServer          *self,
                   SoupServerMessage *msg,
                   const char        *id)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;

  body = read_body (msg);
  if (body == NULL)
    return;

  /* The id in the path names the answer; the body may leave it out. */
  obj = json_node_get_object (body);
  if (!json_object_has_member (obj, "id"))
    json_object_set_string_member (obj, "id", id);

  stored = fl_server_store_put_answer (self->store, id, body, &error);
  if (stored == NULL)
    {
      if (g_error_matches (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_INVALID))
        set_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unprocessable", error->message);
      else
        set_internal_error (msg, error);
      return;
    }

  set_json (msg, SOUP_STATUS_OK, stored);
  wake_waiters (self);
}

/* -------------------------------------------------------------------------- */
/* Routing */

static gboolean
match_route (const char  *path,
             Route       *route,
             const char **methods,
             char       **arg)
{
  const char *rest;

  *arg = NULL;
  if (!g_str_has_prefix (path, API_PREFIX))
    return FALSE;
  rest = path + strlen (API_PREFIX);

  if (g_str_equal (rest, "health"))
    *route = ROUTE_HEALTH, *methods = "GET";
  else if (g_str_equal (rest, "session"))
    *route = ROUTE_SESSION, *methods = "POST, DELETE";
  else if (g_str_equal (rest, "me"))
    *route = ROUTE_ME, *methods = "GET";
  else if (g_str_equal (rest, "me/password"))
    *route = ROUTE_ME_PASSWORD, *methods = "POST";
  else if (g_str_equal (rest, "sessions"))
    *route = ROUTE_SESSIONS, *methods = "DELETE";
  else if (g_str_equal (rest, "users"))
    *route = ROUTE_USERS, *methods = "GET";
  else if (g_str_equal (rest, "sync"))
    *route = ROUTE_SYNC, *methods = "POST";
  else if (g_str_equal (rest, "tickets"))
    *route = ROUTE_TICKETS, *methods = "GET";
  else if (g_str_equal (rest, "reports/summary"))
    *route = ROUTE_REPORT, *methods = "GET";
  else if (g_str_equal (rest, "reports/checklists"))
    *route = ROUTE_REPORT_CHECKLISTS, *methods = "GET";
  else if (g_str_equal (rest, "checklists"))
    *route = ROUTE_CHECKLISTS, *methods = "GET";
  else if (g_str_equal (rest, "tickets/similar"))
    *route = ROUTE_SIMILAR, *methods = "GET";
  else if (g_str_equal (rest, "answers"))
    *route = ROUTE_ANSWERS, *methods = "GET";
  else if (g_str_has_prefix (rest, "answers/") && rest[8] && !strchr (rest + 8, '/'))
    *route = ROUTE_ANSWER, *methods = "PUT", *arg = g_strdup (rest + 8);
  else if (g_str_has_prefix (rest, "tickets/") && rest[8] && !strchr (rest + 8, '/'))
    *route = ROUTE_TICKET, *methods = "GET", *arg = g_strdup (rest + 8);
  else if (g_str_has_prefix (rest, "checklists/") && rest[11] && !strchr (rest + 11, '/'))
    *route = ROUTE_CHECKLIST, *methods = "PUT", *arg = g_strdup (rest + 11);
  else
    return FALSE;

  return TRUE;
}

static gboolean
method_allowed (const char *methods,
                const char *method)
{
  g_auto(GStrv) list = g_strsplit (methods, ", ", -1);

  return g_strv_contains ((const char * const *) list, method);
}

static void
on_request_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  FlServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(FlServerUser) user = NULL;
  g_autofree char *arg = NULL;
  const char *methods = NULL;
  Route route;

    if (self->stopping)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      set_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                 _("The server is shutting down"));
      return;
    }

  if (!match_route (path, &route, &methods, &arg))
    {
      set_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("Unknown path"));
      return;
    }

  if (!method_allowed (methods, method))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", methods);
      set_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                 _("Method not allowed on this path"));
      return;
    }

  if (route == ROUTE_HEALTH)
    {
      handle_health (self, msg);
      return;
    }
  if (route == ROUTE_SESSION && g_str_equal (method, "POST"))
    {
      handle_login (self, msg);
      return;
    }

  user = fl_server_store_lookup_token (self->store, bearer_token (msg));
  if (user == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                 _("Missing, unknown or revoked token"));
      return;
    }

  if ((route == ROUTE_REPORT || route == ROUTE_REPORT_CHECKLISTS || route == ROUTE_CHECKLIST ||
       route == ROUTE_ANSWER) &&
      user->role != FL_ROLE_LEAD)
    {
      set_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", _("Only a team lead may do this"));
      return;
    }

  switch (route)
    {
    case ROUTE_SESSION:
      handle_logout (self, msg);
      break;
    case ROUTE_ME:
      handle_me (self, msg, user);
      break;
    case ROUTE_USERS:
      handle_users (self, msg);
      break;
    case ROUTE_SYNC:
      handle_sync (self, msg, user);
      break;
    case ROUTE_TICKETS:
      handle_tickets (self, msg, query);
      break;
    case ROUTE_TICKET:
      handle_ticket (self, msg, arg);
      break;
    case ROUTE_REPORT:
      handle_report (self, msg, query, FALSE);
      break;
    case ROUTE_REPORT_CHECKLISTS:
      handle_report (self, msg, query, TRUE);
      break;
    case ROUTE_CHECKLISTS:
      handle_checklists (self, msg);
      break;
    case ROUTE_CHECKLIST:
      handle_put_checklist (self, msg, arg);
      break;
    case ROUTE_SIMILAR:
      handle_similar (self, msg, query);
      break;
    case ROUTE_ANSWERS:
      handle_answers (self, msg);
      break;
    case ROUTE_ANSWER:
      handle_put_answer (self, msg, arg);
      break;
    case ROUTE_ME_PASSWORD:
      handle_change_password (self, msg, user);
      break;
    case ROUTE_SESSIONS:
      handle_logout_everywhere (self, msg, user);
      break;
    case ROUTE_HEALTH:
    default:
      g_assert_not_reached ();
    }
}

/* A body of unknown length is refused once it passes the limit, before the
 * handler (and so any authentication) sees it. Up to the limit again is read
 * and thrown away so that the client may still get the answer; past that the
 * connection is closed. */
static void
on_got_chunk_cb (SoupServerMessage *msg,
                 GBytes            *chunk,
                 gpointer           user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  guint64 total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "fl-body-size"));

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "fl-body-size", GSIZE_TO_POINTER ((gsize) total));

  if (total > FL_SERVER_BODY_LIMIT && soup_message_body_get_accumulate (body))
    {
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                 _("The request body is larger than 1 MiB"));
    }
  if (total > 2 * FL_SERVER_BODY_LIMIT && !g_object_get_data (G_OBJECT (msg), "fl-dropped"))
    {
      g_object_set_data (G_OBJECT (msg), "fl-dropped", GINT_TO_POINTER (1));
      fl_server_connections_drop (msg);
    }
}

/* Runs after the headers: refuses a too large body before reading it. */
static void
on_early_request_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  FlServer *self = user_data;

  /* From here on the request counts as in flight until it is finished. */
  g_object_set_data (G_OBJECT (msg), "fl-counted", GINT_TO_POINTER (1));
  self->n_in_flight++;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > FL_SERVER_BODY_LIMIT)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                 _("The request body is larger than 1 MiB"));
      /* Read to its end for the answer, but keep none of it. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }

  /* Chunked (or too long) bodies are counted while they come. */
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk_cb), NULL);
}

/* -------------------------------------------------------------------------- */
/* Request log */

/* Runs after libsoup's own header checks: a request it refused (a path with
 * an encoded NUL or "..", a wrong scheme) still gets the JSON error body. */
static void
on_got_headers_cb (SoupServerMessage *msg,
                   gpointer           user_data)
{
  guint status = soup_server_message_get_status (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (status == SOUP_STATUS_BAD_REQUEST && body->length == 0)
    set_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", _("The request is malformed"));
}

static void
on_request_started_cb (SoupServer        *server,
                       SoupServerMessage *msg,
                       gpointer           user_data)
{
  gint64 *start = g_new (gint64, 1);

  *start = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "fl-start", start, g_free);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers_cb), NULL);
}

static void
log_request (FlServer          *self,
             SoupServerMessage *msg,
             gboolean           aborted)
{
  gint64 *start = g_object_get_data (G_OBJECT (msg), "fl-start");
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = uri ? g_uri_get_path (uri) : "-";
  double ms = start ? (g_get_monotonic_time () - *start) / 1000.0 : 0.0;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%FT%TZ");

  if (g_object_get_data (G_OBJECT (msg), "fl-counted") && self->n_in_flight > 0)
    self->n_in_flight--;

  /* Path only: the query may hold search text; never bodies or headers.
   * A request the client gave up on (a long poll it cancelled, a closed
   * connection) got no answer: 499 "client closed", as nginx logs it, not
   * the status that was never sent. */
  if (aborted || g_object_get_data (G_OBJECT (msg), "fl-client-closed"))
    fprintf (stderr, "%s %s %.200s 499 %.1f ms client closed\n", stamp, method ? method : "-",
             path, ms);
  else
    fprintf (stderr, "%s %s %.200s %u %.1f ms\n", stamp, method ? method : "-", path,
             soup_server_message_get_status (msg), ms);
  fflush (stderr);
}

static void
on_request_finished_cb (SoupServer        *server,
                        SoupServerMessage *msg,
                        gpointer           user_data)
{
  log_request (user_data, msg, FALSE);
}

static void
on_request_aborted_cb (SoupServer        *server,
                       SoupServerMessage *msg,
                       gpointer           user_data)
{
  log_request (user_data, msg, TRUE);
}

/* -------------------------------------------------------------------------- */

static void
fl_server_dispose (GObject *object)
{
  FlServer *self = (FlServer *)object;

  while (self->waiters != NULL)
    {
      Waiter *w = self->waiters->data;
      self->waiters = g_list_delete_link (self->waiters, self->waiters);
      waiter_free (w);
    }
  g_clear_pointer (&self->tls_gate, fl_tls_gate_free);
  g_clear_pointer (&self->connections, fl_server_connections_free);
  if (self->soup != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->soup, self);
      soup_server_disconnect (self->soup);
    }
  g_clear_pointer (&self->paused, g_hash_table_unref);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (fl_server_parent_class)->dispose (object);
}

static void
fl_server_finalize (GObject *object)
{
  FlServer *self = (FlServer *)object;

  g_clear_object (&self->store);
  /* Every check holds a reference: none is queued or running any more. */
  g_clear_pointer (&self->check_pool, thread_pool_free_wait);
  g_clear_pointer (&self->checks_by_address, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->limiter, fl_auth_limiter_free);
  g_clear_pointer (&self->presence, g_hash_table_unref);
  g_clear_object (&self->tls_certificate);
  g_clear_pointer (&self->idle_context, g_main_context_unref);

  G_OBJECT_CLASS (fl_server_parent_class)->finalize (object);
}

static void
fl_server_class_init (FlServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fl_server_dispose;
  object_class->finalize = fl_server_finalize;
}

static void
fl_server_init (FlServer *self)
{
  const char *window = g_getenv ("FIRSTLINE_LOGIN_WINDOW_SECONDS");
  gint64 window_s = FL_AUTH_WINDOW_SECONDS;
  g_autoptr(GError) error = NULL;

  /* For tests: a shorter window than five minutes. */
  if (window != NULL && !g_ascii_string_to_signed (window, 10, 1, 24 * 3600, &window_s, NULL))
    {
      g_warning ("Ignoring FIRSTLINE_LOGIN_WINDOW_SECONDS=%s", window);
      window_s = FL_AUTH_WINDOW_SECONDS;
    }
  self->limiter = fl_auth_limiter_new_full (FL_AUTH_MAX_FAILURES, FL_AUTH_MAX_ADDRESS_FAILURES,
                                            window_s);
  self->login_window_s = window_s;
  self->context = g_main_context_ref_thread_default ();
  self->checks_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->check_pool = g_thread_pool_new_full (check_thread, NULL, NULL,
                                             CLAMP ((int) g_get_num_processors (), 1, 4),
                                             FALSE, &error);
  if (self->check_pool == NULL)
    g_error ("Cannot start password check threads: %s", error->message);
  g_thread_pool_set_sort_function (self->check_pool, compare_checks, NULL);
  self->presence = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, presence_free);
  self->paused = g_hash_table_new_full (NULL, NULL, NULL, paused_free);
}

FlServer *
fl_server_new (FlServerStore   *store,
               GTlsCertificate *tls_certificate)
{
  FlServer *self;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_object_new (FL_TYPE_SERVER, NULL);
  self->store = store;
  self->tls = tls_certificate != NULL;
  self->tls_certificate = tls_certificate ? g_object_ref (tls_certificate) : NULL;
  self->soup = soup_server_new ("server-header", "firstline-server/" PACKAGE_VERSION " ",
                                "tls-certificate", tls_certificate,
                                NULL);

  g_signal_connect_object (store, "changed", G_CALLBACK (on_store_changed_cb), self, 0);
  g_signal_connect_object (store, "presence-changed", G_CALLBACK (wake_waiters), self,
                           G_CONNECT_SWAPPED);
  soup_server_add_early_handler (self->soup, NULL, on_early_request_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_request_cb, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_aborted_cb), self);

  return self;
}

static gboolean
on_tls_client_cb (GIOStream  *tls,
                  GSocket    *socket,
                  gpointer    user_data,
                  GError    **error)
{
  FlServer *self = user_data;

  return fl_server_connections_accept (self->connections, tls, socket, error);
}

/* Like soup_server_listen (), with a backlog that takes a burst of clients.
 *
 * Clients are accepted by the gate (fl-server-tls.c); for HTTPS it starts
 * a handshake only once the client's ClientHello is there, and passes the
 * connection to libsoup when the handshake is done. libsoup still gets a
 * listener for the socket, but one whose accept source waits in a main
 * context that never runs: libsoup 3.2.3 keeps a connection alive after a
 * response only while the server has a listener, soup_server_get_uris ()
 * reports the listeners, and soup_server_disconnect () closes the socket. */
static gboolean
listen_on (FlServer        *self,
           GSocketAddress  *sockaddr,
           GError         **error)
{
  GSocketFamily family = g_socket_address_get_family (sockaddr);
  g_autoptr(GSocket) socket = NULL;
  gboolean ok;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, sockaddr, TRUE, error) ||
      !g_socket_listen (socket, error))
    return FALSE;

  g_return_val_if_fail (self->tls_gate == NULL, FALSE);   /* one address */
  if (self->idle_context == NULL)
    self->idle_context = g_main_context_new ();
  g_main_context_push_thread_default (self->idle_context);
  ok = soup_server_listen_socket (self->soup, socket, self->tls ? SOUP_SERVER_LISTEN_HTTPS : 0,
                                  error);
  g_main_context_pop_thread_default (self->idle_context);
  if (!ok)
    return FALSE;

  if (self->connections == NULL)
    self->connections = fl_server_connections_new (self->soup);
  /* Plain HTTP goes through the gate too: libsoup 3.2.3's own listener stops
   * accepting for good after one failed accept () (its source returns
   * G_SOURCE_REMOVE; a client that resets before it is accepted is enough),
   * while the gate backs off and goes on. */
  self->tls_gate = fl_tls_gate_new (socket, self->tls_certificate, on_tls_client_cb, self);
  return TRUE;
}

char *
fl_server_listen (FlServer    *self,
                  const char  *address,
                  GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  GSList *uris;
  char *result = NULL;

  g_return_val_if_fail (FL_IS_SERVER (self), NULL);
  g_return_val_if_fail (address != NULL, NULL);

  connectable = g_network_address_parse (address, 8080, error);
  if (connectable == NULL)
    return NULL;

  /* Literal addresses only: no name lookups at start-up. */
  if (!g_hostname_is_ip_address (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable))))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address and port"), address);
      return NULL;
    }

  sockaddr = g_inet_socket_address_new_from_string (
    g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)),
    g_network_address_get_port (G_NETWORK_ADDRESS (connectable)));
  if (sockaddr == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address and port"), address);
      return NULL;
    }

  if (!listen_on (self, sockaddr, error))
    return NULL;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      GUri *uri = uris->data;
      const char *host = g_uri_get_host (uri);
      gboolean v6 = strchr (host, ':') != NULL;

      result = g_strdup_printf ("%s://%s%s%s:%d", self->tls ? "https" : "http",
                                v6 ? "[" : "", host, v6 ? "]" : "", g_uri_get_port (uri));
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (result == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot listen on %s"), address);
  return result;
}

void
fl_server_stop (FlServer *self)
{
  g_return_if_fail (FL_IS_SERVER (self));

  self->stopping = TRUE;
  wake_waiters (self);
}

guint
fl_server_get_n_in_flight (FlServer *self)
{
  g_return_val_if_fail (FL_IS_SERVER (self), 0);

  return self->n_in_flight;
}

void
fl_server_close (FlServer *self)
{
  g_return_if_fail (FL_IS_SERVER (self));

  self->stopping = TRUE;
  wake_waiters (self);
  /* Before the listening socket closes. */
  g_clear_pointer (&self->tls_gate, fl_tls_gate_free);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}
