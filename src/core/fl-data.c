/* fl-data.c — the built-in categories and checklists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-data"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-checklist.h"
#include "fl-data.h"
#include "fl-data-resources.h"
#include "fl-json.h"

#define CHECKLISTS_PATH FL_DATA_RESOURCE_PATH "/checklists/"

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GBytes *
fl_data_lookup (const char  *name,
                GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  path = g_build_path ("/", FL_DATA_RESOURCE_PATH, name, NULL);
  /* Looked up in our own bundle: a static library would otherwise drop it. */
  return g_resource_lookup_data (fl_data_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, error);
}

GStrv
fl_data_list_checklists (void)
{
  g_auto(GStrv) children = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  children = g_resource_enumerate_children (fl_data_get_resource (), CHECKLISTS_PATH,
                                            G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  for (guint i = 0; children != NULL && children[i] != NULL; i++)
    if (g_str_has_suffix (children[i], ".json"))
      g_ptr_array_add (names, children[i]);
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (names, i));

  return g_strv_builder_end (builder);
}

GPtrArray *
fl_data_load_checklists (GError **error)
{
  g_autoptr(GPtrArray) checklists = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) names = fl_data_list_checklists ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = g_strconcat ("checklists/", names[i], NULL);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(FlChecklist) checklist = NULL;
      gsize length;
      const char *data;

      if (!(bytes = fl_data_lookup (name, error)))
        return NULL;
      data = g_bytes_get_data (bytes, &length);
      if (!(root = fl_json_parse (data, length, error)) ||
          !(checklist = fl_checklist_new_from_json (root, error)))
        {
          g_prefix_error (error, "%s: ", names[i]);
          return NULL;
        }
      if (fl_checklist_find_by_id (checklists, fl_checklist_get_id (checklist)) != NULL)
        {
          g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_DUPLICATE_ID,
                       _("%s: checklist id '%s' is already defined by another file"),
                       names[i], fl_checklist_get_id (checklist));
          return NULL;
        }
      g_ptr_array_add (checklists, g_steal_pointer (&checklist));
    }

  return g_steal_pointer (&checklists);
}

gboolean
fl_data_write_checklists (const char  *dir,
                          GError     **error)
{
  g_auto(GStrv) names = fl_data_list_checklists ();

  g_return_val_if_fail (dir != NULL, FALSE);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = g_strconcat ("checklists/", names[i], NULL);
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr(GBytes) bytes = fl_data_lookup (name, error);
      gsize length;
      const char *data;

      if (bytes == NULL)
        return FALSE;
      data = g_bytes_get_data (bytes, &length);
      if (!g_file_set_contents (path, data, length, error))
        return FALSE;
    }

  return TRUE;
}
