/* fl-server-params.h — the query parameters of firstline-server's requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each returns TRUE and leaves *out alone when the parameter is absent or empty. */

/* An RFC 3339 time, or a date YYYY-MM-DD: its start, or with @end_of_day the
 * start of the next day. In milliseconds since the epoch. */
gboolean    fl_server_param_time (const char *text,
                                  gboolean    end_of_day,
                                  gint64     *out);
/* A decimal number, clamped to @min … @max. */
gboolean    fl_server_param_int  (const char *text,
                                  gint64      min,
                                  gint64      max,
                                  gint64     *out);
/* The value of @name in @query (from soup_form_decode()); NULL when absent or empty. */
const char *fl_server_param_text (GHashTable *query,
                                  const char *name);

G_END_DECLS
