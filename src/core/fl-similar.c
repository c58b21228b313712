/* fl-similar.c — similar solved tickets: the index and its ranking
 *
 * Recall first, then a re-rank (in the spirit of Discourse's similar topics):
 *
 * 1. Candidates: up to 60 rows of similar_fts (FTS5, unicode61 without
 *    diacritics) matching any content word of the request — stop words dropped,
 *    each word as a stem prefix ("verbindet" → "verbind"*), widened by a small
 *    German/English help-desk synonym table (Kennwort = Passwort = password), and
 *    a word the index does not know is replaced by the known words at edit
 *    distance 1 (2 from 8 letters) that share its first three letters ("pasword" →
 *    "password"). Ranked by bm25 with column weights title 10, description 4,
 *    resolution 2, over the terms in fewer than FREQUENT documents; the terms in
 *    more (bm25 over tens of thousands of rows is too slow for typing) add the
 *    latest rows that have them, within the category. Plus every row of
 *    similar_tri (FTS5 trigrams) that contains one of the request's codes (a word
 *    with a digit, separators removed: "0x80070005", "NB-0231" = "nb0231") as a
 *    substring.
 * 2. Re-rank: the weights in fl-similar.h — bm25 over all terms, computed here
 *    for each candidate and scaled to the best one, the trigram overlap of the
 *    titles, the share of codes found, same category, same requester, same
 *    department, and recency.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-similar"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fl-similar.h"
#include "fl-sqlite-private.h"
#include "fl-store.h"

#define N_CANDIDATES 60
/* A term in this many documents is frequent: it finds candidates only together
 * with another frequent term (bm25 over all its documents would be too slow). */
#define FREQUENT     300
#define FREQUENT_SCAN 400
/* bm25 of the re-rank: the collection size the IDF assumes, k1, b, and the
 * average lengths (words) of title, description and resolution. */
#define BM25_N       100000.0
#define BM25_K1      1.2
#define BM25_B       0.75
#define DAY_MS (24 * G_GINT64_CONSTANT (3600000))

/* Words that say nothing about the problem (folded). */
static const char * const stopwords[] = {
  "a", "ab", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
  "at", "auch", "auf", "aus", "be", "bei", "bin", "bis", "bitte", "but", "by", "can", "cannot",
  "cant", "da", "dann", "das", "dass", "de", "dem", "den", "der", "des", "die", "doch", "does",
  "doesnt", "dont", "du", "ein", "eine", "einem", "einen", "einer", "es", "for", "from", "geht",
  "get", "gets", "habe", "haben", "hat", "have", "he", "help", "hilfe", "i", "ich", "ihr", "im",
  "in", "is", "ist", "it", "its", "ja", "jetzt", "kann", "kein", "keine", "keinen", "mal", "me",
  "mehr", "mein", "meine", "meinem", "meinen", "meiner", "mich", "mir", "mit", "my", "nach",
  "need", "nicht", "no", "noch", "not", "nur", "of", "oder", "on", "or", "please", "schon",
  "seit", "she", "sich", "sie", "sind", "so", "some", "the", "this", "to", "und", "uns", "von",
  "vom", "was", "wenn", "when", "wie", "will", "wir", "with", "wird", "wo", "zu", "zum", "zur",
};

/* Words that mean the same in a help desk, German and English (folded). */
static const char * const synonyms[][8] = {
  { "passwort", "kennwort", "password", "pw", "passwd", NULL },
  { "anmelden", "anmeldung", "login", "einloggen", "logon", "signin", "anmeldedaten", NULL },
  { "gesperrt", "sperre", "locked", "lockout", "blockiert", NULL },
  { "drucker", "printer", "drucken", "druckt", "print", "printing", "ausdruck", NULL },
  { "netzwerk", "network", "lan", "netz", NULL },
  { "wlan", "wifi", "wireless", "funknetz", NULL },
  { "internet", "online", "web", NULL },
  { "verbindung", "connection", "connect", "verbinden", "verbindet", "connected", NULL },
  { "langsam", "slow", "trage", "lahm", "sluggish", NULL },
  { "bildschirm", "monitor", "display", "screen", "anzeige", NULL },
  { "email", "mail", "mails", "outlook", "postfach", "mailbox", "emails", NULL },
  { "vpn", "anyconnect", "fernzugriff", "remote", "homeoffice", NULL },
  { "installieren", "installation", "install", "installiert", "setup", NULL },
  { "laptop", "notebook", "rechner", "computer", "pc", "geraet", "gerat", NULL },
  { "tastatur", "keyboard", NULL },
  { "maus", "mouse", NULL },
  { "fehler", "error", "fehlermeldung", "meldung", "message", NULL },
  { "zugriff", "access", "berechtigung", "permission", "rechte", "rights", NULL },
  { "kaputt", "defekt", "broken", "defective", "damaged", NULL },
  { "headset", "kopfhorer", "headphones", "mikrofon", "microphone", NULL },
  { "abgelaufen", "expired", "expire", "ablauf", NULL },
  { "vergessen", "forgot", "forgotten", "forget", NULL },
  { "laufwerk", "drive", "netzlaufwerk", "freigabe", "share", "ordner", "folder", NULL },
  { "telefon", "phone", "telefonie", "softphone", NULL },
  { "zertifikat", "certificate", "cert", NULL },
  { "papierstau", "jam", "stau", NULL },
  { "startet", "start", "boot", "booten", "hochfahren", "starten", NULL },
  { "absturz", "crash", "crashes", "sturzt", "abgesturzt", "freezes", "hangt", NULL },
  { "neu", "new", "neue", "neuer", "neues", NULL },
  { "zurucksetzen", "reset", "rucksetzen", NULL },
  { "konto", "account", "benutzerkonto", "nutzerkonto", NULL },
  { "lizenz", "license", "licence", "aktivierung", "activation", NULL },
  { "kalender", "calendar", "termin", "meeting", NULL },
  { "scanner", "scannen", "scan", NULL },
  { "teams", "videokonferenz", "videocall", NULL },
};

/* -------------------------------------------------------------------------- */

char *
fl_similar_fold (const char *text)
{
  g_autofree char *nfd = NULL;
  g_autofree char *lower = NULL;
  GString *out;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_strdup ("");

  lower = g_utf8_strdown (text, -1);
  nfd = g_utf8_normalize (lower, -1, G_NORMALIZE_NFD);
  out = g_string_sized_new (strlen (nfd));
  for (const char *p = nfd; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) == G_UNICODE_NON_SPACING_MARK)
        continue;
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

/* The folded alphanumeric runs of @text, as FTS5's unicode61 splits it. */
static GPtrArray *
split_words (const char *folded)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const char *start = NULL;

  for (const char *p = folded;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean word_char = c != 0 && g_unichar_isalnum (c);

      if (word_char && start == NULL)
        start = p;
      else if (!word_char && start != NULL)
        {
          g_ptr_array_add (words, g_strndup (start, p - start));
          start = NULL;
        }
      if (c == 0)
        break;
    }

  return words;
}

/* Codes: whitespace-separated tokens with a digit, only their letters and digits. */
static GPtrArray *
split_codes (const char *folded)
{
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) tokens = g_strsplit_set (folded, " \t\r\n,;()[]{}<>\"'", -1);

  for (guint i = 0; tokens[i]; i++)
    {
      g_autoptr(GString) code = g_string_new (NULL);
      gboolean digit = FALSE;
      guint letters = 0;

      for (const char *p = tokens[i]; *p; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (g_unichar_isdigit (c))
            digit = TRUE;
          if (g_unichar_isalnum (c))
            {
              g_string_append_unichar (code, c);
              letters++;
            }
        }
      if (digit && letters >= 4)
        g_ptr_array_add (codes, g_string_free (g_steal_pointer (&code), FALSE));
    }

  return codes;
}

static gboolean
is_stopword (const char *w)
{
  static GHashTable *set;

  if (g_once_init_enter (&set))
    {
      GHashTable *s = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < G_N_ELEMENTS (stopwords); i++)
        g_hash_table_add (s, (gpointer) stopwords[i]);
      g_once_init_leave (&set, s);
    }

  return g_hash_table_contains (set, w);
}

/* The index of @w's synonym group, or -1. */
static int
synonym_group (const char *w)
{
  static GHashTable *map;

  if (g_once_init_enter (&map))
    {
      GHashTable *m = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < G_N_ELEMENTS (synonyms); i++)
        for (guint j = 0; synonyms[i][j]; j++)
          g_hash_table_insert (m, (gpointer) synonyms[i][j], GINT_TO_POINTER (i + 1));
      g_once_init_leave (&map, m);
    }

  return GPOINTER_TO_INT (g_hash_table_lookup (map, w)) - 1;
}

/* A light stem for German and English: one common ending off, at least 4 letters left. */
static char *
stem (const char *w)
{
  static const char * const endings[] = {
    "ungen", "ungs", "ung", "ing", "ern", "en", "er", "es", "ed", "et", "st", "e", "s", "t", "n",
  };
  glong len = g_utf8_strlen (w, -1);

  for (guint i = 0; i < G_N_ELEMENTS (endings); i++)
    {
      glong elen = (glong) strlen (endings[i]);

      if (len - elen >= 4 && g_str_has_suffix (w, endings[i]))
        return g_strndup (w, strlen (w) - elen);
    }

  return g_strdup (w);
}

/* Optimal string alignment distance, with a cut-off. */
static guint
edit_distance (const char *a,
               const char *b,
               guint       max)
{
  g_autofree gunichar *ua = g_utf8_to_ucs4_fast (a, -1, NULL);
  g_autofree gunichar *ub = g_utf8_to_ucs4_fast (b, -1, NULL);
  guint la = 0, lb = 0;
  g_autofree guint *d = NULL;

  while (ua[la])
    la++;
  while (ub[lb])
    lb++;
  if ((la > lb ? la - lb : lb - la) > max)
    return max + 1;

  d = g_new0 (guint, (la + 1) * (lb + 1));
#define D(i, j) d[(i) * (lb + 1) + (j)]
  for (guint i = 0; i <= la; i++)
    D (i, 0) = i;
  for (guint j = 0; j <= lb; j++)
    D (0, j) = j;
  for (guint i = 1; i <= la; i++)
    for (guint j = 1; j <= lb; j++)
      {
        guint cost = ua[i - 1] == ub[j - 1] ? 0 : 1;
        guint v = MIN (MIN (D (i - 1, j) + 1, D (i, j - 1) + 1), D (i - 1, j - 1) + cost);

        if (i > 1 && j > 1 && ua[i - 1] == ub[j - 2] && ua[i - 2] == ub[j - 1])
          v = MIN (v, D (i - 2, j - 2) + 1);
        D (i, j) = v;
      }
  {
    guint r = D (la, lb);
#undef D
    return r;
  }
}

typedef struct
{
  char     *text;
  gboolean  prefix;
  guint     df;        /* documents with the term, counted up to FREQUENT */
} Term;

static void
term_free (gpointer data)
{
  Term *t = data;

  g_free (t->text);
  g_free (t);
}

static void
add_term (GPtrArray  *terms,
          GHashTable *seen,
          const char *text,
          gboolean    prefix)
{
  g_autofree char *key = g_strconcat (text, prefix ? "*" : "", NULL);
  Term *t;

  if (*text == '\0' || g_hash_table_contains (seen, key))
    return;
  g_hash_table_add (seen, g_steal_pointer (&key));

  t = g_new0 (Term, 1);
  t->text = g_strdup (text);
  t->prefix = prefix;
  g_ptr_array_add (terms, t);
}

/* An FTS5 query: the terms OR-joined (terms are letters and digits only). */
static char *
terms_to_match (GPtrArray *terms,
                gboolean   rare_only)
{
  GString *match = g_string_new (NULL);

  for (guint i = 0; i < terms->len; i++)
    {
      Term *t = terms->pdata[i];

      if (rare_only && t->df >= FREQUENT)
        continue;
      if (match->len > 0)
        g_string_append (match, " OR ");
      g_string_append_printf (match, "\"%s\"%s", t->text, t->prefix ? "*" : "");
    }

  if (match->len == 0)
    {
      g_string_free (match, TRUE);
      return NULL;
    }
  return g_string_free (match, FALSE);
}

/* One term per word: its stem as a prefix, cut to at most 7 letters so that every
 * prefix query is answered by one of the prefix indexes ('4 5 6 7'); a word
 * shorter than 4 letters as it is. */
static void
add_word_terms (GPtrArray  *match,
                GHashTable *seen,
                const char *w)
{
  g_autofree char *s = stem (w);
  glong len = g_utf8_strlen (s, -1);

  if (len < 4)
    {
      add_term (match, seen, w, FALSE);
      return;
    }
  if (len > 7)
    *g_utf8_offset_to_pointer (s, 7) = '\0';
  add_term (match, seen, s, TRUE);
}

/* Whether the index has a word starting with @prefix. */
static gboolean
vocab_has_prefix (sqlite3    *db,
                  const char *prefix)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  g_autofree char *upper = g_strconcat (prefix, "\xf4\x8f\xbf\xbf", NULL);

  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM similar_words WHERE word >= ?1 AND word < ?2 LIMIT 1",
                          -1, &stmt, NULL) != SQLITE_OK)
    return TRUE;
  sqlite3_bind_text (stmt, 1, prefix, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, upper, -1, SQLITE_TRANSIENT);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);

  return found;
}

/* Known words close to @w (a typo), at most 3. */
static void
add_corrections (sqlite3    *db,
                 GPtrArray  *match,
                 GHashTable *seen,
                 const char *w)
{
  sqlite3_stmt *stmt = NULL;
  const char *second = g_utf8_next_char (g_utf8_next_char (g_utf8_next_char (w)));
  g_autofree char *lower = g_strndup (w, second - w);
  g_autofree char *upper = g_strconcat (lower, "\xf4\x8f\xbf\xbf", NULL);
  glong len = g_utf8_strlen (w, -1);
  guint max = len >= 8 ? 2 : 1;
  guint added = 0;

  if (sqlite3_prepare_v2 (db,
                          "SELECT word FROM similar_words WHERE word >= ?1 AND word < ?2 LIMIT 2000",
                          -1, &stmt, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_text (stmt, 1, lower, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, upper, -1, SQLITE_TRANSIENT);
  while (added < 3 && sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *term = (const char *) sqlite3_column_text (stmt, 0);

      if (edit_distance (w, term, max) <= max)
        {
          add_word_terms (match, seen, term);
          added++;
        }
    }
  sqlite3_finalize (stmt);
}

static GPtrArray *
build_terms (sqlite3              *db,
             const FlSimilarQuery *q)
{
  g_autofree char *text = g_strjoin (" ", q->title ? q->title : "",
                                     q->description ? q->description : "", NULL);
  g_autofree char *folded = fl_similar_fold (text);
  g_autoptr(GPtrArray) words = split_words (folded);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *match = g_ptr_array_new_with_free_func (term_free);

  for (guint i = 0; i < words->len; i++)
    {
      const char *w = words->pdata[i];
      int group;

      if (is_stopword (w) || g_utf8_strlen (w, -1) < 2)
        continue;

      add_word_terms (match, seen, w);
      group = synonym_group (w);
      if (group >= 0)
        {
          for (guint j = 0; synonyms[group][j]; j++)
            add_word_terms (match, seen, synonyms[group][j]);
          continue;
        }

      if (db != NULL && g_utf8_strlen (w, -1) >= 4 && !g_unichar_isdigit (g_utf8_get_char (w)))
        {
          g_autofree char *s = stem (w);

          if (!vocab_has_prefix (db, s))
            add_corrections (db, match, seen, w);
        }
    }

  return match;
}

/* The set of trigrams of a folded text (spaces squeezed). */
static GHashTable *
trigrams (const char *folded)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) words = split_words (folded);
  g_autofree char *joined = NULL;
  const char *p;

  g_ptr_array_add (words, NULL);
  joined = g_strjoinv (" ", (char **) words->pdata);

  for (p = joined; *p; p = g_utf8_next_char (p))
    {
      const char *q = g_utf8_next_char (p);
      const char *r;

      if (*q == '\0')
        break;
      r = g_utf8_next_char (q);
      if (*r == '\0')
        break;
      g_hash_table_add (set, g_strndup (p, g_utf8_next_char (r) - p));
    }

  return set;
}

static double
dice (GHashTable *a,
      GHashTable *b)
{
  GHashTableIter iter;
  gpointer key;
  guint common = 0;
  guint total = g_hash_table_size (a) + g_hash_table_size (b);

  if (total == 0)
    return 0.0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_hash_table_contains (b, key))
      common++;

  return 2.0 * common / total;
}

/* -------------------------------------------------------------------------- */

/* What the trigram index holds: the codes only (tokens with a digit, letters and
 * digits kept), the asset's too — a substring search for a code needs no more. */
static char *
tri_text (const char *title,
          const char *description,
          const char *resolution,
          const char *asset)
{
  g_autofree char *text = g_strjoin (" ", title ? title : "", description ? description : "",
                                     resolution ? resolution : "", asset ? asset : "", NULL);
  g_autofree char *folded = fl_similar_fold (text);
  g_autoptr(GPtrArray) codes = split_codes (folded);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < codes->len; i++)
    {
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, codes->pdata[i]);
    }

  return g_string_free (out, FALSE);
}

static void
sql_tri_text (sqlite3_context  *ctx,
              int               argc,
              sqlite3_value   **argv)
{
  char *text = tri_text ((const char *) sqlite3_value_text (argv[0]),
                         argc > 1 ? (const char *) sqlite3_value_text (argv[1]) : NULL,
                         argc > 2 ? (const char *) sqlite3_value_text (argv[2]) : NULL,
                         argc > 3 ? (const char *) sqlite3_value_text (argv[3]) : NULL);

  sqlite3_result_text (ctx, text, -1, g_free);
}

static void
sql_fold (sqlite3_context  *ctx,
          int               argc,
          sqlite3_value   **argv)
{
  char *text = fl_similar_fold ((const char *) sqlite3_value_text (argv[0]));

  (void) argc;
  sqlite3_result_text (ctx, text, -1, g_free);
}

void
fl_similar_register (sqlite3 *db)
{
  g_return_if_fail (db != NULL);

  sqlite3_create_function (db, "fl_similar_tri_text", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                           NULL, sql_tri_text, NULL, NULL);
  sqlite3_create_function (db, "fl_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                           NULL, sql_fold, NULL, NULL);
}

static gboolean
fail (sqlite3  *db,
      GError  **error)
{
  g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED, "similar index: %s",
               sqlite3_errmsg (db));
  return FALSE;
}

static void
bind (sqlite3_stmt *stmt,
      int           i,
      const char   *text)
{
  sqlite3_bind_text (stmt, i, text ? text : "", -1, SQLITE_TRANSIENT);
}

/* A statement from @cache (static SQL text), or prepared for one use. */
static sqlite3_stmt *
prepare (sqlite3       *db,
         FlSqliteCache *cache,
         const char    *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (cache != NULL)
    return fl_sqlite_cache_get (cache, sql, NULL);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

static void
release (FlSqliteCache *cache,
         sqlite3_stmt  *stmt)
{
  if (cache != NULL)
    sqlite3_reset (stmt);
  else
    sqlite3_finalize (stmt);
}

static gboolean
run (sqlite3        *db,
     FlSqliteCache  *cache,
     sqlite3_stmt   *stmt,
     GError        **error)
{
  int rc = sqlite3_step (stmt);

  release (cache, stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return fail (db, error);
  return TRUE;
}

gboolean
fl_similar_index (sqlite3             *db,
                  FlSqliteCache       *cache,
                  gint64               rowid,
                  const FlSimilarDoc  *doc,
                  GError             **error)
{
  static const char *sql_delete[] = {
    "DELETE FROM similar_fts WHERE rowid = ?1",
    "DELETE FROM similar_tri WHERE rowid = ?1",
  };
  static const char *sql_insert =
    "INSERT INTO similar_fts (rowid, title, description, resolution,"
    " category, requester, department, resolved_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  static const char *sql_word = "INSERT OR IGNORE INTO similar_words (word) VALUES (?1)";
  static const char *sql_tri = "INSERT INTO similar_tri (rowid, body) VALUES (?1, ?2)";
  sqlite3_stmt *stmt = NULL;
  g_autofree char *requester = NULL;
  g_autofree char *department = NULL;
  g_autofree char *tri = NULL;

  g_return_val_if_fail (db != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (sql_delete); i++)
    {
      if (!(stmt = prepare (db, cache, sql_delete[i])))
        return fail (db, error);
      sqlite3_bind_int64 (stmt, 1, rowid);
      if (!run (db, cache, stmt, error))
        return FALSE;
    }

  if (doc == NULL)
    return TRUE;

  requester = fl_similar_fold (doc->requester);
  department = fl_similar_fold (doc->department);
  if (!(stmt = prepare (db, cache, sql_insert)))
    return fail (db, error);
  sqlite3_bind_int64 (stmt, 1, rowid);
  bind (stmt, 2, doc->title);
  bind (stmt, 3, doc->description);
  bind (stmt, 4, doc->resolution);
  bind (stmt, 5, doc->category);
  bind (stmt, 6, requester);
  bind (stmt, 7, department);
  sqlite3_bind_int64 (stmt, 8, doc->resolved_at);
  if (!run (db, cache, stmt, error))
    return FALSE;

  {
    g_autofree char *text = g_strjoin (" ", doc->title ? doc->title : "",
                                       doc->description ? doc->description : "",
                                       doc->resolution ? doc->resolution : "", NULL);
    g_autofree char *folded = fl_similar_fold (text);
    g_autoptr(GPtrArray) words = split_words (folded);

    if (!(stmt = prepare (db, cache, sql_word)))
      return fail (db, error);
    for (guint i = 0; i < words->len; i++)
      {
        bind (stmt, 1, words->pdata[i]);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          {
            release (cache, stmt);
            return fail (db, error);
          }
        sqlite3_reset (stmt);
      }
    release (cache, stmt);
  }

  tri = tri_text (doc->title, doc->description, doc->resolution, doc->asset);
  if (*tri == '\0')
    return TRUE;
  if (!(stmt = prepare (db, cache, sql_tri)))
    return fail (db, error);
  sqlite3_bind_int64 (stmt, 1, rowid);
  bind (stmt, 2, tri);
  return run (db, cache, stmt, error);
}

/* -------------------------------------------------------------------------- */

typedef struct
{
  gint64  rowid;
  double  codes;        /* share of the request's codes found */
  double  score;
  char   *text[3];      /* title, description, resolution */
  char   *category;
  char   *requester;
  char   *department;
  gint64  resolved_at;
  guint   have_row : 1;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *c = data;

  for (guint i = 0; i < 3; i++)
    g_free (c->text[i]);
  g_free (c->category);
  g_free (c->requester);
  g_free (c->department);
  g_free (c);
}

#define CANDIDATE_COLUMNS "title, description, resolution, category, requester, department, resolved_at"

static void
candidate_read (Candidate    *c,
                sqlite3_stmt *stmt,
                int           col)
{
  if (c->have_row)
    return;
  for (guint i = 0; i < 3; i++)
    c->text[i] = g_strdup ((const char *) sqlite3_column_text (stmt, col + i));
  c->category = g_strdup ((const char *) sqlite3_column_text (stmt, col + 3));
  c->requester = g_strdup ((const char *) sqlite3_column_text (stmt, col + 4));
  c->department = g_strdup ((const char *) sqlite3_column_text (stmt, col + 5));
  c->resolved_at = sqlite3_column_int64 (stmt, col + 6);
  c->have_row = TRUE;
}

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *ca = *(Candidate * const *) a;
  const Candidate *cb = *(Candidate * const *) b;

  if (ca->score != cb->score)
    return ca->score > cb->score ? -1 : 1;
  return ca->rowid < cb->rowid ? 1 : (ca->rowid > cb->rowid ? -1 : 0);
}

static Candidate *
get_candidate (GHashTable *by_rowid,
               gint64      rowid)
{
  Candidate *c = g_hash_table_lookup (by_rowid, &rowid);

  if (c == NULL)
    {
      c = g_new0 (Candidate, 1);
      c->rowid = rowid;
      g_hash_table_insert (by_rowid, &c->rowid, c);
    }

  return c;
}

/* How many documents have @t, counted up to FREQUENT. */
static guint
count_docs (sqlite3 *db,
            Term    *t)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *phrase = g_strdup_printf ("\"%s\"%s", t->text, t->prefix ? "*" : "");
  guint n = 0;

  if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM (SELECT 1 FROM similar_fts"
                              " WHERE similar_fts MATCH ?1 LIMIT " G_STRINGIFY (FREQUENT) ")",
                          -1, &stmt, NULL) != SQLITE_OK)
    return FREQUENT;
  sqlite3_bind_text (stmt, 1, phrase, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  return n;
}

/* Runs @sql (?1: an FTS5 query, ?2: a category or NULL) and makes each row
 * (rowid, CANDIDATE_COLUMNS) a candidate. */
static gboolean
collect (sqlite3     *db,
         const char  *sql,
         const char  *match,
         const char  *category,
         GHashTable  *by_rowid,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return fail (db, error);
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  if (category)
    sqlite3_bind_text (stmt, 2, category, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    candidate_read (get_candidate (by_rowid, sqlite3_column_int64 (stmt, 0)), stmt, 1);
  sqlite3_finalize (stmt);

  return TRUE;
}

/* bm25 of one candidate for the terms, computed here: title 10, description 4,
 * resolution 2. */
static double
text_score (GPtrArray *terms,
            Candidate *c)
{
  static const double weight[3] = { 10.0, 4.0, 2.0 };
  static const double avg_len[3] = { 6.0, 14.0, 14.0 };
  double score = 0.0;

  for (guint col = 0; col < 3; col++)
    {
      g_autofree char *folded = fl_similar_fold (c->text[col]);
      g_autoptr(GPtrArray) words = split_words (folded);
      double norm = BM25_K1 * (1.0 - BM25_B + BM25_B * words->len / avg_len[col]);

      for (guint i = 0; i < terms->len; i++)
        {
          Term *t = terms->pdata[i];
          double idf = log (1.0 + (BM25_N - t->df + 0.5) / (t->df + 0.5));
          guint tf = 0;

          for (guint k = 0; k < words->len; k++)
            if (t->prefix ? g_str_has_prefix (words->pdata[k], t->text)
                          : strcmp (words->pdata[k], t->text) == 0)
              tf++;
          if (tf > 0)
            score += weight[col] * idf * (tf * (BM25_K1 + 1.0)) / (tf + norm);
        }
    }

  return score;
}

GArray *
fl_similar_search (sqlite3              *db,
                   const FlSimilarQuery *q,
                   GError              **error)
{
  g_autoptr(GHashTable) by_rowid = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                                          candidate_free);
  g_autoptr(GPtrArray) terms = NULL;
  g_autoptr(GPtrArray) frequent = g_ptr_array_new ();
  g_autofree char *rare = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *title_folded = NULL;
  g_autofree char *requester = NULL;
  g_autofree char *department = NULL;
  g_autoptr(GPtrArray) codes = NULL;
  g_autoptr(GHashTable) title_tri = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (FlSimilarHit));
  const char *category = q && q->category && *q->category ? q->category : NULL;
  sqlite3_stmt *stmt = NULL;
  double best_text = 0.0;
  guint limit;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (db != NULL && q != NULL, hits);
  limit = q->limit > 0 ? q->limit : 5;

  {
    g_autofree char *text = g_strjoin (" ", q->title ? q->title : "",
                                       q->description ? q->description : "", NULL);
    folded = fl_similar_fold (text);
  }
  codes = split_codes (folded);
  title_folded = fl_similar_fold (q->title && *q->title ? q->title : q->description);
  title_tri = trigrams (title_folded);
  requester = q->requester && *q->requester ? fl_similar_fold (q->requester) : NULL;
  department = q->department && *q->department ? fl_similar_fold (q->department) : NULL;

  /* 1. words: bm25 over the rare ones */
  terms = build_terms (db, q);
  for (guint i = 0; i < terms->len; i++)
    {
      Term *t = terms->pdata[i];

      t->df = count_docs (db, t);
      if (t->df >= FREQUENT)
        g_ptr_array_add (frequent, t);
    }

  rare = terms_to_match (terms, TRUE);
  g_debug ("%u terms, %u frequent; rare: %s", terms->len, frequent->len, rare ? rare : "-");
  if (rare != NULL &&
      !collect (db, "SELECT rowid, " CANDIDATE_COLUMNS " FROM similar_fts WHERE similar_fts MATCH ?1"
                    " ORDER BY bm25 (similar_fts, 10.0, 4.0, 2.0) LIMIT " G_STRINGIFY (N_CANDIDATES),
                rare, NULL, by_rowid, error))
    return hits;

  /* frequent terms: the latest documents with any of them (of the latest
   * FREQUENT_SCAN, those in the category when there is one) */
  if (frequent->len > 0)
    {
      g_autofree char *all = terms_to_match (frequent, FALSE);

      if (!collect (db, category
                        ? "SELECT rowid, " CANDIDATE_COLUMNS " FROM similar_fts"
                          " WHERE rowid IN (SELECT rowid FROM similar_fts WHERE similar_fts MATCH ?1"
                          "                 ORDER BY rowid DESC LIMIT " G_STRINGIFY (FREQUENT_SCAN) ")"
                          " AND category = ?2 ORDER BY rowid DESC LIMIT " G_STRINGIFY (N_CANDIDATES)
                        : "SELECT rowid, " CANDIDATE_COLUMNS " FROM similar_fts"
                          " WHERE similar_fts MATCH ?1 ORDER BY rowid DESC"
                          " LIMIT " G_STRINGIFY (N_CANDIDATES),
                    all, category, by_rowid, error))
        return hits;
    }

  /* 2. codes, as substrings of the trigram index */
  for (guint i = 0; i < codes->len; i++)
    {
      g_autofree char *phrase = g_strdup_printf ("\"%s\"", (const char *) codes->pdata[i]);

      if (sqlite3_prepare_v2 (db, "SELECT rowid FROM similar_tri WHERE similar_tri MATCH ?1 LIMIT 200",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          fail (db, error);
          return hits;
        }
      sqlite3_bind_text (stmt, 1, phrase, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        get_candidate (by_rowid, sqlite3_column_int64 (stmt, 0))->codes += 1.0 / codes->len;
      sqlite3_finalize (stmt);
    }

  /* the rows of candidates found by code only */
  if (sqlite3_prepare_v2 (db, "SELECT rowid, " CANDIDATE_COLUMNS " FROM similar_fts WHERE rowid = ?1",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      fail (db, error);
      return hits;
    }
  g_hash_table_iter_init (&iter, by_rowid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Candidate *c = value;

      if (c->have_row)
        continue;
      sqlite3_bind_int64 (stmt, 1, c->rowid);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        candidate_read (c, stmt, 1);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);

  /* 3. re-rank */
  list = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, by_rowid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Candidate *c = value;

      if (!c->have_row)
        continue;
      c->score = text_score (terms, c);
      best_text = MAX (best_text, c->score);
      g_ptr_array_add (list, c);
    }

  for (guint i = 0; i < list->len; i++)
    {
      Candidate *c = list->pdata[i];
      g_autofree char *cand_title = fl_similar_fold (c->text[0]);
      g_autoptr(GHashTable) cand_tri = trigrams (cand_title);
      double age_days;

      c->score = FL_SIMILAR_W_TEXT * (best_text > 0 ? c->score / best_text : 0.0)
                 + FL_SIMILAR_W_TRIGRAM * dice (title_tri, cand_tri)
                 + FL_SIMILAR_W_CODE * c->codes;
      if (category && g_strcmp0 (category, c->category) == 0)
        c->score += FL_SIMILAR_W_CATEGORY;
      if (requester && g_strcmp0 (requester, c->requester) == 0)
        c->score += FL_SIMILAR_W_REQUESTER;
      if (department && g_strcmp0 (department, c->department) == 0)
        c->score += FL_SIMILAR_W_DEPARTMENT;
      age_days = q->now > c->resolved_at ? (double) (q->now - c->resolved_at) / DAY_MS : 0.0;
      c->score += FL_SIMILAR_W_RECENCY * exp (-age_days / 180.0);
    }
  g_ptr_array_sort (list, compare_candidates);

  for (guint i = 0; i < list->len && hits->len < limit; i++)
    {
      Candidate *c = list->pdata[i];
      FlSimilarHit hit = { c->rowid, round (c->score * 1000.0) / 1000.0 };

      g_array_append_val (hits, hit);
    }

  return hits;
}

GArray *
fl_similar_search_baseline (sqlite3              *db,
                            const FlSimilarQuery *q,
                            GError              **error)
{
  g_autofree char *text = g_strjoin (" ", q->title ? q->title : "",
                                     q->description ? q->description : "", NULL);
  g_autofree char *folded = fl_similar_fold (text);
  g_autoptr(GPtrArray) words = split_words (folded);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) terms = g_ptr_array_new_with_free_func (term_free);
  g_autofree char *match = NULL;
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (FlSimilarHit));
  sqlite3_stmt *stmt = NULL;

  for (guint i = 0; i < words->len; i++)
    add_term (terms, seen, words->pdata[i], FALSE);
  match = terms_to_match (terms, FALSE);
  if (match == NULL)
    return hits;

  if (sqlite3_prepare_v2 (db,
                          "SELECT rowid, -bm25 (similar_fts) FROM similar_fts"
                          " WHERE similar_fts MATCH ?1 ORDER BY rank LIMIT ?2",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      fail (db, error);
      return hits;
    }
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, q->limit > 0 ? (int) q->limit : 5);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      FlSimilarHit hit = { sqlite3_column_int64 (stmt, 0), sqlite3_column_double (stmt, 1) };

      g_array_append_val (hits, hit);
    }
  sqlite3_finalize (stmt);

  return hits;
}

/* -------------------------------------------------------------------------- */

static GHashTable *
concept_set (const char *text)
{
  g_autofree char *folded = fl_similar_fold (text);
  g_autoptr(GPtrArray) words = split_words (folded);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < words->len; i++)
    {
      const char *w = words->pdata[i];
      int group;

      if (is_stopword (w) || g_utf8_strlen (w, -1) < 2)
        continue;
      group = synonym_group (w);
      if (group >= 0)
        g_hash_table_add (set, g_strdup_printf ("#%d", group));
      else
        g_hash_table_add (set, stem (w));
    }

  return set;
}

double
fl_similar_text_similarity (const char *a,
                            const char *b)
{
  g_autoptr(GHashTable) sa = concept_set (a);
  g_autoptr(GHashTable) sb = concept_set (b);

  return dice (sa, sb);
}

gboolean
fl_similar_index_ticket (sqlite3        *db,
                         FlSqliteCache  *cache,
                         gint64          rowid,
                         FlTicket       *t,
                         GError        **error)
{
  FlSimilarDoc doc;

  if (t->status != FL_STATUS_RESOLVED && t->status != FL_STATUS_CLOSED)
    return fl_similar_index (db, cache, rowid, NULL, error);

  doc = (FlSimilarDoc) {
    .title = t->title,
    .description = t->description,
    .resolution = t->resolution_summary,
    .category = t->category,
    .requester = t->requester.name,
    .department = t->requester.department,
    .asset = t->asset,
    .resolved_at = t->resolved_at > 0 ? t->resolved_at : t->updated_at,
  };
  return fl_similar_index (db, cache, rowid, &doc, error);
}
