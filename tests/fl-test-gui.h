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

/* Real input through the X server (XTEST), as a person's keyboard and mouse
 * send it: the events go through GTK's whole event delivery. Each spins the
 * main loop until the events arrived. */
/* Presses @keyval with @mods held (GDK_CONTROL_MASK, GDK_SHIFT_MASK, GDK_ALT_MASK). */
void       fl_test_press_key           (guint            keyval,
                                        GdkModifierType  mods);
/* Types @text (ASCII letters, digits, space and . , - @) into the focused widget. */
void       fl_test_type_text           (const char      *text);
/* Moves the pointer to the middle of @widget and clicks the primary button. */
void       fl_test_click_widget        (GtkWidget       *widget);
/* Gives @window the keyboard focus of the X server (there is no window manager
 * under Xvfb to do it) and spins until GTK knows it is active. */
void       fl_test_focus_window        (GtkWindow       *window);
/* Looks for a toplevel of @type that is visible. */
GtkWindow *fl_test_find_toplevel       (GType            type);

G_END_DECLS
