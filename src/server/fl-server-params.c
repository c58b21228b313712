/* fl-server-params.c — the query parameters of firstline-server's requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fl-server-params.h"
#include "fl-types.h"

gboolean
fl_server_param_time (const char *text,
                      gboolean    end_of_day,
                      gint64     *out)
{
  int y, m, d;
  char rest;

  if (text == NULL || *text == '\0')
    return TRUE;

  if (strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &rest) == 3)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_utc (y, m, d, 0, 0, 0);

      if (dt == NULL)
        return FALSE;
      /* The next day by arithmetic: GDateTime has none after 9999-12-31,
       * whose end is its last millisecond (a time that can be written back). */
      *out = g_date_time_to_unix (dt) * 1000;
      if (end_of_day)
        *out += 24 * 3600 * 1000LL - (y == 9999 && m == 12 && d == 31 ? 1 : 0);
      return TRUE;
    }

  return fl_time_parse (text, out);
}

gboolean
fl_server_param_int (const char *text,
                     gint64      min,
                     gint64      max,
                     gint64     *out)
{
  guint64 value;

  if (text == NULL || *text == '\0')
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *out = CLAMP ((gint64) value, min, max);
  return TRUE;
}

const char *
fl_server_param_text (GHashTable *query,
                      const char *name)
{
  const char *value = query ? g_hash_table_lookup (query, name) : NULL;

  if (value == NULL || *value == '\0')
    return NULL;
  return value;
}
