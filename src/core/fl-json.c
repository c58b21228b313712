/* fl-json.c — checked access to untrusted JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-json"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-json.h"
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
                       _("field '%s' is required"), f);
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
               _("field '%s' must be %s"), f, expected);
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
    return type_error (prefix, name, _("a string"), error);

  str = json_node_get_string (node);
  if (!g_utf8_validate (str, -1, NULL))
    return type_error (prefix, name, _("valid UTF-8"), error);

  if (!fl_text_is_valid (str, min_chars, max_chars))
    {
      g_autofree char *f = field_name (prefix, name);
      if (min_chars > 0 && *str == '\0')
        g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                     _("field '%s' is required"), f);
      else
        g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                     _("field '%s' must have %u to %u characters"), f, min_chars, max_chars);
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
    return type_error (prefix, name, _("an integer"), error);

  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_autofree char *f = field_name (prefix, name);
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   _("field '%s' is out of range"), f);
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
    return type_error (prefix, name, _("true or false"), error);

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
    return type_error (prefix, name, _("an RFC 3339 time"), error);

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
    return type_error (prefix, name, _("a lowercase UUID"), error);

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
    return type_error (prefix, name, _("a string"), error);

  if (!from_string (json_node_get_string (node), out))
    {
      g_autofree char *f = field_name (prefix, name);
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   _("field '%s' has an unknown value"), f);
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
    return type_error (prefix, name, _("an object"), error);

  *out = json_node_get_object (node);
  return TRUE;
}

static JsonNode *
value_member (JsonObject *obj,
              const char *name,
              GType       type)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
_fl_json_string_member (JsonObject *obj,
                        const char *name,
                        const char *fallback)
{
  JsonNode *node = value_member (obj, name, G_TYPE_STRING);

  return node ? json_node_get_string (node) : fallback;
}

gint64
_fl_json_int_member (JsonObject *obj,
                     const char *name,
                     gint64      fallback)
{
  JsonNode *node = value_member (obj, name, G_TYPE_INT64);

  return node ? json_node_get_int (node) : fallback;
}

gboolean
_fl_json_bool_member (JsonObject *obj,
                      const char *name,
                      gboolean    fallback)
{
  JsonNode *node = value_member (obj, name, G_TYPE_BOOLEAN);

  return node ? json_node_get_boolean (node) : fallback;
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

/* -------------------------------------------------------------------------- */
/* Parsing untrusted bytes */

static gboolean
is_json_outside_char (char c)
{
  /* Whitespace, structure, numbers and the letters of true, false and null
   * (any letter: the parser rejects a wrong word itself). */
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',' ||
         g_ascii_isdigit (c) || c == '-' || c == '+' || c == '.' ||
         g_ascii_isalpha (c);
}

/* The code unit of the four hex digits at @p (of @avail bytes), or -1. */
static int
hex4 (const char *p,
      gsize       avail)
{
  int unit = 0;

  if (avail < 4)
    return -1;
  for (guint k = 0; k < 4; k++)
    {
      if (!g_ascii_isxdigit (p[k]))
        return -1;
      unit = unit * 16 + g_ascii_xdigit_value (p[k]);
    }
  return unit;
}

/* json-glib's scanner accepts more than JSON (comments, single-quoted strings,
 * identifiers) and recurses once per level of nesting, so a body that nests
 * deep enough overflows the stack. This check runs first and is exact for
 * what the parser will parse: outside double-quoted strings only JSON's own
 * characters may appear, so every bracket counted here is one the parser
 * nests. Escapes must be JSON's: json-glib takes "\x" for "x", turns a lone
 * surrogate ("\ud83d") into invalid UTF-8 and leaks memory on a high surrogate
 * followed by anything but a low one. An escaped NUL (\u0000) is refused too:
 * it would silently cut the C string the parser hands out. So is a second value after the first at the
 * top ("1 {}", "{} []"): json-glib 1.6 would return the first and leak the
 * others. */
static gboolean
check_json_text (const char  *data,
                 gsize        length,
                 GError     **error)
{
  gboolean in_string = FALSE;
  gboolean seen_value = FALSE;
  guint depth = 0;

  if (memchr (data, '\0', length) != NULL || !g_utf8_validate (data, (gssize) length, NULL))
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The data is not valid UTF-8 text"));
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '"')
            {
              in_string = FALSE;
            }
          else if (c == '\\')
            {
              int unit;
              int low;

              if (i + 1 >= length)
                break;
              i++;
              if (strchr ("\"\\/bfnrt", data[i]) != NULL)
                continue;
              if (data[i] != 'u' || (unit = hex4 (data + i + 1, length - i - 1)) < 0)
                goto not_json;
              i += 4;
              if (unit == 0)
                {
                  g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                                       _("The data contains a NUL character"));
                  return FALSE;
                }
              if (unit >= 0xdc00 && unit <= 0xdfff)
                goto not_json;
              if (unit >= 0xd800 && unit <= 0xdbff)
                {
                  if (i + 2 >= length || data[i + 1] != '\\' || data[i + 2] != 'u' ||
                      (low = hex4 (data + i + 3, length - i - 3)) < 0xdc00 || low > 0xdfff)
                    goto not_json;
                  i += 6;
                }
            }
          continue;
        }

      if (depth == 0 && seen_value && (c == '"' || c == '[' || c == '{'))
        {
          g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                               _("The data is not valid JSON"));
          return FALSE;
        }
      if (depth == 0 && !g_ascii_isspace (c))
        seen_value = TRUE;

      if (c == '"')
        {
          in_string = TRUE;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > FL_JSON_MAX_DEPTH)
            {
              g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The data nests deeper than %d levels"), FL_JSON_MAX_DEPTH);
              return FALSE;
            }
        }
      else if (c == ']' || c == '}')
        {
          if (depth > 0)
            depth--;
        }
      else if (!is_json_outside_char (c))
        {
          goto not_json;
        }
    }

  return TRUE;

not_json:
  g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                       _("The data is not valid JSON"));
  return FALSE;
}

/**
 * fl_json_parse:
 * @data: bytes from the network or a file, not necessarily NUL-terminated
 * @length: their length
 * @error: return location for an error in %FL_MODEL_ERROR (%FL_MODEL_ERROR_TYPE)
 *
 * Parses JSON from an untrusted source: valid UTF-8 without NUL, nothing but
 * JSON (no comments), nested at most %FL_JSON_MAX_DEPTH levels. Every parse of
 * bytes that Firstline did not write itself goes through here.
 *
 * Returns: (transfer full): the root node, or %NULL with @error set
 */
JsonNode *
fl_json_parse (const char  *data,
               gsize        length,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == 0 || length > G_MAXSSIZE)
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The data is not valid JSON"));
      return NULL;
    }
  if (!check_json_text (data, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local_error) ||
      (root = json_parser_get_root (parser)) == NULL)
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The data is not valid JSON"));
      return NULL;
    }

  return json_node_ref (root);
}

/**
 * fl_json_parse_object:
 *
 * Like fl_json_parse(), and the root must be an object.
 */
JsonNode *
fl_json_parse_object (const char  *data,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(JsonNode) root = fl_json_parse (data, length, error);

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The data is not a JSON object"));
      return NULL;
    }
  return g_steal_pointer (&root);
}

/**
 * fl_json_parse_file:
 * @path: a file
 * @max_size: the largest file accepted, in bytes
 *
 * Reads @path (at most @max_size bytes) and parses it with fl_json_parse().
 * Errors are prefixed with the file's name.
 */
JsonNode *
fl_json_parse_file (const char  *path,
                    gsize        max_size,
                    GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GByteArray) buffer = NULL;
  g_autofree char *name = NULL;
  guint8 chunk[16384];
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;

  name = g_path_get_basename (path);
  buffer = g_byte_array_new ();
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (stream), chunk, sizeof chunk, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (buffer->len + (gsize) n > max_size)
        {
          g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                       _("%s: the file is larger than %lu bytes"), name, (gulong) max_size);
          return NULL;
        }
      g_byte_array_append (buffer, chunk, (guint) n);
    }

  root = fl_json_parse ((const char *) buffer->data, buffer->len, error);
  if (root == NULL)
    g_prefix_error (error, "%s: ", name);
  return root;
}
