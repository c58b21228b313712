/* fuzz-categories.c — the app's category list: fl_categories_parse()
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-categories.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const languages[] = { "de_DE", "de", "pt_BR", NULL };
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(GError) error = NULL;

  fl_fuzz_init ();

  if (size > G_MAXSSIZE)
    return 0;
  categories = fl_categories_parse ((const char *) data, (gssize) size, &error);
  g_assert ((categories == NULL) == (error != NULL));
  if (categories == NULL)
    return 0;

  for (guint i = 0; i < categories->len; i++)
    {
      FlCategory *category = g_ptr_array_index (categories, i);
      const char * const *fields = fl_intake_get_fields ();

      g_assert (fl_category_get_label_for (category, languages) != NULL);
      fl_category_get_note_for (category, languages);
      for (guint f = 0; fields[f]; f++)
        fl_category_requires (category, fields[f]);
      g_assert (fl_categories_find (categories, category->id) != NULL);
    }

  return 0;
}
