/* test-ticket-tools.c — assign, edit and wait in the real window, against the real server
 *
 * Under Xvfb and in German, each test logged in to its own firstline-server on
 * 127.0.0.1 (port 0): pass a claimed ticket to a colleague chosen from the
 * server's users; edit a ticket after intake (priority and due time follow);
 * set it waiting with a reason and a follow-up time, and see it come back.
 *
 * With FIRSTLINE_SCREENSHOT_DIR set, saves the dialogs there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "fl-application.h"
#include "fl-handoff-dialog.h"
#include "fl-store-actions.h"
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
  FlTicketDetail *detail;
} Fixture;

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

static gboolean
engine_idle (gpointer data)
{
  Fixture *f = data;
  FlSyncEngine *engine = fl_context_get_sync_engine (f->context);

  return fl_sync_engine_get_state (engine) == FL_SYNC_STATE_IDLE &&
         fl_store_count_pending_ops (f->store) == 0;
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
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

/* The window as @username (role @role on the server, which also knows the team). */
static void
fixture_open (Fixture    *f,
              const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *password = g_strconcat (username, "pass", NULL);
  gboolean logged_in = FALSE;

  f->dir = g_dir_make_tmp ("firstline-tools-XXXXXX", &error);
  g_assert_no_error (error);
  f->server_dir = g_build_filename (f->dir, "server", NULL);
  config = g_build_filename (f->dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);

  fl_test_add_user (f->server_dir, "alex", "agent", "alexpass");
  fl_test_add_user (f->server_dir, "jana", "agent", "janapass");
  fl_test_add_user (f->server_dir, "sam", "specialist", "sampass");
  fl_test_add_user (f->server_dir, "lee", "lead", "leepass");
  f->server = fl_test_server_start (f->server_dir);

  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);

  fl_sync_engine_login_async (fl_context_get_sync_engine (f->context), f->server->url, username,
                              password, NULL, login_done_cb, &logged_in);
  fl_test_spin_until (fl_test_flag_is_set, &logged_in, 20);
  g_test_message ("logged in as %s", username);
  fl_sync_engine_start (fl_context_get_sync_engine (f->context));

  f->app = g_object_new (FL_TYPE_APPLICATION,
                         "application-id", "io.github.firstline.FirstlineToolsTest",
                         "flags", G_APPLICATION_NON_UNIQUE,
                         NULL);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  f->window = fl_window_new (f->app, f->context);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (f->window));
  f->detail = FL_TICKET_DETAIL (find_widget (GTK_WIDGET (f->window), FL_TYPE_TICKET_DETAIL));
  g_assert_nonnull (f->detail);
  fl_test_spin_until (engine_idle, f, 20);
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
  fl_test_rm_rf (f->dir);
  g_free (f->server_dir);
  g_free (f->dir);
}

static gboolean
ticket_synced (gpointer data)
{
  void **args = data;
  g_autoptr(FlTicket) t = fl_store_get_ticket (args[0], args[1], NULL);

  return t != NULL && t->number > 0 && t->pending == 0;
}

/* A ticket made in this cache, once the server has it, shown in the detail (transfer full). */
static FlTicket *
create_shown (Fixture    *f,
              const char *impact,
              const char *urgency)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *requester = json_object_new ();
  g_autoptr(GError) error = NULL;
  FlTicket *created;
  void *args[2];

  json_object_set_string_member (fields, "title", "Outlook startet nicht");
  json_object_set_string_member (fields, "description", "Seit dem Update heute früh.");
  json_object_set_string_member (requester, "name", "Jana Krüger");
  json_object_set_string_member (requester, "phone", "+49 30 1234");
  json_object_set_string_member (requester, "email", "jana.krueger@example.com");
  json_object_set_object_member (fields, "requester", requester);
  json_object_set_string_member (fields, "category", "email");
  json_object_set_string_member (fields, "channel", "phone");
  json_object_set_string_member (fields, "impact", impact);
  json_object_set_string_member (fields, "urgency", urgency);
  created = fl_store_create_ticket (f->store, fields, &error);
  g_assert_no_error (error);
  args[0] = f->store;
  args[1] = created->id;
  g_test_message ("created %s", created->id);
  fl_test_spin_until (ticket_synced, args, 20);
  g_test_message ("synced");

  fl_ticket_detail_set_ticket (f->detail, created);
  fl_test_spin_until_idle ();
  g_assert_cmpstr (fl_ticket_detail_get_ticket (f->detail)->id, ==, created->id);
  return created;
}

static FlTicket *
get_ticket (Fixture    *f,
            const char *id)
{
  g_autoptr(GError) error = NULL;
  FlTicket *t = fl_store_get_ticket (f->store, id, &error);

  g_assert_no_error (error);
  return t;
}

/* The ticket as the server has it, read by the lead over HTTP. */
static JsonNode *
server_ticket (Fixture    *f,
               const char *id)
{
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *token = fl_test_http_login (session, f->server->url, "lee", "leepass");
  g_autofree char *url = g_strdup_printf ("%s/api/v1/tickets/%s", f->server->url, id);
  guint status = 0;
  JsonNode *node = fl_test_http_full (session, "GET", url, token, NULL, &status, NULL);

  g_assert_cmpuint (status, ==, 200);
  return node;
}

static const char *
ticket_member (JsonNode   *node,
               const char *member)
{
  JsonObject *t = json_object_get_object_member (json_node_get_object (node), "ticket");

  if (json_object_get_null_member (t, member))
    return NULL;
  return json_object_get_string_member (t, member);
}

static gboolean
has_conflict (gpointer data)
{
  Fixture *f = data;

  return fl_store_count_conflicts (f->store) == 1;
}

static gboolean
dialog_shown (gpointer data)
{
  return fl_test_find_message_dialog () != NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  GtkWidget *d = fl_test_find_message_dialog ();

  if (d != NULL && d != data)
    g_error ("another dialog: %s: %s", adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (d)),
             adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (d)));
  return d == NULL;
}

static gboolean
users_loaded (gpointer data)
{
  return g_object_get_data (data, "fl-users-loaded") != NULL;
}

static AdwMessageDialog *
open_dialog (Fixture    *f,
             const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->detail), action, NULL));
  fl_test_spin_until (dialog_shown, NULL, 5);
  g_test_message ("dialog %s shown", action);
  return ADW_MESSAGE_DIALOG (fl_test_find_message_dialog ());
}

/* Whether the detail offers @button_name: shown, and its action enabled. */
static gboolean
action_enabled (Fixture    *f,
                const char *button_name)
{
  GObject *button = gtk_widget_get_template_child (GTK_WIDGET (f->detail), FL_TYPE_TICKET_DETAIL,
                                                   button_name);

  g_assert_nonnull (button);
  fl_test_spin_until_idle ();
  return gtk_widget_get_visible (GTK_WIDGET (button)) &&
         gtk_widget_is_sensitive (GTK_WIDGET (button));
}

/* -------------------------------------------------------------------------- */

/* An agent passes a ticket they claimed to a colleague, chosen from the server's users. */
static void
test_assign_pass_on (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  AdwMessageDialog *dialog;
  GtkDropDown *users;
  GListModel *labels;
  guint jana = G_MAXUINT;

  fixture_open (&f, "alex");
  created = create_shown (&f, "medium", "medium");

  /* Not alex's ticket yet: an agent may not assign it */
  g_assert_false (action_enabled (&f, "assign_button"));

  g_test_message ("claim");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.detail), "ticket.claim", NULL));
  t = get_ticket (&f, created->id);
  g_assert_cmpstr (t->assignee, ==, "alex");
  g_clear_object (&t);
  fl_test_spin_until (engine_idle, &f, 20);
  g_test_message ("claimed");

  dialog = open_dialog (&f, "ticket.assign");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Ticket zuweisen");
  fl_test_spin_until (users_loaded, dialog, 40);
  g_test_message ("users loaded");
  users = GTK_DROP_DOWN (find_widget (adw_message_dialog_get_extra_child (dialog),
                                      GTK_TYPE_DROP_DOWN));
  labels = gtk_drop_down_get_model (users);
  /* The team without alex himself, with display names and roles */
  g_assert_cmpuint (g_list_model_get_n_items (labels), ==, 3);
  for (guint i = 0; i < g_list_model_get_n_items (labels); i++)
    {
      const char *label = gtk_string_list_get_string (GTK_STRING_LIST (labels), i);

      g_assert_null (strstr (label, "(alex)"));
      if (strstr (label, "(jana)") != NULL)
        {
          jana = i;
          g_assert_nonnull (strstr (label, "1. Level"));
        }
    }
  g_assert_cmpuint (jana, !=, G_MAXUINT);
  gtk_drop_down_set_selected (users, jana);
  fl_test_save_screenshot (GTK_WIDGET (dialog), "assign-dialog.png");
  adw_message_dialog_response (dialog, "assign");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);

  t = get_ticket (&f, created->id);
  g_assert_cmpstr (t->assignee, ==, "jana");
  fl_test_spin_until (engine_idle, &f, 20);
  on_server = server_ticket (&f, created->id);
  g_assert_cmpstr (ticket_member (on_server, "assignee"), ==, "jana");

  /* Passed on: alex cannot assign it again */
  g_assert_false (action_enabled (&f, "assign_button"));
  fixture_close (&f);
}

/* A lead assigns an unassigned ticket to anyone, and can take it back to nobody. */
static void
test_assign_lead (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  AdwMessageDialog *dialog;
  GtkDropDown *users;
  GListModel *labels;
  guint sam = G_MAXUINT;

  fixture_open (&f, "lee");
  created = create_shown (&f, "low", "low");

  dialog = open_dialog (&f, "ticket.assign");
  fl_test_spin_until (users_loaded, dialog, 10);
  users = GTK_DROP_DOWN (find_widget (adw_message_dialog_get_extra_child (dialog),
                                      GTK_TYPE_DROP_DOWN));
  labels = gtk_drop_down_get_model (users);
  /* everyone, the lead too */
  g_assert_cmpuint (g_list_model_get_n_items (labels), ==, 4);
  for (guint i = 0; i < g_list_model_get_n_items (labels); i++)
    if (strstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), i), "(sam)"))
      sam = i;
  g_assert_cmpuint (sam, !=, G_MAXUINT);
  gtk_drop_down_set_selected (users, sam);
  adw_message_dialog_response (dialog, "assign");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);
  t = get_ticket (&f, created->id);
  g_assert_cmpstr (t->assignee, ==, "sam");
  fl_test_spin_until (engine_idle, &f, 20);

  /* Back to nobody: the first entry */
  dialog = open_dialog (&f, "ticket.assign");
  users = GTK_DROP_DOWN (find_widget (adw_message_dialog_get_extra_child (dialog),
                                      GTK_TYPE_DROP_DOWN));
  g_assert_nonnull (strstr (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (users)), 0),
                            "Niemand"));
  gtk_drop_down_set_selected (users, 0);
  adw_message_dialog_response (dialog, "assign");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);
  t2 = get_ticket (&f, created->id);
  g_assert_null (t2->assignee);
  fl_test_spin_until (engine_idle, &f, 20);
  on_server = server_ticket (&f, created->id);
  g_assert_null (ticket_member (on_server, "assignee"));
  fixture_close (&f);
}

static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
dialog_row (AdwMessageDialog *dialog,
            const char       *title)
{
  GtkWidget *row = find_row (adw_message_dialog_get_extra_child (dialog), title);

  if (row == NULL)
    g_error ("no row “%s” in the dialog", title);
  return row;
}

static GtkWidget *
find_label_with (GtkWidget  *root,
                 const char *part)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root) &&
      strstr (gtk_label_get_text (GTK_LABEL (root)), part) != NULL)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with (child, part);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static JsonObject *
ticket_object (JsonNode *node)
{
  return json_object_get_object_member (json_node_get_object (node), "ticket");
}

/* Edit after intake: only the changed fields go out, priority and due time follow. */
static void
test_edit (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  AdwMessageDialog *dialog;
  FlEvent *last;
  JsonObject *changes;

  fixture_open (&f, "alex");
  created = create_shown (&f, "medium", "medium");
  g_assert_cmpint (created->priority, ==, 3);
  g_assert_true (action_enabled (&f, "edit_button"));

  dialog = open_dialog (&f, "ticket.edit");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Ticket bearbeiten");
  /* Nothing changed yet: nothing to save */
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_nonnull (find_label_with (GTK_WIDGET (dialog), "Priorität P3"));

  /* Urgency high: P2, and the due time 16 hours earlier is shown */
  adw_combo_row_set_selected (ADW_COMBO_ROW (dialog_row (dialog, "Dringlichkeit")), FL_GRADE_HIGH);
  g_assert_nonnull (find_label_with (GTK_WIDGET (dialog), "Priorität P2 (vorher P3)"));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "save"));

  /* An empty title is refused in German, and nothing typed is lost */
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Titel")), "  ");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_nonnull (find_label_with (GTK_WIDGET (dialog), "Der Titel darf nicht leer sein."));
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Titel")),
                         "Outlook startet nicht nach dem Update");
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Telefon")), "+49 30 9999");
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Gerät")), "NB-0231");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (dialog_row (dialog, "Dringlichkeit"))),
                    ==, FL_GRADE_HIGH);
  fl_test_save_screenshot (GTK_WIDGET (dialog), "edit-dialog.png");
  adw_message_dialog_response (dialog, "save");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);

  t = get_ticket (&f, created->id);
  g_assert_cmpstr (t->title, ==, "Outlook startet nicht nach dem Update");
  g_assert_cmpstr (t->requester.phone, ==, "+49 30 9999");
  g_assert_cmpstr (t->requester.name, ==, "Jana Krüger");
  g_assert_cmpstr (t->asset, ==, "NB-0231");
  g_assert_cmpint (t->priority, ==, 2);
  g_assert_cmpint (created->due_at - t->due_at, ==, 16 * 3600 * 1000LL);

  /* One update event with exactly the changed fields */
  events = fl_store_list_events (f.store, created->id, &error);
  g_assert_no_error (error);
  last = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpint (last->type, ==, FL_OP_UPDATE);

  fl_test_spin_until (engine_idle, &f, 20);
  on_server = server_ticket (&f, created->id);
  g_assert_cmpint (json_object_get_int_member (ticket_object (on_server), "priority"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (ticket_object (on_server), "urgency"), ==, "high");
  g_assert_cmpstr (json_object_get_string_member (ticket_object (on_server), "impact"), ==, "medium");
  g_assert_cmpstr (json_object_get_string_member (ticket_object (on_server), "asset"), ==, "NB-0231");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket_object (on_server),
                                                                                  "requester"),
                                                  "email"), ==, "jana.krueger@example.com");
  {
    JsonArray *ev = json_object_get_array_member (json_node_get_object (on_server), "events");
    JsonObject *update = json_array_get_object_element (ev, json_array_get_length (ev) - 1);

    g_assert_cmpstr (json_object_get_string_member (update, "type"), ==, "update");
    changes = json_object_get_object_member (json_object_get_object_member (update, "data"), "changes");
    g_assert_true (json_object_has_member (changes, "title"));
    g_assert_true (json_object_has_member (changes, "urgency"));
    g_assert_true (json_object_has_member (changes, "asset"));
    g_assert_false (json_object_has_member (changes, "impact"));
    g_assert_false (json_object_has_member (changes, "category"));
    g_assert_false (json_object_has_member (changes, "description"));
  }
  fixture_close (&f);
}

/* Edited on an old version while a colleague changed the same field: a conflict, not a loss. */
static void
test_edit_conflict (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *token = NULL;
  g_autofree char *body = NULL;
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *client = g_uuid_string_random ();
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) answer = NULL;
  AdwMessageDialog *dialog;
  guint status = 0;

  fixture_open (&f, "alex");
  created = create_shown (&f, "low", "low");
  fl_sync_engine_stop (fl_context_get_sync_engine (f.context));

  /* The lead changes the title meanwhile */
  token = fl_test_http_login (session, f.server->url, "lee", "leepass");
  url = g_strdup_printf ("%s/api/v1/sync", f.server->url);
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":0,\"limit\":1,\"ops\":[{\"op_id\":\"%s\","
                          "\"ticket_id\":\"%s\",\"type\":\"update\",\"base_version\":1,"
                          "\"data\":{\"title\":\"Outlook: Profil defekt\"}}]}",
                          client, op_id, created->id);
  answer = fl_test_http_full (session, "POST", url, token, body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);

  dialog = open_dialog (&f, "ticket.edit");
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Titel")), "Outlook: Update kaputt");
  adw_message_dialog_response (dialog, "save");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);

  fl_sync_engine_start (fl_context_get_sync_engine (f.context));
  fl_test_spin_until (has_conflict, &f, 20);
  fixture_close (&f);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WINDOW (w);
    }

  return NULL;
}

static gboolean
handoff_shown (gpointer data)
{
  return find_toplevel (FL_TYPE_HANDOFF_DIALOG) != NULL;
}

static GtkWidget *
handoff_child (GtkWindow  *dialog,
               const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (dialog), FL_TYPE_HANDOFF_DIALOG, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
handoff_error (GtkWindow  *dialog,
               const char *label)
{
  GtkWidget *w = handoff_child (dialog, label);

  return gtk_widget_get_visible (w) ? gtk_label_get_text (GTK_LABEL (w)) : NULL;
}

static char *
dup_buffer_text (GtkWidget *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The handoff form's rules: a step tried, more than the title, a way to reach the user. */
static void
test_handoff_rules (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  g_autofree char *steps = NULL;
  GtkWindow *dialog;
  GtkWidget *summary;
  GtkWidget *contact;
  guint pending;

  fixture_open (&f, "alex");
  created = create_shown (&f, "medium", "high");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.detail), "ticket.handoff", NULL));
  fl_test_spin_until (handoff_shown, NULL, 5);
  dialog = find_toplevel (FL_TYPE_HANDOFF_DIALOG);
  summary = handoff_child (dialog, "summary_row");
  contact = handoff_child (dialog, "contact_row");

  /* Prefilled: the title with the description, the requester's phone and e-mail */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (summary)), ==,
                   "Outlook startet nicht: Seit dem Update heute früh.");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (contact)), ==,
                   "+49 30 1234, jana.krueger@example.com");
  adw_combo_row_set_selected (ADW_COMBO_ROW (handoff_child (dialog, "queue_row")), 0);

  /* Nothing tried: refused, in German */
  pending = fl_store_count_pending_ops (f.store);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "handoff.submit", NULL);
  fl_test_spin_until_idle ();
  g_assert_cmpstr (handoff_error (dialog, "steps_error_label"), ==,
                   "Geben Sie mindestens einen bereits versuchten Schritt ein, einen pro Zeile.");
  g_assert_null (handoff_error (dialog, "summary_error_label"));
  g_assert_null (handoff_error (dialog, "contact_error_label"));

  /* Only the title as summary, and no contact: refused too, and what was typed stays */
  gtk_editable_set_text (GTK_EDITABLE (summary), "outlook startet nicht.");
  gtk_editable_set_text (GTK_EDITABLE (contact), "  ");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (handoff_child (dialog, "steps_view"))),
                            "Outlook im abgesicherten Modus gestartet\nNeues Profil angelegt", -1);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "handoff.submit", NULL);
  fl_test_spin_until_idle ();
  g_assert_cmpstr (handoff_error (dialog, "summary_error_label"), ==,
                   "Schreiben Sie mehr als den Titel: was passiert, seit wann, was die Person braucht.");
  g_assert_cmpstr (handoff_error (dialog, "contact_error_label"), ==,
                   "Wie erreicht der 2nd Level die Person? Geben Sie eine Telefonnummer oder eine "
                   "E-Mail-Adresse ein.");
  g_assert_null (handoff_error (dialog, "steps_error_label"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (summary)), ==, "outlook startet nicht.");
  steps = dup_buffer_text (handoff_child (dialog, "steps_view"));
  g_assert_cmpstr (steps, ==, "Outlook im abgesicherten Modus gestartet\nNeues Profil angelegt");
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, pending);
  fl_test_save_screenshot (GTK_WIDGET (dialog), "handoff-refused.png");

  gtk_editable_set_text (GTK_EDITABLE (summary), "Outlook stürzt seit dem Update beim Start ab");
  gtk_editable_set_text (GTK_EDITABLE (contact), "+49 30 1234 (bis 16 Uhr)");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "handoff.submit", NULL);
  fl_test_spin_until_idle ();
  g_assert_null (find_toplevel (FL_TYPE_HANDOFF_DIALOG));

  t = get_ticket (&f, created->id);
  g_assert_cmpint (t->status, ==, FL_STATUS_ESCALATED);
  fl_test_spin_until (engine_idle, &f, 20);
  on_server = server_ticket (&f, created->id);
  {
    JsonArray *ev = json_object_get_array_member (json_node_get_object (on_server), "events");
    JsonObject *handoff = json_array_get_object_element (ev, json_array_get_length (ev) - 1);
    JsonObject *data = json_object_get_object_member (handoff, "data");

    g_assert_cmpstr (json_object_get_string_member (handoff, "type"), ==, "handoff");
    g_assert_cmpstr (json_object_get_string_member (data, "contact"), ==, "+49 30 1234 (bis 16 Uhr)");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data, "steps_tried")), ==, 2);
  }
  fixture_close (&f);
}

static const char *
first_in_list (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (fl_window_get_list_model (f->window));
  static char *id;
  FlTicket *t;

  g_clear_pointer (&id, g_free);
  if (g_list_model_get_n_items (model) == 0)
    return NULL;
  t = g_list_model_get_item (model, 0);
  id = g_strdup (t->id);
  g_object_unref (t);
  return id;
}

typedef struct
{
  Fixture    *f;
  const char *id;
} First;

static gboolean
is_first (gpointer data)
{
  First *w = data;

  return g_strcmp0 (first_in_list (w->f), w->id) == 0;
}

static gboolean
notified (gpointer data)
{
  Fixture *f = data;

  return fl_application_get_last_notification (f->app) != NULL;
}

/* Waiting with a reason and a follow-up time; when it passes, the ticket is back. */
static void
test_wait_follow_up (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) urgent = NULL;
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(FlTicket) soon = NULL;
  g_autoptr(JsonNode) on_server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) in_two_hours = g_date_time_add_hours (now, 2);
  g_autofree char *typed = g_date_time_format (in_two_hours, "%d.%m. %H:%M");
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autofree char *soon_text = NULL;
  First first = { &f, NULL };
  AdwMessageDialog *dialog;
  GtkWidget *time_row;

  fixture_open (&f, "alex");
  fl_application_set_context (f.app, f.context);
  urgent = create_shown (&f, "high", "high");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.detail), "ticket.claim", NULL));
  created = create_shown (&f, "low", "low");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.detail), "ticket.claim", NULL));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.view", "s", "mine");
  first.id = urgent->id;
  fl_test_spin_until (is_first, &first, 5);

  dialog = open_dialog (&f, "ticket.wait");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Wartet");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dialog_row (dialog, "Wartet auf"))), ==,
                   "den Rückruf der Person");
  gtk_editable_set_text (GTK_EDITABLE (dialog_row (dialog, "Wartet auf")),
                         "Rückruf der Nutzerin");
  time_row = dialog_row (dialog, "Wieder ansehen um");
  gtk_editable_set_text (GTK_EDITABLE (time_row), "25:99");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "wait"));
  g_assert_nonnull (find_label_with (GTK_WIDGET (dialog), "Geben Sie die Uhrzeit wie 14:00"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (time_row)), ==, "25:99");
  gtk_editable_set_text (GTK_EDITABLE (time_row), typed);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "wait"));
  fl_test_save_screenshot (GTK_WIDGET (dialog), "wait-dialog.png");
  adw_message_dialog_response (dialog, "wait");
  gtk_window_close (GTK_WINDOW (dialog));
  fl_test_spin_until (dialog_gone, dialog, 5);

  t = get_ticket (&f, created->id);
  g_assert_cmpint (t->status, ==, FL_STATUS_WAITING);
  g_assert_cmpstr (t->waiting_reason, ==, "Rückruf der Nutzerin");
  g_assert_cmpint (t->follow_up_at / 60000, ==, g_date_time_to_unix (in_two_hours) / 60);
  g_assert_false (t->follow_up_due);
  fl_test_spin_until (engine_idle, &f, 20);
  on_server = server_ticket (&f, created->id);
  g_assert_cmpstr (ticket_member (on_server, "waiting_reason"), ==, "Rückruf der Nutzerin");
  g_assert_nonnull (ticket_member (on_server, "follow_up_at"));
  /* Not due yet: the P1 stays first, no reminder */
  g_assert_cmpstr (first_in_list (&f), ==, urgent->id);
  g_assert_null (fl_application_get_last_notification (f.app));

  /* The callback is moved to in a moment (the same op the dialog sends) */
  soon_text = fl_time_format (fl_time_now () + 1500);
  json_object_set_string_member (changes, "follow_up_at", soon_text);
  soon = fl_store_update_ticket (f.store, created->id, changes, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first_in_list (&f), ==, urgent->id);

  /* The time passes: a notification, and the ticket is first in Mine */
  fl_test_spin_until (notified, &f, 10);
  g_assert_nonnull (strstr (fl_application_get_last_notification (f.app), "Rückruf der Nutzerin"));
  g_assert_nonnull (strstr (fl_application_get_last_notification (f.app), "Outlook startet nicht"));
  first.id = created->id;
  fl_test_spin_until (is_first, &first, 5);
  g_clear_object (&t);
  t = get_ticket (&f, created->id);
  g_assert_true (t->follow_up_due);
  fl_test_save_screenshot (GTK_WIDGET (f.window), "follow-up-due.png");

  /* Resumed: the reminder ends, back in priority order */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.detail), "ticket.resume", NULL));
  first.id = urgent->id;
  fl_test_spin_until (is_first, &first, 5);
  g_clear_object (&t);
  t = get_ticket (&f, created->id);
  g_assert_null (t->waiting_reason);
  g_assert_cmpint (t->follow_up_at, ==, 0);
  fl_test_spin_until (engine_idle, &f, 20);
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *localedir = g_build_filename (g_getenv ("FIRSTLINE_BUILD_DIR"), "po", NULL);

  /* In German, like many of the agents */
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  fl_test_add_func ("/ticket-tools/assign/pass-on", test_assign_pass_on);
  fl_test_add_func ("/ticket-tools/assign/lead", test_assign_lead);
  fl_test_add_func ("/ticket-tools/edit/save", test_edit);
  fl_test_add_func ("/ticket-tools/edit/conflict", test_edit_conflict);
  fl_test_add_func ("/ticket-tools/handoff/rules", test_handoff_rules);
  fl_test_add_func ("/ticket-tools/wait/follow-up", test_wait_follow_up);

  return g_test_run ();
}
