/* test-window.c — the main window on a real cache, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "fl-application.h"
#include "fl-demo.h"
#include "fl-store-actions.h"
#include "fl-ticket-detail.h"
#include "fl-ticket-row.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"
#include "fl-window.h"

typedef struct
{
  char          *dir;
  FlStore       *store;
  FlContext     *context;
  FlApplication *app;
  FlWindow      *window;
} Fixture;

static void
fixture_open (Fixture *f,
              guint    n_tickets)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("firstline-window-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);

  if (n_tickets > 0)
    {
      g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (n_tickets, 7, fl_time_now (), 30);
      fl_store_put_tickets (f->store, tickets, NULL, &error);
      g_assert_no_error (error);
    }

  f->context = fl_context_new (f->store, NULL);
  f->app = g_object_new (FL_TYPE_APPLICATION,
                         "application-id", "io.github.firstline.FirstlineTest",
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
  gtk_window_destroy (GTK_WINDOW (f->window));
  fl_test_spin_until_idle ();
  g_clear_object (&f->app);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  if (f->dir)
    {
      g_autofree char *db = g_build_filename (f->dir, "cache.db", NULL);
      g_autofree char *wal = g_build_filename (f->dir, "cache.db-wal", NULL);
      g_autofree char *shm = g_build_filename (f->dir, "cache.db-shm", NULL);
      g_unlink (db);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (f->dir);
      g_free (f->dir);
    }
}

static GtkWidget *
find_widget (GtkWidget   *root,
             gboolean   (*match) (GtkWidget *, gpointer),
             gpointer     data)
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
is_mapped_ticket_row (GtkWidget *widget,
                      gpointer   data)
{
  return FL_IS_TICKET_ROW (widget) && gtk_widget_get_mapped (widget) &&
         fl_ticket_row_get_ticket (FL_TICKET_ROW (widget)) != NULL;
}

static gboolean
has_css_class (GtkWidget *widget,
               gpointer   data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, data);
}

static gboolean
is_search_entry (GtkWidget *widget,
                 gpointer   data)
{
  /* the window's own, not one inside a drop-down's popover */
  return GTK_IS_SEARCH_ENTRY (widget) && gtk_widget_get_ancestor (widget, GTK_TYPE_SEARCH_BAR) != NULL;
}

static gboolean
is_stack (GtkWidget *widget,
          gpointer   data)
{
  return GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), "empty") != NULL &&
         gtk_stack_get_child_by_name (GTK_STACK (widget), "no-results") != NULL;
}

static const char *
visible_list_page (Fixture *f)
{
  GtkWidget *stack = find_widget (GTK_WIDGET (f->window), is_stack, NULL);

  g_assert_nonnull (stack);
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static gboolean
row_shown (gpointer data)
{
  Fixture *f = data;

  return find_widget (GTK_WIDGET (f->window), is_mapped_ticket_row, NULL) != NULL;
}

static void
test_empty_state (void)
{
  Fixture f = { 0 };

  fixture_open (&f, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fl_window_get_list_model (f.window))), ==, 0);
  g_assert_cmpstr (visible_list_page (&f), ==, "empty");
  g_assert_null (find_widget (GTK_WIDGET (f.window), is_mapped_ticket_row, NULL));
  fixture_close (&f);
}

static void
test_list_reads_back (void)
{
  Fixture f = { 0 };
  FlTicketListModel *model;
  g_autoptr(FlTicket) first = NULL;
  GtkWidget *row;
  GtkWidget *title;
  guint expected;

  fixture_open (&f, 500);
  model = fl_window_get_list_model (f.window);

  expected = fl_store_count_tickets (f.store, FL_VIEW_INCOMING, NULL, NULL);
  g_assert_cmpuint (expected, >, 0);
  g_assert_cmpuint (fl_window_get_view (f.window), ==, FL_VIEW_INCOMING);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected);
  g_assert_cmpstr (visible_list_page (&f), ==, "list");

  /* The first visible row shows the first ticket of the view's order. */
  fl_test_spin_until (row_shown, &f, 10);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  row = find_widget (GTK_WIDGET (f.window), is_mapped_ticket_row, NULL);
  g_assert_true (fl_ticket_row_get_ticket (FL_TICKET_ROW (row)) == first ||
                 g_strcmp0 (fl_ticket_row_get_ticket (FL_TICKET_ROW (row))->id, first->id) == 0);
  title = find_widget (row, has_css_class, (gpointer) "heading");
  g_assert_nonnull (title);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (title)), ==, first->title);

  /* Only a few pages were read, not the whole view. */
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), <=, 3);

  /* Alt+5 switches to Resolved. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.view", "s", "resolved");
  g_assert_cmpuint (fl_window_get_view (f.window), ==, FL_VIEW_RESOLVED);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==,
                    fl_store_count_tickets (f.store, FL_VIEW_RESOLVED, NULL, NULL));

  fixture_close (&f);
}

static gboolean
model_has_n (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static void
test_search_and_live_update (void)
{
  Fixture f = { 0 };
  FlTicketListModel *model;
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *requester = json_object_new ();
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *entry;
  gpointer args[2];
  guint before;

  fixture_open (&f, 300);
  model = fl_window_get_list_model (f.window);
  before = g_list_model_get_n_items (G_LIST_MODEL (model));

  /* A ticket created elsewhere in the app shows without any user action. */
  json_object_set_string_member (fields, "title", "Drucker im 3. OG druckt Streifen");
  json_object_set_string_member (requester, "name", "Zoë Quizzical");
  json_object_set_object_member (fields, "requester", requester);
  json_object_set_string_member (fields, "category", "printer");
  json_object_set_string_member (fields, "channel", "phone");
  created = fl_store_create_ticket (f.store, fields, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, before + 1);
  g_assert_cmpuint (fl_ticket_list_model_find (model, created->id), !=, G_MAXUINT);

  /* Typing in the search entry narrows the list to the match. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.search", NULL);
  entry = find_widget (GTK_WIDGET (f.window), is_search_entry, NULL);
  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), "quizzical");
  args[0] = model;
  args[1] = GUINT_TO_POINTER (1);
  fl_test_spin_until (model_has_n, args, 10);
  {
    g_autoptr(FlTicket) hit = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_cmpstr (hit->id, ==, created->id);
  }

  gtk_editable_set_text (GTK_EDITABLE (entry), "nothingmatchesthisatall");
  args[1] = GUINT_TO_POINTER (0);
  fl_test_spin_until (model_has_n, args, 10);
  g_assert_cmpstr (visible_list_page (&f), ==, "no-results");

  fixture_close (&f);
}

static void
on_handoff_requested_cb (FlTicketDetail *detail,
                         FlTicket       *ticket,
                         guint          *count)
{
  (*count)++;
}

/* The detail offers what core allows (fl_ticket_can_apply): an escalated ticket
 * can be handed off again (to another 2nd-level queue), a resolved one cannot. */
static void
test_detail_actions_follow_core (void)
{
  Fixture f = { 0 };
  g_autoptr(JsonObject) fields = fl_test_parse_object (
    "{\"title\": \"VPN trennt\", \"requester\": {\"name\": \"Jana Krüger\"},"
    " \"channel\": \"phone\", \"category\": \"network\"}");
  FlHandoffRequest request = { "network", "Token defekt", NULL, FL_HANDOFF_KEEP_GRADE,
                               FL_HANDOFF_KEEP_GRADE, NULL };
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) escalated = NULL;
  g_autoptr(FlTicket) resolved = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *detail = fl_ticket_detail_new ();
  guint handoffs = 0;

  fixture_open (&f, 0);
  created = fl_store_create_ticket (f.store, fields, &error);
  g_assert_no_error (error);
  escalated = fl_store_handoff (f.store, created->id, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (escalated->status, ==, FL_STATUS_ESCALATED);
  g_assert_true (fl_ticket_can_apply (escalated, FL_OP_HANDOFF, "alex", FL_ROLE_AGENT));

  gtk_window_set_child (GTK_WINDOW (window), detail);
  fl_ticket_detail_set_context (FL_TICKET_DETAIL (detail), f.context);
  fl_ticket_detail_set_ticket (FL_TICKET_DETAIL (detail), escalated);
  g_signal_connect (detail, "handoff-requested", G_CALLBACK (on_handoff_requested_cb), &handoffs);
  fl_test_present (GTK_WINDOW (window));

  gtk_widget_activate_action (detail, "ticket.handoff", NULL);
  g_assert_cmpuint (handoffs, ==, 1);

  resolved = fl_store_resolve (f.store, created->id, FL_RESOLUTION_SOLVED, "Neues Token", &error);
  g_assert_no_error (error);
  fl_ticket_detail_set_ticket (FL_TICKET_DETAIL (detail), resolved);
  gtk_widget_activate_action (detail, "ticket.handoff", NULL);
  g_assert_cmpuint (handoffs, ==, 1);

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/window/empty-state", test_empty_state);
  g_test_add_func ("/window/list-reads-back", test_list_reads_back);
  g_test_add_func ("/window/search-and-live-update", test_search_and_live_update);
  g_test_add_func ("/window/detail-actions-follow-core", test_detail_actions_follow_core);

  return g_test_run ();
}
