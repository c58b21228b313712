/* test-abuse-server.c — firstline-server against clients that misbehave
 *
 * Every client here is a raw socket on 127.0.0.1; every loop is bounded in
 * count and time. The server runs with 1,024 descriptors (soft and hard), so
 * that a leak of connections shows within the test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl-test-util.h"

#define HEALTH_REQUEST "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

typedef struct
{
  char        *dir;
  GSubprocess *proc;
  char        *url;
  guint16      port;
  char        *log;
} Server;

/* -------------------------------------------------------------------------- */
/* The server */

static void
limit_fds_cb (gpointer user_data)
{
  struct rlimit limit = { 1024, 1024 };

  setrlimit (RLIMIT_NOFILE, &limit);
}

static Server *
server_start_full (const char *cert,
                   const char *key)
{
  g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GUri) uri = NULL;
  Server *s = g_new0 (Server, 1);
  const char *prefix = "listening on ";

  s->dir = g_dir_make_tmp ("fl-abuse-XXXXXX", &error);
  g_assert_no_error (error);
  s->log = g_build_filename (s->dir, "server.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, s->log);
  g_subprocess_launcher_set_child_setup (launcher, limit_fds_cb, NULL, NULL);
  if (g_getenv ("ASAN_OPTIONS") != NULL)
    {
      /* LeakSanitizer's tracer crashes at exit while TLS worker threads still
       * block in stalled handshakes: no leak check for the HTTPS server. */
      g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS"), ":fast_unwind_on_malloc=0",
                                           cert != NULL ? ":detect_leaks=0" : "", NULL);
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  if (cert != NULL)
    s->proc = g_subprocess_launcher_spawn (launcher, &error, FL_TEST_SERVER_PATH,
                                           "--listen", "127.0.0.1:0", "--data-dir", s->dir,
                                           "--tls-cert", cert, "--tls-key", key, NULL);
  else
    s->proc = g_subprocess_launcher_spawn (launcher, &error, FL_TEST_SERVER_PATH,
                                           "--listen", "127.0.0.1:0", "--data-dir", s->dir, NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  s->url = g_strdup (line + strlen (prefix));
  uri = g_uri_parse (s->url, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  s->port = (guint16) g_uri_get_port (uri);
  return s;
}

static Server *
server_start (void)
{
  return server_start_full (NULL, NULL);
}

static const char *
server_pid (Server *s)
{
  return g_subprocess_get_identifier (s->proc);
}

static void
server_stop (Server *s)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_subprocess_send_signal (s->proc, SIGTERM);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  ok = g_subprocess_get_if_exited (s->proc) && g_subprocess_get_exit_status (s->proc) == 0;
  if (!ok)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (s->log, &log, NULL, NULL);
      g_printerr ("# server log:\n%s\n", log ? log : "");
    }
  g_assert_true (ok);
  g_clear_object (&s->proc);
  fl_test_rm_rf (s->dir);
  g_free (s->dir);
  g_free (s->url);
  g_free (s->log);
  g_free (s);
}

static int
count_fds (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", server_pid (s));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  int n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* A field of /proc/PID/status in kB. */
static guint64
status_kb (Server     *s,
           const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", server_pid (s));
  g_autofree char *text = NULL;
  const char *at;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  at = strstr (text, field);
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (field) + 1, NULL, 10);
}

/* -------------------------------------------------------------------------- */
/* Raw clients */

static GSocket *
client_connect (guint16 port,
                guint   timeout_s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (socket, timeout_s);
  if (!g_socket_connect (socket, addr, NULL, &error))
    {
      g_printerr ("# connect: %s\n", error->message);
      g_object_unref (socket);
      return NULL;
    }
  return socket;
}

static gboolean
send_all (GSocket    *socket,
          const char *data,
          gsize       len)
{
  while (len > 0)
    {
      gssize n = g_socket_send (socket, data, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Reads one response (headers and a Content-Length body); NULL at end of file,
 * on an error or a timeout. */
static char *
read_response (GSocket *socket)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char buf[4096];

  for (;;)
    {
      const char *end = strstr (text->str, "\r\n\r\n");
      gssize n;

      if (end != NULL)
        {
          const char *cl = strstr (text->str, "Content-Length: ");
          gsize body = cl ? g_ascii_strtoull (cl + 16, NULL, 10) : 0;

          if (text->len >= (gsize) (end + 4 - text->str) + body)
            return g_string_free (g_steal_pointer (&text), FALSE);
        }
      n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        return NULL;
      g_string_append_len (text, buf, n);
    }
}

/* One GET /api/v1/health on a new connection; the status line, or NULL. */
static gboolean
health_ok (guint16 port)
{
  g_autoptr(GSocket) socket = client_connect (port, 10);
  g_autofree char *response = NULL;

  if (socket == NULL || !send_all (socket, HEALTH_REQUEST, strlen (HEALTH_REQUEST)))
    return FALSE;
  response = read_response (socket);
  return response != NULL && g_str_has_prefix (response, "HTTP/1.1 200");
}

static void
raise_own_fd_limit (void)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
}

/* Spins until the server's descriptors are back to at most @max. */
static int
wait_fds_at_most (Server *s,
                  int     max,
                  guint   seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  int n;

  while ((n = count_fds (s)) > max && g_get_monotonic_time () < end)
    g_usleep (50 * 1000);
  return n;
}

/* -------------------------------------------------------------------------- */
/* 1. Connections closed by the client while idle */

static void
test_keepalive_closed (void)
{
  Server *s = server_start ();
  guint n = 20000;
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + 90 * (gint64) fl_test_slowdown () * G_USEC_PER_SEC;
  int before, after, peak = 0;

  g_assert_true (health_ok (s->port));
  before = count_fds (s);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSocket) socket = client_connect (s->port, 5 * fl_test_slowdown ());
      g_autofree char *response = NULL;

      g_assert_nonnull (socket);
      g_assert_true (send_all (socket, HEALTH_REQUEST, strlen (HEALTH_REQUEST)));
      response = read_response (socket);
      if (response == NULL)
        g_error ("request %u of %u got no answer (server has %d descriptors)", i, n, count_fds (s));
      g_assert_true (g_str_has_prefix (response, "HTTP/1.1 200"));
      g_socket_close (socket, NULL);
      if (i % 1000 == 0)
        peak = MAX (peak, count_fds (s));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }

  after = wait_fds_at_most (s, before + 5, 10);
  g_test_message ("%u connections in %.1f s; descriptors %d before, %d peak, %d after",
                  n, (g_get_monotonic_time () - start) / 1e6, before, peak, after);
  g_assert_cmpint (after, <=, before + 5);
  g_assert_cmpint (peak, <, 600);
  g_assert_true (health_ok (s->port));
  server_stop (s);
}

/* The same for connections that send nothing, or half a request, and close. */
static void
test_connect_close (void)
{
  Server *s = server_start ();
  int before, after;

  g_assert_true (health_ok (s->port));
  before = count_fds (s);

  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(GSocket) socket = client_connect (s->port, 5);

      g_assert_nonnull (socket);
      if (i % 2 == 1)
        g_assert_true (send_all (socket, "GET /api/v1/he", 14));
      g_socket_close (socket, NULL);
    }
  /* And kept-alive ones the server answered, closed after a second request began. */
  for (guint i = 0; i < 1500; i++)
    {
      g_autoptr(GSocket) socket = client_connect (s->port, 5);
      g_autofree char *response = NULL;

      g_assert_nonnull (socket);
      g_assert_true (send_all (socket, HEALTH_REQUEST, strlen (HEALTH_REQUEST)));
      response = read_response (socket);
      g_assert_nonnull (response);
      g_assert_true (send_all (socket, "GET /api", 8));
      g_socket_close (socket, NULL);
    }

  after = wait_fds_at_most (s, before + 5, 10);
  g_test_message ("descriptors %d before, %d after", before, after);
  g_assert_cmpint (after, <=, before + 5);
  g_assert_true (health_ok (s->port));
  server_stop (s);
}

/* -------------------------------------------------------------------------- */
/* 2. Slow clients */

static void
test_slow_headers (void)
{
  Server *s = server_start ();
  GSocket *slow[20];
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + 25 * G_USEC_PER_SEC;
  guint served = 0;
  gint64 worst = 0;

  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    {
      slow[i] = client_connect (s->port, 10);
      g_assert_nonnull (slow[i]);
      g_assert_true (send_all (slow[i], "POST /api/v1/session HTTP/1.1\r\nHost: 127.0", 43));
    }

  /* Others are served throughout, until every slow one is dropped. */
  for (;;)
    {
      gint64 t0 = g_get_monotonic_time ();
      guint open = 0;

      g_assert_true (health_ok (s->port));
      worst = MAX (worst, g_get_monotonic_time () - t0);
      served++;

      for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
        {
          char c;
          gssize n;

          if (slow[i] == NULL)
            continue;
          n = g_socket_receive_with_blocking (slow[i], &c, 1, FALSE, NULL, NULL);
          if (n >= 0)
            g_clear_object (&slow[i]);      /* closed by the server (or answered 400) */
          else
            open++;
        }
      if (open == 0)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (200 * 1000);
    }

  g_test_message ("slow clients dropped after %.1f s; %u requests served meanwhile, slowest %.0f ms",
                  (g_get_monotonic_time () - start) / 1e6, served, worst / 1e3);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 14 * G_USEC_PER_SEC);
  g_assert_cmpint (worst, <, 1 * G_USEC_PER_SEC * fl_test_slowdown ());
  server_stop (s);
}

/* -------------------------------------------------------------------------- */
/* 3. Chunked uploads */

typedef struct
{
  guint16  port;
  gboolean refused;   /* 413, or closed before the end */
  gint64   us;
} Upload;

static gpointer
upload_thread (gpointer data)
{
  Upload *u = data;
  g_autoptr(GSocket) socket = client_connect (u->port, 20);
  static const char head[] =
    "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  gsize chunk = 64 * 1024;
  g_autofree char *frame = NULL;
  g_autofree char *response = NULL;
  gsize frame_len;
  gint64 start = g_get_monotonic_time ();
  gboolean cut = FALSE;

  g_assert_nonnull (socket);
  frame = g_malloc (chunk + 32);
  frame_len = g_snprintf (frame, 32, "%" G_GSIZE_MODIFIER "x\r\n", chunk);
  memset (frame + frame_len, '[', chunk);
  frame_len += chunk;
  memcpy (frame + frame_len, "\r\n", 2);
  frame_len += 2;

  g_assert_true (send_all (socket, head, strlen (head)));
  for (guint i = 0; i < 512 * 1024 * 1024 / chunk; i++)
    if (!send_all (socket, frame, frame_len))
      {
        cut = TRUE;
        break;
      }
  if (!cut)
    cut = !send_all (socket, "0\r\n\r\n", 5);

  response = cut ? NULL : read_response (socket);
  u->refused = cut || (response != NULL && g_str_has_prefix (response, "HTTP/1.1 413"));
  if (response == NULL && !cut)
    u->refused = TRUE;    /* closed instead of an answer */
  if (response != NULL && !g_str_has_prefix (response, "HTTP/1.1 413"))
    g_printerr ("# upload answered: %.60s\n", response);
  u->us = g_get_monotonic_time () - start;
  return NULL;
}

static void
run_uploads (Server *s,
             guint   n)
{
  Upload uploads[4] = { { 0 } };
  GThread *threads[4];

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (uploads));
  for (guint i = 0; i < n; i++)
    {
      uploads[i].port = s->port;
      threads[i] = g_thread_new ("upload", upload_thread, &uploads[i]);
    }
  for (guint i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      g_test_message ("upload %u: %s after %.2f s", i,
                      uploads[i].refused ? "refused" : "accepted", uploads[i].us / 1e6);
      g_assert_true (uploads[i].refused);
      g_assert_cmpint (uploads[i].us, <, 10 * G_USEC_PER_SEC * fl_test_slowdown ());
    }
}

static void
test_chunked_upload (void)
{
  Server *s = server_start ();
  guint64 hwm;

  run_uploads (s, 1);
  g_assert_true (health_ok (s->port));
  run_uploads (s, 4);
  g_assert_true (health_ok (s->port));

  hwm = status_kb (s, "VmHWM:");
  g_test_message ("server VmHWM %" G_GUINT64_FORMAT " kB", hwm);
  g_assert_cmpuint (hwm, <, 100 * 1024 * (g_getenv ("ASAN_OPTIONS") ? 3 : 1));
  server_stop (s);
}

/* A chunked body just over the limit still gets its answer. */
static void
test_chunked_over_limit (void)
{
  Server *s = server_start ();
  g_autoptr(GSocket) socket = client_connect (s->port, 10);
  g_autofree char *response = NULL;
  g_autoptr(GString) req = g_string_new ("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n");

  for (guint i = 0; i < 17; i++)
    {
      g_string_append_printf (req, "%x\r\n", 65536);
      for (guint j = 0; j < 65536; j++)
        g_string_append_c (req, ' ');
      g_string_append (req, "\r\n");
    }
  g_string_append (req, "0\r\n\r\n");
  g_assert_nonnull (socket);
  g_assert_true (send_all (socket, req->str, req->len));
  response = read_response (socket);
  g_assert_nonnull (response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (response, "\"payload_too_large\""));
  server_stop (s);
}

/* -------------------------------------------------------------------------- */
/* 4. TLS */

static char *
make_cert (const char *dir,
           const char *name)
{
  g_autofree char *cert = g_strdup_printf ("%s/%s-cert.pem", dir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s-key.pem", dir, name);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", NULL };

  g_assert_cmpint (fl_test_run (argv, NULL, NULL, NULL), ==, 0);
  return g_steal_pointer (&cert);
}

static char *
key_for (const char *cert)
{
  g_autofree char *base = g_strndup (cert, strlen (cert) - strlen ("-cert.pem"));

  return g_strconcat (base, "-key.pem", NULL);
}

/* Whether openssl s_client completes a handshake with @version ("-tls1_2"). */
static gboolean
s_client_handshakes (guint16     port,
                     const char *version)
{
  g_autofree char *connect = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *out = NULL;
  /* SECLEVEL=0: the client would refuse TLS 1.0 and 1.1 by itself. */
  const char *argv[] = { "openssl", "s_client", "-connect", connect, version,
                         "-cipher", "DEFAULT:@SECLEVEL=0", NULL };

  fl_test_run (argv, "", &out, NULL);
  return out != NULL && strstr (out, "Cipher is (NONE)") == NULL && strstr (out, "Cipher is ") != NULL;
}

static gboolean
accept_any_tls_cb (GTlsConnection       *conn,
                   GTlsCertificate      *cert,
                   GTlsCertificateFlags  errors,
                   gpointer              user_data)
{
  return TRUE;
}

static gboolean
accept_any_cb (SoupMessage          *msg,
               GTlsCertificate      *cert,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

/* A TLS client connected to @port, through its handshake (any certificate). */
static GIOStream *
tls_client_connect (guint16   port,
                    GSocket **out_socket)
{
  g_autoptr(GSocket) socket = client_connect (port, 10);
  g_autoptr(GSocketConnection) base = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  g_assert_nonnull (socket);
  base = g_socket_connection_factory_create_connection (socket);
  tls = g_tls_client_connection_new (G_IO_STREAM (base), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_tls_cb), NULL);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);
  *out_socket = g_steal_pointer (&socket);
  return tls;
}

/* GET /api/v1/health on @tls; whether it was answered with 200. */
static gboolean
tls_health_ok (GIOStream *tls)
{
  GOutputStream *out = g_io_stream_get_output_stream (tls);
  GInputStream *in = g_io_stream_get_input_stream (tls);
  g_autoptr(GString) text = g_string_new (NULL);
  char buf[4096];

  if (!g_output_stream_write_all (out, HEALTH_REQUEST, strlen (HEALTH_REQUEST), NULL, NULL, NULL))
    return FALSE;
  for (;;)
    {
      const char *end = strstr (text->str, "\r\n\r\n");
      gssize n;

      if (end != NULL)
        {
          const char *cl = strstr (text->str, "Content-Length: ");
          gsize body = cl ? g_ascii_strtoull (cl + 16, NULL, 10) : 0;

          if (text->len >= (gsize) (end + 4 - text->str) + body)
            return g_str_has_prefix (text->str, "HTTP/1.1 200");
        }
      n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        return FALSE;
      g_string_append_len (text, buf, n);
    }
}

/* Waits until the server closes @socket: the monotonic time it saw that, or 0
 * if it was still open at @deadline. */
static gint64
wait_closed (GSocket *socket,
             gint64   deadline)
{
  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      char buf[4096];
      gssize n;

      if (left <= 0 ||
          !g_socket_condition_timed_wait (socket, G_IO_IN, left, NULL, NULL))
        return 0;
      n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, NULL);
      if (n <= 0)
        return g_get_monotonic_time ();   /* end of file, reset or error */
    }
}

typedef struct
{
  gboolean done;
} HandshakeWait;

static void
on_capture_handshake_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  HandshakeWait *wait = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, NULL);
  wait->done = TRUE;
}

static gboolean
handshake_done (gpointer data)
{
  return ((HandshakeWait *) data)->done;
}

/* The first TLS record a GLib TLS client sends: a whole ClientHello. */
static char *
capture_client_hello (gsize *out_len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listening = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) client = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GSocketConnection) base = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GByteArray) hello = g_byte_array_new ();
  HandshakeWait wait = { FALSE };

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listening, any, TRUE, &error));
  g_assert_true (g_socket_listen (listening, &error));
  bound = g_socket_get_local_address (listening, &error);
  g_assert_no_error (error);
  client = client_connect (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), 10);
  g_assert_nonnull (client);
  peer = g_socket_accept (listening, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (peer, 10);

  base = g_socket_connection_factory_create_connection (client);
  tls = g_tls_client_connection_new (G_IO_STREAM (base), NULL, &error);
  g_assert_no_error (error);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, cancellable,
                                    on_capture_handshake_cb, &wait);

  while (hello->len < 5 || hello->len < 5 + ((hello->data[3] << 8) | hello->data[4]))
    {
      guint8 buf[4096];
      gssize n = g_socket_receive (peer, (char *) buf, sizeof buf, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_byte_array_append (hello, buf, n);
    }
  g_assert_cmpuint (hello->data[0], ==, 0x16);

  g_cancellable_cancel (cancellable);
  g_socket_shutdown (peer, TRUE, TRUE, NULL);
  fl_test_spin_until (handshake_done, &wait, 10);

  *out_len = 5 + ((hello->data[3] << 8) | hello->data[4]);
  return g_memdup2 (hello->data, *out_len);
}

/* @n clients connect to the HTTPS port and send @sent bytes of a ClientHello
 * record of 512 bytes (none if 0); meanwhile a new client is answered at
 * once, and each of them is closed within the 5 s for its ClientHello. */
static void
tls_stall_and_serve (Server *s,
                     gsize   sent)
{
  GSocket *stalled[100];
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *url = g_strconcat (s->url, "/api/v1/health", NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  char record[5 + 512] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  gint64 since;
  gint64 t0;
  gint64 took;
  gint64 last = 0;

  g_assert_cmpuint (sent, <, sizeof record);
  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    {
      stalled[i] = client_connect (s->port, 5);
      g_assert_nonnull (stalled[i]);
      if (sent > 0)
        g_assert_true (send_all (stalled[i], record, sent));
    }
  since = g_get_monotonic_time ();
  g_usleep (300 * 1000);

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  t0 = g_get_monotonic_time ();
  body = soup_session_send_and_read (session, msg, NULL, &error);
  took = g_get_monotonic_time () - t0;
  g_test_message ("HTTPS request with 100 stalled clients (%zu bytes each): %.2f s",
                  sent, took / 1e6);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpint (took, <, 1 * G_USEC_PER_SEC * fl_test_slowdown ());
  /* The stalled clients count as connections. */
  {
    const char *text = g_bytes_get_data (body, NULL);
    const char *count = text ? strstr (text, "\"connections\":") : NULL;

    g_assert_nonnull (count);
    g_assert_cmpuint (g_ascii_strtoull (count + strlen ("\"connections\":"), NULL, 10), >=, 100);
  }

  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    {
      gint64 closed = wait_closed (stalled[i],
                                   since + (5 + 2) * G_USEC_PER_SEC * fl_test_slowdown ());

      g_assert_cmpint (closed, !=, 0);
      last = MAX (last, closed);
      g_object_unref (stalled[i]);
    }
  g_test_message ("... all closed after %.2f s", (last - since) / 1e6);
  g_assert_cmpint (last - since, >=, 4 * G_USEC_PER_SEC);
}

static void
test_tls (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fl-abuse-tls-XXXXXX", &error);
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *other = NULL;
  g_autofree char *other_key = NULL;
  Server *s;

  g_assert_no_error (error);
  cert = make_cert (dir, "a");
  key = key_for (cert);
  other = make_cert (dir, "b");
  other_key = key_for (other);

  /* A key that is not the certificate's: refused at start, in one line. */
  {
    g_autofree char *data = g_build_filename (dir, "data", NULL);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { FL_TEST_SERVER_PATH, "--listen", "127.0.0.1:0", "--data-dir", data,
                           "--tls-cert", cert, "--tls-key", other_key, NULL };

    g_autoptr(GSubprocessLauncher) launcher =
      fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

    /* LeakSanitizer's tracer crashes on this early exit (TLS backend threads). */
    if (g_getenv ("ASAN_OPTIONS") != NULL)
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", TRUE);
    g_assert_cmpint (fl_test_run_full (launcher, argv, NULL, &out, &err), ==, 1);
    fl_test_assert_error_line (err, "firstline-server");
    g_assert_cmpstr (out, ==, "");
  }

  s = server_start_full (cert, key);
  g_assert_true (g_str_has_prefix (s->url, "https://127.0.0.1:"));
  g_assert_true (s_client_handshakes (s->port, "-tls1_2"));
  g_assert_true (s_client_handshakes (s->port, "-tls1_3"));
  g_assert_false (s_client_handshakes (s->port, "-tls1_1"));
  g_assert_false (s_client_handshakes (s->port, "-tls1"));

  {
    g_autoptr(GSocket) silent = NULL;
    g_autoptr(GSocket) kept = NULL;
    g_autoptr(GIOStream) silent_tls = tls_client_connect (s->port, &silent);
    g_autoptr(GIOStream) kept_tls = tls_client_connect (s->port, &kept);
    gint64 silent_since = g_get_monotonic_time ();
    g_autofree char *hello = NULL;
    gsize hello_len = 0;
    GSocket *late[3];
    gint64 late_since;
    gint64 closed;

    /* HTTPS connections stay alive between requests. */
    g_assert_true (tls_health_ok (kept_tls));
    g_assert_true (tls_health_ok (kept_tls));

    /* 100 clients that send nothing, then 100 that send half a ClientHello:
     * neither holds a handshake thread, and each is closed after its 5 s. */
    tls_stall_and_serve (s, 0);
    tls_stall_and_serve (s, 256);

    /* Clients that send a whole ClientHello and then stall get their
     * handshake cancelled after 5 more seconds. */
    hello = capture_client_hello (&hello_len);
    for (guint i = 0; i < G_N_ELEMENTS (late); i++)
      {
        late[i] = client_connect (s->port, 5);
        g_assert_nonnull (late[i]);
        g_assert_true (send_all (late[i], hello, hello_len));
      }
    late_since = g_get_monotonic_time ();
    for (guint i = 0; i < G_N_ELEMENTS (late); i++)
      {
        closed = wait_closed (late[i], late_since + (5 + 3) * G_USEC_PER_SEC * fl_test_slowdown ());
        g_assert_cmpint (closed, !=, 0);
        g_object_unref (late[i]);
      }
    g_test_message ("Stalled handshakes closed after %.2f s", (closed - late_since) / 1e6);

    /* A client through its handshake that then sends nothing is closed
     * by the timeout for the request headers (15 s). */
    closed = wait_closed (silent, silent_since + (15 + 5) * G_USEC_PER_SEC * fl_test_slowdown ());
    g_test_message ("Silent HTTPS client closed after %.2f s", (closed - silent_since) / 1e6);
    g_assert_cmpint (closed, !=, 0);
    g_assert_cmpint (closed - silent_since, >=, 14 * G_USEC_PER_SEC);
  }

  server_stop (s);
  fl_test_rm_rf (dir);
}

/* -------------------------------------------------------------------------- */
/* 5. Many clients at once */

static guint64
listen_overflows (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/net/netstat", &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    if (g_str_has_prefix (lines[i], "TcpExt:") && g_str_has_prefix (lines[i + 1], "TcpExt:"))
      {
        g_auto(GStrv) names = g_strsplit (lines[i], " ", -1);
        g_auto(GStrv) values = g_strsplit (lines[i + 1], " ", -1);

        for (guint j = 0; names[j] != NULL && values[j] != NULL; j++)
          if (g_str_equal (names[j], "ListenOverflows"))
            return g_ascii_strtoull (values[j], NULL, 10);
      }
  g_assert_not_reached ();
  return 0;
}

static void
test_burst (void)
{
  Server *s = server_start ();
  GSocket *clients[200];
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, s->port);
  guint64 overflows;
  gint64 start, worst = 0;

  g_assert_true (health_ok (s->port));
  overflows = listen_overflows ();

  /* All connect at the same instant (non-blocking), then ask. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autoptr(GError) error = NULL;

      clients[i] = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_no_error (error);
      g_socket_set_blocking (clients[i], FALSE);
      if (!g_socket_connect (clients[i], addr, NULL, &error))
        g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING));
    }
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *response = NULL;

      g_socket_set_blocking (clients[i], TRUE);
      g_socket_set_timeout (clients[i], 15);
      g_assert_true (g_socket_condition_timed_wait (clients[i], G_IO_OUT, 15 * G_USEC_PER_SEC, NULL, NULL));
      g_assert_true (send_all (clients[i], HEALTH_REQUEST, strlen (HEALTH_REQUEST)));
    }
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *response = read_response (clients[i]);

      g_assert_nonnull (response);
      g_assert_true (g_str_has_prefix (response, "HTTP/1.1 200"));
      worst = MAX (worst, g_get_monotonic_time () - start);
      g_object_unref (clients[i]);
    }

  g_test_message ("200 clients at once: all answered after %.0f ms; ListenOverflows +%" G_GUINT64_FORMAT,
                  worst / 1e3, listen_overflows () - overflows);
  /* A dropped SYN costs a retransmit of 1 s or more: the time shows it. The
   * kernel's counter is for the whole host (other programs add to it), so it
   * is only reported. */
  g_assert_cmpint (worst, <, 1 * G_USEC_PER_SEC * fl_test_slowdown ());
  server_stop (s);
}

/* -------------------------------------------------------------------------- */

static void
test_health_fields (void)
{
  Server *s = server_start ();
  g_autofree char *url = g_strconcat (s->url, "/api/v1/health", NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  guint status = 0;

  node = fl_test_http ("GET", url, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  obj = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "ok");
  g_assert_true (json_object_has_member (obj, "version"));
  g_assert_cmpint (json_object_get_int_member (obj, "connections"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (obj, "open_fds"), >, 3);
  g_assert_cmpint (json_object_get_int_member (obj, "open_fds"), <, 200);
  server_stop (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  raise_own_fd_limit ();

  fl_test_add_func ("/abuse/health-fields", test_health_fields);
  fl_test_add_func ("/abuse/keepalive-closed", test_keepalive_closed);
  fl_test_add_func ("/abuse/connect-close", test_connect_close);
  fl_test_add_func ("/abuse/slow-headers", test_slow_headers);
  fl_test_add_func ("/abuse/chunked-upload", test_chunked_upload);
  fl_test_add_func ("/abuse/chunked-over-limit", test_chunked_over_limit);
  fl_test_add_func ("/abuse/tls", test_tls);
  fl_test_add_func ("/abuse/burst", test_burst);
  return g_test_run ();
}
