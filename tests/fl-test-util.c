/* fl-test-util.c — the shared test harness: servers, the CLI, HTTP, the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "firstline-test"

#include "config.h"

#include "fl-test-util.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* -------------------------------------------------------------------------- */
/* Files and programs                                                           */

/* $ENV, or when run by hand from the build directory, BUILD/src/SUBDIR/NAME. */
const char *
fl_test_program_path (const char *env,
                      const char *subdir,
                      const char *name)
{
  const char *build = g_getenv ("FIRSTLINE_BUILD_DIR");
  g_autofree char *path = NULL;

  if (g_getenv (env) != NULL)
    return g_getenv (env);

  path = g_build_filename (build != NULL ? build : ".", "src", subdir, name, NULL);
  return g_intern_string (path);
}

/* Removes @path and everything below it; never follows a symbolic link. */
void
fl_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        fl_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* GLib 2.74 drops the previous test's directory names when G_TEST_OPTION_ISOLATE_DIRS
 * sets new ones, on purpose (callers may still hold them); its g_ignore_leak() only
 * works in a sanitizer build of GLib. Keeping them reachable keeps LeakSanitizer's
 * report to leaks of our own. */
static void
keep_user_dirs_reachable (void)
{
  static GPtrArray *kept;
  gconstpointer dirs[] = {
    g_get_home_dir (),
    g_get_user_cache_dir (),
    g_get_user_config_dir (),
    g_get_user_data_dir (),
    g_get_user_state_dir (),
    g_get_user_runtime_dir (),
    g_get_system_config_dirs (),
    g_get_system_data_dirs (),
  };

  if (kept == NULL)
    kept = g_ptr_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (!g_ptr_array_find (kept, dirs[i], NULL))
      g_ptr_array_add (kept, (gpointer) dirs[i]);
}

static void
run_test (gconstpointer data)
{
  keep_user_dirs_reachable ();
  ((GTestFunc) data) ();
}

/* g_test_add_func() for a binary under G_TEST_OPTION_ISOLATE_DIRS and LeakSanitizer. */
void
fl_test_add_func (const char *path,
                  GTestFunc   func)
{
  g_test_add_data_func (path, (gconstpointer) func, run_test);
}

/* -------------------------------------------------------------------------- */
/* Processes                                                                    */

/* A launcher whose children see this test's isolated folders and no session
 * bus (so a token goes to the fallback file), no display and no FIRSTLINE_CACHE. */
GSubprocessLauncher *
fl_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  keep_user_dirs_reachable ();
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "FIRSTLINE_CACHE");
  return launcher;
}

/* The exit status, or 128 + the signal that ended it. */
int
fl_test_exit_status (GSubprocess *proc)
{
  if (g_subprocess_get_if_exited (proc))
    return g_subprocess_get_exit_status (proc);
  return 128 + g_subprocess_get_term_sig (proc);
}

/* Runs @argv (NULL-terminated, the program first) with @launcher (its flags
 * must pipe stdout and stderr), @stdin_text on stdin (NULL: empty), and waits.
 * Returns the exit status (128 + signal when killed); @out and @err
 * (optional) get what it wrote. */
int
fl_test_run_full (GSubprocessLauncher *launcher,
                  const char * const  *argv,
                  const char          *stdin_text,
                  char               **out,
                  char               **err)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *stdin_path = NULL;

  /* stdin from a file: a command may exit before it reads a pipe. */
  if (stdin_text != NULL)
    {
      int fd = g_file_open_tmp ("firstline-stdin-XXXXXX", &stdin_path, &error);

      g_assert_no_error (error);
      close (fd);
      g_assert_true (g_file_set_contents (stdin_path, stdin_text, -1, NULL));
    }
  g_subprocess_launcher_set_stdin_file_path (launcher, stdin_path ? stdin_path : "/dev/null");

  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (stdin_path != NULL)
    g_unlink (stdin_path);

  if (stderr_text != NULL && *stderr_text != '\0' && g_test_verbose ())
    g_printerr ("# %s: %s", argv[0], stderr_text);

  if (out)
    *out = g_steal_pointer (&stdout_text);
  if (err)
    *err = g_steal_pointer (&stderr_text);

  return fl_test_exit_status (proc);
}

/* fl_test_run_full() with fl_test_launcher_new(). */
int
fl_test_run (const char * const  *argv,
             const char          *stdin_text,
             char               **out,
             char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

  return fl_test_run_full (launcher, argv, stdin_text, out, err);
}

/* An error is one line on stderr: "PROGRAM: message\n". */
void
fl_test_assert_error_line (const char *err,
                           const char *program)
{
  g_autofree char *prefix = g_strconcat (program, ": ", NULL);

  g_assert_nonnull (err);
  g_assert_true (g_str_has_prefix (err, prefix));
  g_assert_true (g_str_has_suffix (err, "\n"));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
  g_assert_cmpuint (strlen (err), >, strlen (prefix) + 1);
}

/* -------------------------------------------------------------------------- */
/* The database                                                                 */

/* With FIRSTLINE_TEST_DATABASE (a PostgreSQL cluster started by with-postgresql.sh), each
 * data directory gets its own schema in that database, created on first use; NULL
 * otherwise (SQLite in the data directory). */
const char *
fl_test_database_for (const char *data_dir)
{
  static GHashTable *uris;
  const char *base = g_getenv ("FIRSTLINE_TEST_DATABASE");
  g_autofree char *schema = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *psql = NULL;
  g_autofree char *err = NULL;
  char *uri;

  if (base == NULL || *base == '\0')
    return NULL;
  if (uris == NULL)
    uris = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  uri = g_hash_table_lookup (uris, data_dir);
  if (uri != NULL)
    return uri;

  {
    g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, data_dir, -1);
    schema = g_strdup_printf ("t%.24s", sum);
  }
  sql = g_strdup_printf ("CREATE SCHEMA IF NOT EXISTS %s", schema);
  psql = g_build_filename (g_getenv ("FIRSTLINE_TEST_PG_BINDIR") ? g_getenv ("FIRSTLINE_TEST_PG_BINDIR")
                                                                : "/usr/bin", "psql", NULL);
  {
    const char *argv[] = { psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-c", sql, NULL };
    int status = fl_test_run (argv, NULL, NULL, &err);

    if (status != 0)
      g_printerr ("# psql: %s", err);
    g_assert_cmpint (status, ==, 0);
  }
  uri = g_strdup_printf ("%s%soptions=-csearch_path%%3D%s", base, strchr (base, '?') ? "&" : "?",
                         schema);
  g_hash_table_insert (uris, g_strdup (data_dir), uri);
  return uri;
}

gboolean
fl_test_database_is_sqlite (void)
{
  const char *base = g_getenv ("FIRSTLINE_TEST_DATABASE");

  return base == NULL || *base == '\0';
}

/* Runs @sql on the PostgreSQL database of @data_dir (tests on PostgreSQL only); returns
 * the output of psql -At without the final newline. */
char *
fl_test_database_query (const char *data_dir,
                        const char *sql)
{
  const char *uri = fl_test_database_for (data_dir);
  g_autofree char *psql = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  g_assert_nonnull (uri);
  psql = g_build_filename (g_getenv ("FIRSTLINE_TEST_PG_BINDIR") ? g_getenv ("FIRSTLINE_TEST_PG_BINDIR")
                                                                : "/usr/bin", "psql", NULL);
  {
    const char *argv[] = { psql, "-qAt", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql, NULL };

    status = fl_test_run (argv, NULL, &out, &err);
  }
  if (status != 0)
    g_printerr ("# psql: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_strchomp (out);
  return out;
}

/* Appends "--database URI" for @data_dir to @argv when the tests run on PostgreSQL. */
void
fl_test_add_database_args (GPtrArray  *argv,
                           const char *data_dir)
{
  const char *uri = fl_test_database_for (data_dir);

  if (uri != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--database");
      g_ptr_array_add (argv, (gpointer) uri);
    }
}

/* -------------------------------------------------------------------------- */
/* The server                                                                   */

/* Starts firstline-server on 127.0.0.1, port 0, with @data_dir (made if
 * missing); its stderr goes to a server-N.log file there. */
FlTestServer *
fl_test_server_start (const char *data_dir)
{
  FlTestServer *s = g_new0 (FlTestServer, 1);

  s->data_dir = g_strdup (data_dir);
  fl_test_server_restart (s);
  return s;
}

/* Starts the stopped server @s again, on the port it had. */
void
fl_test_server_restart (FlTestServer *s)
{
  static guint n_starts;
  g_autoptr(GError) error = NULL;

  g_assert_null (s->proc);
  g_assert_cmpint (g_mkdir_with_parents (s->data_dir, 0700), ==, 0);

  /* The same port again after a stop: retry while the old socket lingers. */
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", s->port);
      g_autofree char *log_name = g_strdup_printf ("server-%u.log", n_starts++);
      g_autofree char *line = NULL;
      const char *prefix = "listening on ";

      g_free (s->log);
      s->log = g_build_filename (s->data_dir, log_name, NULL);
      g_subprocess_launcher_set_stderr_file_path (launcher, s->log);
      if (g_getenv ("ASAN_OPTIONS") != NULL)
        {
          /* Exact stacks, so that tests/lsan.supp can tell libsoup's own leaks apart. */
          g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS"), ":fast_unwind_on_malloc=0", NULL);
          g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
        }
      {
        g_autoptr(GPtrArray) argv = g_ptr_array_new ();

        g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
        g_ptr_array_add (argv, (gpointer) "--listen");
        g_ptr_array_add (argv, listen);
        g_ptr_array_add (argv, (gpointer) "--data-dir");
        g_ptr_array_add (argv, s->data_dir);
        fl_test_add_database_args (argv, s->data_dir);
        g_ptr_array_add (argv, NULL);
        s->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                &error);
      }
      g_assert_no_error (error);
      s->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
      line = g_data_input_stream_read_line_utf8 (s->out, NULL, NULL, &error);
      g_assert_no_error (error);

      if (line != NULL && g_str_has_prefix (line, prefix))
        {
          g_autoptr(GUri) uri = g_uri_parse (line + strlen (prefix), G_URI_FLAGS_NONE, &error);

          g_assert_no_error (error);
          g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
          g_assert_cmpstr (g_uri_get_host (uri), ==, "127.0.0.1");
          g_assert_cmpint (g_uri_get_port (uri), >, 0);
          if (s->port != 0)
            g_assert_cmpint (g_uri_get_port (uri), ==, s->port);
          s->port = (guint16) g_uri_get_port (uri);
          g_free (s->url);
          s->url = g_strdup (line + strlen (prefix));
          return;
        }

      /* It could not listen (the port is still taken): try again shortly. */
      g_subprocess_wait (s->proc, NULL, NULL);
      g_assert_cmpuint (s->port, !=, 0);
      g_clear_object (&s->out);
      g_clear_object (&s->proc);
      g_usleep (100 * 1000);
    }

  g_assert_not_reached ();
}

/* SIGTERM; the server must exit 0 (under the sanitizers: without leaks).
 * Keeps @s and its directory for a restart. */
void
fl_test_server_stop (FlTestServer *s)
{
  g_autoptr(GError) error = NULL;

  if (s->proc == NULL)
    return;

  g_subprocess_send_signal (s->proc, SIGTERM);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  if (fl_test_exit_status (s->proc) != 0)
    {
      g_autofree char *log = NULL;
      g_auto(GStrv) lines = NULL;

      g_file_get_contents (s->log, &log, NULL, NULL);
      lines = g_strsplit (log ? log : "", "\n", 60);
      for (guint i = 0; lines[i] != NULL && i < 59; i++)
        g_printerr ("# server: %s\n", lines[i]);
    }
  g_assert_cmpint (fl_test_exit_status (s->proc), ==, 0);
  g_clear_object (&s->out);
  g_clear_object (&s->proc);
}

/* SIGKILL, as a crash would. Keeps @s and its directory for a restart. */
void
fl_test_server_kill (FlTestServer *s)
{
  g_autoptr(GError) error = NULL;

  if (s->proc == NULL)
    return;

  g_subprocess_send_signal (s->proc, SIGKILL);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&s->out);
  g_clear_object (&s->proc);
}

/* Kills a server still running; keeps its directory. */
void
fl_test_server_free (FlTestServer *s)
{
  if (s == NULL)
    return;

  fl_test_server_kill (s);
  g_free (s->data_dir);
  g_free (s->url);
  g_free (s->log);
  g_free (s);
}

/* firstline-server --data-dir DATA_DIR user add NAME --role ROLE, with
 * @password on stdin; it must succeed. */
void
fl_test_add_user (const char *data_dir,
                  const char *name,
                  const char *role,
                  const char *password)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, (gpointer) data_dir);
  fl_test_add_database_args (argv, data_dir);
  g_ptr_array_add (argv, (gpointer) "user");
  g_ptr_array_add (argv, (gpointer) "add");
  g_ptr_array_add (argv, (gpointer) name);
  g_ptr_array_add (argv, (gpointer) "--role");
  g_ptr_array_add (argv, (gpointer) role);
  g_ptr_array_add (argv, NULL);
  status = fl_test_run ((const char * const *) argv->pdata, input, NULL, &err);

  if (status != 0)
    g_printerr ("# user add %s: %s", name, err);
  g_assert_cmpint (status, ==, 0);
}

/* -------------------------------------------------------------------------- */
/* HTTP and JSON                                                                */

/* Loopback only: no proxy lookup (the test environment has no proxy schemas). */
SoupSession *
fl_test_session_new (void)
{
  SoupSession *session = soup_session_new ();

  soup_session_set_proxy_resolver (session, NULL);
  /* Under AddressSanitizer the server is many times slower: wait longer, fail the same. */
  soup_session_set_timeout (session, g_getenv ("ASAN_OPTIONS") != NULL ? 300 : 60);
  return session;
}

/* One request with @session (NULL: a new one) and an optional bearer @token
 * and JSON @body. Returns the parsed JSON body, NULL when empty; a body must
 * be application/json. @retry_after (optional) gets that header. */
JsonNode *
fl_test_http_full (SoupSession  *session,
                   const char   *method,
                   const char   *url,
                   const char   *token,
                   const char   *body,
                   guint        *status,
                   char        **retry_after)
{
  g_autoptr(SoupSession) own = session ? NULL : fl_test_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessageHeaders *headers;
  const char *data;
  gsize len;

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  reply = soup_session_send_and_read (session ? session : own, msg, NULL, &error);
  g_assert_no_error (error);
  headers = soup_message_get_response_headers (msg);
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (retry_after != NULL)
    *retry_after = g_strdup (soup_message_headers_get_one (headers, "Retry-After"));

  data = g_bytes_get_data (reply, &len);
  if (len == 0)
    return NULL;
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

/* fl_test_http_full() with a new session and without Retry-After. */
JsonNode *
fl_test_http (const char *method,
              const char *url,
              const char *token,
              const char *body,
              guint      *status)
{
  return fl_test_http_full (NULL, method, url, token, body, status, NULL);
}

/* POST SERVER_URL/api/v1/session; must be 200 for @username. Returns the token. */
char *
fl_test_http_login (SoupSession *session,
                    const char  *server_url,
                    const char  *username,
                    const char  *password)
{
  g_autofree char *url = g_strconcat (server_url, "/api/v1/session", NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  JsonObject *obj;
  guint status = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = json_to_string (request, FALSE);

  node = fl_test_http_full (session, "POST", url, NULL, body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (node);
  obj = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "user"),
                                                  "username"), ==, username);
  return g_strdup (json_object_get_string_member (obj, "token"));
}

/* Parses @text, which must be a JSON object; returns a reference to it. */
JsonObject *
fl_test_parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* -------------------------------------------------------------------------- */
/* The main loop                                                                */

/* Iterates the default main context until @cond (@data) holds; fails the test
 * after @seconds. */
void
fl_test_spin_until (gboolean (*cond) (gpointer),
                    gpointer   data,
                    guint      seconds)
{
  gint64 deadline;

  seconds *= fl_test_slowdown ();
  deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %u s", seconds);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* How many times slower everything runs: 5 under AddressSanitizer, else 1. Deadlines
 * scale with it; what a test asserts about speed is measured without it. */
guint
fl_test_slowdown (void)
{
  return g_getenv ("ASAN_OPTIONS") != NULL ? 5 : 1;
}

/* Iterates the default main context for @ms milliseconds. */
void
fl_test_spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

gboolean
fl_test_pointer_is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

gboolean
fl_test_main_context_is_idle (gpointer unused)
{
  return !g_main_context_pending (NULL);
}

void
fl_test_spin_until_idle (void)
{
  fl_test_spin_until (fl_test_main_context_is_idle, NULL, 5);
}

/* For fl_test_spin_until(): whether the gboolean at @data is TRUE. */
gboolean
fl_test_flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}
