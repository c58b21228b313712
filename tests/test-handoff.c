/* test-handoff.c — the handoff form, from the checklist to the real server, under Xvfb
 *
 * Walks the password reset through the pane's buttons to "escalate", opens the
 * handoff dialog from the pane's signal, checks what it prefilled, is refused
 * without a summary, hands off, and syncs to a real firstline-server (env
 * FIRSTLINE_SERVER, 127.0.0.1 port 0) where the ticket must be escalated with the
 * steps tried.
 *
 * With FIRSTLINE_SCREENSHOT_DIR set, saves handoff.png there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <locale.h>

#include "fl-checklist-pane.h"
#include "fl-handoff-dialog.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"

typedef struct
{
  char            *dir;
  char            *server_dir;
  FlTestServer    *server;
  FlStore         *store;
  FlContext       *context;
  GtkWidget       *window;
  FlChecklistPane *pane;
  FlHandoffDialog *dialog;       /* weak */
  char            *queue;        /* from escalate-requested */
  FlTicket        *handed_off;
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
fixture_open (Fixture  *f,
              gboolean  with_server)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *checklists = g_build_filename (SOURCE_DATADIR, "checklists", NULL);
  GtkWidget *box;

  g_setenv ("FIRSTLINE_CHECKLIST_DIR", checklists, TRUE);
  f->dir = g_dir_make_tmp ("firstline-handoff-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);

  if (with_server)
    {
      gboolean logged_in = FALSE;

      f->server_dir = g_build_filename (f->dir, "server", NULL);
      fl_test_add_user (f->server_dir, "alex", "agent", "alex-secret");
      f->server = fl_test_server_start (f->server_dir);
      fl_sync_engine_login_async (fl_context_get_sync_engine (f->context), f->server->url,
                                  "alex", "alex-secret", NULL, login_done_cb, &logged_in);
      fl_test_spin_until (fl_test_flag_is_set, &logged_in, 30);
      g_assert_cmpstr (fl_store_get_username (f->store), ==, "alex");
    }
  else
    {
      fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
      g_assert_no_error (error);
    }

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 760);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_append (GTK_BOX (box), gtk_label_new ("Ticket"));
  f->pane = FL_CHECKLIST_PANE (fl_checklist_pane_new (f->context));
  gtk_widget_set_hexpand (GTK_WIDGET (f->pane), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->pane));
  gtk_window_set_child (GTK_WINDOW (f->window), box);
  fl_test_present (GTK_WINDOW (f->window));
}

static void
fixture_close (Fixture *f)
{
  if (f->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (f->dialog));
  gtk_window_destroy (GTK_WINDOW (f->window));
  fl_test_spin_until_idle ();
  if (f->server != NULL)
    fl_test_server_stop (f->server);
  g_clear_pointer (&f->server, fl_test_server_free);
  g_clear_object (&f->handed_off);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  fl_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->server_dir);
  g_free (f->queue);
}

static FlTicket *
create_ticket (Fixture *f)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) created = NULL;
  JsonObject *requester = json_object_new ();
  FlTicket *ticket;

  json_object_set_string_member (fields, "title", "Cannot log in after holiday");
  json_object_set_string_member (requester, "name", "Jana Krüger");
  json_object_set_string_member (requester, "phone", "+49 30 1234-567");
  json_object_set_string_member (requester, "email", "jana.krueger@example.com");
  json_object_set_object_member (fields, "requester", requester);
  json_object_set_string_member (fields, "channel", "phone");
  json_object_set_string_member (fields, "category", "password");
  json_object_set_string_member (fields, "impact", "high");
  json_object_set_string_member (fields, "urgency", "low");
  created = fl_store_create_ticket (f->store, fields, &error);
  g_assert_no_error (error);
  ticket = fl_store_claim (f->store, created->id, &error);
  g_assert_no_error (error);
  return ticket;
}

static GtkWidget *
pane_child (Fixture    *f,
            const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (f->pane), FL_TYPE_CHECKLIST_PANE,
                                                   name);
  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static GtkWidget *
dialog_child (Fixture    *f,
              const char *name)
{
  GObject *object;

  g_assert_nonnull (f->dialog);
  object = gtk_widget_get_template_child (GTK_WIDGET (f->dialog), FL_TYPE_HANDOFF_DIALOG, name);
  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static void
click (Fixture    *f,
       const char *name)
{
  GtkWidget *button = pane_child (f, name);

  fl_test_spin_until (fl_test_widget_is_mapped, button, 5);
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static guint
count_events (Fixture    *f,
              const char *ticket_id,
              FlOpType    type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = fl_store_list_events (f->store, ticket_id, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    if (((FlEvent *) g_ptr_array_index (events, i))->type == type)
      n++;
  return n;
}

static void
on_escalate_requested_cb (FlChecklistPane *pane,
                          const char      *queue,
                          Fixture         *f)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (pane));

  g_free (f->queue);
  f->queue = g_strdup (queue);

  /* What the window does with the signal */
  f->dialog = fl_handoff_dialog_new (GTK_WINDOW (root), f->context,
                                     fl_checklist_pane_get_ticket (pane), queue);
  g_object_add_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);
  gtk_window_present (GTK_WINDOW (f->dialog));
}

static void
on_handed_off_cb (FlHandoffDialog *dialog,
                  FlTicket        *ticket,
                  Fixture         *f)
{
  g_set_object (&f->handed_off, ticket);
}

/* The password reset through the pane to "escalate": identity verification fails. */
static void
walk_to_escalate (Fixture  *f,
                  FlTicket *ticket)
{
  gtk_editable_set_text (GTK_EDITABLE (pane_child (f, "input_entry")), "jkrueger");
  click (f, "save_button");
  click (f, "no_button");        /* not enrolled in self-service */
  click (f, "yes_button");       /* a phone number is on file */
  click (f, "failed_button");    /* nobody answered the callback */
  click (f, "failed_button");    /* the manager cannot be reached either */
  g_assert_cmpuint (count_events (f, ticket->id, FL_OP_CHECKLIST), ==, 5);
  g_assert_true (fl_checklist_run_is_finished (fl_checklist_pane_get_run (f->pane)));
  /* the reset was never offered */
  g_assert_null (fl_checklist_run_lookup_record (fl_checklist_pane_get_run (f->pane), "set-otp"));
  click (f, "escalate_button");
  fl_test_spin_until (fl_test_pointer_is_set, &f->dialog, 5);
  g_assert_cmpstr (f->queue, ==, "accounts");
  g_assert_nonnull (f->dialog);
}

static char *
dup_steps_text (Fixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (dialog_child (f, "steps_view")));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_steps_text (Fixture    *f,
                const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (dialog_child (f, "steps_view")));

  gtk_text_buffer_set_text (buffer, text, -1);
}

static const char *
selected_label (Fixture    *f,
                const char *row)
{
  GObject *item = adw_combo_row_get_selected_item (ADW_COMBO_ROW (dialog_child (f, row)));

  g_assert_true (GTK_IS_STRING_OBJECT (item));
  return gtk_string_object_get_string (GTK_STRING_OBJECT (item));
}

/* Whether the dialog's focus is in @row */
static gboolean
focus_in (Fixture    *f,
          const char *row)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (f->dialog));

  return focus != NULL && (focus == dialog_child (f, row) ||
                           gtk_widget_is_ancestor (focus, dialog_child (f, row)));
}

static void
submit (Fixture *f)
{
  gtk_widget_activate_action (GTK_WIDGET (f->dialog), "handoff.submit", NULL);
  fl_test_spin_until_idle ();
}

/* GET a path of the server's API as @username */
static JsonNode *
server_get (Fixture    *f,
            const char *path,
            const char *username,
            const char *password)
{
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *url = g_strconcat (f->server->url, path, NULL);
  g_autofree char *token = fl_test_http_login (session, f->server->url, username, password);
  JsonNode *node;
  guint status = 0;

  node = fl_test_http_full (session, "GET", url, token, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (node);
  return node;
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  fl_sync_engine_sync_finish (FL_SYNC_ENGINE (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* -------------------------------------------------------------------------- */
/* Tests */

static void
test_queues (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;

  fixture_open (&f, FALSE);
  {
    g_auto(GStrv) queues = fl_handoff_dialog_dup_queues (f.store);
    const char *expected[] = { "network", "applications", "hardware", "accounts", NULL };
    g_assert_cmpstrv (queues, expected);
  }

  /* The server's configuration wins; invalid entries are dropped */
  fl_store_set_state (f.store, "queues", "[\"network\", \"security\", 17, \"\", {\"name\": \"dev-ops\"}]",
                      &error);
  g_assert_no_error (error);
  {
    g_auto(GStrv) queues = fl_handoff_dialog_dup_queues (f.store);
    const char *expected[] = { "network", "security", "dev-ops", NULL };
    g_assert_cmpstrv (queues, expected);
  }

  /* Nonsense: the defaults, and the suggested queue is offered even when not configured */
  fl_store_set_state (f.store, "queues", "{\"not\": \"an array\"}", &error);
  g_assert_no_error (error);
  g_test_expect_message ("fl-handoff-dialog", G_LOG_LEVEL_WARNING, "*not a JSON array*");
  {
    g_autoptr(FlTicket) ticket = create_ticket (&f);
    g_auto(GStrv) queues = fl_handoff_dialog_dup_queues (f.store);
    GListModel *model;

    g_assert_cmpuint (g_strv_length (queues), ==, 4);
    g_test_expect_message ("fl-handoff-dialog", G_LOG_LEVEL_WARNING, "*not a JSON array*");
    f.dialog = fl_handoff_dialog_new (GTK_WINDOW (f.window), f.context, ticket, "printing");
    g_object_add_weak_pointer (G_OBJECT (f.dialog), (gpointer *) &f.dialog);
    model = adw_combo_row_get_model (ADW_COMBO_ROW (dialog_child (&f, "queue_row")));
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 5);
    g_assert_cmpstr (selected_label (&f, "queue_row"), ==, "printing");
  }
  g_test_assert_expected_messages ();

  fixture_close (&f);
}

/* Refusals and a failing store keep everything typed */
static void
test_refuse_and_keep (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *steps = NULL;
  guint pending;

  fixture_open (&f, FALSE);
  ticket = create_ticket (&f);

  /* No queue suggested: none chosen; no summary either */
  f.dialog = fl_handoff_dialog_new (GTK_WINDOW (f.window), f.context, ticket, NULL);
  g_object_add_weak_pointer (G_OBJECT (f.dialog), (gpointer *) &f.dialog);
  g_signal_connect (f.dialog, "handed-off", G_CALLBACK (on_handed_off_cb), &f);
  fl_test_present (GTK_WINDOW (f.dialog));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (dialog_child (&f, "queue_row"))), ==,
                    GTK_INVALID_LIST_POSITION);
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (&f, "summary_row")), "   ");
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (&f, "contact_row")), "mornings only, desk phone");
  set_steps_text (&f, "Asked the user to restart\n\nChecked the caps lock key\n");
  pending = fl_store_count_pending_ops (f.store);

  submit (&f);
  g_assert_nonnull (f.dialog);
  g_assert_true (gtk_widget_get_visible (dialog_child (&f, "queue_error_label")));
  g_assert_true (gtk_widget_has_css_class (dialog_child (&f, "queue_row"), "error"));
  g_assert_true (gtk_widget_get_visible (dialog_child (&f, "summary_error_label")));
  g_assert_true (gtk_widget_has_css_class (dialog_child (&f, "summary_row"), "error"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (dialog_child (&f, "summary_error_label"))), ==,
                   "A summary is required: what is the problem?");
  /* focus on the first field to fix */
  g_assert_true (focus_in (&f, "queue_row"));
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, pending);

  /* A queue chosen clears its error; the summary still refused, focus there */
  adw_combo_row_set_selected (ADW_COMBO_ROW (dialog_child (&f, "queue_row")), 1);
  g_assert_false (gtk_widget_get_visible (dialog_child (&f, "queue_error_label")));
  submit (&f);
  g_assert_nonnull (f.dialog);
  g_assert_true (gtk_widget_get_visible (dialog_child (&f, "summary_error_label")));
  g_assert_true (focus_in (&f, "summary_row"));
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, pending);

  /* Typing clears the error */
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (&f, "summary_row")), "Word crashes on start");
  g_assert_false (gtk_widget_get_visible (dialog_child (&f, "summary_error_label")));
  g_assert_false (gtk_widget_has_css_class (dialog_child (&f, "summary_row"), "error"));

  /* The store refuses (the ticket was resolved meanwhile): error shown, nothing lost */
  {
    g_autoptr(FlTicket) resolved = fl_store_resolve (f.store, ticket->id, FL_RESOLUTION_WITHDRAWN,
                                                     "The user called back: it works", &error);
    g_assert_no_error (error);
  }
  pending = fl_store_count_pending_ops (f.store);
  submit (&f);
  g_assert_nonnull (f.dialog);
  g_assert_null (f.handed_off);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (dialog_child (&f, "error_revealer"))));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (dialog_child (&f, "error_label"))),
                                   "The ticket was not handed off: "));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dialog_child (&f, "summary_row"))), ==,
                   "Word crashes on start");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dialog_child (&f, "contact_row"))), ==,
                   "mornings only, desk phone");
  steps = dup_steps_text (&f);
  g_assert_cmpstr (steps, ==, "Asked the user to restart\n\nChecked the caps lock key\n");
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, pending);
  g_assert_cmpuint (count_events (&f, ticket->id, FL_OP_HANDOFF), ==, 0);

  /* Reopened: the same form goes through; empty lines are dropped */
  {
    g_autoptr(FlTicket) reopened = fl_store_reopen (f.store, ticket->id, "Crashes again", &error);
    g_assert_no_error (error);
  }
  submit (&f);
  g_assert_null (f.dialog);
  g_assert_nonnull (f.handed_off);
  g_assert_cmpint (f.handed_off->status, ==, FL_STATUS_ESCALATED);
  g_assert_cmpstr (f.handed_off->queue, ==, "applications");
  {
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, ticket->id, &error);
    FlEvent *last = g_ptr_array_index (events, events->len - 1);
    JsonArray *tried;

    g_assert_cmpint (last->type, ==, FL_OP_HANDOFF);
    g_assert_cmpstr (json_object_get_string_member (last->data, "contact"), ==,
                     "mornings only, desk phone");
    tried = json_object_get_array_member (last->data, "steps_tried");
    g_assert_cmpuint (json_array_get_length (tried), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (tried, 1), ==, "Checked the caps lock key");
  }

  fixture_close (&f);
}

/* From the checklist to the server: escalated with the steps tried */
static void
test_checklist_to_server (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *steps = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean synced = FALSE;
  JsonObject *server_ticket;
  JsonArray *events;
  JsonObject *handoff = NULL;
  guint n_checklist = 0;

  if (g_getenv ("FIRSTLINE_SERVER") == NULL)
    {
      g_test_skip ("FIRSTLINE_SERVER is not set");
      return;
    }

  fixture_open (&f, TRUE);
  g_signal_connect (f.pane, "escalate-requested", G_CALLBACK (on_escalate_requested_cb), &f);
  ticket = create_ticket (&f);
  g_assert_cmpuint (fl_store_count_tickets (f.store, FL_VIEW_MINE, NULL, &error), ==, 1);
  g_assert_cmpuint (fl_store_count_tickets (f.store, FL_VIEW_ESCALATED, NULL, &error), ==, 0);

  fl_checklist_pane_set_ticket (f.pane, ticket);
  walk_to_escalate (&f, ticket);
  g_signal_connect (f.dialog, "handed-off", G_CALLBACK (on_handed_off_cb), &f);
  fl_test_spin_until (fl_test_widget_is_mapped, f.dialog, 10);
  fl_test_spin_until_idle ();

  /* Prefilled from the ticket and the checklist progress */
  g_assert_cmpstr (selected_label (&f, "queue_row"), ==, "Accounts");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dialog_child (&f, "summary_row"))), ==,
                   "Cannot log in after holiday");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (dialog_child (&f, "impact_row"))), ==,
                    FL_GRADE_HIGH);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (dialog_child (&f, "urgency_row"))), ==,
                    FL_GRADE_LOW);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dialog_child (&f, "contact_row"))), ==,
                   "+49 30 1234-567, jana.krueger@example.com");
  steps = dup_steps_text (&f);
  lines = g_strsplit (steps, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[0], ==, "User name (login) of the account — jkrueger");
  g_assert_cmpstr (lines[1], ==, "Is the user enrolled in the self-service portal "
                                 "(security questions or MFA app set up)? — no");
  g_assert_true (g_str_has_suffix (lines[3], "— failed"));
  fl_test_save_screenshot (GTK_WIDGET (f.dialog), "handoff.png");

  /* Without a summary: refused, the error shown, focus there, nothing recorded */
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (&f, "summary_row")), "");
  submit (&f);
  g_assert_nonnull (f.dialog);
  g_assert_true (gtk_widget_get_visible (dialog_child (&f, "summary_error_label")));
  g_assert_true (gtk_widget_has_css_class (dialog_child (&f, "summary_row"), "error"));
  g_assert_true (focus_in (&f, "summary_row"));
  g_assert_cmpuint (count_events (&f, ticket->id, FL_OP_HANDOFF), ==, 0);
  fl_test_save_screenshot (GTK_WIDGET (f.dialog), "handoff-refused.png");

  /* With a summary and an added line: handed off */
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (&f, "summary_row")),
                         "Password reset: identity could not be verified");
  {
    g_autofree char *more = g_strconcat (steps, "\nUser will be at the desk until 17:00", NULL);
    set_steps_text (&f, more);
  }
  submit (&f);
  g_assert_null (f.dialog);
  g_assert_nonnull (f.handed_off);
  g_assert_cmpint (f.handed_off->status, ==, FL_STATUS_ESCALATED);
  g_assert_cmpint (f.handed_off->level, ==, 2);
  g_assert_null (f.handed_off->assignee);

  /* In the outbox */
  {
    g_autoptr(GPtrArray) ops = fl_store_list_pending_ops (f.store, 100, &error);
    FlOp *last;
    JsonArray *tried;

    g_assert_no_error (error);
    last = g_ptr_array_index (ops, ops->len - 1);
    g_assert_cmpint (last->type, ==, FL_OP_HANDOFF);
    g_assert_cmpstr (last->ticket_id, ==, ticket->id);
    g_assert_cmpstr (json_object_get_string_member (last->data, "queue"), ==, "accounts");
    g_assert_cmpstr (json_object_get_string_member (last->data, "impact"), ==, "high");
    tried = json_object_get_array_member (last->data, "steps_tried");
    g_assert_cmpuint (json_array_get_length (tried), ==, 6);
  }

  /* It left Mine and is in Escalated; the pane says so */
  g_assert_cmpuint (fl_store_count_tickets (f.store, FL_VIEW_MINE, NULL, &error), ==, 0);
  g_assert_cmpuint (fl_store_count_tickets (f.store, FL_VIEW_ESCALATED, NULL, &error), ==, 1);
  fl_test_spin_until_idle ();
  g_assert_false (gtk_widget_is_sensitive (pane_child (&f, "escalate_button")));

  /* Sync to the real server */
  fl_sync_engine_sync_async (fl_context_get_sync_engine (f.context), 0, NULL, sync_done_cb, &synced);
  fl_test_spin_until (fl_test_flag_is_set, &synced, 30);
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, 0);
  g_assert_cmpuint (fl_store_count_conflicts (f.store), ==, 0);

  path = g_strdup_printf ("/api/v1/tickets/%s", ticket->id);
  reply = server_get (&f, path, "alex", "alex-secret");
  server_ticket = json_object_get_object_member (json_node_get_object (reply), "ticket");
  g_assert_cmpstr (json_object_get_string_member (server_ticket, "status"), ==, "escalated");
  g_assert_cmpint (json_object_get_int_member (server_ticket, "level"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (server_ticket, "queue"), ==, "accounts");
  events = json_object_get_array_member (json_node_get_object (reply), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      const char *type = json_object_get_string_member (event, "type");

      if (g_str_equal (type, "checklist"))
        n_checklist++;
      else if (g_str_equal (type, "handoff"))
        handoff = json_object_get_object_member (event, "data");
    }
  g_assert_cmpuint (n_checklist, ==, 5);
  g_assert_nonnull (handoff);
  g_assert_cmpstr (json_object_get_string_member (handoff, "summary"), ==,
                   "Password reset: identity could not be verified");
  g_assert_cmpstr (json_object_get_string_member (handoff, "contact"), ==,
                   "+49 30 1234-567, jana.krueger@example.com");
  {
    JsonArray *tried = json_object_get_array_member (handoff, "steps_tried");

    g_assert_cmpuint (json_array_get_length (tried), ==, 6);
    g_assert_cmpstr (json_array_get_string_element (tried, 0), ==,
                     "User name (login) of the account — jkrueger");
    g_assert_cmpstr (json_array_get_string_element (tried, 5), ==,
                     "User will be at the desk until 17:00");
  }

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG_DATA_DIRS hold no GSettings schemas, which GIO's desktop
   * proxy resolver would need: use none (the server is on 127.0.0.1). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (!gtk_init_check ())
    return 77;
  adw_init ();

  g_test_add_func ("/handoff/queues", test_queues);
  g_test_add_func ("/handoff/refuse-and-keep", test_refuse_and_keep);
  g_test_add_func ("/handoff/checklist-to-server", test_checklist_to_server);

  return g_test_run ();
}
