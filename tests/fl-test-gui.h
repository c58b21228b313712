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

G_END_DECLS
