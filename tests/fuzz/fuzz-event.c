/* fuzz-event.c — an event as the server sends it: fl_event_from_json(), and
 * the sentence the timeline shows for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fl-ticket.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FlEvent) event = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(FlEvent) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  fl_fuzz_init ();

  if (!(root = fl_json_parse ((const char *) data, size, NULL)))
    return 0;
  event = fl_event_from_json (root, &error);
  g_assert ((event == NULL) == (error != NULL));
  if (event == NULL)
    return 0;

  text = fl_event_describe (event);
  g_assert (text != NULL && g_utf8_validate (text, -1, NULL));

  json = fl_event_to_json (event);
  if (event->at != 0)
    {
      g_clear_error (&error);
      again = fl_event_from_json (json, &error);
      if (again == NULL)
        g_error ("an event written by fl_event_to_json() was refused: %s", error->message);
    }

  return 0;
}
