/* fl-categories.c — the ticket categories and the fields each one requires
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-categories"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "fl-categories.h"
#include "fl-data.h"
#include "fl-json.h"

static const char * const intake_fields[] = {
  "requester.name",
  "requester.phone",
  "requester.email",
  "requester.department",
  "requester.location",
  "asset",
  "channel",
  "category",
  "impact",
  "urgency",
  "title",
  "description",
  NULL
};

static const char * const always_required[] = {
  "requester.name",
  "channel",
  "category",
  "title",
  NULL
};

static const struct
{
  const char *id;
  const char *label;
} builtin_categories[] = {
  { "password", N_("Password") },
  { "account",  N_("Account") },
  { "software", N_("Software") },
  { "network",  N_("Network") },
  { "hardware", N_("Hardware") },
  { "printer",  N_("Printer") },
  { "email",    N_("E-mail") },
  { "other",    N_("Other") },
};

G_DEFINE_QUARK (fl-categories-error-quark, fl_categories_error)

static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError    **error,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, FL_CATEGORIES_ERROR, FL_CATEGORIES_ERROR_INVALID, message);

  return FALSE;
}

static gboolean
is_valid_id (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > FL_CATEGORY_ID_MAX)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_language (const char *lang)
{
  gsize len = strlen (lang);

  if (len < 2 || len > 16)
    return FALSE;
  for (const char *p = lang; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '@' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_text (const char *text,
               glong       max_chars)
{
  glong n;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  n = g_utf8_strlen (text, -1);
  if (n < 1 || n > max_chars)
    return FALSE;
  /* No control characters in a one-line label. */
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* {"en": "…", "de": "…"} */
static GHashTable *
parse_localized (JsonNode    *node,
                 const char  *id,
                 const char  *member,
                 glong        max_chars,
                 gboolean     need_english,
                 GError     **error)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonObjectIter iter;
  const char *lang;
  JsonNode *value;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "category “%s”: “%s” must be an object of languages", id, member), NULL;

  object = json_node_get_object (node);
  if (json_object_get_size (object) > FL_CATEGORY_LANGUAGES_MAX)
    return invalid (error, "category “%s”: “%s” has too many languages", id, member), NULL;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &lang, &value))
    {
      const char *text;

      if (!is_valid_language (lang))
        return invalid (error, "category “%s”: “%s” has an invalid language name", id, member), NULL;
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return invalid (error, "category “%s”: “%s.%s” must be a string", id, member, lang), NULL;
      text = json_node_get_string (value);
      if (!is_valid_text (text, max_chars))
        return invalid (error, "category “%s”: “%s.%s” must be 1 to %ld characters of text",
                        id, member, lang, max_chars), NULL;
      g_hash_table_replace (table, g_strdup (lang), g_strdup (text));
    }

  if (need_english && !g_hash_table_contains (table, "en"))
    return invalid (error, "category “%s”: “%s” needs an English (“en”) entry", id, member), NULL;

  return g_steal_pointer (&table);
}

static FlCategory *
category_new (const char *id)
{
  FlCategory *self = g_new0 (FlCategory, 1);

  self->id = g_strdup (id);
  self->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->notes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

static FlCategory *
parse_category (JsonNode    *node,
                GHashTable  *seen,
                GError     **error)
{
  g_autoptr(FlCategory) self = NULL;
  g_autoptr(GStrvBuilder) required = g_strv_builder_new ();
  g_autoptr(GHashTable) required_seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *object;
  JsonNode *member;
  const char *id;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "a category must be an object"), NULL;
  object = json_node_get_object (node);

  member = json_object_get_member (object, "id");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return invalid (error, "a category needs a string “id”"), NULL;
  id = json_node_get_string (member);
  if (!is_valid_id (id))
    return invalid (error, "a category id must be 1 to %d characters of a–z, 0–9, “_” and “-”",
                    FL_CATEGORY_ID_MAX), NULL;
  if (g_hash_table_contains (seen, id))
    return invalid (error, "category “%s” is listed twice", id), NULL;

  self = category_new (id);

  member = json_object_get_member (object, "label");
  if (member == NULL)
    return invalid (error, "category “%s” needs a “label”", id), NULL;
  g_clear_pointer (&self->labels, g_hash_table_unref);
  if (!(self->labels = parse_localized (member, id, "label", FL_CATEGORY_LABEL_MAX, TRUE, error)))
    return NULL;

  member = json_object_get_member (object, "note");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      g_clear_pointer (&self->notes, g_hash_table_unref);
      if (!(self->notes = parse_localized (member, id, "note", FL_CATEGORY_NOTE_MAX, FALSE, error)))
        return NULL;
    }

  member = json_object_get_member (object, "required");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      JsonArray *array;
      guint n;

      if (!JSON_NODE_HOLDS_ARRAY (member))
        return invalid (error, "category “%s”: “required” must be an array of field names", id), NULL;
      array = json_node_get_array (member);
      n = json_array_get_length (array);
      if (n > g_strv_length ((char **) intake_fields))
        return invalid (error, "category “%s”: “required” is too long", id), NULL;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *field;

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            return invalid (error, "category “%s”: “required” must hold strings", id), NULL;
          field = json_node_get_string (element);
          if (!fl_intake_is_field (field))
            return invalid (error, "category “%s”: “%.64s” is not a field of a ticket", id, field), NULL;
          if (g_hash_table_add (required_seen, (gpointer) field))
            g_strv_builder_add (required, field);
        }
    }
  self->required = g_strv_builder_end (required);

  return g_steal_pointer (&self);
}

void
fl_category_free (FlCategory *self)
{
  if (self == NULL)
    return;

  g_free (self->id);
  g_clear_pointer (&self->labels, g_hash_table_unref);
  g_clear_pointer (&self->notes, g_hash_table_unref);
  g_strfreev (self->required);
  g_free (self);
}

/* The text in the first of @languages the table has; for a language it does not
 * have, the current locale's message catalog may translate the English text
 * (context "category", po/LANG.po); else English. */
static const char *
lookup_localized (GHashTable         *table,
                  const char * const *languages)
{
  const char *english = g_hash_table_lookup (table, "en");
  gboolean asked_catalog = FALSE;
  const char *text;

  for (guint i = 0; languages != NULL && languages[i] != NULL; i++)
    {
      if ((text = g_hash_table_lookup (table, languages[i])))
        return text;
      if (g_str_has_prefix (languages[i], "en") || g_str_equal (languages[i], "C") ||
          g_str_equal (languages[i], "POSIX"))
        break;
      if (english != NULL && !asked_catalog)
        {
          text = g_dpgettext2 (GETTEXT_PACKAGE, "category", english);
          if (g_strcmp0 (text, english) != 0)
            return text;
          asked_catalog = TRUE;
        }
    }

  return english;
}

const char *
fl_category_get_label_for (const FlCategory   *self,
                           const char * const *languages)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->builtin)
    return g_dgettext (GETTEXT_PACKAGE, g_hash_table_lookup (self->labels, "en"));

  return lookup_localized (self->labels, languages);
}

const char *
fl_category_get_label (const FlCategory *self)
{
  return fl_category_get_label_for (self, g_get_language_names ());
}

const char *
fl_category_get_note_for (const FlCategory   *self,
                          const char * const *languages)
{
  g_return_val_if_fail (self != NULL, NULL);

  return lookup_localized (self->notes, languages);
}

const char *
fl_category_get_note (const FlCategory *self)
{
  return fl_category_get_note_for (self, g_get_language_names ());
}

gboolean
fl_category_requires (const FlCategory *self,
                      const char       *field)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  return g_strv_contains (always_required, field) ||
         g_strv_contains ((const char * const *) self->required, field);
}

const char * const *
fl_intake_get_fields (void)
{
  return intake_fields;
}

const char * const *
fl_intake_get_always_required (void)
{
  return always_required;
}

gboolean
fl_intake_is_field (const char *field)
{
  return field != NULL && g_strv_contains (intake_fields, field);
}

GPtrArray *
fl_categories_parse (const char  *data,
                     gssize       length,
                     GError     **error)
{
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(GHashTable) seen = NULL;
  JsonObject *root_object;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *member;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (data != NULL, NULL);

  if (length < 0)
    length = strlen (data);
  if (length > FL_CATEGORIES_FILE_MAX)
    return invalid (error, "the category list is larger than %d bytes", FL_CATEGORIES_FILE_MAX), NULL;
  if (!g_utf8_validate (data, length, NULL))
    return invalid (error, "the category list is not UTF-8"), NULL;
  root = fl_json_parse (data, length, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, "the category list must be a JSON object"), NULL;
  root_object = json_node_get_object (root);

  member = json_object_get_member (root_object, "version");
  if (member != NULL &&
      (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_INT64 ||
       json_node_get_int (member) != 1))
    return invalid (error, "unknown version of the category list"), NULL;

  member = json_object_get_member (root_object, "categories");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return invalid (error, "the category list needs a “categories” array"), NULL;
  array = json_node_get_array (member);
  n = json_array_get_length (array);
  if (n == 0 || n > FL_CATEGORIES_MAX)
    return invalid (error, "the category list must have 1 to %d categories", FL_CATEGORIES_MAX), NULL;

  categories = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_category_free);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++)
    {
      FlCategory *category = parse_category (json_array_get_element (array, i), seen, error);

      if (category == NULL)
        return NULL;
      g_ptr_array_add (categories, category);
      g_hash_table_add (seen, category->id);
    }

  return g_steal_pointer (&categories);
}

GPtrArray *
fl_categories_load (const char  *path,
                    GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);

  if (!(file = g_mapped_file_new (path, FALSE, error)))
    return NULL;
  length = g_mapped_file_get_length (file);
  if (length > FL_CATEGORIES_FILE_MAX)
    return invalid (error, "the category list is larger than %d bytes", FL_CATEGORIES_FILE_MAX), NULL;
  if (length == 0)
    return invalid (error, "the category list is empty"), NULL;

  return fl_categories_parse (g_mapped_file_get_contents (file), length, error);
}

GPtrArray *
fl_categories_new_builtin (void)
{
  GPtrArray *categories = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_category_free);

  for (guint i = 0; i < G_N_ELEMENTS (builtin_categories); i++)
    {
      FlCategory *category = category_new (builtin_categories[i].id);

      g_hash_table_insert (category->labels, g_strdup ("en"), g_strdup (builtin_categories[i].label));
      category->required = g_new0 (char *, 1);
      category->builtin = TRUE;
      g_ptr_array_add (categories, category);
    }

  return categories;
}

GPtrArray *
fl_categories_load_first (const char * const  *paths,
                          char               **out_source)
{
  if (out_source != NULL)
    *out_source = NULL;

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GPtrArray *categories;

      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        continue;

      if (!(categories = fl_categories_load (paths[i], &error)))
        {
          g_message ("Using the built-in categories: %s: %s", paths[i], error->message);
          return fl_categories_new_builtin ();
        }

      if (out_source != NULL)
        *out_source = g_strdup (paths[i]);
      return categories;
    }

  return fl_categories_new_builtin ();
}

GPtrArray *
fl_categories_load_default (char **out_source)
{
  g_autofree char *installed = g_build_filename (PKGDATADIR, "categories.json", NULL);
  const char *paths[] = { installed, NULL };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *categories;
  gsize length;
  const char *data;

  if (g_file_test (installed, G_FILE_TEST_EXISTS))
    return fl_categories_load_first (paths, out_source);

  /* Not installed: the copy built into the program */
  if (out_source != NULL)
    *out_source = NULL;
  if (!(bytes = fl_data_lookup ("categories.json", &error)))
    {
      g_message ("Using the built-in categories: %s", error->message);
      return fl_categories_new_builtin ();
    }
  data = g_bytes_get_data (bytes, &length);
  if (!(categories = fl_categories_parse (data, length, &error)))
    {
      g_message ("Using the built-in categories: %s", error->message);
      return fl_categories_new_builtin ();
    }
  if (out_source != NULL)
    *out_source = g_strdup ("resource://" FL_DATA_RESOURCE_PATH "/categories.json");
  return categories;
}

const char *
fl_categories_get_label_of (GPtrArray  *categories,
                            const char *id)
{
  static gsize once;
  static GPtrArray *builtin;     /* kept for the life of the process */
  FlCategory *category;

  if (id == NULL)
    return "";

  if (categories == NULL)
    {
      if (g_once_init_enter (&once))
        {
          builtin = fl_categories_new_builtin ();
          g_once_init_leave (&once, 1);
        }
      categories = builtin;
    }

  category = fl_categories_find (categories, id);
  return category != NULL ? fl_category_get_label (category) : id;
}

FlCategory *
fl_categories_find (GPtrArray  *categories,
                    const char *id)
{
  g_return_val_if_fail (categories != NULL, NULL);

  for (guint i = 0; id != NULL && i < categories->len; i++)
    {
      FlCategory *category = g_ptr_array_index (categories, i);

      if (g_strcmp0 (category->id, id) == 0)
        return category;
    }

  return NULL;
}
