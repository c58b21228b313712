/* main.c — firstline-server: command line, signals, main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "firstline-server"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl-auth.h"
#include "fl-server.h"
#include "fl-checklist.h"
#include "fl-data.h"
#include "fl-server-seed.h"
#include "fl-server-store-pg.h"

#define EXIT_USAGE      2
#define DRAIN_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* No SSL 3, TLS 1.0 or 1.1; read by glib-networking's GnuTLS backend. */
#define TLS_PRIORITY     "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"
#define TLS_CHECK_TIMEOUT 10

typedef struct
{
  GMainLoop *loop;
  FlServer  *server;
  gint64     drain_deadline;
  guint      drain_id;
} Context;

static int
usage_error (const char *message)
{
  g_printerr ("firstline-server: %s\n", message);
  return EXIT_USAGE;
}

static int
runtime_error (const char *message)
{
  g_printerr ("firstline-server: %s\n", message);
  return EXIT_FAILURE;
}

static gboolean
drain_cb (gpointer user_data)
{
  Context *ctx = user_data;

  if (fl_server_get_n_in_flight (ctx->server) == 0 ||
      g_get_monotonic_time () > ctx->drain_deadline)
    {
      ctx->drain_id = 0;
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal_cb (gpointer user_data)
{
  Context *ctx = user_data;

  if (ctx->drain_id != 0)
    return G_SOURCE_CONTINUE;

  g_printerr ("firstline-server: %s\n", _("shutting down"));
  fl_server_stop (ctx->server);
  ctx->drain_deadline = g_get_monotonic_time () + DRAIN_TIMEOUT_US;
  ctx->drain_id = g_timeout_add (20, drain_cb, ctx);
  return G_SOURCE_CONTINUE;
}

/* Every client connection takes a descriptor: allow as many as the hard limit. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_warning ("Cannot raise the limit of open files: %s", g_strerror (errno));
}

typedef struct
{
  GTlsConnection *server;
  gboolean        ok;
  char           *message;
} TlsCheck;

static gpointer
tls_check_thread (gpointer data)
{
  TlsCheck *check = data;
  g_autoptr(GError) error = NULL;

  check->ok = g_tls_connection_handshake (check->server, NULL, &error);
  if (!check->ok)
    check->message = g_strdup (error->message);
  /* Let the client side see the end, whatever happened. */
  g_io_stream_close (G_IO_STREAM (check->server), NULL, NULL);
  return NULL;
}

static gboolean
accept_any_cb (GTlsConnection       *conn,
               GTlsCertificate      *peer_cert,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

/* A handshake with ourselves over a socket pair: a key that does not belong to
 * the certificate fails here, not in every client's handshake. */
static gboolean
tls_certificate_works (GTlsCertificate  *cert,
                       GError          **error)
{
  g_autoptr(GSocket) a = NULL;
  g_autoptr(GSocket) b = NULL;
  g_autoptr(GSocketConnection) ca = NULL;
  g_autoptr(GSocketConnection) cb = NULL;
  g_autoptr(GIOStream) server = NULL;
  g_autoptr(GIOStream) client = NULL;
  g_autoptr(GError) client_error = NULL;
  TlsCheck check = { 0 };
  GThread *thread;
  gboolean client_ok;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
      return FALSE;
    }
  a = g_socket_new_from_fd (fds[0], error);
  if (a == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  b = g_socket_new_from_fd (fds[1], error);
  if (b == NULL)
    {
      close (fds[1]);
      return FALSE;
    }
  g_socket_set_timeout (a, TLS_CHECK_TIMEOUT);
  g_socket_set_timeout (b, TLS_CHECK_TIMEOUT);
  ca = g_socket_connection_factory_create_connection (a);
  cb = g_socket_connection_factory_create_connection (b);

  server = g_tls_server_connection_new (G_IO_STREAM (ca), cert, error);
  if (server == NULL)
    return FALSE;
  client = g_tls_client_connection_new (G_IO_STREAM (cb), NULL, error);
  if (client == NULL)
    return FALSE;
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);

  check.server = G_TLS_CONNECTION (server);
  thread = g_thread_new ("tls-check", tls_check_thread, &check);
  client_ok = g_tls_connection_handshake (G_TLS_CONNECTION (client), NULL, &client_error);
  g_io_stream_close (client, NULL, NULL);
  g_thread_join (thread);

  if (!check.ok || !client_ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("the TLS key does not fit the certificate, or neither is usable (%s)"),
                   check.message ? check.message : client_error ? client_error->message : "?");
      g_free (check.message);
      return FALSE;
    }
  return TRUE;
}

/* @listen is "ADDR:PORT" as given on the command line. */
static gboolean
listens_on_loopback (const char *listen)
{
  g_autoptr(GSocketConnectable) connectable = g_network_address_parse (listen, 8080, NULL);
  g_autoptr(GInetAddress) address = NULL;

  if (connectable == NULL)
    return TRUE;    /* fl_server_listen () reports it */
  address = g_inet_address_new_from_string (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)));
  return address == NULL || g_inet_address_get_is_loopback (address);
}

static gboolean
username_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '.' && name[i] != '-' && name[i] != '_')
      return FALSE;
  return TRUE;
}

/* The first line of stdin; on a terminal after a prompt, without echo. */
static char *
read_password_line (void)
{
  GString *line = g_string_new (NULL);
  struct termios saved, quiet;
  gboolean restore = FALSE;
  int c;

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      g_printerr ("%s", _("Password: "));
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      restore = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }

  while ((c = getc (stdin)) != EOF && c != '\n')
    {
      if (line->len > 4096)
        continue;
      g_string_append_c (line, (char) c);
    }

  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/* Reads the password from stdin and hashes it; on failure returns NULL and *status. */
static char *
read_password_hash (int *status)
{
  g_autofree char *password = read_password_line ();
  char *hash;

  if (*password == '\0')
    {
      *status = usage_error (_("the password (first line of stdin) must not be empty"));
      return NULL;
    }
  if (!g_utf8_validate (password, -1, NULL) || strlen (password) > 4096)
    {
      memset (password, 0, strlen (password));
      *status = usage_error (_("the password must be UTF-8 text of at most 4096 bytes"));
      return NULL;
    }

  hash = fl_auth_hash_password (password);
  memset (password, 0, strlen (password));
  if (hash == NULL)
    *status = runtime_error (_("cannot hash the password (out of memory)"));
  return hash;
}

/* The copy of the built-in checklists written out for a program that is not
 * installed; removed on exit. */
static char *extracted_dir;

static void
remove_extracted_dir (void)
{
  g_auto(GStrv) names = fl_data_list_checklists ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (extracted_dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (extracted_dir);
  g_clear_pointer (&extracted_dir, g_free);
}

/* $FIRSTLINE_CHECKLIST_DIR, else PKGDATADIR/checklists, else the checklists
 * built into the program, written to a temporary directory. */
static const char *
checklist_dir (void)
{
  static char *dir;

  if (g_getenv ("FIRSTLINE_CHECKLIST_DIR") != NULL)
    return g_getenv ("FIRSTLINE_CHECKLIST_DIR");
  if (dir == NULL)
    {
      char *installed = g_build_filename (PKGDATADIR, "checklists", NULL);
      g_autoptr(GError) error = NULL;

      if (g_file_test (installed, G_FILE_TEST_IS_DIR))
        return dir = installed;
      g_free (installed);

      extracted_dir = g_dir_make_tmp ("firstline-checklists-XXXXXX", &error);
      if (extracted_dir == NULL)
        {
          g_warning ("Cannot write out the built-in checklists: %s", error->message);
          return "";
        }
      atexit (remove_extracted_dir);
      if (!fl_data_write_checklists (extracted_dir, &error))
        g_warning ("Cannot write out the built-in checklists: %s", error->message);
      dir = g_strdup (extracted_dir);
    }
  return dir;
}

/* --database: a postgresql:// URI, or NULL for SQLite in the data directory. */
static char *database;

static FlServerStore *
open_store (const char  *data_dir,
            GError     **error)
{
  return fl_server_store_open_database (database, data_dir, error);
}

static int
cmd_migrate (void)
{
  g_autoptr(GError) error = NULL;
  gint64 version = 0;
  gint64 target = 0;

  if (database == NULL)
    {
      /* SQLite migrates when it opens the file. */
      return usage_error (_("migrate needs --database postgresql://…"));
    }
  if (!fl_server_store_pg_is_uri (database))
    return usage_error (_("--database must be a postgresql:// URI"));
  /* For tests of the upgrade steps: stop at an older schema. */
  if (g_getenv ("FIRSTLINE_MIGRATE_TARGET") != NULL)
    target = g_ascii_strtoll (g_getenv ("FIRSTLINE_MIGRATE_TARGET"), NULL, 10);
  if (!fl_server_store_pg_migrate (database, target, &version, &error))
    return runtime_error (error->message);
  g_print (_("database schema version %d\n"), (int) version);
  return EXIT_SUCCESS;
}

static int
cmd_user_add (const char *data_dir,
              const char *name,
              const char *role_name,
              const char *display_name)
{
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  int status = EXIT_SUCCESS;
  FlRole role;

  if (!username_is_valid (name))
    return usage_error (_("user names are 1 to 64 letters, digits, '.', '-' or '_'"));
  if (role_name == NULL)
    return usage_error (_("user add needs --role agent|specialist|lead"));
  if (!fl_role_from_string (role_name, &role))
    return usage_error (_("--role must be agent, specialist or lead"));
  if (display_name != NULL && !fl_text_is_valid (display_name, 1, FL_SHORT_TEXT_MAX))
    return usage_error (_("--display-name must be 1 to 200 characters"));

  hash = read_password_hash (&status);
  if (hash == NULL)
    return status;

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  if (!fl_server_store_add_user (store, name, display_name, role, hash, &error))
    return runtime_error (error->message);

  g_print (_("user %s added as %s\n"), name, fl_role_to_string (role));
  return EXIT_SUCCESS;
}

static int
cmd_user_list (const char *data_dir)
{
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = NULL;
  const char *headers[] = { N_("USERNAME"), N_("DISPLAY NAME"), N_("ROLE"), N_("ENABLED") };
  int widths[3];

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  users = fl_server_store_list_users (store);
  for (guint k = 0; k < G_N_ELEMENTS (widths); k++)
    widths[k] = (int) g_utf8_strlen (_(headers[k]), -1);
  for (guint i = 0; i < users->len; i++)
    {
      FlServerUser *user = g_ptr_array_index (users, i);

      widths[0] = MAX (widths[0], (int) g_utf8_strlen (user->username, -1));
      widths[1] = MAX (widths[1], (int) g_utf8_strlen (user->display_name, -1));
      widths[2] = MAX (widths[2], (int) strlen (fl_role_to_string (user->role)));
    }

  /* %-*s pads bytes, not characters: pad by hand. */
#define CELL(text, width) \
  g_print ("%s%*s  ", (text), (width) - (int) g_utf8_strlen ((text), -1), "")

  CELL (_(headers[0]), widths[0]);
  CELL (_(headers[1]), widths[1]);
  CELL (_(headers[2]), widths[2]);
  g_print ("%s\n", _(headers[3]));
  for (guint i = 0; i < users->len; i++)
    {
      FlServerUser *user = g_ptr_array_index (users, i);

      CELL (user->username, widths[0]);
      CELL (user->display_name, widths[1]);
      CELL (fl_role_to_string (user->role), widths[2]);
      g_print ("%s\n", user->disabled ? _("no") : _("yes"));
    }
#undef CELL

  return EXIT_SUCCESS;
}

/* user enable|disable|remove|passwd NAME */
static int
cmd_user_change (const char *data_dir,
                 const char *what,
                 const char *name)
{
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(FlServerUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  int status = EXIT_SUCCESS;
  gboolean ok;

  if (g_str_equal (what, "passwd"))
    {
      hash = read_password_hash (&status);
      if (hash == NULL)
        return status;
    }

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  if (g_str_equal (what, "passwd"))
    {
      user = fl_server_store_get_user (store, name);
      if (user == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("There is no user %s"), name);
          return runtime_error (message);
        }
      ok = fl_server_store_set_password (store, user->id, hash, NULL, &error);
    }
  else if (g_str_equal (what, "remove"))
    ok = fl_server_store_remove_user (store, name, &error);
  else
    ok = fl_server_store_set_user_disabled (store, name, g_str_equal (what, "disable"), &error);

  if (!ok)
    return runtime_error (error->message);

  if (g_str_equal (what, "passwd"))
    g_print (_("password of %s changed; its sessions are logged out\n"), name);
  else if (g_str_equal (what, "remove"))
    g_print (_("user %s removed\n"), name);
  else if (g_str_equal (what, "disable"))
    g_print (_("user %s disabled; its sessions are logged out\n"), name);
  else
    g_print (_("user %s enabled\n"), name);
  return EXIT_SUCCESS;
}

static int
cmd_seed_demo (const char *data_dir)
{
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  guint n_tickets = 0;

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  if (!fl_server_store_seed_checklists (store, checklist_dir (), &error) ||
      !fl_server_store_seed_answers (store, &error))
    return runtime_error (error->message);

  {
    const char *dir = checklist_dir ();
    g_autoptr(GPtrArray) checklists = *dir ? fl_checklist_load_dir (dir, NULL) : NULL;

    if (!fl_server_seed_demo (store, checklists, &n_tickets, &error))
      return runtime_error (error->message);
  }

  g_print (_("demo data: %u tickets; users alex, jana (agent), sam, mia (specialist), lee (lead), password “demo”\n"),
           n_tickets);
  return EXIT_SUCCESS;
}

static int
cmd_backup (const char *data_dir,
            const char *file)
{
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (g_file_test (file, G_FILE_TEST_EXISTS))
    return runtime_error (_("the backup file exists already"));

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  if (!fl_server_store_backup (store, file, &error))
    return runtime_error (error->message);

  g_print (_("backup written to %s\n"), file);
  return EXIT_SUCCESS;
}

static int
cmd_serve (const char *data_dir,
           const char *listen,
           const char *tls_cert,
           const char *tls_key,
           guint       token_idle_days)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FlServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *uri = NULL;
  FlServerStore *store;
  Context ctx = { 0 };
  guint term_id, int_id;

  if (tls_cert != NULL)
    {
      cert = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (cert == NULL)
        return runtime_error (error->message);
      if (!tls_certificate_works (cert, &error))
        return runtime_error (error->message);
    }

  store = open_store (data_dir, &error);
  if (store == NULL)
    return runtime_error (error->message);

  if (!fl_server_store_seed_checklists (store, checklist_dir (), &error) ||
      !fl_server_store_seed_answers (store, &error))
    {
      g_object_unref (store);
      return runtime_error (error->message);
    }
  fl_server_store_set_token_idle_days (store, token_idle_days);

  if (cert == NULL && !listens_on_loopback (listen))
    g_printerr ("firstline-server: %s\n",
                _("warning: listening beyond loopback without TLS: passwords and tokens travel in clear text; use --tls-cert and --tls-key or a TLS proxy"));

  server = fl_server_new (store, cert);
  uri = fl_server_listen (server, listen, &error);
  if (uri == NULL)
    return runtime_error (error->message);

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.server = server;
  term_id = g_unix_signal_add (SIGTERM, on_signal_cb, &ctx);
  int_id = g_unix_signal_add (SIGINT, on_signal_cb, &ctx);

  g_print ("listening on %s\n", uri);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (term_id);
  g_source_remove (int_id);
  g_clear_handle_id (&ctx.drain_id, g_source_remove);
  fl_server_close (server);
  g_clear_object (&server);     /* closes the database */

  g_printerr ("firstline-server: %s\n", _("stopped"));
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *role = NULL;
  g_autofree char *display_name = NULL;
  int token_idle_days = -1;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, N_("Address and port to listen on (default 127.0.0.1:8080)"), "ADDR:PORT" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Directory of the database"), "DIR" },
    { "database", 0, 0, G_OPTION_ARG_STRING, &database, N_("A PostgreSQL database instead of SQLite in the data directory"), "postgresql://…" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, N_("TLS certificate (PEM) for HTTPS"), "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, N_("TLS private key (PEM) for HTTPS"), "FILE" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, N_("Role of a new user: agent, specialist or lead"), "ROLE" },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display_name, N_("Display name of a new user"), "TEXT" },
    { "token-idle-days", 0, 0, G_OPTION_ARG_INT, &token_idle_days, N_("Days after which an unused login expires (default 30)"), "N" },
    { NULL }
  };

  /* Before anything loads the TLS backend; the user's own choice wins. */
  g_setenv ("G_TLS_GNUTLS_PRIORITY", TLS_PRIORITY, FALSE);
  raise_fd_limit ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("[user add NAME --role ROLE [--display-name TEXT] | user list | "
                                    "user enable|disable|remove|passwd NAME | seed-demo | backup FILE | migrate]"));
  g_option_context_set_summary (context, _("The shared ticket server of Firstline."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);

  if (version)
    {
      g_print ("firstline-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (!fl_auth_init (&error))
    return runtime_error (error->message);

  if (data_dir == NULL)
    data_dir = g_build_filename (g_get_user_data_dir (), "firstline-server", NULL);
  if (listen == NULL)
    listen = g_strdup ("127.0.0.1:8080");
  if ((tls_cert == NULL) != (tls_key == NULL))
    return usage_error (_("--tls-cert and --tls-key go together"));

  if (token_idle_days != -1 && (token_idle_days < 1 || token_idle_days > 36500))
    return usage_error (_("--token-idle-days takes a number of days from 1 to 36500"));
  if (token_idle_days == -1)
    token_idle_days = FL_SERVER_STORE_TOKEN_IDLE_DAYS;

  if (argc >= 3 && g_str_equal (argv[1], "user") && g_str_equal (argv[2], "add"))
    {
      if (argc != 4)
        return usage_error (_("usage: user add NAME --role ROLE [--display-name TEXT]"));
      return cmd_user_add (data_dir, argv[3], role, display_name);
    }

  if (role != NULL || display_name != NULL)
    return usage_error (_("--role and --display-name only go with “user add”"));

  if (argc >= 2 && g_str_equal (argv[1], "user"))
    {
      static const char * const changes[] = { "enable", "disable", "remove", "passwd", NULL };

      if (argc == 3 && g_str_equal (argv[2], "list"))
        return cmd_user_list (data_dir);
      if (argc == 4 && g_strv_contains (changes, argv[2]))
        return cmd_user_change (data_dir, argv[2], argv[3]);
      return usage_error (_("usage: user add NAME --role ROLE [--display-name TEXT] | user list | "
                            "user enable|disable|remove|passwd NAME"));
    }

  if (argc >= 2 && g_str_equal (argv[1], "migrate"))
    {
      if (argc != 2)
        return usage_error (_("migrate takes no arguments"));
      return cmd_migrate ();
    }

  if (argc >= 2 && g_str_equal (argv[1], "seed-demo"))
    {
      if (argc != 2)
        return usage_error (_("seed-demo takes no arguments"));
      return cmd_seed_demo (data_dir);
    }

  if (argc >= 2 && g_str_equal (argv[1], "backup"))
    {
      if (argc != 3)
        return usage_error (_("usage: backup FILE"));
      return cmd_backup (data_dir, argv[2]);
    }

  if (argc >= 2)
    {
      g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), argv[1]);
      return usage_error (message);
    }

  return cmd_serve (data_dir, listen, tls_cert, tls_key, (guint) token_idle_days);
}
