/* fuzz-json.c — fl_json_parse(): the check before json-glib, then json-glib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fuzz-common.h"

/* Every string the parser hands out is valid UTF-8 (callers rely on it). */
static void
check_strings (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          g_assert (g_utf8_validate (name, -1, NULL));
          check_strings (member);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        check_strings (json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_assert (g_utf8_validate (json_node_get_string (node), -1, NULL));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) object = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) object_error = NULL;

  fl_fuzz_init ();

  root = fl_json_parse ((const char *) data, size, &error);
  g_assert ((root == NULL) == (error != NULL));

  object = fl_json_parse_object ((const char *) data, size, &object_error);
  g_assert ((object == NULL) == (object_error != NULL));
  g_assert (object == NULL || (root != NULL && JSON_NODE_HOLDS_OBJECT (root)));

  if (root != NULL)
    {
      /* What was accepted can be written out again, as the store and the
       * server do with every body they keep. */
      g_autofree char *text = json_to_string (root, FALSE);

      g_assert (text != NULL);
      check_strings (root);
    }

  return 0;
}
