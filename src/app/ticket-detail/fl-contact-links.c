/* fl-contact-links.c — tel: and mailto: for a requester's phone and e-mail
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-contact-links"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "fl-contact-links.h"

char *
fl_contact_tel_uri (const char *phone)
{
  g_autoptr(GString) uri = g_string_new ("tel:");

  if (phone == NULL)
    return NULL;

  /* RFC 3966: digits, a leading "+"; spaces, dashes, dots, slashes and
   * parentheses are only for the eye. */
  for (const char *p = phone; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (uri, *p);
      else if (*p == '+' && uri->len == strlen ("tel:"))
        g_string_append_c (uri, '+');
      else if (!strchr (" -./()\t", *p))
        return NULL;
    }
  if (uri->len <= strlen ("tel:+"))
    return NULL;
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

char *
fl_contact_mailto_uri (const char *email)
{
  g_autofree char *address = NULL;
  g_autofree char *escaped = NULL;
  const char *at;

  if (email == NULL)
    return NULL;
  address = g_strstrip (g_strdup (email));
  at = strchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0' || strchr (at + 1, '@') != NULL ||
      strpbrk (address, " \t\r\n<>\"?&,;") != NULL)
    return NULL;
  escaped = g_uri_escape_string (address, "@!$'*+=._~-", FALSE);
  return g_strconcat ("mailto:", escaped, NULL);
}

static void
launch_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  GtkRoot *root;
  GtkWidget *dialog;

  if (g_app_info_launch_default_for_uri_finish (result, &error))
    return;

  g_warning ("Cannot open a contact link: %s", error->message);
  root = gtk_widget_get_root (widget);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("No Application for This Link"), error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
fl_contact_launch (GtkWidget  *widget,
                   const char *uri)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (uri != NULL);

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (widget));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launch_done_cb, g_object_ref (widget));
}
