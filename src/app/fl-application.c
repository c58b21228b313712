/* fl-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-application"

#include "config.h"

#include <glib/gi18n.h>

#include <stdio.h>
#include <string.h>

#include "fl-a11y.h"
#include "fl-application.h"
#include "fl-demo.h"
#include "fl-login-dialog.h"
#include "fl-search-provider.h"
#include "fl-window.h"

/* A service started by D-Bus (the Shell's search) quits when unused this long. */
#define INACTIVITY_TIMEOUT_MS 20000

struct _FlApplication
{
  AdwApplication  parent_instance;

  /* owned */
  FlContext      *context;
  GSettings      *settings;
  char           *cache_path;
  char           *server_url;
  char           *username;
  char           *last_notification;
  FlSearchProvider *search_provider;
  int             demo_tickets;
  guint           follow_up_source;
};

G_DEFINE_FINAL_TYPE (FlApplication, fl_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "cache", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Use this local cache file"), N_("FILE") },
  { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Log in to this server (password from $FIRSTLINE_PASSWORD or the first line of stdin)"),
    N_("URL") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Log in as this user (with --server)"), N_("NAME") },
  { "demo-tickets", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Fill an empty cache with this many generated demo tickets"), N_("N") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and quit"), NULL },
  { "new-ticket", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open the form for a new ticket"), NULL },
  { NULL }
};

static GSettings *
settings_new_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_warning ("GSettings schema %s is not installed; settings are not kept", APPLICATION_ID);
      return NULL;
    }

  return g_settings_new (APPLICATION_ID);
}

static void
fill_demo (FlApplication *self,
           FlStore       *store)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GError) error = NULL;

  if (self->demo_tickets <= 0 || fl_store_count_tickets (store, FL_VIEW_ALL, NULL, NULL) > 0)
    return;

  tickets = fl_demo_generate_tickets ((guint) self->demo_tickets, 42, fl_time_now (), 60);
  if (!fl_store_put_tickets (store, tickets, NULL, &error))
    g_warning ("Could not add demo tickets: %s", error->message);
}

/* A desktop notification for each new incoming ticket from someone else while the
 * window is in the background. Pulling everything again after the server lost our
 * cursor brings no news: every ticket would look new, so a reset notifies nothing. */
static void schedule_follow_up (FlApplication *self);

static gboolean
on_follow_up_timeout_cb (gpointer user_data)
{
  FlApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  self->follow_up_source = 0;
  /* Writes the tickets whose time came: "changed" notifies and schedules the next */
  if (fl_store_refresh_follow_ups (fl_context_get_store (self->context), &error) == 0)
    {
      if (error != NULL)
        g_warning ("Could not bring back the follow-ups: %s", error->message);
      schedule_follow_up (self);
    }
  return G_SOURCE_REMOVE;
}

/* A timer for the next follow-up time of a waiting ticket. */
static void
schedule_follow_up (FlApplication *self)
{
  gint64 next;
  gint64 delay;

  g_clear_handle_id (&self->follow_up_source, g_source_remove);
  if (self->context == NULL)
    return;

  next = fl_store_get_next_follow_up (fl_context_get_store (self->context));
  if (next == 0)
    return;

  /* at most an hour at a time: the clock may jump (suspend) */
  delay = CLAMP (next - fl_time_now () + 10, 0, 3600 * 1000);
  self->follow_up_source = g_timeout_add ((guint) delay, on_follow_up_timeout_cb, self);
}

static void
on_store_changed_cb (FlApplication *self,
                     GPtrArray     *changes,
                     FlStore       *store)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* A follow-up whose time came is announced also while the window is in front */
  fl_application_notify_follow_ups (self, changes);
  schedule_follow_up (self);

  if (fl_store_get_change_origin (store) == FL_STORE_ORIGIN_RESET)
    return;
  if (window != NULL && gtk_window_is_active (window))
    return;

  fl_application_notify_new_tickets (self, changes);
}

static char *
read_password (void)
{
  const char *env = g_getenv ("FIRSTLINE_PASSWORD");
  char line[4096];

  if (env != NULL)
    return g_strdup (env);

  if (fgets (line, sizeof line, stdin) == NULL)
    return NULL;
  line[strcspn (line, "\r\n")] = '\0';
  return g_strdup (line);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FlApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  FlSyncEngine *engine = FL_SYNC_ENGINE (source);

  if (!fl_sync_engine_login_finish (engine, result, &error))
    {
      g_warning ("Login failed: %s", error->message);
      return;
    }

  fl_sync_engine_start (engine);
}

static gboolean
ensure_context (FlApplication  *self,
                GError        **error)
{
  g_autoptr(FlStore) store = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *path = NULL;

  if (self->context != NULL)
    return TRUE;

  path = self->cache_path ? g_strdup (self->cache_path) : fl_context_dup_default_cache_path ();
  if (!(store = fl_store_new (path, error)))
    return FALSE;

  fill_demo (self, store);

  settings = settings_new_if_installed ();
  {
    g_autoptr(FlContext) context = fl_context_new (store, settings);
    fl_application_set_context (self, context);
  }
  return TRUE;
}

static void
fl_application_activate (GApplication *app)
{
  FlApplication *self = FL_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  if (!ensure_context (self, &error))
    {
      GtkWidget *dialog;

      dialog = adw_message_dialog_new (NULL, _("The local cache cannot be opened"),
                                       error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  window = GTK_WINDOW (fl_window_new (self, self->context));
  gtk_window_present (window);

  /* A new ticket that was being typed when Firstline last closed comes back. */
  {
    g_autofree char *draft = fl_store_dup_form_draft (fl_context_get_store (self->context), "intake");

    if (draft != NULL)
      gtk_widget_activate_action (GTK_WIDGET (window), "win.new-ticket", NULL);
  }

  {
    FlSyncEngine *engine = fl_context_get_sync_engine (self->context);
    g_autofree char *server = fl_sync_engine_dup_server_url (engine);

    if (self->server_url != NULL)
      {
        g_autofree char *password = read_password ();
        const char *stored = fl_store_get_username (fl_context_get_store (self->context));
        const char *user = self->username ? self->username
                           : g_strcmp0 (stored, FL_STORE_LOCAL_USER) != 0 ? stored : g_get_user_name ();

        fl_sync_engine_login_async (engine, self->server_url, user, password ? password : "",
                                    NULL, login_done_cb, g_object_ref (self));
      }
    else if (server != NULL)
      fl_sync_engine_start (engine);
    else if (self->demo_tickets <= 0)
      gtk_window_present (GTK_WINDOW (fl_login_dialog_new (window, self->context)));
  }
}

static int
fl_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  FlApplication *self = FL_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("firstline %s\n", PACKAGE_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "cache", "^ay", &self->cache_path);
  g_variant_dict_lookup (options, "demo-tickets", "i", &self->demo_tickets);
  g_variant_dict_lookup (options, "server", "s", &self->server_url);
  g_variant_dict_lookup (options, "user", "s", &self->username);

  if (g_variant_dict_contains (options, "new-ticket"))
    {
      g_autoptr(GError) error = NULL;

      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("firstline: %s\n", error->message);
          return 1;
        }
      g_action_group_activate_action (G_ACTION_GROUP (app), "new-ticket", NULL);
      /* A running instance opened the form: done. Else keep running with it. */
      if (g_application_get_is_remote (app))
        return 0;
    }

  return G_APPLICATION_CLASS (fl_application_parent_class)->handle_local_options (app, options);
}

static gboolean
quit_idle_cb (gpointer user_data)
{
  GList *windows;

  /* Each window keeps what was typed into it (drafts) as it goes away. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (user_data))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));

  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  /* Not from inside the key press of a window that is about to go. */
  g_idle_add_full (G_PRIORITY_HIGH_IDLE, quit_idle_cb, g_object_ref (user_data), g_object_unref);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  FlApplication *self = user_data;
  static const char *developers[] = { "Firstline contributors", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Firstline"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("Firstline contributors"),
                         "version", PACKAGE_VERSION,
                         "comments", _("The desktop for 1st-level IT support"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
apply_color_scheme (const char *scheme)
{
  AdwColorScheme value = ADW_COLOR_SCHEME_DEFAULT;

  if (g_strcmp0 (scheme, "dark") == 0)
    value = ADW_COLOR_SCHEME_FORCE_DARK;
  else if (g_strcmp0 (scheme, "light") == 0)
    value = ADW_COLOR_SCHEME_FORCE_LIGHT;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), value);
}

/* The style follows the setting, whoever changes it (Preferences, gsettings). */
static void
on_color_scheme_changed_cb (FlApplication *self,
                            const char    *key,
                            GSettings     *settings)
{
  g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

  apply_color_scheme (scheme);
}

static void
activate_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

/* The main window, made and shown if need be; NULL when the cache cannot be opened. */
static FlWindow *
present_main_window (FlApplication *self)
{
  GList *windows;

  g_application_activate (G_APPLICATION (self));
  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    if (FL_IS_WINDOW (l->data))
      {
        gtk_window_present (GTK_WINDOW (l->data));
        return FL_WINDOW (l->data);
      }
  return NULL;
}

static void
show_message (FlApplication *self,
              GtkWindow     *parent,
              const char    *heading,
              const char    *body)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Opens the ticket @id_or_number (a UUID or "#NUMBER") in the main window. */
static gboolean
show_ticket (FlApplication *self,
             const char    *id_or_number)
{
  FlWindow *window = present_main_window (self);
  g_autofree char *body = NULL;

  if (window == NULL)
    return FALSE;
  if (fl_window_show_ticket (window, id_or_number))
    return TRUE;

  /* Translators: %s is a ticket number (#320) or id */
  body = g_strdup_printf (_("The local cache has no ticket %s. It may not have been synced yet."),
                          id_or_number);
  show_message (self, GTK_WINDOW (window), _("Ticket Not Found"), body);
  return FALSE;
}

static void
show_ticket_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  show_ticket (FL_APPLICATION (user_data), g_variant_get_string (param, NULL));
}

static void
new_ticket_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  FlWindow *window = present_main_window (FL_APPLICATION (user_data));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.new-ticket", NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "activate", activate_action },
  { "show-ticket", show_ticket_action, "s" },
  { "new-ticket", new_ticket_action },
};

static void
fl_application_startup (GApplication *app)
{
  FlApplication *self = FL_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (fl_application_parent_class)->startup (app);

  /* Buttons with mnemonics get one clean accessible name in every window. */
  fl_a11y_install ();

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  self->settings = settings_new_if_installed ();
  if (self->settings != NULL)
    {
      g_autoptr(GAction) scheme = g_settings_create_action (self->settings, "color-scheme");

      g_action_map_add_action (G_ACTION_MAP (self), scheme);
      g_signal_connect_object (self->settings, "changed::color-scheme",
                               G_CALLBACK (on_color_scheme_changed_cb), self, G_CONNECT_SWAPPED);
      on_color_scheme_changed_cb (self, "color-scheme", self->settings);
    }
}

/* firstline://ticket/320, firstline://ticket/#320 (or %23320), firstline://ticket/UUID:
 * "#320" or the UUID; NULL for anything else. */
static char *
ticket_from_uri (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *path;
  const char *ticket;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "firstline") != 0 ||
      g_strcmp0 (g_uri_get_host (uri), "ticket") != 0)
    return NULL;

  path = g_uri_get_path (uri);
  ticket = path[0] == '/' ? path + 1 : path;
  if (*ticket == '\0' && g_uri_get_fragment (uri) != NULL)
    return g_strconcat ("#", g_uri_get_fragment (uri), NULL);
  if (*ticket == '\0' || strchr (ticket, '/') != NULL)
    return NULL;
  if (g_ascii_isdigit (*ticket) && strspn (ticket, "0123456789") == strlen (ticket))
    return g_strconcat ("#", ticket, NULL);
  return g_strdup (ticket);
}

static void
fl_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  FlApplication *self = FL_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      g_autofree char *ticket = ticket_from_uri (uri);

      if (ticket != NULL)
        {
          show_ticket (self, ticket);
          continue;
        }

      {
        FlWindow *window = present_main_window (self);
        /* Translators: %s is what was given to open, e.g. firstline://ticket/abc/def */
        g_autofree char *body = g_strdup_printf (_("“%s” is not a link to a ticket. Ticket links "
                                                   "look like firstline://ticket/320."), uri);

        show_message (self, window ? GTK_WINDOW (window) : NULL, _("Cannot Open the Link"), body);
      }
    }
}

static FlStore *
search_store_cb (gpointer user_data)
{
  FlApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ensure_context (self, &error))
    {
      g_warning ("Search: cannot open the local cache: %s", error->message);
      return NULL;
    }
  return fl_context_get_store (self->context);
}

static void
search_activate_cb (const char         *id_or_number,
                    const char * const *terms,
                    gpointer            user_data)
{
  FlApplication *self = user_data;
  FlWindow *window;

  if (id_or_number != NULL)
    {
      show_ticket (self, id_or_number);
      return;
    }

  if ((window = present_main_window (self)) != NULL)
    {
      g_autofree char *text = g_strjoinv (" ", (char **) terms);
      fl_window_search (window, text);
    }
}

static gboolean
fl_application_dbus_register (GApplication     *app,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  FlApplication *self = FL_APPLICATION (app);
  g_autofree char *path = NULL;

  if (!G_APPLICATION_CLASS (fl_application_parent_class)->dbus_register (app, connection,
                                                                         object_path, error))
    return FALSE;

  path = g_strconcat (object_path, FL_SEARCH_PROVIDER_PATH_SUFFIX, NULL);
  self->search_provider = fl_search_provider_new (app, search_store_cb, search_activate_cb, self);
  return fl_search_provider_export (self->search_provider, connection, path, error);
}

static void
fl_application_dbus_unregister (GApplication    *app,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  FlApplication *self = FL_APPLICATION (app);

  if (self->search_provider != NULL)
    fl_search_provider_unexport (self->search_provider);
  g_clear_object (&self->search_provider);

  G_APPLICATION_CLASS (fl_application_parent_class)->dbus_unregister (app, connection, object_path);
}

static void
fl_application_dispose (GObject *object)
{
  FlApplication *self = (FlApplication *)object;

  g_clear_object (&self->search_provider);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (fl_application_parent_class)->dispose (object);
}

static void
fl_application_finalize (GObject *object)
{
  FlApplication *self = (FlApplication *)object;

  g_free (self->cache_path);
  g_free (self->server_url);
  g_free (self->username);
  g_free (self->last_notification);
  g_clear_handle_id (&self->follow_up_source, g_source_remove);

  G_OBJECT_CLASS (fl_application_parent_class)->finalize (object);
}

static void
fl_application_class_init (FlApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = fl_application_dispose;
  object_class->finalize = fl_application_finalize;

  app_class->activate = fl_application_activate;
  app_class->startup = fl_application_startup;
  app_class->handle_local_options = fl_application_handle_local_options;
  app_class->open = fl_application_open;
  app_class->dbus_register = fl_application_dbus_register;
  app_class->dbus_unregister = fl_application_dbus_unregister;
}

static void
fl_application_init (FlApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_inactivity_timeout (G_APPLICATION (self), INACTIVITY_TIMEOUT_MS);
}

FlApplication *
fl_application_new (void)
{
  return g_object_new (FL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/firstline/Firstline",
                       NULL);
}

guint
fl_application_notify_new_tickets (FlApplication *self,
                                   GPtrArray     *changes)
{
  FlStore *store;
  GSettings *settings;
  guint sent = 0;

  g_return_val_if_fail (FL_IS_APPLICATION (self), 0);
  g_return_val_if_fail (changes != NULL, 0);

  if (self->context == NULL)
    return 0;

  store = fl_context_get_store (self->context);
  settings = fl_context_get_settings (self->context);
  if (settings != NULL && !g_settings_get_boolean (settings, "notifications"))
    return 0;

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      g_autoptr(GNotification) notification = NULL;
      g_autofree char *id = NULL;
      g_autofree char *body = NULL;

      if (c->old_ticket != NULL || c->new_ticket == NULL ||
          !fl_store_ticket_in_view (store, FL_VIEW_INCOMING, c->new_ticket) ||
          g_strcmp0 (c->new_ticket->created_by, fl_store_get_username (store)) == 0)
        continue;

      /* Translators: notification body: priority, requester, title */
      body = g_strdup_printf (_("P%d · %s: %s"), c->new_ticket->priority,
                              c->new_ticket->requester.name, c->new_ticket->title);
      notification = g_notification_new (_("New incoming ticket"));
      g_notification_set_body (notification, body);
      g_notification_set_priority (notification, c->new_ticket->priority == 1
                                                 ? G_NOTIFICATION_PRIORITY_HIGH
                                                 : G_NOTIFICATION_PRIORITY_NORMAL);
      /* A click opens this ticket. */
      g_notification_set_default_action_and_target (notification, "app.show-ticket", "s",
                                                    c->new_ticket->id);
      id = g_strdup_printf ("new-ticket-%s", c->new_ticket->id);
      /* Notifications go over the session bus; without one there is no one to show them. */
      if (g_application_get_dbus_connection (G_APPLICATION (self)) != NULL)
        g_application_send_notification (G_APPLICATION (self), id, notification);

      g_free (self->last_notification);
      self->last_notification = g_strdup (body);
      sent++;
    }

  return sent;
}

const char *
fl_application_get_last_notification (FlApplication *self)
{
  g_return_val_if_fail (FL_IS_APPLICATION (self), NULL);

  return self->last_notification;
}

void
fl_application_set_context (FlApplication *self,
                            FlContext     *context)
{
  g_return_if_fail (FL_IS_APPLICATION (self));
  g_return_if_fail (FL_IS_CONTEXT (context));
  g_return_if_fail (self->context == NULL);

  self->context = g_object_ref (context);
  g_signal_connect_object (fl_context_get_store (context), "changed",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);
  /* Follow-ups that came due while the app was not running, then the next one */
  if (fl_store_refresh_follow_ups (fl_context_get_store (context), NULL) == 0)
    schedule_follow_up (self);
}

guint
fl_application_notify_follow_ups (FlApplication *self,
                                  GPtrArray     *changes)
{
  FlStore *store;
  guint sent = 0;

  g_return_val_if_fail (FL_IS_APPLICATION (self), 0);
  g_return_val_if_fail (changes != NULL, 0);

  if (self->context == NULL)
    return 0;
  store = fl_context_get_store (self->context);

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      g_autoptr(GNotification) notification = NULL;
      g_autofree char *id = NULL;
      g_autofree char *body = NULL;
      g_autofree char *number = NULL;

      if (c->new_ticket == NULL || !c->new_ticket->follow_up_due ||
          (c->old_ticket != NULL && c->old_ticket->follow_up_due) ||
          g_strcmp0 (c->new_ticket->assignee, fl_store_get_username (store)) != 0)
        continue;

      number = fl_ticket_dup_display_number (c->new_ticket);
      if (c->new_ticket->waiting_reason != NULL)
        /* Translators: notification body: ticket number, title, what it waited for */
        body = g_strdup_printf (_("%s %s — waiting for: %s"), number, c->new_ticket->title,
                                c->new_ticket->waiting_reason);
      else
        /* Translators: notification body: ticket number and title */
        body = g_strdup_printf (_("%s %s"), number, c->new_ticket->title);
      notification = g_notification_new (_("Follow-up due"));
      g_notification_set_body (notification, body);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      g_notification_set_default_action (notification, "app.activate");
      id = g_strdup_printf ("follow-up-%s", c->new_ticket->id);
      if (g_application_get_dbus_connection (G_APPLICATION (self)) != NULL)
        g_application_send_notification (G_APPLICATION (self), id, notification);

      g_free (self->last_notification);
      self->last_notification = g_strdup (body);
      sent++;
    }

  return sent;
}

FlContext *
fl_application_get_context (FlApplication *self)
{
  g_return_val_if_fail (FL_IS_APPLICATION (self), NULL);

  return self->context;
}
