/* test-password-dialog.c — "Change Password…" and "Log Out Everywhere" in the main
 * window, against the real firstline-server, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "fl-application.h"
#include "fl-credentials.h"
#include "fl-password-dialog.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"
#include "fl-window.h"

typedef struct
{
  char          *dir;
  FlTestServer  *server;
  FlStore       *store;
  FlContext     *context;
  FlApplication *app;
  FlWindow      *window;
} Fixture;

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  fl_sync_engine_login_finish (FL_SYNC_ENGINE (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *server_dir = NULL;
  gboolean logged_in = FALSE;

  f->dir = g_dir_make_tmp ("firstline-password-XXXXXX", &error);
  g_assert_no_error (error);
  server_dir = g_build_filename (f->dir, "server", NULL);
  fl_test_add_user (server_dir, "alex", "agent", "old-password");
  f->server = fl_test_server_start (server_dir);

  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);
  fl_sync_engine_login_async (fl_context_get_sync_engine (f->context), f->server->url,
                              "alex", "old-password", NULL, login_done_cb, &logged_in);
  fl_test_spin_until (fl_test_flag_is_set, &logged_in, 30);

  f->app = g_object_new (FL_TYPE_APPLICATION,
                         "application-id", "io.github.firstline.FirstlinePasswordTest",
                         "flags", G_APPLICATION_NON_UNIQUE,
                         NULL);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  f->window = fl_window_new (f->app, f->context);
  fl_test_present (GTK_WINDOW (f->window));
}

static void
fixture_close (Fixture *f)
{
  fl_sync_engine_stop (fl_context_get_sync_engine (f->context));
  gtk_window_destroy (GTK_WINDOW (f->window));
  fl_test_spin_until_idle ();
  g_clear_object (&f->app);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  fl_test_server_stop (f->server);
  g_clear_pointer (&f->server, fl_test_server_free);
  fl_test_rm_rf (f->dir);
  g_free (f->dir);
}

static GtkWidget *
find_widget (GtkWidget   *root,
             gboolean   (*match) (GtkWidget *, gconstpointer),
             gconstpointer data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_error_label (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error");
}

static GtkWidget *
find_password_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (FL_IS_PASSWORD_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WIDGET (window);
    }
  return NULL;
}

static gboolean
password_dialog_is_shown (gpointer unused)
{
  GtkWidget *dialog = find_password_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (dialog);
}

static gboolean
dialog_gone (gpointer data)
{
  return find_password_dialog () == NULL;
}

typedef struct
{
  GtkLabel   *label;
  const char *text;
} LabelWait;

static gboolean
label_shows (gpointer data)
{
  LabelWait *w = data;

  return g_strcmp0 (gtk_label_get_label (w->label), w->text) == 0;
}

static void
fill (GtkWidget  *dialog,
      const char *title,
      const char *text)
{
  GtkWidget *row = find_widget (dialog, is_row_titled, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static const char *
text_of (GtkWidget  *dialog,
         const char *title)
{
  return gtk_editable_get_text (GTK_EDITABLE (find_widget (dialog, is_row_titled, title)));
}

/* Types the three fields, clicks "Change" and waits for @message under the fields. */
static void
try_change (GtkWidget  *dialog,
            const char *old_password,
            const char *new_password,
            const char *repeat,
            const char *message)
{
  GtkWidget *button = find_widget (dialog, is_button_labelled, "C_hange");
  LabelWait wait = { GTK_LABEL (find_widget (dialog, is_error_label, NULL)), message };

  g_assert_nonnull (button);
  g_assert_nonnull (wait.label);
  fill (dialog, "Current password", old_password);
  fill (dialog, "New password", new_password);
  fill (dialog, "Repeat the new password", repeat);
  gtk_label_set_label (wait.label, "");
  gtk_widget_activate (button);
  if (message != NULL)
    {
      fl_test_spin_until (label_shows, &wait, 30);
      /* what was typed stays */
      g_assert_cmpstr (text_of (dialog, "Current password"), ==, old_password);
      g_assert_cmpstr (text_of (dialog, "New password"), ==, new_password);
      g_assert_cmpstr (text_of (dialog, "Repeat the new password"), ==, repeat);
      g_assert_true (gtk_widget_get_sensitive (button));
    }
}

static guint
me_status (Fixture    *f,
           const char *token)
{
  g_autofree char *url = g_strconcat (f->server->url, "/api/v1/me", NULL);
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  node = fl_test_http ("GET", url, token, NULL, &status);
  return status;
}

static guint
login_status (Fixture    *f,
              const char *password)
{
  g_autofree char *url = g_strconcat (f->server->url, "/api/v1/session", NULL);
  g_autofree char *body = g_strdup_printf ("{\"username\":\"alex\",\"password\":\"%s\"}", password);
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  node = fl_test_http ("POST", url, NULL, body, &status);
  return status;
}

static void
test_change_password (void)
{
  Fixture f = { 0 };
  g_autofree char *other = NULL;
  g_autofree char *mine = NULL;
  GtkWidget *dialog;

  fixture_open (&f);
  other = fl_test_http_login (NULL, f.server->url, "alex", "old-password");

  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.change-password", NULL);
  fl_test_spin_until (password_dialog_is_shown, NULL, 5);
  dialog = find_password_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f.window));

  /* checked here */
  try_change (dialog, "", "new-password", "new-password", "Enter your current password.");
  try_change (dialog, "old-password", "short", "short",
              "The new password must have at least 8 characters");
  try_change (dialog, "old-password", "new-password", "new-passw0rd",
              "The new passwords do not match.");
  /* checked by the server */
  try_change (dialog, "wrong-password", "new-password", "new-password",
              "The current password is wrong");
  g_assert_cmpuint (me_status (&f, other), ==, 200);
  g_assert_cmpuint (login_status (&f, "new-password"), ==, 401);
  fl_test_save_screenshot (dialog, "password-dialog-error.png");

  try_change (dialog, "old-password", "new-password", "new-password", NULL);
  fl_test_spin_until (dialog_gone, NULL, 30);

  g_assert_cmpuint (login_status (&f, "old-password"), ==, 401);
  g_assert_cmpuint (login_status (&f, "new-password"), ==, 200);
  g_assert_cmpuint (me_status (&f, other), ==, 401);
  /* the app's own login stays */
  mine = fl_credentials_lookup_token (f.server->url, "alex", NULL, NULL);
  g_assert_nonnull (mine);
  g_assert_cmpuint (me_status (&f, mine), ==, 200);

  fixture_close (&f);
}

static gboolean
is_unauthorized (gpointer data)
{
  return fl_sync_engine_get_state (data) == FL_SYNC_STATE_UNAUTHORIZED;
}

static void
test_logout_everywhere (void)
{
  Fixture f = { 0 };
  g_autofree char *other = NULL;
  g_autofree char *mine = NULL;
  FlSyncEngine *engine;

  fixture_open (&f);
  engine = fl_context_get_sync_engine (f.context);
  other = fl_test_http_login (NULL, f.server->url, "alex", "old-password");
  mine = fl_credentials_lookup_token (f.server->url, "alex", NULL, NULL);
  g_assert_nonnull (mine);
  g_assert_cmpuint (me_status (&f, mine), ==, 200);

  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.logout-everywhere", NULL);
  fl_test_spin_until (is_unauthorized, engine, 30);
  g_assert_cmpuint (me_status (&f, other), ==, 401);
  g_assert_cmpuint (me_status (&f, mine), ==, 401);
  g_assert_null (fl_test_find_message_dialog ());

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("firstline-password-home-XXXXXX", NULL);
  const char *vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                         "XDG_RUNTIME_DIR" };
  int ret;

  /* Own user folders for the token file, but the system's data folders (the MIME
   * database GTK needs to load its icons). */
  g_setenv ("HOME", home, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, vars[i], NULL);

      g_mkdir (dir, 0700);
      g_setenv (vars[i], dir, TRUE);
    }
  /* No GSettings schemas for GIO's desktop proxy resolver: use none (127.0.0.1). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    return 77;
  adw_init ();

  g_test_add_func ("/password-dialog/change", test_change_password);
  g_test_add_func ("/password-dialog/logout-everywhere", test_logout_everywhere);

  ret = g_test_run ();
  fl_test_rm_rf (home);
  return ret;
}
