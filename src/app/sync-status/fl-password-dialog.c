/* fl-password-dialog.c — change one's own password on the server
 *
 * The current password, the new one twice. Errors show in the dialog, translated,
 * and what was typed stays; on success the dialog closes. The server logs out the
 * user's other sessions; this one stays.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-password-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-password-dialog.h"

struct _FlPasswordDialog
{
  AdwWindow     parent_instance;

  /* owned */
  FlContext    *context;
  GCancellable *cancellable;

  /* borrowed widgets */
  AdwEntryRow  *old_row;
  AdwEntryRow  *new_row;
  AdwEntryRow  *repeat_row;
  GtkLabel     *message;
  GtkWidget    *change_button;
};

G_DEFINE_FINAL_TYPE (FlPasswordDialog, fl_password_dialog, ADW_TYPE_WINDOW)

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
change_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FlPasswordDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fl_sync_engine_change_password_finish (FL_SYNC_ENGINE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_widget_set_sensitive (self->change_button, TRUE);
          gtk_label_set_label (self->message, error->message);
        }
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_change_cb (FlPasswordDialog *self)
{
  const char *new_password = row_text (self->new_row);

  if (!gtk_widget_get_sensitive (self->change_button))
    return;

  if (*row_text (self->old_row) == '\0')
    {
      gtk_label_set_label (self->message, _("Enter your current password."));
      return;
    }
  if (g_utf8_strlen (new_password, -1) < FL_SYNC_MIN_PASSWORD)
    {
      gtk_label_set_label (self->message, _("The new password must have at least 8 characters"));
      return;
    }
  if (g_strcmp0 (new_password, row_text (self->repeat_row)) != 0)
    {
      gtk_label_set_label (self->message, _("The new passwords do not match."));
      return;
    }

  gtk_label_set_label (self->message, _("Changing the password…"));
  gtk_widget_set_sensitive (self->change_button, FALSE);
  fl_sync_engine_change_password_async (fl_context_get_sync_engine (self->context),
                                        row_text (self->old_row), new_password,
                                        self->cancellable, change_done_cb, g_object_ref (self));
}

static void
fl_password_dialog_dispose (GObject *object)
{
  FlPasswordDialog *self = (FlPasswordDialog *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_password_dialog_parent_class)->dispose (object);
}

static void
fl_password_dialog_class_init (FlPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_password_dialog_dispose;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static AdwEntryRow *
add_password_row (GtkWidget        *group,
                  const char       *title,
                  FlPasswordDialog *self)
{
  AdwEntryRow *row = ADW_ENTRY_ROW (adw_password_entry_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_signal_connect_swapped (row, "entry-activated", G_CALLBACK (on_change_cb), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (row));
  return row;
}

static void
fl_password_dialog_init (FlPasswordDialog *self)
{
  GtkWidget *box;
  GtkWidget *header;
  GtkWidget *cancel;
  GtkWidget *group;
  GtkWidget *clamp;

  self->cancellable = g_cancellable_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Change Password"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->change_button = gtk_button_new_with_mnemonic (_("C_hange"));
  gtk_widget_add_css_class (self->change_button, "suggested-action");
  g_signal_connect_swapped (self->change_button, "clicked", G_CALLBACK (on_change_cb), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->change_button);
  gtk_box_append (GTK_BOX (box), header);

  group = adw_preferences_group_new ();
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("At least 8 characters. Your other sessions are "
                                           "logged out; this one stays."));
  self->old_row = add_password_row (group, _("Current password"), self);
  self->new_row = add_password_row (group, _("New password"), self);
  self->repeat_row = add_password_row (group, _("Repeat the new password"), self);

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
  gtk_widget_grab_focus (GTK_WIDGET (self->old_row));
}

FlPasswordDialog *
fl_password_dialog_new (GtkWindow *parent,
                        FlContext *context)
{
  FlPasswordDialog *self;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  self = g_object_new (FL_TYPE_PASSWORD_DIALOG, "transient-for", parent, NULL);
  self->context = g_object_ref (context);
  return self;
}
