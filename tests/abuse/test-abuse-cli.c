/* test-abuse-cli.c — firstline-cli and the sync engine against a hostile server
 *
 * A small HTTP peer inside this program (a GThreadedSocketService on
 * 127.0.0.1, port 0) answers login and sync the way a broken or malicious
 * server might: nested too deep, "more" forever, no acknowledgement, a body
 * trickled byte by byte, huge or a gzip bomb, a token with CR/LF, escape
 * sequences, invalid checklists, ticket numbers used twice. The real CLI
 * ($FIRSTLINE_CLI) runs against it with a deadline; some checks drive
 * FlSyncEngine or FlStore directly. Nothing leaves 127.0.0.1: the one address
 * off loopback (192.0.2.1, TEST-NET-1) must be refused before any connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-credentials.h"
#include "fl-store.h"
#include "fl-sync-engine.h"
#include "fl-test-util.h"

#define PASSWORD   "correct horse battery"
#define GOOD_TOKEN "0123456789abcdef0123456789abcdef"
#define MIB        (1024 * 1024)

/* -------------------------------------------------------------------------- */
/* The hostile peer                                                              */

typedef enum
{
  SYNC_OK,              /* acknowledges every op, nothing more */
  SYNC_DEEP_COMMENT,    /* '/' '*' ']'… '*' '/' '['… ']'… */
  SYNC_DEEP_OPEN,       /* 100000 '[' */
  SYNC_DEEP_ERROR,      /* 500 with 60000 '[' */
  SYNC_NO_ACK,          /* 200, empty results */
  SYNC_MORE_FOREVER,
  SYNC_RESET_FOREVER,
  SYNC_TRICKLE,         /* a body one byte at a time */
  SYNC_HUGE,            /* 200 MB, chunked */
  SYNC_HUGE_LENGTH,     /* 200 MB, with Content-Length */
  SYNC_GZIP_BOMB,
  SYNC_CANNED,          /* peer->canned, as it is */
  SYNC_ESCAPE_ERROR,    /* 500 whose message holds escape sequences */
} SyncMode;

typedef enum
{
  LOGIN_OK,
  LOGIN_DEEP,
  LOGIN_HUGE,           /* 2 MB */
  LOGIN_BAD_TOKEN,      /* peer->canned is the token */
} LoginMode;

typedef struct
{
  SyncMode        sync_mode;
  LoginMode       login_mode;
  char           *canned;        /* SYNC_CANNED: the bodies, one per sync, the last repeated */
  GPtrArray      *bodies;
  GBytes         *bomb;
  GThread        *thread;
  GMainContext   *context;
  GMainLoop      *loop;
  GCancellable   *cancellable;
  char           *url;
  guint16         port;
  GMutex          lock;
  GCond           cond;
  gboolean        ready;
  int             n_sync;        /* atomic */
  int             n_login;       /* atomic */
  int             n_active;      /* atomic: handlers running */
} Peer;

static gboolean
write_all (GOutputStream *out,
           const void    *data,
           gsize          len,
           Peer          *peer)
{
  return g_output_stream_write_all (out, data, len, NULL, peer->cancellable, NULL);
}

static void
respond (Peer          *peer,
         GOutputStream *out,
         guint          status,
         const char    *body,
         gsize          length)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n"
                                           "\r\n",
                                           status, status == 200 ? "OK" : "Error", length);

  if (write_all (out, head, strlen (head), peer))
    write_all (out, body, length, peer);
  g_output_stream_flush (out, NULL, NULL);
}

static void
respond_text (Peer          *peer,
              GOutputStream *out,
              guint          status,
              const char    *body)
{
  respond (peer, out, status, body, strlen (body));
}

static char *
repeat (const char *prefix,
        char        c,
        gsize       n,
        const char *suffix)
{
  GString *s = g_string_new (prefix);

  for (gsize i = 0; i < n; i++)
    g_string_append_c (s, c);
  g_string_append (s, suffix);
  return g_string_free (s, FALSE);
}

/* 200 MB of spaces, chunked or with a length; the client hangs up early. */
static void
respond_huge (Peer          *peer,
              GOutputStream *out,
              gboolean       chunked)
{
  const gsize total = 200 * (gsize) MIB;
  g_autofree char *chunk = g_malloc (64 * 1024);
  g_autofree char *head = NULL;
  g_autofree char *chunk_head = g_strdup_printf ("%x\r\n", 64 * 1024);

  memset (chunk, ' ', 64 * 1024);
  if (chunked)
    head = g_strdup ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  else
    head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                            total);
  if (!write_all (out, head, strlen (head), peer))
    return;

  for (gsize sent = 0; sent < total; sent += 64 * 1024)
    {
      if (chunked && !write_all (out, chunk_head, strlen (chunk_head), peer))
        return;
      if (!write_all (out, chunk, 64 * 1024, peer))
        return;
      if (chunked && !write_all (out, "\r\n", 2, peer))
        return;
    }
  if (chunked)
    write_all (out, "0\r\n\r\n", 5, peer);
}

static void
respond_bomb (Peer          *peer,
              GOutputStream *out)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Encoding: gzip\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n\r\n",
                                           g_bytes_get_size (peer->bomb));

  if (write_all (out, head, strlen (head), peer))
    write_all (out, g_bytes_get_data (peer->bomb, NULL), g_bytes_get_size (peer->bomb), peer);
}

/* A complete answer, one byte every 200 ms (within every I/O timeout). */
static void
respond_trickle (Peer          *peer,
                 GOutputStream *out)
{
  const char *body = "{\"results\": [], \"changes\": {}, \"cursor\": 0, \"more\": false}";
  g_autofree char *padded = repeat (body, ' ', 400, "");
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n\r\n", strlen (padded));

  if (!write_all (out, head, strlen (head), peer))
    return;
  for (gsize i = 0; padded[i] != '\0'; i++)
    {
      if (!write_all (out, padded + i, 1, peer) || !g_output_stream_flush (out, NULL, NULL))
        return;
      if (g_cancellable_is_cancelled (peer->cancellable))
        return;
      g_usleep (200 * 1000);
    }
}

/* The results that acknowledge every op of a sync request. */
static char *
ack_results (const char *request)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *ops = NULL;

  if (request != NULL && json_parser_load_from_data (parser, request, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
      if (json_object_has_member (obj, "ops"))
        ops = json_object_get_array_member (obj, "ops");
    }

  json_builder_begin_array (b);
  for (guint i = 0; ops != NULL && i < json_array_get_length (ops); i++)
    {
      JsonObject *op = json_array_get_object_element (ops, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "op_id");
      json_builder_add_string_value (b, json_object_get_string_member (op, "op_id"));
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, "rejected");
      json_builder_set_member_name (b, "error");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, "invalid");
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, "not here");
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
respond_sync (Peer          *peer,
              GOutputStream *out,
              const char    *request,
              int            n)
{
  g_autofree char *body = NULL;

  switch (peer->sync_mode)
    {
    case SYNC_OK:
      {
        g_autofree char *results = ack_results (request);
        body = g_strdup_printf ("{\"results\": %s, \"changes\": {}, \"cursor\": 0, \"more\": false}",
                                results);
        respond_text (peer, out, 200, body);
      }
      break;

    case SYNC_DEEP_COMMENT:
      {
        g_autofree char *a = repeat ("/*", ']', 100000, "*/");
        g_autofree char *b = repeat (a, '[', 100000, "");
        body = repeat (b, ']', 100000, "");
        respond_text (peer, out, 200, body);
      }
      break;

    case SYNC_DEEP_OPEN:
      body = repeat ("", '[', 100000, "");
      respond_text (peer, out, 200, body);
      break;

    case SYNC_DEEP_ERROR:
      body = repeat ("{\"error\": ", '[', 60000, "");
      respond_text (peer, out, 500, body);
      break;

    case SYNC_NO_ACK:
      respond_text (peer, out, 200, "{\"results\": [], \"changes\": {}, \"cursor\": 0, \"more\": false}");
      break;

    case SYNC_MORE_FOREVER:
      respond_text (peer, out, 200,
                    "{\"results\": [], \"changes\": {\"tickets\": [], \"events\": [],"
                    " \"checklists\": []}, \"cursor\": 5, \"more\": true}");
      break;

    case SYNC_RESET_FOREVER:
      respond_text (peer, out, 200,
                    "{\"results\": [], \"changes\": {}, \"cursor\": 0, \"more\": false,"
                    " \"reset\": true}");
      break;

    case SYNC_TRICKLE:
      respond_trickle (peer, out);
      break;

    case SYNC_HUGE:
    case SYNC_HUGE_LENGTH:
      respond_huge (peer, out, peer->sync_mode == SYNC_HUGE);
      break;

    case SYNC_GZIP_BOMB:
      respond_bomb (peer, out);
      break;

    case SYNC_CANNED:
      {
        const char *canned = g_ptr_array_index (peer->bodies, MIN ((guint) n, peer->bodies->len - 1));
        g_autofree char *results = ack_results (request);
        /* "%RESULTS%" stands for the acknowledgement of the request's ops. */
        g_auto(GStrv) parts = g_strsplit (canned, "%RESULTS%", -1);
        body = g_strjoinv (results, parts);
        respond_text (peer, out, 200, body);
      }
      break;

    case SYNC_ESCAPE_ERROR:
      respond_text (peer, out, 500,
                    "{\"error\": {\"code\": \"internal\","
                    " \"message\": \"boom \\u001b]0;owned\\u0007\\u001b[2J\\u009b31m end\"}}");
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
respond_login (Peer          *peer,
               GOutputStream *out)
{
  g_autofree char *body = NULL;
  const char *user = "\"user\": {\"username\": \"alex\", \"display_name\": \"Alex\", \"role\": \"agent\"}";

  switch (peer->login_mode)
    {
    case LOGIN_OK:
      body = g_strdup_printf ("{\"token\": \"%s\", %s}", GOOD_TOKEN, user);
      break;
    case LOGIN_DEEP:
      body = repeat ("", '[', 100000, "");
      break;
    case LOGIN_HUGE:
      {
        g_autofree char *start = g_strdup_printf ("{\"token\": \"%s\", %s, \"pad\": \"", GOOD_TOKEN, user);
        body = repeat (start, 'x', 2 * MIB, "\"}");
      }
      break;
    case LOGIN_BAD_TOKEN:
      body = g_strdup_printf ("{\"token\": \"%s\", %s}", peer->canned, user);
      break;
    default:
      g_assert_not_reached ();
    }

  respond_text (peer, out, 200, body);
}

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

  if (content_length > 0 && content_length < 16 * MIB)
    {
      gsize n_read = 0;

      body = g_malloc0 (content_length + 1);
      g_input_stream_read_all (G_INPUT_STREAM (data), body, content_length, &n_read,
                               peer->cancellable, NULL);
    }

  if (g_str_equal (parts[0], "POST") && g_str_equal (parts[1], "/api/v1/session"))
    {
      g_atomic_int_inc (&peer->n_login);
      respond_login (peer, out);
    }
  else if (g_str_equal (parts[1], "/api/v1/sync"))
    respond_sync (peer, out, body, g_atomic_int_add (&peer->n_sync, 1));
  else
    respond_text (peer, out, 404, "{\"error\": {\"code\": \"not_found\", \"message\": \"Not found\"}}");

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

  service = g_threaded_socket_service_new (8);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (peer_run_cb), peer);
  g_socket_service_start (service);

  g_mutex_lock (&peer->lock);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  peer->url = g_strdup_printf ("http://127.0.0.1:%u", peer->port);
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
peer_new (SyncMode  sync_mode,
          LoginMode login_mode)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->sync_mode = sync_mode;
  peer->login_mode = login_mode;
  peer->bodies = g_ptr_array_new_with_free_func (g_free);
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
  g_ptr_array_unref (peer->bodies);
  g_clear_pointer (&peer->bomb, g_bytes_unref);
  g_free (peer->canned);
  g_free (peer->url);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* -------------------------------------------------------------------------- */
/* The CLI, with a deadline                                                      */

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} Run;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err,
                                        &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

/* Runs the CLI on @cache with @args; it must end within @seconds (scaled
 * under AddressSanitizer) or the test fails. Returns the exit status. */
static int
run_cli (const char          *cache,
         const char          *stdin_text,
         guint                seconds,
         char               **out,
         char               **err,
         const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                          G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  gint64 deadline = g_get_monotonic_time () +
                    (gint64) seconds * fl_test_slowdown () * G_USEC_PER_SEC;

  g_subprocess_launcher_setenv (launcher, "FIRSTLINE_CREDENTIALS", "file", TRUE);
  g_ptr_array_add (argv, (gpointer) FL_TEST_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "--cache");
  g_ptr_array_add (argv, (gpointer) cache);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, stdin_text ? stdin_text : "", NULL,
                                       communicate_cb, &run);

  while (!run.done)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (proc);
          while (!run.done)
            g_main_context_iteration (NULL, TRUE);
          g_error ("firstline-cli %s did not end within %u s", args[0], seconds);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_subprocess_wait (proc, NULL, NULL);

  if (g_test_verbose () && run.err != NULL && *run.err != '\0')
    g_printerr ("# %s: %s", args[0], run.err);

  if (out)
    *out = g_steal_pointer (&run.out);
  if (err)
    *err = g_steal_pointer (&run.err);
  g_free (run.out);
  g_free (run.err);

  return fl_test_exit_status (proc);
}

static int
cli (const char  *cache,
     guint        seconds,
     char       **out,
     char       **err,
     const char  *first,
     ...) G_GNUC_NULL_TERMINATED;

static int
cli (const char  *cache,
     guint        seconds,
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

  return run_cli (cache, NULL, seconds, out, err, (const char * const *) args->pdata);
}

static int
cli_login (const char  *cache,
           const char  *url,
           char       **err)
{
  const char *args[] = { "login", url, "alex", NULL };

  return run_cli (cache, PASSWORD "\n", 15, NULL, err, args);
}

static char *
cli_new (const char *cache,
         const char *title)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cli (cache, 10, &out, NULL, "new", "--title", title, "--category", "printer",
                        "--requester", "Kim", "--requester.location", "EG", NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

static guint
cli_pending (const char *cache)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cli (cache, 10, &out, NULL, "pending", NULL), ==, 0);
  return (guint) g_ascii_strtoull (out, NULL, 10);
}

static char *
new_cache (const char *name)
{
  return g_build_filename (g_get_user_data_dir (), name, "cache.db", NULL);
}

/* A sync that fails: one clear line, the status, and the op kept. */
static void
assert_sync_fails (Peer       *peer,
                   int         expected,
                   guint       seconds,
                   const char *needle)
{
  g_autofree char *cache = new_cache ("a");
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  int status;

  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  id = cli_new (cache, "Scanner offline");
  status = cli (cache, seconds, NULL, &err, "sync", NULL);
  g_test_message ("sync: %d, %s", status, err);
  g_assert_cmpint (status, ==, expected);
  fl_test_assert_error_line (err, "firstline-cli");
  if (needle != NULL)
    g_assert_nonnull (strstr (err, needle));
  g_assert_cmpuint (cli_pending (cache), ==, 1);
}

/* -------------------------------------------------------------------------- */
/* 1. Nesting                                                                    */

static void
test_deep_login (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_OK, LOGIN_DEEP);
  g_autofree char *cache = new_cache ("a");
  g_autofree char *err = NULL;

  g_assert_cmpint (cli_login (cache, peer->url, &err), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "JSON"));
  g_assert_cmpint (g_atomic_int_get (&peer->n_login), ==, 1);
}

static void
test_deep_sync (void)
{
  const SyncMode modes[] = { SYNC_DEEP_COMMENT, SYNC_DEEP_OPEN, SYNC_DEEP_ERROR };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(Peer) peer = peer_new (modes[i], LOGIN_OK);
      g_autofree char *cache = g_strdup_printf ("%s/deep-%u/cache.db", g_get_user_data_dir (), i);
      g_autofree char *err = NULL;

      g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
      g_free (cli_new (cache, "Deep"));
      g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 1);
      fl_test_assert_error_line (err, "firstline-cli");
      g_test_message ("sync: %s", err);
      g_assert_cmpuint (cli_pending (cache), ==, 1);
    }
}

/* -------------------------------------------------------------------------- */
/* 2. Syncs that would never end                                                 */

static void
test_no_ack (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_NO_ACK, LOGIN_OK);

  assert_sync_fails (peer, 1, 15, "acknowledge");
  g_assert_cmpint (g_atomic_int_get (&peer->n_sync), <=, 5);
}

static void
test_more_forever (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_MORE_FOREVER, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  g_autofree char *err = NULL;

  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "more"));
  g_assert_cmpint (g_atomic_int_get (&peer->n_sync), <=, 5);
}

static void
test_reset_forever (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_RESET_FOREVER, LOGIN_OK);

  assert_sync_fails (peer, 1, 15, "start over");
  g_assert_cmpint (g_atomic_int_get (&peer->n_sync), <=, 5);
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

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  g_error ("the sync did not end in time");
  return G_SOURCE_REMOVE;
}

/* Logs @store in at @peer through the CLI's code (the engine). */
static FlSyncEngine *
engine_logged_in (const char *cache,
                  Peer       *peer,
                  FlStore   **out_store)
{
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { g_main_loop_new (NULL, FALSE), NULL };

  store = fl_store_new (cache, &error);
  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  fl_sync_engine_login_async (engine, peer->url, "alex", PASSWORD, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_true (fl_sync_engine_login_finish (engine, w.result, &error));
  g_assert_no_error (error);
  g_object_unref (w.result);
  g_main_loop_unref (w.loop);

  *out_store = g_steal_pointer (&store);
  return g_steal_pointer (&engine);
}

/* A body trickled one byte every 200 ms never trips the I/O timeout (1 s here;
 * the CLI's is 15 s): the whole answer has a deadline (4 × the timeout). */
static void
test_trickle (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_TRICKLE, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = engine_logged_in (cache, peer, &store);
  g_autoptr(GError) error = NULL;
  Waiter w = { g_main_loop_new (NULL, FALSE), NULL };
  guint guard;
  gint64 start;
  double seconds;

  fl_sync_engine_set_timeout (engine, 1);
  start = g_get_monotonic_time ();
  guard = g_timeout_add_seconds (20 * fl_test_slowdown (), waiter_timeout_cb, NULL);
  fl_sync_engine_sync_async (engine, 0, NULL, on_done_cb, &w);
  g_main_loop_run (w.loop);
  g_source_remove (guard);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  g_assert_false (fl_sync_engine_sync_finish (engine, w.result, &error));
  g_test_message ("trickle: %s after %.1f s", error->message, seconds);
  g_assert_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "longer than 4 seconds"));
  g_assert_cmpfloat (seconds, <, 4 + 3 * fl_test_slowdown ());
  g_assert_cmpint (fl_sync_engine_get_state (engine), ==, FL_SYNC_STATE_ERROR);

  g_object_unref (w.result);
  g_main_loop_unref (w.loop);
}

static gboolean
in_error_state (gpointer data)
{
  return fl_sync_engine_get_state (data) == FL_SYNC_STATE_ERROR;
}

/* The app's mode against "more" forever and against long polls answered at
 * once with nothing: an error state and backoff, not a spin. */
static void
check_app_mode (SyncMode mode,
                gboolean expect_error)
{
  g_autoptr(Peer) peer = peer_new (mode, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlSyncEngine) engine = engine_logged_in (cache, peer, &store);
  int n;

  fl_sync_engine_start (engine);
  if (expect_error)
    fl_test_spin_until (in_error_state, engine, 5);
  /* The point: how many requests the engine makes in a fixed window of 4 s. */
  fl_test_spin_for (4000);
  n = g_atomic_int_get (&peer->n_sync);
  g_test_message ("%d sync requests in about 4 s", n);
  fl_sync_engine_stop (engine);
  fl_test_spin_until_idle ();

  g_assert_cmpint (n, <, 40);
  if (expect_error)
    g_assert_nonnull (fl_sync_engine_get_last_error (engine));
}

static void
test_app_more_forever (void)
{
  check_app_mode (SYNC_MORE_FOREVER, TRUE);
}

static void
test_app_fast_polls (void)
{
  check_app_mode (SYNC_NO_ACK, FALSE);
}

/* -------------------------------------------------------------------------- */
/* 3. Size                                                                       */

static long
children_max_rss_kb (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &usage), ==, 0);
  return usage.ru_maxrss;
}

static void
check_big_sync (Peer *peer)
{
  g_autofree char *cache = new_cache ("a");
  g_autofree char *err = NULL;
  long limit_kb = (g_getenv ("ASAN_OPTIONS") != NULL ? 450 : 200) * 1024;
  long rss;

  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_assert_cmpint (cli (cache, 25, NULL, &err, "sync", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "larger than"));

  rss = children_max_rss_kb ();
  g_test_message ("sync: %s; the largest child's peak RSS: %ld kB", err, rss);
  g_assert_cmpint (rss, <, limit_kb);
}

static void
test_huge_body (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_HUGE, LOGIN_OK);

  check_big_sync (peer);
}

static void
test_huge_length (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_HUGE_LENGTH, LOGIN_OK);

  check_big_sync (peer);
}

/* 256 MiB of spaces, gzipped: about 250 kB on the wire. */
static GBytes *
make_bomb (void)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) gzip = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autofree char *chunk = g_malloc (MIB);
  g_autoptr(GError) error = NULL;

  memset (chunk, ' ', MIB);
  for (guint i = 0; i < 256; i++)
    {
      g_output_stream_write_all (gzip, chunk, MIB, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_output_stream_close (gzip, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
test_gzip_bomb (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_GZIP_BOMB, LOGIN_OK);

  peer->bomb = make_bomb ();
  g_test_message ("bomb: %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (peer->bomb));
  check_big_sync (peer);
}

static void
test_huge_login (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_OK, LOGIN_HUGE);
  g_autofree char *cache = new_cache ("a");
  g_autofree char *err = NULL;

  g_assert_cmpint (cli_login (cache, peer->url, &err), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "larger than"));
}

/* -------------------------------------------------------------------------- */
/* 4. Plain HTTP off loopback                                                    */

static void
test_insecure_refused (void)
{
  const char * const refused[] = {
    "http://192.0.2.1:8080", "http://tickets.example.org", "http://127.0.0.1.example.org",
    "http://10.0.0.1", "http://[2001:db8::1]:8080", NULL
  };
  g_autoptr(Peer) peer = peer_new (SYNC_OK, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  g_autofree char *out = NULL;

  for (guint i = 0; refused[i] != NULL; i++)
    {
      g_autofree char *err = NULL;
      gint64 start = g_get_monotonic_time ();

      g_assert_cmpint (cli_login (cache, refused[i], &err), ==, 2);
      fl_test_assert_error_line (err, "firstline-cli");
      g_assert_nonnull (strstr (err, "--insecure"));
      /* Refused before any connection or name lookup. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * fl_test_slowdown () * G_USEC_PER_SEC);
      g_assert_false (fl_sync_check_server_url (refused[i], FALSE, NULL));
      g_assert_true (fl_sync_check_server_url (refused[i], TRUE, NULL));
    }

  g_assert_true (fl_sync_check_server_url ("https://tickets.example.org", FALSE, NULL));
  g_assert_true (fl_sync_check_server_url ("http://[::1]:8080", FALSE, NULL));
  g_assert_true (fl_sync_check_server_url ("http://127.8.9.10", FALSE, NULL));
  g_assert_true (fl_sync_check_server_url ("http://LocalHost:1", FALSE, NULL));

  /* Loopback still works, by address and by name. */
  {
    g_autofree char *by_name = g_strdup_printf ("http://localhost:%u", peer->port);

    g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
    g_assert_cmpint (cli_login (cache, by_name, NULL), ==, 0);
    g_assert_cmpint (g_atomic_int_get (&peer->n_login), ==, 2);
  }

  g_assert_cmpint (cli (cache, 10, &out, NULL, "login", "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "--insecure"));
}

/* -------------------------------------------------------------------------- */
/* 5. Data the server sends                                                      */

/* A server ticket: a local one's JSON (from `show --json`) with @id, @number, @title. */
static char *
server_ticket (const char *id,
               gint64      number,
               const char *title)
{
  g_autofree char *scratch = new_cache ("scratch");
  g_autofree char *local_id = cli_new (scratch, "template");
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) shown = NULL;
  JsonObject *ticket;

  g_assert_cmpint (cli (scratch, 10, &out, NULL, "show", local_id, "--json", NULL), ==, 0);
  shown = json_from_string (out, NULL);
  g_assert_nonnull (shown);
  ticket = json_object_get_object_member (json_node_get_object (shown), "ticket");
  json_object_remove_member (ticket, "pending");
  json_object_set_string_member (ticket, "id", id);
  json_object_set_int_member (ticket, "number", number);
  json_object_set_int_member (ticket, "version", 1);
  json_object_set_string_member (ticket, "title", title);
  json_object_set_string_member (ticket, "description", "line one\n\033[31mred\033[0m\tend");
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), ticket);
    return json_to_string (node, FALSE);
  }
}

static char *
sync_body (const char *tickets,
           const char *checklists,
           gint64      cursor)
{
  return g_strdup_printf ("{\"results\": %%RESULTS%%, \"changes\": {\"tickets\": [%s],"
                          " \"events\": [], \"checklists\": [%s]}, \"cursor\": %" G_GINT64_FORMAT ","
                          " \"more\": false}",
                          tickets ? tickets : "", checklists ? checklists : "", cursor);
}

static void
test_invalid_checklist (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_CANNED, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  g_autofree char *good = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "checklists",
                                            "printer.json", NULL);
  const char *cyclic =
    "{\"id\": \"loop\", \"version\": 1, \"category\": \"other\","
    " \"title\": {\"de\": \"Schleife\", \"en\": \"Loop\"}, \"start\": \"a\","
    " \"steps\": [{\"id\": \"a\", \"kind\": \"check\","
    " \"text\": {\"de\": \"A\", \"en\": \"A\"}, \"next\": \"a\"}]}";
  const char *dangling =
    "{\"id\": \"dangling\", \"version\": 1, \"category\": \"other\","
    " \"title\": {\"de\": \"X\", \"en\": \"X\"}, \"start\": \"nowhere\", \"steps\": []}";
  g_autofree char *checklists = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) list = NULL;
  JsonArray *array;

  g_assert_true (g_file_get_contents (path, &good, NULL, NULL));
  checklists = g_strdup_printf ("%s, %s, %s", cyclic, good, dangling);
  g_ptr_array_add (peer->bodies, sync_body (NULL, checklists, 3));

  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 0);
  g_test_message ("sync: %s", err);
  g_assert_nonnull (strstr (err, "loop"));
  g_assert_nonnull (strstr (err, "dangling"));

  g_assert_cmpint (cli (cache, 10, &out, NULL, "checklist", "list", "--json", NULL), ==, 0);
  list = json_from_string (out, NULL);
  array = json_object_get_array_member (json_node_get_object (list), "checklists");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "id"),
                   ==, "printer");
}

static void
assert_terminal_safe (const char *text)
{
  g_assert_nonnull (text);
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      g_assert_true (c >= 0x20 || c == '\n' || c == '\t');
      g_assert_true (c != 0x7f);
    }
  g_assert_true (g_utf8_validate (text, -1, NULL));
  /* No C1 control (U+0080…U+009F: UTF-8 C2 80…C2 9F). */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      g_assert_false (c >= 0x80 && c <= 0x9f);
    }
}

static void
test_escapes (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_CANNED, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  const char *id = "7a1f9a1e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
  g_autofree char *ticket = server_ticket (id, 42, "Printer \033]0;owned\007\033[2J\302\23331m gone");
  g_autofree char *err = NULL;
  g_autofree char *list = NULL;
  g_autofree char *show = NULL;
  g_autofree char *json = NULL;

  g_ptr_array_add (peer->bodies, sync_body (ticket, NULL, 1));
  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 0);

  g_assert_cmpint (cli (cache, 10, &list, NULL, "list", NULL), ==, 0);
  g_test_message ("list: %s", list);
  g_assert_nonnull (strstr (list, "#42"));
  g_assert_nonnull (strstr (list, "\357\277\275"));
  assert_terminal_safe (list);

  g_assert_cmpint (cli (cache, 10, &show, NULL, "show", "#42", NULL), ==, 0);
  g_assert_nonnull (strstr (show, "line one\n"));
  g_assert_nonnull (strstr (show, "\tend"));
  assert_terminal_safe (show);

  /* --json keeps the data as it is (escaped by JSON). */
  g_assert_cmpint (cli (cache, 10, &json, NULL, "show", "#42", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (json, "\\u001b"));

  /* The server's error message. */
  peer->sync_mode = SYNC_ESCAPE_ERROR;
  g_free (cli_new (cache, "Pending"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 1);
  g_test_message ("sync: %s", err);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "boom"));
  assert_terminal_safe (err);
}

static void
test_bad_token (void)
{
  const char * const tokens[] = {
    "abcdefghijklmnop\\r\\nX-Evil: 1", "abcdefghijklmnopqrst uvw", "short",
    "abcdefghijklmnop\\u0000qrstuvwxyz", "abcdefghijklmnopé", NULL
  };
  g_autofree char *cache = new_cache ("a");
  g_autofree char *token_file = fl_credentials_dup_file_path ();

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autoptr(Peer) peer = peer_new (SYNC_OK, LOGIN_BAD_TOKEN);
      g_autofree char *err = NULL;
      g_autofree char *sync_err = NULL;
      g_autofree char *stored = NULL;

      peer->canned = g_strdup (tokens[i]);
      g_assert_cmpint (cli_login (cache, peer->url, &err), ==, 1);
      g_test_message ("login: %s", err);
      fl_test_assert_error_line (err, "firstline-cli");

      /* Nothing kept, nothing sent. */
      if (g_file_get_contents (token_file, &stored, NULL, NULL))
        g_assert_null (strstr (stored, "abcdefghijklmnop"));
      g_assert_cmpint (cli (cache, 10, NULL, &sync_err, "sync", NULL), !=, 0);
      g_assert_cmpint (g_atomic_int_get (&peer->n_sync), ==, 0);
    }
}

/* The server gives #7 to one ticket, then to another: the cache follows. */
static void
test_number_reused (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_CANNED, LOGIN_OK);
  g_autofree char *cache = new_cache ("a");
  const char *id_a = "11111111-2222-4333-8444-555555555555";
  const char *id_b = "66666666-7777-4888-9999-aaaaaaaaaaaa";
  g_autofree char *a = server_ticket (id_a, 7, "First");
  g_autofree char *b = server_ticket (id_b, 7, "Second");
  g_autofree char *both = g_strdup_printf ("%s, %s", a, b);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (peer->bodies, sync_body (a, NULL, 1));
  g_ptr_array_add (peer->bodies, sync_body (b, NULL, 2));
  g_ptr_array_add (peer->bodies, sync_body (both, NULL, 3));

  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_assert_cmpint (cli (cache, 15, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpint (cli (cache, 10, &out, NULL, "show", "#7", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "First"));

  g_assert_cmpint (cli (cache, 15, NULL, &err, "sync", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (cache, 10, &out, NULL, "show", "#7", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Second"));

  /* Both in one answer: the later one wins; the sync goes on. */
  g_assert_cmpint (cli (cache, 15, NULL, NULL, "sync", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (cache, 10, &out, NULL, "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "First"));
  g_assert_nonnull (strstr (out, "Second"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (cache, 10, &out, NULL, "show", "#7", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Second"));

  /* A local change still syncs afterwards. */
  g_assert_cmpint (cli (cache, 10, NULL, NULL, "note", id_a, "still here", NULL), ==, 0);
  g_assert_cmpint (cli (cache, 15, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpuint (cli_pending (cache), ==, 0);
}

/* -------------------------------------------------------------------------- */
/* 6. File modes                                                                 */

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
test_file_modes (void)
{
  g_autoptr(Peer) peer = peer_new (SYNC_OK, LOGIN_OK);
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "shared", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *old = g_build_filename (dir, "old.db", NULL);
  g_autofree char *wal = g_strconcat (old, "-wal", NULL);
  g_autofree char *shm = g_strconcat (old, "-shm", NULL);
  g_autofree char *token_file = fl_credentials_dup_file_path ();
  mode_t saved = umask (022);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

  /* The CLI makes a new cache. */
  g_assert_cmpint (cli_login (cache, peer->url, NULL), ==, 0);
  g_free (cli_new (cache, "Private"));
  g_assert_cmpuint (file_mode (cache), ==, 0600);
  g_assert_cmpuint (file_mode (token_file), ==, 0600);

  /* An existing cache readable by others is made private; while it is open,
   * so are its -wal and -shm files. */
  {
    g_autoptr(FlStore) store = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autoptr(FlTicket) ticket = NULL;

    store = fl_store_new (old, &error);
    g_assert_no_error (error);
    g_clear_object (&store);
    g_assert_cmpint (g_chmod (old, 0644), ==, 0);

    store = fl_store_new (old, &error);
    g_assert_no_error (error);
    json_object_set_string_member (fields, "title", "Open");
    json_object_set_string_member (fields, "category", "printer");
    json_object_set_string_member (fields, "channel", "phone");
    {
      JsonObject *requester = json_object_new ();
      json_object_set_string_member (requester, "name", "Kim");
      json_object_set_object_member (fields, "requester", requester);
    }
    ticket = fl_store_create_ticket (store, fields, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (file_mode (old), ==, 0600);
    g_assert_cmpuint (file_mode (wal), ==, 0600);
    g_assert_cmpuint (file_mode (shm), ==, 0600);
  }

  /* The CLI on a world-readable cache. */
  g_assert_cmpint (g_chmod (cache, 0644), ==, 0);
  g_assert_cmpuint (cli_pending (cache), ==, 1);
  g_assert_cmpuint (file_mode (cache), ==, 0600);

  umask (saved);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DISPLAY");
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/abuse-cli/deep/login", test_deep_login);
  g_test_add_func ("/abuse-cli/deep/sync", test_deep_sync);
  g_test_add_func ("/abuse-cli/endless/no-ack", test_no_ack);
  g_test_add_func ("/abuse-cli/endless/more-forever", test_more_forever);
  g_test_add_func ("/abuse-cli/endless/reset-forever", test_reset_forever);
  g_test_add_func ("/abuse-cli/endless/trickle", test_trickle);
  g_test_add_func ("/abuse-cli/endless/app-more-forever", test_app_more_forever);
  g_test_add_func ("/abuse-cli/endless/app-fast-polls", test_app_fast_polls);
  g_test_add_func ("/abuse-cli/size/huge-body", test_huge_body);
  g_test_add_func ("/abuse-cli/size/huge-length", test_huge_length);
  g_test_add_func ("/abuse-cli/size/gzip-bomb", test_gzip_bomb);
  g_test_add_func ("/abuse-cli/size/huge-login", test_huge_login);
  g_test_add_func ("/abuse-cli/insecure", test_insecure_refused);
  g_test_add_func ("/abuse-cli/data/invalid-checklist", test_invalid_checklist);
  g_test_add_func ("/abuse-cli/data/escapes", test_escapes);
  g_test_add_func ("/abuse-cli/data/bad-token", test_bad_token);
  g_test_add_func ("/abuse-cli/data/number-reused", test_number_reused);
  g_test_add_func ("/abuse-cli/file-modes", test_file_modes);

  return g_test_run ();
}
