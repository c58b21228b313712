/* bench-window.c — what a person sees: the real window over a real cache
 *
 * Starts its own Xvfb (-displayfd) and the real `firstline` over a copy of a
 * generated 100,000-ticket cache (build/bench/, made once), with
 * FIRSTLINE_TRACE pointing at a file (see src/app/fl-trace.c), and sends real
 * key events through XTEST. Each latency is the app's after-paint time of the
 * frame showing the result minus this driver's CLOCK_MONOTONIC time just
 * before the last key press. Measures
 *
 *  - start (spawn) to the first frame with list rows, VmRSS 10 s after start
 *    and after scrolling to the end, searching and switching views;
 *  - 30 searches typed at 120 ms a key: last keystroke to the results drawn,
 *    and the longest main-loop stall while typing;
 *  - switching views (Alt+1…6): key to the view drawn;
 *
 * with the default renderer (cairo; targets) and GSK_RENDERER=gl (information).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "fl-store.h"

#define N_TICKETS      100000
#define KEY_GAP_MS     120
#define WAIT_MS        15000

/* Baselines: measured on the same machine before the fixes of this benchmark's
 * commits (GSK_RENDERER=cairo already the default). */
#define BASE_START_MS      1100.0
#define BASE_RSS_10S_MB     123.0
#define BASE_RSS_END_MB     NAN
#define BASE_SEARCH_P99    NAN
#define BASE_SEARCH_STALL  164.0
#define BASE_VIEW_MAX     6404.0

/* The searches: prefixes as typed, umlauts, asset tags, names, German and
 * English words, one query matching over 10,000 tickets (Buchhaltung). */
static const char * const queries[] = {
  "vpn", "VPN Hamburg", "Drucker", "druck", "Passw", "Krüger", "kruger", "Müller",
  "Jörg", "Zoë", "Yılmaz", "Ayşe Schäfer", "München", "Köln", "NB-0231", "NB-42",
  "PR-0412", "Outlook", "Monitor flackert", "printer", "battery", "Konto gesperrt",
  "Buchhaltung", "Excel macros", "Besprechungsraum", "mailbox", "Home office",
  "Rückruf", "Toner", "Tel",
};
G_STATIC_ASSERT (G_N_ELEMENTS (queries) == 30);

typedef struct
{
  gint64  usec;
  char   *text;
} Line;

typedef struct
{
  GPid      xvfb;
  GPid      app;
  Display  *dpy;
  char     *dir;
  char     *trace_path;
  int       trace_fd;
  GString  *partial;
  GArray   *lines;      /* Line */
  gint64    spawned;
  KeyCode   spare;
} Session;

static void
line_clear (gpointer data)
{
  g_free (((Line *) data)->text);
}

static double
ms (gint64 usec)
{
  return usec / 1000.0;
}

static void
read_trace (Session *s)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (s->trace_fd, buf, sizeof buf)) > 0)
    {
      char *nl;

      g_string_append_len (s->partial, buf, n);
      while ((nl = strchr (s->partial->str, '\n')) != NULL)
        {
          Line line;
          char *space;

          *nl = '\0';
          line.usec = g_ascii_strtoll (s->partial->str, &space, 10);
          line.text = g_strdup (*space == ' ' ? space + 1 : space);
          g_array_append_val (s->lines, line);
          g_string_erase (s->partial, 0, nl - s->partial->str + 1);
        }
    }
}

/* The first line from index *@from on, at or after @after, whose text starts
 * with @prefix (and, when @exact, is exactly @prefix); waits up to @timeout_ms.
 * *@from becomes the index after it. */
static Line *
wait_line_from (Session    *s,
                guint      *from,
                const char *prefix,
                gboolean    exact,
                gint64      after,
                guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      read_trace (s);
      for (guint i = *from; i < s->lines->len; i++)
        {
          Line *l = &g_array_index (s->lines, Line, i);

          if (l->usec >= after &&
              (exact ? g_str_equal (l->text, prefix) : g_str_has_prefix (l->text, prefix)))
            {
              *from = i + 1;
              return l;
            }
        }
      if (g_get_monotonic_time () > deadline)
        return NULL;
      g_usleep (1000);
    }
}

static Line *
wait_line (Session    *s,
           const char *prefix,
           gboolean    exact,
           gint64      after,
           guint       timeout_ms)
{
  guint from = 0;

  return wait_line_from (s, &from, prefix, exact, after, timeout_ms);
}

/* The longest "stall MS" between @from and @to (µs). A stall line is written
 * when it ends: one that ends after @from counts. */
static double
max_stall (Session *s,
           gint64   from,
           gint64   to)
{
  double worst = 0;

  read_trace (s);
  for (guint i = 0; i < s->lines->len; i++)
    {
      Line *l = &g_array_index (s->lines, Line, i);

      if (l->usec > from && l->usec <= to && g_str_has_prefix (l->text, "stall "))
        worst = MAX (worst, g_ascii_strtod (l->text + 6, NULL));
    }
  return worst;
}

static gboolean
start_xvfb (Session *s)
{
  const char *argv[] = { "Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24",
                         "-nolisten", "tcp", "-noreset", NULL };
  int fds[2];
  int source[1];
  int target[1] = { 3 };
  char buf[32] = "";
  size_t got = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  if (pipe (fds) != 0)
    return FALSE;
  source[0] = fds[1];
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                         G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                         NULL, NULL, -1, -1, -1, source, target, 1,
                                         &s->xvfb, NULL, NULL, NULL, &error))
    {
      printf ("cannot start Xvfb: %s\n", error->message);
      return FALSE;
    }
  close (fds[1]);
  while (got < sizeof buf - 1)
    {
      ssize_t n = read (fds[0], buf + got, sizeof buf - 1 - got);
      if (n <= 0)
        break;
      got += (size_t) n;
      if (memchr (buf, '\n', got) != NULL)
        break;
    }
  close (fds[0]);
  buf[got] = '\0';
  g_strstrip (buf);
  if (*buf == '\0')
    return FALSE;
  name = g_strdup_printf (":%s", buf);
  g_setenv ("DISPLAY", name, TRUE);
  s->dpy = XOpenDisplay (name);
  return s->dpy != NULL;
}

static KeyCode
find_spare_keycode (Display *dpy)
{
  int min, max, per;
  KeySym *map;
  KeyCode spare = 0;

  XDisplayKeycodes (dpy, &min, &max);
  map = XGetKeyboardMapping (dpy, (KeyCode) min, max - min + 1, &per);
  for (int kc = max; kc >= min && spare == 0; kc--)
    {
      gboolean empty = TRUE;
      for (int j = 0; j < per; j++)
        if (map[(kc - min) * per + j] != NoSymbol)
          empty = FALSE;
      if (empty)
        spare = (KeyCode) kc;
    }
  XFree (map);
  return spare;
}

static void
key (Session *s,
     KeyCode  kc,
     gboolean down)
{
  XTestFakeKeyEvent (s->dpy, kc, down, CurrentTime);
  XFlush (s->dpy);
}

/* Presses and releases @sym, with Shift when the keymap needs it, or on a
 * spare keycode mapped to it (umlauts). Returns the time just before the press. */
static gint64
type_keysym (Session *s,
             KeySym   sym,
             KeySym   modifier)
{
  KeyCode kc = XKeysymToKeycode (s->dpy, sym);
  KeyCode mod = modifier ? XKeysymToKeycode (s->dpy, modifier) : 0;
  KeyCode shift = 0;
  gint64 t;

  if (kc != 0 && XkbKeycodeToKeysym (s->dpy, kc, 0, 0) != sym)
    {
      if (XkbKeycodeToKeysym (s->dpy, kc, 0, 1) == sym)
        shift = XKeysymToKeycode (s->dpy, XK_Shift_L);
      else
        kc = 0;
    }
  if (kc == 0)
    {
      KeySym syms[2] = { sym, sym };

      XChangeKeyboardMapping (s->dpy, s->spare, 2, syms, 1);
      XSync (s->dpy, False);
      g_usleep (20000);   /* the app reads the new keymap */
      kc = s->spare;
    }

  if (mod)
    key (s, mod, TRUE);
  if (shift)
    key (s, shift, TRUE);
  t = g_get_monotonic_time ();
  key (s, kc, TRUE);
  key (s, kc, FALSE);
  if (shift)
    key (s, shift, FALSE);
  if (mod)
    key (s, mod, FALSE);
  return t;
}

static KeySym
char_keysym (gunichar c)
{
  if (c == ' ')
    return XK_space;
  if (c == '-')
    return XK_minus;
  if (c < 0x100)
    return c;
  return 0x01000000 | c;
}

/* Types @text a key every KEY_GAP_MS; returns the time before the last press. */
static gint64
type_text (Session    *s,
           const char *text)
{
  gint64 last = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      if (last != 0)
        g_usleep (KEY_GAP_MS * 1000);
      last = type_keysym (s, char_keysym (g_utf8_get_char (p)), 0);
    }
  return last;
}

static gboolean
start_app (Session    *s,
           const char *cache,
           const char *renderer)
{
  const char *app = g_getenv ("FIRSTLINE_APP");
  g_autofree char *copy = g_build_filename (s->dir, "cache.db", NULL);
  g_autofree char *data = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GError) error = NULL;
  gsize len;
  /* --demo-tickets 1: the cache is not empty, so nothing is added, and no login
   * dialog covers the window. */
  const char *argv[] = { app, "--cache", copy, "--demo-tickets", "1", NULL };

  if (!g_file_get_contents (cache, &data, &len, &error) ||
      !g_file_set_contents (copy, data, len, &error))
    g_error ("copy %s: %s", cache, error->message);
  g_clear_pointer (&data, g_free);

  s->trace_path = g_build_filename (s->dir, "trace", NULL);
  s->trace_fd = open (s->trace_path, O_RDONLY | O_CREAT, 0600);
  env = g_environ_unsetenv (env, "GSK_RENDERER");
  if (renderer != NULL)
    env = g_environ_setenv (env, "GSK_RENDERER", renderer, TRUE);
  env = g_environ_setenv (env, "FIRSTLINE_TRACE", s->trace_path, TRUE);
  env = g_environ_setenv (env, "GTK_A11Y", "none", TRUE);
  env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", TRUE);
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", TRUE);
  /* its own instance: no session bus to find another one on */
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  env = g_environ_setenv (env, "G_DEBUG", "", TRUE);

  s->spawned = g_get_monotonic_time ();
  if (!g_spawn_async (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                      &s->app, &error))
    {
      printf ("cannot start %s: %s\n", app, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
stop (GPid *pid)
{
  int status;

  if (*pid <= 0)
    return;
  kill (*pid, SIGTERM);
  for (int i = 0; i < 300 && waitpid (*pid, &status, WNOHANG) == 0; i++)
    g_usleep (10000);
  if (waitpid (*pid, &status, WNOHANG) == 0)
    {
      kill (*pid, SIGKILL);
      waitpid (*pid, &status, 0);
    }
  g_spawn_close_pid (*pid);
  *pid = 0;
}

static void
session_end (Session *s)
{
  stop (&s->app);
  if (s->dpy != NULL)
    XCloseDisplay (s->dpy);
  stop (&s->xvfb);
  if (s->trace_fd >= 0)
    close (s->trace_fd);
  if (s->dir != NULL && g_getenv ("FIRSTLINE_BENCH_KEEP") == NULL)
    {
      g_autoptr(GDir) d = g_dir_open (s->dir, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (s->dir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (s->dir);
    }
  g_free (s->dir);
  g_free (s->trace_path);
  g_string_free (s->partial, TRUE);
  g_array_unref (s->lines);
}

typedef struct
{
  double start_ms;
  double rss_10s_mb;
  double rss_end_mb;
  double search_p50;
  double search_p99;
  double search_max;
  double search_stall;
  double view_p99;
  double view_max;
  double view_stall;
  double scroll_ms;
  guint  n_searches;
  guint  big_query_hits;
} Results;

/* One session. @full: all 30 queries and the views; otherwise a few queries. */
static gboolean
run_session (const char *cache,
             const char *renderer,
             gboolean    full,
             Results    *r)
{
  Session s = { 0, };
  g_autoptr(GArray) search_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) view_ms = g_array_new (FALSE, FALSE, sizeof (double));
  /* FIRSTLINE_BENCH_QUICK=1: a few searches and one round of views, to iterate */
  gboolean quick = g_getenv ("FIRSTLINE_BENCH_QUICK") != NULL;
  guint n_queries = full && !quick ? G_N_ELEMENTS (queries) : 4;
  gboolean ok = FALSE;
  Line *l;
  gint64 t, typing_start, typing_end;

  s.trace_fd = -1;
  s.partial = g_string_new (NULL);
  s.lines = g_array_new (FALSE, TRUE, sizeof (Line));
  g_array_set_clear_func (s.lines, line_clear);
  s.dir = g_dir_make_tmp ("firstline-bench-window-XXXXXX", NULL);
  memset (r, 0, sizeof *r);
  r->rss_end_mb = NAN;

  if (!start_xvfb (&s) || (s.spare = find_spare_keycode (s.dpy)) == 0)
    {
      printf ("no X server\n");
      goto out;
    }
  if (!start_app (&s, cache, renderer))
    goto out;

  if (!(l = wait_line (&s, "first-frame", FALSE, 0, 30000)))
    {
      printf ("no first frame within 30 s\n");
      goto out;
    }
  r->start_ms = ms (l->usec - s.spawned);

  /* keyboard focus follows the pointer: no window manager */
  XTestFakeMotionEvent (s.dpy, 0, 900, 400, CurrentTime);
  XFlush (s.dpy);
  while (g_get_monotonic_time () < s.spawned + 10 * G_USEC_PER_SEC)
    g_usleep (50000);
  r->rss_10s_mb = bench_rss_kb (s.app) / 1024.0;

  /* Searches in All: Alt+6, Ctrl+F, then each query typed over the selected last one. */
  t = type_keysym (&s, XK_6, XK_Alt_L);
  wait_line (&s, "view-drawn all", FALSE, t, WAIT_MS);
  g_usleep (300000);
  t = type_keysym (&s, XK_f, XK_Control_L);
  g_usleep (300000);
  typing_start = g_get_monotonic_time ();
  for (guint i = 0; i < n_queries; i++)
    {
      const char *want = "search-drawn ";
      gint64 key_time;
      guint from = 0;
      double latency;

      if (i > 0)
        type_keysym (&s, XK_a, XK_Control_L);
      g_usleep (KEY_GAP_MS * 1000);
      key_time = type_text (&s, queries[i]);
      /* the first frame drawn with exactly this query's results, after its last key */
      while ((l = wait_line_from (&s, &from, want, FALSE, key_time, WAIT_MS)) != NULL)
        {
          const char *sp = strchr (l->text + strlen (want), ' ');

          if (sp != NULL && g_str_equal (sp + 1, queries[i]))
            break;
        }
      latency = l ? ms (l->usec - key_time) : WAIT_MS;
      g_array_append_val (search_ms, latency);
      if (l == NULL)
        {
          printf ("  search \"%s\": no results drawn within %d s\n", queries[i], WAIT_MS / 1000);
          continue;
        }
      if (g_str_equal (queries[i], "Buchhaltung"))
        r->big_query_hits = (guint) g_ascii_strtoull (l->text + strlen (want), NULL, 10);
      printf ("  search %-20s %8.1f ms  %6u results\n", queries[i], latency,
              (guint) g_ascii_strtoull (l->text + strlen (want), NULL, 10));
      fflush (stdout);
      g_usleep (200000);
    }
  typing_end = g_get_monotonic_time ();
  r->n_searches = search_ms->len;
  r->search_stall = max_stall (&s, typing_start, typing_end);
  r->search_max = bench_percentile (search_ms, 100);
  r->search_p99 = bench_percentile (search_ms, 99);
  r->search_p50 = bench_percentile (search_ms, 50);
  (void) t;

  /* Escape ends the search; the list is whole again. */
  t = type_keysym (&s, XK_Escape, 0);
  wait_line (&s, "search-drawn", FALSE, t, WAIT_MS);
  g_usleep (300000);

  if (full)
    {
      static const char * const views[] = { "mine", "waiting", "escalated", "resolved", "all", "incoming" };
      static const KeySym digits[] = { XK_2, XK_3, XK_4, XK_5, XK_6, XK_1 };
      gint64 views_start = g_get_monotonic_time ();

      for (guint round = 0; round < (quick ? 1 : 2); round++)
        for (guint i = 0; i < G_N_ELEMENTS (views); i++)
          {
            g_autofree char *want = g_strdup_printf ("view-drawn %s ", views[i]);

            t = type_keysym (&s, digits[i], XK_Alt_L);
            l = wait_line (&s, want, FALSE, t, WAIT_MS);
            g_array_append_vals (view_ms, &(double) { l ? ms (l->usec - t) : WAIT_MS }, 1);
            printf ("  view %-10s %8.1f ms\n", views[i], g_array_index (view_ms, double, view_ms->len - 1));
            g_usleep (300000);
          }
      r->view_stall = max_stall (&s, views_start, g_get_monotonic_time ());
      r->view_max = bench_percentile (view_ms, 100);
      r->view_p99 = bench_percentile (view_ms, 99);
    }

  /* To the end of All: Alt+6, then Alt+Up with nothing selected selects the
   * last ticket and scrolls to it. */
  t = type_keysym (&s, XK_6, XK_Alt_L);
  wait_line (&s, "view-drawn all", FALSE, t, WAIT_MS);
  g_usleep (300000);
  t = type_keysym (&s, XK_Up, XK_Alt_L);
  for (guint from = 0; (l = wait_line_from (&s, &from, "scrolled ", FALSE, t, WAIT_MS)) != NULL;)
    {
      double value, page, upper;

      if (sscanf (l->text, "scrolled %lf %lf %lf", &value, &page, &upper) == 3 &&
          upper > 10000 && value + page >= upper - 1)
        break;
    }
  r->scroll_ms = l ? ms (l->usec - t) : NAN;
  if (l == NULL)
    printf ("the list did not scroll to its end\n");
  g_usleep (G_USEC_PER_SEC);
  r->rss_end_mb = bench_rss_kb (s.app) / 1024.0;
  ok = TRUE;

out:
  session_end (&s);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cache = NULL;
  BenchReport *report;
  Results cairo, gl;
  gboolean cairo_ok, gl_ok;

  if (g_getenv ("FIRSTLINE_APP") == NULL)
    {
      printf ("FIRSTLINE_APP: the firstline program to measure\n");
      return EXIT_FAILURE;
    }

  cache = bench_ensure_cache (N_TICKETS, BENCH_SEED);
  printf ("cairo (default):\n");
  cairo_ok = run_session (cache, NULL, TRUE, &cairo);
  printf ("GSK_RENDERER=gl:\n");
  gl_ok = run_session (cache, "gl", FALSE, &gl);

  report = bench_report_new ("window", "Firstline window benchmark: 100,000 cached tickets, Xvfb, XTEST keys");
  bench_report_set (report, "tickets", "100000");
  bench_report_set (report, "cache", cache);
  if (!cairo_ok)
    cairo.start_ms = cairo.rss_10s_mb = cairo.rss_end_mb = cairo.search_p99 = cairo.view_max = INFINITY;
  bench_report_add (report, "start to first drawn list", "ms", cairo.start_ms, BASE_START_MS, BENCH_BELOW, 1000);
  bench_report_add (report, "VmRSS 10 s after start", "MB", cairo.rss_10s_mb, BASE_RSS_10S_MB, BENCH_BELOW, 150);
  bench_report_add (report, "VmRSS after searches, views, scrolled to end", "MB", cairo.rss_end_mb,
                    BASE_RSS_END_MB, BENCH_BELOW, 150);
  bench_report_add (report, "search: last key to results drawn, median", "ms", cairo.search_p50, NAN,
                    BENCH_INFO, 0);
  bench_report_add (report, "search: last key to results drawn, p99 (30)", "ms", cairo.search_p99,
                    BASE_SEARCH_P99, BENCH_BELOW, 100);
  bench_report_add (report, "search: longest main-loop stall while typing", "ms", cairo.search_stall,
                    BASE_SEARCH_STALL, BENCH_AT_MOST, 50);
  bench_report_add (report, "view switch: key to view drawn, max (12)", "ms", cairo.view_max,
                    BASE_VIEW_MAX, BENCH_BELOW, 50);
  bench_report_add (report, "view switch: longest main-loop stall", "ms", cairo.view_stall, NAN,
                    BENCH_INFO, 0);
  bench_report_add (report, "Alt+Up to the end of All drawn", "ms", cairo.scroll_ms, NAN, BENCH_INFO, 0);
  bench_report_add (report, "results of \"Buchhaltung\"", "tickets", cairo.big_query_hits, NAN, BENCH_INFO, 0);
  if (gl_ok)
    {
      bench_report_add (report, "GL: start to first drawn list", "ms", gl.start_ms, NAN, BENCH_INFO, 0);
      bench_report_add (report, "GL: VmRSS 10 s after start", "MB", gl.rss_10s_mb, NAN, BENCH_INFO, 0);
      bench_report_add (report, "GL: VmRSS after 4 searches, scrolled to end", "MB", gl.rss_end_mb, NAN,
                        BENCH_INFO, 0);
      bench_report_add (report, "GL: search last key to drawn, max of 4", "ms", gl.search_max, NAN,
                        BENCH_INFO, 0);
      bench_report_add (report, "GL: longest stall while typing", "ms", gl.search_stall, NAN, BENCH_INFO, 0);
    }
  else
    printf ("the GL session failed (information only)\n");

  return bench_report_finish (report);
}
