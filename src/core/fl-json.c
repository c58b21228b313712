/* fl-json.c — checked access to untrusted JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-json"

#include "config.h"

#include "fl-json-private.h"

static char *
field_name (const char *prefix,
            const char *name)
{
  if (prefix != NULL && *prefix)
    return g_strdup_printf ("%s.%s", prefix, name);
  return g_strdup (name);
}

/* Looks the member up: returns FALSE with an error when required and absent;
 * *node is NULL when absent or (nullable and) null. */
static gboolean
get_member (JsonObject    *obj,
            const char    *prefix,
            const char    *name,
            FlFieldFlags   flags,
            JsonNode     **node,
            GError       **error)
{
  JsonNode *n = json_object_get_member (obj, name);

  *node = NULL;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      if (n != NULL && (flags & FL_FIELD_NULLABLE))
        return TRUE;
      if (flags & FL_FIELD_REQUIRED || n != NULL)
        {
          g_autofree char *f = field_name (prefix, name);
          g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                       "field '%s' is required", f);
          return FALSE;
        }
      return TRUE;
    }

  *node = n;
  return TRUE;
}

static gboolean
type_error (const char  *prefix,
            const char  *name,
            const char  *expected,
            GError     **error)
{
  g_autofree char *f = field_name (prefix, name);
  g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
               "field '%s' must be %s", f, expected);
  return FALSE;
}

gboolean
_fl_json_get_string (JsonObject    *obj,
                     const char    *prefix,
                     const char    *name,
                     FlFieldFlags   flags,
                     guint          min_chars,
                     guint          max_chars,
                     char         **out,
                     gboolean      *present,
                     GError       **error)
{
  JsonNode *node;
  const char *str;

  if (present)
    *present = json_object_has_member (obj, name);

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;

  if (node == NULL)
    {
      if (json_object_has_member (obj, name))
        g_clear_pointer (out, g_free);   /* explicit null */
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return type_error (prefix, name, "a string", error);

  str = json_node_get_string (node);
  if (!g_utf8_validate (str, -1, NULL))
    return type_error (prefix, name, "valid UTF-8", error);

  if (!fl_text_is_valid (str, min_chars, max_chars))
    {
      g_autofree char *f = field_name (prefix, name);
      if (min_chars > 0 && *str == '\0')
        g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                     "field '%s' is required", f);
      else
        g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                     "field '%s' must have %u to %u characters", f, min_chars, max_chars);
      return FALSE;
    }

  g_free (*out);
  *out = g_strdup (str);
  return TRUE;
}

gboolean
_fl_json_get_int (JsonObject    *obj,
                  const char    *prefix,
                  const char    *name,
                  FlFieldFlags   flags,
                  gint64         min,
                  gint64         max,
                  gint64        *out,
                  gboolean      *present,
                  GError       **error)
{
  JsonNode *node;
  gint64 v;

  if (present)
    *present = json_object_has_member (obj, name);

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return type_error (prefix, name, "an integer", error);

  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_autofree char *f = field_name (prefix, name);
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   "field '%s' is out of range", f);
      return FALSE;
    }

  *out = v;
  return TRUE;
}

gboolean
_fl_json_get_bool (JsonObject    *obj,
                   const char    *prefix,
                   const char    *name,
                   FlFieldFlags   flags,
                   gboolean      *out,
                   gboolean      *present,
                   GError       **error)
{
  JsonNode *node;

  if (present)
    *present = json_object_has_member (obj, name);

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return type_error (prefix, name, "true or false", error);

  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
_fl_json_get_time (JsonObject    *obj,
                   const char    *prefix,
                   const char    *name,
                   FlFieldFlags   flags,
                   gint64        *out,
                   gboolean      *present,
                   GError       **error)
{
  JsonNode *node;
  gint64 v;

  if (present)
    *present = json_object_has_member (obj, name);

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    {
      if (json_object_has_member (obj, name))
        *out = 0;
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      !fl_time_parse (json_node_get_string (node), &v))
    return type_error (prefix, name, "an RFC 3339 time", error);

  *out = v;
  return TRUE;
}

gboolean
_fl_json_get_uuid (JsonObject    *obj,
                   const char    *prefix,
                   const char    *name,
                   FlFieldFlags   flags,
                   char         **out,
                   GError       **error)
{
  JsonNode *node;

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      !fl_uuid_is_valid (json_node_get_string (node)))
    return type_error (prefix, name, "a lowercase UUID", error);

  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
_fl_json_get_enum (JsonObject    *obj,
                   const char    *prefix,
                   const char    *name,
                   FlFieldFlags   flags,
                   gboolean     (*from_string) (const char *, int *),
                   int           *out,
                   gboolean      *present,
                   GError       **error)
{
  JsonNode *node;

  if (present)
    *present = json_object_has_member (obj, name);

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return type_error (prefix, name, "a string", error);

  if (!from_string (json_node_get_string (node), out))
    {
      g_autofree char *f = field_name (prefix, name);
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   "field '%s' has an unknown value", f);
      return FALSE;
    }

  return TRUE;
}

gboolean
_fl_json_get_object (JsonObject    *obj,
                     const char    *prefix,
                     const char    *name,
                     FlFieldFlags   flags,
                     JsonObject   **out,
                     GError       **error)
{
  JsonNode *node;

  *out = NULL;

  if (!get_member (obj, prefix, name, flags, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (prefix, name, "an object", error);

  *out = json_node_get_object (node);
  return TRUE;
}

void
_fl_json_add_string_or_null (JsonBuilder *builder,
                             const char  *name,
                             const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
_fl_json_add_time_or_null (JsonBuilder *builder,
                           const char  *name,
                           gint64       ms)
{
  json_builder_set_member_name (builder, name);
  if (ms != 0)
    {
      g_autofree char *s = fl_time_format (ms);
      json_builder_add_string_value (builder, s);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
}
