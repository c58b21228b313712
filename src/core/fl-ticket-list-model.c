/* fl-ticket-list-model.c — a lazy GListModel of the tickets in one view
 *
 * Only the number of items is known up front; rows are read from SQLite a page
 * at a time when a widget asks for them, and a few pages are kept. When the
 * store reports changes, the model works out where each ticket was and where it
 * is now and emits exactly those items-changed.
 *
 * A search runs on a worker thread with its own read-only SQLite connection
 * (WAL lets it read while the main connection writes): it returns the rowids
 * of the matches in list order, and the main loop swaps them in. Each request
 * has a generation; a newer one makes SQLite's progress handler stop the
 * older search, and a result that arrives late is dropped. Until the results
 * are there the model keeps showing what it showed; the pages of a search
 * are then read by rowid, so neither counting nor paging evaluates the match
 * again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket-list-model"

#include "config.h"

#include "fl-ticket-list-model.h"

#include <sqlite3.h>

#include "fl-store-private.h"

#define MAX_CACHED_PAGES 16
/* Beyond this many changes in one transaction a reset is cheaper than precision. */
#define MAX_PRECISE_CHANGES 100

/* The search thread, shared by a model and its worker: jobs in, newest wins. */
typedef struct
{
  gint          ref_count;
  char         *path;
  GThread      *thread;
  GAsyncQueue  *jobs;           /* SearchJob */
  GMainContext *context;        /* where results are delivered */
  gint          latest;         /* atomic: the generation wanted now */
} Searcher;

typedef struct
{
  GWeakRef  model;
  gint     *latest;             /* the searcher's, valid while its thread runs */
  guint     generation;
  FlView    view;
  char     *username;
  char     *match;
  char     *query;
  GArray   *rowids;             /* the result (gint64) */
  gboolean  quit;
} SearchJob;

struct _FlTicketListModel
{
  GObject     parent_instance;

  /* owned */
  FlStore    *store;
  char       *query;            /* the query asked for */
  char       *applied_query;    /* the query whose results are shown, or NULL */
  GArray     *rowids;           /* gint64: the shown results, or NULL for the whole view */
  Searcher   *searcher;
  GHashTable *pages;            /* page index → GPtrArray of FlTicket */
  GQueue      page_lru;         /* page indexes, most recent first */

  GArray     *overlay;          /* Placed: changed tickets while changes are announced */
  GArray     *final_positions;  /* guint, sorted */

  FlView      view;
  guint       n_items;
  guint       n_page_loads;
  guint       generation;
  guint       clear_id;         /* the search ends at the next idle */
  gulong      changed_id;
  guint       searching : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FlTicketListModel, fl_ticket_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_VIEW,
  PROP_QUERY,
  PROP_APPLIED_QUERY,
  PROP_SEARCHING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
drop_pages (FlTicketListModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->page_lru);
}

static guint
count_items (FlTicketListModel *self)
{
  g_autoptr(GError) error = NULL;
  guint n;

  if (self->rowids != NULL)
    return self->rowids->len;

  n = fl_store_count_tickets (self->store, self->view, NULL, &error);

  if (error != NULL)
    g_warning ("Could not count tickets: %s", error->message);

  return n;
}

/* Shows @rowids (owned; NULL: the whole view) as the results of @applied_query. */
static void
replace_rows (FlTicketListModel *self,
              GArray            *rowids,
              const char        *applied_query)
{
  guint old_n = self->n_items;
  guint new_n;
  gboolean query_changed = g_strcmp0 (self->applied_query, applied_query) != 0;

  drop_pages (self);
  g_clear_pointer (&self->rowids, g_array_unref);
  self->rowids = rowids;
  if (query_changed)
    {
      g_free (self->applied_query);
      self->applied_query = g_strdup (applied_query);
    }
  new_n = count_items (self);

  /* All rows go, then the new ones come, in two signals: with one
   * (0, old_n, new_n) GTK 4.8 looks for each removed row among the added
   * items (GtkListView keeping its widgets, GtkSingleSelection its item) and
   * reads every one of them, page by page: 87,000 resolved tickets took 4 s
   * (quadratic in the pages' OFFSET). Nothing of the old list is in the new. */
  self->n_items = 0;
  if (old_n != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
  self->n_items = new_n;
  if (new_n != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, new_n);
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
  if (query_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_APPLIED_QUERY]);
}

/* Beyond this many runs of changed rows a reset is cheaper than the signals. */
#define MAX_DIFF_RUNS 200

/* The run of @rowids from @from on whose members are not in @other. */
static guint
run_not_in (GArray     *rowids,
            guint       from,
            GHashTable *other)
{
  guint n = 0;

  while (from + n < rowids->len &&
         !g_hash_table_contains (other, &g_array_index (rowids, gint64, from + n)))
    n++;
  return n;
}

/* Shows the search results @rowids (owned) in place of the shown ones by
 * announcing only the runs that differ: a ticket in both lists keeps its item,
 * and the list view keeps its row widget (a reset makes GTK 4.8 destroy and
 * build some 200 of them). Both lists are in list order, so the tickets in
 * both come in the same order; if not (a ticket changed meanwhile), or if the
 * runs are too many, it resets. */
static void
replace_results (FlTicketListModel *self,
                 GArray            *rowids,
                 const char        *applied_query)
{
  g_autoptr(GHashTable) in_old = NULL;
  g_autoptr(GHashTable) in_new = NULL;
  g_autoptr(GArray) old = NULL;
  GArray *cur;
  guint i = 0, j = 0, pos = 0, runs = 0;
  guint old_n = self->n_items;

  if (self->rowids == NULL || self->overlay != NULL)
    {
      replace_rows (self, rowids, applied_query);
      return;
    }

  old = g_array_ref (self->rowids);
  in_old = g_hash_table_new (g_int64_hash, g_int64_equal);
  in_new = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint k = 0; k < old->len; k++)
    g_hash_table_add (in_old, &g_array_index (old, gint64, k));
  for (guint k = 0; k < rowids->len; k++)
    g_hash_table_add (in_new, &g_array_index (rowids, gint64, k));

  /* a dry run: the runs, and whether the common tickets line up */
  while (i < old->len || j < rowids->len)
    {
      guint r = run_not_in (old, i, in_new);
      guint a = run_not_in (rowids, j, in_old);

      if (r > 0 || a > 0)
        runs++;
      i += r;
      j += a;
      if (i < old->len && j < rowids->len)
        {
          if (g_array_index (old, gint64, i) != g_array_index (rowids, gint64, j) ||
              runs > MAX_DIFF_RUNS)
            {
              replace_rows (self, rowids, applied_query);
              return;
            }
          i++;
          j++;
        }
      else if (run_not_in (old, i, in_new) != old->len - i ||
               run_not_in (rowids, j, in_old) != rowids->len - j)
        {
          /* a common ticket left over on one side only: out of order */
          replace_rows (self, rowids, applied_query);
          return;
        }
    }
  if (runs > MAX_DIFF_RUNS)
    {
      replace_rows (self, rowids, applied_query);
      return;
    }

  /* The list in between is the new one up to @pos, then the old one. */
  g_array_unref (self->rowids);   /* the model's reference to @old */
  self->rowids = cur = g_array_copy (old);
  i = j = 0;
  while (i < old->len || j < rowids->len)
    {
      guint r = run_not_in (old, i, in_new);
      guint a = run_not_in (rowids, j, in_old);

      if (r > 0 || a > 0)
        {
          if (r > 0)
            g_array_remove_range (cur, pos, r);
          if (a > 0)
            g_array_insert_vals (cur, pos, &g_array_index (rowids, gint64, j), a);
          drop_pages (self);
          self->n_items = cur->len;
          g_list_model_items_changed (G_LIST_MODEL (self), pos, r, a);
        }
      i += r;
      j += a;
      pos += a;
      if (i < old->len && j < rowids->len)
        {
          i++;
          j++;
          pos++;
        }
    }

  /* cur holds the new list now */
  g_assert (cur->len == rowids->len);
  g_array_unref (rowids);
  drop_pages (self);

  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
  if (g_strcmp0 (self->applied_query, applied_query) != 0)
    {
      g_free (self->applied_query);
      self->applied_query = g_strdup (applied_query);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_APPLIED_QUERY]);
    }
}

static void
set_searching (FlTicketListModel *self,
               gboolean           searching)
{
  if (self->searching == !!searching)
    return;
  self->searching = !!searching;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SEARCHING]);
}

static void
search_job_free (gpointer data)
{
  SearchJob *job = data;

  g_weak_ref_clear (&job->model);
  g_free (job->username);
  g_free (job->match);
  g_free (job->query);
  g_clear_pointer (&job->rowids, g_array_unref);
  g_free (job);
}

static void
searcher_unref (Searcher *s)
{
  if (!g_atomic_int_dec_and_test (&s->ref_count))
    return;
  g_async_queue_unref (s->jobs);
  g_main_context_unref (s->context);
  g_free (s->path);
  g_free (s);
}

/* SQLite calls this every few thousand steps of a search: a nonzero answer stops
 * it with SQLITE_INTERRUPT once a newer search is wanted. */
static int
search_progress_cb (void *data)
{
  SearchJob *job = data;

  return (guint) g_atomic_int_get (job->latest) != job->generation;
}

static gboolean
deliver_search_cb (gpointer data)
{
  SearchJob *job = data;
  g_autoptr(FlTicketListModel) self = g_weak_ref_get (&job->model);

  if (self == NULL || job->generation != self->generation)
    return G_SOURCE_REMOVE;

  set_searching (self, FALSE);
  if (job->rowids == NULL)
    job->rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  replace_results (self, g_steal_pointer (&job->rowids), job->query);
  return G_SOURCE_REMOVE;
}

static sqlite3 *
open_reader (const char *path)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_warning ("Could not open %s to search: %s", path,
                 db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  sqlite3_exec (db, "PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;", NULL, NULL, NULL);
  return db;
}

static gpointer
search_thread (gpointer data)
{
  Searcher *s = data;
  sqlite3 *db = NULL;
  gboolean quit = FALSE;

  while (!quit)
    {
      SearchJob *job = g_async_queue_pop (s->jobs);
      SearchJob *next;
      g_autoptr(GError) error = NULL;

      /* only the newest request counts */
      while ((next = g_async_queue_try_pop (s->jobs)) != NULL)
        {
          quit |= job->quit;
          search_job_free (job);
          job = next;
        }
      quit |= job->quit;
      if (quit || job->generation != (guint) g_atomic_int_get (&s->latest))
        {
          search_job_free (job);
          continue;
        }

      if (db == NULL)
        db = open_reader (s->path);
      job->latest = &s->latest;
      if (db != NULL)
        {
          sqlite3_progress_handler (db, 1000, search_progress_cb, job);
          job->rowids = _fl_store_search_rowids (db, job->view, job->username, job->match, &error);
          sqlite3_progress_handler (db, 0, NULL, NULL);
        }
      if (job->generation != (guint) g_atomic_int_get (&s->latest))
        {
          search_job_free (job);
          continue;
        }
      if (error != NULL)
        g_warning ("%s", error->message);

      /* a source, not g_main_context_invoke(): from a thread without a context
       * of its own that would run the callback right here when the main
       * thread is not iterating */
      {
        g_autoptr(GSource) source = g_idle_source_new ();

        g_source_set_priority (source, G_PRIORITY_DEFAULT);
        g_source_set_callback (source, deliver_search_cb, job, search_job_free);
        g_source_set_static_name (source, "[fl-search] deliver");
        g_source_attach (source, s->context);
      }
    }

  sqlite3_close (db);
  searcher_unref (s);
  return NULL;
}

/* Stops whatever search runs: its result will not be shown. */
static void
cancel_search (FlTicketListModel *self)
{
  g_clear_handle_id (&self->clear_id, g_source_remove);
  self->generation++;
  if (self->searcher != NULL)
    g_atomic_int_set (&self->searcher->latest, (gint) self->generation);
  set_searching (self, FALSE);
}

/* Asks the worker for the matches of the query in the view; they replace the
 * rows when they come. */
static void
start_search (FlTicketListModel *self)
{
  Searcher *s = self->searcher;
  SearchJob *job;

  g_assert (self->query != NULL);

  g_clear_handle_id (&self->clear_id, g_source_remove);
  if (s == NULL)
    {
      s = self->searcher = g_new0 (Searcher, 1);
      s->ref_count = 2;   /* the model's and the thread's */
      s->path = g_strdup (fl_store_get_path (self->store));
      s->jobs = g_async_queue_new_full (search_job_free);
      s->context = g_main_context_ref_thread_default ();
      s->thread = g_thread_new ("fl-search", search_thread, s);
    }

  self->generation++;
  g_atomic_int_set (&s->latest, (gint) self->generation);

  job = g_new0 (SearchJob, 1);
  g_weak_ref_init (&job->model, self);
  job->generation = self->generation;
  job->view = self->view;
  job->username = g_strdup (fl_store_get_username (self->store));
  job->match = fl_store_build_match (self->query);
  job->query = g_strdup (self->query);
  g_async_queue_push (s->jobs, job);

  set_searching (self, TRUE);
}

static void
stop_searcher (FlTicketListModel *self)
{
  Searcher *s = g_steal_pointer (&self->searcher);
  SearchJob *quit;

  if (s == NULL)
    return;

  g_atomic_int_set (&s->latest, (gint) ++self->generation);
  quit = g_new0 (SearchJob, 1);
  g_weak_ref_init (&quit->model, NULL);
  quit->quit = TRUE;
  g_async_queue_push (s->jobs, quit);
  g_thread_join (s->thread);
  searcher_unref (s);
}

static gboolean
clear_search_cb (gpointer data)
{
  FlTicketListModel *self = data;

  self->clear_id = 0;
  cancel_search (self);
  replace_rows (self, NULL, NULL);
  return G_SOURCE_REMOVE;
}

/* The rows again from the store: the whole view now, a search when it comes. */
static void
reset (FlTicketListModel *self)
{
  if (self->query != NULL)
    start_search (self);
  else
    {
      cancel_search (self);
      replace_rows (self, NULL, NULL);
    }
}

static GPtrArray *
load_page (FlTicketListModel *self,
           guint              page)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (rows != NULL)
    {
      g_queue_remove (&self->page_lru, GUINT_TO_POINTER (page));
      g_queue_push_head (&self->page_lru, GUINT_TO_POINTER (page));
      return rows;
    }

  if (self->rowids != NULL)
    {
      guint first = page * FL_TICKET_LIST_PAGE_SIZE;

      if (first >= self->rowids->len)
        return NULL;
      rows = _fl_store_load_tickets_by_rowid (self->store,
                                              &g_array_index (self->rowids, gint64, first),
                                              MIN (FL_TICKET_LIST_PAGE_SIZE,
                                                   self->rowids->len - first),
                                              &error);
    }
  else
    rows = fl_store_query_tickets (self->store, self->view, NULL,
                                   page * FL_TICKET_LIST_PAGE_SIZE, FL_TICKET_LIST_PAGE_SIZE,
                                   &error);
  if (rows == NULL)
    {
      g_warning ("Could not read tickets: %s", error->message);
      return NULL;
    }

  self->n_page_loads++;

  while (g_queue_get_length (&self->page_lru) >= MAX_CACHED_PAGES)
    g_hash_table_remove (self->pages, g_queue_pop_tail (&self->page_lru));

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), rows);
  g_queue_push_head (&self->page_lru, GUINT_TO_POINTER (page));

  return rows;
}

/* One ticket's change within a transaction: its state before the first change
 * and after the last one. */
typedef struct
{
  FlTicket *before;
  FlTicket *after;
} Delta;

/* Where @ticket sits in the list made of the rows outside the batch and, for the
 * batch, the states chosen by @use_after. SQLite holds every batch ticket in its
 * final state (d->after), so its part of the count is taken back out in memory. */
static guint
position_among (FlTicketListModel *self,
                GArray            *deltas,
                gboolean           use_after,
                FlTicket          *ticket)
{
  gint64 pos = fl_store_count_before (self->store, self->view, ticket, NULL, NULL);

  for (guint i = 0; i < deltas->len; i++)
    {
      Delta *d = &g_array_index (deltas, Delta, i);
      FlTicket *other = use_after ? d->after : d->before;
      FlTicket *stored = d->after;

      if (stored != NULL && fl_store_ticket_in_view (self->store, self->view, stored) &&
          fl_store_compare_tickets (stored, ticket) < 0)
        pos--;

      if (other == NULL || g_str_equal (other->id, ticket->id))
        continue;
      if (fl_store_ticket_in_view (self->store, self->view, other) &&
          fl_store_compare_tickets (other, ticket) < 0)
        pos++;
    }

  return (guint) MAX (pos, 0);
}

typedef struct
{
  FlTicket *ticket;
  guint     position;
} Placed;

static int
compare_placed (gconstpointer a,
                gconstpointer b)
{
  const Placed *pa = a;
  const Placed *pb = b;

  return pa->position < pb->position ? -1 : pa->position > pb->position ? 1 : 0;
}

static int
compare_guint (gconstpointer a,
               gconstpointer b)
{
  guint ua = *(const guint *) a;
  guint ub = *(const guint *) b;

  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/* While a transaction's changes are announced one by one, the model must look
 * like the list in between (GListModel's rule: a reader inside items-changed sees
 * the state that signal describes). SQLite already holds the final state; the
 * rows outside the transaction keep their order, so the list in between is those
 * rows merged with the changed tickets announced so far (@overlay, by position).
 * @final_positions lists where the changed tickets sit in the final list, so
 * the k-th untouched row can be found there. */
static FlTicket *
get_row_in_between (FlTicketListModel *self,
                    guint              position);

/* Each changed ticket leaves its old place and arrives at its new one: one
 * removal and one addition per ticket, never a reset. */
/* Long: one algorithm (group, place, check, announce) whose steps share its arrays. */
static void
on_store_changed_cb (FlTicketListModel *self,
                     GPtrArray         *changes,
                     FlStore           *store)
{
  g_autoptr(GArray) deltas = NULL;
  g_autoptr(GArray) removals = NULL;
  g_autoptr(GArray) additions = NULL;
  guint n_old = self->n_items;
  guint n_new;

  g_assert (FL_IS_TICKET_LIST_MODEL (self));

  /* Shown search results are searched again on the worker; until they come the
   * rows are read by rowid (a ticket pulled again from scratch has a new one). */
  if (self->rowids != NULL)
    {
      if (self->store->emitting == FL_STORE_ORIGIN_RESET)
        replace_rows (self, g_array_new (FALSE, FALSE, sizeof (gint64)), self->applied_query);
      reset (self);
      return;
    }

  /* The whole view is shown: a search asked for began before this change. */
  if (self->query != NULL)
    start_search (self);

  if (changes->len > MAX_PRECISE_CHANGES)
    {
      replace_rows (self, NULL, NULL);
      return;
    }

  deltas = g_array_new (FALSE, TRUE, sizeof (Delta));
  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;
      gboolean found = FALSE;

      for (guint k = 0; k < deltas->len; k++)
        {
          Delta *d = &g_array_index (deltas, Delta, k);
          FlTicket *dt = d->after ? d->after : d->before;

          if (g_str_equal (dt->id, t->id))
            {
              d->after = c->new_ticket;
              found = TRUE;
              break;
            }
        }

      if (!found)
        {
          Delta d = { c->old_ticket, c->new_ticket };
          g_array_append_val (deltas, d);
        }
    }

  removals = g_array_new (FALSE, FALSE, sizeof (Placed));
  additions = g_array_new (FALSE, FALSE, sizeof (Placed));

  for (guint i = 0; i < deltas->len; i++)
    {
      Delta *d = &g_array_index (deltas, Delta, i);

      if (d->before && fl_store_ticket_in_view (self->store, self->view, d->before))
        {
          Placed p = { d->before, position_among (self, deltas, FALSE, d->before) };
          g_array_append_val (removals, p);
        }
      if (d->after && fl_store_ticket_in_view (self->store, self->view, d->after))
        {
          Placed p = { d->after, position_among (self, deltas, TRUE, d->after) };
          g_array_append_val (additions, p);
        }
    }

  if (removals->len == 0 && additions->len == 0)
    return;

  n_new = count_items (self);
  drop_pages (self);

  /* A change reported late (the sync engine's worker committed before a change
   * made here, but reports after it) may not fit what this model announced:
   * then only a reset keeps readers safe. */
  if (n_old + additions->len != n_new + removals->len)
    {
      g_debug ("List model out of step (%u - %u + %u vs %u), resetting",
               n_old, removals->len, additions->len, n_new);
      replace_rows (self, NULL, NULL);
      return;
    }
  for (guint i = 0; i < removals->len; i++)
    if (g_array_index (removals, Placed, i).position >= n_old)
      {
        replace_rows (self, NULL, NULL);
        return;
      }
  for (guint i = 0; i < additions->len; i++)
    if (g_array_index (additions, Placed, i).position >= n_new)
      {
        replace_rows (self, NULL, NULL);
        return;
      }

  /* One ticket changed in place: a single precise change. */
  if (removals->len == 1 && additions->len == 1 &&
      g_array_index (removals, Placed, 0).position == g_array_index (additions, Placed, 0).position)
    {
      self->n_items = n_new;
      g_list_model_items_changed (G_LIST_MODEL (self),
                                  g_array_index (removals, Placed, 0).position, 1, 1);
      return;
    }

  g_array_sort (removals, compare_placed);
  g_array_sort (additions, compare_placed);

  self->final_positions = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < additions->len; i++)
    g_array_append_val (self->final_positions, g_array_index (additions, Placed, i).position);
  g_array_sort (self->final_positions, compare_guint);

  /* The old list: untouched rows and the changed tickets' old states. */
  self->overlay = g_array_copy (removals);
  self->n_items = n_old;

  for (guint i = removals->len; i > 0; i--)
    {
      guint position = g_array_index (removals, Placed, i - 1).position;

      g_array_remove_index (self->overlay, i - 1);
      self->n_items--;
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }

  for (guint i = 0; i < additions->len; i++)
    {
      Placed p = g_array_index (additions, Placed, i);

      g_array_append_val (self->overlay, p);
      self->n_items++;
      g_list_model_items_changed (G_LIST_MODEL (self), p.position, 0, 1);
    }

  g_clear_pointer (&self->overlay, g_array_unref);
  g_clear_pointer (&self->final_positions, g_array_unref);

  if (n_old != n_new)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

static GType
fl_ticket_list_model_get_item_type (GListModel *model)
{
  return FL_TYPE_TICKET;
}

static guint
fl_ticket_list_model_get_n_items (GListModel *model)
{
  return FL_TICKET_LIST_MODEL (model)->n_items;
}

static gpointer
fl_ticket_list_model_get_item (GListModel *model,
                               guint       position)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (model);
  guint page = position / FL_TICKET_LIST_PAGE_SIZE;
  guint index = position % FL_TICKET_LIST_PAGE_SIZE;
  GPtrArray *rows;

  if (position >= self->n_items)
    return NULL;

  if (self->overlay != NULL)
    return get_row_in_between (self, position);

  rows = load_page (self, page);
  if (rows == NULL || index >= rows->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (rows, index));
}

static FlTicket *
get_row_in_between (FlTicketListModel *self,
                    guint              position)
{
  guint before = 0;
  guint final;
  GPtrArray *rows;

  for (guint i = 0; i < self->overlay->len; i++)
    {
      Placed *p = &g_array_index (self->overlay, Placed, i);

      if (p->position == position)
        return g_object_ref (p->ticket);
      if (p->position < position)
        before++;
    }

  /* the (position - before)-th untouched row, found in the final list */
  final = position - before;
  for (guint i = 0; i < self->final_positions->len; i++)
    if (g_array_index (self->final_positions, guint, i) <= final)
      final++;

  rows = load_page (self, final / FL_TICKET_LIST_PAGE_SIZE);
  if (rows == NULL || final % FL_TICKET_LIST_PAGE_SIZE >= rows->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (rows, final % FL_TICKET_LIST_PAGE_SIZE));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = fl_ticket_list_model_get_item_type;
  iface->get_n_items = fl_ticket_list_model_get_n_items;
  iface->get_item = fl_ticket_list_model_get_item;
}

static void
fl_ticket_list_model_constructed (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->constructed (object);

  g_assert (FL_IS_STORE (self->store));

  self->changed_id = g_signal_connect_object (self->store, "changed",
                                              G_CALLBACK (on_store_changed_cb), self,
                                              G_CONNECT_SWAPPED);
  self->n_items = count_items (self);
}

static void
fl_ticket_list_model_dispose (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  if (self->store != NULL)
    g_clear_signal_handler (&self->changed_id, self->store);
  stop_searcher (self);
  g_clear_handle_id (&self->clear_id, g_source_remove);
  g_clear_object (&self->store);
  drop_pages (self);
  g_clear_pointer (&self->rowids, g_array_unref);

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->dispose (object);
}

static void
fl_ticket_list_model_finalize (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_free (self->query);
  g_free (self->applied_query);

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->finalize (object);
}

static void
fl_ticket_list_model_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_VIEW:
      g_value_set_int (value, self->view);
      break;

    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;

    case PROP_APPLIED_QUERY:
      g_value_set_string (value, self->applied_query);
      break;

    case PROP_SEARCHING:
      g_value_set_boolean (value, self->searching);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_model_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_VIEW:
      if (self->store == NULL)
        self->view = g_value_get_int (value);
      else
        fl_ticket_list_model_set_view (self, g_value_get_int (value));
      break;

    case PROP_QUERY:
      fl_ticket_list_model_set_query (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_model_class_init (FlTicketListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = fl_ticket_list_model_constructed;
  object_class->dispose = fl_ticket_list_model_dispose;
  object_class->finalize = fl_ticket_list_model_finalize;
  object_class->get_property = fl_ticket_list_model_get_property;
  object_class->set_property = fl_ticket_list_model_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         FL_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_VIEW] =
    g_param_spec_int ("view", NULL, NULL,
                      0, FL_N_VIEWS - 1, FL_VIEW_INCOMING,
                      (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS));

  properties [PROP_QUERY] =
    g_param_spec_string ("query", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* The query whose results the rows are (NULL: the whole view); notified when
   * they are swapped in. */
  properties [PROP_APPLIED_QUERY] =
    g_param_spec_string ("applied-query", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* A search runs on the worker and its results are not shown yet. */
  properties [PROP_SEARCHING] =
    g_param_spec_boolean ("searching", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_ticket_list_model_init (FlTicketListModel *self)
{
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->page_lru);
}

FlTicketListModel *
fl_ticket_list_model_new (FlStore *store,
                          FlView   view)
{
  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  return g_object_new (FL_TYPE_TICKET_LIST_MODEL,
                       "store", store,
                       "view", view,
                       NULL);
}

FlStore *
fl_ticket_list_model_get_store (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), NULL);

  return self->store;
}

FlView
fl_ticket_list_model_get_view (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), FL_VIEW_ALL);

  return self->view;
}

void
fl_ticket_list_model_set_view (FlTicketListModel *self,
                               FlView             view)
{
  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));
  g_return_if_fail ((guint) view < FL_N_VIEWS);

  if (self->view == view)
    return;

  self->view = view;
  reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VIEW]);
}

const char *
fl_ticket_list_model_get_query (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), NULL);

  return self->query;
}

void
fl_ticket_list_model_set_query (FlTicketListModel *self,
                                const char        *query)
{
  g_autofree char *match = NULL;

  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));

  /* A query without anything searchable is no query. */
  match = fl_store_build_match (query);
  if (match == NULL)
    query = NULL;

  if (g_strcmp0 (self->query, query) == 0)
    return;

  g_free (self->query);
  self->query = g_strdup (query);

  /* Back to the whole view while it is still shown: only the search stops.
   * Typing over a selected query empties the entry for a moment (GtkSearchEntry
   * reports an empty text at once): the whole view comes back at the next
   * idle, unless the next query came first. */
  if (self->store != NULL && query == NULL && self->rowids == NULL)
    cancel_search (self);
  else if (self->store != NULL && query == NULL)
    {
      cancel_search (self);
      set_searching (self, TRUE);
      self->clear_id = g_idle_add_full (G_PRIORITY_DEFAULT, clear_search_cb, self, NULL);
    }
  else if (self->store != NULL)
    reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_QUERY]);
}

void
fl_ticket_list_model_reload (FlTicketListModel *self)
{
  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));

  reset (self);
}

guint
fl_ticket_list_model_find (FlTicketListModel *self,
                           const char        *id)
{
  g_autoptr(FlTicket) ticket = NULL;
  gint64 rowid;
  guint pos;

  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), G_MAXUINT);
  g_return_val_if_fail (id != NULL, G_MAXUINT);

  ticket = fl_store_get_ticket (self->store, id, NULL);
  if (ticket == NULL)
    return G_MAXUINT;

  if (self->rowids == NULL)
    {
      if (!fl_store_ticket_in_view (self->store, self->view, ticket))
        return G_MAXUINT;
      pos = fl_store_count_before (self->store, self->view, ticket, NULL, NULL);
      return pos < self->n_items ? pos : G_MAXUINT;
    }

  /* In shown search results: among their rowids. */
  rowid = _fl_store_get_rowid (self->store, ticket->id);
  for (pos = 0; pos < self->rowids->len; pos++)
    if (g_array_index (self->rowids, gint64, pos) == rowid)
      return pos;

  return G_MAXUINT;
}

const char *
fl_ticket_list_model_get_applied_query (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), NULL);

  return self->applied_query;
}

gboolean
fl_ticket_list_model_get_searching (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), FALSE);

  return self->searching;
}

guint
fl_ticket_list_model_get_n_page_loads (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), 0);

  return self->n_page_loads;
}
