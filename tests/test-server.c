/* test-server.c — the real firstline-server over HTTP
 *
 * Every test talks to the real binary (env FIRSTLINE_SERVER) on 127.0.0.1, port 0,
 * with a temporary data directory. Most tests share one server; the ones about
 * restarts and crashes start their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "fl-test-util.h"
#include "fl-types.h"

typedef FlTestServer Server;   /* url: http://127.0.0.1:PORT */

/* A cursor far beyond any seq: the answer is a reset without changes (cheap). */
#define NO_CHANGES G_MAXINT32

static Server *shared;
static gint push_progress;      /* batches acknowledged, all pushers */
static char *tok_alex, *tok_jana, *tok_sam, *tok_lee;

static int
run_cli (const char  *stdin_text,
         char       **out_stderr,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
  va_start (ap, out_stderr);
  while ((arg = va_arg (ap, const char *)) != NULL)
    {
      gboolean dir = argv->len > 0 &&
                     g_strcmp0 (g_ptr_array_index (argv, argv->len - 1), "--data-dir") == 0;

      g_ptr_array_add (argv, (gpointer) arg);
      if (dir)
        fl_test_add_database_args (argv, arg);
    }
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  return fl_test_run ((const char * const *) argv->pdata, stdin_text, NULL, out_stderr);
}

/* One HTTP request to the API; returns the parsed JSON body (NULL when empty). */
static JsonNode *
http (Server      *s,
      const char  *method,
      const char  *path,
      const char  *token,
      const char  *body,
      guint       *status,
      char       **retry_after)
{
  g_autofree char *url = g_strconcat (s->url, "/api/v1", path, NULL);

  return fl_test_http_full (NULL, method, url, token, body, status, retry_after);
}

/* Expects @status and returns the body as an object (never NULL for JSON bodies). */
static JsonNode *
expect (Server     *s,
        const char *method,
        const char *path,
        const char *token,
        const char *body,
        guint       expected)
{
  guint status = 0;
  JsonNode *node = http (s, method, path, token, body, &status, NULL);

  if (status != expected)
    g_error ("%s %s: expected %u, got %u: %s", method, path, expected, status,
             node ? json_to_string (node, FALSE) : "");
  return node;
}

/* Checks that the body is {"error": {"code": CODE, "message": S}}. */
static void
expect_error (Server     *s,
              const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(JsonNode) node = expect (s, method, path, token, body, status);
  JsonObject *err;

  g_assert_nonnull (node);
  err = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_nonnull (err);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (err, "message")) > 0);
}

static char *
login (Server     *s,
       const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"pw-%s\"}", name, name);
  g_autoptr(JsonNode) node = expect (s, "POST", "/session", NULL, body, 200);
  JsonObject *obj = json_node_get_object (node);

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "user"),
                                                  "username"), ==, name);
  return g_strdup (json_object_get_string_member (obj, "token"));
}

static char *
op_json (const char *op_id,
         const char *ticket_id,
         const char *type,
         gint64      base_version,
         const char *at,
         const char *data)
{
  return g_strdup_printf ("{\"op_id\":\"%s\",\"ticket_id\":\"%s\",\"type\":\"%s\","
                          "\"base_version\":%" G_GINT64_FORMAT ",\"at\":%s%s%s,\"data\":%s}",
                          op_id, ticket_id, type, base_version,
                          at ? "\"" : "", at ? at : "null", at ? "\"" : "", data);
}

static char *
create_data (const char *title,
             const char *category)
{
  return g_strdup_printf ("{\"title\":\"%s\",\"requester\":{\"name\":\"Jana Krüger\","
                          "\"department\":\"Buchhaltung\"},\"category\":\"%s\","
                          "\"channel\":\"phone\",\"impact\":\"high\",\"urgency\":\"high\"}",
                          title, category);
}

/* Pushes @ops (a JSON array text) and returns the response object. */
static JsonNode *
sync_ops (Server     *s,
          const char *token,
          const char *client_id,
          gint64      cursor,
          const char *ops)
{
  g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                                           ",\"ops\":[%s]}", client_id, cursor, ops);
  return expect (s, "POST", "/sync", token, body, 200);
}

static JsonObject *
result_n (JsonNode *response,
          guint     n)
{
  JsonArray *results = json_object_get_array_member (json_node_get_object (response), "results");

  g_assert_cmpuint (json_array_get_length (results), >, n);
  return json_array_get_object_element (results, n);
}

/* Applies one op and returns its result status; *out (optional) gets the result. */
static char *
push1 (const char  *token,
       const char  *client_id,
       const char  *ticket_id,
       const char  *type,
       gint64       base_version,
       const char  *data,
       JsonNode   **out)
{
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *op = op_json (op_id, ticket_id, type, base_version, NULL, data);
  g_autoptr(JsonNode) response = sync_ops (shared, token, client_id, NO_CHANGES, op);
  JsonObject *r = result_n (response, 0);
  char *status = g_strdup (json_object_get_string_member (r, "status"));

  g_assert_cmpstr (json_object_get_string_member (r, "op_id"), ==, op_id);
  if (out)
    *out = json_node_ref (response);
  return status;
}

static JsonObject *
get_ticket (const char *ticket_id,
            JsonNode  **holder)
{
  g_autofree char *path = g_strconcat ("/tickets/", ticket_id, NULL);

  *holder = expect (shared, "GET", path, tok_alex, NULL, 200);
  return json_object_get_object_member (json_node_get_object (*holder), "ticket");
}

/* Creates a ticket as alex and returns its id. */
static char *
new_ticket (const char *client_id,
            const char *title)
{
  g_autofree char *data = create_data (title, "network");
  char *ticket_id = g_uuid_string_random ();
  g_autofree char *status = push1 (tok_alex, client_id, ticket_id, "create", 0, data, NULL);

  g_assert_cmpstr (status, ==, "applied");
  return ticket_id;
}

static const char *
error_code (JsonObject *result)
{
  return json_object_get_string_member (json_object_get_object_member (result, "error"), "code");
}

static gint64 latest_cursor (Server     *s,
                             const char *token);

/* -------------------------------------------------------------------------- */
/* Tests */

static void
test_cli (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  g_autofree char *backup = g_build_filename (dir, "backup.db", NULL);
  g_autofree char *err = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (run_cli (NULL, &err, "--data-dir", dir, "frobnicate", NULL), ==, 2);
  g_assert_true (g_str_has_prefix (err, "firstline-server: "));
  g_assert_cmpint (strchr (err, '\n') - err, ==, (int) strlen (err) - 1);   /* one line */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, NULL, "--no-such-option", NULL), ==, 2);
  g_assert_cmpint (run_cli ("pw\n", NULL, "--data-dir", dir, "user", "add", "x", NULL), ==, 2);
  g_assert_cmpint (run_cli ("pw\n", NULL, "--data-dir", dir, "user", "add", "x", "--role", "boss", NULL), ==, 2);
  g_assert_cmpint (run_cli ("\n", NULL, "--data-dir", dir, "user", "add", "x", "--role", "agent", NULL), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, "--data-dir", dir, "--tls-cert", "/nonexistent", NULL), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, "--data-dir", dir, "--tls-cert", "/nonexistent",
                            "--tls-key", "/nonexistent", NULL), ==, 1);
  g_assert_cmpint (run_cli (NULL, NULL, "--data-dir", dir, "--listen", "nohost:80", NULL), ==, 1);

  g_assert_cmpint (run_cli ("pw-x\n", NULL, "--data-dir", dir, "user", "add", "x", "--role", "agent",
                            "--display-name", "Xaver Xander", NULL), ==, 0);
  g_assert_cmpint (run_cli ("pw-x\n", &err, "--data-dir", dir, "user", "add", "x", "--role", "lead", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "firstline-server: "));

  if (!fl_test_database_is_sqlite ())
    {
      /* PostgreSQL is backed up with pg_dump (docs/server.md). */
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_cli (NULL, &err, "--data-dir", dir, "backup", backup, NULL), ==, 1);
      g_assert_nonnull (strstr (err, "pg_dump"));
      return;
    }
  g_assert_cmpint (run_cli (NULL, NULL, "--data-dir", dir, "backup", backup, NULL), ==, 0);
  g_assert_cmpint (run_cli (NULL, NULL, "--data-dir", dir, "backup", backup, NULL), ==, 1);
  g_assert_cmpint (sqlite3_open_v2 (backup, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT display_name, role, password_hash FROM users",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "Xaver Xander");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "agent");
  g_assert_true (g_str_has_prefix ((const char *) sqlite3_column_text (stmt, 2), "$argon2id$"));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  fl_test_rm_rf (dir);
}

static void
test_errors (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *ticket = g_uuid_string_random ();
  g_autofree char *body = NULL;
  g_autofree char *big = NULL;
  g_autoptr(JsonNode) health = expect (shared, "GET", "/health", NULL, NULL, 200);
  g_autoptr(GString) ops = g_string_new (NULL);
  g_autoptr(JsonNode) holder = NULL;
  guint status = 0;

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (health), "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (health), "version"), ==,
                   PACKAGE_VERSION);

  expect_error (shared, "GET", "/nothing", tok_alex, NULL, 404, "not_found");
  expect_error (shared, "GET", "/tickets/a/b", tok_alex, NULL, 404, "not_found");
  expect_error (shared, "DELETE", "/health", NULL, NULL, 405, "method_not_allowed");
  expect_error (shared, "GET", "/sync", tok_alex, NULL, 405, "method_not_allowed");
  expect_error (shared, "GET", "/me", NULL, NULL, 401, "unauthorized");
  expect_error (shared, "GET", "/me", "0123456789abcdef", NULL, 401, "unauthorized");
  expect_error (shared, "GET", "/tickets", NULL, NULL, 401, "unauthorized");
  expect_error (shared, "POST", "/sync", tok_alex, "not json", 400, "bad_request");
  expect_error (shared, "POST", "/sync", tok_alex, "[1,2]", 400, "bad_request");
  expect_error (shared, "POST", "/sync", tok_alex, "{\"client_id\":\"nope\"}", 400, "bad_request");
  expect_error (shared, "POST", "/sync", tok_alex, "{\"cursor\":0}", 422, "unprocessable");
  expect_error (shared, "POST", "/session", NULL, "{\"username\":1,\"password\":2}", 400, "bad_request");
  /* libsoup's own refusals carry the JSON error too */
  expect_error (shared, "GET", "/tickets/%00", tok_alex, NULL, 400, "bad_request");
  /* parameters are checked, not clamped or overflowed */
  expect_error (shared, "GET", "/tickets?level=3", tok_alex, NULL, 422, "unprocessable");
  expect_error (shared, "GET", "/tickets?from=2026-01-01T00:00:60.000Z", tok_alex, NULL, 400,
                "bad_request");
  {
    /* the last day GDateTime knows: up to its end, no GLib-CRITICAL */
    g_autoptr(JsonNode) far = expect (shared, "GET", "/reports/summary?to=9999-12-31", tok_lee, NULL, 200);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (far), "to"), ==,
                     "9999-12-31T23:59:59.999Z");
  }

  /* deep nesting is refused, not parsed recursively */
  big = g_strnfill (100000, '[');
  expect_error (shared, "POST", "/sync", tok_alex, big, 400, "bad_request");
  g_clear_pointer (&big, g_free);

  /* ... also when comments hide closing brackets from a naive count: json-glib
   * skips comments, so the nesting inside would overflow its stack */
  {
    g_autofree char *closes = g_strnfill (100000, ']');
    g_autofree char *opens = g_strnfill (100000, '[');
    const char *paths[] = { "/session", "/sync", "/checklists/evil" };
    const char *methods[] = { "POST", "POST", "PUT" };

    big = g_strconcat ("/*", closes, "*/", opens, closes, NULL);
    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      expect_error (shared, methods[i], paths[i], i == 0 ? NULL : tok_lee, big, 400, "bad_request");
    g_clear_pointer (&big, g_free);
    big = g_strconcat ("{\"username\": // ", closes, "\n", opens, closes, "}", NULL);
    expect_error (shared, "POST", "/session", NULL, big, 400, "bad_request");
    g_clear_pointer (&big, g_free);
    /* a NUL escaped in a string would cut the text short */
    expect_error (shared, "POST", "/session", NULL,
                  "{\"username\":\"alex\\u0000x\",\"password\":\"x\"}", 400, "bad_request");
  }
  {
    /* still serving */
    g_autoptr(JsonNode) again = expect (shared, "GET", "/health", NULL, NULL, 200);
    g_assert_nonnull (again);
  }

  /* a malformed op fails the whole request; nothing is applied */
  {
    g_autofree char *good = op_json ("11111111-2222-4333-8444-555555555555", ticket, "create", 0, NULL,
                                     "{\"title\":\"t\",\"requester\":{\"name\":\"n\"},\"category\":\"c\",\"channel\":\"phone\"}");
    g_autofree char *bad = op_json ("not-a-uuid", ticket, "note", 1, NULL, "{\"body\":\"x\"}");
    g_autofree char *path = g_strconcat ("/tickets/", ticket, NULL);

    body = g_strdup_printf ("{\"client_id\":\"%s\",\"ops\":[%s,%s]}", client, good, bad);
    expect_error (shared, "POST", "/sync", tok_alex, body, 400, "bad_request");
    g_clear_pointer (&body, g_free);
    body = g_strdup_printf ("{\"client_id\":\"%s\",\"ops\":[%s,{\"op_id\":\"%s\"}]}", client, good, client);
    expect_error (shared, "POST", "/sync", tok_alex, body, 422, "unprocessable");
    g_clear_pointer (&body, g_free);
    expect_error (shared, "GET", path, tok_alex, NULL, 404, "not_found");
  }

  /* more than 500 ops: 422, nothing applied */
  for (guint i = 0; i < 501; i++)
    {
      g_autofree char *op_id = g_uuid_string_random ();
      g_autofree char *op = op_json (op_id, ticket, i == 0 ? "create" : "note", i, NULL,
                                     i == 0 ? "{\"title\":\"t\",\"requester\":{\"name\":\"n\"},\"category\":\"c\",\"channel\":\"phone\"}"
                                            : "{\"body\":\"x\"}");
      g_string_append_printf (ops, "%s%s", i ? "," : "", op);
    }
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"ops\":[%s]}", client, ops->str);
  expect_error (shared, "POST", "/sync", tok_alex, body, 422, "unprocessable");
  {
    g_autofree char *path = g_strconcat ("/tickets/", ticket, NULL);
    expect_error (shared, "GET", path, tok_alex, NULL, 404, "not_found");
  }

  /* over 1 MiB */
  big = g_strnfill (1024 * 1024 + 10, ' ');
  expect_error (shared, "POST", "/sync", tok_alex, big, 413, "payload_too_large");

  expect_error (shared, "GET", "/tickets/not-a-uuid", tok_alex, NULL, 400, "bad_request");
  expect_error (shared, "GET", "/tickets/00000000-0000-4000-8000-000000000000", tok_alex, NULL, 404, "not_found");
  expect_error (shared, "GET", "/tickets?status=bogus", tok_alex, NULL, 422, "unprocessable");
  expect_error (shared, "GET", "/tickets?from=yesterday", tok_alex, NULL, 400, "bad_request");
  expect_error (shared, "GET", "/tickets?limit=many", tok_alex, NULL, 400, "bad_request");
  expect_error (shared, "PUT", "/checklists/vpn", tok_lee, "{\"id\":", 400, "bad_request");

  /* the server is still fine */
  holder = http (shared, "GET", "/health", NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

static void
test_roles (void)
{
  g_autoptr(JsonNode) me = expect (shared, "GET", "/me", tok_sam, NULL, 200);
  g_autoptr(JsonNode) users = expect (shared, "GET", "/users", tok_jana, NULL, 200);
  g_autoptr(JsonNode) report = NULL;
  JsonArray *list;

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (me), "role"), ==, "specialist");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (me), "username"), ==, "sam");
  g_assert_true (json_object_has_member (json_node_get_object (me), "display_name"));

  list = json_object_get_array_member (json_node_get_object (users), "users");
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_false (json_object_has_member (json_array_get_object_element (list, i), "password_hash"));

  /* reports and publishing checklists: lead only */
  expect_error (shared, "GET", "/reports/summary", tok_alex, NULL, 403, "forbidden");
  expect_error (shared, "GET", "/reports/summary", tok_sam, NULL, 403, "forbidden");
  report = expect (shared, "GET", "/reports/summary", tok_lee, NULL, 200);
  expect_error (shared, "PUT", "/checklists/vpn", tok_jana, "{}", 403, "forbidden");
  expect_error (shared, "PUT", "/checklists/vpn", tok_sam, "{}", 403, "forbidden");

  /* everyone may read */
  {
    const char *tokens[] = { tok_alex, tok_sam, tok_lee };
    for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
      {
        g_autoptr(JsonNode) a = expect (shared, "GET", "/tickets", tokens[i], NULL, 200);
        g_autoptr(JsonNode) b = expect (shared, "GET", "/checklists", tokens[i], NULL, 200);
      }
  }
}

static void
test_session (void)
{
  g_autofree char *token = login (shared, "jana");
  g_autoptr(JsonNode) wrong = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  g_autoptr(JsonNode) me = NULL;
  guint s1 = 0, s2 = 0;

  g_assert_cmpuint (strlen (token), >=, 32);

  wrong = http (shared, "POST", "/session", NULL, "{\"username\":\"jana\",\"password\":\"nope\"}", &s1, NULL);
  unknown = http (shared, "POST", "/session", NULL, "{\"username\":\"nobody\",\"password\":\"nope\"}", &s2, NULL);
  g_assert_cmpuint (s1, ==, 401);
  g_assert_cmpuint (s2, ==, 401);
  g_assert_true (json_node_equal (wrong, unknown));

  me = expect (shared, "GET", "/me", token, NULL, 200);
  g_assert_null (expect (shared, "DELETE", "/session", token, NULL, 204));
  expect_error (shared, "GET", "/me", token, NULL, 401, "unauthorized");
  expect_error (shared, "POST", "/sync", token, "{}", 401, "unauthorized");
}

static void
test_rate_limit (void)
{
  g_autofree char *retry = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(JsonNode) n = http (shared, "POST", "/session", NULL,
                                    "{\"username\":\"ghost\",\"password\":\"guess\"}", &status, NULL);
      g_assert_cmpuint (status, ==, 401);
    }

  node = http (shared, "POST", "/session", NULL, "{\"username\":\"ghost\",\"password\":\"guess\"}",
               &status, &retry);
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "error"), "code"),
                   ==, "too_many_requests");
  g_assert_nonnull (retry);
  g_assert_cmpint (atoi (retry), >, 0);
  g_assert_cmpint (atoi (retry), <=, 300);

  /* other users are not affected */
  g_free (login (shared, "sam"));
}

static void
test_ops (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *lead_client = g_uuid_string_random ();
  g_autofree char *ticket = g_uuid_string_random ();
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *data = create_data ("Drucker offline", "printer");
  g_autofree char *two_days_ago = fl_time_format (fl_time_now () - 2 * 24 * 3600 * 1000LL);
  g_autofree char *op = op_json (op_id, ticket, "create", 0, two_days_ago, data);
  g_autoptr(JsonNode) response = sync_ops (shared, tok_alex, client, NO_CHANGES, op);
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *r = result_n (response, 0);
  JsonObject *t;
  JsonArray *events;
  gint64 number = json_object_get_int_member (r, "number");
  char *st;

  /* create */
  g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "applied");
  g_assert_cmpint (json_object_get_int_member (r, "version"), ==, 1);
  g_assert_cmpint (number, >, 0);
  t = get_ticket (ticket, &holder);
  g_assert_cmpint (json_object_get_int_member (t, "number"), ==, number);
  g_assert_cmpstr (json_object_get_string_member (t, "created_at"), ==, two_days_ago);
  {
    /* P1: due 4 hours later */
    gint64 created = 0, due_at = 0;

    g_assert_true (fl_time_parse (two_days_ago, &created));
    g_assert_true (fl_time_parse (json_object_get_string_member (t, "due_at"), &due_at));
    g_assert_cmpint (due_at - created, ==, 4 * 3600 * 1000LL);
  }
  g_assert_cmpint (json_object_get_int_member (t, "priority"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "new");
  g_assert_cmpstr (json_object_get_string_member (t, "created_by"), ==, "alex");
  g_assert_cmpstr (json_object_get_string_member (t, "queue"), ==, "first-level");
  events = json_object_get_array_member (json_node_get_object (holder), "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0), "id"), ==, op_id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0), "author"), ==, "alex");
  g_assert_cmpint (json_object_get_int_member (t, "seq"), ==,
                   json_object_get_int_member (json_array_get_object_element (events, 0), "seq"));
  g_clear_pointer (&holder, json_node_unref);

  /* a second create with the same ticket id is rejected */
  st = push1 (tok_alex, client, ticket, "create", 0, data, &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "unprocessable");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* a future "at" becomes now */
  {
    g_autofree char *t2 = g_uuid_string_random ();
    g_autofree char *o2 = g_uuid_string_random ();
    g_autofree char *op2 = op_json (o2, t2, "create", 0, "2999-01-01T00:00:00.000Z", data);
    g_autoptr(JsonNode) resp = sync_ops (shared, tok_alex, client, NO_CHANGES, op2);
    g_autoptr(JsonNode) h2 = NULL;
    JsonObject *tt = get_ticket (t2, &h2);
    g_assert_true (g_str_has_prefix (json_object_get_string_member (tt, "created_at"), "20"));
    g_assert_false (g_str_has_prefix (json_object_get_string_member (tt, "created_at"), "2999"));
  }

  /* update: fields and the event's changes */
  st = push1 (tok_alex, client, ticket, "update", 1,
              "{\"title\":\"Drucker 2. OG offline\",\"impact\":\"low\",\"status\":\"waiting\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "title"), ==, "Drucker 2. OG offline");
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "waiting");
  g_assert_cmpint (json_object_get_int_member (t, "priority"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (t, "version"), ==, 2);
  events = json_object_get_array_member (json_node_get_object (holder), "events");
  {
    JsonObject *ev = json_array_get_object_element (events, 1);
    JsonObject *changes = json_object_get_object_member (json_object_get_object_member (ev, "data"), "changes");
    JsonArray *title = json_object_get_array_member (changes, "title");
    g_assert_cmpstr (json_object_get_string_member (ev, "type"), ==, "update");
    g_assert_cmpstr (json_array_get_string_element (title, 0), ==, "Drucker offline");
    g_assert_cmpstr (json_array_get_string_element (title, 1), ==, "Drucker 2. OG offline");
  }
  g_clear_pointer (&holder, json_node_unref);

  /* update to a status that needs its own op: rejected */
  st = push1 (tok_alex, client, ticket, "update", 2, "{\"status\":\"resolved\"}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "unprocessable");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* note and checklist */
  st = push1 (tok_alex, client, ticket, "note", 2, "{\"body\":\"Toner getauscht\",\"internal\":true}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_alex, client, ticket, "checklist", 3,
              "{\"checklist_id\":\"printer\",\"checklist_version\":1,\"step_id\":\"clear-queue\",\"outcome\":\"done\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  {
    /* a step must exist in the checklist, at the version named */
    const char *bad[] = {
      "{\"checklist_id\":\"printer\",\"checklist_version\":1,\"step_id\":\"no-such-step\",\"outcome\":\"done\"}",
      "{\"checklist_id\":\"no-such-list\",\"step_id\":\"clear-queue\",\"outcome\":\"done\"}",
      "{\"checklist_id\":\"printer\",\"checklist_version\":99,\"step_id\":\"clear-queue\",\"outcome\":\"done\"}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        st = push1 (tok_alex, client, ticket, "checklist", 3, bad[i], &holder);
        g_assert_cmpstr (st, ==, "rejected");
        g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "unprocessable");
        g_free (st);
        g_clear_pointer (&holder, json_node_unref);
      }
  }
  st = push1 (tok_alex, client, ticket, "checklist", 3,
              "{\"checklist_id\":\"printer\",\"step_id\":\"clear-queue\",\"outcome\":\"maybe\"}", NULL);
  g_assert_cmpstr (st, ==, "rejected");
  g_free (st);

  /* claim */
  st = push1 (tok_alex, client, ticket, "claim", 4, "{}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "assignee"), ==, "alex");
  g_clear_pointer (&holder, json_node_unref);

  /* assign: a lead assigns anyone's ticket; an agent only passes on their own */
  st = push1 (tok_jana, client, ticket, "assign", 5, "{\"assignee\":\"jana\"}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "forbidden");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);
  st = push1 (tok_alex, client, ticket, "assign", 5, "{\"assignee\":\"sam\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_alex, client, ticket, "assign", 6, "{\"assignee\":\"alex\"}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "forbidden");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);
  st = push1 (tok_lee, lead_client, ticket, "assign", 6, "{\"assignee\":\"jana\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "assignee"), ==, "jana");
  g_clear_pointer (&holder, json_node_unref);

  /* handoff */
  st = push1 (tok_jana, client, ticket, "handoff", 6,
              "{\"queue\":\"workplace\",\"summary\":\"Hardware defekt\",\"steps_tried\":[\"Neustart\"],\"urgency\":\"high\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "escalated");
  g_assert_cmpint (json_object_get_int_member (t, "level"), ==, 2);
  g_assert_true (json_object_get_null_member (t, "assignee"));
  g_assert_cmpstr (json_object_get_string_member (t, "queue"), ==, "workplace");
  g_clear_pointer (&holder, json_node_unref);

  /* resolve */
  st = push1 (tok_sam, client, ticket, "resolve", 7, "{\"code\":\"solved\",\"summary\":\"Fixiereinheit getauscht\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "resolved");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (t, "resolution"), "code"), ==, "solved");
  g_assert_false (json_object_get_null_member (t, "resolved_at"));
  g_clear_pointer (&holder, json_node_unref);

  /* reopen */
  st = push1 (tok_alex, client, ticket, "reopen", 8, "{\"reason\":\"tritt wieder auf\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "in_progress");
  g_assert_true (json_object_get_null_member (t, "resolution"));
  g_assert_true (json_object_get_null_member (t, "resolved_at"));
  g_clear_pointer (&holder, json_node_unref);
  st = push1 (tok_alex, client, ticket, "reopen", 9, "{}", NULL);
  g_assert_cmpstr (st, ==, "rejected");
  g_free (st);

  /* close: an agent only when resolved; a lead always */
  st = push1 (tok_alex, client, ticket, "close", 9, "{}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "forbidden");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);
  st = push1 (tok_alex, client, ticket, "resolve", 9, "{\"code\":\"first_contact\",\"summary\":\"ok\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_alex, client, ticket, "close", 10, "{}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "closed");
  g_assert_cmpint (json_object_get_int_member (t, "version"), ==, 12);
  events = json_object_get_array_member (json_node_get_object (holder), "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 12);
  g_clear_pointer (&holder, json_node_unref);

  /* lead closes an open ticket */
  {
    g_autofree char *t3 = new_ticket (client, "Maus defekt");
    st = push1 (tok_lee, lead_client, t3, "close", 1, "{}", NULL);
    g_assert_cmpstr (st, ==, "applied");
    g_free (st);
  }

  /* unknown ticket */
  {
    g_autofree char *t4 = g_uuid_string_random ();
    st = push1 (tok_alex, client, t4, "note", 1, "{\"body\":\"x\"}", &holder);
    g_assert_cmpstr (st, ==, "rejected");
    g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "not_found");
    g_free (st);
  }
}

/* Ops that try to get around the rules: unknown fields, embedded NULs, a
 * base_version from the future, times decades off, empty changes. */
/* The 1.1 rule of assign: a lead assigns anyone's ticket to anyone; a non-lead only
 * passes on a ticket assigned to them; everything else is rejected as forbidden. */
static void
test_assign_rules (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *ticket = new_ticket (client, "Weitergeben");
  g_autoptr(JsonNode) users = expect (shared, "GET", "/users", tok_alex, NULL, 200);
  JsonNode *holder = NULL;
  JsonObject *t;
  struct { char **token; const char *data; const char *status; const char *code; } steps[] = {
    /* unassigned: no agent or specialist may assign it, not even to themselves */
    { &tok_alex, "{\"assignee\":\"alex\"}", "rejected", "forbidden" },
    { &tok_sam, "{\"assignee\":\"jana\"}", "rejected", "forbidden" },
    { &tok_alex, "{\"assignee\":null}", "rejected", "forbidden" },
    /* the lead assigns it to the specialist */
    { &tok_lee, "{\"assignee\":\"sam\"}", "applied", NULL },
    /* someone else's: forbidden */
    { &tok_alex, "{\"assignee\":\"alex\"}", "rejected", "forbidden" },
    { &tok_jana, "{\"assignee\":\"jana\"}", "rejected", "forbidden" },
    /* the specialist passes it on to a colleague ... */
    { &tok_sam, "{\"assignee\":\"jana\"}", "applied", NULL },
    /* ... but not to someone who does not exist */
    { &tok_jana, "{\"assignee\":\"nobody-here\"}", "rejected", "unprocessable" },
    /* jana passes it to alex; then it is no longer hers */
    { &tok_jana, "{\"assignee\":\"alex\"}", "applied", NULL },
    { &tok_jana, "{\"assignee\":\"jana\"}", "rejected", "forbidden" },
    /* the assignee may give it back to nobody */
    { &tok_alex, "{\"assignee\":null}", "applied", NULL },
    { &tok_alex, "{\"assignee\":\"alex\"}", "rejected", "forbidden" },
  };

  /* Everyone may list the team to choose from */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (users),
                                                                         "users")), ==, 4);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *st = NULL;

      g_test_message ("step %u: %s", i, steps[i].data);
      st = push1 (*steps[i].token, client, ticket, "assign", 1, steps[i].data, &holder);
      g_assert_cmpstr (st, ==, steps[i].status);
      if (steps[i].code != NULL)
        g_assert_cmpstr (error_code (result_n (holder, 0)), ==, steps[i].code);
      g_clear_pointer (&holder, json_node_unref);
    }

  t = get_ticket (ticket, &holder);
  g_assert_true (json_object_get_null_member (t, "assignee"));
  /* create + 4 applied assigns */
  g_assert_cmpint (json_object_get_int_member (t, "version"), ==, 5);
  g_clear_pointer (&holder, json_node_unref);
}

/* A checklist where a verification of a "requires any" group can be skipped is refused. */
static void
test_checklist_requires_any (void)
{
  const char *bad =
    "{\"id\":\"verify-any\",\"version\":1,\"category\":\"password\","
    "\"title\":{\"de\":\"Prüfen\",\"en\":\"Verify\"},\"start\":\"call\",\"steps\":["
    "{\"id\":\"call\",\"kind\":\"check\",\"text\":{\"de\":\"Rückruf\",\"en\":\"Call back\"},"
    " \"next\":\"reset\",\"failed\":{\"escalate\":\"accounts\"}},"
    "{\"id\":\"reset\",\"kind\":\"check\",\"text\":{\"de\":\"Zurücksetzen\",\"en\":\"Reset\"},"
    " \"requires\":[{\"any\":[\"call\"]}],\"next\":{\"resolve\":\"solved\"}}]}";
  g_autofree char *good = NULL;
  g_autoptr(JsonNode) refused = expect (shared, "PUT", "/checklists/verify-any", tok_lee, bad, 422);
  g_autoptr(JsonNode) stored = NULL;
  GString *fixed = g_string_new (bad);

  g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (refused), "error"), "message"),
                            "skipped"));
  /* marked mandatory, it is accepted */
  g_string_replace (fixed, "\"next\":\"reset\"", "\"mandatory\":true,\"next\":\"reset\"", 1);
  good = g_string_free (fixed, FALSE);
  stored = expect (shared, "PUT", "/checklists/verify-any", tok_lee, good, 200);
}

static void
test_hostile_ops (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *ticket = new_ticket (client, "Laptop startet nicht");
  g_autoptr(JsonNode) holder = NULL;
  g_autofree char *junk = g_strnfill (200000, 'x');
  g_autofree char *data = NULL;
  g_autofree char *path = g_strconcat ("/tickets/", ticket, NULL);
  g_autofree char *due_before = NULL;
  JsonObject *t;
  JsonArray *events;
  char *st;

  /* unknown fields are dropped before the op is stored and sent on */
  data = g_strdup_printf ("{\"body\":\"Akku getauscht\",\"junk\":\"%s\",\"internal\":false}", junk);
  st = push1 (tok_alex, client, ticket, "note", 1, data, NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  holder = expect (shared, "GET", path, tok_alex, NULL, 200);
  events = json_object_get_array_member (json_node_get_object (holder), "events");
  {
    JsonObject *note = json_array_get_object_element (events, json_array_get_length (events) - 1);
    JsonObject *d = json_object_get_object_member (note, "data");

    g_assert_cmpstr (json_object_get_string_member (note, "type"), ==, "note");
    g_assert_false (json_object_has_member (d, "junk"));
    g_assert_cmpstr (json_object_get_string_member (d, "body"), ==, "Akku getauscht");
  }
  g_clear_pointer (&holder, json_node_unref);

  /* an escaped NUL would cut a type or a title short: the request is refused */
  {
    g_autofree char *op_id = g_uuid_string_random ();
    g_autofree char *body = g_strdup_printf (
      "{\"client_id\":\"%s\",\"ops\":[{\"op_id\":\"%s\",\"ticket_id\":\"%s\","
      "\"type\":\"note\\u0000junk\",\"base_version\":2,\"data\":{\"body\":\"x\"}}]}",
      client, op_id, ticket);
    expect_error (shared, "POST", "/sync", tok_alex, body, 400, "bad_request");
    g_clear_pointer (&body, g_free);
    body = g_strdup_printf (
      "{\"client_id\":\"%s\",\"ops\":[{\"op_id\":\"%s\",\"ticket_id\":\"%s\","
      "\"type\":\"update\",\"base_version\":2,\"data\":{\"title\":\"ok\\u0000hidden\"}}]}",
      client, op_id, ticket);
    expect_error (shared, "POST", "/sync", tok_alex, body, 400, "bad_request");
  }

  /* a base_version newer than the ticket is no way around a conflict */
  st = push1 (tok_jana, client, ticket, "update", 99, "{\"title\":\"Neu\"}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_assert_cmpstr (error_code (result_n (holder, 0)), ==, "unprocessable");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* an update with an empty requester changes nothing: refused */
  st = push1 (tok_alex, client, ticket, "update", 2, "{\"requester\":{}}", &holder);
  g_assert_cmpstr (st, ==, "rejected");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* waiting dated 1971 does not move due_at decades on */
  t = get_ticket (ticket, &holder);
  due_before = g_strdup (json_object_get_string_member (t, "due_at"));
  g_clear_pointer (&holder, json_node_unref);
  {
    g_autofree char *op_id = g_uuid_string_random ();
    g_autofree char *op = op_json (op_id, ticket, "update", 2, "1971-01-01T00:00:00.000Z",
                                   "{\"status\":\"waiting\"}");
    g_autoptr(JsonNode) r = sync_ops (shared, tok_alex, client, NO_CHANGES, op);
    g_assert_cmpstr (json_object_get_string_member (result_n (r, 0), "status"), ==, "applied");
  }
  st = push1 (tok_alex, client, ticket, "update", 3, "{\"status\":\"in_progress\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  t = get_ticket (ticket, &holder);
  {
    gint64 before = 0, after = 0;

    g_assert_true (fl_time_parse (due_before, &before));
    g_assert_true (fl_time_parse (json_object_get_string_member (t, "due_at"), &after));
    g_assert_cmpint (after - before, >=, 0);
    g_assert_cmpint (after - before, <, 60 * 1000);
  }
  g_clear_pointer (&holder, json_node_unref);

  /* a create dated 1970 gets the server's time */
  {
    g_autofree char *t2 = g_uuid_string_random ();
    g_autofree char *op_id = g_uuid_string_random ();
    g_autofree char *d2 = create_data ("Alt", "hardware");
    g_autofree char *op = op_json (op_id, t2, "create", 0, "1970-01-02T00:00:00.000Z", d2);
    g_autoptr(JsonNode) r = sync_ops (shared, tok_alex, client, NO_CHANGES, op);
    gint64 created = 0;

    g_assert_cmpstr (json_object_get_string_member (result_n (r, 0), "status"), ==, "applied");
    t = get_ticket (t2, &holder);
    g_assert_true (fl_time_parse (json_object_get_string_member (t, "created_at"), &created));
    g_assert_cmpint (ABS (created - fl_time_now ()), <, 60 * 1000);
    g_clear_pointer (&holder, json_node_unref);
  }
}

/* Presence only for tickets that exist, one entry per user, bounded. */
static void
test_presence_bounds (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *ticket = new_ticket (client, "Monitor flackert");
  g_autoptr(JsonNode) r = NULL;
  JsonArray *presence;
  g_autofree char *last_client = NULL;
  guint from_jana = 0;

  /* jana's client floods with new client ids, viewing made-up tickets and this one */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *fake_client = g_uuid_string_random ();
      g_autofree char *fake_ticket = g_uuid_string_random ();
      g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"viewing\":\"%s\"}",
                                               fake_client, NO_CHANGES,
                                               i == 199 ? ticket : fake_ticket);
      g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_jana, body, 200);

      if (i == 199)
        last_client = g_strdup (fake_client);
    }

  {
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d}", client, NO_CHANGES);
    r = expect (shared, "POST", "/sync", tok_alex, body, 200);
  }
  presence = json_object_get_array_member (json_node_get_object (r), "presence");
  for (guint i = 0; i < json_array_get_length (presence); i++)
    {
      JsonObject *p = json_array_get_object_element (presence, i);

      if (g_str_equal (json_object_get_string_member (p, "username"), "jana"))
        {
          from_jana++;
          g_assert_cmpstr (json_object_get_string_member (p, "ticket_id"), ==, ticket);
        }
    }
  g_assert_cmpuint (from_jana, ==, 1);
  g_assert_cmpuint (json_array_get_length (presence), <=, 10);

  /* jana leaves the ticket again (the other tests expect nobody there) */
  {
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"viewing\":null}",
                                             last_client, NO_CHANGES);
    g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_jana, body, 200);
  }
}

static void
test_conflicts (void)
{
  g_autofree char *c1 = g_uuid_string_random ();
  g_autofree char *c2 = g_uuid_string_random ();
  g_autofree char *ticket = new_ticket (c1, "VPN bricht ab");
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *r;
  char *st;

  /* c2 changes the title after version 1 */
  st = push1 (tok_jana, c2, ticket, "update", 1, "{\"title\":\"VPN bricht ständig ab\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);

  /* c1, still at version 1: the same field conflicts, carrying the current ticket */
  st = push1 (tok_alex, c1, ticket, "update", 1, "{\"title\":\"VPN langsam\"}", &holder);
  g_assert_cmpstr (st, ==, "conflict");
  r = result_n (holder, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (r, "current"), "title"),
                   ==, "VPN bricht ständig ab");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r, "current"), "version"), ==, 2);
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* another field does not */
  st = push1 (tok_alex, c1, ticket, "update", 1, "{\"asset\":\"NB-0815\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);

  /* the same client with a stale base_version: its own changes never conflict */
  st = push1 (tok_alex, c1, ticket, "update", 1, "{\"asset\":\"NB-0816\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  {
    g_autofree char *o1 = g_uuid_string_random ();
    g_autofree char *o2 = g_uuid_string_random ();
    g_autofree char *a = op_json (o1, ticket, "update", 4, NULL, "{\"description\":\"eins\"}");
    g_autofree char *b = op_json (o2, ticket, "update", 4, NULL, "{\"description\":\"zwei\"}");
    g_autofree char *both = g_strconcat (a, ",", b, NULL);
    g_autoptr(JsonNode) resp = sync_ops (shared, tok_alex, c1, NO_CHANGES, both);
    g_assert_cmpstr (json_object_get_string_member (result_n (resp, 0), "status"), ==, "applied");
    g_assert_cmpstr (json_object_get_string_member (result_n (resp, 1), "status"), ==, "applied");
    g_assert_cmpint (json_object_get_int_member (result_n (resp, 1), "version"), ==, 6);
  }

  /* c2 sets the status; c1's resolve and handoff based before that conflict */
  st = push1 (tok_jana, c2, ticket, "update", 6, "{\"status\":\"waiting\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_alex, c1, ticket, "resolve", 6, "{\"code\":\"solved\",\"summary\":\"x\"}", NULL);
  g_assert_cmpstr (st, ==, "conflict");
  g_free (st);
  st = push1 (tok_alex, c1, ticket, "handoff", 6, "{\"queue\":\"network\",\"summary\":\"x\"}", NULL);
  g_assert_cmpstr (st, ==, "conflict");
  g_free (st);
  /* a note never conflicts */
  st = push1 (tok_alex, c1, ticket, "note", 1, "{\"body\":\"Rückruf\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  /* up to date: fine */
  st = push1 (tok_alex, c1, ticket, "handoff", 8, "{\"queue\":\"network\",\"summary\":\"x\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);

  /* claim of a ticket assigned to someone else */
  st = push1 (tok_sam, c2, ticket, "claim", 9, "{}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_jana, c2, ticket, "claim", 10, "{}", &holder);
  g_assert_cmpstr (st, ==, "conflict");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result_n (holder, 0), "current"), "assignee"),
                   ==, "sam");
  g_free (st);
  g_clear_pointer (&holder, json_node_unref);

  /* handoff of a resolved ticket */
  st = push1 (tok_sam, c2, ticket, "resolve", 10, "{\"code\":\"solved\",\"summary\":\"x\"}", NULL);
  g_assert_cmpstr (st, ==, "applied");
  g_free (st);
  st = push1 (tok_sam, c2, ticket, "handoff", 11, "{\"queue\":\"network\",\"summary\":\"x\"}", NULL);
  g_assert_cmpstr (st, ==, "conflict");
  g_free (st);
}

static void
test_duplicates (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *other = g_uuid_string_random ();
  g_autofree char *ticket = g_uuid_string_random ();
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *note_id = g_uuid_string_random ();
  g_autofree char *data = create_data ("Outlook startet nicht", "email");
  g_autofree char *create = op_json (op_id, ticket, "create", 0, NULL, data);
  g_autofree char *note = op_json (note_id, ticket, "note", 1, NULL, "{\"body\":\"einmal\"}");
  g_autofree char *ops = g_strjoin (",", create, create, note, note, NULL);
  g_autoptr(JsonNode) first = sync_ops (shared, tok_alex, client, NO_CHANGES, ops);
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) holder = NULL;
  gint64 number = json_object_get_int_member (result_n (first, 0), "number");

  g_assert_cmpstr (json_object_get_string_member (result_n (first, 0), "status"), ==, "applied");
  g_assert_cmpstr (json_object_get_string_member (result_n (first, 1), "status"), ==, "duplicate");
  g_assert_cmpint (json_object_get_int_member (result_n (first, 1), "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result_n (first, 1), "number"), ==, number);
  g_assert_cmpstr (json_object_get_string_member (result_n (first, 3), "status"), ==, "duplicate");
  g_assert_cmpint (json_object_get_int_member (result_n (first, 3), "version"), ==, 2);

  /* later, from another client (a restored copy pushing again) */
  again = sync_ops (shared, tok_alex, other, NO_CHANGES, ops);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpstr (json_object_get_string_member (result_n (again, i), "status"), ==, "duplicate");
      g_assert_cmpint (json_object_get_int_member (result_n (again, i), "number"), ==, number);
    }
  g_assert_cmpint (json_object_get_int_member (result_n (again, 0), "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result_n (again, 2), "version"), ==, 2);

  get_ticket (ticket, &holder);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (holder), "events")), ==, 2);
}

static void
test_changes (void)
{
  g_autofree char *client = g_uuid_string_random ();

  gint64 start = latest_cursor (shared, tok_alex);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *ticket = new_ticket (client, "Paging");
  gint64 cursor = start;
  guint pages = 0;

  g_assert_cmpint (start, >, 0);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *st = push1 (tok_alex, client, ticket, "note", 1, "{\"body\":\"n\"}", NULL);
      g_assert_cmpstr (st, ==, "applied");
    }

  /* 5 new events, pages of 2 */
  for (;;)
    {
      g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                                               ",\"limit\":2}", client, cursor);
      g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_alex, body, 200);
      JsonObject *obj = json_node_get_object (resp);
      JsonObject *changes = json_object_get_object_member (obj, "changes");
      JsonArray *events = json_object_get_array_member (changes, "events");
      JsonArray *tickets = json_object_get_array_member (changes, "tickets");
      gint64 prev = cursor;

      pages++;
      g_assert_cmpuint (json_array_get_length (events), <=, 2);
      for (guint i = 0; i < json_array_get_length (events); i++)
        {
          JsonObject *ev = json_array_get_object_element (events, i);
          g_assert_cmpint (json_object_get_int_member (ev, "seq"), >, prev);
          prev = json_object_get_int_member (ev, "seq");
          g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (ev, "id"))));
        }
      if (json_array_get_length (events) > 0)
        {
          g_assert_cmpuint (json_array_get_length (tickets), ==, 1);
          g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (tickets, 0), "version"), ==, 5);
          g_assert_cmpint (json_object_get_int_member (obj, "cursor"), ==, prev);
        }
      else
        g_assert_cmpint (json_object_get_int_member (obj, "cursor"), ==, cursor);
      cursor = json_object_get_int_member (obj, "cursor");
      if (!json_object_get_boolean_member (obj, "more"))
        break;
      g_assert_cmpuint (json_array_get_length (events), ==, 2);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);
  g_assert_cmpuint (pages, ==, 3);

  /* a cursor beyond the latest seq: reset */
  {
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT "}",
                                             client, cursor + 1000);
    g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_alex, body, 200);
    JsonObject *obj = json_node_get_object (resp);
    g_assert_true (json_object_get_boolean_member (obj, "reset"));
    g_assert_cmpint (json_object_get_int_member (obj, "cursor"), ==, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (obj, "changes"), "events")), ==, 0);
  }
}

typedef struct
{
  const char *token;
  char       *body;
  guint       status;
  JsonNode   *response;
  gint64      finished;   /* monotonic µs */
} Poll;

static gpointer
poll_thread (gpointer data)
{
  Poll *p = data;

  p->response = http (shared, "POST", "/sync", p->token, p->body, &p->status, NULL);
  p->finished = g_get_monotonic_time ();
  return NULL;
}

/* The search index of a push is written once at its end: a ticket created and
 * noted twice in one request is found by each of its words, and an op rejected
 * within the request leaves nothing behind. */
static void
test_batch_search_index (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *ticket = g_uuid_string_random ();
  g_autofree char *ops = NULL;
  g_autoptr(JsonNode) pushed = NULL;
  const char *words[] = { "Schneeleopard", "Gnuherde", "Okapistall" };

  {
    g_autofree char *data = create_data ("Schneeleopard im Rechenzentrum", "hardware");
    g_autofree char *id1 = g_uuid_string_random ();
    g_autofree char *id2 = g_uuid_string_random ();
    g_autofree char *id3 = g_uuid_string_random ();
    g_autofree char *id4 = g_uuid_string_random ();
    g_autofree char *missing = g_uuid_string_random ();
    g_autofree char *op1 = op_json (id1, ticket, "create", 0, NULL, data);
    g_autofree char *op2 = op_json (id2, ticket, "note", 1, NULL, "{\"body\":\"Gnuherde gesichtet\"}");
    g_autofree char *op3 = op_json (id3, missing, "note", 1, NULL, "{\"body\":\"Wombatbau\"}");
    g_autofree char *op4 = op_json (id4, ticket, "note", 2, NULL, "{\"body\":\"Okapistall leer\"}");

    ops = g_strdup_printf ("%s,%s,%s,%s", op1, op2, op3, op4);
  }
  pushed = sync_ops (shared, tok_alex, client, NO_CHANGES, ops);
  g_assert_cmpstr (json_object_get_string_member (result_n (pushed, 0), "status"), ==, "applied");
  g_assert_cmpstr (json_object_get_string_member (result_n (pushed, 1), "status"), ==, "applied");
  g_assert_cmpstr (json_object_get_string_member (result_n (pushed, 2), "status"), ==, "rejected");
  g_assert_cmpstr (json_object_get_string_member (result_n (pushed, 3), "status"), ==, "applied");

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tickets?q=%s", words[i]);
      g_autoptr(JsonNode) r = expect (shared, "GET", path, tok_alex, NULL, 200);
      JsonArray *found = json_object_get_array_member (json_node_get_object (r), "tickets");

      g_assert_cmpuint (json_array_get_length (found), ==, 1);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (found, 0), "id"),
                       ==, ticket);
    }
  {
    g_autoptr(JsonNode) r = expect (shared, "GET", "/tickets?q=Wombatbau", tok_alex, NULL, 200);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (r),
                                                                           "tickets")), ==, 0);
  }
}

/* Long polls woken by one change share answers by cursor, limit and user: each
 * still gets the answer to its own request. */
static void
test_long_poll_shared_answers (void)
{
  g_autofree char *writer = g_uuid_string_random ();
  g_autofree char *first = g_uuid_string_random ();
  g_autofree char *second = g_uuid_string_random ();
  g_autofree char *ops = NULL;
  g_autoptr(JsonNode) pushed = NULL;
  gint64 cursor;
  /* four alike, one with limit 1, two of another user */
  struct { const char *token; int limit; } kinds[] = {
    { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 1 }, { NULL, 0 }, { NULL, 1 },
  };
  Poll polls[G_N_ELEMENTS (kinds)];
  GThread *threads[G_N_ELEMENTS (kinds)];

  cursor = latest_cursor (shared, tok_alex);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *client = g_uuid_string_random ();
      g_autofree char *limit = kinds[i].limit ? g_strdup_printf (",\"limit\":%d", kinds[i].limit)
                                              : g_strdup ("");

      kinds[i].token = i < 5 ? tok_alex : tok_sam;
      polls[i] = (Poll) { kinds[i].token, NULL, 0, NULL, 0 };
      polls[i].body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                                       "%s,\"wait\":20}", client, cursor, limit);
      threads[i] = g_thread_new ("poll", poll_thread, &polls[i]);
    }
  g_usleep (500 * 1000);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_cmpint (polls[i].finished, ==, 0);

  /* one push of two creates wakes them all */
  {
    g_autofree char *data1 = create_data ("Drucker im Lager", "hardware");
    g_autofree char *data2 = create_data ("Scanner im Lager", "hardware");
    g_autofree char *op1_id = g_uuid_string_random ();
    g_autofree char *op2_id = g_uuid_string_random ();
    g_autofree char *op1 = op_json (op1_id, first, "create", 0, NULL, data1);
    g_autofree char *op2 = op_json (op2_id, second, "create", 0, NULL, data2);

    ops = g_strdup_printf ("%s,%s", op1, op2);
    pushed = sync_ops (shared, tok_alex, writer, NO_CHANGES, ops);
  }

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      JsonObject *obj;
      JsonArray *events;
      JsonArray *tickets;

      g_thread_join (threads[i]);
      g_assert_cmpuint (polls[i].status, ==, 200);
      obj = json_node_get_object (polls[i].response);
      events = json_object_get_array_member (json_object_get_object_member (obj, "changes"), "events");
      tickets = json_object_get_array_member (json_object_get_object_member (obj, "changes"), "tickets");
      g_assert_cmpuint (json_array_get_length (events), ==, kinds[i].limit == 1 ? 1 : 2);
      g_assert_cmpuint (json_array_get_length (tickets), ==, kinds[i].limit == 1 ? 1 : 2);
      g_assert_true (json_object_get_boolean_member (obj, "more") == (kinds[i].limit == 1));
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0),
                                                      "ticket_id"), ==, first);
      g_clear_pointer (&polls[i].body, g_free);
      g_clear_pointer (&polls[i].response, json_node_unref);
    }
}

static guint
count_log_lines (Server     *s,
                 const char *needle)
{
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  g_file_get_contents (s->log, &log, NULL, NULL);
  lines = g_strsplit (log ? log : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

typedef struct
{
  Server *s;
  guint   before;
} LogWait;

static gboolean
log_has_new_499 (gpointer data)
{
  LogWait *w = data;

  return count_log_lines (w->s, "POST /api/v1/sync 499 ") > w->before;
}

/* A client that gives up on its long poll is logged as 499 "client closed",
 * not as a 500 it never got. */
static void
test_log_client_closed (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_id = g_uuid_string_random ();
  g_autofree char *body = NULL;
  g_autofree char *request = NULL;
  gint64 cursor = latest_cursor (shared, tok_alex);
  LogWait w = { shared, count_log_lines (shared, "POST /api/v1/sync 499 ") };
  g_autofree char *log = NULL;

  /* (a paused request notices the closed connection when its wait ends) */
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"wait\":2}",
                          client_id, cursor);
  request = g_strdup_printf ("POST /api/v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s", tok_alex, strlen (body), body);
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", shared->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);

  /* the long poll waits; the client cancels it by closing the connection */
  g_usleep (300 * 1000);
  g_io_stream_close (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);

  fl_test_spin_until (log_has_new_499, &w, 10);
  g_file_get_contents (shared->log, &log, NULL, NULL);
  g_assert_nonnull (strstr (log, "499"));
  g_assert_nonnull (strstr (log, "client closed"));
  g_assert_null (strstr (log, "POST /api/v1/sync 500 "));
}

static void
test_long_poll (void)
{
  g_autofree char *c1 = g_uuid_string_random ();
  g_autofree char *c2 = g_uuid_string_random ();

  gint64 cursor = latest_cursor (shared, tok_alex);
  Poll p = { tok_alex, NULL, 0, NULL, 0 };
  GThread *thread;
  gint64 pushed;
  g_autofree char *ticket = NULL;

  /* the waiter gets a new ticket from another client in under a second */
  p.body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"wait\":20}", c1, cursor);
  thread = g_thread_new ("poll", poll_thread, &p);
  /* The point: the long poll is still open after a while with nothing new. */
  g_usleep (300 * 1000);
  g_assert_cmpint (p.finished, ==, 0);

  /* other requests are served meanwhile */
  {
    g_autoptr(JsonNode) h = expect (shared, "GET", "/health", NULL, NULL, 200);
  }

  pushed = g_get_monotonic_time ();
  ticket = new_ticket (c2, "Neues Ticket aus dem Portal");
  g_thread_join (thread);
  g_assert_cmpuint (p.status, ==, 200);
  g_assert_cmpint (p.finished - pushed, <, G_USEC_PER_SEC);
  {
    JsonArray *events = json_object_get_array_member (json_object_get_object_member (json_node_get_object (p.response), "changes"), "events");
    g_assert_cmpuint (json_array_get_length (events), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0), "ticket_id"), ==, ticket);
    cursor = json_object_get_int_member (json_node_get_object (p.response), "cursor");
  }
  g_clear_pointer (&p.body, g_free);
  g_clear_pointer (&p.response, json_node_unref);

  /* a presence change wakes it too, and the answer lists the other user */
  p.finished = 0;
  p.body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"wait\":20,"
                            "\"viewing\":\"%s\"}", c1, cursor, ticket);
  thread = g_thread_new ("poll", poll_thread, &p);
  /* The point: nothing wakes the long poll until the presence changes. */
  g_usleep (300 * 1000);
  g_assert_cmpint (p.finished, ==, 0);
  pushed = g_get_monotonic_time ();
  {
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ","
                                             "\"viewing\":\"%s\",\"editing\":true}", c2, cursor, ticket);
    g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_jana, body, 200);
    JsonArray *presence = json_object_get_array_member (json_node_get_object (resp), "presence");
    /* jana sees alex viewing, not herself */
    g_assert_cmpuint (json_array_get_length (presence), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (presence, 0), "username"), ==, "alex");
    g_assert_false (json_object_get_boolean_member (json_array_get_object_element (presence, 0), "editing"));
  }
  g_thread_join (thread);
  g_assert_cmpuint (p.status, ==, 200);
  g_assert_cmpint (p.finished - pushed, <, G_USEC_PER_SEC);
  {
    JsonArray *presence = json_object_get_array_member (json_node_get_object (p.response), "presence");
    JsonObject *entry;
    g_assert_cmpuint (json_array_get_length (presence), ==, 1);
    entry = json_array_get_object_element (presence, 0);
    g_assert_cmpstr (json_object_get_string_member (entry, "username"), ==, "jana");
    g_assert_cmpstr (json_object_get_string_member (entry, "ticket_id"), ==, ticket);
    g_assert_true (json_object_get_boolean_member (entry, "editing"));
  }
  g_clear_pointer (&p.body, g_free);
  g_clear_pointer (&p.response, json_node_unref);

  /* with nothing happening, it answers empty after "wait" seconds */
  {
    gint64 t0 = g_get_monotonic_time ();
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ","
                                             "\"wait\":1,\"viewing\":\"%s\"}", c1, cursor, ticket);
    g_autoptr(JsonNode) resp = expect (shared, "POST", "/sync", tok_alex, body, 200);
    gint64 took = g_get_monotonic_time () - t0;
    g_assert_cmpint (took, >=, 900 * 1000);
    g_assert_cmpint (took, <, 5 * G_USEC_PER_SEC);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (json_node_get_object (resp), "changes"), "events")), ==, 0);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (resp), "cursor"), ==, cursor);
  }

  /* leaving the ticket clears the presence */
  {
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"viewing\":null}", c2, cursor);
    g_autoptr(JsonNode) r1 = expect (shared, "POST", "/sync", tok_jana, body, 200);
    g_autofree char *body2 = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT "}", c1, cursor);
    g_autoptr(JsonNode) r2 = expect (shared, "POST", "/sync", tok_alex, body2, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (r2), "presence")), ==, 0);
  }
}

static void
test_tickets_query (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *t1 = new_ticket (client, "Bildschirm flackert");
  g_autofree char *t2 = new_ticket (client, "Bildschirm schwarz");
  g_autoptr(JsonNode) r = NULL;
  JsonArray *list;
  char *st;

  st = push1 (tok_alex, client, t1, "note", 1, "{\"body\":\"Grafikkartentreiber über Gerätemanager zurückgesetzt\"}", NULL);
  g_free (st);
  st = push1 (tok_alex, client, t2, "handoff", 1, "{\"queue\":\"workplace\",\"summary\":\"defekt\"}", NULL);
  g_free (st);

  r = expect (shared, "GET", "/tickets?q=bildschirm&limit=500", tok_sam, NULL, 200);
  list = json_object_get_array_member (json_node_get_object (r), "tickets");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "total"), ==, 2);
  /* newest first */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, t2);
  g_clear_pointer (&r, json_node_unref);

  /* notes are searched, umlauts and prefixes work */
  r = expect (shared, "GET", "/tickets?q=Ger%C3%A4teman", tok_sam, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "total"), ==, 1);
  list = json_object_get_array_member (json_node_get_object (r), "tickets");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, t1);
  g_clear_pointer (&r, json_node_unref);

  /* FTS syntax in q is just text */
  r = expect (shared, "GET", "/tickets?q=%22bild%20OR%20*%20NEAR(", tok_sam, NULL, 200);
  g_clear_pointer (&r, json_node_unref);

  r = expect (shared, "GET", "/tickets?q=bildschirm&status=escalated&level=2&queue=workplace", tok_sam, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "total"), ==, 1);
  g_clear_pointer (&r, json_node_unref);

  r = expect (shared, "GET", "/tickets?q=Kr%C3%BCger&category=network&limit=1&offset=1", tok_sam, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "total"), >=, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (r), "tickets")), ==, 1);
  g_clear_pointer (&r, json_node_unref);

  r = expect (shared, "GET", "/tickets?from=2000-01-01T00:00:00.000Z&to=2000-01-02T00:00:00.000Z", tok_sam, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "total"), ==, 0);
}

/* "YYYY-MM-DDTHH:MM:00.000Z" (or "YYYY-MM-DD" with @hhmm NULL) on the day
 * @day after a fixed day 20 days ago: ops keep their time only within the
 * server's op age window (30 days). */
static char *
report_time (int         day,
             const char *hhmm)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) midnight = g_date_time_new_utc (g_date_time_get_year (now),
                                                       g_date_time_get_month (now),
                                                       g_date_time_get_day_of_month (now),
                                                       0, 0, 0);
  g_autoptr(GDateTime) date = g_date_time_add_days (midnight, day - 20);
  g_autofree char *ymd = g_date_time_format (date, "%Y-%m-%d");

  if (hhmm == NULL)
    return g_steal_pointer (&ymd);
  return g_strdup_printf ("%sT%s:00.000Z", ymd, hhmm);
}

/* A fixed data set on two days 20 days ago (only there), with known figures. */
static void
test_report (void)
{
  g_autofree char *c = g_uuid_string_random ();
  g_autoptr(JsonNode) r = NULL;
  JsonObject *o;
  struct { const char *id; } t[4];
  g_autoptr(GString) ops = g_string_new (NULL);
  g_autofree char *data = create_data ("Report", "password");
  g_autofree char *data2 = create_data ("Report", "network");
  char *ids[4];

  for (guint i = 0; i < 4; i++)
    ids[i] = g_uuid_string_random (), t[i].id = ids[i];

#define OP(ticket, type, bv, day, hhmm, d) G_STMT_START { \
    g_autofree char *id_ = g_uuid_string_random (); \
    g_autofree char *at_ = report_time (day, hhmm); \
    g_autofree char *op_ = op_json (id_, ticket, type, bv, at_, d); \
    g_string_append_printf (ops, "%s%s", ops->len ? "," : "", op_); } G_STMT_END

  /* P1 tickets: due 4 h after creation. */
  /* A: password, resolved at first contact after 10 min */
  OP (t[0].id, "create", 0, 0, "08:00", data);
  OP (t[0].id, "resolve", 1, 0, "08:10", "{\"code\":\"first_contact\",\"summary\":\"ok\"}");
  /* B: network, handed off, resolved by the specialist after 5 h (late) */
  OP (t[1].id, "create", 0, 0, "09:00", data2);
  OP (t[1].id, "handoff", 1, 0, "09:30", "{\"queue\":\"network\",\"summary\":\"x\"}");
  /* C: network, resolved "solved" after 1 h, on the next day's creation */
  OP (t[2].id, "create", 0, 1, "10:00", data2);
  OP (t[2].id, "resolve", 1, 1, "11:00", "{\"code\":\"solved\",\"summary\":\"ok\"}");
  /* D: password, still open long past due */
  OP (t[3].id, "create", 0, 1, "12:00", data);
#undef OP

  r = sync_ops (shared, tok_alex, c, NO_CHANGES, ops->str);
  g_clear_pointer (&r, json_node_unref);
  {
    g_autofree char *id_ = g_uuid_string_random ();
    g_autofree char *at_ = report_time (0, "14:00");
    g_autofree char *op_ = op_json (id_, t[1].id, "resolve", 2, at_,
                                    "{\"code\":\"solved\",\"summary\":\"ok\"}");
    r = sync_ops (shared, tok_sam, c, NO_CHANGES, op_);
    g_assert_cmpstr (json_object_get_string_member (result_n (r, 0), "status"), ==, "applied");
    g_clear_pointer (&r, json_node_unref);
  }

  {
    g_autofree char *from = report_time (0, NULL);
    g_autofree char *to = report_time (1, NULL);
    g_autofree char *path = g_strdup_printf ("/reports/summary?from=%s&to=%s", from, to);
    g_autofree char *from_time = report_time (0, "00:00");

    r = expect (shared, "GET", path, tok_lee, NULL, 200);
    o = json_node_get_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "from"), ==, from_time);
  }
  g_assert_cmpint (json_object_get_int_member (o, "created"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "resolved"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "escalated"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "open"), ==, 1);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "first_contact_rate"), 1.0 / 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "level1_resolution_rate"), 2.0 / 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "escalation_rate"), 0.25, 1e-9);
  /* 600 s, 3600 s, 18000 s */
  g_assert_cmpint (json_object_get_int_member (o, "median_resolve_seconds"), ==, 3600);
  /* B resolved after due, D open past due */
  g_assert_cmpint (json_object_get_int_member (o, "sla_breaches"), ==, 2);

  {
    JsonArray *cats = json_object_get_array_member (o, "by_category");
    JsonObject *net = json_array_get_object_element (cats, 0);
    JsonObject *pw = json_array_get_object_element (cats, 1);
    g_assert_cmpuint (json_array_get_length (cats), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (net, "category"), ==, "network");
    g_assert_cmpint (json_object_get_int_member (net, "created"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (net, "resolved"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (net, "escalated"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (pw, "category"), ==, "password");
    g_assert_cmpint (json_object_get_int_member (pw, "resolved"), ==, 1);
  }
  {
    JsonArray *agents = json_object_get_array_member (o, "by_agent");
    JsonObject *alex = json_array_get_object_element (agents, 0);
    JsonObject *jana = json_array_get_object_element (agents, 1);
    JsonObject *sam = json_array_get_object_element (agents, 2);
    /* every agent and specialist, also jana with nothing to count */
    g_assert_cmpuint (json_array_get_length (agents), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (jana, "agent"), ==, "jana");
    g_assert_cmpint (json_object_get_int_member (jana, "resolved"), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (alex, "agent"), ==, "alex");
    g_assert_cmpint (json_object_get_int_member (alex, "resolved"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (alex, "escalated"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (alex, "first_contact"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (sam, "agent"), ==, "sam");
    g_assert_cmpint (json_object_get_int_member (sam, "resolved"), ==, 1);
  }
  {
    JsonArray *days = json_object_get_array_member (o, "by_day");
    g_assert_cmpuint (json_array_get_length (days), ==, 2);
    g_autofree char *day0 = report_time (0, NULL);

    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (days, 0), "day"), ==, day0);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0), "created"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0), "resolved"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 1), "created"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 1), "resolved"), ==, 1);
  }
  g_clear_pointer (&r, json_node_unref);

  /* an empty range */
  {
    g_autofree char *from = report_time (5, "00:00");
    g_autofree char *to = report_time (6, "00:00");
    g_autofree char *path = g_strdup_printf ("/reports/summary?from=%s&to=%s", from, to);

    r = expect (shared, "GET", path, tok_lee, NULL, 200);
  }
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r), "created"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (r), "escalation_rate"), ==, 0.0);

  for (guint i = 0; i < 4; i++)
    g_free (ids[i]);
}

static void
test_checklists (void)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autoptr(JsonNode) list = expect (shared, "GET", "/checklists", tok_alex, NULL, 200);
  JsonArray *array = json_object_get_array_member (json_node_get_object (list), "checklists");
  g_autoptr(JsonNode) vpn = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autofree char *text = NULL;

  gint64 cursor = latest_cursor (shared, tok_alex);
  gint64 version;
  JsonObject *obj;

  /* seeded from data/checklists */
  g_assert_cmpuint (json_array_get_length (array), >=, 8);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (array, i), "id"), "vpn"))
      vpn = json_node_copy (json_array_get_element (array, i));
  g_assert_nonnull (vpn);
  obj = json_node_get_object (vpn);
  version = json_object_get_int_member (obj, "version");

  text = json_to_string (vpn, FALSE);
  stored = expect (shared, "PUT", "/checklists/vpn", tok_lee, text, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stored), "version"), ==, version + 1);
  g_clear_pointer (&text, g_free);

  /* published after the cursor: in the sync changes */
  {
    g_autoptr(JsonNode) resp = sync_ops (shared, tok_alex, client, cursor, "");
    JsonArray *cls = json_object_get_array_member (json_object_get_object_member (json_node_get_object (resp), "changes"), "checklists");
    g_assert_cmpuint (json_array_get_length (cls), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (cls, 0), "id"), ==, "vpn");
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (resp), "cursor"), >, cursor);
  }

  /* a step pointing at an unknown step */
  {
    JsonArray *steps = json_object_get_array_member (obj, "steps");
    JsonObject *step0 = json_array_get_object_element (steps, 0);
    g_autoptr(JsonNode) saved = json_node_copy (json_object_get_member (step0, "yes"));

    json_object_set_string_member (step0, "yes", "no-such-step");
    text = json_to_string (vpn, FALSE);
    expect_error (shared, "PUT", "/checklists/vpn", tok_lee, text, 422, "unprocessable");
    g_clear_pointer (&text, g_free);

    /* a cycle: the first step's branch back to itself */
    json_object_set_string_member (step0, "yes", json_object_get_string_member (step0, "id"));
    text = json_to_string (vpn, FALSE);
    expect_error (shared, "PUT", "/checklists/vpn", tok_lee, text, 422, "unprocessable");
    g_clear_pointer (&text, g_free);
    json_object_set_member (step0, "yes", g_steal_pointer (&saved));
  }

  /* the id in the path must match */
  text = json_to_string (vpn, FALSE);
  expect_error (shared, "PUT", "/checklists/printer", tok_lee, text, 422, "unprocessable");

  /* nothing of that was stored */
  {
    g_autoptr(JsonNode) again = expect (shared, "GET", "/checklists", tok_alex, NULL, 200);
    JsonArray *a = json_object_get_array_member (json_node_get_object (again), "checklists");
    for (guint i = 0; i < json_array_get_length (a); i++)
      if (g_str_equal (json_object_get_string_member (json_array_get_object_element (a, i), "id"), "vpn"))
        g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, i), "version"), ==, version + 1);
  }
}

/* -------------------------------------------------------------------------- */
/* Concurrency and crashes */

typedef struct
{
  Server     *server;
  const char *token;
  char       *client;
  guint       n_ops;
  guint       batch;
  GPtrArray  *op_texts;      /* every op, as JSON text */
  GPtrArray  *op_ids;
  GHashTable *acked;         /* op_id → "version:number" of the first answer */
  GHashTable *numbers;       /* ticket numbers seen (shared, under lock) */
  GMutex     *lock;
  guint       applied;
  gboolean    tolerate_errors;
} Pusher;

static void
pusher_prepare (Pusher *p)
{
  g_autofree char *data = create_data ("Last", "software");

  p->client = g_uuid_string_random ();
  p->op_texts = g_ptr_array_new_with_free_func (g_free);
  p->op_ids = g_ptr_array_new_with_free_func (g_free);
  p->acked = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < p->n_ops; i++)
    {
      char *op_id = g_uuid_string_random ();
      g_autofree char *ticket = g_uuid_string_random ();
      g_ptr_array_add (p->op_texts, op_json (op_id, ticket, "create", 0, NULL, data));
      g_ptr_array_add (p->op_ids, op_id);
    }
}

static void
pusher_clear (Pusher *p)
{
  g_free (p->client);
  g_ptr_array_unref (p->op_texts);
  g_ptr_array_unref (p->op_ids);
  g_hash_table_unref (p->acked);
}

/* Sends the ops in batches; with @tolerate_errors a failed request (server gone) stops. */
static gboolean
pusher_send (Pusher *p)
{
  g_autoptr(SoupSession) session = fl_test_session_new ();
  guint retries = 0;

  for (guint start = 0; start < p->n_ops; start += p->batch)
    {
      gboolean retried = retries > 0;
      g_autoptr(GString) body = g_string_new (NULL);
      g_autofree char *url = g_strconcat (p->server->url, "/api/v1/sync", NULL);
      g_autofree char *auth = g_strconcat ("Bearer ", p->token, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonArray *results;
      guint end = MIN (start + p->batch, p->n_ops);

      g_string_append_printf (body, "{\"client_id\":\"%s\",\"cursor\":%d,\"ops\":[", p->client, NO_CHANGES);
      for (guint i = start; i < end; i++)
        g_string_append_printf (body, "%s%s", i > start ? "," : "", (char *) g_ptr_array_index (p->op_texts, i));
      g_string_append (body, "]}");

      bytes = g_bytes_new (body->str, body->len);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      if (reply == NULL && !p->tolerate_errors && retries < 3)
        {
          /* A kept-alive connection can be dropped under us; a client sends the
           * same ops again, and exactly-once makes that safe. */
          g_test_message ("push: %s; sending the batch again", error->message);
          retries++;
          retried = TRUE;
          start -= p->batch;
          continue;
        }
      if (reply == NULL || soup_message_get_status (msg) != 200)
        {
          if (p->tolerate_errors)
            return FALSE;
          g_error ("push failed: %s %u", error ? error->message : "", soup_message_get_status (msg));
        }
      retries = 0;

      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
                                                 g_bytes_get_size (reply), NULL));
      results = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "results");
      g_assert_cmpuint (json_array_get_length (results), ==, end - start);
      for (guint i = 0; i < end - start; i++)
        {
          JsonObject *r = json_array_get_object_element (results, i);
          const char *op_id = g_ptr_array_index (p->op_ids, start + i);
          const char *status = json_object_get_string_member (r, "status");
          char *ack = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                       json_object_get_int_member (r, "version"),
                                       json_object_get_int_member (r, "number"));
          const char *earlier = g_hash_table_lookup (p->acked, op_id);

          g_assert_cmpstr (json_object_get_string_member (r, "op_id"), ==, op_id);
          if (earlier != NULL)
            {
              /* acknowledged before: now a duplicate with the same figures */
              g_assert_cmpstr (status, ==, "duplicate");
              g_assert_cmpstr (earlier, ==, ack);
              g_free (ack);
              continue;
            }
          if (g_str_equal (status, "applied") || (retried && g_str_equal (status, "duplicate")))
            {
              p->applied++;
              g_mutex_lock (p->lock);
              g_assert_true (g_hash_table_add (p->numbers,
                                               GINT_TO_POINTER (json_object_get_int_member (r, "number"))));
              g_mutex_unlock (p->lock);
            }
          else
            {
              /* a retry after a crash: applied before the crash, never acknowledged */
              g_assert_cmpstr (status, ==, "duplicate");
              g_assert_true (p->tolerate_errors);
            }
          g_hash_table_insert (p->acked, (gpointer) op_id, ack);
        }
      g_atomic_int_inc (&push_progress);
    }
  return TRUE;
}

static gpointer
pusher_thread (gpointer data)
{
  return GINT_TO_POINTER (pusher_send (data));
}

static void
test_concurrency (void)
{
  enum { N_CLIENTS = 20, N_OPS = 200 };
  Pusher pushers[N_CLIENTS] = { { 0 } };
  GThread *threads[N_CLIENTS];
  g_autoptr(GHashTable) numbers = g_hash_table_new (NULL, NULL);
  g_autoptr(JsonNode) list = NULL;
  GMutex lock;
  const char *tokens[] = { tok_alex, tok_jana, tok_sam, tok_lee };

  g_mutex_init (&lock);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      pushers[i].server = shared;
      pushers[i].token = tokens[i % 4];
      pushers[i].n_ops = N_OPS;
      pushers[i].batch = 50;
      pushers[i].numbers = numbers;
      pushers[i].lock = &lock;
      pusher_prepare (&pushers[i]);
    }
  for (guint i = 0; i < N_CLIENTS; i++)
    threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (pushers[i].applied, ==, N_OPS);
    }
  g_assert_cmpuint (g_hash_table_size (numbers), ==, N_CLIENTS * N_OPS);

  /* all again: every one a duplicate with its first figures */
  for (guint i = 0; i < N_CLIENTS; i++)
    threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (pushers[i].applied, ==, N_OPS);
      pusher_clear (&pushers[i]);
    }

  list = expect (shared, "GET", "/tickets?q=Last", tok_lee, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (list), "total"), ==, N_CLIENTS * N_OPS);
  g_mutex_clear (&lock);
}

static gint64
latest_cursor (Server     *s,
               const char *token)
{
  gint64 cursor = 0;

  for (;;)
    {
      g_autofree char *b = g_strdup_printf ("{\"client_id\":\"00000000-0000-4000-8000-000000000001\","
                                            "\"cursor\":%" G_GINT64_FORMAT ",\"limit\":5000}", cursor);
      g_autoptr(JsonNode) r = expect (s, "POST", "/sync", token, b, 200);
      cursor = json_object_get_int_member (json_node_get_object (r), "cursor");
      if (!json_object_get_boolean_member (json_node_get_object (r), "more"))
        return cursor;
    }
}

static void
test_crash (void)
{
  enum { N_CLIENTS = 4, N_OPS = 300 };
  g_autofree char *dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  Server *s;
  Pusher pushers[N_CLIENTS] = { { 0 } };
  GThread *threads[N_CLIENTS];
  g_autoptr(GHashTable) numbers = g_hash_table_new (NULL, NULL);
  g_autoptr(JsonNode) list = NULL;
  g_autofree char *token = NULL;
  guint acked = 0;
  gint64 cursor_before, cursor_after, stored_before;
  gint64 t0 = g_get_monotonic_time ();
  GMutex lock;

  fl_test_add_user (dir, "alex", "agent", "pw-alex");
  s = fl_test_server_start (dir);
  token = login (s, "alex");
  g_mutex_init (&lock);

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      pushers[i].server = s;
      pushers[i].token = token;
      pushers[i].n_ops = N_OPS;
      pushers[i].batch = 5;
      pushers[i].numbers = numbers;
      pushers[i].lock = &lock;
      pushers[i].tolerate_errors = TRUE;
      pusher_prepare (&pushers[i]);
      threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
    }

  /* kill -9 while they push: after a fifth of the batches */
  g_atomic_int_set (&push_progress, 0);
  for (guint i = 0; i < 20000 && g_atomic_int_get (&push_progress) < N_CLIENTS * N_OPS / 5 / 5; i++)
    g_usleep (500);
  g_subprocess_force_exit (s->proc);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_thread_join (threads[i]);
      acked += g_hash_table_size (pushers[i].acked);
    }
  g_test_message ("acknowledged before the crash: %u of %u (%.1f s)", acked, N_CLIENTS * N_OPS,
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (acked, <, N_CLIENTS * N_OPS);
  fl_test_server_kill (s);
  fl_test_server_free (s);

  /* restart on the same data; replay everything from every client */
  s = fl_test_server_start (dir);
  g_test_message ("restarted (%.1f s)", (g_get_monotonic_time () - t0) / 1e6);
  cursor_before = latest_cursor (s, token);   /* the token survived the crash */
  {
    g_autoptr(JsonNode) before = expect (s, "GET", "/tickets?limit=1", token, NULL, 200);
    stored_before = json_object_get_int_member (json_node_get_object (before), "total");
    g_assert_cmpint (stored_before, >=, acked);
  }
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      pushers[i].server = s;
      pushers[i].tolerate_errors = TRUE;
      threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
    }
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
      g_assert_cmpuint (g_hash_table_size (pushers[i].acked), ==, N_OPS);
      pusher_clear (&pushers[i]);
    }

  g_test_message ("replayed (%.1f s)", (g_get_monotonic_time () - t0) / 1e6);
  /* each op stored exactly once: one ticket per create op, numbers unique */
  list = expect (s, "GET", "/tickets?limit=1", token, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (list), "total"), ==, N_CLIENTS * N_OPS);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (json_node_get_object (list), "tickets"), 0), "number"),
                   <=, N_CLIENTS * N_OPS);
  cursor_after = latest_cursor (s, token);
  g_assert_cmpint (cursor_after, >=, cursor_before);
  /* one new event per op stored after the restart, none twice */
  g_assert_cmpint (cursor_after - cursor_before, ==, N_CLIENTS * N_OPS - stored_before);

  fl_test_server_stop (s);
  fl_test_server_free (s);
  g_mutex_clear (&lock);
  fl_test_rm_rf (dir);
}

/* 20 kill -9 while four clients push: every acknowledged op survives, none is
 * applied twice, and every answer repeated after a crash has the first figures. */
static void
test_crash_repeated (void)
{
  enum { N_CLIENTS = 4, N_OPS = 400, N_KILLS = 20 };
  g_autofree char *dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  Server *s;
  Pusher pushers[N_CLIENTS] = { { 0 } };
  GThread *threads[N_CLIENTS];
  g_autoptr(GHashTable) numbers = g_hash_table_new (NULL, NULL);
  g_autoptr(JsonNode) list = NULL;
  g_autofree char *token = NULL;
  guint kills = 0;
  guint n_events = 0;
  gint64 cursor;
  GMutex lock;

  fl_test_add_user (dir, "alex", "agent", "pw-alex");
  s = fl_test_server_start (dir);
  token = login (s, "alex");
  g_mutex_init (&lock);

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      pushers[i].token = token;
      pushers[i].n_ops = N_OPS;
      pushers[i].batch = 10;
      pushers[i].numbers = numbers;
      pushers[i].lock = &lock;
      pusher_prepare (&pushers[i]);
    }

  for (;;)
    {
      gboolean all_done = TRUE;
      guint acked = 0;

      /* each round sends every op again from the start: the acknowledged ones
       * must come back as duplicates with their first version and number */
      g_atomic_int_set (&push_progress, 0);
      for (guint i = 0; i < N_CLIENTS; i++)
        {
          pushers[i].server = s;
          pushers[i].tolerate_errors = TRUE;
          threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
        }
      if (kills < N_KILLS)
        {
          /* a few new batches acknowledged, then the crash */
          for (guint i = 0; i < 20000 && g_atomic_int_get (&push_progress) < 2 * N_CLIENTS; i++)
            g_usleep (500);
          g_subprocess_force_exit (s->proc);
        }
      for (guint i = 0; i < N_CLIENTS; i++)
        {
          all_done &= GPOINTER_TO_INT (g_thread_join (threads[i]));
          acked += g_hash_table_size (pushers[i].acked);
        }
      if (kills >= N_KILLS)
        {
          g_assert_true (all_done);
          break;
        }
      kills++;
      g_test_message ("kill %u: %u of %u acknowledged", kills, acked, N_CLIENTS * N_OPS);
      fl_test_server_kill (s);
      fl_test_server_restart (s);
    }

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_assert_cmpuint (g_hash_table_size (pushers[i].acked), ==, N_OPS);
      pusher_clear (&pushers[i]);
    }
  /* one ticket and one event per op: nothing lost, nothing doubled (numbers
   * first seen as "applied" were checked unique on the way) */
  list = expect (s, "GET", "/tickets?limit=1", token, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (list), "total"), ==,
                   N_CLIENTS * N_OPS);
  for (cursor = 0;;)
    {
      g_autofree char *b = g_strdup_printf ("{\"client_id\":\"00000000-0000-4000-8000-000000000001\","
                                            "\"cursor\":%" G_GINT64_FORMAT ",\"limit\":5000}", cursor);
      g_autoptr(JsonNode) r = expect (s, "POST", "/sync", token, b, 200);
      JsonObject *changes = json_object_get_object_member (json_node_get_object (r), "changes");

      n_events += json_array_get_length (json_object_get_array_member (changes, "events"));
      cursor = json_object_get_int_member (json_node_get_object (r), "cursor");
      if (!json_object_get_boolean_member (json_node_get_object (r), "more"))
        break;
    }
  g_assert_cmpuint (n_events, ==, N_CLIENTS * N_OPS);

  fl_test_server_stop (s);
  fl_test_server_free (s);
  g_mutex_clear (&lock);
  fl_test_rm_rf (dir);
}

static void
test_restart (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *token = NULL;
  g_autofree char *data = create_data ("Neustart", "other");
  gint64 number1, seq1;
  Server *s;

  fl_test_add_user (dir, "lee", "lead", "pw-lee");
  s = fl_test_server_start (dir);
  token = login (s, "lee");
  {
    g_autofree char *o = g_uuid_string_random ();
    g_autofree char *t = g_uuid_string_random ();
    g_autofree char *op = op_json (o, t, "create", 0, NULL, data);
    g_autoptr(JsonNode) r = sync_ops (s, token, client, 0, op);
    number1 = json_object_get_int_member (result_n (r, 0), "number");
    seq1 = json_object_get_int_member (json_node_get_object (r), "cursor");
  }
  fl_test_server_stop (s);   /* SIGTERM: exit 0 */
  fl_test_server_free (s);

  s = fl_test_server_start (dir);
  {
    g_autofree char *o = g_uuid_string_random ();
    g_autofree char *t = g_uuid_string_random ();
    g_autofree char *op = op_json (o, t, "create", 0, NULL, data);
    g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"ops\":[%s]}",
                                             client, seq1, op);
    g_autoptr(JsonNode) r = expect (s, "POST", "/sync", token, body, 200);
    JsonArray *events = json_object_get_array_member (json_object_get_object_member (json_node_get_object (r), "changes"), "events");
    g_assert_cmpint (json_object_get_int_member (result_n (r, 0), "number"), ==, number1 + 1);
    g_assert_cmpuint (json_array_get_length (events), ==, 1);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (events, 0), "seq"), >, seq1);
  }
  fl_test_server_stop (s);
  fl_test_server_free (s);
  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* A long push does not stall the main loop */

typedef struct
{
  Server     *server;
  const char *token;
  char       *body;
  guint       status;
  JsonNode   *response;
  gint64      started;    /* monotonic µs, set before the thread starts */
  gint64      finished;
  gint        done;
} Request;

static gpointer
request_thread (gpointer data)
{
  Request *r = data;

  r->response = http (r->server, "POST", "/sync", r->token, r->body, &r->status, NULL);
  r->finished = g_get_monotonic_time ();
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

/* Words that are all different, so that the search index has work to do. */
static char *
long_text (GRand *rand,
           gsize  length)
{
  GString *text = g_string_new (NULL);

  while (text->len < length)
    g_string_append_printf (text, "w%x%x ", g_rand_int (rand), g_rand_int (rand));
  g_string_truncate (text, length);
  return g_string_free (text, FALSE);
}

static void
test_push_off_loop (void)
{
  enum { N_TICKETS = 10, N_OPS = 500, N_SAMPLES = 10 };
  g_autofree char *dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  g_autofree char *c_alex = g_uuid_string_random ();
  g_autofree char *c_jana = g_uuid_string_random ();
  g_autofree char *c_sam = g_uuid_string_random ();
  g_autofree char *t_alex = NULL, *t_jana = NULL, *t_sam = NULL;
  g_autoptr(GString) creates = g_string_new (NULL);
  g_autoptr(GString) notes = g_string_new ("[");
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *health_url = NULL;
  g_autoptr(JsonNode) created = NULL;
  char *tickets[N_TICKETS];
  Request push = { 0 }, poll = { 0 };
  GThread *push_thread, *poll_thread_;
  gint64 slow = fl_test_slowdown ();
  gint64 wake_sent = 0, worst_health = 0, cursor;
  guint n_health = 0, n_during = 0;
  JsonArray *results;
  Server *s;

  fl_test_add_user (dir, "alex", "agent", "pw-alex");
  fl_test_add_user (dir, "jana", "agent", "pw-jana");
  fl_test_add_user (dir, "sam", "specialist", "pw-sam");
  s = fl_test_server_start (dir);
  t_alex = login (s, "alex");
  t_jana = login (s, "jana");
  t_sam = login (s, "sam");

  for (guint i = 0; i < N_TICKETS; i++)
    {
      g_autofree char *op_id = g_uuid_string_random ();
      g_autofree char *data = create_data ("Drucker druckt nicht", "hardware");
      g_autofree char *op = NULL;

      tickets[i] = g_uuid_string_random ();
      op = op_json (op_id, tickets[i], "create", 0, NULL, data);
      g_string_append_printf (creates, "%s%s", i ? "," : "", op);
    }
  created = sync_ops (s, t_alex, c_alex, NO_CHANGES, creates->str);

  /* 50 notes of 600 characters on each ticket: each one rewrites its ticket's growing
   * search entry. A small body, so that reading it is quick next to applying it. */
  for (guint i = 0; i < N_OPS; i++)
    {
      g_autofree char *op_id = g_uuid_string_random ();
      g_autofree char *text = long_text (rand, 600);
      g_autofree char *data = g_strdup_printf ("{\"body\":\"%s\"}", text);
      g_autofree char *op = op_json (op_id, tickets[i % N_TICKETS], "note", 1, NULL, data);

      g_string_append_printf (notes, "%s%s", i ? "," : "", op);
    }
  g_string_append_c (notes, ']');
  g_assert_cmpuint (notes->len, <, 1024 * 1024);

  /* jana waits for news */
  cursor = latest_cursor (s, t_jana);
  poll.server = s;
  poll.token = t_jana;
  poll.body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT ",\"wait\":30}",
                               c_jana, cursor);
  poll.started = g_get_monotonic_time ();
  poll_thread_ = g_thread_new ("poll", request_thread, &poll);
  g_usleep (200 * 1000);
  g_assert_cmpint (g_atomic_int_get (&poll.done), ==, 0);

  /* alex pushes 500 notes in one request (a cursor past the end: a short answer) */
  push.server = s;
  push.token = t_alex;
  push.body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"ops\":%s}", c_alex,
                               NO_CHANGES, notes->str);
  push.started = g_get_monotonic_time ();
  push_thread = g_thread_new ("push", request_thread, &push);

  /* Meanwhile: health checks (on one kept-alive connection, few of them: the test
   * shares the machine with the server), and sam opening a ticket wakes jana's long
   * poll. */
  health_url = g_strconcat (s->url, "/api/v1/health", NULL);
  while (!g_atomic_int_get (&push.done) && n_during < N_SAMPLES)
    {
      gint64 start = g_get_monotonic_time ();
      guint status = 0;
      g_autoptr(JsonNode) health = fl_test_http_full (session, "GET", health_url, NULL, NULL,
                                                      &status, NULL);
      gint64 end = g_get_monotonic_time ();

      g_assert_cmpuint (status, ==, 200);
      n_health++;
      /* after the upload, while the ops are applied */
      if (start > push.started + 30 * 1000 * slow && !g_atomic_int_get (&push.done))
        {
          n_during++;
          worst_health = MAX (worst_health, end - start);

          if (wake_sent == 0)
            {
              g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,"
                                                       "\"viewing\":\"%s\"}",
                                                       c_sam, NO_CHANGES, tickets[0]);
              g_autoptr(JsonNode) resp = NULL;

              wake_sent = g_get_monotonic_time ();
              resp = expect (s, "POST", "/sync", t_sam, body, 200);
            }
        }
      g_usleep (10 * 1000);
    }

  g_thread_join (push_thread);
  g_thread_join (poll_thread_);

  g_test_message ("push: %" G_GINT64_FORMAT " ms; health checks: %u, during it: %u, worst %"
                  G_GINT64_FORMAT " ms; long poll woken after %" G_GINT64_FORMAT " ms",
                  (push.finished - push.started) / 1000, n_health, n_during, worst_health / 1000,
                  (poll.finished - wake_sent) / 1000);

  /* the push was long and complete */
  g_assert_cmpuint (push.status, ==, 200);
  results = json_object_get_array_member (json_node_get_object (push.response), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, N_OPS);
  for (guint i = 0; i < N_OPS; i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, i),
                                                    "status"), ==, "applied");
  /* (long enough for the health checks below: with the search index written once
   * per push, 500 notes take about 0.2 s here) */

  /* health was answered at once while it ran */
  g_assert_cmpuint (n_during, >=, 3);
  g_assert_cmpint (worst_health, <, 100 * 1000 * slow);

  /* the long poll was woken by sam's presence at once, before the push was done */
  g_assert_cmpint (wake_sent, >, 0);
  g_assert_cmpuint (poll.status, ==, 200);
  g_assert_cmpint (poll.finished - wake_sent, <, 100 * 1000 * slow);
  g_assert_cmpint (poll.finished, <, push.finished);
  {
    JsonArray *presence = json_object_get_array_member (json_node_get_object (poll.response),
                                                        "presence");
    g_assert_cmpuint (json_array_get_length (presence), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (presence, 0),
                                                    "username"), ==, "sam");
  }

  /* and everything is there afterwards */
  {
    g_autofree char *path = g_strdup_printf ("/tickets/%s", tickets[N_TICKETS - 1]);
    g_autoptr(JsonNode) t = expect (s, "GET", path, t_jana, NULL, 200);
    JsonArray *events = json_object_get_array_member (json_node_get_object (t), "events");

    g_assert_cmpuint (json_array_get_length (events), ==, 1 + N_OPS / N_TICKETS);
  }

  for (guint i = 0; i < N_TICKETS; i++)
    g_free (tickets[i]);
  g_free (push.body);
  g_free (poll.body);
  g_clear_pointer (&push.response, json_node_unref);
  g_clear_pointer (&poll.response, json_node_unref);
  fl_test_server_stop (s);
  fl_test_server_free (s);
  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *checklists = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  checklists = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "checklists", NULL);
  g_setenv ("FIRSTLINE_CHECKLIST_DIR", checklists, TRUE);

  dir = g_dir_make_tmp ("fl-server-XXXXXX", NULL);
  fl_test_add_user (dir, "alex", "agent", "pw-alex");
  fl_test_add_user (dir, "jana", "agent", "pw-jana");
  fl_test_add_user (dir, "sam", "specialist", "pw-sam");
  fl_test_add_user (dir, "lee", "lead", "pw-lee");
  shared = fl_test_server_start (dir);
  tok_alex = login (shared, "alex");
  tok_jana = login (shared, "jana");
  tok_sam = login (shared, "sam");
  tok_lee = login (shared, "lee");

  g_test_add_func ("/server/cli", test_cli);
  g_test_add_func ("/server/errors", test_errors);
  g_test_add_func ("/server/roles", test_roles);
  g_test_add_func ("/server/session", test_session);
  g_test_add_func ("/server/rate-limit", test_rate_limit);
  g_test_add_func ("/server/ops", test_ops);
  g_test_add_func ("/server/assign-rules", test_assign_rules);
  g_test_add_func ("/server/checklist-requires-any", test_checklist_requires_any);
  g_test_add_func ("/server/hostile-ops", test_hostile_ops);
  g_test_add_func ("/server/presence-bounds", test_presence_bounds);
  g_test_add_func ("/server/conflicts", test_conflicts);
  g_test_add_func ("/server/duplicates", test_duplicates);
  g_test_add_func ("/server/changes", test_changes);
  g_test_add_func ("/server/long-poll", test_long_poll);
  g_test_add_func ("/server/long-poll/shared-answers", test_long_poll_shared_answers);
  g_test_add_func ("/server/batch-search-index", test_batch_search_index);
  g_test_add_func ("/server/log-client-closed", test_log_client_closed);
  g_test_add_func ("/server/tickets", test_tickets_query);
  g_test_add_func ("/server/report", test_report);
  g_test_add_func ("/server/checklists", test_checklists);
  g_test_add_func ("/server/concurrency", test_concurrency);
  g_test_add_func ("/server/crash", test_crash);
  g_test_add_func ("/server/crash/repeated", test_crash_repeated);
  g_test_add_func ("/server/restart", test_restart);
  g_test_add_func ("/server/push-off-loop", test_push_off_loop);

  ret = g_test_run ();

  fl_test_server_stop (shared);
  fl_test_server_free (shared);
  g_free (tok_alex);
  g_free (tok_jana);
  g_free (tok_sam);
  g_free (tok_lee);
  fl_test_rm_rf (dir);
  return ret;
}
