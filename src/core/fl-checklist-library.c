/* fl-checklist-library.c — which checklist definitions the app offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-checklist-library"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-checklist-library.h"
#include "fl-data.h"

struct _FlChecklistLibrary
{
  GObject     parent_instance;

  /* owned */
  FlStore    *store;
  GPtrArray  *builtin;     /* FlChecklist, sorted by id */
  GHashTable *published;   /* "id\nversion" → FlChecklist, every version seen in the store */
  GHashTable *parsed;      /* definition text → FlChecklist, or NULL when invalid */
  GPtrArray  *latest;      /* FlChecklist (refs), the newest of each id, sorted by id */
};

G_DEFINE_FINAL_TYPE (FlChecklistLibrary, fl_checklist_library, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static char *
make_key (const char *id,
          gint64      version)
{
  return g_strdup_printf ("%s\n%" G_GINT64_FORMAT, id, version);
}

static int
compare_by_id (gconstpointer a,
               gconstpointer b)
{
  FlChecklist *ca = *(FlChecklist * const *) a;
  FlChecklist *cb = *(FlChecklist * const *) b;

  return g_strcmp0 (fl_checklist_get_id (ca), fl_checklist_get_id (cb));
}

/* Parses one definition from the store; NULL (and a warning) when it is not valid. */
static FlChecklist *
parse_definition (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  FlChecklist *checklist;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    {
      g_warning ("A checklist in the cache is not JSON: %s", error->message);
      return NULL;
    }

  checklist = fl_checklist_new_from_json (json_parser_get_root (parser), &error);
  if (checklist == NULL)
    g_warning ("A checklist in the cache is not valid: %s", error->message);

  return checklist;
}

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static FlChecklist *
find_in (GPtrArray  *checklists,
         const char *id)
{
  return checklists != NULL ? fl_checklist_find_by_id (checklists, id) : NULL;
}

static void
fl_checklist_library_finalize (GObject *object)
{
  FlChecklistLibrary *self = (FlChecklistLibrary *)object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->builtin, g_ptr_array_unref);
  g_clear_pointer (&self->published, g_hash_table_unref);
  g_clear_pointer (&self->parsed, g_hash_table_unref);
  g_clear_pointer (&self->latest, g_ptr_array_unref);

  G_OBJECT_CLASS (fl_checklist_library_parent_class)->finalize (object);
}

static void
fl_checklist_library_class_init (FlChecklistLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_checklist_library_finalize;

  signals [CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
fl_checklist_library_init (FlChecklistLibrary *self)
{
  self->published = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->parsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  self->latest = g_ptr_array_new_with_free_func (g_object_unref);
}

char *
fl_checklist_library_dup_default_dir (void)
{
  const char *env = g_getenv ("FIRSTLINE_CHECKLIST_DIR");
  g_autofree char *installed = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  installed = g_build_filename (PKGDATADIR, "checklists", NULL);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);

  /* Not installed: the copy built into the program */
  return NULL;
}

FlChecklistLibrary *
fl_checklist_library_new (FlStore    *store,
                          const char *builtin_dir)
{
  g_autoptr(FlChecklistLibrary) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  self = g_object_new (FL_TYPE_CHECKLIST_LIBRARY, NULL);
  self->store = g_object_ref (store);

  dir = builtin_dir != NULL ? g_strdup (builtin_dir) : fl_checklist_library_dup_default_dir ();
  if (dir != NULL)
    self->builtin = fl_checklist_load_dir (dir, &error);
  else
    self->builtin = fl_data_load_checklists (&error);
  if (self->builtin == NULL)
    {
      g_warning ("Cannot load the built-in checklists from %s: %s",
                 dir != NULL ? dir : "the program", error->message);
      self->builtin = g_ptr_array_new_with_free_func (g_object_unref);
    }
  g_ptr_array_sort (self->builtin, compare_by_id);

  fl_checklist_library_refresh (self);

  return g_steal_pointer (&self);
}

gboolean
fl_checklist_library_refresh (FlChecklistLibrary *self)
{
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) latest = NULL;
  g_autoptr(GError) error = NULL;
  gboolean changed;

  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), FALSE);

  latest = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->builtin->len; i++)
    g_ptr_array_add (latest, g_object_ref (g_ptr_array_index (self->builtin, i)));

  texts = fl_store_list_checklists (self->store, &error);
  if (texts == NULL)
    g_warning ("Cannot read the published checklists: %s", error->message);

  for (guint i = 0; texts != NULL && i < texts->len; i++)
    {
      const char *text = g_ptr_array_index (texts, i);
      g_autofree char *key = NULL;
      FlChecklist *checklist;
      FlChecklist *existing;

      /* Each definition is parsed and validated once. */
      if (!g_hash_table_lookup_extended (self->parsed, text, NULL, (gpointer *) &checklist))
        {
          checklist = parse_definition (text);
          g_hash_table_insert (self->parsed, g_strdup (text), checklist);
          if (checklist != NULL)
            {
              key = make_key (fl_checklist_get_id (checklist), fl_checklist_get_version (checklist));
              if (!g_hash_table_contains (self->published, key))
                g_hash_table_insert (self->published, g_steal_pointer (&key),
                                     g_object_ref (checklist));
              else
                checklist = g_hash_table_lookup (self->published, key);
            }
        }
      if (checklist == NULL)
        continue;

      /* A published version wins only when it is newer than the built-in one. */
      existing = find_in (latest, fl_checklist_get_id (checklist));
      if (existing == NULL)
        g_ptr_array_add (latest, g_object_ref (checklist));
      else if (fl_checklist_get_version (checklist) > fl_checklist_get_version (existing))
        {
          guint index;

          g_ptr_array_find (latest, existing, &index);
          g_ptr_array_index (latest, index) = g_object_ref (checklist);
          g_object_unref (existing);
        }
    }
  g_ptr_array_sort (latest, compare_by_id);

  changed = latest->len != self->latest->len;
  for (guint i = 0; !changed && i < latest->len; i++)
    changed = g_ptr_array_index (latest, i) != g_ptr_array_index (self->latest, i);

  g_ptr_array_unref (self->latest);
  self->latest = g_steal_pointer (&latest);

  if (changed)
    g_signal_emit (self, signals [CHANGED], 0);

  return changed;
}

GPtrArray *
fl_checklist_library_list (FlChecklistLibrary *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);

  return self->latest;
}

FlChecklist *
fl_checklist_library_get_latest (FlChecklistLibrary *self,
                                 const char         *id)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return find_in (self->latest, id);
}

FlChecklist *
fl_checklist_library_lookup (FlChecklistLibrary *self,
                             const char         *id,
                             gint64              version)
{
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;
  g_autoptr(FlChecklist) parsed = NULL;
  FlChecklist *builtin;
  FlChecklist *checklist;

  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  builtin = find_in (self->builtin, id);
  if (builtin != NULL && fl_checklist_get_version (builtin) == version)
    return builtin;

  key = make_key (id, version);
  checklist = g_hash_table_lookup (self->published, key);
  if (checklist != NULL)
    return checklist;

  /* An older version the list of newest ones does not hold */
  text = fl_store_dup_checklist (self->store, id, version, NULL);
  if (text == NULL || (parsed = parse_definition (text)) == NULL)
    return NULL;
  if (g_strcmp0 (fl_checklist_get_id (parsed), id) != 0 ||
      fl_checklist_get_version (parsed) != version)
    return NULL;

  checklist = parsed;
  g_hash_table_insert (self->published, g_steal_pointer (&key), g_steal_pointer (&parsed));
  return checklist;
}

FlChecklist *
fl_checklist_library_find_for_category (FlChecklistLibrary *self,
                                        const char         *category)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);

  if (category == NULL)
    return NULL;

  return fl_checklist_find_for_category (self->latest, category);
}

static gboolean
is_checklist_event (FlEvent     *event,
                    const char **out_id)
{
  const char *id;

  if (event->type != FL_OP_CHECKLIST || event->data == NULL)
    return FALSE;

  id = json_object_get_string_member_with_default (event->data, "checklist_id", NULL);
  if (id == NULL)
    return FALSE;

  if (out_id)
    *out_id = id;
  return TRUE;
}

FlChecklist *
fl_checklist_library_get_for_events (FlChecklistLibrary *self,
                                     const char         *id,
                                     GPtrArray          *events)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      FlEvent *event = g_ptr_array_index (events, i);
      const char *event_id;
      FlChecklist *checklist;

      if (!is_checklist_event (event, &event_id) || g_strcmp0 (event_id, id) != 0)
        continue;

      checklist = fl_checklist_library_lookup (self, id,
                                               json_object_get_int_member_with_default (event->data,
                                                                                        "checklist_version",
                                                                                        0));
      if (checklist != NULL)
        return checklist;
      break;
    }

  /* The version it started with is gone: replay by step id on the newest one. */
  return fl_checklist_library_get_latest (self, id);
}

const char *
fl_checklist_library_get_last_used_id (GPtrArray *events)
{
  for (guint i = events ? events->len : 0; i > 0; i--)
    {
      const char *id;

      if (is_checklist_event (g_ptr_array_index (events, i - 1), &id))
        return id;
    }

  return NULL;
}

FlChecklist *
fl_checklist_library_get_for_ticket (FlChecklistLibrary *self,
                                     FlTicket           *ticket,
                                     GPtrArray          *events)
{
  const char *id;
  FlChecklist *checklist;

  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);
  g_return_val_if_fail (FL_IS_TICKET (ticket), NULL);

  id = fl_checklist_library_get_last_used_id (events);
  if (id != NULL && (checklist = fl_checklist_library_get_for_events (self, id, events)) != NULL)
    return checklist;

  return fl_checklist_library_find_for_category (self, ticket->category);
}

FlChecklistRun *
fl_checklist_library_new_run (FlChecklistLibrary *self,
                              const char         *id,
                              GPtrArray          *events)
{
  FlChecklist *checklist;

  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  checklist = fl_checklist_library_get_for_events (self, id, events);
  if (checklist == NULL)
    return NULL;

  return fl_checklist_run_new (checklist, events);
}

GStrv
fl_checklist_library_dup_steps_tried (FlChecklistLibrary *self,
                                      GPtrArray          *events)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  g_return_val_if_fail (FL_IS_CHECKLIST_LIBRARY (self), NULL);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      const char *id;

      if (is_checklist_event (g_ptr_array_index (events, i), &id) &&
          !g_ptr_array_find_with_equal_func (ids, id, g_str_equal, NULL))
        g_ptr_array_add (ids, (gpointer) id);
    }

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      g_autoptr(FlChecklistRun) run = fl_checklist_library_new_run (self, id, events);

      if (run != NULL)
        {
          g_auto(GStrv) lines = fl_checklist_run_dup_steps_tried (run);
          g_strv_builder_addv (builder, (const char **) lines);
          continue;
        }

      /* A checklist this app does not know: keep what was recorded, as it was. */
      for (guint j = 0; j < events->len; j++)
        {
          FlEvent *event = g_ptr_array_index (events, j);
          const char *event_id;
          const char *step_id;
          const char *answer;
          g_autofree char *line = NULL;

          if (!is_checklist_event (event, &event_id) || !g_str_equal (event_id, id))
            continue;
          step_id = json_object_get_string_member_with_default (event->data, "step_id", "");
          if (g_str_equal (step_id, FL_CHECKLIST_RESTART_STEP))
            continue;
          answer = json_object_get_string_member_with_default (event->data, "value", NULL);
          if (answer == NULL)
            answer = json_object_get_string_member_with_default (event->data, "outcome", "");
          /* Translators: a checklist step and its answer ("Is the cable plugged in? — yes") */
          line = g_strdup_printf (_("%s — %s"), step_id, answer);
          g_strv_builder_add (builder, line);
        }
    }

  return g_strv_builder_end (builder);
}
