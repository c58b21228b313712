/* fl-json-private.h — checked access to untrusted JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fl-types.h"

G_BEGIN_DECLS

typedef enum
{
  FL_FIELD_OPTIONAL = 0,
  FL_FIELD_REQUIRED = 1 << 0,
  FL_FIELD_NULLABLE = 1 << 1,
} FlFieldFlags;

/* Each returns TRUE when the member is absent (and optional) or valid; *out is
 * only written when the member is present. Errors name the field. */
gboolean _fl_json_get_string (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              guint          min_chars,
                              guint          max_chars,
                              char         **out,
                              gboolean      *present,
                              GError       **error);
gboolean _fl_json_get_int    (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              gint64         min,
                              gint64         max,
                              gint64        *out,
                              gboolean      *present,
                              GError       **error);
gboolean _fl_json_get_bool   (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              gboolean      *out,
                              gboolean      *present,
                              GError       **error);
gboolean _fl_json_get_time   (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              gint64        *out,
                              gboolean      *present,
                              GError       **error);
gboolean _fl_json_get_uuid   (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              char         **out,
                              GError       **error);
gboolean _fl_json_get_enum   (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              gboolean     (*from_string) (const char *, int *),
                              int           *out,
                              gboolean      *present,
                              GError       **error);
gboolean _fl_json_get_object (JsonObject    *obj,
                              const char    *prefix,
                              const char    *name,
                              FlFieldFlags   flags,
                              JsonObject   **out,
                              GError       **error);

/* For members nothing validated: the value when the member holds a string
 * (an integer, a boolean), else @fallback. Unlike json-glib's
 * json_object_get_*_member_with_default(), never NULL for a string of another
 * type and no critical for an object or array. */
const char *_fl_json_string_member (JsonObject  *obj,
                                    const char  *name,
                                    const char  *fallback);
gint64      _fl_json_int_member    (JsonObject  *obj,
                                    const char  *name,
                                    gint64       fallback);
gboolean    _fl_json_bool_member   (JsonObject  *obj,
                                    const char  *name,
                                    gboolean     fallback);

void     _fl_json_add_string_or_null (JsonBuilder *builder,
                                      const char  *name,
                                      const char  *value);
void     _fl_json_add_time_or_null   (JsonBuilder *builder,
                                      const char  *name,
                                      gint64       ms);

G_END_DECLS
