/* fl-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-application"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-application.h"
#include "fl-demo.h"
#include "fl-window.h"

struct _FlApplication
{
  AdwApplication  parent_instance;

  /* owned */
  FlContext      *context;
  char           *cache_path;
  int             demo_tickets;
};

G_DEFINE_FINAL_TYPE (FlApplication, fl_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "cache", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Use this local cache file"), N_("FILE") },
  { "demo-tickets", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Fill an empty cache with this many generated demo tickets"), N_("N") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and quit"), NULL },
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
  self->context = fl_context_new (store, settings);
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

  return G_APPLICATION_CLASS (fl_application_parent_class)->handle_local_options (app, options);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
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

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
};

static void
fl_application_startup (GApplication *app)
{
  FlApplication *self = FL_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (fl_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
}

static void
fl_application_dispose (GObject *object)
{
  FlApplication *self = (FlApplication *)object;

  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_application_parent_class)->dispose (object);
}

static void
fl_application_finalize (GObject *object)
{
  FlApplication *self = (FlApplication *)object;

  g_free (self->cache_path);

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
}

static void
fl_application_init (FlApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

FlApplication *
fl_application_new (void)
{
  return g_object_new (FL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/firstline/Firstline",
                       NULL);
}

FlContext *
fl_application_get_context (FlApplication *self)
{
  g_return_val_if_fail (FL_IS_APPLICATION (self), NULL);

  return self->context;
}
