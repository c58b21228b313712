/* test-keyring.c — the login token kept by a real Secret Service
 *
 * Runs under tests/with-keyring.sh: a D-Bus session of its own with a real
 * gnome-keyring-daemon, unlocked with a known password. The CLI logs in, and
 * a second CLI process (as after a restart) finds the token there and syncs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-credentials.h"
#include "fl-test-util.h"

/* The harness keeps programs off the session bus; these run on the keyring's. */
static int
run_cli (const char  *cache,
         const char  *stdin_text,
         char       **out,
         char       **err,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                     G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list args;

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                g_getenv ("DBUS_SESSION_BUS_ADDRESS"), TRUE);
  g_ptr_array_add (argv, (char *) FL_TEST_CLI_PATH);
  g_ptr_array_add (argv, (char *) "--cache");
  g_ptr_array_add (argv, (char *) cache);
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  return fl_test_run_full (launcher, (const char * const *) argv->pdata, stdin_text, out, err);
}

static void
test_login_survives_restart (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-keyring-XXXXXX", NULL);
  g_autofree char *server_dir = g_build_filename (dir, "server", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *token_file = fl_credentials_dup_file_path ();
  g_autoptr(FlTestServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = NULL;
  FlCredentialsBackend backend = FL_CREDENTIALS_FILE;

  g_assert_nonnull (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  fl_test_add_user (server_dir, "alex", "agent", "pw-alex-keyring");
  server = fl_test_server_start (server_dir);

  g_assert_cmpint (run_cli (cache, "pw-alex-keyring\n", &out, &err, "login", server->url, "alex",
                            NULL), ==, 0);
  /* kept in the Secret Service: the CLI says nothing about a file */
  g_assert_null (strstr (err, "Secret Service"));
  g_assert_false (g_file_test (token_file, G_FILE_TEST_EXISTS));

  token = fl_credentials_lookup_token (server->url, "alex", &backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpint (backend, ==, FL_CREDENTIALS_SECRET_SERVICE);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* a new process, as after a restart: still logged in */
  g_assert_cmpint (run_cli (cache, NULL, &out, &err, "sync", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (cache, NULL, &out, &err, "new", "--title", "Drucker offline",
                            "--category", "printer", "--requester", "Tom Becker",
                            "--requester.location", "2. OG", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (cache, NULL, &out, &err, "sync", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (cache, NULL, &out, &err, "pending", NULL), ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, "0");

  /* clearing removes it from the keyring too */
  g_assert_true (fl_credentials_clear_token (server->url, "alex", &error));
  g_assert_no_error (error);
  g_clear_pointer (&token, g_free);
  token = fl_credentials_lookup_token (server->url, "alex", NULL, &error);
  g_assert_null (token);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  fl_test_server_stop (server);
  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  fl_test_add_func ("/keyring/login-survives-restart", test_login_survives_restart);

  return g_test_run ();
}
