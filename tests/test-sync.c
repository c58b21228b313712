/* test-sync.c — end to end: firstline-cli caches against a real firstline-server
 *
 * Every test starts the real server ($FIRSTLINE_SERVER) on 127.0.0.1 port 0 with
 * its own data directory and drives the real CLI ($FIRSTLINE_CLI) on caches in
 * temporary directories. The misbehaving-server tests use a small HTTP peer
 * inside this program that answers the sync with errors, a closed connection,
 * broken JSON or not at all. Some checks open a cache with FlStore or drive
 * FlSyncEngine directly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fl-credentials.h"
#include "fl-store.h"
#include "fl-sync-engine.h"
#include "fl-types.h"
#include "fl-test-util.h"

#define PASSWORD "correct horse battery"


/* -------------------------------------------------------------------------- */
/* The server                                                                    */

typedef FlTestServer Server;

/* -------------------------------------------------------------------------- */
/* The CLI                                                                       */

static int
cli_argv (const char         *cache,
          const char         *stdin_text,
          char              **out,
          char              **err,
          const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) FL_TEST_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "--cache");
  g_ptr_array_add (argv, (gpointer) cache);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  return fl_test_run ((const char * const *) argv->pdata, stdin_text, out, err);
}

static int
cli (const char  *cache,
     char       **out,
     char       **err,
     const char  *first,
     ...) G_GNUC_NULL_TERMINATED;

static int
cli (const char  *cache,
     char       **out,
     char       **err,
     const char  *first,
     ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return cli_argv (cache, NULL, out, err, (const char * const *) args->pdata);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_copy (json_parser_get_root (parser));
}

static void
cli_login (const char *cache,
           Server     *s,
           const char *user)
{
  const char *args[] = { "login", s->url, user, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = cli_argv (cache, PASSWORD "\n", &out, &err, args);

  if (status != 0)
    g_printerr ("# login: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, user));
  /* No Secret Service here: the login says where the token went instead. */
  g_assert_nonnull (strstr (err, "Secret Service"));
  fl_test_assert_error_line (err, "firstline-cli");
}

static int
cli_sync (const char *cache)
{
  g_autofree char *err = NULL;
  int status = cli (cache, NULL, &err, "sync", NULL);

  if (status != 0)
    fl_test_assert_error_line (err, "firstline-cli");
  return status;
}

static void
cli_sync_ok (const char *cache)
{
  g_autofree char *err = NULL;
  int status = cli (cache, NULL, &err, "sync", NULL);

  if (status != 0)
    g_printerr ("# sync %s: %d %s", cache, status, err);
  g_assert_cmpint (status, ==, 0);
}

static guint
cli_pending (const char *cache)
{
  g_autofree char *out = NULL;
  guint64 n = G_MAXUINT64;

  g_assert_cmpint (cli (cache, &out, NULL, "pending", NULL), ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n"));
  g_strchomp (out);
  g_assert_true (g_ascii_string_to_unsigned (out, 10, 0, G_MAXUINT, &n, NULL));
  return (guint) n;
}

static char *
cli_new (const char *cache,
         const char *title)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = cli (cache, &out, &err, "new", "--title", title, "--category", "network",
                    "--requester", "Jana Krüger", "--requester.location", "Home office",
                    "--asset", "NB-0231", NULL);

  if (status != 0)
    g_printerr ("# new: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_strchomp (out);
  g_assert_true (fl_uuid_is_valid (out));
  return g_steal_pointer (&out);
}

/* show ID --json → {"ticket": …, "events": […]} */
static JsonNode *
cli_show (const char *cache,
          const char *id)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cli (cache, &out, NULL, "show", id, "--json", NULL), ==, 0);
  return parse_json (out);
}

static JsonObject *
ticket_of (JsonNode *shown)
{
  return json_object_get_object_member (json_node_get_object (shown), "ticket");
}

/* -------------------------------------------------------------------------- */
/* Plain HTTP, to look at the server's side                                      */

typedef struct
{
  SoupSession *session;
  char        *token;
} Http;

static JsonNode *
http_request (Http       *h,
              Server     *s,
              const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint      *out_status)
{
  g_autofree char *url = g_strconcat (s->url, path, NULL);

  return fl_test_http_full (h->session, method, url, token, body, out_status, NULL);
}

/* GET /api/v1/tickets, every page: id → ticket (JsonObject) */
static GHashTable *
http_all_tickets (Http   *h,
                  Server *s)
{
  GHashTable *tickets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) json_object_unref);
  gint64 total = -1;

  for (guint offset = 0; total < 0 || offset < (guint) total; offset += 500)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/tickets?limit=500&offset=%u", offset);
      g_autoptr(JsonNode) node = NULL;
      JsonArray *page;
      guint status = 0;

      node = http_request (h, s, "GET", path, h->token, NULL, &status);
      g_assert_cmpuint (status, ==, 200);
      total = json_object_get_int_member (json_node_get_object (node), "total");
      page = json_object_get_array_member (json_node_get_object (node), "tickets");
      for (guint i = 0; i < json_array_get_length (page); i++)
        {
          JsonObject *t = json_array_get_object_element (page, i);
          g_hash_table_insert (tickets, g_strdup (json_object_get_string_member (t, "id")),
                               json_object_ref (t));
        }
      if (json_array_get_length (page) == 0)
        break;
    }

  g_assert_cmpint (g_hash_table_size (tickets), ==, total);
  return tickets;
}

/* GET /api/v1/tickets/{id} → its events */
static JsonNode *
http_ticket (Http       *h,
             Server     *s,
             const char *id)
{
  g_autofree char *path = g_strconcat ("/api/v1/tickets/", id, NULL);
  guint status = 0;
  JsonNode *node = http_request (h, s, "GET", path, h->token, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return node;
}

/* -------------------------------------------------------------------------- */
/* Fixture                                                                       */

typedef struct
{
  char   *dir;
  Server *server;
  Http    http;
  char   *cache_a;
  char   *cache_b;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server_dir = NULL;

  f->dir = g_dir_make_tmp ("firstline-sync-XXXXXX", &error);
  g_assert_no_error (error);
  server_dir = g_build_filename (f->dir, "server", NULL);
  g_assert_cmpint (g_mkdir (server_dir, 0700), ==, 0);
  f->cache_a = g_build_filename (f->dir, "a", "cache.db", NULL);
  f->cache_b = g_build_filename (f->dir, "b", "cache.db", NULL);

  fl_test_add_user (server_dir, "alex", "agent", PASSWORD);
  fl_test_add_user (server_dir, "jana", "agent", PASSWORD);
  fl_test_add_user (server_dir, "lee", "lead", PASSWORD);
  f->server = fl_test_server_start (server_dir);

  f->http.session = fl_test_session_new ();
  f->http.token = fl_test_http_login (f->http.session, f->server->url, "lee", PASSWORD);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  fl_test_server_stop (f->server);
  g_clear_pointer (&f->server, fl_test_server_free);
  g_clear_object (&f->http.session);
  g_free (f->http.token);
  fl_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->cache_a);
  g_free (f->cache_b);
}

/* Both sides agree: each cache's `list --json` equals the server's ticket list
 * (ids, versions, every field), every ticket on the server has exactly the
 * expected number of events (when @expected is given: ticket id → count), and
 * each cache has the same events as the server, in the same order. */
static void
assert_converged (Fixture     *f,
                  const char **caches,
                  GHashTable  *expected)
{
  g_autoptr(GHashTable) server_tickets = http_all_tickets (&f->http, f->server);
  GHashTableIter iter;
  gpointer key, value;

  if (expected != NULL)
    g_assert_cmpuint (g_hash_table_size (server_tickets), ==, g_hash_table_size (expected));

  for (guint c = 0; caches[c] != NULL; c++)
    {
      g_autofree char *out = NULL;
      g_autoptr(JsonNode) list = NULL;
      g_autoptr(FlStore) store = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *conflicts = NULL;
      JsonArray *tickets;

      g_assert_cmpuint (cli_pending (caches[c]), ==, 0);
      g_assert_cmpint (cli (caches[c], &conflicts, NULL, "conflicts", NULL), ==, 0);
      g_assert_cmpstr (conflicts, ==, "");

      g_assert_cmpint (cli (caches[c], &out, NULL, "list", "--json", NULL), ==, 0);
      list = parse_json (out);
      tickets = json_object_get_array_member (json_node_get_object (list), "tickets");
      g_assert_cmpuint (json_array_get_length (tickets), ==, g_hash_table_size (server_tickets));

      for (guint i = 0; i < json_array_get_length (tickets); i++)
        {
          JsonObject *mine = json_array_get_object_element (tickets, i);
          JsonObject *theirs = g_hash_table_lookup (server_tickets,
                                                    json_object_get_string_member (mine, "id"));
          g_autoptr(JsonNode) a = NULL;
          g_autoptr(JsonNode) b = NULL;

          g_assert_nonnull (theirs);
          a = json_node_init_object (json_node_alloc (), mine);
          b = json_node_init_object (json_node_alloc (), theirs);
          if (!json_node_equal (a, b))
            {
              g_autofree char *ta = json_to_string (a, FALSE);
              g_autofree char *tb = json_to_string (b, FALSE);

              g_printerr ("# cache:  %s\n# server: %s\n", ta, tb);
            }
          g_assert_true (json_node_equal (a, b));
        }

      /* The events, read straight from the cache file. */
      store = fl_store_new (caches[c], &error);
      g_assert_no_error (error);

      g_hash_table_iter_init (&iter, server_tickets);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autoptr(JsonNode) shown = http_ticket (&f->http, f->server, key);
          JsonArray *events = json_object_get_array_member (json_node_get_object (shown), "events");
          g_autoptr(GPtrArray) local = fl_store_list_events (store, key, &error);
          g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

          g_assert_no_error (error);
          if (expected != NULL && c == 0)
            g_assert_cmpuint (json_array_get_length (events), ==,
                              GPOINTER_TO_UINT (g_hash_table_lookup (expected, key)));
          /* The last event made the version. */
          g_assert_cmpint (json_object_get_int_member (value, "version"), ==,
                           json_array_get_length (events));

          g_assert_cmpuint (local->len, ==, json_array_get_length (events));
          for (guint i = 0; i < local->len; i++)
            {
              FlEvent *event = g_ptr_array_index (local, i);
              JsonObject *theirs = json_array_get_object_element (events, i);

              g_assert_cmpstr (event->id, ==, json_object_get_string_member (theirs, "id"));
              g_assert_cmpint (event->seq, ==, json_object_get_int_member (theirs, "seq"));
              g_assert_true (g_hash_table_add (ids, event->id));
            }
        }
    }
}

static void
count_op (GHashTable *expected,
          const char *ticket_id)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (expected, ticket_id));

  g_hash_table_replace (expected, g_strdup (ticket_id), GUINT_TO_POINTER (n + 1));
}

/* -------------------------------------------------------------------------- */
/* 1. Offline, then online                                                       */

static void
test_offline_create (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  const char *caches[] = { NULL, NULL };
  JsonObject *ticket;

  caches[0] = f->cache_a;
  cli_login (f->cache_a, f->server, "alex");
  g_assert_cmpint (cli_pending (f->cache_a), ==, 0);

  /* The server goes away; the change is made all the same. */
  fl_test_server_stop (f->server);
  id = cli_new (f->cache_a, "Laptop does not boot");
  count_op (expected, id);

  g_assert_cmpint (cli (f->cache_a, NULL, &err, "sync", NULL), ==, 3);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_cmpuint (cli_pending (f->cache_a), ==, 1);

  before = cli_show (f->cache_a, id);
  ticket = ticket_of (before);
  g_assert_true (json_object_get_null_member (ticket, "number"));
  g_assert_true (json_object_get_boolean_member (ticket, "pending"));

  /* Back online: the op goes out, the server's number comes back. */
  fl_test_server_restart (f->server);
  cli_sync_ok (f->cache_a);
  g_assert_cmpuint (cli_pending (f->cache_a), ==, 0);

  after = cli_show (f->cache_a, id);
  ticket = ticket_of (after);
  g_assert_cmpint (json_object_get_int_member (ticket, "number"), >, 0);
  g_assert_false (json_object_has_member (ticket, "pending"));
  g_assert_cmpstr (json_object_get_string_member (ticket, "created_by"), ==, "alex");

  /* The #number finds it now. */
  {
    g_autofree char *number = g_strdup_printf ("#%" G_GINT64_FORMAT,
                                               json_object_get_int_member (ticket, "number"));
    g_autoptr(JsonNode) by_number = cli_show (f->cache_a, number);

    g_assert_cmpstr (json_object_get_string_member (ticket_of (by_number), "id"), ==, id);
  }

  assert_converged (f, caches, expected);
}

/* -------------------------------------------------------------------------- */
/* 2. Two caches, 200 random ops each                                            */

typedef struct
{
  const char *name;
  const char *cache;
  GPtrArray  *own;           /* ids created here */
  GPtrArray  *known;         /* ids in this cache */
  guint       n_new;
} Client;

static const char *
pick (GRand              *rand,
      const char * const *choices,
      guint               n)
{
  return choices[g_rand_int_range (rand, 0, (gint32) n)];
}

#define PICK(rand, array) pick ((rand), (array), G_N_ELEMENTS (array))

static const char *
pick_id (GRand     *rand,
         GPtrArray *ids)
{
  return g_ptr_array_index (ids, g_rand_int_range (rand, 0, (gint32) ids->len));
}

/* One random op on @c; returns the ticket it queued an op for, or NULL when the
 * model refused it locally (nothing queued). */
static char *
random_op (Client *c,
           GRand  *rand)
{
  static const char * const categories[] = { "network", "printer", "password", "email", "other" };
  static const char * const grades[] = { "low", "medium", "high" };
  static const char * const statuses[] = { "new", "in_progress", "waiting" };
  static const char * const codes[] = { "first_contact", "solved", "workaround", "duplicate" };
  static const char * const fields[] = { "title", "description", "asset", "category", "impact",
                                         "urgency", "queue", "status", "requester.phone",
                                         "channel" };
  static const char * const channels[] = { "phone", "email", "walk_in", "chat", "portal" };
  g_autofree char *text = g_strdup_printf ("%s %08x ü", c->name, g_rand_int (rand));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *id = NULL;
  int kind = g_rand_int_range (rand, 0, 100);
  int status;

  if (c->own->len < 3 || kind < 15)
    {
      g_autofree char *title = g_strdup_printf ("%s ticket %u", c->name, ++c->n_new);

      /* with every field a category of data/categories.json may require */
      status = cli (c->cache, &out, &err, "new", "--title", title,
                    "--category", PICK (rand, categories), "--requester", text,
                    "--impact", PICK (rand, grades), "--urgency", PICK (rand, grades),
                    "--asset", "NB-0231", "--requester.location", "Home office",
                    "--requester.phone", "0711 1234", "--requester.department", "Finance",
                    "--requester.email", "jana@example.com", NULL);
      g_assert_cmpint (status, ==, 0);
      g_strchomp (out);
      g_assert_true (fl_uuid_is_valid (out));
      g_ptr_array_add (c->own, g_strdup (out));
      g_ptr_array_add (c->known, g_strdup (out));
      return g_strdup (out);
    }

  if (kind < 45)
    {
      const char *field = PICK (rand, fields);
      g_autofree char *option = g_strconcat ("--", field, NULL);
      const char *value = text;

      if (g_str_equal (field, "impact") || g_str_equal (field, "urgency"))
        value = PICK (rand, grades);
      else if (g_str_equal (field, "status"))
        value = PICK (rand, statuses);
      else if (g_str_equal (field, "channel"))
        value = PICK (rand, channels);
      else if (g_str_equal (field, "queue"))
        value = g_rand_boolean (rand) ? "first-level" : "network-2nd";

      id = pick_id (rand, c->own);
      status = cli (c->cache, NULL, &err, "update", id, option, value, NULL);
    }
  else if (kind < 70)
    {
      /* Notes also on the other side's tickets: they never conflict. */
      id = pick_id (rand, c->known);
      status = g_rand_boolean (rand) ? cli (c->cache, NULL, &err, "note", id, text, NULL)
                                     : cli (c->cache, NULL, &err, "note", id, text, "--internal",
                                            NULL);
    }
  else if (kind < 80)
    {
      id = pick_id (rand, c->own);
      status = cli (c->cache, NULL, &err, "claim", id, NULL);
    }
  else if (kind < 90)
    {
      id = pick_id (rand, c->own);
      status = cli (c->cache, NULL, &err, "resolve", id, "--code", PICK (rand, codes),
                    "--summary", text, NULL);
    }
  else
    {
      id = pick_id (rand, c->own);
      status = cli (c->cache, NULL, &err, "handoff", id, "--queue", "network-2nd",
                    "--summary", text, "--tried", "Restarted", "--tried", text, NULL);
    }

  /* 1: the model's rules refused it here already (a resolved ticket, …). */
  if (status == 1)
    {
      fl_test_assert_error_line (err, "firstline-cli");
      return NULL;
    }

  g_assert_cmpint (status, ==, 0);
  return g_strdup (id);
}

static void
client_synced (Client     *c,
               GHashTable *on_server)
{
  /* Its own tickets are on the server now; it has pulled the others'. */
  for (guint i = 0; i < c->own->len; i++)
    g_hash_table_add (on_server, g_strdup (g_ptr_array_index (c->own, i)));

  g_ptr_array_set_size (c->known, 0);
  for (guint i = 0; i < c->own->len; i++)
    g_ptr_array_add (c->known, g_strdup (g_ptr_array_index (c->own, i)));

  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, on_server);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_ptr_array_find_with_equal_func (c->own, key, g_str_equal, NULL))
        g_ptr_array_add (c->known, g_strdup (key));
  }
}

static void
test_random_ops (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) on_server = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  Client clients[2] = {
    { "a", f->cache_a, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0 },
    { "b", f->cache_b, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0 },
  };
  const char *caches[] = { f->cache_a, f->cache_b, NULL };
  const guint n_rounds = 4, ops_per_round = 50;
  guint n_ops[2] = { 0, 0 };
  guint n_queued[2] = { 0, 0 };

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "jana");

  for (guint round = 0; round < n_rounds; round++)
    {
      gboolean online = round % 2 == 0;

      if (online && f->server->proc == NULL)
        fl_test_server_restart (f->server);
      else if (!online)
        fl_test_server_stop (f->server);

      for (guint k = 0; k < ops_per_round; k++)
        for (guint w = 0; w < 2; w++)
          {
            Client *c = &clients[w];
            g_autofree char *ticket = random_op (c, rand);

            n_ops[w]++;
            if (ticket != NULL)
              {
                count_op (expected, ticket);
                n_queued[w]++;
              }

            /* Now and then a sync: it works online and keeps everything offline. */
            if (g_rand_int_range (rand, 0, online ? 8 : 15) == 0)
              {
                if (online)
                  {
                    cli_sync_ok (c->cache);
                    client_synced (c, on_server);
                    n_queued[w] = 0;
                  }
                else
                  {
                    g_assert_cmpint (cli_sync (c->cache), ==, 3);
                  }
                g_assert_cmpuint (cli_pending (c->cache), ==, n_queued[w]);
              }
          }
    }

  g_assert_cmpuint (n_ops[0], ==, 200);
  g_assert_cmpuint (n_ops[1], ==, 200);

  /* Online again: sync until nothing moves. */
  fl_test_server_restart (f->server);
  cli_sync_ok (f->cache_a);
  cli_sync_ok (f->cache_b);
  cli_sync_ok (f->cache_a);

  g_test_message ("%u tickets after 2 × 200 ops", g_hash_table_size (expected));
  assert_converged (f, caches, expected);

  for (guint w = 0; w < 2; w++)
    {
      g_ptr_array_unref (clients[w].own);
      g_ptr_array_unref (clients[w].known);
    }
}

/* -------------------------------------------------------------------------- */
/* 3. Conflicts                                                                  */

/* A edits FIELD on a shared ticket, then B edits it too: B's sync ends in a conflict. */
static JsonObject *
make_conflict (Fixture    *f,
               const char *id,
               const char *option,
               const char *mine,
               const char *theirs)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *conflicts;
  JsonObject *conflict, *fields, *field;
  const char *name = option + 2;

  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "update", id, option, theirs, NULL), ==, 0);
  cli_sync_ok (f->cache_a);
  g_assert_cmpint (cli (f->cache_b, NULL, NULL, "update", id, option, mine, NULL), ==, 0);

  g_assert_cmpint (cli (f->cache_b, NULL, &err, "sync", NULL), ==, 4);
  fl_test_assert_error_line (err, "firstline-cli");

  g_assert_cmpint (cli (f->cache_b, &out, NULL, "conflicts", "--json", NULL), ==, 0);
  node = parse_json (out);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 1);
  conflicts = json_object_get_array_member (json_node_get_object (node), "conflicts");
  g_assert_cmpuint (json_array_get_length (conflicts), ==, 1);
  conflict = json_array_get_object_element (conflicts, 0);
  g_assert_cmpuint (json_object_get_size (conflict), ==, 4);
  g_assert_true (json_object_has_member (conflict, "id"));
  g_assert_cmpstr (json_object_get_string_member (conflict, "ticket_id"), ==, id);
  g_assert_true (fl_uuid_is_valid (json_object_get_string_member (conflict, "op_id")));
  fields = json_object_get_object_member (conflict, "fields");
  g_assert_cmpuint (json_object_get_size (fields), ==, 1);
  field = json_object_get_object_member (fields, name);
  g_assert_nonnull (field);
  g_assert_cmpstr (json_object_get_string_member (field, "mine"), ==, mine);
  g_assert_cmpstr (json_object_get_string_member (field, "theirs"), ==, theirs);

  /* The human form names it too. */
  {
    g_autofree char *text = NULL;

    g_assert_cmpint (cli (f->cache_b, &text, NULL, "conflicts", NULL), ==, 0);
    g_assert_nonnull (strstr (text, json_object_get_string_member (conflict, "id")));
    g_assert_nonnull (strstr (text, name));
  }

  return json_object_ref (conflict);
}

static char *
shared_ticket (Fixture *f)
{
  char *id;

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "jana");
  id = cli_new (f->cache_a, "Shared drive is read-only");
  cli_sync_ok (f->cache_a);
  cli_sync_ok (f->cache_b);
  return id;
}

static void
test_conflict_keep_mine (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *id = shared_ticket (f);
  g_autoptr(JsonObject) conflict = make_conflict (f, id, "--title", "Mine: share is read-only",
                                                  "Theirs: share is full");
  g_autoptr(JsonNode) on_server = NULL;
  g_autoptr(JsonNode) in_a = NULL;
  const char *caches[] = { f->cache_a, f->cache_b, NULL };
  g_autofree char *err = NULL;

  /* Unknown conflict ids are an error; the real one resolves. */
  g_assert_cmpint (cli (f->cache_b, NULL, &err, "resolve-conflict", "nope", "--keep-mine", NULL),
                   ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_cmpint (cli (f->cache_b, NULL, NULL, "resolve-conflict",
                        json_object_get_string_member (conflict, "id"), "--keep-mine", NULL), ==, 0);
  cli_sync_ok (f->cache_b);
  g_assert_cmpuint (cli_pending (f->cache_b), ==, 0);

  on_server = http_ticket (&f->http, f->server, id);
  g_assert_cmpstr (json_object_get_string_member (ticket_of (on_server), "title"), ==,
                   "Mine: share is read-only");
  /* create, A's update, B's update made again on the current version */
  g_assert_cmpint (json_object_get_int_member (ticket_of (on_server), "version"), ==, 3);

  cli_sync_ok (f->cache_a);
  in_a = cli_show (f->cache_a, id);
  g_assert_cmpstr (json_object_get_string_member (ticket_of (in_a), "title"), ==,
                   "Mine: share is read-only");

  assert_converged (f, caches, NULL);
}

static void
test_conflict_take_theirs (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *id = shared_ticket (f);
  g_autoptr(JsonObject) conflict = make_conflict (f, id, "--urgency", "low", "high");
  g_autoptr(JsonNode) in_b = NULL;
  g_autoptr(JsonNode) in_b_after = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  const char *caches[] = { f->cache_a, f->cache_b, NULL };
  JsonArray *events;

  g_assert_cmpint (cli (f->cache_b, NULL, NULL, "resolve-conflict",
                        json_object_get_string_member (conflict, "id"), "--take-theirs", NULL), ==, 0);

  /* The op is dropped and the cache shows theirs, before any further sync. */
  g_assert_cmpuint (cli_pending (f->cache_b), ==, 0);
  in_b = cli_show (f->cache_b, id);
  g_assert_cmpstr (json_object_get_string_member (ticket_of (in_b), "urgency"), ==, "high");
  g_assert_false (json_object_has_member (ticket_of (in_b), "pending"));
  events = json_object_get_array_member (json_node_get_object (in_b), "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 2);

  cli_sync_ok (f->cache_b);
  in_b_after = cli_show (f->cache_b, id);
  g_assert_cmpstr (json_object_get_string_member (ticket_of (in_b_after), "urgency"), ==, "high");

  on_server = http_ticket (&f->http, f->server, id);
  g_assert_cmpstr (json_object_get_string_member (ticket_of (on_server), "urgency"), ==, "high");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (on_server),
                                                                         "events")), ==, 2);
  assert_converged (f, caches, NULL);
}

/* -------------------------------------------------------------------------- */
/* 4. kill -9 during sync                                                        */

static void
test_kill_during_sync (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  const char *caches[] = { f->cache_a, f->cache_b, NULL };
  guint n_killed = 0;

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "jana");

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *title = g_strdup_printf ("Batch ticket %u", i);
      char *id = cli_new (f->cache_a, title);

      count_op (expected, id);
      g_ptr_array_add (ids, id);
    }

  for (guint round = 0; round < 50; round++)
    {
      g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GError) error = NULL;
      int status;

      /* Some new changes each time, so there is something in flight. */
      for (guint k = 0, n = (guint) g_rand_int_range (rand, 1, 4); k < n; k++)
        {
          const char *id = pick_id (rand, ids);
          g_autofree char *body = g_strdup_printf ("note %u.%u", round, k);

          if (g_rand_int_range (rand, 0, 5) == 0)
            {
              g_autofree char *title = g_strdup_printf ("Round %u ticket", round);
              char *created = cli_new (f->cache_a, title);

              count_op (expected, created);
              g_ptr_array_add (ids, created);
            }
          else
            {
              g_assert_cmpint (cli (f->cache_a, NULL, NULL, "note", id, body, NULL), ==, 0);
              count_op (expected, id);
            }
        }

      proc = g_subprocess_launcher_spawn (launcher, &error, FL_TEST_CLI_PATH, "--cache", f->cache_a,
                                          "sync", NULL);
      g_assert_no_error (error);
      /* 0–200 ms, most of them short: a sync takes only tens of milliseconds,
       * and the kill should land inside it as often as after it. */
      {
        double u = g_rand_double (rand);
        g_usleep ((gulong) (u * u * u * 200 * 1000));
      }
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, &error);
      g_assert_no_error (error);

      status = fl_test_exit_status (proc);
      if (status == 128 + SIGKILL)
        n_killed++;
      else
        g_assert_cmpint (status, ==, 0);
    }

  g_test_message ("killed %u of 50 syncs", n_killed);
  g_assert_cmpuint (n_killed, >, 0);

  /* A clean sync: nothing lost, nothing twice. */
  cli_sync_ok (f->cache_a);
  cli_sync_ok (f->cache_b);
  assert_converged (f, caches, expected);
}

/* -------------------------------------------------------------------------- */
/* 5. A server that misbehaves                                                   */

typedef enum
{
  PEER_ERROR_500,
  PEER_CLOSE,
  PEER_BROKEN_JSON,
  PEER_HANG,
} PeerMode;

typedef struct
{
  PeerMode        mode;
  GThread        *thread;
  GMainContext   *context;
  GMainLoop      *loop;
  GCancellable   *cancellable;
  char           *url;
  GMutex          lock;
  GCond           cond;
  gboolean        ready;
  int             n_sync;        /* atomic */
  int             n_active;      /* atomic: handlers running */
} Peer;

static void
peer_respond (GOutputStream *out,
              guint          status,
              const char    *reason,
              const char    *body)
{
  g_autofree char *response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                               "Content-Type: application/json\r\n"
                                               "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                               "Connection: close\r\n"
                                               "\r\n%s",
                                               status, reason, strlen (body), body);

  g_output_stream_write_all (out, response, strlen (response), NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
}

/* Runs in a worker thread of the GThreadedSocketService, one per connection. */
static gboolean
peer_run_cb (GThreadedSocketService *service,
             GSocketConnection      *connection,
             GObject                *source_object,
             gpointer                user_data)
{
  Peer *peer = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (in);
  g_autofree char *request_line = NULL;
  g_auto(GStrv) parts = NULL;
  gsize content_length = 0;
  g_autofree char *body = NULL;

  g_atomic_int_inc (&peer->n_active);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  request_line = g_data_input_stream_read_line (data, NULL, peer->cancellable, NULL);
  if (request_line == NULL)
    goto out;
  parts = g_strsplit (request_line, " ", 3);
  if (g_strv_length (parts) < 2)
    goto out;

  for (;;)
    {
      g_autofree char *header = g_data_input_stream_read_line (data, NULL, peer->cancellable, NULL);

      if (header == NULL)
        goto out;
      if (*header == '\0')
        break;
      if (g_ascii_strncasecmp (header, "Content-Length:", 15) == 0)
        content_length = (gsize) g_ascii_strtoull (header + 15, NULL, 10);
    }

  if (content_length > 0 && content_length < 16 * 1024 * 1024)
    {
      gsize n_read = 0;

      body = g_malloc0 (content_length + 1);
      g_input_stream_read_all (G_INPUT_STREAM (data), body, content_length, &n_read,
                               peer->cancellable, NULL);
    }

  if (g_str_equal (parts[0], "POST") && g_str_equal (parts[1], "/api/v1/session"))
    {
      peer_respond (out, 200, "OK",
                    "{\"token\": \"0123456789abcdef0123456789abcdef\","
                    " \"user\": {\"username\": \"alex\", \"display_name\": \"Alex\","
                    " \"role\": \"agent\"}}");
    }
  else if (g_str_equal (parts[1], "/api/v1/sync"))
    {
      g_atomic_int_inc (&peer->n_sync);

      switch (peer->mode)
        {
        case PEER_ERROR_500:
          peer_respond (out, 500, "Internal Server Error",
                        "{\"error\": {\"code\": \"internal\", \"message\": \"Something broke\"}}");
          break;

        case PEER_CLOSE:
          break;

        case PEER_BROKEN_JSON:
          peer_respond (out, 200, "OK", "{\"results\": [{\"op_id\": tru");
          break;

        case PEER_HANG:
          {
            char byte;

            /* Until the client gives up (EOF) or the test ends. */
            g_input_stream_read (in, &byte, 1, peer->cancellable, NULL);
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
  else
    {
      peer_respond (out, 404, "Not Found",
                    "{\"error\": {\"code\": \"not_found\", \"message\": \"Not found\"}}");
    }

out:
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_atomic_int_dec_and_test (&peer->n_active);
  return TRUE;
}

static gpointer
peer_thread (gpointer user_data)
{
  Peer *peer = user_data;
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (peer->context);

  service = g_threaded_socket_service_new (4);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (peer_run_cb), peer);
  g_socket_service_start (service);

  g_mutex_lock (&peer->lock);
  peer->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  peer->ready = TRUE;
  g_cond_signal (&peer->cond);
  g_mutex_unlock (&peer->lock);

  g_main_loop_run (peer->loop);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_main_context_pop_thread_default (peer->context);
  return NULL;
}

static Peer *
peer_new (PeerMode mode)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->mode = mode;
  peer->context = g_main_context_new ();
  peer->loop = g_main_loop_new (peer->context, FALSE);
  peer->cancellable = g_cancellable_new ();
  g_mutex_init (&peer->lock);
  g_cond_init (&peer->cond);
  peer->thread = g_thread_new ("peer", peer_thread, peer);

  g_mutex_lock (&peer->lock);
  while (!peer->ready)
    g_cond_wait (&peer->cond, &peer->lock);
  g_mutex_unlock (&peer->lock);

  return peer;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
peer_free (Peer *peer)
{
  g_cancellable_cancel (peer->cancellable);
  while (g_atomic_int_get (&peer->n_active) > 0)
    g_usleep (1000);

  g_main_context_invoke (peer->context, quit_loop_cb, peer->loop);
  g_thread_join (peer->thread);

  g_main_loop_unref (peer->loop);
  g_main_context_unref (peer->context);
  g_object_unref (peer->cancellable);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->cond);
  g_free (peer->url);
  g_free (peer);
}

/* Logs a cache in at the peer, makes a change, and syncs: the sync fails with
 * @expected_status and one line on stderr, and the change stays pending. */
static void
check_peer_with_cli (Fixture  *f,
                     PeerMode  mode,
                     int       expected_status)
{
  Peer *peer = peer_new (mode);
  const char *login[] = { "login", NULL, "alex", NULL };
  g_autofree char *err = NULL;
  g_autofree char *login_err = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) shown = NULL;

  login[1] = peer->url;
  g_assert_cmpint (cli_argv (f->cache_a, PASSWORD "\n", NULL, &login_err, login), ==, 0);

  id = cli_new (f->cache_a, "Scanner offline");
  g_assert_cmpint (cli (f->cache_a, NULL, &err, "sync", NULL), ==, expected_status);
  fl_test_assert_error_line (err, "firstline-cli");
  g_test_message ("sync said: %s", err);
  g_assert_cmpint (g_atomic_int_get (&peer->n_sync), >=, 1);

  g_assert_cmpuint (cli_pending (f->cache_a), ==, 1);
  shown = cli_show (f->cache_a, id);
  g_assert_true (json_object_get_boolean_member (ticket_of (shown), "pending"));

  peer_free (peer);

  /* The real server takes the kept op later. */
  cli_login (f->cache_a, f->server, "alex");
  cli_sync_ok (f->cache_a);
  g_assert_cmpuint (cli_pending (f->cache_a), ==, 0);
}

static void
test_peer_500 (Fixture       *f,
               gconstpointer  data)
{
  check_peer_with_cli (f, PEER_ERROR_500, 1);
}

static void
test_peer_close (Fixture       *f,
                 gconstpointer  data)
{
  check_peer_with_cli (f, PEER_CLOSE, 3);
}

static void
test_peer_broken_json (Fixture       *f,
                       gconstpointer  data)
{
  check_peer_with_cli (f, PEER_BROKEN_JSON, 1);
}

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Waiter;

static void
on_done_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Waiter *w = user_data;

  w->result = g_object_ref (result);
  g_main_loop_quit (w->loop);
}

/* A hanging server: the engine gives up after its timeout (set short here; the
 * CLI uses the default), and the op stays. */
static void
test_peer_hang (Fixture       *f,
                gconstpointer  data)
{
  Peer *peer = peer_new (PEER_HANG);
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) requester = json_object_new ();
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { g_main_loop_new (NULL, FALSE), NULL };
  gint64 start, elapsed;
  gboolean ok;

  store = fl_store_new (f->cache_a, &error);
  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  fl_sync_engine_set_timeout (engine, 1);

  fl_sync_engine_login_async (engine, peer->url, "alex", PASSWORD, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  ok = fl_sync_engine_login_finish (engine, w.result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_clear_object (&w.result);

  json_object_set_string_member (fields, "title", "Phone has no dial tone");
  json_object_set_string_member (fields, "category", "hardware");
  json_object_set_string_member (fields, "channel", "walk_in");
  json_object_set_string_member (requester, "name", "Mia");
  json_object_set_object_member (fields, "requester", g_steal_pointer (&requester));
  ticket = fl_store_create_ticket (store, fields, &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  fl_sync_engine_sync_async (engine, 0, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  ok = fl_sync_engine_sync_finish (engine, w.result, &error);
  elapsed = g_get_monotonic_time () - start;
  g_clear_object (&w.result);

  g_test_message ("hang: gave up after %" G_GINT64_FORMAT " ms: %s", elapsed / 1000,
                  error ? error->message : "");
  g_assert_false (ok);
  g_assert_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE);
  g_assert_cmpint (elapsed, >=, 900 * 1000);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (g_atomic_int_get (&peer->n_sync), >=, 1);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 1);

  g_clear_object (&engine);
  g_main_loop_unref (w.loop);
  peer_free (peer);
}

/* -------------------------------------------------------------------------- */
/* 6. Long poll                                                                  */

typedef struct
{
  GSubprocess *proc;
  gint64       exited_at;
} ExitWatch;

static gpointer
watch_exit_thread (gpointer user_data)
{
  ExitWatch *watch = user_data;

  g_subprocess_wait (watch->proc, NULL, NULL);
  watch->exited_at = g_get_monotonic_time ();
  return NULL;
}

static void
test_long_poll (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) in_b = NULL;
  ExitWatch watch = { NULL, 0 };
  GThread *thread;
  gint64 before_push, after_push;

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "jana");
  cli_sync_ok (f->cache_b);

  watch.proc = g_subprocess_launcher_spawn (launcher, &error, FL_TEST_CLI_PATH, "--cache", f->cache_b,
                                            "sync", "--wait", "20", NULL);
  g_assert_no_error (error);
  thread = g_thread_new ("watch", watch_exit_thread, &watch);

  /* Let B reach its long poll, then A makes a change. The server shows no parked
   * poll from outside; the window is also what the next assertion checks: B
   * has not exited with nothing to get. */
  g_usleep (G_USEC_PER_SEC * 3 / 2);
  g_assert_cmpint (watch.exited_at, ==, 0);

  id = cli_new (f->cache_a, "Projector in room 4 is blank");
  before_push = g_get_monotonic_time ();
  cli_sync_ok (f->cache_a);
  after_push = g_get_monotonic_time ();

  g_thread_join (thread);
  g_test_message ("long poll: B returned %" G_GINT64_FORMAT " ms after A's sync started, "
                  "%" G_GINT64_FORMAT " ms after it ended",
                  (watch.exited_at - before_push) / 1000, (watch.exited_at - after_push) / 1000);
  g_assert_cmpint (fl_test_exit_status (watch.proc), ==, 0);
  /* From the start of A's sync (which includes starting the program) to B having
   * the change in its cache and exiting: under a second (times the sanitizers'
   * slowdown: starting and leak-checking both programs dominates there). */
  g_assert_cmpint (watch.exited_at - before_push, <, G_USEC_PER_SEC * fl_test_slowdown ());

  in_b = cli_show (f->cache_b, id);
  g_assert_cmpint (json_object_get_int_member (ticket_of (in_b), "number"), >, 0);

  g_object_unref (watch.proc);
}

/* -------------------------------------------------------------------------- */
/* 7. Revoked token                                                              */

static void
test_revoked_token (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *caches[] = { f->cache_a, NULL };
  FlCredentialsBackend backend = FL_CREDENTIALS_SECRET_SERVICE;
  guint status = 0;
  g_autoptr(JsonNode) answer = NULL;

  cli_login (f->cache_a, f->server, "alex");
  id = cli_new (f->cache_a, "Badge reader rejects card");
  count_op (expected, id);
  cli_sync_ok (f->cache_a);

  /* The cache's own token, from where the login put it. */
  store = fl_store_new (f->cache_a, &error);
  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  url = fl_sync_engine_dup_server_url (engine);
  g_assert_nonnull (url);
  token = fl_credentials_lookup_token (url, fl_store_get_username (store), &backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpint (backend, ==, FL_CREDENTIALS_FILE);
  g_clear_object (&engine);
  g_clear_object (&store);

  answer = http_request (&f->http, f->server, "DELETE", "/api/v1/session", token, NULL, &status);
  g_assert_cmpuint (status, ==, 204);

  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "note", id, "Tried another card", NULL), ==, 0);
  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "claim", id, NULL), ==, 0);
  count_op (expected, id);
  count_op (expected, id);

  g_assert_cmpint (cli (f->cache_a, NULL, &err, "sync", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_test_message ("sync said: %s", err);
  g_assert_cmpuint (cli_pending (f->cache_a), ==, 2);

  /* Log in again: the kept ops go out. */
  cli_login (f->cache_a, f->server, "alex");
  cli_sync_ok (f->cache_a);
  assert_converged (f, caches, expected);
}

/* -------------------------------------------------------------------------- */
/* Checklists                                                                    */

static void
test_checklists (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  g_autofree char *published = NULL;
  g_autofree char *definition = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *file = g_build_filename (f->dir, "vpn.json", NULL);
  g_autofree char *bad_file = g_build_filename (f->dir, "cycle.json", NULL);
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) list2 = NULL;
  g_autoptr(JsonNode) shown = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  JsonObject *vpn = NULL;
  JsonArray *checklists, *events;
  gint64 version = 0;

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "lee");
  cli_sync_ok (f->cache_a);

  /* The server's built-in checklists arrived with the sync. */
  g_assert_cmpint (cli (f->cache_a, &out, NULL, "checklist", "list", "--json", NULL), ==, 0);
  list = parse_json (out);
  checklists = json_object_get_array_member (json_node_get_object (list), "checklists");
  g_assert_cmpuint (json_array_get_length (checklists), >=, 1);
  for (guint i = 0; i < json_array_get_length (checklists); i++)
    {
      JsonObject *c = json_array_get_object_element (checklists, i);

      if (g_str_equal (json_object_get_string_member (c, "id"), "vpn"))
        vpn = c;
    }
  g_assert_nonnull (vpn);
  version = json_object_get_int_member (vpn, "version");
  g_assert_cmpstr (json_object_get_string_member (vpn, "start"), ==, "internet-ok");

  g_assert_cmpint (cli (f->cache_a, &text, NULL, "checklist", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (text, "vpn"));

  /* A guided step on a ticket: the current step goes in, another one does not. */
  id = cli_new (f->cache_a, "VPN fails at home");
  g_assert_cmpint (cli (f->cache_a, NULL, &err, "step", id, "vpn", "home-network", "done", NULL),
                   ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "step", id, "vpn", "internet-ok", "yes", NULL), ==, 0);
  cli_sync_ok (f->cache_a);

  on_server = http_ticket (&f->http, f->server, id);
  events = json_object_get_array_member (json_node_get_object (on_server), "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 2);
  {
    JsonObject *step = json_array_get_object_element (events, 1);
    JsonObject *step_data = json_object_get_object_member (step, "data");

    g_assert_cmpstr (json_object_get_string_member (step, "type"), ==, "checklist");
    g_assert_cmpstr (json_object_get_string_member (step_data, "checklist_id"), ==, "vpn");
    g_assert_cmpstr (json_object_get_string_member (step_data, "step_id"), ==, "internet-ok");
    g_assert_cmpstr (json_object_get_string_member (step_data, "outcome"), ==, "yes");
  }
  shown = cli_show (f->cache_a, id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (shown),
                                                                         "events")), ==, 2);

  /* Publishing: a lead may, with a new title; the version goes up by one. */
  json_object_set_object_member (vpn, "title", json_object_new ());
  json_object_set_string_member (json_object_get_object_member (vpn, "title"), "de", "VPN (neu)");
  json_object_set_string_member (json_object_get_object_member (vpn, "title"), "en", "VPN (new)");
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), vpn);
    definition = json_to_string (node, TRUE);
  }
  g_assert_true (g_file_set_contents (file, definition, -1, NULL));

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f->cache_a, NULL, &err, "checklist", "publish", file, NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");

  g_assert_cmpint (cli (f->cache_b, &published, NULL, "checklist", "publish", file, NULL), ==, 0);
  g_assert_nonnull (strstr (published, "vpn"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f->cache_b, &out, NULL, "checklist", "list", "--json", NULL), ==, 0);
  list2 = parse_json (out);
  checklists = json_object_get_array_member (json_node_get_object (list2), "checklists");
  for (guint i = 0; i < json_array_get_length (checklists); i++)
    {
      JsonObject *c = json_array_get_object_element (checklists, i);

      if (g_str_equal (json_object_get_string_member (c, "id"), "vpn"))
        {
          g_assert_cmpint (json_object_get_int_member (c, "version"), ==, version + 1);
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (c, "title"),
                                                          "en"), ==, "VPN (new)");
        }
    }

  /* The server validates: a step pointing at itself is a cycle. */
  bad = g_strdup ("{\"id\": \"loop\", \"version\": 1, \"category\": \"other\","
                  " \"title\": {\"de\": \"Schleife\", \"en\": \"Loop\"}, \"start\": \"a\","
                  " \"steps\": [{\"id\": \"a\", \"kind\": \"check\","
                  " \"text\": {\"de\": \"A\", \"en\": \"A\"}, \"next\": \"a\"}]}");
  g_assert_true (g_file_set_contents (bad_file, bad, -1, NULL));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f->cache_b, NULL, &err, "checklist", "publish", bad_file, NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
}

/* `step` replays a ticket on the checklist version it started with, as the app
 * does: a newer version published meanwhile (here with a step renamed) applies
 * only to tickets that start afterwards. */
static void
test_checklist_version (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *definition = NULL;
  g_autofree char *file = g_build_filename (f->dir, "vpn.json", NULL);
  g_autoptr(JsonNode) list = NULL;
  JsonArray *checklists, *steps;
  JsonObject *vpn = NULL;

  cli_login (f->cache_a, f->server, "alex");
  cli_login (f->cache_b, f->server, "lee");
  cli_sync_ok (f->cache_a);

  old_id = cli_new (f->cache_a, "VPN fails at home");
  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "step", old_id, "vpn", "internet-ok", "yes", NULL),
                   ==, 0);

  /* The next version calls "error-message" "error-text". */
  cli_sync_ok (f->cache_b);
  g_assert_cmpint (cli (f->cache_b, &out, NULL, "checklist", "list", "--json", NULL), ==, 0);
  list = parse_json (out);
  checklists = json_object_get_array_member (json_node_get_object (list), "checklists");
  for (guint i = 0; i < json_array_get_length (checklists); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (checklists, i),
                                                    "id"), "vpn"))
      vpn = json_array_get_object_element (checklists, i);
  g_assert_nonnull (vpn);
  steps = json_object_get_array_member (vpn, "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);
      const char *id = json_object_get_string_member (step, "id");

      if (g_str_equal (id, "error-message"))
        json_object_set_string_member (step, "id", "error-text");
      else if (g_str_equal (id, "internet-ok") || g_str_equal (id, "internet-after"))
        json_object_set_string_member (step, "yes", "error-text");
    }
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), vpn);
    definition = json_to_string (node, TRUE);
  }
  g_assert_true (g_file_set_contents (file, definition, -1, NULL));
  g_assert_cmpint (cli (f->cache_b, NULL, NULL, "checklist", "publish", file, NULL), ==, 0);
  cli_sync_ok (f->cache_a);

  /* The ticket that started on the old version goes on with it. */
  g_assert_cmpint (cli (f->cache_a, NULL, &err, "step", old_id, "vpn", "error-message", "done",
                        "--value", "809", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");

  /* A ticket that starts now gets the new one. */
  new_id = cli_new (f->cache_a, "VPN fails again");
  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "step", new_id, "vpn", "internet-ok", "yes", NULL),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f->cache_a, NULL, &err, "step", new_id, "vpn", "error-message", "done",
                        "--value", "809", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_cmpint (cli (f->cache_a, NULL, NULL, "step", new_id, "vpn", "error-text", "done",
                        "--value", "809", NULL), ==, 0);
}

/* -------------------------------------------------------------------------- */
/* 9. Reset: the server lost our cursor                                          */

typedef struct
{
  guint n_sync_new;             /* tickets new to the cache, reported as pulled */
  guint n_reset_new;            /* … reported as pulled again after a reset */
} NewCounts;

static void
on_changed_new_cb (FlStore   *store,
                   GPtrArray *changes,
                   NewCounts *counts)
{
  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);

      if (c->old_ticket != NULL || c->new_ticket == NULL)
        continue;
      if (fl_store_get_change_origin (store) == FL_STORE_ORIGIN_RESET)
        counts->n_reset_new++;
      else if (fl_store_get_change_origin (store) == FL_STORE_ORIGIN_SYNC)
        counts->n_sync_new++;
    }
}

/* A ticket created by lee, straight over HTTP; returns its id. */
static char *
create_ticket_http (Http       *h,
                    Server     *s,
                    const char *title)
{
  g_autofree char *client = fl_uuid_new ();
  g_autofree char *op_id = fl_uuid_new ();
  g_autofree char *ticket_id = fl_uuid_new ();
  g_autofree char *body = g_strdup_printf (
    "{\"client_id\": \"%s\", \"ops\": [{\"op_id\": \"%s\", \"ticket_id\": \"%s\","
    " \"type\": \"create\", \"data\": {\"title\": \"%s\", \"category\": \"printer\","
    " \"channel\": \"phone\", \"requester\": {\"name\": \"Paul\"}}}]}",
    client, op_id, ticket_id, title);
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  node = http_request (h, s, "POST", "/api/v1/sync", h->token, body, &status);
  g_assert_cmpuint (status, ==, 200);
  return g_steal_pointer (&ticket_id);
}

static void
run_engine_sync (FlSyncEngine *engine,
                 Waiter       *w)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  fl_sync_engine_sync_async (engine, 0, NULL, on_done_cb, w);
  g_main_loop_run (w->loop);
  ok = fl_sync_engine_sync_finish (engine, w->result, &error);
  g_clear_object (&w->result);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* The tickets pulled again after a reset come as "changed::reset", not as news. */
static void
test_reset_origin (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { g_main_loop_new (NULL, FALSE), NULL };
  NewCounts counts = { 0, 0 };
  gboolean ok;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *title = g_strdup_printf ("Reset %u", i);

      g_free (create_ticket_http (&f->http, f->server, title));
    }

  store = fl_store_new (f->cache_a, &error);
  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  fl_sync_engine_login_async (engine, f->server->url, "alex", PASSWORD, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  ok = fl_sync_engine_login_finish (engine, w.result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_clear_object (&w.result);

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_new_cb), &counts);
  run_engine_sync (engine, &w);
  g_assert_cmpuint (counts.n_sync_new, ==, 3);
  g_assert_cmpuint (counts.n_reset_new, ==, 0);

  /* as if the server came back from an older backup */
  g_assert_true (fl_store_set_state (store, "cursor", "999999", &error));
  g_assert_no_error (error);
  run_engine_sync (engine, &w);
  g_test_message ("after the reset: %u new as pulled, %u as pulled again",
                  counts.n_sync_new, counts.n_reset_new);
  g_assert_cmpuint (counts.n_sync_new, ==, 3);
  g_assert_cmpuint (counts.n_reset_new, ==, 3);
  g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_ALL, NULL, NULL), ==, 3);

  g_clear_object (&engine);
  g_main_loop_unref (w.loop);
}

/* -------------------------------------------------------------------------- */
/* 10. Presence is news                                                          */

typedef struct
{
  FlSyncEngine *engine;
  const char   *ticket_id;
} PresenceWait;

static void
on_last_sync_cb (GObject    *engine,
                 GParamSpec *pspec,
                 guint      *rounds)
{
  (*rounds)++;
}

static gboolean
rounds_past (guint *rounds)
{
  return rounds[0] > rounds[1];
}

static gboolean
lee_is_on (gpointer data)
{
  PresenceWait *pw = data;
  g_autoptr(GPtrArray) list = fl_sync_engine_list_presence (pw->engine, pw->ticket_id);

  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (((FlPresence *) g_ptr_array_index (list, i))->username, "lee") == 0)
      return TRUE;
  return FALSE;
}

/* The app's long poll, woken again and again because someone moves between
 * tickets: each answer brings news (the presence), so the engine polls on at
 * once instead of backing off as from a server that answers with nothing. */
static void
test_presence_news (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lee_client = fl_uuid_new ();
  g_autofree char *id_1 = NULL;
  g_autofree char *id_2 = NULL;
  const char *ids[2];
  Waiter w = { g_main_loop_new (NULL, FALSE), NULL };
  guint rounds[2] = { 0, 0 };   /* answers applied; the count before a change */
  gint64 worst = 0;
  gboolean ok;

  ids[0] = id_1 = create_ticket_http (&f->http, f->server, "Presence 1");
  ids[1] = id_2 = create_ticket_http (&f->http, f->server, "Presence 2");

  store = fl_store_new (f->cache_a, &error);
  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  fl_sync_engine_login_async (engine, f->server->url, "alex", PASSWORD, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  ok = fl_sync_engine_login_finish (engine, w.result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_clear_object (&w.result);

  g_signal_connect (engine, "notify::last-sync", G_CALLBACK (on_last_sync_cb), &rounds[0]);
  fl_sync_engine_start (engine);
  /* Let the engine reach its long poll. */
  fl_test_spin_for (1000);

  /* Three answers in a row that bring nothing pause the engine; these bring news. */
  for (guint i = 0; i < 10; i++)
    {
      PresenceWait pw = { engine, ids[i % 2] };
      g_autofree char *body = g_strdup_printf ("{\"client_id\": \"%s\", \"viewing\": \"%s\"}",
                                               lee_client, ids[i % 2]);
      g_autoptr(JsonNode) node = NULL;
      gint64 bound = (gint64) G_USEC_PER_SEC * fl_test_slowdown ();
      gint64 start;
      guint status = 0;

      /* After the answer that showed the last change the engine pulls once
       * at once (not after a pause, as after empty answers), then waits in
       * its long poll. A change made before that poll arrives would wait for
       * the next wake: give the poll time to arrive. */
      start = g_get_monotonic_time ();
      while (i > 0 && !rounds_past (rounds) && g_get_monotonic_time () - start < bound)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      worst = MAX (worst, g_get_monotonic_time () - start);
      if (i > 0 && !rounds_past (rounds))
        g_error ("no sync within %" G_GINT64_FORMAT " ms after presence change %u",
                 bound / 1000, i - 1);
      fl_test_spin_for (200);
      node = http_request (&f->http, f->server, "POST", "/api/v1/sync", f->http.token, body,
                           &status);
      g_assert_cmpuint (status, ==, 200);

      start = g_get_monotonic_time ();
      while (!lee_is_on (&pw) && g_get_monotonic_time () - start < bound)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      rounds[1] = rounds[0];
      worst = MAX (worst, g_get_monotonic_time () - start);
      if (!lee_is_on (&pw))
        g_error ("presence change %u not seen within %" G_GINT64_FORMAT " ms", i, bound / 1000);
    }
  g_test_message ("10 presence changes: the slowest wait %" G_GINT64_FORMAT " ms", worst / 1000);

  fl_sync_engine_stop (engine);
  fl_test_spin_for (200);
  g_clear_object (&engine);
  g_main_loop_unref (w.loop);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG_DATA_DIRS hold no GSettings schemas, which GIO's desktop
   * proxy resolver would need: use none (everything here is on 127.0.0.1). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* In-process credential lookups use the same fallback file as the children. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DISPLAY");

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/sync/offline-create", test_offline_create);
  ADD ("/sync/random-ops", test_random_ops);
  ADD ("/sync/conflict/keep-mine", test_conflict_keep_mine);
  ADD ("/sync/conflict/take-theirs", test_conflict_take_theirs);
  ADD ("/sync/kill-during-sync", test_kill_during_sync);
  ADD ("/sync/peer/error-500", test_peer_500);
  ADD ("/sync/peer/close", test_peer_close);
  ADD ("/sync/peer/broken-json", test_peer_broken_json);
  ADD ("/sync/peer/hang", test_peer_hang);
  ADD ("/sync/long-poll", test_long_poll);
  ADD ("/sync/revoked-token", test_revoked_token);
  ADD ("/sync/checklists", test_checklists);
  ADD ("/sync/checklist-version", test_checklist_version);
  ADD ("/sync/reset-origin", test_reset_origin);
  ADD ("/sync/presence-news", test_presence_news);
#undef ADD

  return g_test_run ();
}
