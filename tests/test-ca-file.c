/* test-ca-file.c — a CA file chosen in the settings applies without a restart
 *
 * A real firstline-server with HTTPS and a self-signed certificate on
 * 127.0.0.1; the app's context (store, sync engine, GSettings in memory)
 * cannot log in until the certificate is set as the "ca-file" setting, and
 * can at once afterwards — the same context, no restart. A running engine
 * picks up a changed CA file with its next round, right away.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "fl-context.h"
#include "fl-store.h"
#include "fl-test-util.h"

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

typedef struct
{
  char        *dir;
  char        *cert;
  GSubprocess *server;
  char        *url;
} Tls;

static void
tls_start (Tls *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *key = NULL;
  g_autofree char *data = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "listening on ";

  t->dir = g_dir_make_tmp ("firstline-ca-XXXXXX", &error);
  g_assert_no_error (error);
  t->cert = g_build_filename (t->dir, "cert.pem", NULL);
  key = g_build_filename (t->dir, "key.pem", NULL);
  {
    const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", key, "-out", t->cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", NULL };
    g_assert_cmpint (fl_test_run (argv, NULL, NULL, NULL), ==, 0);
  }

  data = g_build_filename (t->dir, "server", NULL);
  fl_test_add_user (data, "alex", "agent", "correct horse");
  launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* the server ends with this test, also when an assertion aborts it */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  t->server = g_subprocess_launcher_spawn (launcher, &error, FL_TEST_SERVER_PATH,
                                           "--listen", "127.0.0.1:0", "--data-dir", data,
                                           "--tls-cert", t->cert, "--tls-key", key, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (t->server));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  t->url = g_strdup (line + strlen (prefix));
  g_assert_true (g_str_has_prefix (t->url, "https://127.0.0.1:"));
}

static void
tls_stop (Tls *t)
{
  g_subprocess_send_signal (t->server, SIGTERM);
  g_subprocess_wait (t->server, NULL, NULL);
  g_clear_object (&t->server);
  fl_test_rm_rf (t->dir);
  g_free (t->dir);
  g_free (t->cert);
  g_free (t->url);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError  *error;
} Result;

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Result *r = user_data;

  r->ok = fl_sync_engine_login_finish (FL_SYNC_ENGINE (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
log_in (FlSyncEngine *engine,
        const char   *url,
        GError      **error)
{
  Result r = { 0 };

  fl_sync_engine_login_async (engine, url, "alex", "correct horse", NULL, login_cb, &r);
  fl_test_spin_until (fl_test_flag_is_set, &r.done, 30);
  g_assert_true (r.done);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.ok;
}

typedef struct
{
  FlSyncEngine *engine;
  FlSyncState   state;
} StateWait;

static gboolean
state_is (gpointer data)
{
  StateWait *w = data;

  return fl_sync_engine_get_state (w->engine) == w->state;
}

static void
create_ticket (FlStore    *store,
               const char *title)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *requester = json_object_new ();
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (fields, "title", title);
  json_object_set_string_member (fields, "category", "hardware");
  json_object_set_string_member (fields, "channel", "phone");
  json_object_set_string_member (requester, "name", "Mia Keller");
  json_object_set_object_member (fields, "requester", requester);
  ticket = fl_store_create_ticket (store, fields, &error);
  g_assert_no_error (error);
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->ok = fl_sync_engine_sync_finish (FL_SYNC_ENGINE (source), result, &r->error);
  r->done = TRUE;
}

/* Another agent's app (its own cache, the CA set) adds a ticket on the server. */
static void
other_agent_creates_ticket (Tls *t)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cache = g_build_filename (t->dir, "other.db", NULL);
  g_autoptr(FlStore) store = fl_store_new (cache, &error);
  g_autoptr(FlSyncEngine) engine = NULL;
  Result r = { 0 };

  g_assert_no_error (error);
  engine = fl_sync_engine_new (store);
  fl_sync_engine_set_ca_file (engine, t->cert);
  g_assert_true (log_in (engine, t->url, &error));
  g_assert_no_error (error);
  create_ticket (store, "Printer on floor 2 jams");
  fl_sync_engine_sync_async (engine, 0, NULL, sync_cb, &r);
  fl_test_spin_until (fl_test_flag_is_set, &r.done, 30);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 0);
}

static void
test_ca_file_live (void)
{
  Tls t = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(FlStore) store = NULL;
  g_autoptr(FlContext) context = NULL;
  g_autofree char *cache = NULL;
  FlSyncEngine *engine;
  StateWait wait;
  gint64 start;

  tls_start (&t);
  cache = g_build_filename (t.dir, "cache.db", NULL);
  store = fl_store_new (cache, &error);
  g_assert_no_error (error);
  settings = g_settings_new (APPLICATION_ID);
  g_settings_set_string (settings, "ca-file", "");
  context = fl_context_new (store, settings);
  engine = fl_context_get_sync_engine (context);

  /* Not trusted: the self-signed certificate fails the handshake. */
  g_assert_false (log_in (engine, t.url, &error));
  g_assert_nonnull (error);
  g_test_message ("without the CA: %s", error->message);
  g_clear_error (&error);

  /* Chosen in the preferences: the same context logs in now. */
  g_settings_set_string (settings, "ca-file", t.cert);
  g_assert_true (log_in (engine, t.url, &error));
  g_assert_no_error (error);

  /* The app's mode: pushes at once, then a long poll. */
  create_ticket (store, "VPN drops every hour");
  fl_sync_engine_start (engine);
  wait = (StateWait) { engine, FL_SYNC_STATE_IDLE };
  fl_test_spin_until (state_is, &wait, 30);
  g_assert_cmpint (fl_sync_engine_get_state (engine), ==, FL_SYNC_STATE_IDLE);

  /* Taken away while the engine waits in a long poll: the next round fails
   * (the engine counts an untrusted server as not reachable). */
  g_settings_set_string (settings, "ca-file", "");
  wait = (StateWait) { engine, FL_SYNC_STATE_OFFLINE };
  fl_test_spin_until (state_is, &wait, 30);
  g_assert_cmpint (fl_sync_engine_get_state (engine), ==, FL_SYNC_STATE_OFFLINE);
  g_assert_nonnull (strstr (fl_sync_engine_get_last_error (engine), "certificate"));

  /* Let the retry after the first error fail too: the next one waits 1 to 3 s.
   * (A retry may be under way: anything but in sync.) */
  fl_test_spin_for (1600);
  g_test_message ("after the retry: state %d, %u pending", fl_sync_engine_get_state (engine),
                  fl_store_count_pending_ops (store));
  g_assert_cmpint (fl_sync_engine_get_state (engine), !=, FL_SYNC_STATE_IDLE);

  /* And set again: it syncs at once (the server has news for it), not after
   * the retry delay. */
  other_agent_creates_ticket (&t);
  g_assert_cmpint (fl_sync_engine_get_state (engine), !=, FL_SYNC_STATE_IDLE);
  start = g_get_monotonic_time ();
  g_settings_set_string (settings, "ca-file", t.cert);
  wait = (StateWait) { engine, FL_SYNC_STATE_IDLE };
  /* Under the sanitizers TLS handshakes are slow enough to fail now and then:
   * there this only shows that it recovers. */
  while (!state_is (&wait) &&
         g_get_monotonic_time () - start < (fl_test_slowdown () > 1 ? 30 * G_TIME_SPAN_SECOND
                                                                      : 800 * G_TIME_SPAN_MILLISECOND))
    g_main_context_iteration (NULL, FALSE);
  g_test_message ("back in sync after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (fl_sync_engine_get_state (engine), ==, FL_SYNC_STATE_IDLE);
  g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_ALL, NULL, NULL), ==, 2);

  fl_sync_engine_stop (engine);
  g_clear_object (&context);
  g_clear_object (&store);
  tls_stop (&t);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("firstline-ca-home-XXXXXX", NULL);
  g_autofree char *token = g_build_filename (home, "token", NULL);
  int status;

  /* the token in a file of our own, never the user's keyring */
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  g_setenv ("FIRSTLINE_TOKEN_FILE", token, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca-file/live", test_ca_file_live);
  status = g_test_run ();
  fl_test_rm_rf (home);
  return status;
}
