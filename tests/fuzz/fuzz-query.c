/* fuzz-query.c — a request's query string on the server: soup_form_decode(),
 * then each parameter as the ticket list and the report read them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>

#include "fl-server-params.h"
#include "fl-types.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const texts[] = { "status", "category", "assignee", "queue", "q" };
  static const struct { const char *name; gint64 min, max; } ints[] = {
    { "level", 1, 2 }, { "limit", 1, 500 }, { "offset", 0, G_MAXINT32 },
  };
  g_autofree char *raw = NULL;
  g_autoptr(GHashTable) query = NULL;
  FlStatus status;

  fl_fuzz_init ();

  /* libsoup hands the server the query of the request's URI, a C string. */
  raw = fl_fuzz_strndup (data, size);
  query = soup_form_decode (raw);
  if (query == NULL)
    return 0;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const char *value = fl_server_param_text (query, texts[i]);

      if (value != NULL && fl_text_is_valid (value, 1, 1000) && g_str_equal (texts[i], "status"))
        fl_status_from_string (value, &status);
    }

  for (guint i = 0; i < G_N_ELEMENTS (ints); i++)
    {
      gint64 value = -1;

      if (fl_server_param_int (fl_server_param_text (query, ints[i].name),
                               ints[i].min, ints[i].max, &value) && value != -1)
        g_assert (value >= ints[i].min && value <= ints[i].max);
    }

  for (guint end = 0; end < 2; end++)
    {
      gint64 from = 0;
      gint64 to = 0;

      fl_server_param_time (fl_server_param_text (query, "from"), end, &from);
      fl_server_param_time (fl_server_param_text (query, "to"), end, &to);
    }

  return 0;
}
