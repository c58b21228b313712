/* fl-server-store-sqlite-reports.c — the reports of the SQLite store
 *
 * The summary report (counts, rates, medians, aging, per day and per key) and the
 * checklist report. The drill-down into a report's tickets is the history query.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-answer.h"
#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-server-store-sqlite.h"
#include "fl-similar.h"
#include "fl-sqlite-private.h"
#include "fl-server-store-sqlite-private.h"


/* -------------------------------------------------------------------------- */
/* Reports */

typedef struct
{
  gint64 created;
  gint64 resolved;
  gint64 escalated;
  gint64 first_contact;
} Counts;

static Counts *
counts_lookup (GHashTable *table,
               const char *key)
{
  Counts *c = g_hash_table_lookup (table, key);

  if (c == NULL)
    {
      c = g_new0 (Counts, 1);
      g_hash_table_insert (table, g_strdup (key), c);
    }
  return c;
}

static int
compare_str (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_ptr_int (gconstpointer a,
                 gconstpointer b)
{
  gintptr x = GPOINTER_TO_SIZE (*(const gpointer *) a);
  gintptr y = GPOINTER_TO_SIZE (*(const gpointer *) b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/* by_day keys: the UTC day number since the epoch, plus one (never NULL). */
static gpointer
day_key (gint64 ms)
{
  return GSIZE_TO_POINTER ((gsize) (ms / DAY_MS + 1));
}

static char *
day_text (gpointer key)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (((gint64) GPOINTER_TO_SIZE (key) - 1)
                                                           * (DAY_MS / 1000));
  return dt ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("1970-01-01");
}

static Counts *
day_lookup (GHashTable *table,
            gint64      ms)
{
  gpointer key = day_key (ms);
  Counts *c = g_hash_table_lookup (table, key);

  if (c == NULL)
    {
      c = g_new0 (Counts, 1);
      g_hash_table_insert (table, key, c);
    }
  return c;
}

/* The @k-th smallest (from 0) of @v[0..@n), in linear time on average; reorders @v. */
static gint64
select_kth (gint64 *v,
            gssize  n,
            gssize  k)
{
  gssize lo = 0, hi = n - 1;

  while (lo < hi)
    {
      gint64 pivot = v[lo + (hi - lo) / 2];
      gssize i = lo, j = hi;

      while (i <= j)
        {
          while (v[i] < pivot)
            i++;
          while (v[j] > pivot)
            j--;
          if (i <= j)
            {
              gint64 t = v[i];

              v[i++] = v[j];
              v[j--] = t;
            }
        }
      /* [lo, j] ≤ pivot ≤ [i, hi], and what lies between is the pivot */
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return v[k];
    }
  return v[k];
}

/* The median of @values (even count: the mean of the middle two); reorders them. */
static gint64
median_of (GArray *values)
{
  gint64 *v = (gint64 *) (gpointer) values->data;
  guint n = values->len;
  gint64 upper;

  if (n == 0)
    return 0;
  upper = select_kth (v, n, n / 2);
  if (n % 2 == 1)
    return upper;
  return (select_kth (v, n, n / 2 - 1) + upper) / 2;
}

/* The 90th percentile of @values, nearest rank (the ⌈0.9 n⌉-th smallest); reorders them. */
static gint64
p90_of (GArray *values)
{
  guint n = values->len;
  guint rank;

  if (n == 0)
    return 0;
  rank = (n * 9 + 9) / 10;
  return select_kth ((gint64 *) (gpointer) values->data, n, MAX (rank, 1) - 1);
}

static void
add_rate (JsonBuilder *b,
          const char  *name,
          gint64       num,
          gint64       den)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, den > 0 ? (double) num / (double) den : 0.0);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
build_counts_array (JsonBuilder *b,
                    const char  *array_name,
                    const char  *key_name,
                    GHashTable  *table,
                    gboolean     agent)
{
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  keys = g_hash_table_get_keys_as_array (table, &n);
  qsort (keys, n, sizeof (gpointer), compare_str);

  json_builder_set_member_name (b, array_name);
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      Counts *c = g_hash_table_lookup (table, keys[i]);

      json_builder_begin_object (b);
      add_string (b, key_name, keys[i]);
      if (!agent)
        add_int (b, "created", c->created);
      add_int (b, "resolved", c->resolved);
      add_int (b, "escalated", c->escalated);
      if (agent)
        add_int (b, "first_contact", c->first_contact);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* A few keys seen last, before the hash table: the report's loop meets the same few
 * categories and agents a million times. */
#define KEY_CACHE 16

typedef struct
{
  char   *keys[KEY_CACHE];
  Counts *counts[KEY_CACHE];
  guint   n;
  guint   next;
} KeyCache;

static Counts *
key_cache_lookup (KeyCache   *cache,
                  GHashTable *table,
                  const char *key)
{
  Counts *c;
  guint slot;

  for (guint i = 0; i < cache->n; i++)
    if (strcmp (cache->keys[i], key) == 0)
      return cache->counts[i];

  c = counts_lookup (table, key);
  slot = cache->n < KEY_CACHE ? cache->n++ : (cache->next++ % KEY_CACHE);
  g_free (cache->keys[slot]);
  cache->keys[slot] = g_strdup (key);
  cache->counts[slot] = c;
  return c;
}

static void
key_cache_clear (KeyCache *cache)
{
  for (guint i = 0; i < cache->n; i++)
    g_free (cache->keys[i]);
  cache->n = 0;
}

/* by_day without a hash per row: an array from the first day of the range to today's. */
typedef struct
{
  gint64  first_day;
  guint   n;
  Counts *days;
} DayTable;

static Counts *
day_table_lookup (DayTable   *t,
                  GHashTable *table,
                  gint64      ms)
{
  gint64 d = ms / DAY_MS - t->first_day;

  if (d >= 0 && d < t->n)
    return &t->days[d];
  return day_lookup (table, ms);
}

static const char * const aging_buckets[] = { "lt_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d" };

static guint
aging_bucket (gint64 age)
{
  if (age < 4 * HOUR_MS)
    return 0;
  if (age < DAY_MS)
    return 1;
  if (age < 3 * DAY_MS)
    return 2;
  if (age < 7 * DAY_MS)
    return 3;
  return 4;
}

/* One pass over the covering index tickets_report: the range's rows, no table reads. */
JsonNode *
_fl_sqlite_conn_report (Conn    *self,
                        gint64   from,
                        gint64   to,
                        gint64   now,
                        GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) by_category = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_agent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_day = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GArray) durations = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *from_text = fl_time_format (from);
  g_autofree char *to_text = fl_time_format (to);
  g_autofree gpointer *days = NULL;
  gint64 created = 0, resolved = 0, escalated = 0, open = 0, first_contact = 0;
  gint64 level1 = 0, breaches = 0, reopened = 0, median, p90;
  gint64 aging[G_N_ELEMENTS (aging_buckets)] = { 0 };
  KeyCache categories = { 0 }, agents = { 0 };
  DayTable day_table = { 0 };
  Counts *cat = NULL;
  guint n_days = 0;
  int rc;

  stmt = _fl_sqlite_prepare (self,
                             "SELECT status, category, created_at, resolved_at, due_at, resolution_code,"
                             " resolved_by, handoffs, reopened_7d, waiting_since FROM tickets"
                             " WHERE created_at >= ? AND created_at < ?",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);

  /* resolves can come up to today */
  day_table.first_day = MAX (from, 0) / DAY_MS;
  day_table.n = (guint) CLAMP (MAX (to, now) / DAY_MS - day_table.first_day + 1, 0, 100000);
  day_table.days = g_new0 (Counts, day_table.n);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FlStatus status = FL_STATUS_NEW;
      const char *category = fl_sqlite_column_text (stmt, 1);
      gint64 created_at = sqlite3_column_int64 (stmt, 2);
      gint64 resolved_at = sqlite3_column_int64 (stmt, 3);
      gint64 due_at = sqlite3_column_int64 (stmt, 4);
      const char *code = fl_sqlite_column_text (stmt, 5);
      const char *resolved_by = fl_sqlite_column_text (stmt, 6);
      gboolean handed_off = sqlite3_column_int64 (stmt, 7) > 0;
      gboolean was_reopened = sqlite3_column_int64 (stmt, 8) > 0;
      gint64 waiting_since = sqlite3_column_int64 (stmt, 9);
      gboolean is_resolved = code != NULL && resolved_at > 0;

      if (category == NULL)
        category = "";
      cat = key_cache_lookup (&categories, by_category, category);

      fl_status_from_string (fl_sqlite_column_text (stmt, 0), &status);

      created++;
      cat->created++;
      day_table_lookup (&day_table, by_day, created_at)->created++;

      if (handed_off)
        {
          escalated++;
          cat->escalated++;
        }
      if (was_reopened)
        reopened++;
      if (fl_status_is_open (status))
        {
          open++;
          aging[aging_bucket (now - created_at)]++;
          /* Waiting time does not count: a ticket waiting now breached only when it
           * passed its due time before it began to wait. */
          if (status == FL_STATUS_WAITING && waiting_since > 0)
            {
              if (due_at > 0 && waiting_since > due_at)
                breaches++;
            }
          else if (due_at > 0 && now > due_at)
            breaches++;
        }
      if (is_resolved)
        {
          gint64 secs = (resolved_at - created_at) / 1000;
          gboolean fc = g_strcmp0 (code, "first_contact") == 0 && !handed_off;

          resolved++;
          cat->resolved++;
          day_table_lookup (&day_table, by_day, resolved_at)->resolved++;
          if (fc)
            first_contact++;
          if (!handed_off)
            level1++;
          if (due_at > 0 && resolved_at > due_at)
            breaches++;
          g_array_append_val (durations, secs);
          if (resolved_by != NULL)
            {
              Counts *agent = key_cache_lookup (&agents, by_agent, resolved_by);
              agent->resolved++;
              if (fc)
                agent->first_contact++;
            }
        }
    }
  key_cache_clear (&categories);
  key_cache_clear (&agents);
  for (guint d = 0; d < day_table.n; d++)
    if (day_table.days[d].created > 0 || day_table.days[d].resolved > 0)
      *day_lookup (by_day, (day_table.first_day + d) * DAY_MS) = day_table.days[d];
  g_free (day_table.days);
  if (rc != SQLITE_DONE)
    {
      _fl_sqlite_db_error (self, error, "report");
      return NULL;
    }

  /* Escalations per agent: each ticket once per agent who handed it off. */
  g_clear_pointer (&stmt, sqlite3_reset);
  stmt = _fl_sqlite_prepare (self,
                             "SELECT author, COUNT (*) FROM report_handoffs "
                             "WHERE created_at >= ? AND created_at < ? GROUP BY author", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    counts_lookup (by_agent, fl_sqlite_column_text (stmt, 0))->escalated +=
      sqlite3_column_int64 (stmt, 1);

  /* Every agent and specialist has a row, also with nothing to count. */
  g_clear_pointer (&stmt, sqlite3_reset);
  stmt = _fl_sqlite_prepare (self,
                             "SELECT username FROM users WHERE disabled = 0"
                             " AND role IN ('agent', 'specialist')", error);
  if (stmt == NULL)
    return NULL;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    counts_lookup (by_agent, fl_sqlite_column_text (stmt, 0));

  median = median_of (durations);
  p90 = p90_of (durations);

  json_builder_begin_object (b);
  add_string (b, "from", from_text);
  add_string (b, "to", to_text);
  add_int (b, "created", created);
  add_int (b, "resolved", resolved);
  add_int (b, "escalated", escalated);
  add_int (b, "open", open);
  add_rate (b, "first_contact_rate", first_contact, resolved);
  add_rate (b, "level1_resolution_rate", level1, resolved);
  add_rate (b, "escalation_rate", escalated, created);
  add_rate (b, "reopen_rate", reopened, resolved);
  add_int (b, "median_resolve_seconds", median);
  add_int (b, "p90_resolve_seconds", p90);
  add_int (b, "sla_breaches", breaches);

  json_builder_set_member_name (b, "backlog_aging");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (aging_buckets); i++)
    {
      json_builder_begin_object (b);
      add_string (b, "bucket", aging_buckets[i]);
      add_int (b, "open", aging[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  build_counts_array (b, "by_category", "category", by_category, FALSE);
  build_counts_array (b, "by_agent", "agent", by_agent, TRUE);

  days = g_hash_table_get_keys_as_array (by_day, &n_days);
  qsort (days, n_days, sizeof (gpointer), compare_ptr_int);
  json_builder_set_member_name (b, "by_day");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_days; i++)
    {
      Counts *c = g_hash_table_lookup (by_day, days[i]);
      g_autofree char *day = day_text (days[i]);

      json_builder_begin_object (b);
      add_string (b, "day", day);
      add_int (b, "created", c->created);
      add_int (b, "resolved", c->resolved);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The checklist report: per checklist version and step. */

typedef struct
{
  gint64  reached;
  gint64  resolved_l1;
  gint64  escalated;
  GArray *seconds;                /* gint64: step to resolution, resolved tickets */
} StepAgg;

typedef struct
{
  char       *id;
  gint64      version;
  gint64      started;
  gint64      resolved_l1;
  gint64      escalated;
  GHashTable *steps;              /* step id → StepAgg */
} ChecklistAgg;

static void
step_agg_free (gpointer data)
{
  StepAgg *s = data;

  g_array_unref (s->seconds);
  g_free (s);
}

static void
checklist_agg_free (gpointer data)
{
  ChecklistAgg *c = data;

  g_free (c->id);
  g_hash_table_unref (c->steps);
  g_free (c);
}

static int
compare_checklist_agg (gconstpointer a,
                       gconstpointer b)
{
  const ChecklistAgg *x = *(ChecklistAgg * const *) a;
  const ChecklistAgg *y = *(ChecklistAgg * const *) b;
  int c = strcmp (x->id, y->id);

  return c != 0 ? c : x->version < y->version ? -1 : x->version > y->version ? 1 : 0;
}

static void
build_step (JsonBuilder *b,
            const char  *step_id,
            const char  *text,
            StepAgg     *s)
{
  json_builder_begin_object (b);
  add_string (b, "step_id", step_id);
  add_string (b, "text", text ? text : "");
  add_int (b, "reached", s ? s->reached : 0);
  add_int (b, "resolved_l1", s ? s->resolved_l1 : 0);
  add_int (b, "escalated", s ? s->escalated : 0);
  add_int (b, "median_seconds_to_resolve", s ? median_of (s->seconds) : 0);
  json_builder_end_object (b);
}

JsonNode *
_fl_sqlite_conn_report_checklists (Conn    *self,
                                   gint64   from,
                                   gint64   to,
                                   GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       checklist_agg_free);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autofree char *from_text = fl_time_format (from);
  g_autofree char *to_text = fl_time_format (to);
  GHashTableIter iter;
  gpointer value;
  int rc;

  stmt = _fl_sqlite_prepare (self,
                             "SELECT checklist_id, checklist_version, step_id, ticket, at, resolved_at,"
                             " resolved_at, handoffs FROM report_steps "
                             "WHERE created_at >= ? AND created_at < ? "
                             /* the key's order: no sorting */
                             "ORDER BY created_at, ticket, checklist_id, checklist_version", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);

  /* Rows come in the key's order (created_at, ticket, checklist, version, step): the rows
   * of one ticket and checklist are next to each other, so a change of either starts the
   * next ticket of a checklist. */
  {
    ChecklistAgg *c = NULL;
    gint64 last_ticket = -1;
    ChecklistAgg *last_c = NULL;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *id = fl_sqlite_column_text (stmt, 0);
        gint64 version = sqlite3_column_int64 (stmt, 1);
        const char *step_id = fl_sqlite_column_text (stmt, 2);
        gint64 ticket = sqlite3_column_int64 (stmt, 3);
        gint64 at = sqlite3_column_int64 (stmt, 4);
        gint64 resolved_at = sqlite3_column_int64 (stmt, 5);
        gboolean is_resolved = sqlite3_column_type (stmt, 6) != SQLITE_NULL && resolved_at > 0;
        gboolean handed_off = sqlite3_column_int64 (stmt, 7) > 0;
        gboolean l1 = is_resolved && !handed_off;
        StepAgg *st;

        if (id == NULL)
          id = "";
        if (step_id == NULL)
          step_id = "";
        if (c == NULL || c->version != version || strcmp (c->id, id) != 0)
          {
            g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);

            c = g_hash_table_lookup (lists, key);
            if (c == NULL)
              {
                c = g_new0 (ChecklistAgg, 1);
                c->id = g_strdup (id);
                c->version = version;
                c->steps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, step_agg_free);
                g_hash_table_insert (lists, g_steal_pointer (&key), c);
              }
          }

        if (ticket != last_ticket || c != last_c)
          {
            c->started++;
            if (l1)
              c->resolved_l1++;
            if (handed_off)
              c->escalated++;
            last_ticket = ticket;
            last_c = c;
          }

        st = g_hash_table_lookup (c->steps, step_id);
        if (st == NULL)
          {
            st = g_new0 (StepAgg, 1);
            st->seconds = g_array_new (FALSE, FALSE, sizeof (gint64));
            g_hash_table_insert (c->steps, g_strdup (step_id), st);
          }
        st->reached++;
        if (l1)
          st->resolved_l1++;
        if (handed_off)
          st->escalated++;
        if (is_resolved)
          {
            gint64 secs = MAX (resolved_at - at, 0) / 1000;
            g_array_append_val (st->seconds, secs);
          }
      }
  }
  if (rc != SQLITE_DONE)
    {
      _fl_sqlite_db_error (self, error, "checklist report");
      return NULL;
    }

  g_hash_table_iter_init (&iter, lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_checklist_agg);

  json_builder_begin_object (b);
  add_string (b, "from", from_text);
  add_string (b, "to", to_text);
  json_builder_set_member_name (b, "checklists");
  json_builder_begin_array (b);
  for (guint i = 0; i < sorted->len; i++)
    {
      ChecklistAgg *c = g_ptr_array_index (sorted, i);
      FlChecklist *def = _fl_sqlite_lookup_checklist (self, c->id, c->version, NULL);
      g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree gpointer *rest = NULL;
      guint n_rest = 0;

      json_builder_begin_object (b);
      add_string (b, "checklist_id", c->id);
      add_int (b, "checklist_version", c->version);
      add_string (b, "title", def ? fl_checklist_get_title (def, "en") : c->id);
      add_int (b, "started", c->started);
      add_int (b, "resolved_l1", c->resolved_l1);
      add_int (b, "escalated", c->escalated);
      json_builder_set_member_name (b, "steps");
      json_builder_begin_array (b);
      for (guint k = 0; def && k < fl_checklist_get_n_steps (def); k++)
        {
          const FlChecklistStep *step = fl_checklist_get_nth_step (def, k);

          g_hash_table_add (listed, step->id);
          build_step (b, step->id, fl_checklist_step_get_text (step, "en"),
                      g_hash_table_lookup (c->steps, step->id));
        }
      /* Steps the definition does not have (it is gone): sorted by id. */
      rest = g_hash_table_get_keys_as_array (c->steps, &n_rest);
      qsort (rest, n_rest, sizeof (gpointer), compare_str);
      for (guint k = 0; k < n_rest; k++)
        if (!g_hash_table_contains (listed, rest[k]))
          build_step (b, rest[k], "", g_hash_table_lookup (c->steps, rest[k]));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
