/* bench-util.c — the benchmarks' report: table, JSON, machine, caches
 *
 * Every benchmark prints a table of its figures beside their baselines and
 * targets and writes the same to $FIRSTLINE_BUILD_DIR/bench/NAME.json with the
 * machine and the commit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench-util.h"
#include "fl-demo.h"
#include "fl-store.h"

typedef struct
{
  char      *figure;
  char      *unit;
  double     value;
  double     baseline;
  double     target;
  BenchGoal  goal;
} Figure;

struct _BenchReport
{
  char    *name;
  char    *title;
  GArray  *figures;
  GPtrArray *keys;
  GPtrArray *values;
};

static void
figure_clear (gpointer data)
{
  Figure *f = data;

  g_free (f->figure);
  g_free (f->unit);
}

BenchReport *
bench_report_new (const char *name,
                  const char *title)
{
  BenchReport *r = g_new0 (BenchReport, 1);

  r->name = g_strdup (name);
  r->title = g_strdup (title);
  r->figures = g_array_new (FALSE, TRUE, sizeof (Figure));
  g_array_set_clear_func (r->figures, figure_clear);
  r->keys = g_ptr_array_new_with_free_func (g_free);
  r->values = g_ptr_array_new_with_free_func (g_free);
  return r;
}

/* @baseline: the figure before this work (NAN: none) */
void
bench_report_add (BenchReport *r,
                  const char  *figure,
                  const char  *unit,
                  double       value,
                  double       baseline,
                  BenchGoal    goal,
                  double       target)
{
  Figure f = { g_strdup (figure), g_strdup (unit), value, baseline, target, goal };

  g_array_append_val (r->figures, f);
}

void
bench_report_set (BenchReport *r,
                  const char  *key,
                  const char  *value)
{
  g_ptr_array_add (r->keys, g_strdup (key));
  g_ptr_array_add (r->values, g_strdup (value));
}

static gboolean
figure_passed (const Figure *f)
{
  switch (f->goal)
    {
    case BENCH_BELOW:   return f->value < f->target;
    case BENCH_AT_MOST: return f->value <= f->target;
    case BENCH_AT_LEAST: return f->value >= f->target;
    case BENCH_INFO:
    default:            return TRUE;
    }
}

static char *
read_proc_value (const char *path,
                 const char *key)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], key))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

static char *
dup_commit (void)
{
  const char *srcdir = g_getenv ("FIRSTLINE_SOURCE_DIR");
  const char *argv[] = { "git", "-C", srcdir ? srcdir : ".", "describe", "--always", "--dirty", NULL };
  g_autofree char *out = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL) || out == NULL || *g_strstrip (out) == '\0')
    return g_strdup ("unknown");
  return g_steal_pointer (&out);
}

char *
bench_dir (void)
{
  const char *build = g_getenv ("FIRSTLINE_BUILD_DIR");
  char *dir = g_build_filename (build ? build : ".", "bench", NULL);

  g_mkdir_with_parents (dir, 0755);
  return dir;
}

static void
add_number (JsonBuilder *b,
            const char  *member,
            double       value)
{
  json_builder_set_member_name (b, member);
  if (isnan (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

/* Prints the table and writes NAME.json; returns the exit status. */
int
bench_report_finish (BenchReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = bench_dir ();
  g_autofree char *file = g_strconcat (r->name, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *cpu = read_proc_value ("/proc/cpuinfo", "model name");
  g_autofree char *mem = read_proc_value ("/proc/meminfo", "MemTotal");
  g_autofree char *commit = dup_commit ();
  struct utsname uts;
  guint n_failed = 0;

  if (uname (&uts) != 0)
    strcpy (uts.release, "unknown");

  printf ("\n%s\n", r->title);
  printf ("machine: %u CPUs, %s, %s, Linux %s; commit %s\n", g_get_num_processors (), cpu, mem,
          uts.release, commit);
  for (guint i = 0; i < r->keys->len; i++)
    printf ("%s: %s\n", (char *) g_ptr_array_index (r->keys, i),
            (char *) g_ptr_array_index (r->values, i));
  printf ("\n  %-52s %10s %10s %7s %10s  %s\n", "figure", "value", "baseline", "ratio", "target", "");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "benchmark");
  json_builder_add_string_value (b, r->name);
  json_builder_set_member_name (b, "commit");
  json_builder_add_string_value (b, commit);
  json_builder_set_member_name (b, "machine");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "nproc");
  json_builder_add_int_value (b, g_get_num_processors ());
  json_builder_set_member_name (b, "memory");
  json_builder_add_string_value (b, mem);
  json_builder_set_member_name (b, "cpu");
  json_builder_add_string_value (b, cpu);
  json_builder_set_member_name (b, "kernel");
  json_builder_add_string_value (b, uts.release);
  json_builder_end_object (b);
  for (guint i = 0; i < r->keys->len; i++)
    {
      json_builder_set_member_name (b, g_ptr_array_index (r->keys, i));
      json_builder_add_string_value (b, g_ptr_array_index (r->values, i));
    }

  json_builder_set_member_name (b, "figures");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->figures->len; i++)
    {
      Figure *f = &g_array_index (r->figures, Figure, i);
      gboolean passed = figure_passed (f);
      g_autofree char *value = g_strdup_printf ("%.1f %s", f->value, f->unit);
      g_autofree char *base = isnan (f->baseline) ? g_strdup ("-")
                                                   : g_strdup_printf ("%.1f", f->baseline);
      g_autofree char *ratio = isnan (f->baseline) || f->baseline == 0 ? g_strdup ("-")
                               : g_strdup_printf ("%.2f", f->value / f->baseline);
      g_autofree char *target = f->goal == BENCH_INFO ? g_strdup ("info")
                                : g_strdup_printf ("%s %g", f->goal == BENCH_BELOW ? "<" :
                                                   f->goal == BENCH_AT_LEAST ? "≥" : "≤", f->target);

      if (!passed)
        n_failed++;
      printf ("  %-52s %10s %10s %7s %10s  %s\n", f->figure, value, base, ratio, target,
              f->goal == BENCH_INFO ? "" : passed ? "ok" : "MISSED");

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "figure");
      json_builder_add_string_value (b, f->figure);
      json_builder_set_member_name (b, "unit");
      json_builder_add_string_value (b, f->unit);
      add_number (b, "value", f->value);
      add_number (b, "baseline", f->baseline);
      json_builder_set_member_name (b, "target");
      if (f->goal == BENCH_INFO)
        json_builder_add_null_value (b);
      else
        json_builder_add_string_value (b, target);
      json_builder_set_member_name (b, "pass");
      if (f->goal == BENCH_INFO)
        json_builder_add_null_value (b);
      else
        json_builder_add_boolean_value (b, passed);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "pass");
  json_builder_add_boolean_value (b, n_failed == 0);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  if (!json_generator_to_file (gen, path, &error))
    {
      printf ("cannot write %s: %s\n", path, error->message);
      n_failed++;
    }
  printf ("\n%s; written to %s\n", n_failed ? "TARGETS MISSED" : "All targets met", path);

  g_array_unref (r->figures);
  g_ptr_array_unref (r->keys);
  g_ptr_array_unref (r->values);
  g_free (r->name);
  g_free (r->title);
  g_free (r);
  return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A cache of @n_tickets generated ones (with their events and checklists) under
 * build/bench/, made once and reused while the generator's version and the seed
 * are the same: both are in the name. */
char *
bench_ensure_cache (guint   n_tickets,
                    guint32 seed)
{
  g_autofree char *dir = bench_dir ();
  g_autofree char *name = g_strdup_printf ("cache-%u-g%u-s%u.db", n_tickets, FL_DEMO_VERSION, seed);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strconcat (path, ".new", NULL);
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&path);

  printf ("generating %s ...\n", path);
  fflush (stdout);
  start = g_get_monotonic_time ();
  g_unlink (tmp);
  {
    g_autoptr(FlStore) store = fl_store_new (tmp, &error);
    g_autoptr(FlDemoData) data = NULL;

    if (store == NULL)
      g_error ("%s: %s", tmp, error->message);
    if (!fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error))
      g_error ("%s", error->message);
    data = fl_demo_generate (n_tickets, seed, BENCH_NOW, 365);
    if (!fl_store_put_tickets (store, data->tickets, data->events, &error))
      g_error ("%s", error->message);
  }
  {
    g_autofree char *wal = g_strconcat (tmp, "-wal", NULL);
    g_autofree char *shm = g_strconcat (tmp, "-shm", NULL);
    g_unlink (wal);
    g_unlink (shm);
  }
  if (g_rename (tmp, path) != 0)
    g_error ("rename %s", tmp);
  printf ("  %.1f s\n", (g_get_monotonic_time () - start) / 1e6);
  return g_steal_pointer (&path);
}

gint64
bench_rss_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *value = read_proc_value (path, "VmRSS");

  return g_ascii_strtoll (value, NULL, 10);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* Nearest-rank percentile @p (0–100) of @ms; sorts it. */
double
bench_percentile (GArray *ms,
                  double  p)
{
  guint rank;

  if (ms->len == 0)
    return NAN;
  g_array_sort (ms, compare_doubles);
  rank = (guint) ceil (p / 100.0 * ms->len);
  return g_array_index (ms, double, CLAMP (rank, 1, ms->len) - 1);
}
