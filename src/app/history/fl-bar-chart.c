/* fl-bar-chart.c — horizontal bars with their numbers, drawn with GtkSnapshot
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-bar-chart"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-bar-chart.h"

#define ROW_HEIGHT   26
#define BAR_HEIGHT   9
#define LABEL_WIDTH  110
#define NUMBER_WIDTH 56

struct _FlBarChart
{
  GtkWidget  parent_instance;

  /* owned */
  GStrv      labels;
  GArray    *first;         /* gint64 */
  GArray    *second;        /* gint64, or NULL: one series */
  char      *first_name;
  char      *second_name;
};

G_DEFINE_FINAL_TYPE (FlBarChart, fl_bar_chart, GTK_TYPE_WIDGET)

enum {
  BAR_ACTIVATED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static gint64
max_value (FlBarChart *self)
{
  gint64 max = 1;

  for (guint i = 0; self->first && i < self->first->len; i++)
    max = MAX (max, g_array_index (self->first, gint64, i));
  for (guint i = 0; self->second && i < self->second->len; i++)
    max = MAX (max, g_array_index (self->second, gint64, i));
  return max;
}

static guint
n_series (FlBarChart *self)
{
  return self->second != NULL ? 2 : 1;
}

static void
update_accessible (FlBarChart *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; self->labels && self->labels[i]; i++)
    {
      g_string_append_printf (text, "%s%s: %" G_GINT64_FORMAT, i ? "; " : "", self->labels[i],
                              g_array_index (self->first, gint64, i));
      if (self->second)
        g_string_append_printf (text, " / %" G_GINT64_FORMAT,
                                g_array_index (self->second, gint64, i));
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text->str, -1);
}

static void
draw_text (FlBarChart     *self,
           GtkSnapshot    *snapshot,
           const char     *text,
           float           x,
           float           y,
           float           width,
           gboolean        right,
           const GdkRGBA  *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y - h / 2.0f));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
fl_bar_chart_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  FlBarChart *self = FL_BAR_CHART (widget);
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  float width = gtk_widget_get_width (widget);
  float bar_space = MAX (width - LABEL_WIDTH - NUMBER_WIDTH - 12, 10);
  gint64 max = max_value (self);
  GdkRGBA fg, colors[2];

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (style, &fg);
  if (!gtk_style_context_lookup_color (style, "accent_bg_color", &colors[0]))
    gdk_rgba_parse (&colors[0], "#3584e4");
  if (!gtk_style_context_lookup_color (style, "success_color", &colors[1]))
    gdk_rgba_parse (&colors[1], "#26a269");
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (guint i = 0; self->labels && self->labels[i]; i++)
    {
      float top = i * ROW_HEIGHT;

      draw_text (self, snapshot, self->labels[i], 0, top + ROW_HEIGHT / 2.0f, LABEL_WIDTH - 8,
                 FALSE, &fg);
      for (guint s = 0; s < n_series (self); s++)
        {
          GArray *values = s == 0 ? self->first : self->second;
          gint64 v = g_array_index (values, gint64, i);
          float y = top + 3 + s * (BAR_HEIGHT + 2) + (n_series (self) == 1 ? 5 : 0);
          float w = MAX ((float) v / (float) max * bar_space, v > 0 ? 2.0f : 0.0f);
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, v);

          gtk_snapshot_append_color (snapshot, &colors[s],
                                     &GRAPHENE_RECT_INIT (LABEL_WIDTH, y, w, BAR_HEIGHT));
          draw_text (self, snapshot, number, LABEL_WIDTH + w + 4, y + BAR_HEIGHT / 2.0f,
                     NUMBER_WIDTH, FALSE, &fg);
        }
    }
}

static void
fl_bar_chart_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  FlBarChart *self = FL_BAR_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = LABEL_WIDTH + NUMBER_WIDTH + 60;
      *natural = LABEL_WIDTH + NUMBER_WIDTH + 400;
    }
  else
    *minimum = *natural = MAX (1, (int) fl_bar_chart_get_n_rows (self)) * ROW_HEIGHT;
}

static void
on_click_released_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      FlBarChart      *self)
{
  guint row = (guint) (y / ROW_HEIGHT);
  guint series = 0;

  if (row >= fl_bar_chart_get_n_rows (self))
    return;
  if (n_series (self) == 2 && y - row * ROW_HEIGHT > 3 + BAR_HEIGHT + 1)
    series = 1;
  g_signal_emit (self, signals[BAR_ACTIVATED], 0, row, series);
}

static void
fl_bar_chart_finalize (GObject *object)
{
  FlBarChart *self = FL_BAR_CHART (object);

  g_strfreev (self->labels);
  g_clear_pointer (&self->first, g_array_unref);
  g_clear_pointer (&self->second, g_array_unref);
  g_free (self->first_name);
  g_free (self->second_name);

  G_OBJECT_CLASS (fl_bar_chart_parent_class)->finalize (object);
}

static void
fl_bar_chart_class_init (FlBarChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = fl_bar_chart_finalize;
  widget_class->snapshot = fl_bar_chart_snapshot;
  widget_class->measure = fl_bar_chart_measure;

  /**
   * FlBarChart::bar-activated:
   * @row: the label's index
   * @series: 0 or 1
   */
  signals[BAR_ACTIVATED] =
    g_signal_new ("bar-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "barchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
fl_bar_chart_init (FlBarChart *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect (click, "released", G_CALLBACK (on_click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "pointer");
  self->first = g_array_new (FALSE, FALSE, sizeof (gint64));
}

GtkWidget *
fl_bar_chart_new (void)
{
  return g_object_new (FL_TYPE_BAR_CHART, NULL);
}

void
fl_bar_chart_set_series (FlBarChart *self,
                         const char *first,
                         const char *second)
{
  g_return_if_fail (FL_IS_BAR_CHART (self));

  g_free (self->first_name);
  g_free (self->second_name);
  self->first_name = g_strdup (first);
  self->second_name = g_strdup (second);
}

void
fl_bar_chart_set_data (FlBarChart         *self,
                       const char * const *labels,
                       const gint64       *first,
                       const gint64       *second,
                       guint               n)
{
  g_return_if_fail (FL_IS_BAR_CHART (self));

  g_strfreev (self->labels);
  self->labels = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    self->labels[i] = g_strdup (labels[i]);
  g_array_set_size (self->first, 0);
  g_array_append_vals (self->first, first, n);
  g_clear_pointer (&self->second, g_array_unref);
  if (second != NULL)
    {
      self->second = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_array_append_vals (self->second, second, n);
    }
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
fl_bar_chart_get_n_rows (FlBarChart *self)
{
  g_return_val_if_fail (FL_IS_BAR_CHART (self), 0);

  return self->labels ? g_strv_length (self->labels) : 0;
}
