/* fl-a11y.h — accessible names GTK 4.8 gets wrong on its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void  fl_a11y_install            (void);
void  fl_a11y_fix_mnemonic_names (GtkWidget  *root);
/* Names a widget, and tells the rest of this file not to rename it. */
void  fl_a11y_set_label          (GtkWidget  *widget,
                                  const char *label);
/* Names a GtkDropDown, its button and its list. */
void  fl_a11y_set_drop_down_name (GtkWidget  *drop_down,
                                  const char *name);
char *fl_a11y_strip_mnemonic     (const char *label);

/* Names what an AdwPreferencesWindow leaves unnamed. */
void  fl_a11y_fix_preferences_window (GtkWidget *window);

G_END_DECLS
