/* test-day.c — an agent's day in the real window, driven by real key presses
 * and clicks (XTEST, under Xvfb)
 *
 * A new ticket half typed survives Ctrl+Q and a restart of the process;
 * Ctrl+Enter sends a note; at every width the agent gets from the list to the
 * ticket, to its checklist and back, with the keyboard and the pointer; the
 * dark style can be switched and Preferences closes on Escape.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <signal.h>

#include "fl-application.h"
#include "fl-demo.h"
#include "fl-intake-dialog.h"
#include "fl-sync-engine-private.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"
#include "fl-ticket-detail.h"
#include "fl-ticket-list.h"
#include "fl-window.h"

typedef struct
{
  char          *dir;
  char          *path;
  FlStore       *store;
  FlContext     *context;
  GSettings     *settings;
  FlApplication *app;
  FlWindow      *window;
} Fixture;

static void
remove_cache (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static void
fixture_open (Fixture *f,
              guint    n_tickets,
              int      width,
              int      height)
{
  g_autoptr(GError) error = NULL;

  /* GNOME's window buttons: only "close" (Xvfb has no settings daemon) */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "menu:close", NULL);
  /* Panes slide in no time: what is on screen is what the test looks at. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  f->dir = g_dir_make_tmp ("firstline-day-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (f->path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);

  if (n_tickets > 0)
    {
      g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (n_tickets, 7, fl_time_now (), 30);
      fl_store_put_tickets (f->store, tickets, NULL, &error);
      g_assert_no_error (error);
    }

  f->settings = g_settings_new (APPLICATION_ID);
  g_settings_set_int (f->settings, "window-width", width);
  g_settings_set_int (f->settings, "window-height", height);
  g_settings_set_string (f->settings, "selected-view", "all");
  f->context = fl_context_new (f->store, f->settings);
  f->app = g_object_new (FL_TYPE_APPLICATION,
                         "application-id", "io.github.firstline.FirstlineDayTest",
                         "flags", G_APPLICATION_NON_UNIQUE,
                         NULL);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);

  f->window = fl_window_new (f->app, f->context);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  fl_test_present (GTK_WINDOW (f->window));
  fl_test_focus_window (GTK_WINDOW (f->window));
}

static void
fixture_close (Fixture *f)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  fl_test_spin_until_idle ();
  g_clear_object (&f->app);
  g_clear_object (&f->context);
  g_clear_object (&f->settings);
  g_clear_object (&f->store);
  remove_cache (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static GtkWidget *
part (Fixture    *f,
      const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->window), FL_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

/* On screen: mapped, and not slid away to the side of a folded leaflet. */
static gboolean
is_shown (gpointer data)
{
  GtkWidget *widget = data;
  GtkNative *native;
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget) || !gtk_widget_get_child_visible (widget))
    return FALSE;
  native = gtk_widget_get_native (widget);
  if (!gtk_widget_compute_bounds (widget, GTK_WIDGET (native), &bounds))
    return FALSE;
  return bounds.size.width > 0 && bounds.origin.x >= 0 &&
         bounds.origin.x + bounds.size.width <= gtk_widget_get_width (GTK_WIDGET (native)) + 1;
}

/* The first FlTicketRow under @list that is on screen, or NULL. */
static GtkWidget *
find_shown_row (GtkWidget *list)
{
  for (GtkWidget *w = gtk_widget_get_first_child (list); w != NULL; )
    {
      if (g_str_equal (G_OBJECT_TYPE_NAME (w), "FlTicketRow") && is_shown (w))
        return w;
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && w != list && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w == NULL || w == list ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  return NULL;
}

static gboolean
has_shown_row (gpointer list)
{
  return find_shown_row (list) != NULL;
}

static gboolean
is_hidden (gpointer data)
{
  return !is_shown (data);
}

static FlTicketDetail *
detail (Fixture *f)
{
  return FL_TICKET_DETAIL (part (f, "ticket_detail"));
}

/* --- 1. a new ticket half typed survives Ctrl+Q and a restart ------------- */

static gboolean
intake_is_shown (gpointer data)
{
  GtkWindow *intake = fl_test_find_toplevel (FL_TYPE_INTAKE_DIALOG);

  return intake != NULL && gtk_widget_get_mapped (GTK_WIDGET (intake));
}

static gboolean
window_is_shown (gpointer data)
{
  GtkWindow *window = fl_test_find_toplevel (FL_TYPE_WINDOW);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* The first run: opens the form with Ctrl+N, types a name and a title, Ctrl+Q. */
static gboolean
type_idle_cb (gpointer data)
{
  FlIntakeDialog *intake;

  fl_test_spin_until (window_is_shown, NULL, 10);
  fl_test_focus_window (fl_test_find_toplevel (FL_TYPE_WINDOW));
  /* Ctrl+N, whether the view shows tickets or none */
  fl_test_press_key (GDK_KEY_n, GDK_CONTROL_MASK);
  fl_test_spin_until (intake_is_shown, NULL, 10);
  intake = FL_INTAKE_DIALOG (fl_test_find_toplevel (FL_TYPE_INTAKE_DIALOG));
  fl_test_focus_window (GTK_WINDOW (intake));

  /* The name is where the cursor starts. */
  fl_test_type_text ("Jana Berger");
  {
    g_autofree char *name = fl_intake_dialog_dup_field (intake, "requester.name");
    g_assert_cmpstr (name, ==, "Jana Berger");
  }
  fl_test_press_key (GDK_KEY_Tab, 0);
  fl_intake_dialog_set_field (intake, "title", "Drucker 3. OG druckt nicht");

  /* At once, before any pause could save it. */
  fl_test_press_key (GDK_KEY_q, GDK_CONTROL_MASK);
  return G_SOURCE_REMOVE;
}

static void
on_type_activate_cb (GApplication *app)
{
  g_idle_add (type_idle_cb, NULL);
}

/* The second run on the same cache: the form is back with what was typed. */
static void
on_check_activate_cb (GApplication *app)
{
  FlIntakeDialog *intake;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;

  fl_test_spin_until (intake_is_shown, NULL, 10);
  intake = FL_INTAKE_DIALOG (fl_test_find_toplevel (FL_TYPE_INTAKE_DIALOG));
  name = fl_intake_dialog_dup_field (intake, "requester.name");
  title = fl_intake_dialog_dup_field (intake, "title");
  g_assert_cmpstr (name, ==, "Jana Berger");
  g_assert_cmpstr (title, ==, "Drucker 3. OG druckt nicht");
  g_application_quit (app);
}

static void
run_app_child (GCallback on_activate)
{
  const char *cache = g_getenv ("FIRSTLINE_DAY_CACHE");
  g_autoptr(FlApplication) app = NULL;
  g_auto(GStrv) argv = NULL;
  int status;

  g_assert_nonnull (cache);
  argv = g_strsplit ("firstline|--cache||--demo-tickets|3", "|", -1);
  g_free (argv[2]);
  argv[2] = g_strdup (cache);
  app = g_object_new (FL_TYPE_APPLICATION,
                      "application-id", "io.github.firstline.FirstlineDayTest",
                      "flags", G_APPLICATION_NON_UNIQUE,
                      NULL);
  g_signal_connect_after (app, "activate", on_activate, NULL);
  status = g_application_run (G_APPLICATION (app), (int) g_strv_length (argv), argv);
  g_assert_cmpint (status, ==, 0);
}

static void
child_intake_type (void)
{
  run_app_child (G_CALLBACK (on_type_activate_cb));
}

static void
child_intake_check (void)
{
  run_app_child (G_CALLBACK (on_check_activate_cb));
}

static void
test_intake_survives_quit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("firstline-day-XXXXXX", &error);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);

  g_assert_no_error (error);
  g_setenv ("FIRSTLINE_DAY_CACHE", cache, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);

  g_test_trap_subprocess ("/day-child/intake-type", 60 * G_USEC_PER_SEC * fl_test_slowdown (),
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  /* A new process on the same cache. */
  g_test_trap_subprocess ("/day-child/intake-check", 60 * G_USEC_PER_SEC * fl_test_slowdown (),
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  fl_test_rm_rf (dir);
}

/* --- 2. Ctrl+Enter in the composer sends ---------------------------------- */

static gboolean
has_n_notes (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];
  guint expected = GPOINTER_TO_UINT (((gpointer *) data)[1]);
  FlTicket *t = fl_ticket_detail_get_ticket (detail (f));
  g_autoptr(GPtrArray) events = fl_store_list_events (f->store, t->id, NULL);
  guint n = 0;

  for (guint i = 0; events != NULL && i < events->len; i++)
    if (((FlEvent *) g_ptr_array_index (events, i))->type == FL_OP_NOTE)
      n++;
  return n == expected;
}


static void
test_ctrl_enter_sends (void)
{
  Fixture f = { 0 };
  GtkWidget *composer;
  GtkTextBuffer *buffer;
  const guint keys[] = { GDK_KEY_Return, GDK_KEY_KP_Enter };

  fixture_open (&f, 5, 1280, 800);
  fl_test_press_key (GDK_KEY_Down, 0);
  fl_test_press_key (GDK_KEY_Down, 0);
  fl_test_press_key (GDK_KEY_Return, 0);
  g_assert_nonnull (fl_ticket_detail_get_ticket (detail (&f)));

  /* The ticket's actions sit outside what scrolls: long histories never hide them. */
  {
    GtkWidget *actions = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (detail (&f)),
                                                                    FL_TYPE_TICKET_DETAIL, "actions_box"));

    g_assert_nonnull (actions);
    g_assert_false (gtk_widget_is_ancestor (actions, fl_ticket_detail_get_content (detail (&f))));
  }

  composer = fl_ticket_detail_get_composer (detail (&f));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      gpointer data[2] = { &f, GUINT_TO_POINTER (i + 1) };
      g_autofree char *text = NULL;
      GtkTextIter start, end;

      gtk_widget_grab_focus (composer);
      fl_test_type_text ("Called back");
      fl_test_press_key (keys[i], GDK_CONTROL_MASK);

      /* sent: in the history, and the composer is empty again */
      fl_test_spin_until (has_n_notes, data, 5);
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      g_assert_cmpstr (text, ==, "");
    }

  fixture_close (&f);
}

/* --- 3. list → ticket → checklist → back, at every width ------------------ */

static void
check_layout (int width)
{
  Fixture f = { 0 };
  GtkWidget *list_pane, *detail_pane, *checklist_page;
  FlTicket *ticket;
  gboolean narrow;

  fixture_open (&f, 20, width, 700);
  list_pane = part (&f, "list_pane");
  detail_pane = part (&f, "detail_pane");
  checklist_page = part (&f, "checklist_page");
  /* (without a window manager, GTK keeps a few pixels for the frame) */
  g_assert_cmpint (ABS (gtk_widget_get_width (GTK_WIDGET (f.window)) - width), <=, 20);

  /* The keyboard: the list has the focus; a row, Enter: the ticket. */
  fl_test_spin_until (is_shown, list_pane, 5);
  fl_test_press_key (GDK_KEY_Down, 0);
  fl_test_press_key (GDK_KEY_Down, 0);
  fl_test_press_key (GDK_KEY_Return, 0);
  ticket = fl_ticket_detail_get_ticket (detail (&f));
  g_assert_nonnull (ticket);
  fl_test_spin_until (is_shown, detail_pane, 5);
  fl_test_spin_until (is_shown, fl_ticket_detail_get_content (detail (&f)), 5);
  narrow = adw_leaflet_get_folded (ADW_LEAFLET (part (&f, "list_leaflet")));
  g_assert_true (narrow == !is_shown (list_pane));

  /* F9: the checklist, beside the ticket or in its place. */
  if (!is_shown (checklist_page))
    fl_test_press_key (GDK_KEY_F9, 0);
  fl_test_spin_until (is_shown, checklist_page, 5);
  fl_test_save_screenshot (GTK_WIDGET (f.window), "day-checklist.png");

  /* Back, with Alt+Left, until the list is there. */
  for (int i = 0; i < 3 && !is_shown (list_pane); i++)
    fl_test_press_key (GDK_KEY_Left, GDK_ALT_MASK);
  fl_test_spin_until (is_shown, list_pane, 5);

  /* The pointer: a click on a row opens its ticket; the back buttons return. */
  {
    GtkWidget *list = part (&f, "ticket_list");
    GtkWidget *row = NULL;

    /* the first row on screen */
    for (GtkWidget *w = gtk_widget_get_first_child (list); w != NULL && row == NULL; )
      {
        if (g_str_equal (G_OBJECT_TYPE_NAME (w), "FlTicketRow") && is_shown (w))
          row = w;
        else if (gtk_widget_get_first_child (w) != NULL)
          w = gtk_widget_get_first_child (w);
        else
          {
            while (w != NULL && gtk_widget_get_next_sibling (w) == NULL && w != list)
              w = gtk_widget_get_parent (w);
            w = (w == NULL || w == list) ? NULL : gtk_widget_get_next_sibling (w);
          }
      }
    g_assert_nonnull (row);
    fl_test_click_widget (row);
    fl_test_spin_until (is_shown, detail_pane, 5);
    fl_test_spin_until (is_shown, fl_ticket_detail_get_content (detail (&f)), 5);
  }

  /* Folded, the buttons lead on and back; wide, everything is there. */
  {
    GtkWidget *show_checklist = part (&f, "show_checklist_button");
    GtkWidget *back_to_list = part (&f, "back_to_list");

    if (is_shown (show_checklist))
      {
        fl_test_click_widget (show_checklist);
        fl_test_spin_until (is_shown, checklist_page, 5);
        fl_test_spin_until (is_hidden, detail_pane, 5);
        fl_test_click_widget (part (&f, "back_to_ticket"));
        fl_test_spin_until (is_shown, detail_pane, 5);
      }
    else
      g_assert_true (is_shown (checklist_page));

    if (is_shown (back_to_list))
      {
        g_assert_true (narrow);
        fl_test_click_widget (back_to_list);
        fl_test_spin_until (is_shown, list_pane, 5);
        fl_test_spin_until (is_hidden, detail_pane, 5);
      }
    else
      g_assert_true (is_shown (list_pane));
  }

  fixture_close (&f);
}

static void
test_layout (gconstpointer data)
{
  check_layout (GPOINTER_TO_INT (data));
}

/* --- 1b. a resolution half typed comes back with the ticket ----------------- */

static gboolean
message_dialog_shown (gpointer data)
{
  GtkWidget *dialog = fl_test_find_message_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (dialog);
}

static GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
window_gone (gpointer data)
{
  return ((Fixture *) data)->window == NULL;
}

static void
test_resolve_draft (void)
{
  Fixture f = { 0 };
  g_autofree char *id = NULL;
  AdwMessageDialog *dialog;
  GtkTextView *summary;
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  fixture_open (&f, 3, 1280, 800);
  {
    g_autoptr(JsonObject) fields = fl_test_parse_object ("{\"title\": \"Outlook startet nicht\","
                                                         " \"requester\": {\"name\": \"Jana Berger\"},"
                                                         " \"channel\": \"phone\", \"category\": \"email\","
                                                         " \"impact\": \"medium\", \"urgency\": \"medium\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) t = fl_store_create_ticket (f.store, fields, &error);

    g_assert_no_error (error);
    id = g_strdup (t->id);
  }
  fl_test_spin_until_idle ();
  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), id));
  fl_test_spin_until_idle ();
  gtk_widget_activate_action (GTK_WIDGET (f.window), "win.claim", NULL);
  fl_test_press_key (GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK);
  fl_test_spin_until (message_dialog_shown, NULL, 5);
  dialog = ADW_MESSAGE_DIALOG (fl_test_find_message_dialog ());
  fl_test_focus_window (GTK_WINDOW (dialog));

  /* Two lines: Enter is a new line there, not "Resolve". */
  fl_test_type_text ("Profil neu angelegt.");
  fl_test_press_key (GDK_KEY_Return, 0);
  fl_test_type_text ("Kennwort zurueckgesetzt.");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (dialog)));

  /* Ctrl+Q: everything closes, the ticket stays unresolved. */
  fl_test_press_key (GDK_KEY_q, GDK_CONTROL_MASK);
  fl_test_spin_until (window_gone, &f, 5);
  {
    g_autoptr(FlTicket) t = fl_store_get_ticket (f.store, id, NULL);
    g_assert_cmpint (t->status, !=, FL_STATUS_RESOLVED);
  }

  /* A new window on the cache: opening the ticket offers the resolution again. */
  f.window = fl_window_new (f.app, f.context);
  g_object_add_weak_pointer (G_OBJECT (f.window), (gpointer *) &f.window);
  fl_test_present (GTK_WINDOW (f.window));
  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), id));
  fl_test_spin_until_idle ();
  fl_test_spin_until (message_dialog_shown, NULL, 5);
  dialog = ADW_MESSAGE_DIALOG (fl_test_find_message_dialog ());
  summary = GTK_TEXT_VIEW (find_type (adw_message_dialog_get_extra_child (dialog), GTK_TYPE_TEXT_VIEW));
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (summary), &start, &end);
  text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (summary), &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "Profil neu angelegt.\nKennwort zurueckgesetzt.");

  /* Ctrl+Enter resolves with it; the draft is gone. */
  fl_test_focus_window (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (summary));
  fl_test_press_key (GDK_KEY_Return, GDK_CONTROL_MASK);
  {
    g_autoptr(FlTicket) t = fl_store_get_ticket (f.store, id, NULL);
    g_autofree char *key = g_strconcat ("resolve:", id, NULL);
    g_autofree char *draft = fl_store_dup_form_draft (f.store, key);

    g_assert_cmpint (t->status, ==, FL_STATUS_RESOLVED);
    g_assert_cmpstr (t->resolution_summary, ==, "Profil neu angelegt.\nKennwort zurueckgesetzt.");
    g_assert_null (draft);
  }

  fixture_close (&f);
}

/* --- 7. presence: gone when it is old, and while offline ------------------ */

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
login (FlSyncEngine *engine,
       const char   *url,
       const char   *user,
       const char   *password)
{
  gboolean done = FALSE;

  fl_sync_engine_login_async (engine, url, user, password, NULL, login_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);
}

static void
sync_once (FlSyncEngine *engine)
{
  gboolean done = FALSE;

  fl_sync_engine_sync_async (engine, 0, NULL, sync_done_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 20);
}

typedef struct
{
  Fixture    *f;
  const char *id;
} Wait;

static gboolean
ticket_synced (gpointer data)
{
  Wait *w = data;
  g_autoptr(FlTicket) t = fl_store_get_ticket (w->f->store, w->id, NULL);

  return t != NULL && t->number > 0 && t->pending == 0;
}

static gboolean
presence_is (gpointer data)
{
  Wait *w = data;

  return g_strcmp0 (fl_ticket_detail_get_presence_text (detail (w->f)), w->id) == 0;
}

static gboolean
engine_not_online (gpointer data)
{
  FlSyncState state = fl_sync_engine_get_state (FL_SYNC_ENGINE (data));

  return state != FL_SYNC_STATE_IDLE && state != FL_SYNC_STATE_SYNCING;
}

static void
test_presence_expires (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTestServer) server = NULL;
  g_autofree char *server_dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *jana_path = NULL;
  g_autoptr(FlStore) jana_store = NULL;
  g_autoptr(FlSyncEngine) jana = NULL;
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(JsonObject) fields = NULL;
  FlSyncEngine *engine;
  Wait w = { &f, NULL };

  fixture_open (&f, 0, 1280, 800);
  server_dir = g_build_filename (f.dir, "server", NULL);
  config = g_build_filename (f.dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  fl_test_add_user (server_dir, "alex", "agent", "alexpass");
  fl_test_add_user (server_dir, "jana", "agent", "janapass");
  server = fl_test_server_start (server_dir);

  engine = fl_context_get_sync_engine (f.context);
  _fl_sync_engine_set_presence_max_age (engine, 2);
  login (engine, server->url, "alex", "alexpass");
  fl_sync_engine_start (engine);

  fields = fl_test_parse_object ("{\"title\": \"VPN trennt alle paar Minuten\","
                                 " \"requester\": {\"name\": \"Jana Berger\"},"
                                 " \"channel\": \"phone\", \"category\": \"vpn\","
                                 " \"impact\": \"medium\", \"urgency\": \"medium\"}");
  created = fl_store_create_ticket (f.store, fields, &error);
  g_assert_no_error (error);
  w.id = created->id;
  fl_test_spin_until (ticket_synced, &w, 20);
  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), created->id));

  jana_path = g_build_filename (f.dir, "jana.db", NULL);
  jana_store = fl_store_new (jana_path, &error);
  g_assert_no_error (error);
  jana = fl_sync_engine_new (jana_store);
  login (jana, server->url, "jana", "janapass");
  fl_sync_engine_set_viewing (jana, created->id, TRUE);
  sync_once (jana);

  w.id = "jana is typing in this ticket.";
  fl_test_spin_until (presence_is, &w, 10);

  /* The server stops answering: what it last said goes stale and goes. */
  g_subprocess_send_signal (server->proc, SIGSTOP);
  w.id = "";
  fl_test_spin_until (presence_is, &w, 10);
  g_subprocess_send_signal (server->proc, SIGCONT);

  /* Back: jana is there again; offline (the server gone), nobody is. */
  fl_sync_engine_kick (engine);
  sync_once (jana);
  w.id = "jana is typing in this ticket.";
  fl_test_spin_until (presence_is, &w, 40);
  fl_test_server_kill (server);
  fl_sync_engine_kick (engine);
  fl_test_spin_until (engine_not_online, engine, 40);
  w.id = "";
  fl_test_spin_until (presence_is, &w, 5);

  fl_sync_engine_stop (engine);
  fl_test_rm_rf (server_dir);
  g_unlink (jana_path);
  fixture_close (&f);
}

/* --- 8. a conflict shows on the ticket itself ------------------------------- */

static gboolean
has_conflict (gpointer data)
{
  return fl_store_count_conflicts (((Fixture *) data)->store) == 1;
}

static gboolean
engine_settled (gpointer data)
{
  Fixture *f = data;
  FlSyncEngine *engine = fl_context_get_sync_engine (f->context);

  return fl_sync_engine_get_state (engine) == FL_SYNC_STATE_IDLE &&
         fl_store_count_pending_ops (f->store) == 0 && fl_store_count_conflicts (f->store) == 0;
}

static gboolean engine_is_idle (gpointer data);

static gboolean
revealer_revealed (gpointer data)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (data));
}
static const char *label_text (GtkWidget *widget, GType type, const char *name);

static void
test_conflict_banner (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTestServer) server = NULL;
  g_autofree char *server_dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *jana_path = NULL;
  g_autoptr(FlStore) jana_store = NULL;
  g_autoptr(FlSyncEngine) jana = NULL;
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) changed = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) mine = json_object_new ();
  g_autoptr(JsonObject) theirs = json_object_new ();
  FlSyncEngine *engine;
  GtkWidget *banner;
  const char *text;
  Wait w = { &f, NULL };

  fixture_open (&f, 0, 1280, 800);
  server_dir = g_build_filename (f.dir, "server", NULL);
  config = g_build_filename (f.dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  fl_test_add_user (server_dir, "alex", "agent", "alexpass");
  fl_test_add_user (server_dir, "jana", "agent", "janapass");
  server = fl_test_server_start (server_dir);

  engine = fl_context_get_sync_engine (f.context);
  login (engine, server->url, "alex", "alexpass");
  fl_sync_engine_start (engine);
  fields = fl_test_parse_object ("{\"title\": \"Drucker 3. OG\", \"requester\": {\"name\": \"Jana Berger\"},"
                                 " \"channel\": \"phone\", \"category\": \"printer\","
                                 " \"impact\": \"medium\", \"urgency\": \"medium\"}");
  created = fl_store_create_ticket (f.store, fields, &error);
  g_assert_no_error (error);
  w.id = created->id;
  fl_test_spin_until (ticket_synced, &w, 20);
  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), created->id));

  jana_path = g_build_filename (f.dir, "jana.db", NULL);
  jana_store = fl_store_new (jana_path, &error);
  g_assert_no_error (error);
  jana = fl_sync_engine_new (jana_store);
  login (jana, server->url, "jana", "janapass");
  sync_once (jana);

  /* alex, not syncing, retitles; so does jana, who syncs at once */
  fl_sync_engine_stop (engine);
  json_object_set_string_member (mine, "title", "Drucker 3. OG: Fixierer defekt");
  changed = fl_store_update_ticket (f.store, created->id, mine, &error);
  g_assert_no_error (error);
  g_clear_object (&changed);
  json_object_set_string_member (theirs, "title", "Drucker 3. OG: Papierstau Fach 2");
  changed = fl_store_update_ticket (jana_store, created->id, theirs, &error);
  g_assert_no_error (error);
  sync_once (jana);
  fl_sync_engine_start (engine);
  fl_test_spin_until (has_conflict, &f, 20);
  fl_test_spin_until_idle ();

  /* On the ticket: who, the field by its label, both values, the choice */
  banner = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (detail (&f)), FL_TYPE_TICKET_DETAIL,
                                                      "conflict_revealer"));
  fl_test_spin_until (revealer_revealed, banner, 10);
  text = gtk_label_get_text (GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (detail (&f)),
                                                                      FL_TYPE_TICKET_DETAIL,
                                                                      "conflict_label")));
  g_assert_nonnull (strstr (text, "jana changed this ticket on "));
  g_assert_nonnull (strstr (text, "Title: “Drucker 3. OG: Papierstau Fach 2” (theirs) · “Drucker 3. OG: Fixierer defekt” (yours)"));

  /* Online with a conflict, the sync popover does not speak of an unreachable server */
  fl_test_spin_until (engine_is_idle, engine, 20);
  {
    GtkWidget *indicator = part (&f, "sync_indicator");
    const char *detail_text = label_text (indicator, G_OBJECT_TYPE (indicator), "detail_label");

    g_assert_null (strstr (detail_text, "cannot be reached"));
  }

  /* Keep mine, clicked: the conflict is gone, the server has my title */
  fl_test_click_widget (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (detail (&f)),
                                                                   FL_TYPE_TICKET_DETAIL,
                                                                   "keep_mine_button")));
  g_assert_cmpuint (fl_store_count_conflicts (f.store), ==, 0);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  fl_test_spin_until (engine_settled, &f, 20);
  {
    g_autoptr(FlTicket) t = fl_store_get_ticket (f.store, created->id, NULL);
    g_assert_cmpstr (t->title, ==, "Drucker 3. OG: Fixierer defekt");
  }

  fl_sync_engine_stop (engine);
  fl_test_server_kill (server);
  fl_test_rm_rf (server_dir);
  g_unlink (jana_path);
  fixture_close (&f);
}

static gboolean
engine_is_idle (gpointer data)
{
  return fl_sync_engine_get_state (FL_SYNC_ENGINE (data)) == FL_SYNC_STATE_IDLE;
}

/* --- 10. German labels, open first, a reason to reopen, no local names ----- */

static FlTicket *
create (Fixture    *f,
        const char *title,
        const char *category,
        const char *grade)
{
  g_autofree char *json = g_strdup_printf ("{\"title\": \"%s\", \"requester\": {\"name\": \"Jana Berger\"},"
                                           " \"channel\": \"phone\", \"category\": \"%s\","
                                           " \"impact\": \"%s\", \"urgency\": \"%s\"}",
                                           title, category, grade, grade);
  g_autoptr(JsonObject) fields = fl_test_parse_object (json);
  g_autoptr(GError) error = NULL;
  FlTicket *t = fl_store_create_ticket (f->store, fields, &error);

  g_assert_no_error (error);
  return t;
}

static const char *
label_text (GtkWidget  *widget,
            GType       type,
            const char *name)
{
  return gtk_label_get_label (GTK_LABEL (gtk_widget_get_template_child (widget, type, name)));
}

static void
test_labels_de (void)
{
  Fixture f = { 0 };
  g_autofree char *podir = g_build_filename (g_getenv ("FIRSTLINE_BUILD_DIR"), "po", NULL);
  g_autoptr(FlTicket) open_ticket = NULL;
  g_autoptr(FlTicket) done = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *model;
  GtkWidget *row = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *reason;
  const char *meta;

  /* German, from the build's translations (glibc honours LANGUAGE with C.UTF-8) */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, podir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  fixture_open (&f, 0, 1600, 900);
  open_ticket = create (&f, "Drucker druckt nicht", "printer", "low");
  done = create (&f, "Server steht", "network", "high");
  g_clear_object (&t);
  t = fl_store_claim (f.store, done->id, &error);
  g_assert_no_error (error);
  g_clear_object (&t);
  t = fl_store_resolve (f.store, done->id, FL_RESOLUTION_FIRST_CONTACT, "Neu gestartet", &error);
  g_assert_no_error (error);
  fl_test_spin_until_idle ();

  /* All: the open P4 before the resolved P1 */
  model = G_LIST_MODEL (fl_window_get_list_model (f.window));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  {
    g_autoptr(FlTicket) first = g_list_model_get_item (model, 0);
    g_assert_cmpstr (first->id, ==, open_ticket->id);
    g_assert_cmpint (done->priority, <, open_ticket->priority);
  }

  /* The row and the ticket name the category, the level and the queue in German;
   * the list view makes its rows when it lays out, after the model changed. */
  fl_test_spin_until (has_shown_row, part (&f, "ticket_list"), 5);
  row = find_shown_row (part (&f, "ticket_list"));
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (label_text (row, G_OBJECT_TYPE (row), "details_label"), "Drucker"));
  g_assert_null (strstr (label_text (row, G_OBJECT_TYPE (row), "details_label"), "printer"));

  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), open_ticket->id));
  fl_test_spin_until_idle ();
  meta = label_text (GTK_WIDGET (detail (&f)), FL_TYPE_TICKET_DETAIL, "meta_label");
  g_assert_nonnull (strstr (meta, "Fällig"));
  g_assert_nonnull (strstr (meta, "1st Level"));
  g_assert_null (strstr (meta, "first-level"));
  g_assert_null (strstr (meta, "Level 1"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_widget_get_template_child (GTK_WIDGET (detail (&f)), FL_TYPE_TICKET_DETAIL, "asset_row"))),
                            "Drucker"));

  /* Reopening the resolved one asks why, and keeps the answer */
  g_assert_true (fl_ticket_list_select_id (FL_TICKET_LIST (part (&f, "ticket_list")), done->id));
  fl_test_spin_until_idle ();
  gtk_widget_activate_action (GTK_WIDGET (detail (&f)), "ticket.reopen", NULL);
  fl_test_spin_until (message_dialog_shown, NULL, 5);
  dialog = ADW_MESSAGE_DIALOG (fl_test_find_message_dialog ());
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "reopen"));
  reason = find_type (adw_message_dialog_get_extra_child (dialog), GTK_TYPE_ENTRY);
  gtk_editable_set_text (GTK_EDITABLE (reason), "Server wieder aus");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "reopen"));
  adw_message_dialog_response (dialog, "reopen");
  {
    g_autoptr(FlTicket) reopened = fl_store_get_ticket (f.store, done->id, NULL);
    g_autoptr(GPtrArray) events = fl_store_list_events (f.store, done->id, NULL);
    FlEvent *last = g_ptr_array_index (events, events->len - 1);

    g_assert_cmpint (reopened->status, !=, FL_STATUS_RESOLVED);
    g_assert_cmpint (last->type, ==, FL_OP_REOPEN);
    g_assert_cmpstr (json_object_get_string_member (last->data, "reason"), ==, "Server wieder aus");
  }

  /* The built-in checklists speak German formally ("Sie", never "du") */
  {
    g_autofree char *dir = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "checklists", NULL);
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_autoptr(GRegex) du = g_regex_new ("\\b(du|dich|dir|dein|deine|deinen|deinem|deiner)\\b",
                                        G_REGEX_CASELESS, 0, NULL);
    const char *name;
    guint n = 0;

    g_assert_nonnull (d);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *text = NULL;

        if (!g_str_has_suffix (name, ".json"))
          continue;
        g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
        g_assert_false (g_regex_match (du, text, 0, NULL));
        n++;
      }
    g_assert_cmpuint (n, >=, 8);
  }

  fixture_close (&f);

  /* A cache that never logged in does not act as the computer's account */
  {
    g_autofree char *dir = g_dir_make_tmp ("firstline-day-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
    g_autoptr(FlStore) store = fl_store_new (path, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (fl_store_get_username (store), ==, FL_STORE_LOCAL_USER);
    g_assert_cmpstr (fl_store_get_username (store), !=, g_get_user_name ());
    g_clear_object (&store);
    fl_test_rm_rf (dir);
  }
}

/* --- 4. Preferences: the dark style, Escape, Ctrl+Q ----------------------- */

static GtkWidget *
find_switch_in_row (GtkWidget  *root,
                    const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    {
      for (GtkWidget *w = gtk_widget_get_first_child (root); w != NULL; )
        {
          if (GTK_IS_SWITCH (w))
            return w;
          if (gtk_widget_get_first_child (w) != NULL)
            w = gtk_widget_get_first_child (w);
          else
            {
              while (w != root && gtk_widget_get_next_sibling (w) == NULL)
                w = gtk_widget_get_parent (w);
              w = w == root ? NULL : gtk_widget_get_next_sibling (w);
            }
        }
      return NULL;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_switch_in_row (child, title);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
preferences_shown (gpointer data)
{
  GtkWindow *window = fl_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
preferences_gone (gpointer data)
{
  return fl_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW) == NULL;
}

static void
test_preferences (void)
{
  Fixture f = { 0 };
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWindow *prefs;
  GtkWidget *dark;
  g_autofree char *scheme = NULL;

  fixture_open (&f, 3, 1280, 800);
  g_assert_false (adw_style_manager_get_dark (style));

  fl_test_press_key (GDK_KEY_comma, GDK_CONTROL_MASK);
  fl_test_spin_until (preferences_shown, NULL, 5);
  prefs = fl_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  fl_test_focus_window (prefs);
  dark = find_switch_in_row (GTK_WIDGET (prefs), "Dark style");
  g_assert_nonnull (dark);
  g_assert_true (gtk_widget_is_sensitive (dark));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (dark)));

  /* Clicked: the style is dark, and the setting says so. */
  fl_test_click_widget (dark);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (dark)));
  g_assert_true (adw_style_manager_get_dark (style));
  scheme = g_settings_get_string (f.settings, "color-scheme");
  g_assert_cmpstr (scheme, ==, "dark");

  /* Escape closes Preferences. */
  fl_test_press_key (GDK_KEY_Escape, 0);
  fl_test_spin_until (preferences_gone, NULL, 5);
  g_assert_nonnull (f.window);
  fl_test_focus_window (GTK_WINDOW (f.window));

  /* Back to light by the setting itself: the switch follows it. */
  g_settings_set_string (f.settings, "color-scheme", "default");
  fl_test_spin_until_idle ();
  g_assert_false (adw_style_manager_get_dark (style));

  /* Ctrl+Q from inside Preferences quits: every window goes. */
  fl_test_press_key (GDK_KEY_comma, GDK_CONTROL_MASK);
  fl_test_spin_until (preferences_shown, NULL, 5);
  fl_test_focus_window (fl_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW));
  fl_test_press_key (GDK_KEY_q, GDK_CONTROL_MASK);
  fl_test_spin_until (preferences_gone, NULL, 5);
  g_assert_null (f.window);

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/day/intake-survives-quit", test_intake_survives_quit);
  g_test_add_func ("/day-child/intake-type", child_intake_type);
  g_test_add_func ("/day-child/intake-check", child_intake_check);
  g_test_add_func ("/day/ctrl-enter-sends", test_ctrl_enter_sends);
  g_test_add_data_func ("/day/layout/360", GINT_TO_POINTER (360), test_layout);
  g_test_add_data_func ("/day/layout/900", GINT_TO_POINTER (900), test_layout);
  g_test_add_data_func ("/day/layout/1280", GINT_TO_POINTER (1280), test_layout);
  g_test_add_data_func ("/day/layout/1600", GINT_TO_POINTER (1600), test_layout);
  g_test_add_func ("/day/preferences", test_preferences);
  g_test_add_func ("/day/resolve-draft", test_resolve_draft);
  g_test_add_func ("/day/presence-expires", test_presence_expires);
  g_test_add_func ("/day/labels-de", test_labels_de);
  g_test_add_func ("/day/conflict-banner", test_conflict_banner);

  return g_test_run ();
}
