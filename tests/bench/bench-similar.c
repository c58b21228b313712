/* bench-similar.c — quality and speed of similar-ticket suggestions
 *
 * (a) Quality: the fixed set tests/bench/similar-set.json (60 resolved tickets,
 *     42 new requests written as paraphrases with a known right answer) in a
 *     fresh cache: Recall@1, Recall@5 and MRR of the ranked search beside the
 *     naive baseline (plain FTS5 bm25 over title, description and resolution,
 *     the request's words OR-joined), in the same run.
 * (b) The same set again among 100,000 generated tickets, and the latency of
 *     the suggestion query (fl_store_find_similar, tickets loaded) there.
 * Writes build/bench/similar.json; exits non-zero when a target is missed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "fl-demo.h"
#include "fl-store.h"
#include "similar-eval.h"

#define N_TICKETS        100000
#define N_REPEATS        5
#define TARGET_RECALL_5  0.9
#define TARGET_P99_MS    30.0

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static void
add_eval (JsonBuilder       *b,
          const char        *name,
          const SimilarEval *e)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "requests");
  json_builder_add_int_value (b, e->n_requests);
  json_builder_set_member_name (b, "recall_at_1");
  json_builder_add_double_value (b, e->recall_at_1);
  json_builder_set_member_name (b, "recall_at_5");
  json_builder_add_double_value (b, e->recall_at_5);
  json_builder_set_member_name (b, "mrr");
  json_builder_add_double_value (b, e->mrr);
  json_builder_set_member_name (b, "misses");
  json_builder_begin_array (b);
  for (guint i = 0; i < e->misses->len; i++)
    json_builder_add_string_value (b, e->misses->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
print_eval (const char        *name,
            const SimilarEval *e)
{
  printf ("  %-22s Recall@1 %.3f  Recall@5 %.3f  MRR %.3f\n", name, e->recall_at_1,
          e->recall_at_5, e->mrr);
  for (guint i = 0; i < e->misses->len; i++)
    printf ("      miss: %s\n", (const char *) e->misses->pdata[i]);
}

int
main (void)
{
  const char *srcdir = g_getenv ("FIRSTLINE_SOURCE_DIR");
  const char *builddir = g_getenv ("FIRSTLINE_BUILD_DIR");
  g_autofree char *set = g_build_filename (srcdir ? srcdir : ".", "tests", "bench",
                                           "similar-set.json", NULL);
  g_autofree char *dir = g_dir_make_tmp ("bench-similar-XXXXXX", NULL);
  g_autofree char *path_small = g_build_filename (dir, "small.db", NULL);
  /* BENCH_SIMILAR_DB: a cache filled by an earlier run, kept (for tuning) */
  const char *keep = g_getenv ("BENCH_SIMILAR_DB");
  gboolean reuse = keep != NULL && g_file_test (keep, G_FILE_TEST_EXISTS);
  g_autofree char *path_big = keep ? g_strdup (keep) : g_build_filename (dir, "big.db", NULL);
  g_autofree char *outdir = g_build_filename (builddir ? builddir : ".", "bench", NULL);
  g_autofree char *outfile = g_build_filename (outdir, "similar.json", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  SimilarEval ranked, base, ranked_big, base_big;
  gint64 now = g_get_real_time () / 1000;
  double p50, p99, max;
  gboolean ok = TRUE;

  setvbuf (stdout, NULL, _IOLBF, 0);

  /* (a) the fixed set alone */
  {
    g_autoptr(FlStore) store = fl_store_new (path_small, &error);

    g_assert_no_error (error);
    similar_eval_load (store, set, now);
    similar_eval_run (store, set, now, FALSE, &ranked);
    similar_eval_run (store, set, now, TRUE, &base);
  }
  printf ("fixed set (%u requests, 60 resolved tickets):\n", ranked.n_requests);
  print_eval ("ranked", &ranked);
  print_eval ("baseline (plain bm25)", &base);

  /* (b) among 100,000 tickets */
  {
    g_autoptr(FlStore) store = fl_store_new (path_big, &error);
    g_autoptr(GPtrArray) tickets = NULL;
    gint64 t0;

    g_assert_no_error (error);
    if (!reuse)
      similar_eval_load (store, set, now);
    tickets = reuse ? g_ptr_array_new () : fl_demo_generate_tickets (N_TICKETS - 60, 1234, now, 365);
    for (guint i = 0; i < tickets->len; i++)
      ((FlTicket *) tickets->pdata[i])->number += 1000;
    t0 = g_get_monotonic_time ();
    if (!fl_store_put_tickets (store, tickets, NULL, &error))
      g_error ("put: %s", error->message);
    printf ("filled %u tickets in %.1f s\n", N_TICKETS, (g_get_monotonic_time () - t0) / 1e6);

    similar_eval_run (store, set, now, FALSE, &ranked_big);
    similar_eval_run (store, set, now, TRUE, &base_big);
    printf ("fixed set among %u tickets:\n", N_TICKETS);
    print_eval ("ranked", &ranked_big);
    print_eval ("baseline (plain bm25)", &base_big);

    /* latency of the whole suggestion query, tickets loaded */
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonArray *requests;

      json_parser_load_from_file (parser, set, &error);
      g_assert_no_error (error);
      requests = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                               "requests");
      for (guint r = 0; r < N_REPEATS; r++)
        for (guint i = 0; i < json_array_get_length (requests); i++)
          {
            JsonObject *o = json_array_get_object_element (requests, i);
            FlSimilarQuery q = {
              .title = json_object_get_string_member (o, "t"),
              .description = json_object_get_string_member (o, "d"),
              .category = json_object_get_string_member (o, "c"),
              .requester = json_object_get_string_member (o, "q"),
              .now = now,
              .limit = 5,
            };
            g_autoptr(GPtrArray) results = NULL;
            gint64 start = g_get_monotonic_time ();
            double elapsed;

            results = fl_store_find_similar (store, &q, &error);
            g_assert_no_error (error);
            elapsed = (g_get_monotonic_time () - start) / 1000.0;
            g_array_append_val (ms, elapsed);
          }
    }
  }

  g_array_sort (ms, compare_doubles);
  p50 = g_array_index (ms, double, ms->len / 2);
  p99 = g_array_index (ms, double, MIN ((guint) (0.99 * (ms->len - 1) + 0.5), ms->len - 1));
  max = g_array_index (ms, double, ms->len - 1);
  printf ("suggestion query at %u tickets: %u queries, median %.2f ms, p99 %.2f ms, max %.2f ms\n",
          N_TICKETS, ms->len, p50, p99, max);

  if (ranked.recall_at_5 < TARGET_RECALL_5)
    {
      printf ("MISSED: Recall@5 %.3f < %.2f\n", ranked.recall_at_5, TARGET_RECALL_5);
      ok = FALSE;
    }
  if (ranked.mrr <= base.mrr)
    {
      printf ("MISSED: MRR %.3f not above the baseline's %.3f\n", ranked.mrr, base.mrr);
      ok = FALSE;
    }
  if (p99 >= TARGET_P99_MS)
    {
      printf ("MISSED: p99 %.2f ms >= %.0f ms\n", p99, TARGET_P99_MS);
      ok = FALSE;
    }

  json_builder_begin_object (b);
  add_eval (b, "ranked", &ranked);
  add_eval (b, "baseline", &base);
  add_eval (b, "ranked_among_100000", &ranked_big);
  add_eval (b, "baseline_among_100000", &base_big);
  json_builder_set_member_name (b, "latency_ms");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tickets");
  json_builder_add_int_value (b, N_TICKETS);
  json_builder_set_member_name (b, "queries");
  json_builder_add_int_value (b, ms->len);
  json_builder_set_member_name (b, "median");
  json_builder_add_double_value (b, p50);
  json_builder_set_member_name (b, "p99");
  json_builder_add_double_value (b, p99);
  json_builder_set_member_name (b, "max");
  json_builder_add_double_value (b, max);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "targets_met");
  json_builder_add_boolean_value (b, ok);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_mkdir_with_parents (outdir, 0755);
  if (!json_generator_to_file (gen, outfile, &error))
    g_error ("%s: %s", outfile, error->message);
  printf ("results: %s\n", outfile);

  similar_eval_clear (&ranked);
  similar_eval_clear (&base);
  similar_eval_clear (&ranked_big);
  similar_eval_clear (&base_big);
  g_unlink (path_small);
  if (keep == NULL)
    g_unlink (path_big);
  {
    const char *suffixes[] = { "-wal", "-shm" };

    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *a = g_strconcat (path_small, suffixes[i], NULL);
        g_autofree char *c = g_strconcat (path_big, suffixes[i], NULL);

        g_unlink (a);
        if (keep == NULL)
          g_unlink (c);
      }
  }
  g_rmdir (dir);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
