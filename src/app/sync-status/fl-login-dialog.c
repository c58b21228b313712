/* fl-login-dialog.c — server address, username and password
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-login-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-login-dialog.h"

struct _FlLoginDialog
{
  AdwWindow     parent_instance;

  /* owned */
  FlContext    *context;
  GCancellable *cancellable;

  /* borrowed widgets */
  AdwEntryRow  *server_row;
  AdwEntryRow  *username_row;
  AdwEntryRow  *password_row;
  GtkLabel     *message;
  GtkWidget    *login_button;
};

G_DEFINE_FINAL_TYPE (FlLoginDialog, fl_login_dialog, ADW_TYPE_WINDOW)

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FlLoginDialog) self = user_data;
  FlSyncEngine *engine = FL_SYNC_ENGINE (source);
  g_autoptr(GError) error = NULL;
  GSettings *settings;

  gtk_widget_set_sensitive (self->login_button, TRUE);

  if (!fl_sync_engine_login_finish (engine, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_label (self->message, error->message);
      return;
    }

  settings = fl_context_get_settings (self->context);
  if (settings != NULL)
    {
      g_settings_set_string (settings, "server-url", gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
      g_settings_set_string (settings, "username", gtk_editable_get_text (GTK_EDITABLE (self->username_row)));
    }

  fl_sync_engine_start (engine);
  fl_sync_engine_kick (engine);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_login_cb (FlLoginDialog *self)
{
  FlSyncEngine *engine = fl_context_get_sync_engine (self->context);
  GSettings *settings = fl_context_get_settings (self->context);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GError) error = NULL;
  gboolean allow_insecure = FALSE;

  if (settings != NULL)
    {
      g_object_get (settings, "settings-schema", &schema, NULL);
      if (schema != NULL && g_settings_schema_has_key (schema, "allow-insecure-http"))
        allow_insecure = g_settings_get_boolean (settings, "allow-insecure-http");
    }

  /* Refused here, before anything goes out; what was typed stays. */
  if (!fl_sync_check_server_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)),
                                 allow_insecure, &error))
    {
      if (g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_INSECURE))
        {
          g_autofree char *text = g_strdup_printf ("%s %s", error->message,
                                                   _("(To allow it anyway, turn on the "
                                                     "“allow-insecure-http” setting.)"));
          gtk_label_set_label (self->message, text);
        }
      else
        gtk_label_set_label (self->message, error->message);
      return;
    }
  fl_sync_engine_set_allow_insecure (engine, allow_insecure);

  gtk_label_set_label (self->message, _("Logging in…"));
  gtk_widget_set_sensitive (self->login_button, FALSE);
  fl_sync_engine_login_async (engine,
                              gtk_editable_get_text (GTK_EDITABLE (self->server_row)),
                              gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                              gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                              self->cancellable, login_done_cb, g_object_ref (self));
}

static void
fl_login_dialog_dispose (GObject *object)
{
  FlLoginDialog *self = (FlLoginDialog *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_login_dialog_parent_class)->dispose (object);
}

static void
fl_login_dialog_class_init (FlLoginDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_login_dialog_dispose;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
fl_login_dialog_init (FlLoginDialog *self)
{
  GtkWidget *box;
  GtkWidget *header;
  GtkWidget *cancel;
  GtkWidget *group;
  GtkWidget *clamp;

  self->cancellable = g_cancellable_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Log In"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->login_button = gtk_button_new_with_mnemonic (_("_Log In"));
  gtk_widget_add_css_class (self->login_button, "suggested-action");
  g_signal_connect_swapped (self->login_button, "clicked", G_CALLBACK (on_login_cb), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->login_button);
  gtk_box_append (GTK_BOX (box), header);

  group = adw_preferences_group_new ();
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("The team’s Firstline server. The login is kept in "
                                           "the keyring (or, where none runs, in a file only you can read)."));
  self->server_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->server_row), _("Server address"));
  self->username_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->username_row), _("Username"));
  self->password_row = ADW_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row), _("Password"));
  adw_entry_row_set_activates_default (self->password_row, TRUE);
  g_signal_connect_swapped (self->password_row, "entry-activated", G_CALLBACK (on_login_cb), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->server_row));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->username_row));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->password_row));

  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message, TRUE);
  gtk_label_set_xalign (self->message, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->message), "error");

  clamp = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (clamp, 18);
  gtk_widget_set_margin_bottom (clamp, 18);
  gtk_widget_set_margin_start (clamp, 18);
  gtk_widget_set_margin_end (clamp, 18);
  gtk_box_append (GTK_BOX (clamp), group);
  gtk_box_append (GTK_BOX (clamp), GTK_WIDGET (self->message));
  gtk_box_append (GTK_BOX (box), clamp);

  adw_window_set_content (ADW_WINDOW (self), box);
}

FlLoginDialog *
fl_login_dialog_new (GtkWindow *parent,
                     FlContext *context)
{
  FlLoginDialog *self;
  FlSyncEngine *engine;
  GSettings *settings;
  g_autofree char *server = NULL;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  self = g_object_new (FL_TYPE_LOGIN_DIALOG, "transient-for", parent, NULL);
  self->context = g_object_ref (context);

  engine = fl_context_get_sync_engine (context);
  server = fl_sync_engine_dup_server_url (engine);
  settings = fl_context_get_settings (context);
  if (server == NULL && settings != NULL)
    server = g_settings_get_string (settings, "server-url");

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server ? server : "");
  {
    const char *stored = fl_store_get_username (fl_context_get_store (context));

    /* Never logged in: the account on this computer is a good first guess. */
    gtk_editable_set_text (GTK_EDITABLE (self->username_row),
                           g_strcmp0 (stored, FL_STORE_LOCAL_USER) != 0 ? stored : g_get_user_name ());
  }
  gtk_widget_grab_focus (GTK_WIDGET (*gtk_editable_get_text (GTK_EDITABLE (self->server_row))
                                     ? self->password_row : self->server_row));

  return self;
}
