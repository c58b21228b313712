/* fl-ca-file-chooser.c — choose the extra CA certificates with a file chooser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ca-file-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-ca-file-chooser.h"

static void
on_response_cb (GtkNativeDialog *native,
                int              response,
                gpointer         user_data)
{
  g_autoptr(GSettings) settings = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (settings, "ca-file", path);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
on_choose_clicked_cb (GtkButton *button,
                      GSettings *settings)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  g_autofree char *current = g_settings_get_string (settings, "ca-file");
  g_autoptr(GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Choose CA Certificates"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_filter_set_name (pem, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (pem, "*.pem");
  gtk_file_filter_add_pattern (pem, "*.crt");
  gtk_file_filter_add_pattern (pem, "*.cer");
  gtk_file_filter_add_mime_type (pem, "application/x-x509-ca-cert");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), pem);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
  if (*current != '\0')
    {
      g_autoptr(GFile) file = g_file_new_for_path (current);
      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (native), file, NULL);
    }

  g_signal_connect (native, "response", G_CALLBACK (on_response_cb), g_object_ref (settings));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
on_clear_clicked_cb (GtkButton *button,
                     GSettings *settings)
{
  g_settings_set_string (settings, "ca-file", "");
}

/* A typed path counts when applied (Enter or the apply button), not with each key. */
static void
on_apply_cb (AdwEntryRow *row,
             GSettings   *settings)
{
  g_autofree char *path = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  g_settings_set_string (settings, "ca-file", path);
}

void
fl_ca_file_chooser_add_to_row (AdwEntryRow *row,
                               GSettings   *settings)
{
  GtkWidget *choose;
  GtkWidget *clear;

  g_return_if_fail (ADW_IS_ENTRY_ROW (row));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_settings_bind (settings, "ca-file", row, "text", G_SETTINGS_BIND_GET);
  adw_entry_row_set_show_apply_button (row, TRUE);
  g_signal_connect_object (row, "apply", G_CALLBACK (on_apply_cb), settings, 0);

  choose = gtk_button_new_from_icon_name ("document-open-symbolic");
  gtk_widget_set_tooltip_text (choose, _("Choose a File…"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (choose), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Choose a File…"), -1);
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (choose, "flat");
  g_signal_connect_object (choose, "clicked", G_CALLBACK (on_choose_clicked_cb), settings, 0);
  adw_entry_row_add_suffix (row, choose);

  clear = gtk_button_new_from_icon_name ("edit-clear-symbolic");
  gtk_widget_set_tooltip_text (clear, _("Use Only the System’s Certificates"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (clear), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Use Only the System’s Certificates"), -1);
  gtk_widget_set_valign (clear, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (clear, "flat");
  g_signal_connect_object (clear, "clicked", G_CALLBACK (on_clear_clicked_cb), settings, 0);
  adw_entry_row_add_suffix (row, clear);
}
