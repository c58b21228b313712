/* test-server-intake.c — GET /api/v1/tickets/similar, GET/PUT /api/v1/answers,
 * answers in sync, and firstline-cli similar/answer against the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fl-test-util.h"

static FlTestServer *server;
static char *tok_alex, *tok_lee;

static JsonNode *
expect (const char *method,
        const char *path,
        const char *token,
        const char *body,
        guint       expected)
{
  g_autofree char *url = g_strconcat (server->url, "/api/v1", path, NULL);
  guint status = 0;
  JsonNode *node = fl_test_http (method, url, token, body, &status);

  if (status != expected)
    g_error ("%s %s: expected %u, got %u: %s", method, path, expected, status,
             node ? json_to_string (node, FALSE) : "");
  return node;
}

static void
expect_error (const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(JsonNode) node = expect (method, path, token, body, status);
  JsonObject *err = json_object_get_object_member (json_node_get_object (node), "error");

  g_assert_nonnull (err);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_cmpuint (strlen (json_object_get_string_member (err, "message")), >, 0);
}

static char *
login (const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"pw-%s\"}", name,
                                           name);
  g_autoptr(JsonNode) node = expect ("POST", "/session", NULL, body, 200);

  return g_strdup (json_object_get_string_member (json_node_get_object (node), "token"));
}

static JsonNode *
sync_ops (const char *token,
          gint64      cursor,
          const char *ops)
{
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                                           ",\"ops\":[%s]}", client, cursor, ops);
  return expect ("POST", "/sync", token, body, 200);
}

/* Creates a ticket and resolves it when @resolution is given; returns its id. */
static char *
ticket (const char *title,
        const char *description,
        const char *category,
        const char *resolution)
{
  char *id = g_uuid_string_random ();
  g_autofree char *op1 = g_uuid_string_random ();
  g_autofree char *op2 = g_uuid_string_random ();
  g_autofree char *ops = NULL;
  g_autoptr(JsonNode) resp = NULL;
  JsonArray *results;

  ops = g_strdup_printf ("{\"op_id\":\"%s\",\"ticket_id\":\"%s\",\"type\":\"create\","
                         "\"base_version\":0,\"at\":null,\"data\":{\"title\":\"%s\","
                         "\"description\":\"%s\",\"requester\":{\"name\":\"Jana Krüger\"},"
                         "\"category\":\"%s\",\"channel\":\"phone\"}}"
                         "%s%s%s%s%s%s%s",
                         op1, id, title, description, category,
                         resolution ? ",{\"op_id\":\"" : "", resolution ? op2 : "",
                         resolution ? "\",\"ticket_id\":\"" : "", resolution ? id : "",
                         resolution ? "\",\"type\":\"resolve\",\"base_version\":1,\"at\":null,"
                                      "\"data\":{\"code\":\"solved\",\"summary\":\"" : "",
                         resolution ? resolution : "", resolution ? "\"}}" : "");
  resp = sync_ops (tok_alex, G_MAXINT32, ops);
  results = json_object_get_array_member (json_node_get_object (resp), "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, i),
                                                    "status"), ==, "applied");
  return id;
}

static gint64
latest_cursor (const char *token)
{
  g_autoptr(JsonNode) resp = NULL;
  gint64 cursor = 0;
  gboolean more = TRUE;

  while (more)
    {
      g_clear_pointer (&resp, json_node_unref);
      resp = sync_ops (token, cursor, "");
      cursor = json_object_get_int_member (json_node_get_object (resp), "cursor");
      more = json_object_get_boolean_member (json_node_get_object (resp), "more");
    }
  return cursor;
}

/* -------------------------------------------------------------------------- */

static void
test_similar (void)
{
  g_autofree char *a = ticket ("Windows Update bricht ab", "Fehlercode 0x80070005", "software",
                               "SoftwareDistribution geleert");
  g_autofree char *b = ticket ("Password expired", "Cannot log in", "password",
                               "Identity verified, password reset");
  g_autofree char *c = ticket ("Password expired again", "", "password", NULL);
  g_autofree char *title = g_uri_escape_string ("pasword expird", NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/tickets/similar?title=%s&category=password", title);
  g_autoptr(JsonNode) resp = expect ("GET", path, tok_alex, NULL, 200);
  g_autoptr(JsonNode) by_code = NULL;
  g_autoptr(JsonNode) none = NULL;
  JsonObject *obj = json_node_get_object (resp);
  JsonArray *tickets = json_object_get_array_member (obj, "tickets");
  JsonObject *first;

  g_assert_cmpuint (json_object_get_size (obj), ==, 1);
  g_assert_cmpuint (json_array_get_length (tickets), >=, 1);
  first = json_array_get_object_element (tickets, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (first, "ticket"),
                                                  "id"), ==, b);
  g_assert_cmpfloat (json_object_get_double_member (first, "score"), >, 0.0);
  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *t = json_object_get_object_member (json_array_get_object_element (tickets, i),
                                                     "ticket");

      g_assert_cmpstr (json_object_get_string_member (t, "id"), !=, c);
      g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "resolved");
    }

  by_code = expect ("GET", "/tickets/similar?title=80070005&limit=1", tok_alex, NULL, 200);
  tickets = json_object_get_array_member (json_node_get_object (by_code), "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_array_get_object_element (tickets, 0),
                                                    "ticket"), "id"), ==, a);

  none = expect ("GET", "/tickets/similar", tok_alex, NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (none), "tickets")), ==, 0);

  /* as for GET /tickets, a limit beyond the range is clamped to it */
  {
    g_autoptr(JsonNode) many = expect ("GET", "/tickets/similar?title=password&limit=99", tok_alex,
                                       NULL, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_node_get_object (many), "tickets")), <=, 20);
  }
  expect_error ("GET", "/tickets/similar?title=x&limit=zero", tok_alex, NULL, 400, "bad_request");
  expect_error ("POST", "/tickets/similar", tok_alex, "{}", 405, "method_not_allowed");
  expect_error ("GET", "/tickets/similar?title=x", NULL, NULL, 401, "unauthorized");
}

static const char *answer_json =
  "{\"id\":\"password-reset-done\",\"category\":\"password\",\"keyword\":\"pwreset\","
  "\"title\":{\"de\":\"Passwort zurückgesetzt (neu)\",\"en\":\"Password reset done (new)\"},"
  "\"body\":{\"de\":\"Hallo {requester.name}, Ticket {ticket.number}. {agent.display_name}\","
  "\"en\":\"Hello {requester.name}, ticket {ticket.number}. {agent.display_name}\"}}";

static void
test_answers (void)
{
  g_autoptr(JsonNode) list = expect ("GET", "/answers", tok_alex, NULL, 200);
  JsonArray *answers = json_object_get_array_member (json_node_get_object (list), "answers");
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) resp = NULL;
  gint64 version = 0;
  gint64 cursor = latest_cursor (tok_alex);
  JsonArray *changed;

  /* the built-in ones, in German and English */
  g_assert_cmpuint (json_array_get_length (answers), >=, 12);
  for (guint i = 0; i < json_array_get_length (answers); i++)
    {
      JsonObject *a = json_array_get_object_element (answers, i);

      g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (a, "body"), "de"));
      g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (a, "body"), "en"));
      if (g_str_equal (json_object_get_string_member (a, "id"), "password-reset-done"))
        version = json_object_get_int_member (a, "version");
    }
  g_assert_cmpint (version, ==, 1);

  /* agents may not publish */
  expect_error ("PUT", "/answers/password-reset-done", tok_alex, answer_json, 403, "forbidden");
  /* invalid ones */
  expect_error ("PUT", "/answers/password-reset-done", tok_lee,
                "{\"id\":\"password-reset-done\",\"category\":\"password\","
                "\"title\":{\"de\":\"T\"},\"body\":{\"de\":\"Hallo {requester.shoe}\"}}",
                422, "unprocessable");
  expect_error ("PUT", "/answers/password-reset-done", tok_lee,
                "{\"category\":\"password\",\"title\":{\"fr\":\"T\"},\"body\":{\"de\":\"B\"}}",
                422, "unprocessable");
  expect_error ("PUT", "/answers/other-id", tok_lee, answer_json, 422, "unprocessable");
  expect_error ("PUT", "/answers/x", tok_lee, "[1]", 400, "bad_request");
  expect_error ("GET", "/answers/x", tok_lee, NULL, 405, "method_not_allowed");

  stored = expect ("PUT", "/answers/password-reset-done", tok_lee, answer_json, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stored), "version"), ==, 2);

  /* in the next sync of everybody */
  resp = sync_ops (tok_alex, cursor, "");
  changed = json_object_get_array_member (json_object_get_object_member (json_node_get_object (resp),
                                                                         "changes"), "answers");
  g_assert_cmpuint (json_array_get_length (changed), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (changed, 0), "version"),
                   ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (resp), "cursor"), >, cursor);
}

static int
cli (const char  *cache,
     const char  *stdin_text,
     char       **out,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) FL_TEST_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "--cache");
  g_ptr_array_add (argv, (gpointer) cache);
  va_start (ap, out);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  {
    g_autofree char *err = NULL;
    int status = fl_test_run ((const char * const *) argv->pdata, stdin_text, out, &err);

    if (err != NULL && *err)
      g_printerr ("# firstline-cli: %s", err);
    return status;
  }
}

/* A lead publishes with firstline-cli; the answer reaches an agent's cache by sync. */
static void
test_answer_reaches_agent (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-intake-XXXXXX", NULL);
  g_autofree char *lead_cache = g_build_filename (dir, "lead.db", NULL);
  g_autofree char *agent_cache = g_build_filename (dir, "agent.db", NULL);
  g_autofree char *file = g_build_filename (dir, "answer.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) listed = NULL;
  JsonArray *answers;
  gboolean found = FALSE;

  g_assert_true (g_file_set_contents (file,
    "{\"id\":\"vpn-token-resync\",\"category\":\"network\",\"keyword\":\"vpntoken\","
    "\"title\":{\"de\":\"VPN-Token neu synchronisiert\",\"en\":\"VPN token resynchronised\"},"
    "\"body\":{\"de\":\"Hallo {requester.name}, der Token ist wieder synchron.\","
    "\"en\":\"Hello {requester.name}, the token is in sync again.\"}}", -1, NULL));
  g_assert_true (g_file_set_contents (bad, "{\"id\":\"x\",\"category\":\"network\","
                                      "\"title\":{\"en\":\"T\"},\"body\":{\"en\":\"{oops}\"}}",
                                      -1, NULL));

  g_assert_cmpint (cli (lead_cache, "pw-lee\n", NULL, "login", server->url, "lee", NULL), ==, 0);
  g_assert_cmpint (cli (agent_cache, "pw-alex\n", NULL, "login", server->url, "alex", NULL), ==, 0);

  g_assert_cmpint (cli (agent_cache, NULL, NULL, "answer", "publish", file, NULL), ==, 1);
  g_assert_cmpint (cli (lead_cache, NULL, NULL, "answer", "publish", bad, NULL), ==, 1);
  g_assert_cmpint (cli (lead_cache, NULL, &out, "answer", "publish", file, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "vpn-token-resync"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (cli (agent_cache, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpint (cli (agent_cache, NULL, &out, "answer", "list", "--json", NULL), ==, 0);
  listed = fl_test_parse_object (out);
  answers = json_object_get_array_member (listed, "answers");
  g_assert_cmpuint (json_array_get_length (answers), >=, 13);
  for (guint i = 0; i < json_array_get_length (answers); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (answers, i), "id"),
                     "vpn-token-resync"))
      found = TRUE;
  g_assert_true (found);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (agent_cache, NULL, &out, "answer", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "::vpntoken"));

  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  int ret;

  /* no GSettings schemas for GIO's desktop proxy resolver here; all is on 127.0.0.1 */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DISPLAY");

  dir = g_dir_make_tmp ("fl-server-intake-XXXXXX", NULL);
  fl_test_add_user (dir, "alex", "agent", "pw-alex");
  fl_test_add_user (dir, "lee", "lead", "pw-lee");
  server = fl_test_server_start (dir);
  tok_alex = login ("alex");
  tok_lee = login ("lee");

  g_test_add_func ("/server-intake/similar", test_similar);
  g_test_add_func ("/server-intake/answers", test_answers);
  g_test_add_func ("/server-intake/answer-reaches-agent", test_answer_reaches_agent);

  ret = g_test_run ();

  fl_test_server_stop (server);
  fl_test_server_free (server);
  fl_test_rm_rf (dir);
  g_free (tok_alex);
  g_free (tok_lee);
  return ret;
}
