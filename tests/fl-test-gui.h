/* fl-test-gui.h — helpers for the tests that show widgets (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *fl_test_find_message_dialog (void);
void       fl_test_save_screenshot     (GtkWidget  *widget,
                                        const char *name);
/* For fl_test_spin_until(): whether @widget is mapped. */
gboolean   fl_test_widget_is_mapped    (gpointer    widget);
/* Presents @window and spins until it is on screen and the main loop is idle. */
void       fl_test_present             (GtkWindow  *window);

G_END_DECLS
