/* fl-trace.c — timestamps of what the window shows, for the benchmarks
 *
 * Off unless FIRSTLINE_TRACE is set, to a file descriptor number ("3") or a
 * path (appended to). Each line is "USEC EVENT [ARGS]", USEC from
 * g_get_monotonic_time () (CLOCK_MONOTONIC, comparable between processes):
 *
 *   start                       the program started
 *   first-frame N               the first frame painted with list rows mapped (N items)
 *   search-applied N TEXT       the list now holds the N results of TEXT
 *   search-drawn N TEXT         the frame that shows them was painted
 *   view-switched VIEW N        the list now holds view VIEW (N items)
 *   view-drawn VIEW N           the frame that shows it was painted
 *   store-changed N             the store applied N changed tickets
 *   store-drawn N               the frame after that was painted
 *   scrolled VALUE PAGE UPPER   the painted frame shows the list scrolled to VALUE
 *   stall MS                    the main loop did not run for MS milliseconds (> 50)
 *
 * "…-drawn" lines come from the window's GdkFrameClock::after-paint.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-trace"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl-trace.h"

/* A high-priority tick this often; a gap over STALL_MS is a stall. */
#define TICK_MS  10
#define STALL_MS 50

static int trace_fd = -1;
static GPtrArray *pending;       /* lines to write at the next after-paint */
static gint64 last_tick;
static gboolean first_frame_done;
static GtkWidget *traced_list;   /* weak */
static double last_scroll = -1;

gboolean
fl_trace_enabled (void)
{
  return trace_fd >= 0;
}

static void
write_line (gint64      usec,
            const char *text)
{
  g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT " %s\n", usec, text);
  size_t len = strlen (line);
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = write (trace_fd, line + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      done += (size_t) n;
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick != 0 && now - last_tick > STALL_MS * 1000)
    {
      g_autofree char *text = g_strdup_printf ("stall %" G_GINT64_FORMAT, (now - last_tick) / 1000);
      write_line (now, text);
    }
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

void
fl_trace_init (void)
{
  const char *target = g_getenv ("FIRSTLINE_TRACE");
  char *end = NULL;
  long fd;

  if (target == NULL || *target == '\0' || trace_fd >= 0)
    return;

  fd = strtol (target, &end, 10);
  if (end != target && *end == '\0' && fd >= 0)
    trace_fd = (int) fd;
  else
    trace_fd = open (target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (trace_fd < 0)
    {
      g_warning ("FIRSTLINE_TRACE: cannot open %s: %s", target, g_strerror (errno));
      return;
    }

  pending = g_ptr_array_new_with_free_func (g_free);
  write_line (g_get_monotonic_time (), "start");
  g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, tick_cb, NULL, NULL);
}

void
fl_trace (const char *format,
          ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (trace_fd < 0)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  write_line (g_get_monotonic_time (), text);
}

void
fl_trace_on_paint (const char *format,
                   ...)
{
  va_list args;

  if (trace_fd < 0)
    return;

  va_start (args, format);
  g_ptr_array_add (pending, g_strdup_vprintf (format, args));
  va_end (args);
}

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_list_view (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Rows are on screen when the list view has a mapped child that is not its
 * scrollbar or rubberband: GtkListView's children are its row widgets. */
static guint
count_mapped_rows (GtkWidget *list_view)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_mapped (child))
      n++;

  return n;
}

static void
on_after_paint_cb (GdkFrameClock *clock,
                   gpointer       user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (!first_frame_done && traced_list != NULL)
    {
      GtkWidget *list_view = find_list_view (traced_list);

      if (list_view != NULL && gtk_widget_get_mapped (list_view) && count_mapped_rows (list_view) > 0)
        {
          GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list_view)));
          g_autofree char *text = g_strdup_printf ("first-frame %u", g_list_model_get_n_items (model));

          first_frame_done = TRUE;
          write_line (now, text);
        }
    }

  if (first_frame_done && traced_list != NULL)
    {
      GtkWidget *list_view = find_list_view (traced_list);
      GtkAdjustment *adj = list_view ? gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list_view)) : NULL;

      if (adj != NULL && gtk_adjustment_get_value (adj) != last_scroll)
        {
          g_autofree char *text = NULL;

          last_scroll = gtk_adjustment_get_value (adj);
          text = g_strdup_printf ("scrolled %.0f %.0f %.0f", last_scroll,
                                  gtk_adjustment_get_page_size (adj), gtk_adjustment_get_upper (adj));
          write_line (now, text);
        }
    }

  for (guint i = 0; i < pending->len; i++)
    write_line (now, g_ptr_array_index (pending, i));
  g_ptr_array_set_size (pending, 0);
}

static void
on_realize_cb (GtkWidget *window,
               gpointer   user_data)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  if (clock != NULL)
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), NULL);
}

/* Watches @window's frames; @list is where the ticket rows are. */
void
fl_trace_attach (GtkWidget *window,
                 GtkWidget *list)
{
  if (trace_fd < 0)
    return;

  traced_list = list;
  g_object_add_weak_pointer (G_OBJECT (list), (gpointer *) &traced_list);
  if (gtk_widget_get_realized (window))
    on_realize_cb (window, NULL);
  else
    g_signal_connect (window, "realize", G_CALLBACK (on_realize_cb), NULL);
}
