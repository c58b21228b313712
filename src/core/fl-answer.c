/* fl-answer.c — predefined answers (text modules): the format and its variables
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-answer"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-answer.h"
#include "fl-data.h"

G_DEFINE_QUARK (fl-answer-error-quark, fl_answer_error)

const char * const fl_answer_variables[] = {
  "requester.name", "requester.email", "requester.phone", "requester.department",
  "requester.location", "ticket.number", "ticket.title", "ticket.category", "ticket.asset",
  "agent.username", "agent.display_name", NULL
};

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, FL_ANSWER_ERROR, FL_ANSWER_ERROR_INVALID, message);
  return FALSE;
}

static const char *
string_member (JsonObject *o,
               const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
is_known_variable (const char *name,
                   gsize       len)
{
  for (guint i = 0; fl_answer_variables[i]; i++)
    if (strlen (fl_answer_variables[i]) == len && strncmp (fl_answer_variables[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_identifier (const char *text,
                  gsize       max,
                  gboolean    dash)
{
  gsize len = text ? strlen (text) : 0;

  if (len == 0 || len > max)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || (dash && *p == '-')))
      return FALSE;
  return TRUE;
}

/* "de", "en", "fr", "pt_BR", "sr@latin": what g_get_language_names () gives. */
static gboolean
is_language_code (const char *lang)
{
  gsize len = strlen (lang);

  if (len < 2 || len > 16 || !g_ascii_islower (lang[0]))
    return FALSE;
  for (const char *p = lang; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '@')
      return FALSE;
  return TRUE;
}

static gboolean
check_localized (JsonObject  *answer,
                 const char  *member,
                 gsize        max_chars,
                 gboolean     body,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (answer, member);
  JsonObject *o;
  g_autoptr(GList) keys = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "field '%s' must be an object {\"de\": …, \"en\": …}", member);
  o = json_node_get_object (node);
  keys = json_object_get_members (o);
  /* Another language may be added; German or English is what everyone else reads. */
  if (keys == NULL || (!json_object_has_member (o, "de") && !json_object_has_member (o, "en")))
    return invalid (error, "field '%s' needs a text in \"de\" or \"en\"", member);

  for (GList *l = keys; l; l = l->next)
    {
      const char *lang = l->data;
      const char *text = string_member (o, lang);

      if (!is_language_code (lang))
        return invalid (error, "field '%s' has an unknown language '%s'", member, lang);
      if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
        return invalid (error, "%s.%s must be a non-empty string", member, lang);
      if ((gsize) g_utf8_strlen (text, -1) > max_chars)
        return invalid (error, "%s.%s is longer than %" G_GSIZE_FORMAT " characters", member, lang,
                        max_chars);
      if (!body)
        continue;

      for (const char *p = text; (p = strchr (p, '{')) != NULL; p++)
        {
          const char *end = strchr (p, '}');

          if (end == NULL)
            return invalid (error, "%s.%s has a '{' without '}'", member, lang);
          if (!is_known_variable (p + 1, end - p - 1))
            return invalid (error, "%s.%s uses an unknown variable {%.*s}", member, lang,
                            (int) MIN (end - p - 1, 64), p + 1);
        }
    }

  return TRUE;
}

gboolean
fl_answer_validate (JsonNode  *answer,
                    GError   **error)
{
  JsonObject *o;
  JsonNode *version;
  const char *keyword;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    return invalid (error, "an answer must be an object");
  o = json_node_get_object (answer);

  if (!check_identifier (string_member (o, "id"), 64, TRUE))
    return invalid (error, "field 'id' must be 1–64 of a-z, 0-9 and '-'");
  if (string_member (o, "category") == NULL || *string_member (o, "category") == '\0')
    return invalid (error, "field 'category' must be a non-empty string");
  version = json_object_get_member (o, "version");
  if (version != NULL &&
      (!JSON_NODE_HOLDS_VALUE (version) || json_node_get_value_type (version) != G_TYPE_INT64 ||
       json_node_get_int (version) < 1))
    return invalid (error, "field 'version' must be a positive integer");
  keyword = string_member (o, "keyword");
  if (json_object_has_member (o, "keyword") && !check_identifier (keyword, 32, FALSE))
    return invalid (error, "field 'keyword' must be 1–32 of a-z and 0-9");

  return check_localized (o, "title", FL_ANSWER_MAX_TITLE, FALSE, error) &&
         check_localized (o, "body", FL_ANSWER_MAX_BODY, TRUE, error);
}

const char *
fl_answer_get_text (JsonObject *answer,
                    const char *member,
                    const char *lang)
{
  const char *one[] = { lang, NULL };
  const char * const *names;
  JsonNode *node;
  JsonObject *o;
  const char *en, *de;

  g_return_val_if_fail (answer != NULL && member != NULL, NULL);

  node = json_object_get_member (answer, member);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  o = json_node_get_object (node);
  en = string_member (o, "en");
  de = string_member (o, "de");

  /* The first of the user's languages the answer has; one it lacks may be in the
   * message catalog (po/LANG.po, context "answer", for the built-in answers). */
  names = lang != NULL ? one : g_get_language_names ();
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *text;

      if (g_str_equal (names[i], "C") || g_str_equal (names[i], "POSIX"))
        break;
      if ((text = string_member (o, names[i])) != NULL)
        return text;
      if (g_str_has_prefix (names[i], "de") && de != NULL)
        return de;
      if (g_str_has_prefix (names[i], "en") && en != NULL)
        return en;
      if (lang == NULL && en != NULL && i == 0)
        {
          const char *found = g_dpgettext2 (GETTEXT_PACKAGE, "answer", en);

          if (found != en && g_strcmp0 (found, en) != 0)
            return found;
        }
    }
  return en != NULL ? en : de;
}

static const char *
variable_value (const char  *name,
                FlTicket    *t,
                const char  *username,
                const char  *display_name,
                char       **scratch)
{
  if (g_str_equal (name, "agent.username"))
    return username;
  if (g_str_equal (name, "agent.display_name"))
    return display_name && *display_name ? display_name : username;
  if (t == NULL)
    return NULL;
  if (g_str_equal (name, "requester.name"))
    return t->requester.name;
  if (g_str_equal (name, "requester.email"))
    return t->requester.email;
  if (g_str_equal (name, "requester.phone"))
    return t->requester.phone;
  if (g_str_equal (name, "requester.department"))
    return t->requester.department;
  if (g_str_equal (name, "requester.location"))
    return t->requester.location;
  if (g_str_equal (name, "ticket.title"))
    return t->title;
  if (g_str_equal (name, "ticket.category"))
    return t->category;
  if (g_str_equal (name, "ticket.asset"))
    return t->asset;
  if (g_str_equal (name, "ticket.number") && t->number > 0)
    return *scratch = g_strdup_printf ("#%" G_GINT64_FORMAT, t->number);
  return NULL;
}

char *
fl_answer_expand (const char *body,
                  FlTicket   *ticket,
                  const char *agent_username,
                  const char *agent_display_name)
{
  GString *out;
  const char *p;

  g_return_val_if_fail (body != NULL, NULL);

  out = g_string_new (NULL);
  for (p = body; *p; )
    {
      const char *end;

      if (*p == '{' && (end = strchr (p, '}')) != NULL && is_known_variable (p + 1, end - p - 1))
        {
          g_autofree char *name = g_strndup (p + 1, end - p - 1);
          g_autofree char *scratch = NULL;
          const char *value = variable_value (name, ticket, agent_username, agent_display_name,
                                              &scratch);

          g_string_append (out, value ? value : "");
          p = end + 1;
          continue;
        }
      g_string_append_c (out, *p++);
    }

  return g_string_free (out, FALSE);
}

GPtrArray *
fl_answer_load_builtin (GError **error)
{
  g_autoptr(GBytes) bytes = fl_data_lookup ("answers/answers.json", error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  JsonNode *root;
  JsonArray *array;
  gsize len;
  const char *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      !(array = json_object_get_array_member (json_node_get_object (root), "answers")))
    {
      invalid (error, "answers.json has no \"answers\" array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!fl_answer_validate (node, error))
        return NULL;
      g_ptr_array_add (list, json_node_copy (node));
    }

  return g_steal_pointer (&list);
}
