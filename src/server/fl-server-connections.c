/* fl-server-connections.c — keeps watch over the server's client connections
 *
 * Two jobs:
 *
 * 1. Timeouts. libsoup 3.2 has none on the server side: a client that sends
 *    half its headers, trickles a body or never reads its response holds a
 *    connection (and a descriptor) for ever. Each connection's state is
 *    followed through its messages' signals, and a sweep shuts down the
 *    socket of one that stayed too long in a state (see the timeouts in
 *    fl-server-connections.h). shutdown(2) leaves the descriptor to libsoup,
 *    wakes whatever waits on it (also a TLS handshake in a worker thread) and
 *    lets libsoup's own error path close the connection.
 *
 * 2. A workaround for a leak in libsoup before 3.3.0 (fixed upstream by commit
 *    d20c6601 "server: do not leak idle connections closed by the client";
 *    Debian 12 ships 3.2.3). After a response on a kept-alive connection,
 *    libsoup waits for the next request with a message that has no completion
 *    callback; when the client closes the connection then, that message ends
 *    and nobody disconnects the SoupServerConnection: it stays in the server's
 *    list with its socket open, until the process runs out of descriptors and
 *    stops accepting. The sweep finds such a connection (between requests, its
 *    socket at end of file or shut down by us, in three sweeps in a row) and
 *    emits "disconnected" on it, which makes SoupServer drop its reference;
 *    the connection's finalize closes the stream.
 *
 *    Why this is safe in 3.2.3: between requests the only reference cycle is
 *    connection → I/O data → waiting message → connection, and it exists only
 *    while libsoup still waits for input; then its source polls the socket,
 *    which is readable at end of file, so libsoup reads the end (and drops the
 *    message, breaking the cycle) in the first main loop iteration after we
 *    saw it. Sweeps run from one idle source at a time, one per iteration, so
 *    by the third sweep that saw the end libsoup has read it. A connection that
 *    starts a request in between is busy again and left alone. With a libsoup
 *    that has the fix the connection is disconnected by libsoup itself before
 *    that, and the workaround never fires.
 *
 *    SoupServerConnection is not public API; it is only used as a GObject: its
 *    "request-started" signal (once at accept, then once per further request),
 *    its "socket" property and its "disconnected" signal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "fl-server-connections.h"

#define SWEEP_INTERVAL_MS      500
#define SWEEP_EVERY_N_ACCEPTS  32
#define EOF_SWEEPS             3
#define HANDSHAKE_QUEUED_FACTOR 6
#define FD_CHECK_INTERVAL_US   (1 * G_USEC_PER_SEC)
#define FD_WARN_INTERVAL_US    (60 * G_USEC_PER_SEC)

typedef enum
{
  PHASE_HANDSHAKE,      /* accepted, TLS handshake not done */
  PHASE_HEADERS,        /* reading the request line and headers */
  PHASE_BODY,           /* reading the request body */
  PHASE_HANDLER,        /* the handler has the request (it may pause it) */
  PHASE_WRITE,          /* writing the response */
  PHASE_IDLE,           /* between requests of a kept-alive connection */
} Phase;

typedef struct
{
  FlServerConnections *owner;     /* borrowed */
  GObject             *conn;      /* weak */
  SoupServerMessage   *msg;       /* weak: the current message */
  Phase                phase;
  gint64               since;     /* monotonic µs: phase start or last progress */
  gint64               accepted;  /* monotonic µs */
  guint                eof_sweeps;
  gboolean             shut;      /* we shut its socket down */
  gboolean             released;  /* "disconnected" emitted by us */
  gulong               disconnected_id;
  GSocket             *socket;    /* owned; set for a connection we accepted */
} Conn;

struct _FlServerConnections
{
  SoupServer *soup;               /* borrowed */
  gpointer    conn_class;         /* owned: keeps the signal */
  GHashTable *conns;              /* SoupServerConnection → Conn (owned) */
  guint       signal_id;
  gulong      hook_id;
  guint       timer_id;
  guint       sweep_id;
  guint       accepts;
  gint64      next_fd_check;
  gint64      last_fd_warning;
  GSocket    *accepting;          /* borrowed: during fl_server_connections_accept () */
};

#define MSG_SOCKET_KEY "fl-server-connection-socket"

static FlServerConnections *the_tracker;

/* -------------------------------------------------------------------------- */

static void on_msg_weak_notify (gpointer data, GObject *where_the_object_was);
static gint64 phase_timeout_us (Phase phase);

static const char *
phase_name (Phase phase)
{
  switch (phase)
    {
    case PHASE_HANDSHAKE: return "TLS handshake";
    case PHASE_HEADERS: return "request headers";
    case PHASE_BODY: return "request body";
    case PHASE_HANDLER: return "handler";
    case PHASE_WRITE: return "response";
    case PHASE_IDLE: return "idle";
    default: return "?";
    }
}

static void
set_phase (Conn  *c,
           Phase  phase)
{
  c->phase = phase;
  c->since = g_get_monotonic_time ();
  c->eof_sweeps = 0;
}

static void
conn_forget_msg (Conn *c)
{
  if (c->msg == NULL)
    return;
  g_signal_handlers_disconnect_by_data (c->msg, c);
  g_object_weak_unref (G_OBJECT (c->msg), on_msg_weak_notify, c);
  c->msg = NULL;
}

static void
conn_free (gpointer data)
{
  Conn *c = data;

  conn_forget_msg (c);
  g_clear_object (&c->socket);
  g_free (c);
}

static GSocket *
conn_dup_socket (Conn *c)
{
  GSocket *socket = NULL;

  /* A connection passed in as a stream has no socket for libsoup. */
  if (c->socket != NULL)
    return g_object_ref (c->socket);
  g_object_get (c->conn, "socket", &socket, NULL);
  return socket;
}

/* Ends reading and writing on the socket; libsoup keeps the descriptor. */
static void
conn_shutdown (Conn *c)
{
  g_autoptr(GSocket) socket = conn_dup_socket (c);

  c->shut = TRUE;
  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

/* TRUE when the peer closed (or reset) the connection, or we shut it down. */
static gboolean
conn_at_eof (Conn *c)
{
  g_autoptr(GSocket) socket = conn_dup_socket (c);
  char byte;
  gssize n;

  if (c->shut)
    return TRUE;
  if (socket == NULL || g_socket_is_closed (socket))
    return TRUE;

  n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0)
    return TRUE;
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    return TRUE;
  return FALSE;
}

/* TRUE when a whole TLS record (a client hello) waits unread in the socket. */
static gboolean
conn_has_hello (Conn *c)
{
  g_autoptr(GSocket) socket = conn_dup_socket (c);
  guchar buf[5 + 16384];
  gssize n;

  if (socket == NULL || g_socket_is_closed (socket))
    return FALSE;
  n = recv (g_socket_get_fd (socket), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n < 5 || buf[0] != 0x16)
    return FALSE;
  return n >= 5 + ((buf[3] << 8) | buf[4]);
}

/* Whether @c stayed too long in its state. A TLS handshake whose client
 * hello still waits unread in the socket only waits for one of
 * glib-networking's worker threads (stalled handshakes hold them): its time
 * starts when the hello is read, up to 6 times the timeout after accept. */
static gboolean
conn_timed_out (Conn   *c,
                gint64  now)
{
  gint64 timeout = phase_timeout_us (c->phase);

  if (c->phase == PHASE_HANDSHAKE && now - c->accepted <= HANDSHAKE_QUEUED_FACTOR * timeout &&
      conn_has_hello (c))
    {
      /* Queued: its handshake time starts once a worker reads the hello. */
      c->since = now;
      return FALSE;
    }
  return timeout > 0 && now - c->since > timeout;
}

/* -------------------------------------------------------------------------- */
/* A message's progress */

static void
on_msg_connected_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  set_phase (user_data, PHASE_HEADERS);
}

static void
on_msg_got_headers_cb (SoupServerMessage *msg,
                       gpointer           user_data)
{
  set_phase (user_data, PHASE_BODY);
}

static void
on_msg_got_body_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  set_phase (user_data, PHASE_HANDLER);
}

static void
on_msg_wrote_informational_cb (SoupServerMessage *msg,
                               gpointer           user_data)
{
  /* "100 Continue": the body comes next. */
  set_phase (user_data, PHASE_BODY);
}

static void
on_msg_wrote_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Conn *c = user_data;

  if (c->phase != PHASE_WRITE)
    set_phase (c, PHASE_WRITE);
  else
    c->since = g_get_monotonic_time ();   /* progress */
}

static void
on_msg_wrote_body_data_cb (SoupServerMessage *msg,
                           guint              chunk_size,
                           gpointer           user_data)
{
  on_msg_wrote_cb (msg, user_data);
}

static void
on_msg_finished_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  Conn *c = user_data;

  conn_forget_msg (c);
  set_phase (c, PHASE_IDLE);
}

static void
on_msg_weak_notify (gpointer  data,
                    GObject  *where_the_object_was)
{
  Conn *c = data;

  c->msg = NULL;
  if (c->phase != PHASE_IDLE && c->phase != PHASE_HANDSHAKE)
    set_phase (c, PHASE_IDLE);
}

static void
conn_watch_msg (Conn              *c,
                SoupServerMessage *msg)
{
  conn_forget_msg (c);
  c->msg = msg;
  g_object_weak_ref (G_OBJECT (msg), on_msg_weak_notify, c);
  if (c->socket != NULL)
    g_object_set_data_full (G_OBJECT (msg), MSG_SOCKET_KEY, g_object_ref (c->socket),
                            g_object_unref);
  g_signal_connect (msg, "connected", G_CALLBACK (on_msg_connected_cb), c);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_msg_got_headers_cb), c);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_msg_got_body_cb), c);
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (on_msg_wrote_informational_cb), c);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_msg_wrote_cb), c);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_msg_wrote_body_data_cb), c);
  g_signal_connect (msg, "finished", G_CALLBACK (on_msg_finished_cb), c);
}

/* -------------------------------------------------------------------------- */
/* Connections */

static void
on_conn_weak_notify (gpointer  data,
                     GObject  *where_the_object_was)
{
  Conn *c = data;

  g_hash_table_remove (c->owner->conns, where_the_object_was);
}

static void
on_conn_disconnected_cb (GObject  *conn,
                         gpointer  user_data)
{
  Conn *c = user_data;

  /* Gone for libsoup; the object may live a little longer. */
  c->released = TRUE;
}

static gboolean sweep_cb (gpointer user_data);

static void
schedule_sweep (FlServerConnections *self)
{
  /* One idle source at a time: each sweep runs in a main loop iteration of its own. */
  if (self->sweep_id == 0)
    self->sweep_id = g_idle_add (sweep_cb, self);
}

static gboolean
request_started_hook (GSignalInvocationHint *ihint,
                      guint                  n_param_values,
                      const GValue          *param_values,
                      gpointer               user_data)
{
  FlServerConnections *self = user_data;
  GObject *conn;
  SoupServerMessage *msg;
  Conn *c;

  if (n_param_values < 2)
    return TRUE;
  conn = g_value_get_object (&param_values[0]);
  msg = g_value_get_object (&param_values[1]);
  if (conn == NULL || !SOUP_IS_SERVER_MESSAGE (msg))
    return TRUE;

  c = g_hash_table_lookup (self->conns, conn);
  if (c == NULL)
    {
      /* A new connection: the message waits for its TLS handshake, if any. */
      c = g_new0 (Conn, 1);
      c->owner = self;
      c->conn = conn;
      g_object_weak_ref (conn, on_conn_weak_notify, c);
      c->disconnected_id = g_signal_connect (conn, "disconnected",
                                             G_CALLBACK (on_conn_disconnected_cb), c);
      if (self->accepting != NULL)
        c->socket = g_object_ref (self->accepting);
      g_hash_table_insert (self->conns, conn, c);
      set_phase (c, PHASE_HANDSHAKE);
      c->accepted = c->since;
      conn_watch_msg (c, msg);

      if (++self->accepts % SWEEP_EVERY_N_ACCEPTS == 0)
        schedule_sweep (self);
    }
  else
    {
      /* The next request on a kept-alive connection: its first bytes came. */
      conn_watch_msg (c, msg);
      set_phase (c, PHASE_HEADERS);
    }
  return TRUE;
}

static gint64
phase_timeout_us (Phase phase)
{
  switch (phase)
    {
    case PHASE_HANDSHAKE: return FL_SERVER_HANDSHAKE_TIMEOUT * G_USEC_PER_SEC;
    case PHASE_HEADERS: return FL_SERVER_HEADERS_TIMEOUT * G_USEC_PER_SEC;
    case PHASE_BODY: return FL_SERVER_BODY_TIMEOUT * G_USEC_PER_SEC;
    case PHASE_WRITE: return FL_SERVER_WRITE_TIMEOUT * G_USEC_PER_SEC;
    case PHASE_IDLE: return FL_SERVER_IDLE_TIMEOUT * G_USEC_PER_SEC;
    case PHASE_HANDLER:
    default:
      return 0;   /* the handler's business (long polls end by themselves) */
    }
}

static void
check_fds (FlServerConnections *self,
           gint64               now)
{
  struct rlimit limit;
  int n;

  if (now < self->next_fd_check)
    return;
  self->next_fd_check = now + FD_CHECK_INTERVAL_US;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return;
  n = fl_server_count_open_fds ();
  if (n < 0 || (rlim_t) n * 5 < limit.rlim_cur * 4)
    return;
  if (self->last_fd_warning != 0 && now - self->last_fd_warning < FD_WARN_INTERVAL_US)
    return;
  self->last_fd_warning = now;
  g_warning ("Running low on file descriptors: %d of %lu open, %u client connections",
             n, (unsigned long) limit.rlim_cur, g_hash_table_size (self->conns));
}

static gboolean
sweep_cb (gpointer user_data)
{
  FlServerConnections *self = user_data;
  g_autoptr(GPtrArray) release = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Conn *c;

  self->sweep_id = 0;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      if (c->released)
        continue;

      if (!c->shut && conn_timed_out (c, now))
        {
          g_message ("Closing a connection after %lld s in state “%s”",
                     (long long) ((now - c->since) / G_USEC_PER_SEC), phase_name (c->phase));
          conn_shutdown (c);
        }

      if (c->phase != PHASE_IDLE)
        continue;

      if (!conn_at_eof (c))
        {
          c->eof_sweeps = 0;
          continue;
        }
      if (++c->eof_sweeps < EOF_SWEEPS)
        continue;

      /* libsoup < 3.3 forgot it (see the top of this file). */
      if (!c->shut)
        conn_shutdown (c);
      c->released = TRUE;
      g_ptr_array_add (release, g_object_ref (c->conn));
    }

  /* Outside the iteration: SoupServer drops its reference in its handler. */
  for (guint i = 0; i < release->len; i++)
    g_signal_emit_by_name (release->pdata[i], "disconnected");

  check_fds (self, now);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timer_cb (gpointer user_data)
{
  schedule_sweep (user_data);
  return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------------------------- */

FlServerConnections *
fl_server_connections_new (SoupServer *soup)
{
  FlServerConnections *self;
  GType conn_type;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (the_tracker == NULL, NULL);

  /* Registered by the listener's class, so known once the server listens. */
  conn_type = g_type_from_name ("SoupServerConnection");
  g_return_val_if_fail (conn_type != 0, NULL);

  self = g_new0 (FlServerConnections, 1);
  self->soup = soup;
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, conn_free);
  self->conn_class = g_type_class_ref (conn_type);
  self->signal_id = g_signal_lookup ("request-started", conn_type);
  g_return_val_if_fail (self->signal_id != 0, self);
  self->hook_id = g_signal_add_emission_hook (self->signal_id, 0, request_started_hook, self, NULL);
  self->timer_id = g_timeout_add (SWEEP_INTERVAL_MS, on_timer_cb, self);
  the_tracker = self;
  return self;
}

void
fl_server_connections_free (FlServerConnections *self)
{
  GHashTableIter iter;
  gpointer key;
  Conn *c;

  if (self == NULL)
    return;

  if (self->hook_id != 0)
    g_signal_remove_emission_hook (self->signal_id, self->hook_id);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, &key, (gpointer *) &c))
    {
      g_object_weak_unref (key, on_conn_weak_notify, c);
      g_clear_signal_handler (&c->disconnected_id, key);
    }
  g_hash_table_unref (self->conns);
  g_clear_pointer (&self->conn_class, g_type_class_unref);
  if (the_tracker == self)
    the_tracker = NULL;
  g_free (self);
}

guint
fl_server_connections_get_count (FlServerConnections *self)
{
  GHashTableIter iter;
  Conn *c;
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (!c->released)
      n++;
  return n;
}

gboolean
fl_server_connections_accept (FlServerConnections  *self,
                              GIOStream            *stream,
                              GSocket              *socket,
                              GError              **error)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return FALSE;
  remote = g_socket_get_remote_address (socket, error);
  if (remote == NULL)
    return FALSE;

  /* request_started_hook () sees the new connection in there. */
  self->accepting = socket;
  ok = soup_server_accept_iostream (self->soup, stream, local, remote, error);
  self->accepting = NULL;
  return ok;
}

void
fl_server_connections_drop (SoupServerMessage *msg)
{
  GSocket *socket;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  /* Reading ends here; libsoup's error path closes the connection. */
  socket = soup_server_message_get_socket (msg);
  if (socket == NULL)
    socket = g_object_get_data (G_OBJECT (msg), MSG_SOCKET_KEY);
  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_shutdown (socket, TRUE, FALSE, NULL);
}

int
fl_server_count_open_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  int n = 0;

  if (dir == NULL)
    return -1;
  while ((entry = readdir (dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir (dir);
  return n - 1;   /* the directory's own descriptor */
}
