/* fl-sync-engine-http.c — server addresses, requests, and answers bounded in size and time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "fl-json.h"
#include "fl-json-private.h"
#include "fl-sync-engine-private.h"

/* The largest answer to anything but a sync, counted after decoding. */
#define MAX_SHORT_RESPONSE_BYTES (1024 * 1024)
/* A request must be answered completely within this many times the timeout. */
#define REQUEST_DEADLINE_FACTOR  4

char *
_fl_sync_engine_normalize_url (const char  *url,
                               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *trimmed = NULL;
  const char *scheme;

  if (url == NULL || !g_utf8_validate (url, -1, NULL))
    goto bad;

  trimmed = g_strstrip (g_strdup (url));
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  uri = g_uri_parse (trimmed, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    goto bad;

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    goto bad;

  return g_steal_pointer (&trimmed);

bad:
  g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
               _("“%s” is not a server address (http://host:port or https://host:port)"),
               url ? url : "");
  return NULL;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *bare = NULL;
  gsize len = strlen (host);

  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_ascii_strcasecmp (host, "localhost.") == 0)
    return TRUE;

  /* An IPv6 literal, with or without its brackets. */
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);

  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
fl_sync_check_server_url (const char  *url,
                          gboolean     allow_insecure,
                          GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(normalized = _fl_sync_engine_normalize_url (url, error)))
    return FALSE;

  uri = g_uri_parse (normalized, G_URI_FLAGS_NONE, NULL);
  g_assert (uri != NULL);

  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 && !allow_insecure &&
      !host_is_loopback (g_uri_get_host (uri)))
    {
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_INSECURE,
                   /* Translators: %s is a host name like tickets.example.org */
                   _("%s would get the password unencrypted over http://; use https://"),
                   g_uri_get_host (uri));
      return FALSE;
    }

  return TRUE;
}

SoupSession *
_fl_sync_engine_get_session (FlSyncEngine *self)
{
  if (self->session == NULL)
    {
      self->session = soup_session_new_with_options ("user-agent", "firstline/" PACKAGE_VERSION,
                                                     "timeout", self->timeout,
                                                     NULL);
      if (self->ca_file != NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GTlsDatabase) db = g_tls_file_database_new (self->ca_file, &error);

          if (db != NULL)
            soup_session_set_tls_database (self->session, db);
          else
            g_warning ("Could not load CA file %s: %s", self->ca_file, error->message);
        }
    }

  return self->session;
}

SoupMessage *
_fl_sync_engine_new_message (const char   *method,
                             const char   *server_url,
                             const char   *path,
                             const char   *token,
                             GBytes       *body)
{
  g_autofree char *url = g_strconcat (server_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    return NULL;

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/json");

  return msg;
}

/* -------------------------------------------------------------------------- */
/* Reading an answer: bounded in size and in time                               */

/* An answer is read in chunks and counted after decoding (gzip or not), so
 * that neither a huge body nor a small compressed one that unpacks to
 * gigabytes can take the memory; and it must be complete within a deadline,
 * so that a body trickled byte by byte (each byte resets the I/O timeout)
 * cannot hold a sync forever. */
typedef struct
{
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *buffer;
  gsize         max_bytes;
  guint         seconds;
  GCancellable *cancellable;     /* ours: cancelled by the caller's and by the deadline */
  GCancellable *outer;
  gulong        outer_handler;
  GSource      *deadline;
  gboolean      timed_out;
} ReadData;

static void
read_data_free (gpointer data)
{
  ReadData *d = data;

  if (d->deadline != NULL)
    {
      g_source_destroy (d->deadline);
      g_source_unref (d->deadline);
    }
  if (d->outer_handler != 0)
    g_cancellable_disconnect (d->outer, d->outer_handler);
  g_clear_object (&d->outer);
  /* Cancelling drops the connection instead of reading the rest of a body
   * that was refused. */
  if (d->stream != NULL && !g_input_stream_is_closed (d->stream))
    g_cancellable_cancel (d->cancellable);
  g_clear_object (&d->stream);
  g_clear_object (&d->cancellable);
  g_clear_object (&d->msg);
  g_clear_pointer (&d->buffer, g_byte_array_unref);
  g_free (d);
}

static gboolean
read_deadline_cb (gpointer user_data)
{
  ReadData *d = user_data;

  d->timed_out = TRUE;
  g_cancellable_cancel (d->cancellable);
  return G_SOURCE_CONTINUE;
}

/* The error for a failed send or read: the caller's cancel, our deadline, or
 * what the transport said. */
static void
read_return_error (GTask  *task,
                   GError *error)
{
  ReadData *d = g_task_get_task_data (task);

  if (d->outer != NULL && g_cancellable_is_cancelled (d->outer))
    {
      g_error_free (error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
    }
  else if (d->timed_out)
    {
      g_error_free (error);
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               /* Translators: %u is a number of seconds */
                               g_dngettext (GETTEXT_PACKAGE,
                                            "The server took longer than %u second to answer; gave up",
                                            "The server took longer than %u seconds to answer; gave up",
                                            d->seconds),
                               d->seconds);
    }
  else
    g_task_return_error (task, error);
}

static void
read_too_large (GTask *task)
{
  ReadData *d = g_task_get_task_data (task);
  g_autofree char *size = g_format_size_full (d->max_bytes, G_FORMAT_SIZE_IEC_UNITS);

  g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                           /* Translators: %s is a size like "64.0 MiB" */
                           _("The server’s answer is larger than %s; refused"), size);
}

static void
read_chunk_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *d = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize n;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      read_return_error (task, error);
      return;
    }

  n = g_bytes_get_size (chunk);
  if (n == 0)
    {
      g_input_stream_close (d->stream, NULL, NULL);
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&d->buffer)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (n > d->max_bytes - d->buffer->len)
    {
      read_too_large (task);
      return;
    }
  g_byte_array_append (d->buffer, g_bytes_get_data (chunk, NULL), (guint) n);

  g_input_stream_read_bytes_async (d->stream, 64 * 1024, G_PRIORITY_DEFAULT, d->cancellable,
                                   read_chunk_cb, g_steal_pointer (&task));
}

static void
read_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *d = g_task_get_task_data (task);
  GError *error = NULL;
  goffset length;

  d->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (d->stream == NULL)
    {
      read_return_error (task, error);
      return;
    }

  /* Refused before reading when the server says so itself. */
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (d->msg));
  if (soup_message_headers_get_encoding (soup_message_get_response_headers (d->msg)) ==
      SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_one (soup_message_get_response_headers (d->msg),
                                    "Content-Encoding") == NULL &&
      length > 0 && (guint64) length > d->max_bytes)
    {
      read_too_large (task);
      return;
    }

  g_input_stream_read_bytes_async (d->stream, 64 * 1024, G_PRIORITY_DEFAULT, d->cancellable,
                                   read_chunk_cb, g_steal_pointer (&task));
}

/* Sends @msg and reads its whole body: at most @max_bytes after decoding, all
 * of it within @seconds. */
void
_fl_sync_engine_send_bounded (FlSyncEngine        *self,
                              SoupMessage         *msg,
                              gsize                max_bytes,
                              guint                seconds,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  ReadData *d = g_new0 (ReadData, 1);

  d->msg = g_object_ref (msg);
  d->buffer = g_byte_array_new ();
  d->max_bytes = max_bytes;
  d->seconds = seconds;
  d->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      d->outer = g_object_ref (cancellable);
      d->outer_handler = g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                                                g_object_ref (d->cancellable), g_object_unref);
    }
  d->deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (d->deadline, read_deadline_cb, d, NULL);
  g_source_attach (d->deadline, g_main_context_get_thread_default ());

  g_task_set_source_tag (task, _fl_sync_engine_send_bounded);
  g_task_set_task_data (task, d, read_data_free);

  soup_session_send_async (_fl_sync_engine_get_session (self), msg, G_PRIORITY_DEFAULT,
                           d->cancellable, read_sent_cb, task);
}

/* The body, or NULL with @error set; *@out_msg (borrowed from @result) is the message. */
GBytes *
_fl_sync_engine_send_bounded_finish (GAsyncResult  *result,
                                     SoupMessage  **out_msg,
                                     GError       **error)
{
  ReadData *d = g_task_get_task_data (G_TASK (result));

  if (out_msg != NULL)
    *out_msg = d->msg;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Sends a request that is not a long poll; @callback gets @task back. */
void
_fl_sync_engine_send_short (FlSyncEngine        *self,
                            SoupMessage         *msg,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            GTask               *task)
{
  g_object_set (_fl_sync_engine_get_session (self), "timeout", self->timeout, NULL);
  _fl_sync_engine_send_bounded (self, msg, MAX_SHORT_RESPONSE_BYTES,
                                self->timeout * REQUEST_DEADLINE_FACTOR, cancellable, callback,
                                task);
}

/* The message of an error body, or a sentence for the status. */
static char *
error_message_from (SoupMessage *msg,
                    GBytes      *body)
{
  g_autoptr(JsonNode) root = NULL;
  guint status = soup_message_get_status (msg);

  if (body != NULL && g_bytes_get_size (body) > 0 && g_bytes_get_size (body) < 65536 &&
      (root = fl_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)))
    {

      if (root && JSON_NODE_HOLDS_OBJECT (root) &&
          json_object_has_member (json_node_get_object (root), "error"))
        {
          JsonNode *err = json_object_get_member (json_node_get_object (root), "error");
          if (JSON_NODE_HOLDS_OBJECT (err))
            {
              const char *m = _fl_json_string_member (json_node_get_object (err),
                                                     "message", NULL);
              if (m != NULL && g_utf8_validate (m, -1, NULL))
                {
                  g_autofree char *shown = g_utf8_substring (m, 0, MIN (g_utf8_strlen (m, -1), 300));
                  /* Translators: %u is an HTTP status, %s the server's message */
                  return g_strdup_printf (_("The server answered %u: %s"), status, shown);
                }
            }
        }
    }

  /* Translators: %u is an HTTP status like 500, %s its reason like "Internal Server Error" */
  return g_strdup_printf (_("The server answered %u %s"), status,
                          soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "");
}

/* Turns an HTTP outcome into our error codes. */
gboolean
_fl_sync_engine_check_response (SoupMessage  *msg,
                                GBytes       *body,
                                GError       *transport_error,
                                GError      **error)
{
  guint status;
  g_autofree char *message = NULL;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          transport_error->domain == FL_SYNC_ERROR)
        {
          g_propagate_error (error, g_error_copy (transport_error));
          return FALSE;
        }
      if (transport_error->domain == G_TLS_ERROR)
        {
          g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE,
                       _("The server’s certificate is not trusted: %s"), transport_error->message);
          return FALSE;
        }
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNREACHABLE,
                   _("The server cannot be reached: %s"), transport_error->message);
      return FALSE;
    }

  status = soup_message_get_status (msg);
  if (status >= 200 && status < 300)
    return TRUE;

  message = error_message_from (msg, body);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                 _("The login is no longer valid; please log in again"));
  else if (status == SOUP_STATUS_FORBIDDEN)
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_FORBIDDEN, message);
  else if (status >= 400 && status < 500 && status != 408 && status != 429)
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID, message);
  else
    g_set_error_literal (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER, message);

  return FALSE;
}

JsonNode *
_fl_sync_engine_parse_json_object (GBytes  *bytes,
                                   GError **error)
{
  JsonNode *root = NULL;

  if (bytes == NULL ||
      (root = fl_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                    NULL)) == NULL)
    {
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                   _("The server sent an answer that is not valid JSON"));
      return NULL;
    }

  return root;
}
