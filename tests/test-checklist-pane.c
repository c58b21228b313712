/* test-checklist-pane.c — the guided checklist pane on a real cache, under Xvfb
 *
 * Drives the real pane through its buttons and entry; every answer must land in
 * the store as a checklist event. Also tests which checklist definition (built-in
 * or published, which version) a ticket gets.
 *
 * With FIRSTLINE_SCREENSHOT_DIR set, saves checklist.png there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "fl-checklist-library.h"
#include "fl-checklist-pane.h"
#include "fl-store-private.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"

typedef struct
{
  char            *dir;
  FlStore         *store;
  FlContext       *context;
  GtkWidget       *window;
  FlChecklistPane *pane;
} Fixture;

static char *
builtin_dir (void)
{
  return g_build_filename (SOURCE_DATADIR, "checklists", NULL);
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *checklists = builtin_dir ();
  GtkWidget *box;
  GtkWidget *label;

  g_setenv ("FIRSTLINE_CHECKLIST_DIR", checklists, TRUE);

  f->dir = g_dir_make_tmp ("firstline-pane-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);

  /* A small window: the pane beside a stand-in for the ticket detail */
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 760);
  gtk_window_set_title (GTK_WINDOW (f->window), "Firstline");
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  label = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (label),
                        "<span size='large' weight='bold'>Cannot log in after holiday</span>\n\n"
                        "Requester: Jana Krüger\nPhone: +49 30 1234-567\n"
                        "Category: password\nPriority: P3");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_widget_set_size_request (label, 380, -1);
  gtk_widget_set_margin_start (label, 24);
  gtk_widget_set_margin_top (label, 24);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  f->pane = FL_CHECKLIST_PANE (fl_checklist_pane_new (f->context));
  gtk_widget_set_hexpand (GTK_WIDGET (f->pane), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->pane));
  gtk_window_set_child (GTK_WINDOW (f->window), box);
  fl_test_present (GTK_WINDOW (f->window));
}

static void
fixture_close (Fixture *f)
{
  const char *names[] = { "cache.db", "cache.db-wal", "cache.db-shm" };

  gtk_window_destroy (GTK_WINDOW (f->window));
  fl_test_spin_until_idle ();
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static FlTicket *
create_ticket (FlStore    *store,
               const char *title,
               const char *category)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *requester = json_object_new ();
  FlTicket *ticket;

  json_object_set_string_member (fields, "title", title);
  json_object_set_string_member (requester, "name", "Jana Krüger");
  json_object_set_string_member (requester, "phone", "+49 30 1234-567");
  json_object_set_string_member (requester, "email", "jana.krueger@example.com");
  json_object_set_object_member (fields, "requester", requester);
  json_object_set_string_member (fields, "channel", "phone");
  json_object_set_string_member (fields, "category", category);
  ticket = fl_store_create_ticket (store, fields, &error);
  g_assert_no_error (error);
  return ticket;
}

static GtkWidget *
child (Fixture    *f,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (f->pane), FL_TYPE_CHECKLIST_PANE,
                                                   name);
  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

/* Whether a person can see and use @widget now */
static gboolean
is_offered (GtkWidget *widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_is_sensitive (widget);
}

static void
click (Fixture    *f,
       const char *name)
{
  GtkWidget *button = child (f, name);

  fl_test_spin_until_idle ();
  if (!is_offered (button))
    g_error ("button %s is not offered (mapped %d, sensitive %d)", name,
             gtk_widget_get_mapped (button), gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  fl_test_spin_until_idle ();
}

static guint
count_checklist_events (Fixture    *f,
                        const char *ticket_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = fl_store_list_events (f->store, ticket_id, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    if (((FlEvent *) g_ptr_array_index (events, i))->type == FL_OP_CHECKLIST)
      n++;
  return n;
}

static const char *
current_step (Fixture *f)
{
  FlChecklistRun *run = fl_checklist_pane_get_run (f->pane);
  const FlChecklistStep *step;

  g_assert_nonnull (run);
  step = fl_checklist_run_get_current_step (run);
  return step ? step->id : NULL;
}

static void
assert_current (Fixture    *f,
                const char *step_id,
                const char *page)
{
  FlChecklist *checklist = fl_checklist_run_get_checklist (fl_checklist_pane_get_run (f->pane));
  const FlChecklistStep *step = fl_checklist_get_step (checklist, step_id);

  g_assert_cmpstr (current_step (f), ==, step_id);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (f, "stack"))), ==, "run");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (f, "answer_stack"))), ==, page);
  /* The step is shown prominently, with its help */
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (f, "step_text_label"))), ==,
                   fl_checklist_step_get_text (step, NULL));
  if (fl_checklist_step_get_help (step, NULL) != NULL)
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (f, "step_help_label"))), ==,
                     fl_checklist_step_get_help (step, NULL));
}

/* The engine refuses @step_id now, and the pane does not show it. */
static void
assert_refused (Fixture    *f,
                const char *step_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = fl_checklist_run_make_step_data (fl_checklist_pane_get_run (f->pane),
                                                                step_id,
                                                                FL_CHECKLIST_OUTCOME_DONE,
                                                                NULL, &error);
  g_assert_null (data);
  g_assert_true (g_error_matches (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT) ||
                 g_error_matches (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_REQUIRES_NOT_DONE));
  g_assert_cmpstr (current_step (f), !=, step_id);
}

static guint
count_rows (GtkWidget *list)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (list); c; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

static const char *
dropdown_text (Fixture *f)
{
  GtkDropDown *dropdown = GTK_DROP_DOWN (child (f, "checklist_dropdown"));
  GObject *item = gtk_drop_down_get_selected_item (dropdown);

  g_assert_true (GTK_IS_STRING_OBJECT (item));
  return gtk_string_object_get_string (GTK_STRING_OBJECT (item));
}

static void
type_text (Fixture    *f,
           const char *text)
{
  GtkWidget *entry = child (f, "input_entry");

  g_assert_true (is_offered (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

typedef struct
{
  guint  n_escalate;
  char  *queue;
  guint  n_resolve;
  int    code;
  char  *summary;
} Requests;

static void
on_escalate_requested_cb (FlChecklistPane *pane,
                          const char      *queue,
                          Requests        *r)
{
  r->n_escalate++;
  g_free (r->queue);
  r->queue = g_strdup (queue);
}

static void
on_resolve_requested_cb (FlChecklistPane *pane,
                         int              code,
                         const char      *summary,
                         Requests        *r)
{
  r->n_resolve++;
  r->code = code;
  g_free (r->summary);
  r->summary = g_strdup (summary);
}

static void
requests_clear (Requests *r)
{
  g_free (r->queue);
  g_free (r->summary);
}

/* Publishes @json as if the server had sent it with a sync. */
static void
receive_checklist (FlStore    *store,
                   const char *json)
{
  g_autofree char *text = g_strdup_printf ("{\"results\": [], \"changes\": {\"tickets\": [],"
                                           " \"events\": [], \"checklists\": [%s]}, \"cursor\": 0}",
                                           json);
  g_autoptr(FlSyncResponse) response = fl_sync_response_parse (text, strlen (text), NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (response);
  g_assert_true (_fl_store_apply_sync (store, response, &changes, &error));
  g_assert_no_error (error);
}

/* password-reset.json with another version and English title */
static char *
dup_password_reset (gint64      version,
                    const char *title_en)
{
  g_autofree char *dir = builtin_dir ();
  g_autofree char *path = g_build_filename (dir, "password-reset.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonObject *title;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  json_object_set_int_member (root, "version", version);
  title = json_object_get_object_member (root, "title");
  json_object_set_string_member (title, "en", title_en);
  return json_to_string (json_parser_get_root (parser), FALSE);
}

static void
record_op (FlStore    *store,
           const char *ticket_id,
           const char *json)
{
  g_autoptr(JsonObject) data = fl_test_parse_object (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) t = fl_store_apply_local (store, ticket_id, FL_OP_CHECKLIST, data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
}

/* -------------------------------------------------------------------------- */
/* Tests */

/* Which definition: built-in or published, newest or the one a ticket started with */
static void
test_library_versions (void)
{
  Fixture f = { 0 };
  g_autoptr(FlChecklistLibrary) library = NULL;
  g_autoptr(FlTicket) fresh = NULL;
  g_autoptr(FlTicket) started = NULL;
  g_autoptr(FlTicket) started_v2 = NULL;
  g_autoptr(FlTicket) two = NULL;
  g_autofree char *v2 = dup_password_reset (2, "Password reset, new");
  g_autofree char *v1_other = dup_password_reset (1, "Published v1 must not win");
  g_autoptr(GError) error = NULL;
  GPtrArray *list;

  fixture_open (&f);
  library = fl_checklist_library_new (f.store, NULL);
  list = fl_checklist_library_list (library);
  g_assert_cmpuint (list->len, ==, 8);
  g_assert_cmpstr (fl_checklist_get_id (g_ptr_array_index (list, 0)), ==, "account-lockout");
  g_assert_cmpstr (fl_checklist_get_id (fl_checklist_library_find_for_category (library, "password")),
                   ==, "password-reset");
  /* two serve "network": the first by id */
  g_assert_cmpstr (fl_checklist_get_id (fl_checklist_library_find_for_category (library, "network")),
                   ==, "network-connection");
  g_assert_null (fl_checklist_library_find_for_category (library, "other"));
  g_assert_false (fl_checklist_library_refresh (library));

  /* A ticket that started on version 1 */
  started = create_ticket (f.store, "Started on v1", "password");
  record_op (f.store, started->id,
             "{\"checklist_id\": \"password-reset\", \"checklist_version\": 1,"
             " \"step_id\": \"user-account\", \"outcome\": \"done\", \"value\": \"jkrueger\"}");

  /* The same version published again does not replace the built-in one */
  receive_checklist (f.store, v1_other);
  g_assert_false (fl_checklist_library_refresh (library));
  g_assert_cmpstr (fl_checklist_get_title (fl_checklist_library_get_latest (library, "password-reset"), "en"),
                   ==, "Password reset");

  /* A newer published version wins */
  receive_checklist (f.store, v2);
  g_assert_true (fl_checklist_library_refresh (library));
  g_assert_cmpuint (fl_checklist_library_list (library)->len, ==, 8);
  g_assert_cmpint (fl_checklist_get_version (fl_checklist_library_get_latest (library, "password-reset")),
                   ==, 2);
  g_assert_cmpint (fl_checklist_get_version (fl_checklist_library_find_for_category (library, "password")),
                   ==, 2);
  /* version 1 is the built-in file, not the published copy */
  g_assert_cmpstr (fl_checklist_get_title (fl_checklist_library_lookup (library, "password-reset", 1), "en"),
                   ==, "Password reset");
  g_assert_null (fl_checklist_library_lookup (library, "password-reset", 7));

  /* A fresh ticket gets version 2; the started one keeps version 1 */
  fresh = create_ticket (f.store, "Fresh", "password");
  {
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, fresh->id, &error);
    g_assert_no_error (error);
    g_assert_cmpint (fl_checklist_get_version (fl_checklist_library_get_for_ticket (library, fresh, events)),
                     ==, 2);
    g_assert_null (fl_checklist_library_get_last_used_id (events));
  }
  {
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, started->id, &error);
    g_autoptr(FlChecklistRun) run = NULL;
    g_auto(GStrv) tried = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (fl_checklist_library_get_last_used_id (events), ==, "password-reset");
    g_assert_cmpint (fl_checklist_get_version (fl_checklist_library_get_for_ticket (library, started, events)),
                     ==, 1);
    run = fl_checklist_library_new_run (library, "password-reset", events);
    g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "self-service");
    tried = fl_checklist_library_dup_steps_tried (library, events);
    g_assert_cmpuint (g_strv_length (tried), ==, 1);
    g_assert_cmpstr (tried[0], ==, "User name (login) of the account — jkrueger");
  }

  /* A ticket that started on version 2 (published) replays on version 2 */
  started_v2 = create_ticket (f.store, "Started on v2", "password");
  record_op (f.store, started_v2->id,
             "{\"checklist_id\": \"password-reset\", \"checklist_version\": 2,"
             " \"step_id\": \"user-account\", \"outcome\": \"done\", \"value\": \"mkoch\"}");
  {
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, started_v2->id, &error);
    FlChecklist *checklist;

    g_assert_no_error (error);
    checklist = fl_checklist_library_get_for_events (library, "password-reset", events);
    g_assert_cmpint (fl_checklist_get_version (checklist), ==, 2);
    g_assert_cmpstr (fl_checklist_get_title (checklist, "en"), ==, "Password reset, new");
  }

  /* Steps of two checklists and of an unknown one, in the order of first use */
  two = create_ticket (f.store, "Two checklists", "network");
  record_op (f.store, two->id,
             "{\"checklist_id\": \"vpn\", \"checklist_version\": 1,"
             " \"step_id\": \"scope\", \"outcome\": \"no\"}");
  record_op (f.store, two->id,
             "{\"checklist_id\": \"retired-list\", \"checklist_version\": 3,"
             " \"step_id\": \"old-step\", \"outcome\": \"done\", \"value\": \"kept\"}");
  {
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, two->id, &error);
    g_auto(GStrv) tried = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (fl_checklist_library_get_last_used_id (events), ==, "retired-list");
    /* an unknown checklist is not shown; the category's one is */
    g_assert_cmpstr (fl_checklist_get_id (fl_checklist_library_get_for_ticket (library, two, events)),
                     ==, "network-connection");
    tried = fl_checklist_library_dup_steps_tried (library, events);
    g_assert_cmpuint (g_strv_length (tried), >=, 1);
    g_assert_cmpstr (tried[g_strv_length (tried) - 1], ==, "old-step — kept");
  }

  fixture_close (&f);
}

/* The whole password reset through the pane's buttons, ending in "escalate" */
static void
test_password_reset_walk (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  Requests r = { 0 };
  const char *before_identity[] = { "user-account", "self-service", "verify-method",
                                    "verify-callback", "identity-confirmed" };
  guint n = 0;

  fixture_open (&f);
  g_signal_connect (f.pane, "escalate-requested", G_CALLBACK (on_escalate_requested_cb), &r);
  g_signal_connect (f.pane, "resolve-requested", G_CALLBACK (on_resolve_requested_cb), &r);

  /* No ticket: nothing offered */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "stack"))), ==, "none");
  g_assert_false (gtk_widget_is_sensitive (child (&f, "checklist_dropdown")));

  ticket = create_ticket (f.store, "Cannot log in after holiday", "password");
  fl_checklist_pane_set_ticket (f.pane, ticket);
  g_assert_cmpstr (dropdown_text (&f), ==, "Password reset");
  assert_current (&f, "user-account", "input");
  g_assert_false (gtk_widget_is_sensitive (child (&f, "restart_button")));
  g_assert_false (gtk_widget_get_visible (child (&f, "done_list")));
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (child (&f, "input_entry"))), ==,
                   "e.g. jkrueger");

  /* Identity verification comes first: the reset is refused by the engine and not shown */
  assert_refused (&f, "set-otp");
  assert_refused (&f, "unlock-account");

  /* An empty value and one that does not match the pattern: error shown, nothing lost */
  click (&f, "save_button");
  g_assert_true (gtk_widget_get_visible (child (&f, "input_error_label")));
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, 0);
  type_text (&f, "j krüger!");
  click (&f, "save_button");
  g_assert_true (gtk_widget_get_visible (child (&f, "input_error_label")));
  g_assert_true (gtk_widget_has_css_class (child (&f, "input_entry"), "error"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (child (&f, "input_error_label"))),
                            "jkrueger"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (&f, "input_entry"))), ==, "j krüger!");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, 0);
  fl_test_save_screenshot (f.window, "checklist-input-error.png");
  g_assert_cmpstr (current_step (&f), ==, "user-account");

  /* Typing clears the error; a valid value is recorded at once */
  type_text (&f, "jkrueger");
  g_assert_false (gtk_widget_get_visible (child (&f, "input_error_label")));
  g_assert_false (gtk_widget_has_css_class (child (&f, "input_entry"), "error"));
  click (&f, "save_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "self-service", "question");
  g_assert_true (gtk_widget_get_visible (child (&f, "done_list")));
  g_assert_cmpuint (count_rows (child (&f, "done_list")), ==, 1);
  g_assert_true (gtk_widget_is_sensitive (child (&f, "restart_button")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (&f, "input_entry"))), ==, "");

  click (&f, "no_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "verify-method", "question");
  assert_refused (&f, "set-otp");

  click (&f, "yes_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "verify-callback", "check");
  /* a check with a "failed" branch offers Failed */
  g_assert_true (gtk_widget_get_visible (child (&f, "failed_button")));
  assert_refused (&f, "set-otp");
  /* The verification cannot be skipped: no Skip, and the engine refuses it too */
  g_assert_false (gtk_widget_get_visible (child (&f, "skip_button")));
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (fl_checklist_run_make_step_data (fl_checklist_pane_get_run (f.pane),
                                                    "verify-callback",
                                                    FL_CHECKLIST_OUTCOME_SKIPPED, NULL, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  }

  click (&f, "done_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "identity-confirmed", "question");
  assert_refused (&f, "set-otp");

  /* Everything so far was verification: the reset never came up */
  for (guint i = 0; i < G_N_ELEMENTS (before_identity); i++)
    g_assert_true (fl_checklist_run_lookup_record (fl_checklist_pane_get_run (f.pane),
                                                   before_identity[i]) != NULL ||
                   g_str_equal (before_identity[i], "identity-confirmed"));

  click (&f, "yes_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "check-lock", "question");

  click (&f, "no_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  /* Now, and only now, the reset is offered */
  assert_current (&f, "set-otp", "check");
  g_assert_false (gtk_widget_get_visible (child (&f, "requires_label")));
  g_assert_false (gtk_widget_get_visible (child (&f, "failed_button")));
  fl_test_save_screenshot (f.window, "checklist.png");

  click (&f, "done_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "deliver-otp", "question");
  click (&f, "yes_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "send-sms", "check");
  click (&f, "done_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  assert_current (&f, "test-login", "question");
  click (&f, "no_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, ++n);
  g_assert_cmpuint (n, ==, 10);

  /* Finished: escalate to accounts */
  g_assert_null (current_step (&f));
  g_assert_false (gtk_widget_get_visible (child (&f, "current_box")));
  g_assert_true (gtk_widget_get_visible (child (&f, "finished_box")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (&f, "result_label"))), ==,
                   "Escalate to accounts");
  g_assert_false (gtk_widget_get_visible (child (&f, "resolve_button")));
  g_assert_cmpuint (count_rows (child (&f, "done_list")), ==, 10);
  fl_test_save_screenshot (f.window, "checklist-finished.png");
  click (&f, "escalate_button");
  g_assert_cmpuint (r.n_escalate, ==, 1);
  g_assert_cmpstr (r.queue, ==, "accounts");
  g_assert_cmpuint (r.n_resolve, ==, 0);

  /* Every answer is a queued op in the outbox */
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, 1 + 10);

  requests_clear (&r);
  fixture_close (&f);
}

/* The short way: self-service works, resolve with the engine's summary */
static void
test_resolve (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  Requests r = { 0 };

  fixture_open (&f);
  g_signal_connect (f.pane, "resolve-requested", G_CALLBACK (on_resolve_requested_cb), &r);
  ticket = create_ticket (f.store, "Password expired", "password");
  fl_checklist_pane_set_ticket (f.pane, ticket);

  type_text (&f, "anna.m");
  /* Enter in the field saves too */
  g_signal_emit_by_name (child (&f, "input_entry"), "activate");
  assert_current (&f, "self-service", "question");
  click (&f, "yes_button");
  assert_current (&f, "guide-self-service", "check");
  /* its "next" resolves: it cannot be skipped */
  g_assert_false (gtk_widget_get_visible (child (&f, "skip_button")));
  click (&f, "done_button");
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, 3);

  g_assert_true (gtk_widget_get_visible (child (&f, "resolve_button")));
  g_assert_false (gtk_widget_get_visible (child (&f, "escalate_button")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (&f, "result_label"))), ==,
                   "Resolve: Solved at first contact");
  click (&f, "resolve_button");
  g_assert_cmpuint (r.n_resolve, ==, 1);
  g_assert_cmpint (r.code, ==, FL_RESOLUTION_FIRST_CONTACT);
  g_assert_nonnull (strstr (r.summary, "Checklist “Password reset” (version 1):"));
  g_assert_nonnull (strstr (r.summary, "— anna.m"));

  /* Once the ticket is resolved, the pane no longer offers to resolve it */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) resolved = fl_store_resolve (f.store, ticket->id, r.code, r.summary, &error);

    g_assert_no_error (error);
    fl_test_spin_until_idle ();
    g_assert_false (gtk_widget_is_sensitive (child (&f, "resolve_button")));
    g_assert_true (gtk_widget_get_visible (child (&f, "finished_note_label")));
  }

  requests_clear (&r);
  fixture_close (&f);
}

/* Restart asks first; the steps stay in the history */
static void
test_restart (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  GtkWidget *dialog;

  fixture_open (&f);
  ticket = create_ticket (f.store, "Locked out", "password");
  fl_checklist_pane_set_ticket (f.pane, ticket);
  type_text (&f, "jkrueger");
  click (&f, "save_button");
  click (&f, "no_button");
  assert_current (&f, "verify-method", "question");

  /* Cancel: nothing happens */
  click (&f, "restart_button");
  dialog = fl_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  fl_test_spin_until_idle ();
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, 2);
  assert_current (&f, "verify-method", "question");

  /* Restart: recorded, back at the first step, the earlier steps kept as tried */
  click (&f, "restart_button");
  dialog = fl_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "restart");
  fl_test_spin_until_idle ();
  g_assert_cmpuint (count_checklist_events (&f, ticket->id), ==, 3);
  assert_current (&f, "user-account", "input");
  g_assert_false (gtk_widget_get_visible (child (&f, "done_list")));
  g_assert_false (gtk_widget_is_sensitive (child (&f, "restart_button")));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (child (&f, "progress_label"))),
                            "restarted once"));
  {
    g_auto(GStrv) tried = fl_checklist_run_dup_steps_tried (fl_checklist_pane_get_run (f.pane));
    g_assert_cmpuint (g_strv_length (tried), ==, 2);
  }

  fixture_close (&f);
}

/* No checklist for the category: the empty state, then one picked by hand */
static void
test_empty_and_pick (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) other = NULL;
  g_autoptr(FlTicket) password = NULL;
  GtkDropDown *dropdown;
  GListModel *model;
  guint printer = GTK_INVALID_LIST_POSITION;

  fixture_open (&f);
  other = create_ticket (f.store, "Chair is broken", "other");
  password = create_ticket (f.store, "Forgot password", "password");

  fl_checklist_pane_set_ticket (f.pane, other);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "stack"))), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (child (&f, "empty_page"))), ==,
                   "No checklist for this category");
  g_assert_cmpstr (dropdown_text (&f), ==, "None");
  g_assert_null (fl_checklist_pane_get_run (f.pane));

  /* Every checklist on offer is in the dropdown, by its title */
  dropdown = GTK_DROP_DOWN (child (&f, "checklist_dropdown"));
  model = gtk_drop_down_get_model (dropdown);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1 + 8);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);
      if (g_str_equal (gtk_string_object_get_string (item), "Printer does not print"))
        printer = i;
    }
  g_assert_cmpuint (printer, !=, GTK_INVALID_LIST_POSITION);

  /* Pick the printer checklist by hand and answer its first step */
  gtk_drop_down_set_selected (dropdown, printer);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "stack"))), ==, "run");
  g_assert_cmpstr (fl_checklist_get_id (fl_checklist_run_get_checklist (fl_checklist_pane_get_run (f.pane))),
                   ==, "printer");
  {
    const char *page = gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "answer_stack")));
    if (g_str_equal (page, "check"))
      click (&f, "done_button");
    else if (g_str_equal (page, "question"))
      click (&f, "yes_button");
    else
      {
        FlChecklist *checklist = fl_checklist_run_get_checklist (fl_checklist_pane_get_run (f.pane));
        const FlChecklistStep *step = fl_checklist_get_step (checklist, current_step (&f));
        type_text (&f, step->example ? step->example : "PR-0412");
        click (&f, "save_button");
      }
  }
  g_assert_cmpuint (count_checklist_events (&f, other->id), ==, 1);

  /* A value typed but not saved survives switching tickets */
  fl_checklist_pane_set_ticket (f.pane, password);
  g_assert_cmpstr (dropdown_text (&f), ==, "Password reset");
  type_text (&f, "half-typed");
  fl_checklist_pane_set_ticket (f.pane, other);
  /* the ticket keeps the checklist it was worked with */
  g_assert_cmpstr (dropdown_text (&f), ==, "Printer does not print");
  fl_checklist_pane_set_ticket (f.pane, NULL);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "stack"))), ==, "none");
  fl_checklist_pane_set_ticket (f.pane, password);
  assert_current (&f, "user-account", "input");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (&f, "input_entry"))), ==, "half-typed");

  /* "None" picked by hand */
  fl_checklist_pane_pick (f.pane, NULL);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (&f, "stack"))), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (child (&f, "empty_page"))), ==,
                   "No checklist chosen");

  fixture_close (&f);
}

/* The pane follows the store: another part of the app (or a sync) records a step,
 * a step out of turn is ignored, a failing store shows an error and keeps the value. */
static void
test_follows_store_and_errors (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) ghost = NULL;
  g_autofree char *v2 = dup_password_reset (2, "Password reset, published");

  fixture_open (&f);
  ticket = create_ticket (f.store, "Password", "password");
  fl_checklist_pane_set_ticket (f.pane, ticket);
  type_text (&f, "typed-but-not-saved");

  /* The reset recorded out of turn (a bad client): the engine ignores it */
  record_op (f.store, ticket->id,
             "{\"checklist_id\": \"password-reset\", \"checklist_version\": 1,"
             " \"step_id\": \"set-otp\", \"outcome\": \"done\"}");
  fl_test_spin_until_idle ();
  assert_current (&f, "user-account", "input");
  g_assert_cmpuint (fl_checklist_run_get_n_ignored (fl_checklist_pane_get_run (f.pane)), ==, 1);
  /* the same step, so what was typed is still there */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (&f, "input_entry"))), ==,
                   "typed-but-not-saved");

  /* A step recorded elsewhere shows up without set_ticket */
  record_op (f.store, ticket->id,
             "{\"checklist_id\": \"password-reset\", \"checklist_version\": 1,"
             " \"step_id\": \"user-account\", \"outcome\": \"done\", \"value\": \"mkoch\"}");
  fl_test_spin_until_idle ();
  assert_current (&f, "self-service", "question");
  g_assert_cmpuint (count_rows (child (&f, "done_list")), ==, 1);

  /* A newer published version: this ticket keeps version 1, a new one gets 2 */
  receive_checklist (f.store, v2);
  fl_checklist_pane_set_ticket (f.pane, ticket);
  g_assert_cmpint (fl_checklist_get_version (fl_checklist_run_get_checklist (fl_checklist_pane_get_run (f.pane))),
                   ==, 1);
  {
    g_autoptr(FlTicket) fresh = create_ticket (f.store, "Another password", "password");
    fl_checklist_pane_set_ticket (f.pane, fresh);
    g_assert_cmpstr (dropdown_text (&f), ==, "Password reset, published");
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (child (&f, "progress_label"))),
                              "Version 2"));
    type_text (&f, "jkrueger");
    click (&f, "save_button");
    {
      g_autoptr(GPtrArray) events = fl_store_list_events (f.store, fresh->id, NULL);
      FlEvent *last = g_ptr_array_index (events, events->len - 1);
      g_assert_cmpint (json_object_get_int_member (last->data, "checklist_version"), ==, 2);
    }
  }

  /* A ticket the store does not have: the answer fails, the error is shown, the value stays */
  ghost = fl_ticket_new ();
  g_free (ghost->id);
  ghost->id = fl_uuid_new ();
  g_free (ghost->category);
  ghost->category = g_strdup ("password");
  fl_checklist_pane_set_ticket (f.pane, ghost);
  type_text (&f, "jkrueger");
  click (&f, "save_button");
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (&f, "error_revealer"))));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (child (&f, "error_label"))),
                                   "The answer was not recorded"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (&f, "input_entry"))), ==, "jkrueger");
  assert_current (&f, "user-account", "input");

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (!gtk_init_check ())
    return 77;
  adw_init ();

  g_test_add_func ("/checklist-pane/library/versions", test_library_versions);
  g_test_add_func ("/checklist-pane/password-reset/walk", test_password_reset_walk);
  g_test_add_func ("/checklist-pane/password-reset/resolve", test_resolve);
  g_test_add_func ("/checklist-pane/restart", test_restart);
  g_test_add_func ("/checklist-pane/empty-and-pick", test_empty_and_pick);
  g_test_add_func ("/checklist-pane/follows-store-and-errors", test_follows_store_and_errors);

  return g_test_run ();
}
