/* test-desktop.c — the app among the desktop's parts, on a private session bus
 *
 * firstline://ticket/… links (GApplication open, from a second firstline
 * process; in a narrow window too, through the folded leaflets), the desktop
 * file's "New Ticket" action, a click on a notification (a notification server
 * on the test bus), tel: and mailto: links (a handler desktop file), and the
 * GNOME Shell search provider (`gdbus call`). Under Xvfb, with a D-Bus daemon
 * of its own (GTestDBus).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "fl-application.h"
#include "fl-contact-links.h"
#include "fl-demo.h"
#include "fl-intake-dialog.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"
#include "fl-ticket-detail.h"
#include "fl-window.h"

#define APP_PATH "/io/github/firstline/Firstline"
#define SEARCH_PATH APP_PATH "/SearchProvider"
#define SEARCH_IFACE "org.gnome.Shell.SearchProvider2"

static char *home;         /* XDG_* of this test */

typedef struct
{
  char          *dir;
  FlStore       *store;
  FlContext     *context;
  GSettings     *settings;
  FlApplication *app;
  FlTicket      *ticket;   /* a ticket with a number, phone and e-mail */
} Fixture;

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("firstline-desktop-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);
  tickets = fl_demo_generate_tickets (40, 11, fl_time_now (), 30);
  fl_store_put_tickets (f->store, tickets, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < tickets->len && f->ticket == NULL; i++)
    {
      FlTicket *t = g_ptr_array_index (tickets, i);

      /* one that the Incoming view hides, so that opening it switches views */
      if (t->number > 0 && t->status == FL_STATUS_RESOLVED &&
          t->requester.phone && *t->requester.phone && t->requester.email && *t->requester.email)
        f->ticket = fl_store_get_ticket (f->store, t->id, NULL);
    }
  g_assert_nonnull (f->ticket);

  f->settings = g_settings_new (APPLICATION_ID);
  f->context = fl_context_new (f->store, f->settings);
  /* The real application: its id, flags and D-Bus objects. */
  f->app = fl_application_new ();
  fl_application_set_context (f->app, f->context);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (f->app)));
}

static void
fixture_close (Fixture *f)
{
  GList *windows;

  /* one at a time: a dialog goes with its parent */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (f->app))) != NULL)
    gtk_window_destroy (windows->data);
  fl_test_spin_until_idle ();
  g_clear_object (&f->ticket);
  g_clear_object (&f->app);
  g_clear_object (&f->context);
  g_clear_object (&f->settings);
  g_clear_object (&f->store);
  fl_test_rm_rf (f->dir);
  g_free (f->dir);
}

static FlWindow *
find_main_window (Fixture *f)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (f->app)); l; l = l->next)
    if (FL_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

typedef struct
{
  Fixture    *f;
  const char *id;
} Shown;

static gboolean
ticket_is_shown (gpointer data)
{
  Shown *shown = data;
  FlWindow *window = find_main_window (shown->f);
  FlTicket *ticket = window ? fl_window_get_shown_ticket (window) : NULL;

  return ticket != NULL && g_strcmp0 (ticket->id, shown->id) == 0;
}

static void
assert_ticket_shown (Fixture    *f,
                     const char *id)
{
  Shown shown = { f, id };

  fl_test_spin_until (ticket_is_shown, &shown, 15);
  g_assert_true (ticket_is_shown (&shown));
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Starts the real firstline with @args as a second instance: it hands them to
 * the running one over the bus and exits 0. */
static void
run_second_instance (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  g_ptr_array_add (argv, (gpointer) fl_test_program_path ("FIRSTLINE_APP", "app", "firstline"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  /* the main loop runs meanwhile: the running instance answers the call */
  g_subprocess_wait_async (proc, NULL, wait_cb, &done);
  fl_test_spin_until (fl_test_flag_is_set, &done, 30);
  if (!done)
    g_subprocess_force_exit (proc);
  g_assert_true (done);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  int       status;
} Call;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &call->out, &call->err,
                                        &error);
  g_assert_no_error (error);
  call->status = fl_test_exit_status (G_SUBPROCESS (source));
  call->done = TRUE;
}

/* `gdbus call --session --dest io.github.firstline.Firstline …`, the main loop
 * running meanwhile; returns its output. */
static char *
gdbus_call (const char *method,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *full = g_strconcat (SEARCH_IFACE ".", method, NULL);
  Call call = { 0 };
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "gdbus");
  g_ptr_array_add (argv, (gpointer) "call");
  g_ptr_array_add (argv, (gpointer) "--session");
  g_ptr_array_add (argv, (gpointer) "--timeout=10");
  g_ptr_array_add (argv, (gpointer) "--dest");
  g_ptr_array_add (argv, (gpointer) APPLICATION_ID);
  g_ptr_array_add (argv, (gpointer) "--object-path");
  g_ptr_array_add (argv, (gpointer) SEARCH_PATH);
  g_ptr_array_add (argv, (gpointer) "--method");
  g_ptr_array_add (argv, full);
  va_start (ap, method);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicate_cb, &call);
  fl_test_spin_until (fl_test_flag_is_set, &call.done, 20);
  g_assert_true (call.done);
  if (call.status != 0)
    g_error ("gdbus call %s failed: %s", method, call.err);
  g_free (call.err);
  return call.out;
}

/* The ids in gdbus's printout of "(['a', 'b'],)" */
static char **
parse_ids (const char *text)
{
  g_autoptr(GVariant) value = g_variant_parse (G_VARIANT_TYPE ("(as)"), text, NULL, NULL, NULL);
  char **ids = NULL;

  g_assert_nonnull (value);
  g_variant_get (value, "(^as)", &ids);
  return ids;
}

static gboolean
find_intake (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (FL_IS_INTAKE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return TRUE;
    }
  return FALSE;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return fl_test_find_message_dialog () != NULL;
}

/* --- firstline://ticket/… ---------------------------------------------------- */

static void
test_uri_opens_ticket (void)
{
  Fixture f = { 0 };
  g_autofree char *by_number = NULL;
  g_autofree char *by_hash = NULL;
  g_autofree char *by_escaped = NULL;
  g_autofree char *by_id = NULL;

  fixture_open (&f);
  by_number = g_strdup_printf ("firstline://ticket/%" G_GINT64_FORMAT, f.ticket->number);
  by_hash = g_strdup_printf ("firstline://ticket/#%" G_GINT64_FORMAT, f.ticket->number);
  by_escaped = g_strdup_printf ("firstline://ticket/%%23%" G_GINT64_FORMAT, f.ticket->number);
  by_id = g_strdup_printf ("firstline://ticket/%s", f.ticket->id);

  /* What the desktop runs for a link: `firstline %U`, a second instance. */
  run_second_instance ((const char *[]) { by_number, NULL });
  assert_ticket_shown (&f, f.ticket->id);
  /* the Incoming view does not show a resolved ticket: the window went to All */
  g_assert_cmpint (fl_window_get_view (find_main_window (&f)), ==, FL_VIEW_ALL);

  /* each form, after another ticket was shown */
  {
    const char *forms[] = { by_hash, by_escaped, by_id };

    for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
      {
        g_autoptr(GPtrArray) others = fl_store_query_tickets (f.store, FL_VIEW_ALL, NULL, 0, 2, NULL);
        FlTicket *other = g_ptr_array_index (others, 0);

        if (g_str_equal (other->id, f.ticket->id))
          other = g_ptr_array_index (others, 1);
        g_assert_true (fl_window_show_ticket (find_main_window (&f), other->id));
        assert_ticket_shown (&f, other->id);

        g_test_message ("opening %s", forms[i]);
        run_second_instance ((const char *[]) { forms[i], NULL });
        assert_ticket_shown (&f, f.ticket->id);
      }
  }

  /* No such ticket, and not a ticket link: a dialog says so. */
  g_assert_null (fl_test_find_message_dialog ());
  run_second_instance ((const char *[]) { "firstline://ticket/999999", NULL });
  fl_test_spin_until (message_dialog_shown, NULL, 10);
  g_assert_nonnull (fl_test_find_message_dialog ());
  gtk_window_destroy (GTK_WINDOW (fl_test_find_message_dialog ()));
  fl_test_spin_until_idle ();
  run_second_instance ((const char *[]) { "firstline://nothing/1", NULL });
  fl_test_spin_until (message_dialog_shown, NULL, 10);
  g_assert_nonnull (fl_test_find_message_dialog ());
  assert_ticket_shown (&f, f.ticket->id);

  fixture_close (&f);
}

static GtkWidget *
window_part (Fixture    *f,
             const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (find_main_window (f)), FL_TYPE_WINDOW,
                                                  name);

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

static gboolean
is_hidden (gpointer data)
{
  return !is_shown (data);
}

static gboolean
focus_in_ticket (gpointer data)
{
  Fixture *f = data;
  FlWindow *window = find_main_window (f);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *content = fl_ticket_detail_get_content (FL_TICKET_DETAIL (window_part (f, "ticket_detail")));

  return focus != NULL && content != NULL && (focus == content || gtk_widget_is_ancestor (focus, content));
}

/* In a narrow window, where each leaflet is folded and shows one pane, a link
 * goes through all of them to the ticket, whichever pane was shown before. */
static void
test_uri_narrow (void)
{
  Fixture f = { 0 };
  g_autofree char *uri = NULL;
  GtkWidget *views_pane, *list_pane, *detail_pane;

  fixture_open (&f);
  g_settings_set_int (f.settings, "window-width", 360);
  g_settings_set_int (f.settings, "window-height", 700);
  uri = g_strdup_printf ("firstline://ticket/%" G_GINT64_FORMAT, f.ticket->number);

  /* into a window that the link opens */
  run_second_instance ((const char *[]) { uri, NULL });
  assert_ticket_shown (&f, f.ticket->id);
  views_pane = window_part (&f, "sidebar_pane");
  list_pane = window_part (&f, "list_pane");
  detail_pane = window_part (&f, "detail_pane");
  fl_test_spin_until (is_shown, detail_pane, 10);
  fl_test_spin_until (is_hidden, list_pane, 10);
  g_assert_true (adw_leaflet_get_folded (ADW_LEAFLET (window_part (&f, "list_leaflet"))));
  g_assert_true (is_shown (detail_pane));
  g_assert_false (is_shown (list_pane));
  g_assert_false (is_shown (views_pane));

  /* from the views, and from the list, once the window is there */
  {
    const char *from[] = { "sidebar_pane", "list_pane" };

    for (guint i = 0; i < G_N_ELEMENTS (from); i++)
      {
        GtkWidget *pane = window_part (&f, from[i]);

        g_test_message ("opening %s from %s", uri, from[i]);
        adw_leaflet_navigate (ADW_LEAFLET (window_part (&f, "list_leaflet")), ADW_NAVIGATION_DIRECTION_BACK);
        if (pane == views_pane)
          adw_leaflet_navigate (ADW_LEAFLET (window_part (&f, "leaflet")), ADW_NAVIGATION_DIRECTION_BACK);
        fl_test_spin_until (is_shown, pane, 10);
        fl_test_spin_until (is_hidden, detail_pane, 10);
        g_assert_true (is_shown (pane));
        g_assert_false (is_shown (detail_pane));

        run_second_instance ((const char *[]) { uri, NULL });
        fl_test_spin_until (is_shown, detail_pane, 10);
        fl_test_spin_until (is_hidden, pane, 10);
        g_assert_true (is_shown (detail_pane));
        g_assert_false (is_shown (list_pane));
        g_assert_false (is_shown (views_pane));
        /* the keyboard goes on in the ticket, not in the list slid away */
        fl_test_spin_until (focus_in_ticket, &f, 5);
        g_assert_true (focus_in_ticket (&f));
      }
  }

  fixture_close (&f);
}

/* --- the desktop file's action ------------------------------------------------- */

static void
test_new_ticket_action (void)
{
  Fixture f = { 0 };

  fixture_open (&f);
  g_assert_false (find_intake (NULL));
  /* Exec= of [Desktop Action new-ticket] */
  run_second_instance ((const char *[]) { "--new-ticket", NULL });
  fl_test_spin_until (find_intake, NULL, 15);
  g_assert_true (find_intake (NULL));
  g_assert_nonnull (find_main_window (&f));
  fixture_close (&f);
}

static void
test_new_ticket_action_dbus (void)
{
  Fixture f = { 0 };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  fixture_open (&f);
  /* DBusActivatable=true: the Shell calls org.freedesktop.Application.ActivateAction,
   * here from a connection of its own (the app answers on the main loop) */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_call (bus, APPLICATION_ID, APP_PATH,
                          "org.freedesktop.Application", "ActivateAction",
                          g_variant_new ("(sava{sv})", "new-ticket", NULL, NULL),
                          NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL, NULL);
  fl_test_spin_until (find_intake, NULL, 15);
  g_assert_true (find_intake (NULL));
  g_dbus_connection_close_sync (bus, NULL, NULL);
  fixture_close (&f);
}

/* --- a click on a notification ----------------------------------------------- */

typedef struct
{
  GDBusConnection *bus;
  guint            n_notify;
  char            *body;
  gboolean         has_default;
} NotifyServer;

static void
notify_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  NotifyServer *server = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      g_autofree const char **actions = NULL;
      const char *body;

      g_variant_get_child (parameters, 4, "&s", &body);
      g_variant_get_child (parameters, 5, "^a&s", &actions);
      server->has_default = actions != NULL && g_strv_contains (actions, "default");
      g_free (server->body);
      server->body = g_strdup (body);
      server->n_notify++;
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", 7));
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "test", "firstline", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static const char notify_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "</interface></node>";

static gboolean
notified (gpointer data)
{
  return ((NotifyServer *) data)->n_notify > 0;
}

static void
test_notification_click (void)
{
  Fixture f = { 0 };
  NotifyServer server = { 0 };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new ();
  g_autoptr(FlTicket) incoming = NULL;
  g_autofree char *address = NULL;
  FlStoreChange change = { 0 };
  guint object_id;
  guint name_id;

  fixture_open (&f);

  /* The desktop's notification server, on its own connection. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  server.bus = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (notify_xml, &error);
  g_assert_no_error (error);
  object_id = g_dbus_connection_register_object (server.bus, "/org/freedesktop/Notifications",
                                                 info->interfaces[0],
                                                 &(GDBusInterfaceVTable) { notify_method_cb, NULL, NULL, { 0 } },
                                                 &server, NULL, &error);
  g_assert_no_error (error);
  name_id = g_bus_own_name_on_connection (server.bus, "org.freedesktop.Notifications",
                                          G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
  fl_test_spin_for (200);

  /* A new incoming ticket from someone else, as a sync brings it. */
  {
    g_autoptr(GPtrArray) open = fl_store_query_tickets (f.store, FL_VIEW_INCOMING, NULL, 0, 50, NULL);

    for (guint i = 0; open != NULL && i < open->len && incoming == NULL; i++)
      {
        FlTicket *t = g_ptr_array_index (open, i);
        if (g_strcmp0 (t->created_by, "alex") != 0)
          incoming = g_object_ref (t);
      }
  }
  g_assert_nonnull (incoming);
  change.new_ticket = incoming;
  g_ptr_array_add (changes, &change);
  g_assert_cmpuint (fl_application_notify_new_tickets (f.app, changes), ==, 1);
  fl_test_spin_until (notified, &server, 10);
  g_assert_cmpuint (server.n_notify, ==, 1);
  g_assert_true (server.has_default);
  g_assert_nonnull (strstr (server.body, incoming->title));
  g_assert_null (find_main_window (&f));

  /* The click: the server says the default action of notification 7 was invoked. */
  g_dbus_connection_emit_signal (server.bus, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", 7, "default"), &error);
  g_assert_no_error (error);
  assert_ticket_shown (&f, incoming->id);

  g_bus_unown_name (name_id);
  g_dbus_connection_unregister_object (server.bus, object_id);
  g_dbus_connection_close_sync (server.bus, NULL, NULL);
  g_clear_object (&server.bus);
  g_free (server.body);
  fixture_close (&f);
}

/* --- tel: and mailto: ------------------------------------------------------------ */

static void
test_contact_uris (void)
{
  struct { const char *in; const char *tel; } tels[] = {
    { "+49 (30) 123-45 67", "tel:+49301234567" },
    { "030 / 1234.567", "tel:0301234567" },
    { "+49 30 1234", "tel:+49301234" },
    { "", NULL }, { "+", NULL }, { "call me", NULL }, { "12+34", NULL },
  };
  struct { const char *in; const char *mailto; } mails[] = {
    { "tom.becker@example.com", "mailto:tom.becker@example.com" },
    { " Tom+it@Example.org ", "mailto:Tom+it@Example.org" },
    { "tom", NULL }, { "@example.com", NULL }, { "a@b@c", NULL }, { "a@b?subject=x", NULL },
    { "a b@example.com", NULL }, { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tels); i++)
    {
      g_autofree char *uri = fl_contact_tel_uri (tels[i].in);
      g_assert_cmpstr (uri, ==, tels[i].tel);
    }
  for (guint i = 0; i < G_N_ELEMENTS (mails); i++)
    {
      g_autofree char *uri = fl_contact_mailto_uri (mails[i].in);
      g_assert_cmpstr (uri, ==, mails[i].mailto);
    }
  g_assert_null (fl_contact_tel_uri (NULL));
  g_assert_null (fl_contact_mailto_uri (NULL));
}

static GtkWidget *
find_detail (GtkWidget *root)
{
  if (FL_IS_TICKET_DETAIL (root))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_detail (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *launched_path;

static gboolean
launched_contains (gpointer data)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (launched_path, &text, NULL, NULL))
    return FALSE;
  return strstr (text, data) != NULL;
}

static void
test_contact_links (void)
{
  Fixture f = { 0 };
  FlWindow *window;
  GtkWidget *detail;
  g_autoptr(GString) tel = g_string_new ("tel:");

  fixture_open (&f);
  g_action_group_activate_action (G_ACTION_GROUP (f.app), "show-ticket",
                                  g_variant_new_string (f.ticket->id));
  assert_ticket_shown (&f, f.ticket->id);
  window = find_main_window (&f);
  detail = find_detail (GTK_WIDGET (window));
  g_assert_nonnull (detail);

  /* the handler desktop file of main () records each URI it is given */
  for (const char *p = f.ticket->requester.phone; *p; p++)
    if (g_ascii_isdigit (*p) || (*p == '+' && tel->len == 4))
      g_string_append_c (tel, *p);

  g_assert_true (gtk_widget_activate_action (detail, "ticket.call-requester", NULL));
  fl_test_spin_until (launched_contains, tel->str, 15);
  g_assert_true (launched_contains (tel->str));

  {
    g_autofree char *mailto = g_strconcat ("mailto:", f.ticket->requester.email, NULL);

    g_assert_true (gtk_widget_activate_action (detail, "ticket.email-requester", NULL));
    fl_test_spin_until (launched_contains, mailto, 15);
    g_assert_true (launched_contains (mailto));
  }
  fixture_close (&f);
}

/* --- the CA file chooser in the preferences ------------------------------------ */

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WIDGET (window);
    }
  return NULL;
}

static gboolean
file_chooser_shown (gpointer data)
{
  return find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) != NULL;
}

static GtkWidget *
find_button_by_tooltip (GtkWidget  *root,
                        const char *tooltip)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_widget_get_tooltip_text (root), tooltip) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_button_by_tooltip (c, tooltip);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GSettings  *settings;
  const char *value;
} SettingWait;

static gboolean
setting_is (gpointer data)
{
  SettingWait *w = data;
  g_autofree char *value = g_settings_get_string (w->settings, "ca-file");

  return g_strcmp0 (value, w->value) == 0;
}

static void
test_ca_file_chooser (void)
{
  Fixture f = { 0 };
  g_autofree char *cert = NULL;
  g_autoptr(GFile) file = NULL;
  GtkWidget *prefs;
  GtkWidget *button;
  GtkWidget *chooser;
  SettingWait wait;

  fixture_open (&f);
  cert = g_build_filename (f.dir, "team-ca.pem", NULL);
  g_assert_true (g_file_set_contents (cert, "-----BEGIN CERTIFICATE-----\n", -1, NULL));
  g_settings_set_string (f.settings, "ca-file", "");

  g_action_group_activate_action (G_ACTION_GROUP (f.app), "activate", NULL);
  g_assert_nonnull (find_main_window (&f));
  fl_test_present (GTK_WINDOW (find_main_window (&f)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (find_main_window (&f)), "win.preferences", NULL));
  prefs = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  fl_test_present (GTK_WINDOW (prefs));

  /* Choose…: GTK's own file chooser here (no portal on this bus) */
  button = find_button_by_tooltip (prefs, "Choose a File…");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  fl_test_spin_until (file_chooser_shown, NULL, 10);
  chooser = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (chooser);
  file = g_file_new_for_path (cert);
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL));
  fl_test_spin_until_idle ();
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait = (SettingWait) { f.settings, cert };
  fl_test_spin_until (setting_is, &wait, 10);
  g_assert_true (setting_is (&wait));

  /* Clear: only the system's certificates again */
  button = find_button_by_tooltip (prefs, "Use Only the System’s Certificates");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  wait = (SettingWait) { f.settings, "" };
  fl_test_spin_until (setting_is, &wait, 10);
  g_assert_true (setting_is (&wait));

  fixture_close (&f);
}

/* --- the GNOME Shell search provider -------------------------------------------- */

static void
test_search_provider (void)
{
  Fixture f = { 0 };
  g_autofree char *number = NULL;
  g_autofree char *out = NULL;
  g_autofree char *arg = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *first_word = NULL;

  fixture_open (&f);

  /* by number */
  number = g_strdup_printf ("['#%" G_GINT64_FORMAT "']", f.ticket->number);
  out = gdbus_call ("GetInitialResultSet", number, NULL);
  ids = parse_ids (out);
  g_assert_nonnull (ids[0]);
  g_assert_cmpstr (ids[0], ==, f.ticket->id);
  g_clear_pointer (&ids, g_strfreev);
  g_clear_pointer (&out, g_free);

  /* by a word of the title, then narrowed by the requester's name */
  {
    g_auto(GStrv) words = g_strsplit (f.ticket->title, " ", -1);
    g_auto(GStrv) names = g_strsplit (f.ticket->requester.name, " ", -1);
    g_autofree char *terms = NULL;

    first_word = g_strdup (words[0]);
    arg = g_strdup_printf ("['%s']", first_word);
    out = gdbus_call ("GetInitialResultSet", arg, NULL);
    ids = parse_ids (out);
    g_assert_true (g_strv_contains ((const char * const *) ids, f.ticket->id));
    g_clear_pointer (&out, g_free);

    terms = g_strdup_printf ("['%s', '%s']", first_word, names[0]);
    {
      g_autofree char *previous = g_variant_print (g_variant_new_strv ((const char * const *) ids, -1), FALSE);
      g_auto(GStrv) narrowed = NULL;

      out = gdbus_call ("GetSubsearchResultSet", previous, terms, NULL);
      narrowed = parse_ids (out);
      g_assert_true (g_strv_contains ((const char * const *) narrowed, f.ticket->id));
      g_assert_cmpuint (g_strv_length (narrowed), <=, g_strv_length (ids));
      g_clear_pointer (&out, g_free);
    }
    g_clear_pointer (&ids, g_strfreev);
  }

  /* nothing for nonsense */
  out = gdbus_call ("GetInitialResultSet", "['zzqxv']", NULL);
  ids = parse_ids (out);
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  g_clear_pointer (&ids, g_strfreev);
  g_clear_pointer (&out, g_free);

  /* what the Shell shows for a result */
  {
    g_autofree char *list = g_strdup_printf ("['%s']", f.ticket->id);
    g_autofree char *name = g_strdup_printf ("#%" G_GINT64_FORMAT " %s", f.ticket->number,
                                             f.ticket->title);
    g_autoptr(GVariant) value = NULL;
    g_autoptr(GVariant) metas = NULL;
    g_autoptr(GVariant) meta = NULL;
    const char *text;

    out = gdbus_call ("GetResultMetas", list, NULL);
    value = g_variant_parse (G_VARIANT_TYPE ("(aa{sv})"), out, NULL, NULL, NULL);
    g_assert_nonnull (value);
    metas = g_variant_get_child_value (value, 0);
    g_assert_cmpuint (g_variant_n_children (metas), ==, 1);
    meta = g_variant_get_child_value (metas, 0);
    g_assert_true (g_variant_lookup (meta, "id", "&s", &text));
    g_assert_cmpstr (text, ==, f.ticket->id);
    g_assert_true (g_variant_lookup (meta, "name", "&s", &text));
    g_assert_cmpstr (text, ==, name);
    g_assert_true (g_variant_lookup (meta, "description", "&s", &text));
    g_assert_nonnull (strstr (text, f.ticket->requester.name));
    g_assert_true (g_variant_lookup_value (meta, "icon", NULL) != NULL);
    g_clear_pointer (&out, g_free);
  }

  /* choosing it opens the ticket */
  g_assert_null (find_main_window (&f));
  out = gdbus_call ("ActivateResult", f.ticket->id, arg, "0", NULL);
  g_clear_pointer (&out, g_free);
  assert_ticket_shown (&f, f.ticket->id);

  /* "more results": the window searches for the terms */
  out = gdbus_call ("LaunchSearch", arg, "0", NULL);
  g_assert_cmpstr (fl_ticket_list_model_get_query (fl_window_get_list_model (find_main_window (&f))),
                   ==, first_word);

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  g_autofree char *apps = NULL;
  g_autofree char *handler = NULL;
  g_autofree char *script = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *mimeapps = NULL;
  int status;

  /* A home of our own: the tel:/mailto: handler and nothing of the user's. */
  home = g_dir_make_tmp ("firstline-desktop-home-XXXXXX", NULL);
  g_assert_nonnull (home);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  {
    /* the MIME database (icons need it) but no other application */
    g_autofree char *dirs = g_strconcat (home, ":/usr/local/share:/usr/share", NULL);
    g_setenv ("XDG_DATA_DIRS", dirs, TRUE);
  }
  g_setenv ("XDG_CONFIG_DIRS", home, TRUE);
  g_setenv ("FIRSTLINE_CREDENTIALS", "file", TRUE);
  g_setenv ("GIO_USE_VFS", "local", TRUE);
  apps = g_build_filename (home, "applications", NULL);
  g_mkdir_with_parents (apps, 0700);
  launched_path = g_build_filename (home, "launched", NULL);
  script = g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", launched_path);
  handler = g_build_filename (home, "handler.sh", NULL);
  g_assert_true (g_file_set_contents (handler, script, -1, NULL));
  g_chmod (handler, 0700);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test handler\nExec=%s %%u\n"
                             "MimeType=x-scheme-handler/tel;x-scheme-handler/mailto;\n", handler);
  g_assert_true (g_file_set_contents (g_build_filename (apps, "fl-test-handler.desktop", NULL),
                                      desktop, -1, NULL));
  mimeapps = g_build_filename (home, "mimeapps.list", NULL);
  g_assert_true (g_file_set_contents (mimeapps,
                                      "[Default Applications]\n"
                                      "x-scheme-handler/tel=fl-test-handler.desktop\n"
                                      "x-scheme-handler/mailto=fl-test-handler.desktop\n",
                                      -1, NULL));

  /* A session bus of our own for the app, its second instances and gdbus. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  {
    /* g_test_dbus_up () unsets DISPLAY (against X11 autolaunch): Xvfb's stays */
    g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

    g_test_dbus_up (bus);
    if (display != NULL)
      g_setenv ("DISPLAY", display, TRUE);
  }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/desktop/uri", test_uri_opens_ticket);
  g_test_add_func ("/desktop/uri-narrow", test_uri_narrow);
  g_test_add_func ("/desktop/new-ticket-action", test_new_ticket_action);
  g_test_add_func ("/desktop/new-ticket-action-dbus", test_new_ticket_action_dbus);
  g_test_add_func ("/desktop/notification-click", test_notification_click);
  g_test_add_func ("/desktop/contact-uris", test_contact_uris);
  g_test_add_func ("/desktop/contact-links", test_contact_links);
  g_test_add_func ("/desktop/search-provider", test_search_provider);
  g_test_add_func ("/desktop/ca-file-chooser", test_ca_file_chooser);

  status = g_test_run ();
  /* GTK keeps its session bus connection: stop the daemon without waiting for
   * it (and keep the GTestDBus, whose finalize would wait) */
  g_test_dbus_stop (bus);
  fl_test_rm_rf (home);
  return status;
}
