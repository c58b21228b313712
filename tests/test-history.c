/* test-history.c — the history window and the KPI dashboard against the real server,
 * under Xvfb
 *
 * A real firstline-server with 250 tickets (env FIRSTLINE_SERVER); the window of a lead
 * loads them page by page as the list scrolls, narrows them with the filters, shows a
 * ticket's timeline, shows the dashboard whose figures open exactly their tickets, and
 * exports the filtered history as CSV. A specialist gets the history only. With
 * FIRSTLINE_SCREENSHOT_DIR set, it saves the dashboard light and dark.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <locale.h>
#include <string.h>

#include "fl-bar-chart.h"
#include "fl-context.h"
#include "fl-history-model.h"
#include "fl-history-window.h"
#include "fl-store.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"

#define N_TICKETS 250
#define PASSWORD  "history-secret"

static FlTestServer *server;
static char *server_dir;

typedef struct
{
  char      *dir;
  FlStore   *store;
  FlContext *context;
} Client;

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
client_open (Client     *c,
             const char *user)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean done = FALSE;

  c->dir = g_dir_make_tmp ("firstline-history-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (c->dir, "cache.db", NULL);
  c->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  c->context = fl_context_new (c->store, NULL);
  fl_sync_engine_login_async (fl_context_get_sync_engine (c->context), server->url, user,
                              PASSWORD, NULL, login_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 30);
}

static void
client_close (Client *c)
{
  fl_test_spin_until_idle ();
  g_clear_object (&c->context);
  g_clear_object (&c->store);
  fl_test_rm_rf (c->dir);
  g_free (c->dir);
}

/* The first @type below @root (with @css_class, when given). The drop-downs hold list
 * views of their own: the history's list is found by its model. */
static GtkWidget *
find_widget_full (GtkWidget  *root,
                  GType       type,
                  const char *css_class,
                  GListModel *model)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (css_class == NULL || gtk_widget_has_css_class (root, css_class)) &&
      (model == NULL ||
       (GTK_IS_NO_SELECTION (gtk_list_view_get_model (GTK_LIST_VIEW (root))) &&
        gtk_no_selection_get_model (GTK_NO_SELECTION (gtk_list_view_get_model (GTK_LIST_VIEW (root)))) == model)))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget_full (child, type, css_class, model);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GListModel *model;
  guint       n;
} AtLeast;

static gboolean
has_items (gpointer data)
{
  AtLeast *a = data;

  return g_list_model_get_n_items (a->model) >= a->n &&
         !fl_history_model_get_loading (FL_HISTORY_MODEL (a->model));
}

static gboolean
has_total (gpointer data)
{
  AtLeast *a = data;

  return fl_history_model_get_total (FL_HISTORY_MODEL (a->model)) == (gint64) a->n &&
         !fl_history_model_get_loading (FL_HISTORY_MODEL (a->model));
}

static gboolean
data_is_set (gpointer data)
{
  gpointer *pair = data;

  return g_object_get_data (pair[0], pair[1]) != NULL;
}

static void
wait_data (gpointer    object,
           const char *key)
{
  gpointer pair[2] = { object, (gpointer) key };

  fl_test_spin_until (data_is_set, pair, 30);
}

static gboolean
has_children (gpointer widget)
{
  return gtk_widget_get_first_child (widget) != NULL;
}

/* 250 tickets as alex: every fifth in "printer", every tenth resolved at first contact. */
static void
make_tickets (void)
{
  g_autoptr(SoupSession) session = fl_test_session_new ();
  g_autofree char *token = fl_test_http_login (session, server->url, "alex", PASSWORD);
  g_autofree char *url = g_strconcat (server->url, "/api/v1/sync", NULL);
  g_autofree char *client = g_uuid_string_random ();
  g_autoptr(GString) ops = g_string_new (NULL);
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) r = NULL;
  guint status = 0;

  for (guint i = 0; i < N_TICKETS; i++)
    {
      g_autofree char *tid = g_uuid_string_random ();
      g_autofree char *op1 = g_uuid_string_random ();

      g_string_append_printf (ops, "%s{\"op_id\":\"%s\",\"ticket_id\":\"%s\",\"type\":\"create\","
                              "\"base_version\":0,\"data\":{\"title\":\"Ticket %u, \\\"quoted\\\"\","
                              "\"requester\":{\"name\":\"Jana Krüger\"},\"category\":\"%s\","
                              "\"channel\":\"phone\"}}",
                              i ? "," : "", op1, tid, i, i % 5 == 0 ? "printer" : "network");
      if (i % 10 == 0)
        {
          g_autofree char *op2 = g_uuid_string_random ();

          g_string_append_printf (ops, ",{\"op_id\":\"%s\",\"ticket_id\":\"%s\",\"type\":\"resolve\","
                                  "\"base_version\":1,\"data\":{\"code\":\"first_contact\","
                                  "\"summary\":\"ok\"}}", op2, tid);
        }
    }
  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"ops\":[%s]}", client, G_MAXINT32,
                          ops->str);
  r = fl_test_http_full (session, "POST", url, token, body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

static void
on_after_paint_cb (GdkFrameClock *clock,
                   gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A screenshot once the window has painted its current state. */
static void
screenshot (GtkWidget  *window,
            const char *name)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean painted = FALSE;
  gulong id;

  if (g_getenv ("FIRSTLINE_SCREENSHOT_DIR") == NULL)
    return;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), &painted);
  gtk_widget_queue_draw (window);
  fl_test_spin_until (fl_test_flag_is_set, &painted, 10);
  g_signal_handler_disconnect (clock, id);
  fl_test_save_screenshot (window, name);
}

static GtkWidget *
find_figure (GtkWidget  *root,
             const char *kpi)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (g_object_get_data (G_OBJECT (root), "kpi"), kpi) == 0 &&
      g_object_get_data (G_OBJECT (root), "resolved-by") == NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_figure (child, kpi);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_lead (void)
{
  Client c = { 0 };
  FlHistoryWindow *window;
  GListModel *model;
  GtkScrolledWindow *scroller;
  GtkAdjustment *adj;
  GtkListView *list;
  GtkListBox *timeline;
  AtLeast want;
  g_autoptr(FlHistoryFilter) filter = fl_history_filter_new ();
  g_autofree char *csv_path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *today = NULL;
  g_autofree char *from = NULL;
  g_autoptr(GFile) csv = NULL;
  g_auto(GStrv) lines = NULL;
  GtkWidget *open_card;

  client_open (&c, "lee");
  window = FL_HISTORY_WINDOW (fl_history_window_new (NULL, c.context));
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  fl_test_present (GTK_WINDOW (window));
  model = fl_history_window_get_model (window);

  /* The first page, newest first */
  want = (AtLeast) { model, 100 };
  fl_test_spin_until (has_items, &want, 30);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 100);
  g_assert_cmpint (fl_history_model_get_total (FL_HISTORY_MODEL (model)), ==, N_TICKETS);
  {
    g_autoptr(FlTicket) first = g_list_model_get_item (model, 0);
    g_assert_cmpstr (first->title, ==, "Ticket 249, \"quoted\"");
  }

  /* Scrolling to the end loads the next page, and the one after */
  list = GTK_LIST_VIEW (find_widget_full (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW, NULL, model));
  g_assert_nonnull (list);
  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (list),
                                                           GTK_TYPE_SCROLLED_WINDOW));
  adj = gtk_scrolled_window_get_vadjustment (scroller);
  for (guint round = 0; round < 2; round++)
    {
      fl_test_spin_until_idle ();
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      want = (AtLeast) { model, 200 + round * 50 };
      fl_test_spin_until (has_items, &want, 30);
    }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_TICKETS);

  /* The filters */
  filter->category = g_strdup ("printer");
  fl_history_window_show_history (window, filter);
  want = (AtLeast) { model, N_TICKETS / 5 };
  fl_test_spin_until (has_total, &want, 30);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_TICKETS / 5);
  g_free (filter->category);
  filter->category = NULL;
  filter->status = g_strdup ("resolved");
  filter->q = g_strdup ("Ticket 240");
  fl_history_window_show_history (window, filter);
  want = (AtLeast) { model, 1 };
  fl_test_spin_until (has_total, &want, 30);

  /* A ticket's timeline from the server */
  timeline = GTK_LIST_BOX (find_widget_full (GTK_WIDGET (window), GTK_TYPE_LIST_BOX, "boxed-list",
                                             NULL));
  g_signal_emit_by_name (list, "activate", 0);
  fl_test_spin_until (has_children, timeline, 30);
  fl_test_spin_until_idle ();
  {
    GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (timeline));
    GtkWidget *second = gtk_widget_get_next_sibling (row);

    g_assert_nonnull (second);   /* create and resolve */
    g_assert_null (gtk_widget_get_next_sibling (second));
    g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row)))),
                              "alex"));
  }

  /* The dashboard: today and the days before */
  today = g_date_time_format (g_date_time_new_now_utc (), "%Y-%m-%d");
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autoptr(GDateTime) week = g_date_time_add_days (now, -6);

    from = g_date_time_format (week, "%Y-%m-%d");
  }
  fl_history_window_show_dashboard (window, from, today);
  wait_data (window, "dashboard-ready");
  fl_test_spin_until_idle ();
  g_assert_cmpuint (fl_bar_chart_get_n_rows (FL_BAR_CHART (find_widget (GTK_WIDGET (window),
                                                                       FL_TYPE_BAR_CHART))), ==, 1);
  screenshot (GTK_WIDGET (window), "dashboard-light.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  fl_test_spin_until_idle ();
  screenshot (GTK_WIDGET (window), "dashboard-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* A bar drills down too: today's resolved ones */
  g_signal_emit_by_name (find_widget (GTK_WIDGET (window), FL_TYPE_BAR_CHART), "bar-activated",
                         0, 1);
  want = (AtLeast) { model, N_TICKETS / 10 };
  fl_test_spin_until (has_total, &want, 30);
  g_assert_cmpstr (fl_history_window_get_filter (window)->resolved_from, ==, today);
  fl_history_window_show_dashboard (window, from, today);
  wait_data (window, "dashboard-ready");

  /* Every number drills down: the open ones */
  open_card = find_figure (GTK_WIDGET (window), "open");
  g_assert_nonnull (open_card);
  g_signal_emit_by_name (open_card, "clicked");
  want = (AtLeast) { model, N_TICKETS - N_TICKETS / 10 };
  fl_test_spin_until (has_total, &want, 30);
  g_assert_cmpstr (fl_history_window_get_filter (window)->kpi, ==, "open");
  g_assert_cmpstr (fl_history_window_get_filter (window)->from, ==, from);

  /* and the first-contact ones */
  g_signal_emit_by_name (find_figure (GTK_WIDGET (window), "first_contact"), "clicked");
  want = (AtLeast) { model, N_TICKETS / 10 };
  fl_test_spin_until (has_total, &want, 30);
  screenshot (GTK_WIDGET (window), "history-light.png");

  /* The export of what the history shows */
  csv_path = g_build_filename (c.dir, "history.csv", NULL);
  csv = g_file_new_for_path (csv_path);
  fl_history_window_export_to (window, csv);
  wait_data (window, "export-done");
  g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (window), "export-done")), ==, 1);
  g_assert_true (g_file_get_contents (csv_path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\r\n", -1);
  /* header, 25 rows, the empty rest after the last CRLF */
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + N_TICKETS / 10 + 1);
  g_assert_true (g_str_has_prefix (lines[0], "number,id,title,"));
  g_assert_nonnull (strstr (lines[1], ",\"Ticket 240, \"\"quoted\"\"\","));
  g_assert_nonnull (strstr (lines[1], ",Jana Krüger,"));

  gtk_window_destroy (GTK_WINDOW (window));
  client_close (&c);
}

static GtkWidget *
find_action_button (GtkWidget  *root,
                    const char *action)
{
  if (GTK_IS_BUTTON (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_action_button (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_specialist_and_agent (void)
{
  Client c = { 0 };
  FlHistoryWindow *window;
  AtLeast want;

  g_assert_false (fl_history_window_role_allowed (FL_ROLE_AGENT));
  g_assert_true (fl_history_window_role_allowed (FL_ROLE_SPECIALIST));
  g_assert_true (fl_history_window_role_allowed (FL_ROLE_LEAD));

  client_open (&c, "sam");
  window = FL_HISTORY_WINDOW (fl_history_window_new (NULL, c.context));
  fl_test_present (GTK_WINDOW (window));
  want = (AtLeast) { fl_history_window_get_model (window), 100 };
  fl_test_spin_until (has_items, &want, 30);
  /* read-only: no dashboard, no export */
  g_assert_false (adw_view_stack_page_get_visible (
                    adw_view_stack_get_page (ADW_VIEW_STACK (find_widget (GTK_WIDGET (window),
                                                                          ADW_TYPE_VIEW_STACK)),
                                             adw_view_stack_get_child_by_name (
                                               ADW_VIEW_STACK (find_widget (GTK_WIDGET (window),
                                                                            ADW_TYPE_VIEW_STACK)),
                                               "dashboard"))));
  {
    GtkWidget *export = find_action_button (GTK_WIDGET (window), "history.export");

    g_assert_nonnull (export);
    g_assert_false (gtk_widget_get_visible (export));
    g_assert_false (gtk_widget_get_sensitive (export));
  }
  gtk_window_destroy (GTK_WINDOW (window));
  client_close (&c);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (!gtk_init_check ())
    return 77;
  adw_init ();

  server_dir = g_dir_make_tmp ("fl-history-server-XXXXXX", NULL);
  fl_test_add_user (server_dir, "alex", "agent", PASSWORD);
  fl_test_add_user (server_dir, "sam", "specialist", PASSWORD);
  fl_test_add_user (server_dir, "lee", "lead", PASSWORD);
  server = fl_test_server_start (server_dir);
  make_tickets ();

  g_test_add_func ("/history/lead", test_lead);
  g_test_add_func ("/history/specialist-and-agent", test_specialist_and_agent);
  ret = g_test_run ();

  fl_test_server_free (server);
  fl_test_rm_rf (server_dir);
  g_free (server_dir);
  return ret;
}
