/* test-list-model.c — the lazy ticket list model: counts, order, paging, precise changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-demo.h"
#include "fl-store-private.h"
#include "fl-test-util.h"
#include "fl-ticket-list-model.h"

#define HOUR (3600 * 1000LL)
#define SEED 20261129

/* A search runs on the model's worker: spins until its results are shown. */
static gboolean
search_done (gpointer data)
{
  return !fl_ticket_list_model_get_searching (data);
}

static void
set_query_and_wait (FlTicketListModel *model,
                    const char        *query)
{
  fl_ticket_list_model_set_query (model, query);
  fl_test_spin_until (search_done, model, 10);
}

static void
wait_search (FlTicketListModel *model)
{
  fl_test_spin_until (search_done, model, 10);
}

/* -------------------------------------------------------------------------- */

static FlStore *
new_store (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "firstline", "store.db", NULL);
  g_autoptr(GError) error = NULL;
  FlStore *store = fl_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_true (fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error));
  g_assert_no_error (error);
  return store;
}

static void
fill (FlStore *store,
      guint    n,
      guint    days)
{
  g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (n, SEED, fl_time_now (), days);
  g_autoptr(GError) error = NULL;

  g_assert_true (fl_store_put_tickets (store, tickets, NULL, &error));
  g_assert_no_error (error);
}

/* The ids of a view as SQLite has them now, in order. */
static GPtrArray *
query_ids (FlStore    *store,
           FlView      view,
           const char *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = fl_store_query_tickets (store, view, query, 0, G_MAXINT, &error);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < tickets->len; i++)
    g_ptr_array_add (ids, g_strdup (((FlTicket *) g_ptr_array_index (tickets, i))->id));
  return ids;
}

static char *
item_id (GListModel *model,
         guint       position)
{
  g_autoptr(FlTicket) t = g_list_model_get_item (model, position);

  if (t == NULL)
    g_error ("no item at %u of %u", position, g_list_model_get_n_items (model));
  return g_strdup (t->id);
}

static void
assert_model_matches_query (FlTicketListModel *model)
{
  FlStore *store = fl_ticket_list_model_get_store (model);
  FlView view = fl_ticket_list_model_get_view (model);
  g_autoptr(GPtrArray) ids = query_ids (store, view, fl_ticket_list_model_get_query (model));
  g_autoptr(GError) error = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  g_assert_cmpuint (n, ==, ids->len);
  g_assert_cmpuint (n, ==, fl_store_count_tickets (store, view,
                                                  fl_ticket_list_model_get_query (model), &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = item_id (G_LIST_MODEL (model), i);

      if (strcmp (id, g_ptr_array_index (ids, i)) != 0)
        g_error ("view %s, item %u: %s, query says %s", fl_view_to_string (view), i, id,
                 (const char *) g_ptr_array_index (ids, i));
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
}

/* -------------------------------------------------------------------------- */

/* Follows a model's items-changed on two shadow copies of its ids:
 * @blind inserts a placeholder (NULL) for each added item, so it shows what the
 * signals alone say; @reading asks the model for each added item during the
 * emission, as a GtkListView or GtkSingleSelection does. */
typedef struct
{
  FlTicketListModel *model;
  GPtrArray         *blind;
  GPtrArray         *reading;
  GArray            *signals;       /* guint triples: position, removed, added */
  gulong             handler;
  gboolean           read_items;    /* fill @reading during the emission */
} Recorder;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Recorder   *rec)
{
  guint triple[3] = { position, removed, added };

  g_array_append_vals (rec->signals, triple, 3);

  g_assert_cmpuint (position + removed, <=, rec->blind->len);
  g_ptr_array_remove_range (rec->blind, position, removed);
  g_ptr_array_remove_range (rec->reading, position, removed);
  for (guint i = 0; i < added; i++)
    {
      g_ptr_array_insert (rec->blind, position + i, NULL);
      g_ptr_array_insert (rec->reading, position + i,
                          rec->read_items ? item_id (model, position + i) : NULL);
    }

  /* n_items already says the state after this change */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, rec->blind->len);
}

static void
recorder_start (Recorder          *rec,
                FlTicketListModel *model,
                gboolean           read_items)
{
  FlStore *store = fl_ticket_list_model_get_store (model);

  rec->read_items = read_items;
  rec->model = g_object_ref (model);
  rec->blind = query_ids (store, fl_ticket_list_model_get_view (model),
                          fl_ticket_list_model_get_query (model));
  rec->reading = query_ids (store, fl_ticket_list_model_get_view (model),
                            fl_ticket_list_model_get_query (model));
  rec->signals = g_array_new (FALSE, FALSE, sizeof (guint));
  rec->handler = g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed_cb), rec);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, rec->blind->len);
}

static void
recorder_stop (Recorder *rec)
{
  g_clear_signal_handler (&rec->handler, rec->model);
  g_clear_object (&rec->model);
  g_clear_pointer (&rec->blind, g_ptr_array_unref);
  g_clear_pointer (&rec->reading, g_ptr_array_unref);
  g_clear_pointer (&rec->signals, g_array_unref);
}

static guint
recorder_n_signals (Recorder *rec)
{
  return rec->signals->len / 3;
}

static guint
recorder_signal (Recorder *rec,
                 guint     i,
                 guint     part)
{
  return g_array_index (rec->signals, guint, i * 3 + part);
}

/* Checks the signals since the last check against the store's state now:
 * applied to the old ids they give the new ids, touching only @changed tickets,
 * with no more removals and additions than @max_changes each (not a reset). */
static void
recorder_check (Recorder   *rec,
                GHashTable *changed,
                guint       max_changes)
{
  FlStore *store = fl_ticket_list_model_get_store (rec->model);
  FlView view = fl_ticket_list_model_get_view (rec->model);
  const char *name = fl_view_to_string (view);
  g_autoptr(GPtrArray) fresh = query_ids (store, view, NULL);
  guint removed = 0;
  guint added = 0;

  for (guint i = 0; i < recorder_n_signals (rec); i++)
    {
      removed += recorder_signal (rec, i, 1);
      added += recorder_signal (rec, i, 2);
    }
  if (removed > max_changes || added > max_changes)
    g_error ("view %s: %u removed, %u added for at most %u changes: not precise", name,
             removed, added, max_changes);

  g_assert_cmpuint (rec->blind->len, ==, fresh->len);
  for (guint i = 0; i < fresh->len; i++)
    {
      const char *expected = g_ptr_array_index (fresh, i);
      const char *blind = g_ptr_array_index (rec->blind, i);

      if (blind == NULL)
        {
          /* a new item: it must be one of the changed tickets */
          if (!g_hash_table_contains (changed, expected))
            g_error ("view %s: position %u was replaced but holds unchanged %s", name, i, expected);
        }
      else if (strcmp (blind, expected) != 0)
        {
          g_error ("view %s: after the signals position %u holds %s, the store says %s",
                   name, i, blind, expected);
        }
    }

  for (guint i = 0; rec->read_items && i < fresh->len; i++)
    if (g_strcmp0 (g_ptr_array_index (rec->reading, i), g_ptr_array_index (fresh, i)) != 0)
      g_error ("view %s: an item read during items-changed at %u was %s, the store says %s",
               name, i, (const char *) g_ptr_array_index (rec->reading, i),
               (const char *) g_ptr_array_index (fresh, i));

  assert_model_matches_query (rec->model);

  /* the next check starts from here */
  g_ptr_array_set_size (rec->blind, 0);
  g_ptr_array_set_size (rec->reading, 0);
  for (guint i = 0; i < fresh->len; i++)
    {
      g_ptr_array_add (rec->blind, g_strdup (g_ptr_array_index (fresh, i)));
      g_ptr_array_add (rec->reading, g_strdup (g_ptr_array_index (fresh, i)));
    }
  g_array_set_size (rec->signals, 0);
}

static GHashTable *
id_set (const char *first,
        ...)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  va_list args;

  va_start (args, first);
  for (const char *id = first; id != NULL; id = va_arg (args, const char *))
    g_hash_table_add (set, g_strdup (id));
  va_end (args);

  return set;
}

/* -------------------------------------------------------------------------- */

static void
test_counts_and_order (void)
{
  g_autoptr(FlStore) store = new_store ();

  fill (store, 3000, 3);

  for (FlView view = 0; view < FL_N_VIEWS; view++)
    {
      g_autoptr(FlTicketListModel) model = fl_ticket_list_model_new (store, view);
      g_autoptr(GError) error = NULL;
      guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
      guint n_prop = 0;
      FlTicket *prev = NULL;

      g_assert_cmpint (g_list_model_get_item_type (G_LIST_MODEL (model)), ==, FL_TYPE_TICKET);
      g_assert_cmpuint (n, ==, fl_store_count_tickets (store, view, NULL, &error));
      g_assert_no_error (error);
      g_object_get (model, "n-items", &n_prop, NULL);
      g_assert_cmpuint (n_prop, ==, n);
      /* every view has something in the demo data, and none has everything but All */
      g_assert_cmpuint (n, >, 0);
      if (view != FL_VIEW_ALL)
        g_assert_cmpuint (n, <, 3000);
      else
        g_assert_cmpuint (n, ==, 3000);

      assert_model_matches_query (model);

      for (guint i = 0; i < n; i++)
        {
          FlTicket *t = g_list_model_get_item (G_LIST_MODEL (model), i);

          g_assert_true (fl_store_ticket_in_view (store, view, t));
          if (prev != NULL)
            g_assert_cmpint (fl_store_compare_tickets (prev, t), <, 0);
          g_clear_object (&prev);
          prev = t;
        }
      g_clear_object (&prev);

      /* find gives the position back */
      {
        g_autofree char *id = item_id (G_LIST_MODEL (model), n / 2);
        g_assert_cmpuint (fl_ticket_list_model_find (model, id), ==, n / 2);
      }
    }
}

static void
test_paging (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  fill (store, 12000, 30);
  model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, 12000);

  /* knowing the count reads no rows */
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, 0);

  {
    g_autoptr(FlTicket) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_nonnull (first);
  }
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, 1);

  /* the rest of the page comes from memory */
  for (guint i = 1; i < FL_TICKET_LIST_PAGE_SIZE; i++)
    {
      g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), i);
      g_assert_nonnull (t);
    }
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, 1);

  /* a jump far down reads one more page, not the rows between */
  {
    g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), 5000);
    g_autoptr(FlTicket) again = g_list_model_get_item (G_LIST_MODEL (model), 5000);

    g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, 2);
    page = fl_store_query_tickets (store, FL_VIEW_ALL, NULL, 5000, 1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (t->id, ==, ((FlTicket *) g_ptr_array_index (page, 0))->id);
    /* an item is the same object while its page is kept */
    g_assert_true (t == again);
  }

  /* the ends */
  {
    g_autoptr(FlTicket) last = g_list_model_get_item (G_LIST_MODEL (model), n - 1);
    g_autoptr(FlTicket) beyond = g_list_model_get_item (G_LIST_MODEL (model), n);
    g_autoptr(FlTicket) far = g_list_model_get_item (G_LIST_MODEL (model), G_MAXUINT);

    g_assert_nonnull (last);
    g_assert_null (beyond);
    g_assert_null (far);
    g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, 3);
  }

  /* scrolling through everything reads each page about once */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), i);
      g_assert_nonnull (t);
    }
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), <=,
                    3 + (n + FL_TICKET_LIST_PAGE_SIZE - 1) / FL_TICKET_LIST_PAGE_SIZE);
}

/* 100,000 tickets: the first screen of Incoming comes from at most two pages. */
static void
test_large (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 filled;
  gint64 shown;
  gint64 counted;
  guint n;

  fill (store, 100000, 365);
  filled = g_get_monotonic_time ();

  model = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  counted = g_get_monotonic_time ();
  g_assert_cmpuint (n, >, 50);
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_nonnull (t);
      g_assert_null (t->assignee);
    }
  shown = g_get_monotonic_time ();
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), <=, 2);

  g_test_message ("100000 tickets stored in %.1f s; Incoming (%u tickets): counted in %.1f ms,"
                  " first 50 in %.1f ms", (filled - start) / 1e6, n, (counted - filled) / 1e3,
                  (shown - filled) / 1e3);

  /* and a search over all of them */
  set_query_and_wait (model, "Drucker");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==,
                    fl_store_count_tickets (store, FL_VIEW_INCOMING, "Drucker", NULL));
  {
    g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_nonnull (t);
  }
}

/* -------------------------------------------------------------------------- */

/* The Incoming ticket at about @fraction of the list that passes @pred. */
static FlTicket *
pick (FlTicketListModel *model,
      double             fraction,
      gboolean         (*pred) (FlTicket *))
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  for (guint k = 0; k < n; k++)
    {
      guint i = ((guint) (fraction * n) + k) % n;
      FlTicket *t = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (pred == NULL || pred (t))
        return t;
      g_object_unref (t);
    }

  g_error ("no ticket to pick");
}

static gboolean
is_p4 (FlTicket *t)
{
  return t->priority == 4 && t->status != FL_STATUS_WAITING;
}

static gboolean
is_new (FlTicket *t)
{
  return t->status == FL_STATUS_NEW;
}

static void
test_changes_single (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) incoming = NULL;
  g_autoptr(FlTicketListModel) mine = NULL;
  g_autoptr(FlTicketListModel) all = NULL;
  g_autoptr(GError) error = NULL;
  Recorder rec_in = { 0 };
  Recorder rec_mine = { 0 };
  Recorder rec_all = { 0 };
  guint n;

  fill (store, 3000, 3);
  incoming = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
  mine = fl_ticket_list_model_new (store, FL_VIEW_MINE);
  all = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  recorder_start (&rec_in, incoming, TRUE);
  recorder_start (&rec_mine, mine, TRUE);
  recorder_start (&rec_all, all, TRUE);

  /* 1. a new ticket lands in the middle of Incoming (P3, due in 24 h: after the older P3s) */
  {
    g_autoptr(JsonObject) fields = fl_test_parse_object (
              "{\"title\": \"Kein Netzwerk am Arbeitsplatz\", \"requester\": {\"name\": \"Lea Koch\"},"
              " \"channel\": \"phone\", \"category\": \"network\"}");
    g_autoptr(FlTicket) t = NULL;
    g_autoptr(GHashTable) changed = NULL;
    guint pos;

    n = g_list_model_get_n_items (G_LIST_MODEL (incoming));
    t = fl_store_create_ticket (store, fields, &error);
    g_assert_no_error (error);
    changed = id_set (t->id, NULL);

    g_assert_cmpuint (recorder_n_signals (&rec_in), ==, 1);
    pos = recorder_signal (&rec_in, 0, 0);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 1), ==, 0);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 2), ==, 1);
    g_assert_cmpuint (pos, >, 0);
    g_assert_cmpuint (pos, <, n);
    g_assert_cmpuint (fl_ticket_list_model_find (incoming, t->id), ==, pos);
    recorder_check (&rec_in, changed, 1);

    g_assert_cmpuint (recorder_n_signals (&rec_mine), ==, 0);
    recorder_check (&rec_mine, changed, 0);
    g_assert_cmpuint (recorder_n_signals (&rec_all), ==, 1);
    recorder_check (&rec_all, changed, 1);
  }

  /* 2. a claim: it leaves Incoming and enters Mine; in All it changes in place */
  {
    g_autoptr(FlTicket) victim = pick (incoming, 0.5, is_new);
    guint old_pos = fl_ticket_list_model_find (incoming, victim->id);
    guint all_pos = fl_ticket_list_model_find (all, victim->id);
    g_autoptr(FlTicket) claimed = fl_store_claim (store, victim->id, &error);
    g_autoptr(GHashTable) changed = id_set (victim->id, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (recorder_n_signals (&rec_in), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 0), ==, old_pos);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 1), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 2), ==, 0);
    recorder_check (&rec_in, changed, 1);

    g_assert_cmpuint (recorder_n_signals (&rec_mine), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_mine, 0, 0), ==,
                      fl_ticket_list_model_find (mine, victim->id));
    g_assert_cmpuint (recorder_signal (&rec_mine, 0, 1), ==, 0);
    g_assert_cmpuint (recorder_signal (&rec_mine, 0, 2), ==, 1);
    recorder_check (&rec_mine, changed, 1);

    g_assert_cmpuint (recorder_n_signals (&rec_all), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_all, 0, 0), ==, all_pos);
    g_assert_cmpuint (recorder_signal (&rec_all, 0, 1), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_all, 0, 2), ==, 1);
    recorder_check (&rec_all, changed, 1);
  }

  /* 3. impact raised: the ticket moves up */
  {
    g_autoptr(FlTicket) victim = pick (incoming, 0.9, is_p4);
    guint old_pos = fl_ticket_list_model_find (incoming, victim->id);
    g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"impact\": \"high\"}");
    g_autoptr(FlTicket) updated = fl_store_update_ticket (store, victim->id, changes, &error);
    g_autoptr(GHashTable) changed = id_set (victim->id, NULL);
    guint new_pos;

    g_assert_no_error (error);
    g_assert_cmpint (updated->priority, <, 4);
    new_pos = fl_ticket_list_model_find (incoming, victim->id);
    g_assert_cmpuint (new_pos, <, old_pos);

    g_assert_cmpuint (recorder_n_signals (&rec_in), >=, 1);
    recorder_check (&rec_in, changed, 1);
    recorder_check (&rec_all, changed, 1);
    g_assert_cmpuint (recorder_n_signals (&rec_mine), ==, 0);
  }

  /* 4. a change that keeps the order: one item replaced in place */
  {
    g_autoptr(FlTicket) victim = pick (incoming, 0.3, NULL);
    guint pos = fl_ticket_list_model_find (incoming, victim->id);
    g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"title\": \"Drucker im 3. OG\"}");
    g_autoptr(FlTicket) updated = fl_store_update_ticket (store, victim->id, changes, &error);
    g_autoptr(GHashTable) changed = id_set (victim->id, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (recorder_n_signals (&rec_in), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 0), ==, pos);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 1), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_in, 0, 2), ==, 1);
    recorder_check (&rec_in, changed, 1);
    recorder_check (&rec_all, changed, 1);
    {
      g_autoptr(FlTicket) shown = g_list_model_get_item (G_LIST_MODEL (incoming), pos);
      g_assert_cmpstr (shown->title, ==, "Drucker im 3. OG");
    }
  }

  /* 5. a change outside the view says nothing */
  {
    g_autoptr(GPtrArray) resolved = fl_store_query_tickets (store, FL_VIEW_RESOLVED, NULL, 0, 1,
                                                            &error);
    FlTicket *victim = g_ptr_array_index (resolved, 0);
    g_autoptr(FlTicket) noted = fl_store_add_note (store, victim->id, "Nachtrag", FALSE, &error);
    g_autoptr(GHashTable) changed = id_set (victim->id, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (recorder_n_signals (&rec_in), ==, 0);
    g_assert_cmpuint (recorder_n_signals (&rec_mine), ==, 0);
    g_assert_cmpuint (recorder_n_signals (&rec_all), ==, 1);
    recorder_check (&rec_all, changed, 1);
  }

  /* 6. resolving one of mine */
  {
    g_autoptr(FlTicket) victim = pick (mine, 0.0, NULL);
    g_autoptr(FlTicket) resolved = fl_store_resolve (store, victim->id, FL_RESOLUTION_SOLVED,
                                                     "erledigt", &error);
    g_autoptr(GHashTable) changed = id_set (victim->id, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (recorder_n_signals (&rec_mine), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_mine, 0, 1), ==, 1);
    g_assert_cmpuint (recorder_signal (&rec_mine, 0, 2), ==, 0);
    recorder_check (&rec_mine, changed, 1);
    recorder_check (&rec_in, changed, 1);
    recorder_check (&rec_all, changed, 1);
  }

  recorder_stop (&rec_in);
  recorder_stop (&rec_mine);
  recorder_stop (&rec_all);
}

static FlTicket *
ticket_at (FlTicketListModel *model,
           guint              position)
{
  FlTicket *t = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (t);
  return t;
}

/* A pull from the server with about 20 mixed changes in one transaction.
 * With @read_items, the items read during each items-changed must also be right
 * (GListModel: the model is in its new state when it emits). */
static void
run_changes_batch (gboolean read_items)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) incoming = NULL;
  g_autoptr(FlTicketListModel) mine = NULL;
  g_autoptr(FlTicketListModel) all = NULL;
  g_autoptr(FlTicketListModel) resolved_view = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  gint64 now = fl_time_now ();
  Recorder rec_in = { 0 };
  Recorder rec_mine = { 0 };
  Recorder rec_all = { 0 };
  Recorder rec_res = { 0 };
  guint n_in;

  fill (store, 3000, 3);
  incoming = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
  mine = fl_ticket_list_model_new (store, FL_VIEW_MINE);
  all = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  resolved_view = fl_ticket_list_model_new (store, FL_VIEW_RESOLVED);
  n_in = g_list_model_get_n_items (G_LIST_MODEL (incoming));
  g_assert_cmpuint (n_in, >, 200);

  /* moves: priority up or down */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(FlTicket) t = ticket_at (incoming, 10 + i * (n_in / 6));
      FlTicket *c = fl_ticket_copy (t);

      c->impact = (FlGrade) ((t->impact + 1 + i % 2) % 3);
      c->urgency = i % 2 ? FL_GRADE_HIGH : FL_GRADE_LOW;
      c->priority = fl_priority_compute (c->impact, c->urgency);
      c->due_at = c->created_at + fl_policy_get_default ()->resolve_target[c->priority - 1];
      c->version++;
      g_ptr_array_add (batch, c);
    }

  /* leaves: someone else claimed them */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(FlTicket) t = ticket_at (incoming, 5 + i * (n_in / 5));
      FlTicket *c = fl_ticket_copy (t);

      c->assignee = g_strdup ("sam");
      c->status = FL_STATUS_IN_PROGRESS;
      c->version++;
      g_ptr_array_add (batch, c);
    }

  /* one leaves for Mine */
  {
    g_autoptr(FlTicket) t = ticket_at (incoming, n_in / 2 + 3);
    FlTicket *c = fl_ticket_copy (t);

    c->assignee = g_strdup ("alex");
    c->status = FL_STATUS_IN_PROGRESS;
    c->version++;
    g_ptr_array_add (batch, c);
  }

  /* inserts: new tickets from other agents */
  {
    g_autoptr(GPtrArray) fresh = fl_demo_generate_tickets (4, SEED + 1, now, 1);

    for (guint i = 0; i < fresh->len; i++)
      {
        FlTicket *c = fl_ticket_copy (g_ptr_array_index (fresh, i));

        c->number = 90000 + i;
        c->status = FL_STATUS_NEW;
        g_clear_pointer (&c->assignee, g_free);
        c->level = 1;
        c->resolution_code = FL_RESOLUTION_NONE;
        g_clear_pointer (&c->resolution_summary, g_free);
        c->resolved_at = 0;
        c->waiting_since = 0;
        g_ptr_array_add (batch, c);
      }
  }

  /* enters: reopened by the server */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(FlTicket) t = ticket_at (resolved_view, 7 + i * 50);
      FlTicket *c = fl_ticket_copy (t);

      c->status = FL_STATUS_IN_PROGRESS;
      g_clear_pointer (&c->assignee, g_free);
      c->level = 1;
      c->resolution_code = FL_RESOLUTION_NONE;
      g_clear_pointer (&c->resolution_summary, g_free);
      c->resolved_at = 0;
      c->version++;
      g_ptr_array_add (batch, c);
    }

  /* in place: new titles */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FlTicket) t = ticket_at (incoming, 40 + i * 300);
      FlTicket *c = fl_ticket_copy (t);

      g_free (c->title);
      c->title = g_strdup_printf ("Neuer Titel %u", i);
      c->version++;
      g_ptr_array_add (batch, c);
    }

  /* outside the view */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FlTicket) t = ticket_at (resolved_view, 100 + i);
      FlTicket *c = fl_ticket_copy (t);

      g_free (c->title);
      c->title = g_strdup_printf ("Archiv %u", i);
      c->version++;
      g_ptr_array_add (batch, c);
    }

  g_assert_cmpuint (batch->len, ==, 21);
  for (guint i = 0; i < batch->len; i++)
    g_hash_table_add (changed, g_strdup (((FlTicket *) g_ptr_array_index (batch, i))->id));
  /* no ticket twice */
  g_assert_cmpuint (g_hash_table_size (changed), ==, batch->len);

  recorder_start (&rec_in, incoming, read_items);
  recorder_start (&rec_mine, mine, read_items);
  recorder_start (&rec_all, all, read_items);
  recorder_start (&rec_res, resolved_view, read_items);

  g_assert_true (fl_store_put_tickets (store, batch, NULL, &error));
  g_assert_no_error (error);

  recorder_check (&rec_in, changed, 20);
  recorder_check (&rec_mine, changed, 1);
  recorder_check (&rec_all, changed, 21);
  recorder_check (&rec_res, changed, 5);

  recorder_stop (&rec_in);
  recorder_stop (&rec_mine);
  recorder_stop (&rec_all);
  recorder_stop (&rec_res);
}

static void
test_changes_batch (void)
{
  run_changes_batch (FALSE);
}

/* Fails until the model stays consistent during each items-changed of a batch. */
static void
test_changes_batch_reads (void)
{
  run_changes_batch (TRUE);
}

/* -------------------------------------------------------------------------- */

typedef struct
{
  guint n_signals;
  gboolean reset_pending;
  guint position;
  guint removed;
  guint added;
} LastSignal;

static void
on_last_signal_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   LastSignal *last)
{
  /* A reset comes as all rows removed, then the new ones added: one change. */
  if (last->reset_pending && position == 0 && removed == 0)
    {
      last->added = added;
      last->reset_pending = FALSE;
      return;
    }
  last->n_signals++;
  last->position = position;
  last->removed = removed;
  last->added = added;
  last->reset_pending = position == 0 && added == 0 && removed == g_list_model_get_n_items (model) + removed;
}

static void
on_notify_cb (GObject    *object,
              GParamSpec *pspec,
              guint      *n)
{
  (*n)++;
}

static void
test_search_query (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  g_autoptr(GError) error = NULL;
  LastSignal last = { 0 };
  guint n_notify = 0;
  guint n_all;
  guint n_found;

  fill (store, 3000, 3);
  model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  n_all = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_signal_connect (model, "items-changed", G_CALLBACK (on_last_signal_cb), &last);
  g_signal_connect (model, "notify::query", G_CALLBACK (on_notify_cb), &n_notify);

  set_query_and_wait (model, "drucker");
  n_found = fl_store_count_tickets (store, FL_VIEW_ALL, "drucker", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_found, >, 0);
  g_assert_cmpuint (n_found, <, n_all);
  g_assert_cmpuint (last.n_signals, ==, 1);
  g_assert_cmpuint (last.position, ==, 0);
  g_assert_cmpuint (last.removed, ==, n_all);
  g_assert_cmpuint (last.added, ==, n_found);
  g_assert_cmpuint (n_notify, ==, 1);
  g_assert_cmpstr (fl_ticket_list_model_get_query (model), ==, "drucker");
  assert_model_matches_query (model);

  /* the same query again changes nothing */
  set_query_and_wait (model, "drucker");
  g_assert_cmpuint (last.n_signals, ==, 1);

  /* a narrower one: only the rows that no longer match go (see narrowing) */
  set_query_and_wait (model, "drucker krüger");
  g_assert_cmpuint (last.n_signals, >, 1);
  g_assert_cmpuint (last.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==,
                    fl_store_count_tickets (store, FL_VIEW_ALL, "drucker kruger", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), <, n_found);
  assert_model_matches_query (model);

  /* a change while searching is shown */
  {
    g_autoptr(JsonObject) fields = fl_test_parse_object (
              "{\"title\": \"Drucker streikt\", \"requester\": {\"name\": \"Jörg Krüger\"},"
              " \"channel\": \"phone\", \"category\": \"printer\"}");
    guint before = g_list_model_get_n_items (G_LIST_MODEL (model));
    g_autoptr(FlTicket) t = fl_store_create_ticket (store, fields, &error);

    g_assert_no_error (error);
    wait_search (model);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, before + 1);
    g_assert_cmpuint (fl_ticket_list_model_find (model, t->id), <, before + 1);
    assert_model_matches_query (model);
    n_all++;
  }

  /* cleared: the whole view again */
  set_query_and_wait (model, NULL);
  g_assert_null (fl_ticket_list_model_get_query (model));
  g_assert_cmpuint (last.removed, ==, fl_store_count_tickets (store, FL_VIEW_ALL, "drucker kruger", NULL));
  g_assert_cmpuint (last.added, ==, n_all);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_all);
  assert_model_matches_query (model);

  /* nothing searchable is no query */
  {
    guint signals = last.n_signals;

    set_query_and_wait (model, "   ");
    set_query_and_wait (model, "\"*()");
    set_query_and_wait (model, "");
    g_assert_null (fl_ticket_list_model_get_query (model));
    g_assert_cmpuint (last.n_signals, ==, signals);
  }

  /* hostile text is just text */
  set_query_and_wait (model, "NEAR(\"drucker OR");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);

  /* a search with no result, then back */
  set_query_and_wait (model, "zzzzqqq");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 0));
  set_query_and_wait (model, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_all);
}

static void
test_view_switch (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  LastSignal last = { 0 };
  guint n_notify = 0;
  guint old_n;

  fill (store, 3000, 3);
  model = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_last_signal_cb), &last);
  g_signal_connect (model, "notify::view", G_CALLBACK (on_notify_cb), &n_notify);

  for (FlView view = 0; view < FL_N_VIEWS; view++)
    {
      FlView next = (view + 1) % FL_N_VIEWS;
      guint signals = last.n_signals;

      old_n = g_list_model_get_n_items (G_LIST_MODEL (model));
      fl_ticket_list_model_set_view (model, next);
      g_assert_cmpint (fl_ticket_list_model_get_view (model), ==, next);
      g_assert_cmpuint (last.n_signals, ==, signals + 1);
      g_assert_cmpuint (last.position, ==, 0);
      g_assert_cmpuint (last.removed, ==, old_n);
      g_assert_cmpuint (last.added, ==, g_list_model_get_n_items (G_LIST_MODEL (model)));
      assert_model_matches_query (model);
    }
  g_assert_cmpuint (n_notify, ==, FL_N_VIEWS);

  /* the same view: nothing */
  fl_ticket_list_model_set_view (model, fl_ticket_list_model_get_view (model));
  g_assert_cmpuint (n_notify, ==, FL_N_VIEWS);

  /* the view as a property, and a search within a view */
  g_object_set (model, "view", FL_VIEW_RESOLVED, NULL);
  g_assert_cmpint (fl_ticket_list_model_get_view (model), ==, FL_VIEW_RESOLVED);
  set_query_and_wait (model, "Passwort");
  assert_model_matches_query (model);
  fl_ticket_list_model_set_view (model, FL_VIEW_INCOMING);
  wait_search (model);
  g_assert_cmpstr (fl_ticket_list_model_get_query (model), ==, "Passwort");
  assert_model_matches_query (model);

  /* a model made for another view from the start */
  {
    g_autoptr(FlTicketListModel) waiting = fl_ticket_list_model_new (store, FL_VIEW_WAITING);

    g_assert_cmpint (fl_ticket_list_model_get_view (waiting), ==, FL_VIEW_WAITING);
    assert_model_matches_query (waiting);
  }
}

/* A view switch removes every row and then adds the new ones, in two signals,
 * and reads no row while doing so: with one (0, old, new) signal GTK 4.8's
 * list widgets read every added item to find the removed ones among them. */
typedef struct
{
  GArray *signals;   /* guint triples */
  FlTicketListModel *model;
  guint loads_inside;
} ResetLog;

static void
on_reset_items_changed_cb (GListModel *model,
                           guint       position,
                           guint       removed,
                           guint       added,
                           ResetLog   *log)
{
  guint v[3] = { position, removed, added };

  g_array_append_vals (log->signals, v, 3);
  /* what a reader inside the signal sees matches the signal */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, added);
  log->loads_inside = fl_ticket_list_model_get_n_page_loads (log->model);
}

static void
test_view_switch_two_signals (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  g_autoptr(GArray) signals = g_array_new (FALSE, FALSE, sizeof (guint));
  ResetLog log = { signals, NULL, 0 };
  guint n_all, n_resolved, loads;

  fill (store, 2000, 60);
  model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  log.model = model;
  n_all = g_list_model_get_n_items (G_LIST_MODEL (model));
  n_resolved = fl_store_count_tickets (store, FL_VIEW_RESOLVED, NULL, NULL);
  g_assert_cmpuint (n_resolved, >, 0);
  g_clear_object (&(GObject *) { g_list_model_get_item (G_LIST_MODEL (model), 0) });
  loads = fl_ticket_list_model_get_n_page_loads (model);

  g_signal_connect (model, "items-changed", G_CALLBACK (on_reset_items_changed_cb), &log);
  fl_ticket_list_model_set_view (model, FL_VIEW_RESOLVED);

  g_assert_cmpuint (signals->len, ==, 6);
  g_assert_cmpuint (g_array_index (signals, guint, 0), ==, 0);
  g_assert_cmpuint (g_array_index (signals, guint, 1), ==, n_all);
  g_assert_cmpuint (g_array_index (signals, guint, 2), ==, 0);
  g_assert_cmpuint (g_array_index (signals, guint, 3), ==, 0);
  g_assert_cmpuint (g_array_index (signals, guint, 4), ==, 0);
  g_assert_cmpuint (g_array_index (signals, guint, 5), ==, n_resolved);
  g_assert_cmpuint (fl_ticket_list_model_get_n_page_loads (model), ==, loads);
}

static void
on_applied_query_cb (FlTicketListModel *model,
                     GParamSpec        *pspec,
                     GPtrArray         *applied)
{
  const char *q = fl_ticket_list_model_get_applied_query (model);

  g_ptr_array_add (applied, g_strdup (q ? q : "(none)"));
}

/* Typing runs one search per key: the main loop only hands them to the worker
 * and keeps the rows it shows; superseded searches are stopped and never shown,
 * the last one's results come back on the main loop. */
static void
test_search_in_background (void)
{
  static const char * const typed[] = { "d", "dr", "dru", "druc", "druck", "drucke", "drucker" };
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  g_autoptr(GPtrArray) applied = g_ptr_array_new_with_free_func (g_free);
  guint n_all;

  fill (store, 3000, 3);
  model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  n_all = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_signal_connect (model, "notify::applied-query", G_CALLBACK (on_applied_query_cb), applied);

  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      fl_ticket_list_model_set_query (model, typed[i]);
      /* asked for, not yet shown: the whole view stays */
      g_assert_true (fl_ticket_list_model_get_searching (model));
      g_assert_cmpstr (fl_ticket_list_model_get_query (model), ==, typed[i]);
      g_assert_null (fl_ticket_list_model_get_applied_query (model));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_all);
    }
  wait_search (model);

  g_assert_cmpuint (applied->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (applied, 0), ==, "drucker");
  g_assert_cmpstr (fl_ticket_list_model_get_applied_query (model), ==, "drucker");
  assert_model_matches_query (model);

  /* a search asked for and taken back before it came: never shown */
  fl_ticket_list_model_set_query (model, "monitor");
  fl_ticket_list_model_set_query (model, "drucker");
  wait_search (model);
  fl_test_spin_for (50);
  assert_model_matches_query (model);
  for (guint i = 0; i < applied->len; i++)
    g_assert_cmpstr (g_ptr_array_index (applied, i), !=, "monitor");

  /* typed over: the entry is empty for a moment, the whole view never comes */
  g_ptr_array_set_size (applied, 0);
  fl_ticket_list_model_set_query (model, NULL);
  fl_ticket_list_model_set_query (model, "monitor");
  wait_search (model);
  g_assert_cmpuint (applied->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (applied, 0), ==, "monitor");
  assert_model_matches_query (model);

  /* cleared while the search runs: the whole view, and the search never lands */
  set_query_and_wait (model, NULL);
  g_assert_null (fl_ticket_list_model_get_applied_query (model));
  fl_ticket_list_model_set_query (model, "krüger");
  fl_ticket_list_model_set_query (model, NULL);
  fl_test_spin_for (100);
  g_assert_null (fl_ticket_list_model_get_applied_query (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_all);

  /* a model dropped while its search runs stops its worker */
  fl_ticket_list_model_set_query (model, "drucker");
  g_clear_object (&model);
  fl_test_spin_for (50);
}

typedef struct
{
  GPtrArray *ids;       /* the shadow list, read during each emission */
  guint      n_signals;
  guint      max_removed;
} Shadow;

static void
on_shadow_changed_cb (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      Shadow     *shadow)
{
  shadow->n_signals++;
  shadow->max_removed = MAX (shadow->max_removed, removed);
  g_assert_cmpuint (position + removed, <=, shadow->ids->len);
  g_ptr_array_remove_range (shadow->ids, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (shadow->ids, position + i, item_id (model, position + i));
  g_assert_cmpuint (shadow->ids->len, ==, g_list_model_get_n_items (model));
}

/* From one query's results to the next, only the rows that differ are
 * announced: rows in both stay (a list view keeps their widgets). */
static void
test_search_narrowing (void)
{
  static const char * const steps[] = { "druck", "drucker", "drucker krüger", "drucker", "Monitor" };
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicketListModel) model = NULL;
  Shadow shadow = { g_ptr_array_new_with_free_func (g_free), 0, 0 };

  fill (store, 3000, 3);
  model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  set_query_and_wait (model, "dru");
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    g_ptr_array_add (shadow.ids, item_id (G_LIST_MODEL (model), i));
  g_signal_connect (model, "items-changed", G_CALLBACK (on_shadow_changed_cb), &shadow);

  for (guint k = 0; k < G_N_ELEMENTS (steps); k++)
    {
      g_autoptr(GPtrArray) expected = query_ids (store, FL_VIEW_ALL, steps[k]);
      guint before = shadow.ids->len;

      shadow.n_signals = shadow.max_removed = 0;
      set_query_and_wait (model, steps[k]);
      g_assert_cmpstr (fl_ticket_list_model_get_applied_query (model), ==, steps[k]);
      g_assert_cmpuint (shadow.ids->len, ==, expected->len);
      for (guint i = 0; i < expected->len; i++)
        g_assert_cmpstr (g_ptr_array_index (shadow.ids, i), ==, g_ptr_array_index (expected, i));
      assert_model_matches_query (model);
      /* a narrower or wider query: the common rows are not removed */
      if (k < 4 && before > 0 && expected->len > 0)
        g_assert_cmpuint (shadow.max_removed, <, before);
    }

  g_ptr_array_unref (shadow.ids);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/list-model/counts-and-order", test_counts_and_order);
  fl_test_add_func ("/list-model/paging", test_paging);
  fl_test_add_func ("/list-model/large", test_large);
  fl_test_add_func ("/list-model/changes/single", test_changes_single);
  fl_test_add_func ("/list-model/changes/batch", test_changes_batch);
  fl_test_add_func ("/list-model/changes/batch-reads", test_changes_batch_reads);
  fl_test_add_func ("/list-model/search", test_search_query);
  fl_test_add_func ("/list-model/search/background", test_search_in_background);
  fl_test_add_func ("/list-model/search/narrowing", test_search_narrowing);
  fl_test_add_func ("/list-model/view-switch", test_view_switch);
  fl_test_add_func ("/list-model/view-switch/two-signals", test_view_switch_two_signals);

  return g_test_run ();
}
