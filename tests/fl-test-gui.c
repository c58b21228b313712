/* fl-test-gui.c — helpers for the tests that show widgets (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "firstline-test"

#include "config.h"

#include "fl-test-gui.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <X11/extensions/XTest.h>

#include "fl-test-util.h"

/* The visible AdwMessageDialog among the toplevels, or NULL. */
GtkWidget *
fl_test_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WIDGET (window);
    }
  return NULL;
}

gboolean
fl_test_widget_is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (GTK_WIDGET (widget));
}

void
fl_test_present (GtkWindow *window)
{
  gtk_window_present (window);
  fl_test_spin_until (fl_test_widget_is_mapped, window, 10);
  fl_test_spin_until_idle ();
}

/* With FIRSTLINE_SCREENSHOT_DIR set, renders @widget to NAME there (PNG). */
void
fl_test_save_screenshot (GtkWidget  *widget,
                         const char *name)
{
  const char *dir = g_getenv ("FIRSTLINE_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  int width, height;

  if (dir == NULL)
    return;

  fl_test_spin_until (fl_test_widget_is_mapped, widget, 10);
  fl_test_spin_until_idle ();
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static Display *
get_xdisplay (void)
{
  GdkDisplay *display = gdk_display_get_default ();

  g_assert_true (GDK_IS_X11_DISPLAY (display));
  return gdk_x11_display_get_xdisplay (display);
}

/* X events reach GTK through its own connection: flush, wait for the server
 * to have them, and let the main loop dispatch them. */
static void
flush_input (void)
{
  Display *dpy = get_xdisplay ();

  XSync (dpy, False);
  fl_test_spin_for (60);
  fl_test_spin_until_idle ();
}

static void
fake_key (guint    keysym,
          gboolean down)
{
  Display *dpy = get_xdisplay ();
  KeyCode code = XKeysymToKeycode (dpy, keysym);

  g_assert_cmpuint (code, !=, 0);
  XTestFakeKeyEvent (dpy, code, down, CurrentTime);
}

void
fl_test_press_key (guint           keyval,
                   GdkModifierType mods)
{
  if (mods & GDK_CONTROL_MASK)
    fake_key (XK_Control_L, TRUE);
  if (mods & GDK_SHIFT_MASK)
    fake_key (XK_Shift_L, TRUE);
  if (mods & GDK_ALT_MASK)
    fake_key (XK_Alt_L, TRUE);
  fake_key (keyval, TRUE);
  fake_key (keyval, FALSE);
  if (mods & GDK_ALT_MASK)
    fake_key (XK_Alt_L, FALSE);
  if (mods & GDK_SHIFT_MASK)
    fake_key (XK_Shift_L, FALSE);
  if (mods & GDK_CONTROL_MASK)
    fake_key (XK_Control_L, FALSE);
  flush_input ();
}

void
fl_test_type_text (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint keysym;
      gboolean shift = g_ascii_isupper (*p) || *p == '@';

      switch (*p)
        {
        case ' ': keysym = XK_space; break;
        case '.': keysym = XK_period; break;
        case ',': keysym = XK_comma; break;
        case '-': keysym = XK_minus; break;
        case '@': keysym = XK_2; break;
        default:
          g_assert_true (g_ascii_isalnum (*p));
          keysym = g_ascii_tolower (*p);
        }
      if (shift)
        fake_key (XK_Shift_L, TRUE);
      fake_key (keysym, TRUE);
      fake_key (keysym, FALSE);
      if (shift)
        fake_key (XK_Shift_L, FALSE);
    }
  flush_input ();
}

void
fl_test_click_widget (GtkWidget *widget)
{
  Display *dpy = get_xdisplay ();
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  graphene_point_t point;
  double nx, ny;
  int root_x, root_y;
  Window child;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.0,
                                                                 gtk_widget_get_height (widget) / 2.0),
                                           &point));
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (dpy, gdk_x11_surface_get_xid (surface), DefaultRootWindow (dpy),
                         (int) (point.x + nx), (int) (point.y + ny), &root_x, &root_y, &child);
  XTestFakeMotionEvent (dpy, -1, root_x, root_y, CurrentTime);
  XSync (dpy, False);
  fl_test_spin_for (30);
  XTestFakeButtonEvent (dpy, 1, True, CurrentTime);
  XTestFakeButtonEvent (dpy, 1, False, CurrentTime);
  flush_input ();
}

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}

void
fl_test_focus_window (GtkWindow *window)
{
  Display *dpy = get_xdisplay ();
  GdkSurface *surface;

  fl_test_spin_until (fl_test_widget_is_mapped, window, 10);
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (surface), RevertToPointerRoot, CurrentTime);
  XSync (dpy, False);
  fl_test_spin_until (window_is_active, window, 10);
  fl_test_spin_until_idle ();
}

GtkWindow *
fl_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WINDOW (window);
    }
  return NULL;
}
