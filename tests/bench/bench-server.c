/* bench-server.c — firstline-server's push/pull path and long polls, from outside
 *
 * Starts the real firstline-server on 127.0.0.1 port 0 over a fresh data
 * directory; the clients are separate processes (this program again, with
 * --client or --poller). Measures
 *
 *  - batched pushes: 1, 8 and 32 clients, each pushing batches of 100 creates,
 *    every push also pulling what the others wrote (limit 1000): ops/s over the
 *    wall clock, p50 and p99 of the requests; the baseline, in the same run, is
 *    the same rows inserted directly into the server's own schema (made by the
 *    server) with its PRAGMAs (WAL, synchronous=FULL), 100 per transaction;
 *  - long polls: 200 clients wait (4 processes of 50), one push is made, and
 *    the time until the last of them has the change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "fl-ticket.h"

#define OPS_PER_BATCH   100
#define PULL_LIMIT      1000
#define N_POLLERS       200
#define POLLS_PER_PROC  50

/* Baselines measured on the same machine before the fixes of this benchmark's
 * commits (server of commit 42495c9, the same client processes). */
#define BASE_OPS_1       862.0
#define BASE_OPS_8       337.0
#define BASE_OPS_32      443.0
#define BASE_P99_32    10883.0
#define BASE_POLL_MS      76.0
#define BASE_CPU_1       320.0
#define BASE_CPU_8      1122.0
#define BASE_CPU_32     1239.0

static const char *password = "bench-password";

/* ------------------------------------------------------------------------ */
/* The rows: the same creates for the server and for the direct inserts */

static char *
create_op_json (guint  client,
                guint  batch,
                guint  i)
{
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *ticket_id = g_uuid_string_random ();

  return g_strdup_printf ("{\"op_id\":\"%s\",\"ticket_id\":\"%s\",\"type\":\"create\","
                          "\"base_version\":0,\"data\":{\"title\":\"Drucker %u/%u/%u druckt nicht\","
                          "\"description\":\"Papierstau in Fach 2, der Toner ist neu. Paper jam on "
                          "tray 2 since the update this morning.\",\"channel\":\"phone\","
                          "\"category\":\"hardware\",\"requester\":{\"name\":\"Jana Krüger\","
                          "\"email\":\"jana.krueger@example.org\",\"department\":\"Buchhaltung\"}}}",
                          op_id, ticket_id, client, batch, i);
}

/* ------------------------------------------------------------------------ */
/* HTTP */

static char *
post (SoupSession  *session,
      const char   *url,
      const char   *token,
      const char   *body,
      guint        *status)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  *status = soup_message_get_status (msg);
  if (answer == NULL)
    {
      *status = 0;
      return NULL;
    }
  return g_strndup (g_bytes_get_data (answer, &len), g_bytes_get_size (answer));
}

/* The last "cursor" member of a sync answer (it comes after the changes). */
static gint64
answer_cursor (const char *text)
{
  const char *p = NULL;

  for (const char *q = text; (q = strstr (q, "\"cursor\":")) != NULL; q++)
    p = q;
  return p ? g_ascii_strtoll (p + 9, NULL, 10) : -1;
}

static SoupSession *
new_session (guint max_conns)
{
  return soup_session_new_with_options ("max-conns", max_conns, "max-conns-per-host", max_conns,
                                        "timeout", 120, NULL);
}

/* ------------------------------------------------------------------------ */
/* Client processes */

/* --client URL TOKEN INDEX BATCHES: pushes BATCHES batches, each also pulling;
 * prints one latency (ms) a line, then "done". */
static int
run_client (char **argv)
{
  const char *url = argv[0];
  const char *token = argv[1];
  guint index = (guint) atoi (argv[2]);
  guint batches = (guint) atoi (argv[3]);
  g_autoptr(SoupSession) session = new_session (2);
  g_autofree char *sync_url = g_strdup_printf ("%s/api/v1/sync", url);
  g_autofree char *client_id = g_uuid_string_random ();
  gint64 cursor = 0;

  for (guint b = 0; b < batches; b++)
    {
      g_autoptr(GString) body = g_string_new (NULL);
      g_autofree char *answer = NULL;
      guint status;
      gint64 start;

      g_string_append_printf (body, "{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                              ",\"limit\":%d,\"ops\":[", client_id, cursor, PULL_LIMIT);
      for (guint i = 0; i < OPS_PER_BATCH; i++)
        {
          g_autofree char *op = create_op_json (index, b, i);
          g_string_append_printf (body, "%s%s", i ? "," : "", op);
        }
      g_string_append (body, "]}");

      start = g_get_monotonic_time ();
      answer = post (session, sync_url, token, body->str, &status);
      if (status != 200)
        {
          fprintf (stderr, "push: HTTP %u\n", status);
          return EXIT_FAILURE;
        }
      printf ("%.3f\n", (g_get_monotonic_time () - start) / 1000.0);
      cursor = answer_cursor (answer);
    }
  printf ("done\n");
  return EXIT_SUCCESS;
}

typedef struct
{
  guint      pending;
  GPtrArray *times;   /* gint64 *: when each answer came */
} Polls;

static void
on_poll_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Polls *polls = user_data;
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  gint64 *t = g_new (gint64, 1);

  *t = answer != NULL && g_bytes_get_size (answer) > 0 ? g_get_monotonic_time () : 0;
  g_ptr_array_add (polls->times, t);
  polls->pending--;
}

/* --poller URL TOKEN CURSOR N: N long polls at once from CURSOR; prints "ready"
 * once all are sent, then each answer's CLOCK_MONOTONIC time (µs), then "done". */
static int
run_poller (char **argv)
{
  const char *url = argv[0];
  const char *token = argv[1];
  gint64 cursor = g_ascii_strtoll (argv[2], NULL, 10);
  guint n = (guint) atoi (argv[3]);
  g_autoptr(SoupSession) session = new_session (n + 1);
  g_autofree char *sync_url = g_strdup_printf ("%s/api/v1/sync", url);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  Polls polls = { n, g_ptr_array_new_with_free_func (g_free) };
  gint64 deadline;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", sync_url);
      g_autofree char *client_id = g_uuid_string_random ();
      g_autofree char *body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%" G_GINT64_FORMAT
                                               ",\"wait\":30}", client_id, cursor);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_poll_done_cb,
                                        &polls);
    }
  /* let the requests go out */
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  printf ("ready\n");
  fflush (stdout);

  deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;
  while (polls.pending > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < polls.times->len; i++)
    printf ("%" G_GINT64_FORMAT "\n", *(gint64 *) g_ptr_array_index (polls.times, i));
  printf ("done\n");
  g_ptr_array_unref (polls.times);
  return polls.pending == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------------------ */
/* The server */

typedef struct
{
  char *server;
  char *dir;
  GPid  pid;
  char *url;
  char *token;
} Server;

static void
make_user (const char *server,
           const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("printf '%%s\\n' '%s' | '%s' --data-dir '%s' user add alex"
                                          " --role agent >/dev/null", password, server, dir);
  if (system (cmd) != 0)
    g_error ("could not add the user: %s", cmd);
}

static void
server_start (Server     *s,
              const char *server)
{
  const char *argv[] = { server, "--data-dir", NULL, "--listen", "127.0.0.1:0", NULL };
  g_autoptr(SoupSession) session = new_session (2);
  g_autofree char *login_url = NULL;
  g_autofree char *body = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  char line[512];
  FILE *out;
  int fd;
  guint status;
  const char *tok;

  s->server = g_strdup (server);
  s->dir = g_dir_make_tmp ("firstline-bench-server-XXXXXX", NULL);
  make_user (server, s->dir);
  argv[2] = s->dir;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                 NULL, NULL, &s->pid, NULL, &fd, NULL, &error))
    g_error ("%s", error->message);
  out = fdopen (fd, "r");
  while (fgets (line, sizeof line, out) != NULL)
    {
      char *at = strstr (line, "http://");
      if (at != NULL)
        {
          s->url = g_strstrip (g_strdup (at));
          break;
        }
    }
  if (s->url == NULL)
    g_error ("the server did not say where it listens");
  /* its later output is not read: keep the pipe open but unused */

  login_url = g_strdup_printf ("%s/api/v1/session", s->url);
  body = g_strdup_printf ("{\"username\":\"alex\",\"password\":\"%s\"}", password);
  answer = post (session, login_url, NULL, body, &status);
  if (status != 200 || (tok = strstr (answer, "\"token\":\"")) == NULL)
    g_error ("login: HTTP %u", status);
  tok += 9;
  s->token = g_strndup (tok, strchr (tok, '"') - tok);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
server_stop (Server *s)
{
  int status;

  if (s->pid > 0)
    {
      kill (s->pid, SIGTERM);
      for (int i = 0; i < 500 && waitpid (s->pid, &status, WNOHANG) == 0; i++)
        g_usleep (10000);
      if (waitpid (s->pid, &status, WNOHANG) == 0)
        {
          kill (s->pid, SIGKILL);
          waitpid (s->pid, &status, 0);
        }
      g_spawn_close_pid (s->pid);
    }
  remove_tree (s->dir);
  g_free (s->server);
  g_free (s->dir);
  g_free (s->url);
  g_free (s->token);
}

/* ------------------------------------------------------------------------ */
/* Running client processes */

typedef struct
{
  GPid  pid;
  FILE *out;
} Child;

static Child
spawn_child (const char *self_path,
             const char *mode,
             char      **args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Child c = { 0, };
  int fd;

  g_ptr_array_add (argv, (char *) self_path);
  g_ptr_array_add (argv, (char *) mode);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &c.pid, NULL, &fd, NULL, &error))
    g_error ("%s", error->message);
  c.out = fdopen (fd, "r");
  return c;
}

static gboolean
child_finish (Child *c)
{
  int status = 0;

  fclose (c->out);
  waitpid (c->pid, &status, 0);
  g_spawn_close_pid (c->pid);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

typedef struct
{
  double ops_per_s;
  double p50;
  double p99;
  double cpu_us_per_op;   /* the server's CPU time: less disturbed by a busy machine */
} PushResult;

/* utime + stime of @pid, in µs */
static double
cpu_us (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *end;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (end = strrchr (text, ')')) == NULL)
    return NAN;
  fields = g_strsplit (end + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return NAN;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1e6 /
         sysconf (_SC_CLK_TCK);
}

static gboolean
run_pushes (const char *self_path,
            const char *server,
            guint       n_clients,
            guint       batches,
            PushResult *r)
{
  Server s = { 0, };
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  Child *children = g_new0 (Child, n_clients);
  gboolean ok = TRUE;
  gint64 start, end;
  double cpu_start, cpu_end;

  server_start (&s, server);
  cpu_start = cpu_us (s.pid);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_clients; i++)
    {
      g_autofree char *index = g_strdup_printf ("%u", i);
      g_autofree char *n = g_strdup_printf ("%u", batches);
      char *args[] = { s.url, s.token, index, n, NULL };

      children[i] = spawn_child (self_path, "--client", args);
    }
  for (guint i = 0; i < n_clients; i++)
    {
      char line[64];

      while (fgets (line, sizeof line, children[i].out) != NULL && !g_str_has_prefix (line, "done"))
        {
          double v = g_ascii_strtod (line, NULL);
          g_array_append_val (ms, v);
        }
      ok &= child_finish (&children[i]);
    }
  end = g_get_monotonic_time ();
  cpu_end = cpu_us (s.pid);
  server_stop (&s);
  g_free (children);

  r->cpu_us_per_op = (cpu_end - cpu_start) / (ms->len * OPS_PER_BATCH);
  r->ops_per_s = ms->len * OPS_PER_BATCH / ((end - start) / 1e6);
  r->p50 = bench_percentile (ms, 50);
  r->p99 = bench_percentile (ms, 99);
  printf ("  %2u clients: %6u requests, %8.0f ops/s, p50 %7.1f ms, p99 %7.1f ms,"
          " server CPU %5.0f µs/op%s\n", n_clients, ms->len, r->ops_per_s, r->p50, r->p99,
          r->cpu_us_per_op, ok ? "" : " (a client failed)");
  fflush (stdout);
  return ok && ms->len == n_clients * batches;
}

/* The same rows straight into the server's schema, with its PRAGMAs, 100 per
 * transaction: a ticket row with its JSON, its FTS row, its event, the seq. */
static double
direct_rate (const char *server,
             guint       n_ops)
{
  g_autofree char *dir = g_dir_make_tmp ("firstline-bench-direct-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *ticket, *fts, *event, *seq;
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  gint64 start, elapsed;

  make_user (server, dir);   /* the server makes its schema */
  if (sqlite3_open (path, &db) != SQLITE_OK)
    g_error ("%s: %s", path, sqlite3_errmsg (db));
  sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                    " PRAGMA foreign_keys = ON;", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO tickets (id, number, version, seq, status, category,"
                          " assignee, level, queue, created_at, resolved_at, due_at, resolution_code,"
                          " resolved_by, handoffs, json) VALUES (?1, ?2, 1, ?2, 'new', 'hardware',"
                          " NULL, 1, 'first-level', ?3, NULL, ?3, NULL, NULL, 0, ?4)", -1, &ticket, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO tickets_fts (rowid, title, description, requester, notes)"
                          " VALUES (?1, ?2, ?3, ?4, '')", -1, &fts, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO events (seq, id, ticket_id, version, at, author, type, data,"
                          " client_id, fields) VALUES (?1, ?2, ?3, 1, ?4, 'alex', 'create', ?5,"
                          " 'bench', '[]')", -1, &event, NULL);
  sqlite3_prepare_v2 (db, "UPDATE meta SET value = ?1 WHERE key = 'seq'", -1, &seq, NULL);
  if (ticket == NULL || fts == NULL || event == NULL || seq == NULL)
    g_error ("prepare: %s", sqlite3_errmsg (db));

  /* the rows are made before the clock starts */
  for (guint n = 0; n < n_ops; n++)
    {
      g_autofree char *op = create_op_json (0, n / OPS_PER_BATCH, n % OPS_PER_BATCH);

      g_ptr_array_add (nodes, json_from_string (op, NULL));
    }

  start = g_get_monotonic_time ();
  for (guint n = 0; n < n_ops; n++)
    {
      JsonNode *node = g_ptr_array_index (nodes, n);
      JsonObject *o = json_node_get_object (node);
      JsonObject *data = json_object_get_object_member (o, "data");
      g_autofree char *data_text = json_to_string (json_object_get_member (o, "data"), FALSE);
      const char *id = json_object_get_string_member (o, "ticket_id");
      gint64 now = g_get_real_time () / 1000;
      gint64 rowid;

      if (n % OPS_PER_BATCH == 0)
        sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

      /* the stored ticket JSON is about the op's data plus the ticket's fields */
      sqlite3_bind_text (ticket, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (ticket, 2, n + 1);
      sqlite3_bind_int64 (ticket, 3, now);
      sqlite3_bind_text (ticket, 4, data_text, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (ticket) != SQLITE_DONE)
        g_error ("insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (ticket);
      rowid = sqlite3_last_insert_rowid (db);

      sqlite3_bind_int64 (fts, 1, rowid);
      sqlite3_bind_text (fts, 2, json_object_get_string_member (data, "title"), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (fts, 3, json_object_get_string_member (data, "description"), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_text (fts, 4, "Jana Krüger jana.krueger@example.org Buchhaltung", -1,
                         SQLITE_STATIC);
      sqlite3_step (fts);
      sqlite3_reset (fts);

      sqlite3_bind_int64 (event, 1, n + 1);
      sqlite3_bind_text (event, 2, json_object_get_string_member (o, "op_id"), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (event, 3, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (event, 4, now);
      sqlite3_bind_text (event, 5, data_text, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (event) != SQLITE_DONE)
        g_error ("event: %s", sqlite3_errmsg (db));
      sqlite3_reset (event);

      sqlite3_bind_int64 (seq, 1, n + 1);
      sqlite3_step (seq);
      sqlite3_reset (seq);

      if (n % OPS_PER_BATCH == OPS_PER_BATCH - 1 || n == n_ops - 1)
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    }
  elapsed = g_get_monotonic_time () - start;

  sqlite3_finalize (ticket);
  sqlite3_finalize (fts);
  sqlite3_finalize (event);
  sqlite3_finalize (seq);
  sqlite3_close (db);
  remove_tree (dir);
  printf ("  direct batched inserts: %u rows, %.0f rows/s\n", n_ops, n_ops / (elapsed / 1e6));
  return n_ops / (elapsed / 1e6);
}

/* 200 long polls wait; one push; until the last of them has it. */
static double
run_long_polls (const char *self_path,
                const char *server,
                guint      *n_answered)
{
  Server s = { 0, };
  g_autoptr(SoupSession) session = new_session (2);
  g_autofree char *sync_url = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *per = g_strdup_printf ("%d", POLLS_PER_PROC);
  g_autofree char *body = NULL;
  g_autofree char *client_id = g_uuid_string_random ();
  g_autofree char *op = create_op_json (99, 0, 0);
  guint n_procs = N_POLLERS / POLLS_PER_PROC;
  Child *children = g_new0 (Child, n_procs);
  gint64 pushed, last = 0;
  guint status;

  *n_answered = 0;
  server_start (&s, server);
  sync_url = g_strdup_printf ("%s/api/v1/sync", s.url);
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":0}", client_id);
  answer = post (session, sync_url, s.token, body, &status);
  cursor = g_strdup_printf ("%" G_GINT64_FORMAT, answer_cursor (answer));

  for (guint i = 0; i < n_procs; i++)
    {
      char *args[] = { s.url, s.token, cursor, per, NULL };

      children[i] = spawn_child (self_path, "--poller", args);
    }
  for (guint i = 0; i < n_procs; i++)
    {
      char line[64];

      if (fgets (line, sizeof line, children[i].out) == NULL || !g_str_has_prefix (line, "ready"))
        g_error ("a poller did not get ready");
    }
  g_usleep (500000);

  g_free (body);
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%s,\"ops\":[%s]}", client_id, cursor, op);
  g_free (answer);
  pushed = g_get_monotonic_time ();
  answer = post (session, sync_url, s.token, body, &status);
  if (status != 200)
    g_error ("push: HTTP %u", status);

  for (guint i = 0; i < n_procs; i++)
    {
      char line[64];

      while (fgets (line, sizeof line, children[i].out) != NULL && !g_str_has_prefix (line, "done"))
        {
          gint64 t = g_ascii_strtoll (line, NULL, 10);

          if (t >= pushed)
            {
              (*n_answered)++;
              last = MAX (last, t);
            }
        }
      child_finish (&children[i]);
    }
  server_stop (&s);
  g_free (children);

  printf ("  %u long polls: %u had the change, the last after %.1f ms\n", N_POLLERS, *n_answered,
          (last - pushed) / 1000.0);
  return *n_answered == N_POLLERS ? (last - pushed) / 1000.0 : INFINITY;
}

int
main (int   argc,
      char *argv[])
{
  const char *server = g_getenv ("FIRSTLINE_SERVER");
  g_autofree char *self_path = NULL;
  BenchReport *report;
  PushResult r1, r8, r32;
  double direct, poll_ms;
  guint answered;
  gboolean quick = g_getenv ("FIRSTLINE_BENCH_QUICK") != NULL;
  guint scale = quick ? 4 : 1;

  if (argc > 1 && g_str_equal (argv[1], "--client") && argc == 6)
    return run_client (argv + 2);
  if (argc > 1 && g_str_equal (argv[1], "--poller") && argc == 6)
    return run_poller (argv + 2);

  if (server == NULL)
    {
      printf ("FIRSTLINE_SERVER: the firstline-server program to measure\n");
      return EXIT_FAILURE;
    }
  self_path = g_file_read_link ("/proc/self/exe", NULL);

  printf ("batched pushes of %d creates, each pulling (limit %d):\n", OPS_PER_BATCH, PULL_LIMIT);
  direct = direct_rate (server, 20000 / scale);
  run_pushes (self_path, server, 1, 80 / scale, &r1);
  run_pushes (self_path, server, 8, 20 / scale, &r8);
  run_pushes (self_path, server, 32, 8 / scale, &r32);
  printf ("long polls:\n");
  poll_ms = run_long_polls (self_path, server, &answered);

  report = bench_report_new ("server", "firstline-server over loopback, clients in separate processes");
  bench_report_add (report, "direct batched inserts (server schema)", "rows/s", direct, NAN,
                    BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 1 client", "ops/s", r1.ops_per_s, BASE_OPS_1, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 1 client, p99", "ms", r1.p99, NAN, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 1 client, server CPU per op", "µs", r1.cpu_us_per_op,
                    BASE_CPU_1, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 8 clients", "ops/s", r8.ops_per_s, BASE_OPS_8, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 8 clients, p50", "ms", r8.p50, NAN, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 8 clients, p99", "ms", r8.p99, NAN, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 8 clients, server CPU per op", "µs", r8.cpu_us_per_op,
                    BASE_CPU_8, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 32 clients", "ops/s", r32.ops_per_s, BASE_OPS_32,
                    BENCH_AT_LEAST, 10000);
  bench_report_add (report, "push+pull, 32 clients, share of direct", "%",
                    100 * r32.ops_per_s / direct, NAN, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 32 clients, p50", "ms", r32.p50, NAN, BENCH_INFO, 0);
  bench_report_add (report, "push+pull, 32 clients, p99", "ms", r32.p99, BASE_P99_32, BENCH_BELOW, 500);
  bench_report_add (report, "push+pull, 32 clients, server CPU per op", "µs", r32.cpu_us_per_op,
                    BASE_CPU_32, BENCH_INFO, 0);
  bench_report_add (report, "a change reaching 200 long polls", "ms", poll_ms, BASE_POLL_MS,
                    BENCH_BELOW, 1000);
  return bench_report_finish (report);
}
