/* test-auth.c — logins, users and tokens of the real firstline-server
 *
 * The login limit under parallel attempts, password checks under a flood, the
 * permissions of the data files, tokens that belong to a user id (and the upgrade
 * of a database of schema 1), user management on the command line, the password
 * change over the API and with firstline-cli, and tokens that expire.
 *
 * Every test starts its own server on 127.0.0.1, port 0, with its own data directory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE    /* posix_openpt() */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-test-util.h"

#define DAY_MS (24 * 3600 * (gint64) 1000)

/* Between the connects of a flood: the server's listen backlog is short (10), and a
 * connection the kernel dropped from it would be reset. */
#define STAGGER_US (20 * 1000)

/* -------------------------------------------------------------------------- */
/* Helpers */

static int
run_server_cli (const char  *stdin_text,
                char       **out,
                char       **err,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
  va_start (ap, err);
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

  return fl_test_run ((const char * const *) argv->pdata, stdin_text, out, err);
}

static JsonNode *
api (FlTestServer *s,
     const char   *method,
     const char   *path,
     const char   *token,
     const char   *body,
     guint        *status,
     char        **retry_after)
{
  g_autofree char *url = g_strconcat (s->url, "/api/v1", path, NULL);

  return fl_test_http_full (NULL, method, url, token, body, status, retry_after);
}

static guint
api_status (FlTestServer *s,
            const char   *method,
            const char   *path,
            const char   *token,
            const char   *body)
{
  guint status = 0;
  g_autoptr(JsonNode) node = api (s, method, path, token, body, &status, NULL);

  return status;
}

static const char *
error_code (JsonNode *node)
{
  g_assert_nonnull (node);
  return json_object_get_string_member (json_object_get_object_member (json_node_get_object (node),
                                                                       "error"), "code");
}

static char *
login_body (const char *username,
            const char *password)
{
  return g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
}

/* POST /session; returns the status and, on 200, *token. */
static guint
try_login (FlTestServer  *s,
           const char    *username,
           const char    *password,
           char         **token)
{
  g_autofree char *body = login_body (username, password);
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  node = api (s, "POST", "/session", NULL, body, &status, NULL);
  if (token != NULL)
    *token = status == 200
             ? g_strdup (json_object_get_string_member (json_node_get_object (node), "token"))
             : NULL;
  return status;
}

static char *
login (FlTestServer *s,
       const char   *username,
       const char   *password)
{
  char *token = NULL;

  g_assert_cmpuint (try_login (s, username, password, &token), ==, 200);
  return token;
}

/* Starts firstline-server on @dir with @extra arguments (NULL-terminated, may be
 * NULL); fl_test_server_stop() and fl_test_server_free() work on the result. */
static FlTestServer *
start_server_with (const char         *dir,
                   const char * const *extra,
                   const char         *window_seconds)
{
  g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  FlTestServer *s = g_new0 (FlTestServer, 1);

  s->data_dir = g_strdup (dir);
  s->log = g_build_filename (dir, "server-extra.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, s->log);
  if (window_seconds != NULL)
    g_subprocess_launcher_setenv (launcher, "FIRSTLINE_LOGIN_WINDOW_SECONDS", window_seconds, TRUE);
  g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, (gpointer) dir);
  fl_test_add_database_args (argv, dir);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  s->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  s->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line_utf8 (s->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  s->url = g_strdup (line + strlen ("listening on "));
  return s;
}

static sqlite3 *
open_db (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

static void
db_exec (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
db_int (sqlite3    *db,
        const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static char *
token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* Sets the last use of @token @ms_ago milliseconds back. */
static void
age_token (const char *dir,
           const char *token,
           gint64      ms_ago)
{
  g_autofree char *hash = token_hash (token);
  g_autofree char *sql = g_strdup_printf ("UPDATE tokens SET last_used = %" G_GINT64_FORMAT
                                          " WHERE hash = '%s'",
                                          g_get_real_time () / 1000 - ms_ago, hash);
  sqlite3 *db;

  if (!fl_test_database_is_sqlite ())
    {
      g_autofree char *returning = g_strconcat (sql, " RETURNING 1", NULL);
      g_autofree char *out = fl_test_database_query (dir, returning);

      g_assert_cmpstr (out, ==, "1");
      return;
    }
  db = open_db (dir);
  db_exec (db, sql);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
}

static gint64
token_last_used (const char *dir,
                 const char *token)
{
  g_autofree char *hash = token_hash (token);
  g_autofree char *sql = g_strdup_printf ("SELECT last_used FROM tokens WHERE hash = '%s'", hash);
  sqlite3 *db;
  gint64 value;

  if (!fl_test_database_is_sqlite ())
    {
      g_autofree char *out = fl_test_database_query (dir, sql);

      return g_ascii_strtoll (out, NULL, 10);
    }
  db = open_db (dir);
  value = db_int (db, sql);

  sqlite3_close (db);
  return value;
}

static guint64
server_vm_hwm_kib (FlTestServer *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (s->proc));
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

static mode_t
file_mode (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    g_error ("%s: %s", path, g_strerror (errno));
  return st.st_mode & 07777;
}

/* -------------------------------------------------------------------------- */
/* Parallel logins */

typedef struct
{
  const char *url;              /* http://…/api/v1/session */
  const char *local_address;    /* nullable: the client's source address */
  char        address_buf[32];
  char       *body;
  guint       repeat;           /* requests one after the other */
  const gboolean *stop;         /* nullable */
  guint       status[600];
  gint       *answered;         /* nullable: incremented after the first request */
  guint       transport_errors;
  gboolean    retry_resets;
  gboolean    retry_after_ok;   /* every 429 had a Retry-After of at least 1 */
  gint64      slowest_429_us;
} Attempt;

static gpointer
attempt_thread (gpointer data)
{
  Attempt *a = data;
  g_autoptr(SoupSession) session = NULL;

  if (a->local_address != NULL)
    {
      g_autoptr(GInetSocketAddress) local =
        G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (a->local_address, 0));
      session = soup_session_new_with_options ("local-address", local, NULL);
    }
  else
    session = soup_session_new ();
  soup_session_set_proxy_resolver (session, NULL);
  soup_session_set_timeout (session, 120);

  a->retry_after_ok = TRUE;
  for (guint i = 0; i < a->repeat && (a->stop == NULL || !g_atomic_int_get (a->stop)); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", a->url);
      g_autoptr(GBytes) body = g_bytes_new (a->body, strlen (a->body));
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      guint status;

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      /* A connection the kernel dropped from the short listen backlog never reached the
       * server: send that attempt again. */
      for (guint retry = 0; a->retry_resets && error != NULL && retry < 20; retry++)
        {
          g_clear_error (&error);
          g_clear_object (&msg);
          g_clear_pointer (&reply, g_bytes_unref);
          g_usleep (50 * 1000);
          msg = soup_message_new ("POST", a->url);
          soup_message_set_request_body_from_bytes (msg, "application/json", body);
          reply = soup_session_send_and_read (session, msg, NULL, &error);
        }
      if (i == 0 && a->answered != NULL)
        g_atomic_int_inc (a->answered);
      if (error != NULL)
        {
          /* An attacker's connection the kernel dropped: not the server's answer. */
          a->transport_errors++;
          continue;
        }
      status = soup_message_get_status (msg);
      a->status[status < G_N_ELEMENTS (a->status) ? status : 0]++;
      if (status == 429)
        {
          const char *retry = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Retry-After");
          if (retry == NULL || atoi (retry) < 1)
            a->retry_after_ok = FALSE;
          a->slowest_429_us = MAX (a->slowest_429_us, g_get_monotonic_time () - start);
          /* Keeps the pressure on without burning the cores the server needs. */
          if (a->repeat > 1)
            g_usleep (100 * 1000);
        }
    }
  return NULL;
}

/* 40 wrong passwords at once: at most 10 are checked, the rest are refused before. */
static void
test_lockout_parallel (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autofree char *url = NULL;
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *retry = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *token = NULL;
  Attempt attempts[40] = { { 0 } };
  GThread *threads[40];
  guint n401 = 0, n429 = 0;
  guint status = 0;
  gint64 started, refused;
  const guint window = 6;

  fl_test_add_user (dir, "alex", "agent", "right-password");
  s = start_server_with (dir, NULL, "6");
  url = g_strconcat (s->url, "/api/v1/session", NULL);

  started = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      attempts[i].url = url;
      attempts[i].body = login_body ("alex", "wrong-password");
      attempts[i].repeat = 1;
      attempts[i].retry_resets = TRUE;
      threads[i] = g_thread_new ("attempt", attempt_thread, &attempts[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_thread_join (threads[i]);
      n401 += attempts[i].status[401];
      n429 += attempts[i].status[429];
      g_assert_true (attempts[i].retry_after_ok);
      g_free (attempts[i].body);
    }
  g_test_message ("40 parallel wrong logins: %u checked (401), %u refused (429)", n401, n429);
  g_assert_cmpuint (n401 + n429, ==, 40);
  g_assert_cmpuint (n401, >=, 1);
  g_assert_cmpuint (n401, <=, 10);

  /* The right password is refused too while the window lasts. */
  {
    g_autofree char *body = login_body ("alex", "right-password");

    refused = g_get_monotonic_time ();
    node = api (s, "POST", "/session", NULL, body, &status, &retry);
    g_assert_cmpuint (status, ==, 429);
    g_assert_cmpstr (error_code (node), ==, "too_many_requests");
    g_assert_nonnull (retry);
    g_assert_cmpint (atoi (retry), >=, 1);
    g_assert_cmpint (atoi (retry), <=, (int) window);
  }
  g_assert_cmpint (g_get_monotonic_time () - started, <, window * G_USEC_PER_SEC);

  /* After the time Retry-After named it works again. The window started with the
   * failures, which a slow machine spreads out: wait what the server said. */
  while (g_get_monotonic_time () - refused < (atoi (retry) + 1) * G_USEC_PER_SEC)
    g_usleep (100 * 1000);
  token = login (s, "alex", "right-password");
  g_assert_nonnull (token);

  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

/* 100 bogus logins at once from elsewhere: a real login still answers quickly, and the
 * server's memory stays bounded (two Argon2id checks of 64 MiB at a time). */
static void
test_flood (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autofree char *url = NULL;
  g_autoptr(FlTestServer) s = NULL;
  static Attempt attempts[100];
  GThread *threads[100];
  gboolean stop = FALSE;
  gint answered = 0;
  guint n_errors = 0;
  guint counts[600] = { 0 };
  gint64 start, elapsed_us, slowest_429 = 0;
  guint64 hwm;
  guint64 hwm_limit = g_getenv ("ASAN_OPTIONS") != NULL ? 1500 * 1024 : 400 * 1024;
  g_autofree char *token = NULL;

  fl_test_add_user (dir, "alex", "agent", "right-password");
  s = fl_test_server_start (dir);
  url = g_strconcat (s->url, "/api/v1/session", NULL);

  /* One attacker address, random names: the per-address limit and the fair queue. */
  memset (attempts, 0, sizeof attempts);
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autofree char *name = g_uuid_string_random ();

      attempts[i].url = url;
      attempts[i].local_address = "127.0.0.2";
      attempts[i].body = login_body (name, "guess");
      attempts[i].repeat = 20;
      attempts[i].stop = &stop;
      attempts[i].answered = &answered;
      threads[i] = g_thread_new ("bogus", attempt_thread, &attempts[i]);
      g_usleep (STAGGER_US);
    }
  /* All 100 connected and answered once: from here on the flood is steady. */
  while (g_atomic_int_get (&answered) < (gint) G_N_ELEMENTS (attempts))
    g_usleep (10 * 1000);
  g_usleep (200 * 1000);

  start = g_get_monotonic_time ();
  token = login (s, "alex", "right-password");
  elapsed_us = g_get_monotonic_time () - start;
  g_atomic_int_set (&stop, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_thread_join (threads[i]);
      for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
        counts[k] += attempts[i].status[k];
      g_assert_true (attempts[i].retry_after_ok);
      n_errors += attempts[i].transport_errors;
      slowest_429 = MAX (slowest_429, attempts[i].slowest_429_us);
      g_free (attempts[i].body);
    }
  hwm = server_vm_hwm_kib (s);
  g_test_message ("flood from one address: real login in %.0f ms; bogus: %u checked (401), "
                  "%u refused (429, slowest %.0f ms), %u connections reset; server VmHWM %" G_GUINT64_FORMAT " MiB",
                  elapsed_us / 1000.0, counts[401], counts[429], slowest_429 / 1000.0, n_errors,
                  hwm / 1024);
  g_assert_cmpint (elapsed_us, <, 2 * G_USEC_PER_SEC * fl_test_slowdown ());
  g_assert_cmpuint (counts[401], <=, 30);
  g_assert_cmpuint (counts[429], >, 0);
  g_assert_cmpuint (hwm, <, hwm_limit);

  /* From 100 addresses at once: the queue is bounded, the surplus is refused at once. */
  memset (attempts, 0, sizeof attempts);
  memset (counts, 0, sizeof counts);
  n_errors = 0;
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autofree char *name = g_uuid_string_random ();

      attempts[i].url = url;
      g_snprintf (attempts[i].address_buf, sizeof attempts[i].address_buf, "127.0.1.%u", i + 1);
      attempts[i].local_address = attempts[i].address_buf;
      attempts[i].body = login_body (name, "guess");
      attempts[i].repeat = 1;
      threads[i] = g_thread_new ("bogus", attempt_thread, &attempts[i]);
      g_usleep (STAGGER_US);
    }
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_thread_join (threads[i]);
      for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
        counts[k] += attempts[i].status[k];
      g_assert_true (attempts[i].retry_after_ok);
      n_errors += attempts[i].transport_errors;
      g_free (attempts[i].body);
    }
  hwm = server_vm_hwm_kib (s);
  g_test_message ("flood from 100 addresses: %u checked (401), %u refused (429), %u reset; VmHWM %"
                  G_GUINT64_FORMAT " MiB", counts[401], counts[429], n_errors, hwm / 1024);
  g_assert_cmpuint (counts[401] + counts[429] + n_errors, ==, 100);
  g_assert_cmpuint (n_errors, <, 10);
  g_assert_cmpuint (counts[429], >, 0);
  g_assert_cmpuint (hwm, <, hwm_limit);

  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* Files */

static void
test_permissions (void)
{
  g_autofree char *top = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (top, "data", NULL);
  g_autofree char *backup = g_build_filename (top, "backup.db", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *token = NULL;
  mode_t old_umask = umask (022);

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

  fl_test_add_user (dir, "alex", "agent", "right-password");
  g_assert_cmpint (file_mode (dir, "firstline.db"), ==, 0600);

  s = fl_test_server_start (dir);
  token = login (s, "alex", "right-password");
  g_assert_cmpint (file_mode (dir, "firstline.db"), ==, 0600);
  g_assert_cmpint (file_mode (dir, "firstline.db-wal"), ==, 0600);
  g_assert_cmpint (file_mode (dir, "firstline.db-shm"), ==, 0600);

  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "backup", backup, NULL), ==, 0);
  g_assert_cmpint (file_mode (top, "backup.db"), ==, 0600);
  fl_test_server_stop (s);

  /* A database left 0644 by an older version is made 0600 on opening. */
  {
    g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);

    g_assert_cmpint (g_chmod (path, 0644), ==, 0);
    fl_test_server_restart (s);
    g_assert_cmpint (file_mode (dir, "firstline.db"), ==, 0600);
    fl_test_server_stop (s);
  }

  umask (old_umask);
  fl_test_rm_rf (dir);
  fl_test_rm_rf (top);
}

/* -------------------------------------------------------------------------- */
/* Tokens belong to a user id */

/* The users and tokens tables as firstline-server made them before schema 2. */
static const char schema_1[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
  "CREATE TABLE users ("
  "  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,"
  "  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
  "CREATE TABLE tokens ("
  "  hash TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE tickets ("
  "  id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL,"
  "  seq INTEGER NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, assignee TEXT,"
  "  level INTEGER NOT NULL, queue TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  resolved_at INTEGER, due_at INTEGER, resolution_code TEXT, resolved_by TEXT,"
  "  handoffs INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL);"
  "CREATE INDEX tickets_created ON tickets (created_at);"
  "CREATE TABLE events ("
  "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,"
  "  version INTEGER NOT NULL, at INTEGER NOT NULL, author TEXT NOT NULL, type TEXT NOT NULL,"
  "  data TEXT NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL);"
  "CREATE INDEX events_ticket ON events (ticket_id, version);"
  "CREATE VIRTUAL TABLE tickets_fts USING fts5 ("
  "  title, description, requester, notes, tokenize = 'unicode61 remove_diacritics 2');"
  "CREATE TABLE checklists ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);";

static char *
password_hash_of (const char *password)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  char *hash;

  fl_test_add_user (dir, "someone", "agent", password);
  db = open_db (dir);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT password_hash FROM users", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  fl_test_rm_rf (dir);
  return hash;
}

static void
test_schema_1 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  g_autofree char *hash = password_hash_of ("right-password");
  g_autofree char *old_token = g_strdup ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  g_autofree char *old_hash = token_hash (old_token);
  g_autofree char *sql = NULL;
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) me = NULL;
  guint status = 0;
  sqlite3 *db = NULL;

  /* A database made by the schema of before, with a user and a token. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  db_exec (db, schema_1);
  sql = g_strdup_printf ("INSERT INTO users VALUES ('alex', 'Alex Berger', 'agent', '%s', 1);"
                         "INSERT INTO users VALUES ('lee', 'Lee Hoffmann', 'lead', '%s', 2);"
                         "INSERT INTO tokens VALUES ('%s', 'alex', 3);", hash, hash, old_hash);
  db_exec (db, sql);
  sqlite3_close (db);

  s = fl_test_server_start (dir);
  me = api (s, "GET", "/me", old_token, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (me), "display_name"),
                   ==, "Alex Berger");
  token = login (s, "lee", "right-password");
  fl_test_server_stop (s);

  db = open_db (dir);
  g_assert_cmpint (db_int (db, "SELECT value FROM meta WHERE key = 'schema'"), ==, 5);   /* the current schema */
  g_assert_cmpint (db_int (db, "SELECT count(*) FROM users WHERE id > 0"), ==, 2);
  g_assert_cmpint (db_int (db, "SELECT count(*) FROM tokens t JOIN users u ON u.id = t.user_id "
                               "WHERE u.username = 'alex'"), ==, 1);

  /* Removed the way the documentation used to say (sqlite3, foreign keys off), then added
   * again: the old tokens stay dead. */
  db_exec (db, "DELETE FROM users WHERE username = 'alex'");
  sqlite3_close (db);
  fl_test_add_user (dir, "alex", "agent", "new-password");
  fl_test_server_restart (s);
  g_assert_cmpuint (api_status (s, "GET", "/me", old_token, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", token, NULL), ==, 200);
  g_free (login (s, "alex", "new-password"));
  fl_test_server_stop (s);

  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* User management on the command line */

static void
test_user_admin (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *tok_alex = NULL;
  g_autofree char *tok_lee = NULL;
  g_autofree char *ticket_id = g_uuid_string_random ();
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *client_id = g_uuid_string_random ();
  g_autofree char *sync_body = NULL;
  g_autofree char *ticket_path = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr(JsonNode) wrong_node = NULL;
  g_autoptr(JsonNode) disabled_node = NULL;
  g_autoptr(JsonNode) events = NULL;
  guint status = 0;

  g_assert_cmpint (run_server_cli ("pw-alex-1\n", NULL, NULL, "--data-dir", dir, "user", "add", "alex",
                                   "--role", "agent", "--display-name", "Alex Berger", NULL), ==, 0);
  fl_test_add_user (dir, "lee", "lead", "pw-lee-12");

  g_assert_cmpint (run_server_cli (NULL, &out, NULL, "--data-dir", dir, "user", "list", NULL), ==, 0);
  g_test_message ("user list:\n%s", out);
  {
    g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
    g_auto(GStrv) head = g_regex_split_simple ("\\s{2,}", lines[0], 0, 0);
    g_auto(GStrv) row = g_regex_split_simple ("\\s{2,}", lines[1], 0, 0);

    g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* header, alex, lee, "" */
    g_assert_cmpstr (head[0], ==, "USERNAME");
    g_assert_cmpstr (head[1], ==, "DISPLAY NAME");
    g_assert_cmpstr (head[2], ==, "ROLE");
    g_assert_cmpstr (head[3], ==, "ENABLED");
    g_assert_cmpstr (row[0], ==, "alex");
    g_assert_cmpstr (row[1], ==, "Alex Berger");
    g_assert_cmpstr (row[2], ==, "agent");
    g_assert_cmpstr (row[3], ==, "yes");
    g_assert_true (strstr (lines[2], "lee") == lines[2]);
    /* columns line up */
    g_assert_true (strstr (lines[0], "ROLE") - lines[0] == strstr (lines[1], "agent") - lines[1]);
  }
  g_clear_pointer (&out, g_free);

  /* usage and runtime errors */
  g_assert_cmpint (run_server_cli (NULL, NULL, &err, "--data-dir", dir, "user", "frobnicate", "x", NULL), ==, 2);
  fl_test_assert_error_line (err, "firstline-server");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "list", "x", NULL), ==, 2);
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "disable", NULL), ==, 2);
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "remove", "alex",
                                   "--role", "agent", NULL), ==, 2);
  g_assert_cmpint (run_server_cli ("\n", NULL, NULL, "--data-dir", dir, "user", "passwd", "alex", NULL), ==, 2);
  for (guint i = 0; i < 4; i++)
    {
      const char *what = (const char *[]) { "disable", "enable", "remove", "passwd" }[i];

      g_assert_cmpint (run_server_cli ("pw-new-123\n", NULL, &err, "--data-dir", dir, "user", what,
                                       "nobody", NULL), ==, 1);
      fl_test_assert_error_line (err, "firstline-server");
      g_assert_nonnull (strstr (err, "nobody"));
      g_clear_pointer (&err, g_free);
    }

  s = fl_test_server_start (dir);
  tok_alex = login (s, "alex", "pw-alex-1");
  tok_lee = login (s, "lee", "pw-lee-12");

  /* disable: the right password is a 401 like a wrong one, the token dies at once */
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "disable", "alex", NULL), ==, 0);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_alex, NULL), ==, 401);
  wrong = login_body ("alex", "not-the-password");
  wrong_node = api (s, "POST", "/session", NULL, wrong, &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  {
    g_autofree char *right = login_body ("alex", "pw-alex-1");
    disabled_node = api (s, "POST", "/session", NULL, right, &status, NULL);
  }
  g_assert_cmpuint (status, ==, 401);
  g_assert_true (json_node_equal (wrong_node, disabled_node));
  g_assert_cmpint (run_server_cli (NULL, &out, NULL, "--data-dir", dir, "user", "list", NULL), ==, 0);
  g_assert_true (g_regex_match_simple ("^alex .* no$", out, G_REGEX_MULTILINE, 0));
  g_clear_pointer (&out, g_free);

  /* enable: logins work again (the old token stays revoked) */
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "enable", "alex", NULL), ==, 0);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_alex, NULL), ==, 401);
  g_free (tok_alex);
  tok_alex = login (s, "alex", "pw-alex-1");

  /* passwd: a new password from stdin; the user's tokens are revoked */
  g_assert_cmpint (run_server_cli ("pw-alex-2\n", NULL, NULL, "--data-dir", dir, "user", "passwd", "alex", NULL), ==, 0);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_alex, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_lee, NULL), ==, 200);
  g_assert_cmpuint (try_login (s, "alex", "pw-alex-1", NULL), ==, 401);
  g_free (tok_alex);
  tok_alex = login (s, "alex", "pw-alex-2");

  /* remove: tokens revoked, the history keeps the username */
  sync_body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":0,\"ops\":[{\"op_id\":\"%s\","
                               "\"ticket_id\":\"%s\",\"type\":\"create\",\"base_version\":0,"
                               "\"at\":null,\"data\":{\"title\":\"VPN\",\"requester\":{\"name\":\"Jana\"},"
                               "\"category\":\"network\",\"channel\":\"phone\",\"impact\":\"high\","
                               "\"urgency\":\"high\"}}]}", client_id, op_id, ticket_id);
  g_assert_cmpuint (api_status (s, "POST", "/sync", tok_alex, sync_body), ==, 200);
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "user", "remove", "alex", NULL), ==, 0);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_alex, NULL), ==, 401);
  g_assert_cmpuint (try_login (s, "alex", "pw-alex-2", NULL), ==, 401);
  ticket_path = g_strconcat ("/tickets/", ticket_id, NULL);
  events = api (s, "GET", ticket_path, tok_lee, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  {
    JsonArray *list = json_object_get_array_member (json_node_get_object (events), "events");

    g_assert_cmpuint (json_array_get_length (list), >=, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "author"),
                     ==, "alex");
  }
  g_assert_cmpint (run_server_cli (NULL, &out, NULL, "--data-dir", dir, "user", "list", NULL), ==, 0);
  g_assert_null (strstr (out, "alex"));

  /* Added again under the same name: a new user, the old tokens stay dead. */
  fl_test_add_user (dir, "alex", "agent", "pw-alex-3");
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_alex, NULL), ==, 401);
  g_free (login (s, "alex", "pw-alex-3"));

  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

/* The password prompt on a terminal does not echo what is typed. */
static void
test_prompt_no_echo (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(FlTestServer) s = NULL;
  const char *password = "typed-secret-42";
  gboolean written = FALSE;
  gint64 deadline;
  int master, slave;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);

  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  g_subprocess_launcher_take_stdout_fd (launcher, dup (slave));
  g_subprocess_launcher_take_stderr_fd (launcher, dup (slave));
  {
    g_autoptr(GPtrArray) argv = g_ptr_array_new ();
    const char *rest[] = { "user", "add", "alex", "--role", "agent", NULL };

    g_ptr_array_add (argv, (gpointer) FL_TEST_SERVER_PATH);
    g_ptr_array_add (argv, (gpointer) "--data-dir");
    g_ptr_array_add (argv, (gpointer) dir);
    fl_test_add_database_args (argv, dir);
    for (guint i = 0; rest[i] != NULL; i++)
      g_ptr_array_add (argv, (gpointer) rest[i]);
    g_ptr_array_add (argv, NULL);
    proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  }
  g_assert_no_error (error);

  /* Type the password once the prompt is there; read everything the terminal shows. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC * fl_test_slowdown ();
  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { master, POLLIN, 0 };
      char buf[256];
      ssize_t n;

      if (poll (&pfd, 1, 100) > 0)
        {
          n = read (master, buf, sizeof buf);
          if (n <= 0)
            break;       /* EIO: the child closed the terminal */
          g_string_append_len (seen, buf, n);
        }
      if (!written && strstr (seen->str, "Password: ") != NULL)
        {
          g_autofree char *line = g_strconcat (password, "\n", NULL);

          g_usleep (100 * 1000);       /* the echo is switched off right after the prompt */
          g_assert_cmpint (write (master, line, strlen (line)), ==, (gssize) strlen (line));
          written = TRUE;
        }
      if (written && strstr (seen->str, "added as agent") != NULL)
        break;
    }
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  close (master);

  g_test_message ("terminal showed: %s", seen->str);
  g_assert_true (written);
  g_assert_cmpint (fl_test_exit_status (proc), ==, 0);
  g_assert_null (strstr (seen->str, password));

  s = fl_test_server_start (dir);
  g_free (login (s, "alex", password));
  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* POST /me/password */

static void
test_change_password (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *tok1 = NULL;
  g_autofree char *tok2 = NULL;
  g_autofree char *tok_jana = NULL;
  g_autofree char *retry = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;
  struct { const char *body; guint status; const char *code; } bad[] = {
    { "{}", 422, "unprocessable" },
    { "{\"old_password\":\"old-password\"}", 422, "unprocessable" },
    { "{\"old_password\":1,\"new_password\":\"new-password\"}", 400, "bad_request" },
    { "{\"old_password\":\"old-password\",\"new_password\":[]}", 400, "bad_request" },
    { "{\"old_password\":\"old-password\",\"new_password\":\"short\"}", 422, "unprocessable" },
    { "{\"old_password\":\"old-password\",\"new_password\":\"1234567\"}", 422, "unprocessable" },
    { "{\"old_password\":\"wrong-password\",\"new_password\":\"new-password\"}", 401, "unauthorized" },
    { "[]", 400, "bad_request" },
  };

  fl_test_add_user (dir, "alex", "agent", "old-password");
  fl_test_add_user (dir, "jana", "agent", "jana-password");
  s = fl_test_server_start (dir);
  tok1 = login (s, "alex", "old-password");
  tok2 = login (s, "alex", "old-password");
  tok_jana = login (s, "jana", "jana-password");

  g_assert_cmpuint (api_status (s, "POST", "/me/password", NULL,
                                "{\"old_password\":\"old-password\",\"new_password\":\"new-password\"}"), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me/password", tok1, NULL), ==, 405);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) err = api (s, "POST", "/me/password", tok1, bad[i].body, &status, NULL);

      g_assert_cmpuint (status, ==, bad[i].status);
      g_assert_cmpstr (error_code (err), ==, bad[i].code);
    }
  /* nothing changed, no token revoked */
  g_assert_cmpuint (api_status (s, "GET", "/me", tok2, NULL), ==, 200);
  g_assert_cmpuint (try_login (s, "alex", "new-password", NULL), ==, 401);

  /* 8 characters (not bytes) are enough */
  g_assert_cmpuint (api_status (s, "POST", "/me/password", tok1,
                                "{\"old_password\":\"old-password\",\"new_password\":\"new-password\"}"), ==, 204);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok1, NULL), ==, 200);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok2, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_jana, NULL), ==, 200);
  g_assert_cmpuint (try_login (s, "alex", "old-password", NULL), ==, 401);
  g_free (login (s, "alex", "new-password"));
  g_assert_cmpuint (api_status (s, "POST", "/me/password", tok1,
                                "{\"old_password\":\"new-password\",\"new_password\":\"äöüßéèêë\"}"), ==, 204);
  g_free (login (s, "alex", "äöüßéèêë"));

  /* Wrong old passwords count toward the lockout: jana had none so far. */
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (api_status (s, "POST", "/me/password", tok_jana,
                                  "{\"old_password\":\"guess\",\"new_password\":\"new-password\"}"), ==, 401);
  node = api (s, "POST", "/me/password", tok_jana,
              "{\"old_password\":\"jana-password\",\"new_password\":\"new-password\"}", &status, &retry);
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpstr (error_code (node), ==, "too_many_requests");
  g_assert_nonnull (retry);
  g_assert_cmpuint (try_login (s, "jana", "jana-password", NULL), ==, 429);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_jana, NULL), ==, 200);

  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

/* firstline-cli passwd: old and new password from stdin, through the sync engine */
static void
test_cli_passwd (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *other = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  const char *login_argv[] = { FL_TEST_CLI_PATH, "--cache", cache, "login", NULL, "alex", NULL };
  const char *passwd_argv[] = { FL_TEST_CLI_PATH, "--cache", cache, "passwd", NULL };
  const char *sync_argv[] = { FL_TEST_CLI_PATH, "--cache", cache, "sync", NULL };
  const char *extra_argv[] = { FL_TEST_CLI_PATH, "--cache", cache, "passwd", "x", NULL };

  fl_test_add_user (dir, "alex", "agent", "old-password");
  s = fl_test_server_start (dir);
  login_argv[4] = s->url;

  /* not logged in yet */
  g_assert_cmpint (fl_test_run (passwd_argv, "old-password\nnew-password\n", NULL, &err), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (fl_test_run (login_argv, "old-password\n", NULL, NULL), ==, 0);
  other = login (s, "alex", "old-password");

  g_assert_cmpint (fl_test_run (extra_argv, "old-password\nnew-password\n", NULL, NULL), ==, 2);
  g_assert_cmpint (fl_test_run (passwd_argv, "old-password\n", NULL, &err), ==, 2);
  fl_test_assert_error_line (err, "firstline-cli");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (fl_test_run (passwd_argv, "old-password\nshort\n", NULL, &err), ==, 2);
  fl_test_assert_error_line (err, "firstline-cli");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (fl_test_run (passwd_argv, "wrong-password\nnew-password\n", NULL, &err), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "current password"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpuint (api_status (s, "GET", "/me", other, NULL), ==, 200);

  g_assert_cmpint (fl_test_run (passwd_argv, "old-password\nnew-password\n", &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "changed"));
  /* the CLI's own login stays, the other one is gone */
  g_assert_cmpint (fl_test_run (sync_argv, NULL, NULL, NULL), ==, 0);
  g_assert_cmpuint (api_status (s, "GET", "/me", other, NULL), ==, 401);
  g_assert_cmpuint (try_login (s, "alex", "old-password", NULL), ==, 401);
  g_free (login (s, "alex", "new-password"));

  /* unreachable: exit 3 */
  fl_test_server_stop (s);
  g_assert_cmpint (fl_test_run (passwd_argv, "new-password\nnewer-password\n", NULL, NULL), ==, 3);

  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* Expiry and logging out everywhere */

static void
test_token_expiry (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *old = NULL;
  g_autofree char *recent = NULL;
  gint64 before;
  const char * const two_days[] = { "--token-idle-days", "2", NULL };

  fl_test_add_user (dir, "alex", "agent", "right-password");

  /* default: 30 days */
  s = fl_test_server_start (dir);
  old = login (s, "alex", "right-password");
  fresh = login (s, "alex", "right-password");
  age_token (dir, old, 31 * DAY_MS);
  age_token (dir, fresh, 29 * DAY_MS);
  g_assert_cmpuint (api_status (s, "GET", "/me", old, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", fresh, NULL), ==, 200);
  /* the use was recorded: the token is fresh again */
  g_assert_cmpint (token_last_used (dir, fresh), >, g_get_real_time () / 1000 - 60 * 1000);

  /* last use is written at most once a minute */
  age_token (dir, fresh, 30 * 1000);
  before = token_last_used (dir, fresh);
  g_assert_cmpuint (api_status (s, "GET", "/me", fresh, NULL), ==, 200);
  g_assert_cmpint (token_last_used (dir, fresh), ==, before);
  age_token (dir, fresh, 61 * 1000);
  before = token_last_used (dir, fresh);
  g_assert_cmpuint (api_status (s, "GET", "/me", fresh, NULL), ==, 200);
  g_assert_cmpint (token_last_used (dir, fresh), >, before);
  fl_test_server_stop (s);
  fl_test_server_free (g_steal_pointer (&s));

  /* --token-idle-days 2 */
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "--token-idle-days", "0", NULL), ==, 2);
  g_assert_cmpint (run_server_cli (NULL, NULL, NULL, "--data-dir", dir, "--token-idle-days", "x", NULL), ==, 2);
  s = start_server_with (dir, two_days, NULL);
  recent = login (s, "alex", "right-password");
  age_token (dir, fresh, 3 * DAY_MS);
  age_token (dir, recent, 1 * DAY_MS);
  g_assert_cmpuint (api_status (s, "GET", "/me", fresh, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", recent, NULL), ==, 200);
  fl_test_server_stop (s);

  fl_test_rm_rf (dir);
}

static void
test_logout_everywhere (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-auth-XXXXXX", NULL);
  g_autoptr(FlTestServer) s = NULL;
  g_autofree char *tok1 = NULL;
  g_autofree char *tok2 = NULL;
  g_autofree char *tok_jana = NULL;

  fl_test_add_user (dir, "alex", "agent", "right-password");
  fl_test_add_user (dir, "jana", "agent", "jana-password");
  s = fl_test_server_start (dir);
  tok1 = login (s, "alex", "right-password");
  tok2 = login (s, "alex", "right-password");
  tok_jana = login (s, "jana", "jana-password");

  g_assert_cmpuint (api_status (s, "DELETE", "/sessions", NULL, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/sessions", tok1, NULL), ==, 405);
  g_assert_cmpuint (api_status (s, "DELETE", "/sessions", tok1, NULL), ==, 204);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok1, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok2, NULL), ==, 401);
  g_assert_cmpuint (api_status (s, "GET", "/me", tok_jana, NULL), ==, 200);
  g_free (login (s, "alex", "right-password"));

  fl_test_server_stop (s);
  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *checklists = NULL;

  /* The isolated folders hold no GSettings schemas for GIO's proxy lookup. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DISPLAY");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  checklists = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "checklists", NULL);
  g_setenv ("FIRSTLINE_CHECKLIST_DIR", checklists, TRUE);

  fl_test_add_func ("/auth/lockout-parallel", test_lockout_parallel);
  fl_test_add_func ("/auth/flood", test_flood);
  /* SQLite's own: the modes of its files, its schema upgrade */
  if (fl_test_database_is_sqlite ())
    {
      fl_test_add_func ("/auth/permissions", test_permissions);
      fl_test_add_func ("/auth/schema-1", test_schema_1);
    }
  fl_test_add_func ("/auth/user-admin", test_user_admin);
  fl_test_add_func ("/auth/prompt-no-echo", test_prompt_no_echo);
  fl_test_add_func ("/auth/change-password", test_change_password);
  fl_test_add_func ("/auth/cli-passwd", test_cli_passwd);
  fl_test_add_func ("/auth/token-expiry", test_token_expiry);
  fl_test_add_func ("/auth/logout-everywhere", test_logout_everywhere);

  return g_test_run ();
}
