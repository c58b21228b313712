/* fl-server-tls.c — accepts HTTPS clients and does their TLS handshakes
 *
 * glib-networking (2.74) runs every asynchronous handshake in a thread of
 * GLib's shared worker pool, and that thread blocks reading from the client
 * until the handshake ends. Had libsoup's listener accepted the clients, as it
 * does for plain HTTP, every client that connects and sends nothing (or part
 * of its ClientHello) would hold one of those few threads until its timeout,
 * and a hundred of them would make every new HTTPS client wait.
 *
 * So the gate accepts the clients itself and waits, in the main loop and
 * without a thread, until a client's whole first TLS record (its ClientHello)
 * has arrived: it peeks at the socket (MSG_PEEK, the data stays for the TLS
 * library) and sets SO_RCVLOWAT to the bytes it still lacks, so that the
 * socket only polls readable once they are there (or at end of file). Only
 * then does it create the GTlsServerConnection and start the handshake, which
 * has FL_TLS_GATE_HANDSHAKE_TIMEOUT seconds before it is cancelled and the
 * socket shut down. A client that sends no whole ClientHello within
 * FL_TLS_GATE_HELLO_TIMEOUT seconds is closed without a handshake. Whatever
 * is not a TLS handshake record goes to the handshake at once, which refuses
 * it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fl-server-tls.h"

#define RECORD_HEADER       5
#define MAX_RECORD          16384      /* TLS: a record's length is at most 2^14 */
#define ACCEPT_BATCH        64         /* accepts per main loop iteration */
#define ACCEPT_BACKOFF_MS   100        /* after accept () failed (out of descriptors) */
#define ACCEPT_WARN_US      (60 * G_USEC_PER_SEC)
#define RETRY_MS            50         /* when the kernel ignores SO_RCVLOWAT */

typedef enum
{
  STEP_HELLO,       /* waiting for the ClientHello */
  STEP_HANDSHAKE,   /* handshake running */
} Step;

typedef struct
{
  FlTlsGate    *gate;         /* borrowed; NULL once the gate is gone */
  GSocket      *socket;       /* owned */
  GIOStream    *tls;          /* owned: the GTlsServerConnection */
  GCancellable *cancellable;  /* owned: the handshake's */
  GSource      *watch;        /* owned: socket readable (STEP_HELLO) */
  GSource      *retry;        /* owned: a short timer instead of @watch */
  GSource      *deadline;     /* owned */
  Step          step;
  gssize        peeked;       /* bytes seen at the last peek */
  int           lowat;        /* SO_RCVLOWAT set now */
} Client;

struct _FlTlsGate
{
  GSocket         *listening;     /* owned */
  GTlsCertificate *certificate;   /* owned */
  FlTlsGateFunc    func;
  gpointer         user_data;
  GMainContext    *context;       /* owned */
  GSource         *accept_source; /* owned */
  GSource         *backoff;       /* owned */
  GHashTable      *clients;       /* Client set; the clients are owned */
  gint64           last_warning;
  guchar           peek_buf[RECORD_HEADER + MAX_RECORD];
};

static void client_check_hello (Client *c);

/* -------------------------------------------------------------------------- */

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
add_timeout (FlTlsGate   *self,
             guint        ms,
             GSourceFunc  func,
             gpointer     data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
client_free (Client *c)
{
  clear_source (&c->watch);
  clear_source (&c->retry);
  clear_source (&c->deadline);
  g_clear_object (&c->cancellable);
  if (c->socket != NULL && !g_socket_is_closed (c->socket))
    g_socket_shutdown (c->socket, TRUE, TRUE, NULL);   /* nothing more to say */
  if (c->tls != NULL)
    g_io_stream_close (c->tls, NULL, NULL);   /* also closes the socket */
  g_clear_object (&c->tls);
  if (c->socket != NULL)
    g_socket_close (c->socket, NULL);
  g_clear_object (&c->socket);
  g_free (c);
}

/* Closes @c, which waits for its hello or has been through its handshake. */
static void
client_drop (Client *c)
{
  if (c->gate != NULL)
    g_hash_table_remove (c->gate->clients, c);
  client_free (c);
}

static void
client_set_lowat (Client *c,
                  int     lowat)
{
  if (c->lowat == lowat)
    return;
  if (setsockopt (g_socket_get_fd (c->socket), SOL_SOCKET, SO_RCVLOWAT,
                  &lowat, sizeof lowat) == 0)
    c->lowat = lowat;
}

/* -------------------------------------------------------------------------- */
/* The handshake */

static void
on_handshake_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Client *c = user_data;
  FlTlsGate *self = c->gate;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocket) socket = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error) ||
      self == NULL)
    {
      if (error != NULL)
        g_debug ("TLS handshake failed: %s", error->message);
      client_drop (c);
      return;
    }

  tls = g_steal_pointer (&c->tls);
  socket = g_object_ref (c->socket);
  g_hash_table_remove (self->clients, c);
  g_clear_object (&c->socket);   /* now @tls's */
  client_free (c);

  if (!self->func (tls, socket, self->user_data, &error))
    {
      g_warning ("Cannot take a TLS connection: %s", error->message);
      g_io_stream_close (tls, NULL, NULL);
    }
}

static gboolean
on_deadline_cb (gpointer user_data)
{
  Client *c = user_data;

  g_clear_pointer (&c->deadline, g_source_unref);
  if (c->step == STEP_HELLO)
    {
      g_message ("Closing a connection that sent no TLS ClientHello within %d s",
                 FL_TLS_GATE_HELLO_TIMEOUT);
      client_drop (c);
    }
  else
    {
      /* Wakes the handshake's thread; on_handshake_cb () closes it. */
      g_message ("Closing a connection after %d s in its TLS handshake",
                 FL_TLS_GATE_HANDSHAKE_TIMEOUT);
      g_cancellable_cancel (c->cancellable);
      g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
client_start_handshake (Client *c)
{
  FlTlsGate *self = c->gate;
  static const char *const protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  clear_source (&c->watch);
  clear_source (&c->retry);
  clear_source (&c->deadline);
  client_set_lowat (c, 1);

  connection = g_socket_connection_factory_create_connection (c->socket);
  c->tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate, &error);
  if (c->tls == NULL)
    {
      g_warning ("Cannot start a TLS connection: %s", error->message);
      client_drop (c);
      return;
    }
  g_object_set (c->tls,
                "require-close-notify", FALSE,
                "advertised-protocols", protocols,
                NULL);

  c->step = STEP_HANDSHAKE;
  c->cancellable = g_cancellable_new ();
  c->deadline = add_timeout (self, FL_TLS_GATE_HANDSHAKE_TIMEOUT * 1000, on_deadline_cb, c);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (c->tls), G_PRIORITY_DEFAULT,
                                    c->cancellable, on_handshake_cb, c);
}

/* -------------------------------------------------------------------------- */
/* Waiting for the ClientHello */

static gboolean
on_readable_cb (GSocket      *socket,
                GIOCondition  condition,
                gpointer      user_data)
{
  Client *c = user_data;

  client_check_hello (c);
  return G_SOURCE_CONTINUE;   /* client_check_hello () removes it */
}

static gboolean
on_retry_cb (gpointer user_data)
{
  Client *c = user_data;

  g_clear_pointer (&c->retry, g_source_unref);
  client_check_hello (c);
  return G_SOURCE_REMOVE;
}

static void
client_check_hello (Client *c)
{
  FlTlsGate *self = c->gate;
  guchar *buf = self->peek_buf;
  gssize n;
  gsize want;

  n = recv (g_socket_get_fd (c->socket), buf, sizeof self->peek_buf, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0)
    {
      client_drop (c);   /* gone before its hello */
      return;
    }
  if (n < 0)
    {
      if (errno != EAGAIN && errno != EINTR)   /* EWOULDBLOCK is EAGAIN */
        {
          client_drop (c);
          return;
        }
      n = 0;
      want = 1;
    }
  else if (buf[0] != 0x16)
    {
      client_start_handshake (c);   /* not a handshake: refused there */
      return;
    }
  else if (n < RECORD_HEADER)
    want = RECORD_HEADER;
  else
    {
      gsize length = (buf[3] << 8) | buf[4];

      if (length > MAX_RECORD || (gsize) n >= RECORD_HEADER + length)
        {
          client_start_handshake (c);
          return;
        }
      want = RECORD_HEADER + length;
    }

  /* Readable again only once @want bytes are there, or at end of file. */
  client_set_lowat (c, (int) want);

  if (c->watch != NULL && n <= c->peeked)
    {
      /* Woken without news: this kernel polls readable before the low mark. */
      clear_source (&c->watch);
      c->retry = add_timeout (self, RETRY_MS, on_retry_cb, c);
    }
  else if (c->watch == NULL && c->retry == NULL)
    {
      c->watch = g_socket_create_source (c->socket, G_IO_IN, NULL);
      g_source_set_callback (c->watch, G_SOURCE_FUNC (on_readable_cb), c, NULL);
      g_source_attach (c->watch, self->context);
    }
  c->peeked = n;
}

/* -------------------------------------------------------------------------- */
/* Accepting */

static void
client_new (FlTlsGate *self,
            GSocket   *socket)
{
  Client *c = g_new0 (Client, 1);

  c->gate = self;
  c->socket = socket;
  c->step = STEP_HELLO;
  c->lowat = 1;
  c->peeked = -1;
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  g_hash_table_add (self->clients, c);
  c->deadline = add_timeout (self, FL_TLS_GATE_HELLO_TIMEOUT * 1000, on_deadline_cb, c);
  client_check_hello (c);
}

static gboolean on_accept_cb (GSocket      *listening,
                              GIOCondition  condition,
                              gpointer      user_data);

static void
start_accepting (FlTlsGate *self)
{
  self->accept_source = g_socket_create_source (self->listening, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_accept_cb), self, NULL);
  g_source_attach (self->accept_source, self->context);
}

static gboolean
on_backoff_cb (gpointer user_data)
{
  FlTlsGate *self = user_data;

  g_clear_pointer (&self->backoff, g_source_unref);
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_accept_cb (GSocket      *listening,
              GIOCondition  condition,
              gpointer      user_data)
{
  FlTlsGate *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_accept (self->listening, NULL, &error);
      gint64 now;

      if (socket != NULL)
        {
          client_new (self, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;

      /* Out of descriptors, most likely: try again a little later. */
      now = g_get_monotonic_time ();
      if (self->last_warning == 0 || now - self->last_warning >= ACCEPT_WARN_US)
        {
          self->last_warning = now;
          g_warning ("Cannot accept a connection: %s", error->message);
        }
      g_clear_pointer (&self->accept_source, g_source_unref);
      self->backoff = add_timeout (self, ACCEPT_BACKOFF_MS, on_backoff_cb, self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------------------------- */

FlTlsGate *
fl_tls_gate_new (GSocket         *listening,
                 GTlsCertificate *certificate,
                 FlTlsGateFunc    func,
                 gpointer         user_data)
{
  FlTlsGate *self;

  g_return_val_if_fail (G_IS_SOCKET (listening), NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (FlTlsGate, 1);
  self->listening = g_object_ref (listening);
  self->certificate = g_object_ref (certificate);
  self->func = func;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();
  self->clients = g_hash_table_new (NULL, NULL);
  g_socket_set_blocking (listening, FALSE);
  start_accepting (self);
  return self;
}

void
fl_tls_gate_free (FlTlsGate *self)
{
  GHashTableIter iter;
  Client *c;

  if (self == NULL)
    return;

  clear_source (&self->accept_source);
  clear_source (&self->backoff);

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &c, NULL))
    {
      g_hash_table_iter_remove (&iter);
      c->gate = NULL;
      if (c->step == STEP_HELLO)
        client_free (c);
      else
        {
          /* on_handshake_cb () frees it, if the main loop runs again. */
          clear_source (&c->deadline);
          g_cancellable_cancel (c->cancellable);
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
        }
    }
  g_hash_table_unref (self->clients);
  g_main_context_unref (self->context);
  g_object_unref (self->certificate);
  g_object_unref (self->listening);
  g_free (self);
}

guint
fl_tls_gate_get_pending (FlTlsGate *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->clients);
}
