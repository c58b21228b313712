/* fl-contact-links.h — tel: and mailto: for a requester's phone and e-mail
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* "tel:+49301234567" for "+49 30 123-45 67"; NULL when there is no number. */
char *fl_contact_tel_uri    (const char *phone);
/* "mailto:tom.becker@example.com"; NULL unless @email looks like an address. */
char *fl_contact_mailto_uri (const char *email);
/* Opens @uri with the desktop's default application for it; says so in a
 * dialog on @widget's window when none can. */
void  fl_contact_launch     (GtkWidget  *widget,
                             const char *uri);

G_END_DECLS
