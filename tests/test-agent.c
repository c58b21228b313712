/* test-agent.c — the agent's work in the real window, against the real server
 *
 * Under Xvfb, each test logged in to its own firstline-server on 127.0.0.1
 * (port 0), one behaviour each: find a ticket by search, claim it, write a note,
 * resolve it; see a ticket that another client made with firstline-cli appear by
 * itself; presence; a conflict; work offline and watch the unsent counter return
 * to 0 when the server is back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <glib/gstdio.h>

#include "fl-application.h"
#include "fl-conflicts-dialog.h"
#include "fl-sync-indicator.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"
#include "fl-ticket-detail.h"
#include "fl-window.h"

typedef struct
{
  char          *dir;
  char          *server_dir;
  FlTestServer  *server;
  FlStore       *store;
  FlContext     *context;
  FlApplication *app;
  FlWindow      *window;
} Fixture;

/* Runs a program with @input on stdin; it must succeed. */
static void
run_command (const char *input,
             const char *first,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  va_list args;

  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (fl_test_run_full (launcher, (const char * const *) argv->pdata, input, NULL, &err) != 0)
    g_error ("%s failed: %s", first, err);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  fl_sync_engine_login_finish (FL_SYNC_ENGINE (source), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  fl_sync_engine_sync_finish (FL_SYNC_ENGINE (source), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *config = NULL;
  gboolean logged_in = FALSE;

  f->dir = g_dir_make_tmp ("firstline-agent-XXXXXX", &error);
  g_assert_no_error (error);
  f->server_dir = g_build_filename (f->dir, "server", NULL);
  config = g_build_filename (f->dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);

  fl_test_add_user (f->server_dir, "alex", "agent", "alexpass");
  fl_test_add_user (f->server_dir, "jana", "agent", "janapass");
  f->server = fl_test_server_start (f->server_dir);

  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);

  fl_sync_engine_login_async (fl_context_get_sync_engine (f->context), f->server->url, "alex", "alexpass",
                              NULL, login_done_cb, &logged_in);
  fl_test_spin_until (fl_test_flag_is_set, &logged_in, 20);
  fl_sync_engine_start (fl_context_get_sync_engine (f->context));

  f->app = g_object_new (FL_TYPE_APPLICATION,
                         "application-id", "io.github.firstline.FirstlineAgentTest",
                         "flags", G_APPLICATION_NON_UNIQUE,
                         NULL);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  f->window = fl_window_new (f->app, f->context);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_close (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  fl_sync_engine_stop (fl_context_get_sync_engine (f->context));
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&f->app);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  g_clear_pointer (&f->server, fl_test_server_free);
  g_free (f->server_dir);
  g_free (f->dir);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  /* a search entry: the window's own, not one inside a drop-down's popover */
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (type != GTK_TYPE_SEARCH_ENTRY || gtk_widget_get_ancestor (root, GTK_TYPE_SEARCH_BAR)))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);
      if (found != NULL)
        return found;
    }

  return NULL;
}

typedef struct
{
  Fixture    *f;
  const char *id;
  guint       expected;
} Wait;

static gboolean
engine_idle (gpointer data)
{
  Fixture *f = data;
  FlSyncEngine *engine = fl_context_get_sync_engine (f->context);

  return fl_sync_engine_get_state (engine) == FL_SYNC_STATE_IDLE &&
         fl_store_count_pending_ops (f->store) == 0;
}

static gboolean
ticket_synced (gpointer data)
{
  Wait *w = data;
  g_autoptr(FlTicket) t = fl_store_get_ticket (w->f->store, w->id, NULL);

  return t != NULL && t->number > 0 && t->pending == 0;
}

static gboolean
ticket_in_list (gpointer data)
{
  Wait *w = data;

  return fl_ticket_list_model_find (fl_window_get_list_model (w->f->window), w->id) != G_MAXUINT;
}

static gboolean
search_has_n (gpointer data)
{
  Wait *w = data;

  return g_list_model_get_n_items (G_LIST_MODEL (fl_window_get_list_model (w->f->window))) == w->expected;
}

static gboolean
indicator_settled (gpointer data)
{
  Wait *w = data;
  FlSyncIndicator *indicator = FL_SYNC_INDICATOR (find_widget (GTK_WIDGET (w->f->window),
                                                               FL_TYPE_SYNC_INDICATOR));

  return g_strcmp0 (fl_sync_indicator_get_text (indicator), w->id) == 0;
}

static gboolean
engine_offline (gpointer data)
{
  Fixture *f = data;

  return fl_sync_engine_get_state (fl_context_get_sync_engine (f->context)) == FL_SYNC_STATE_OFFLINE;
}

static gboolean
has_conflict (gpointer data)
{
  Fixture *f = data;

  return fl_store_count_conflicts (f->store) == 1;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
        return GTK_WINDOW (w);
    }

  return NULL;
}

static GtkWidget *
find_by_text (GtkWidget  *root,
              GType       type,
              const char *text)
{
  const char *shown = NULL;

  if (GTK_IS_LABEL (root) && type == GTK_TYPE_LABEL)
    shown = gtk_label_get_label (GTK_LABEL (root));
  else if (GTK_IS_BUTTON (root) && type == GTK_TYPE_BUTTON)
    shown = gtk_button_get_label (GTK_BUTTON (root));
  if (g_strcmp0 (shown, text) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_text (child, type, text);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  return find_by_text (root, GTK_TYPE_LABEL, text);
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  return find_by_text (root, GTK_TYPE_BUTTON, label);
}

/* The token jana's engine keeps (the fallback file: no Secret Service here). */
static const char *
jana_token (FlStore    *store,
            const char *url)
{
  static char *token;

  g_clear_pointer (&token, g_free);
  token = fl_credentials_lookup_token (url, fl_store_get_username (store), NULL, NULL);
  g_assert_nonnull (token);
  return token;
}

static gboolean
presence_shown (gpointer data)
{
  Wait *w = data;
  FlTicketDetail *detail = FL_TICKET_DETAIL (find_widget (GTK_WIDGET (w->f->window),
                                                          FL_TYPE_TICKET_DETAIL));

  return g_strcmp0 (fl_ticket_detail_get_presence_text (detail), w->id) == 0;
}

static gboolean
dialog_shown (gpointer data)
{
  return fl_test_find_message_dialog () != NULL;
}

/* Opens the window logged in as alex, with the sync engine idle. */
static void
open_idle (Fixture *f)
{
  fixture_open (f);
  fl_test_spin_until (engine_idle, f, 20);
}

/* A ticket made in this cache, once the server has it (transfer full). */
static FlTicket *
create_synced (Fixture *f)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *requester = json_object_new ();
  g_autoptr(GError) error = NULL;
  FlTicket *created;
  Wait w = { f, NULL, 0 };

  json_object_set_string_member (fields, "title", "Outlook startet nicht — Profil defekt");
  json_object_set_string_member (requester, "name", "Jana Krüger");
  json_object_set_string_member (requester, "phone", "+49 30 1234");
  json_object_set_object_member (fields, "requester", requester);
  json_object_set_string_member (fields, "category", "email");
  json_object_set_string_member (fields, "channel", "phone");
  created = fl_store_create_ticket (f->store, fields, &error);
  g_assert_no_error (error);
  w.id = created->id;
  fl_test_spin_until (ticket_synced, &w, 20);
  return created;
}

/* Searches for @created as one types and selects it: the detail shows it. */
static FlTicketDetail *
search_and_select (Fixture  *f,
                   FlTicket *created)
{
  Wait w = { f, created->id, 1 };
  FlTicketDetail *detail;
  GtkWidget *entry;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  entry = find_widget (GTK_WIDGET (f->window), GTK_TYPE_SEARCH_ENTRY);
  gtk_editable_set_text (GTK_EDITABLE (entry), "profil krüger");
  fl_test_spin_until (search_has_n, &w, 10);
  g_assert_true (ticket_in_list (&w));

  detail = FL_TICKET_DETAIL (find_widget (GTK_WIDGET (f->window), FL_TYPE_TICKET_DETAIL));
  g_assert_nonnull (detail);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.select-relative", "i", 1);
  g_assert_nonnull (fl_ticket_detail_get_ticket (detail));
  g_assert_cmpstr (fl_ticket_detail_get_ticket (detail)->id, ==, created->id);
  return detail;
}

/* Another agent, jana, creates a ticket with firstline-cli and syncs it; returns
 * its id. @out_start: when the sync began (monotonic µs). */
static char *
cli_create (Fixture *f,
            gint64  *out_start)
{
  const char *cli = g_getenv ("FIRSTLINE_CLI");
  g_autofree char *cli_cache = g_build_filename (f->dir, "jana.db", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char *id;

  g_assert_nonnull (cli);
  run_command ("janapass\n", cli, "--cache", cli_cache, "login", f->server->url, "jana", NULL);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, cli, "--cache", cli_cache,
                           "new", "--title", "Drucker 3. OG offline", "--category", "printer",
                           "--requester", "Paul Becker", "--requester.location", "3. OG", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  id = g_strstrip (g_strdup (out));
  g_assert_true (fl_uuid_is_valid (id));

  if (out_start != NULL)
    *out_start = g_get_monotonic_time ();
  run_command (NULL, cli, "--cache", cli_cache, "sync", NULL);
  return id;
}

/* A ticket made in this cache reaches the server and gets its number. */
static void
test_created_ticket_syncs (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;

  open_idle (&f);
  created = create_synced (&f);
  t = fl_store_get_ticket (f.store, created->id, NULL);
  g_assert_cmpint (t->number, >, 0);
  g_assert_cmpuint (t->pending, ==, 0);
  fixture_close (&f);
}

/* Found by search as you type, and shown when selected. */
static void
test_search_finds_ticket (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;

  open_idle (&f);
  created = create_synced (&f);
  search_and_select (&f, created);
  fixture_close (&f);
}

/* win.claim assigns the selected ticket to me and starts it. */
static void
test_claim (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;

  open_idle (&f);
  created = create_synced (&f);
  search_and_select (&f, created);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.claim", NULL);
  t = fl_store_get_ticket (f.store, created->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (t->assignee, ==, "alex");
  g_assert_cmpint (t->status, ==, FL_STATUS_IN_PROGRESS);
  fixture_close (&f);
}

/* A note written in the composer is sent, and the draft is gone. */
static void
test_send_note (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  FlTicketDetail *detail;

  open_idle (&f);
  created = create_synced (&f);
  detail = search_and_select (&f, created);

  fl_ticket_detail_set_draft (detail, "Profil neu angelegt, PST eingebunden 📎");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (detail), "ticket.send-note", NULL));
  {
    g_autofree char *left = fl_ticket_detail_dup_draft (detail);
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, created->id, NULL);
    FlEvent *last = g_ptr_array_index (events, events->len - 1);

    g_assert_cmpstr (left, ==, "");
    g_assert_cmpint (last->type, ==, FL_OP_NOTE);
    g_assert_cmpstr (json_object_get_string_member (last->data, "body"), ==,
                     "Profil neu angelegt, PST eingebunden 📎");
    g_assert_cmpuint (fl_ticket_detail_get_n_timeline_rows (detail), ==, events->len);
  }
  fixture_close (&f);
}

/* Resolve through the dialog: a summary is needed; the server gets it. */
static void
test_resolve_dialog (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  open_idle (&f);
  created = create_synced (&f);
  search_and_select (&f, created);

  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.resolve", NULL);
  fl_test_spin_until (dialog_shown, NULL, 5);
  dialog = ADW_MESSAGE_DIALOG (fl_test_find_message_dialog ());
  entry = find_widget (adw_message_dialog_get_extra_child (dialog), GTK_TYPE_TEXT_VIEW);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (entry)), "Outlook-Profil neu erstellt", -1);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  adw_message_dialog_response (dialog, "resolve");
  t = fl_store_get_ticket (f.store, created->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->status, ==, FL_STATUS_RESOLVED);
  g_assert_cmpint (t->resolution_code, ==, FL_RESOLUTION_FIRST_CONTACT);
  g_assert_cmpstr (t->resolution_summary, ==, "Outlook-Profil neu erstellt");
  fl_test_spin_until (engine_idle, &f, 20);
  fixture_close (&f);
}

/* Another agent's ticket, made with firstline-cli, shows up by itself and soon. */
static void
test_other_client_ticket_appears (void)
{
  Fixture f = { 0 };
  g_autofree char *cli_id = NULL;
  Wait w = { &f, NULL, 0 };
  gint64 start = 0;
  double seconds;

  open_idle (&f);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.view", "s", "incoming");
  cli_id = cli_create (&f, &start);
  w.id = cli_id;
  fl_test_spin_until (ticket_in_list, &w, 10);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("another client's ticket appeared after %.2f s (including the CLI's sync)", seconds);
  g_assert_cmpfloat (seconds, <, 5.0 * fl_test_slowdown ());
  fixture_close (&f);
}

/* A new, incoming ticket of someone else is announced; one of our own is not. */
static void
test_new_ticket_notification (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) arrived = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cli_id = NULL;
  FlStoreChange change = { NULL, NULL };
  GPtrArray *as_changes = g_ptr_array_new ();
  Wait w = { &f, NULL, 0 };

  open_idle (&f);
  created = create_synced (&f);
  cli_id = cli_create (&f, NULL);
  w.id = cli_id;
  fl_test_spin_until (ticket_synced, &w, 10);

  arrived = fl_store_get_ticket (f.store, cli_id, &error);
  g_assert_no_error (error);
  change.new_ticket = arrived;
  g_ptr_array_add (as_changes, &change);
  fl_application_set_context (f.app, f.context);
  g_assert_cmpuint (fl_application_notify_new_tickets (f.app, as_changes), ==, 1);
  g_assert_nonnull (strstr (fl_application_get_last_notification (f.app), "Drucker 3. OG offline"));
  g_assert_nonnull (strstr (fl_application_get_last_notification (f.app), "Paul Becker"));

  change.new_ticket = created;
  g_assert_cmpuint (fl_application_notify_new_tickets (f.app, as_changes), ==, 0);
  g_ptr_array_unref (as_changes);
  fixture_close (&f);
}

/* Presence: jana opens the ticket alex looks at and starts typing; alex sees it
 * in the detail's banner, through the server and the open long poll. */
static void
test_presence_banner (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *jana_path = NULL;
  g_autoptr(FlStore) jana_store = NULL;
  g_autoptr(FlSyncEngine) jana = NULL;
  FlTicketDetail *detail;
  gboolean done = FALSE;
  Wait w = { &f, NULL, 0 };

  open_idle (&f);
  created = create_synced (&f);
  detail = search_and_select (&f, created);

  jana_path = g_build_filename (f.dir, "jana-engine.db", NULL);
  jana_store = fl_store_new (jana_path, &error);
  g_assert_no_error (error);
  jana = fl_sync_engine_new (jana_store);
  fl_sync_engine_login_async (jana, f.server->url, "jana", "janapass", NULL, login_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);

  g_assert_cmpstr (fl_ticket_detail_get_ticket (detail)->id, ==, created->id);
  fl_sync_engine_set_viewing (jana, created->id, TRUE);
  done = FALSE;
  fl_sync_engine_sync_async (jana, 0, NULL, sync_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);

  w.id = "jana is typing in this ticket.";
  fl_test_spin_until (presence_shown, &w, 10);
  fixture_close (&f);
}

/* A conflict: jana retitles the ticket while alex, not syncing, does too. The
 * dialog shows both sides; alex keeps his, and the server ends with it. */
static void
test_conflict_keep_mine (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *cli_id = NULL;
  g_autofree char *jana_path = NULL;
  g_autoptr(FlStore) jana_store = NULL;
  g_autoptr(FlSyncEngine) jana = NULL;
  g_autoptr(JsonObject) theirs = json_object_new ();
  g_autoptr(JsonObject) mine = json_object_new ();
  g_autoptr(FlTicket) changed = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  g_autofree char *url = NULL;
  FlConflictsDialog *conflicts;
  GtkWidget *keep_mine;
  gboolean done = FALSE;
  guint status = 0;
  Wait w = { &f, NULL, 0 };

  open_idle (&f);
  cli_id = cli_create (&f, NULL);
  w.id = cli_id;
  fl_test_spin_until (ticket_synced, &w, 10);

  /* jana's engine, logged in with her password */
  jana_path = g_build_filename (f.dir, "jana-engine.db", NULL);
  jana_store = fl_store_new (jana_path, &error);
  g_assert_no_error (error);
  jana = fl_sync_engine_new (jana_store);
  fl_sync_engine_login_async (jana, f.server->url, "jana", "janapass", NULL, login_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);
  done = FALSE;
  fl_sync_engine_sync_async (jana, 0, NULL, sync_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);

  /* alex, not syncing, changes the title; so does jana, who syncs at once */
  fl_sync_engine_stop (fl_context_get_sync_engine (f.context));
  json_object_set_string_member (mine, "title", "Drucker 3. OG: Fixierer defekt");
  changed = fl_store_update_ticket (f.store, cli_id, mine, &error);
  g_assert_no_error (error);
  g_clear_object (&changed);

  json_object_set_string_member (theirs, "title", "Drucker 3. OG: Papierstau Fach 2");
  changed = fl_store_update_ticket (jana_store, cli_id, theirs, &error);
  g_assert_no_error (error);
  g_clear_object (&changed);
  done = FALSE;
  fl_sync_engine_sync_async (jana, 0, NULL, sync_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);

  fl_sync_engine_start (fl_context_get_sync_engine (f.context));
  fl_test_spin_until (has_conflict, &f, 20);

  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.show-conflicts", NULL);
  conflicts = FL_CONFLICTS_DIALOG (find_toplevel (FL_TYPE_CONFLICTS_DIALOG));
  g_assert_nonnull (conflicts);
  g_assert_cmpuint (fl_conflicts_dialog_get_n_items (conflicts), ==, 1);
  g_assert_nonnull (find_label (GTK_WIDGET (conflicts), "Drucker 3. OG: Papierstau Fach 2"));
  g_assert_nonnull (find_label (GTK_WIDGET (conflicts), "Drucker 3. OG: Fixierer defekt"));
  keep_mine = find_button (GTK_WIDGET (conflicts), "Keep _Mine");
  g_assert_nonnull (keep_mine);
  g_signal_emit_by_name (keep_mine, "clicked");
  g_assert_cmpuint (fl_conflicts_dialog_get_n_items (conflicts), ==, 0);
  g_assert_cmpuint (fl_store_count_conflicts (f.store), ==, 0);
  gtk_window_destroy (GTK_WINDOW (conflicts));

  fl_test_spin_until (engine_idle, &f, 20);
  url = g_strdup_printf ("%s/api/v1/tickets/%s", f.server->url, cli_id);
  on_server = fl_test_http ("GET", url, jana_token (jana_store, f.server->url), NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (on_server), "ticket"), "title"),
                   ==, "Drucker 3. OG: Fixierer defekt");
  fixture_close (&f);
}

/* Offline: the change waits in the outbox and the indicator says so. */
static void
go_offline_with_a_note (Fixture *f)
{
  g_autoptr(FlTicket) created = create_synced (f);
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { f, "Offline · 1 unsent", 0 };

  fl_test_server_kill (f->server);
  fl_test_spin_until (engine_offline, f, 30);
  t = fl_store_add_note (f->store, created->id, "Toner getauscht, warte auf Rückmeldung", TRUE,
                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fl_store_count_pending_ops (f->store), ==, 1);
  fl_test_spin_until (indicator_settled, &w, 5);
}

static void
test_offline_outbox (void)
{
  Fixture f = { 0 };

  open_idle (&f);
  go_offline_with_a_note (&f);
  /* the server comes back before the fixture goes, so nothing waits on a dead peer */
  fl_test_server_restart (f.server);
  fixture_close (&f);
}

/* Back online: "Sync now", and the counter returns to 0. */
static void
test_back_online (void)
{
  Fixture f = { 0 };
  Wait w = { &f, "Online", 0 };

  open_idle (&f);
  go_offline_with_a_note (&f);
  fl_test_server_restart (f.server);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.sync-now", NULL);
  fl_test_spin_until (engine_idle, &f, 30);
  fl_test_spin_until (indicator_settled, &w, 5);
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/agent/created-ticket-syncs", test_created_ticket_syncs);
  g_test_add_func ("/agent/search-finds-ticket", test_search_finds_ticket);
  g_test_add_func ("/agent/claim", test_claim);
  g_test_add_func ("/agent/send-note", test_send_note);
  g_test_add_func ("/agent/resolve-dialog", test_resolve_dialog);
  g_test_add_func ("/agent/other-client-ticket-appears", test_other_client_ticket_appears);
  g_test_add_func ("/agent/new-ticket-notification", test_new_ticket_notification);
  g_test_add_func ("/agent/presence-banner", test_presence_banner);
  g_test_add_func ("/agent/conflict-keep-mine", test_conflict_keep_mine);
  g_test_add_func ("/agent/offline-outbox", test_offline_outbox);
  g_test_add_func ("/agent/back-online", test_back_online);

  return g_test_run ();
}
