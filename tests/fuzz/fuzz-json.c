/* fuzz-json.c — fl_json_parse(): the check before json-glib, then json-glib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fuzz-common.h"

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
    }

  return 0;
}
