/* fl-checklist.c — guided checklists: format, validation, loading
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-checklist"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "fl-checklist.h"
#include "fl-json.h"

struct _FlChecklist
{
  GObject          parent_instance;

  /* Owned */
  char            *id;
  gint64           version;
  char            *category;
  FlLocalizedText  title;
  char            *start;
  GPtrArray       *steps;        /* FlChecklistStep*, in definition order */
  GHashTable      *index_of;     /* step id (borrowed) → index + 1 */
};

enum {
  PROP_0,
  PROP_ID,
  PROP_VERSION,
  PROP_CATEGORY,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (FlChecklist, fl_checklist, G_TYPE_OBJECT)

G_DEFINE_QUARK (fl-checklist-error-quark, fl_checklist_error)

static const char * const outcome_names[] = { "done", "yes", "no", "skipped", "failed" };
static const char * const kind_names[] = { "check", "question", "input" };

/* -------------------------------------------------------------------------- */
/* Steps and targets                                                          */

static void
localized_text_clear (FlLocalizedText *text)
{
  g_clear_pointer (&text->de, g_free);
  g_clear_pointer (&text->en, g_free);
  g_clear_pointer (&text->other, g_hash_table_unref);
}

/* "fr", "pt_BR", "sr@latin": what g_get_language_names () gives */
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

static void
target_clear (FlChecklistTarget *target)
{
  g_clear_pointer (&target->step_id, g_free);
  g_clear_pointer (&target->queue, g_free);
  target->kind = FL_CHECKLIST_TARGET_NONE;
  target->code = FL_RESOLUTION_NONE;
}

static void
step_free (FlChecklistStep *step)
{
  if (step == NULL)
    return;

  g_free (step->id);
  localized_text_clear (&step->text);
  localized_text_clear (&step->help);
  localized_text_clear (&step->placeholder);
  g_free (step->pattern);
  g_free (step->example);
  g_strfreev (step->requires);
  g_clear_pointer (&step->requires_any, g_ptr_array_unref);
  target_clear (&step->next);
  target_clear (&step->yes);
  target_clear (&step->no);
  target_clear (&step->failed);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlChecklistStep, step_free)

/* -------------------------------------------------------------------------- */
/* Checked JSON access; @where names the place for error messages            */

static gboolean
fail (GError     **error,
      int          code,
      const char  *where,
      const char  *format,
      ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError     **error,
      int          code,
      const char  *where,
      const char  *format,
      ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: the first %s is a place in a checklist ("step 'reset'"), the second what is wrong */
  g_set_error (error, FL_CHECKLIST_ERROR, code, _("%s: %s"), where, msg);
  return FALSE;
}

static gboolean
is_slug (const char *str,
         gsize       max)
{
  gsize len;

  if (str == NULL || (!g_ascii_islower (*str) && !g_ascii_isdigit (*str)))
    return FALSE;

  len = strlen (str);
  if (len > max)
    return FALSE;

  for (const char *p = str; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-' && *p != '_')
      return FALSE;

  return TRUE;
}

/* A string member: *out is NULL when absent and optional. */
static gboolean
get_string (JsonObject  *obj,
            const char  *where,
            const char  *name,
            gboolean     required,
            guint        max_chars,
            char       **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *str;

  *out = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' is required"), name);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, FL_CHECKLIST_ERROR_TYPE, where, _("field '%s' must be a string"), name);

  str = json_node_get_string (node);
  if (!g_utf8_validate (str, -1, NULL))
    return fail (error, FL_CHECKLIST_ERROR_TYPE, where, _("field '%s' is not valid UTF-8"), name);

  if (!fl_text_is_valid (str, 1, max_chars))
    return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                 _("field '%s' must have 1 to %u characters"), name, max_chars);

  *out = g_strdup (str);
  return TRUE;
}

static gboolean
get_slug (JsonObject  *obj,
          const char  *where,
          const char  *name,
          gboolean     required,
          char       **out,
          GError     **error)
{
  if (!get_string (obj, where, name, required, FL_CHECKLIST_ID_MAX, out, error))
    return FALSE;

  if (*out != NULL && !is_slug (*out, FL_CHECKLIST_ID_MAX))
    {
      g_clear_pointer (out, g_free);
      return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                   _("field '%s' must be lowercase letters, digits, '-' and '_'"), name);
    }

  return TRUE;
}

static gboolean
get_localized (JsonObject      *obj,
               const char      *where,
               const char      *name,
               gboolean         required,
               guint            max_chars,
               FlLocalizedText *out,
               GError         **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  g_autofree char *inner = NULL;
  JsonObject *texts;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' is required"), name);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
                 _("field '%s' must be an object with \"de\" and \"en\""), name);

  texts = json_node_get_object (node);
  inner = g_strdup_printf ("%s, %s", where, name);

  if (!get_string (texts, inner, "de", TRUE, max_chars, &out->de, error) ||
      !get_string (texts, inner, "en", TRUE, max_chars, &out->en, error))
    return FALSE;

  /* Further languages: optional, any code, each like the German and English text. */
  if (json_object_get_size (texts) > 2)
    {
      JsonObjectIter iter;
      const char *lang;
      JsonNode *value;

      if (json_object_get_size (texts) > FL_CHECKLIST_LANGUAGES_MAX)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' has more than %u languages"), name, FL_CHECKLIST_LANGUAGES_MAX);

      json_object_iter_init (&iter, texts);
      while (json_object_iter_next (&iter, &lang, &value))
        {
          char *text = NULL;

          if (g_str_equal (lang, "de") || g_str_equal (lang, "en"))
            continue;
          if (!is_language_code (lang))
            return fail (error, FL_CHECKLIST_ERROR_INVALID, inner,
                         _("“%s” is not a language code like “fr” or “pt_BR”"), lang);
          if (!get_string (texts, inner, lang, TRUE, max_chars, &text, error))
            return FALSE;
          if (out->other == NULL)
            out->other = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_replace (out->other, g_strdup (lang), text);
        }
    }
  return TRUE;
}

static gboolean
get_target (JsonObject        *obj,
            const char        *where,
            const char        *name,
            gboolean           required,
            FlChecklistTarget *out,
            GError           **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  out->kind = FL_CHECKLIST_TARGET_NONE;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' is required"), name);
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *id = json_node_get_string (node);

      if (!g_utf8_validate (id, -1, NULL) || !is_slug (id, FL_CHECKLIST_ID_MAX))
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' must name a step"), name);

      out->kind = FL_CHECKLIST_TARGET_STEP;
      out->step_id = g_strdup (id);
      return TRUE;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *t = json_node_get_object (node);
      g_autofree char *inner = g_strdup_printf ("%s, %s", where, name);
      g_autofree char *value = NULL;
      gboolean has_resolve = json_object_has_member (t, "resolve");
      gboolean has_escalate = json_object_has_member (t, "escalate");

      if (has_resolve == has_escalate)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' must have either \"resolve\" or \"escalate\""), name);

      if (has_resolve)
        {
          FlResolutionCode code;

          if (!get_string (t, inner, "resolve", TRUE, FL_CHECKLIST_ID_MAX, &value, error))
            return FALSE;
          if (!fl_resolution_code_from_string (value, &code))
            return fail (error, FL_CHECKLIST_ERROR_INVALID, inner,
                         _("unknown resolution code '%s'"), value);
          out->kind = FL_CHECKLIST_TARGET_RESOLVE;
          out->code = code;
          return TRUE;
        }

      if (!get_slug (t, inner, "escalate", TRUE, &value, error))
        return FALSE;
      out->kind = FL_CHECKLIST_TARGET_ESCALATE;
      out->queue = g_steal_pointer (&value);
      return TRUE;
    }

  return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
               _("field '%s' must be a step id or an object"), name);
}

static gboolean
reject_member (JsonObject  *obj,
               const char  *where,
               const char  *name,
               const char  *kind,
               GError     **error)
{
  if (!json_object_has_member (obj, name))
    return TRUE;

  /* Translators: %s is a field name, then a step kind ("check") */
  return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
               _("field '%s' is not allowed on a %s step"), name, kind);
}

static gboolean
parse_step_id (JsonNode         *e,
               const char       *where,
               FlChecklistStep  *step,
               const char      **out,
               GError          **error)
{
  const char *id;

  if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
    return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
                 _("field '%s' must be an array of step ids"), "requires");

  id = json_node_get_string (e);
  if (!g_utf8_validate (id, -1, NULL) || !is_slug (id, FL_CHECKLIST_ID_MAX))
    return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                 _("field '%s' must name steps"), "requires");
  if (g_strcmp0 (id, step->id) == 0)
    return fail (error, FL_CHECKLIST_ERROR_REQUIRES, where,
                 _("a step cannot require itself"));

  *out = id;
  return TRUE;
}

/* "requires": [ID | {"any": [ID, ID...]} ...] */
static gboolean
parse_requires (JsonObject       *obj,
                const char       *where,
                FlChecklistStep  *step,
                GError          **error)
{
  JsonNode *node = json_object_get_member (obj, "requires");
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  JsonArray *array;

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
                     _("field '%s' must be an array of step ids"), "requires");

      array = json_node_get_array (node);
      if (json_array_get_length (array) > FL_CHECKLIST_MAX_REQUIRES)
        return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                     _("field '%s' has more than %u entries"), "requires",
                     FL_CHECKLIST_MAX_REQUIRES);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *e = json_array_get_element (array, i);
          const char *id;

          if (JSON_NODE_HOLDS_OBJECT (e))
            {
              JsonNode *any = json_object_get_member (json_node_get_object (e), "any");
              g_autoptr(GPtrArray) group = g_ptr_array_new_with_free_func (g_free);
              JsonArray *members;

              if (any == NULL || !JSON_NODE_HOLDS_ARRAY (any))
                return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
                             _("an object in field '%s' must have an array 'any'"), "requires");
              members = json_node_get_array (any);
              if (json_array_get_length (members) < 1 ||
                  json_array_get_length (members) > FL_CHECKLIST_MAX_REQUIRES)
                return fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                             _("field 'any' in '%s' must name 1 to %u steps"), "requires",
                             FL_CHECKLIST_MAX_REQUIRES);

              for (guint k = 0; k < json_array_get_length (members); k++)
                {
                  if (!parse_step_id (json_array_get_element (members, k), where, step, &id,
                                      error))
                    return FALSE;
                  if (!g_ptr_array_find_with_equal_func (group, id, g_str_equal, NULL))
                    g_ptr_array_add (group, g_strdup (id));
                }
              g_ptr_array_add (group, NULL);
              g_ptr_array_add (groups, g_ptr_array_free (g_steal_pointer (&group), FALSE));
              continue;
            }

          if (!parse_step_id (e, where, step, &id, error))
            return FALSE;

          if (!g_ptr_array_find_with_equal_func (ids, id, g_str_equal, NULL))
            g_ptr_array_add (ids, g_strdup (id));
        }
    }

  g_ptr_array_add (ids, NULL);
  step->requires = (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
  step->requires_any = g_steal_pointer (&groups);
  return TRUE;
}

static gboolean
parse_mandatory (JsonObject       *obj,
                 const char       *where,
                 FlChecklistStep  *step,
                 GError          **error)
{
  JsonNode *node = json_object_get_member (obj, "mandatory");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (error, FL_CHECKLIST_ERROR_TYPE, where,
                 _("field '%s' must be true or false"), "mandatory");

  step->marked_mandatory = json_node_get_boolean (node);
  step->mandatory = step->marked_mandatory;
  return TRUE;
}

static FlChecklistStep *
parse_step (JsonNode  *node,
            guint      index,
            GError   **error)
{
  g_autoptr(FlChecklistStep) step = g_new0 (FlChecklistStep, 1);
  g_autofree char *where = g_strdup_printf (_("step %u"), index + 1);
  g_autofree char *kind = NULL;
  JsonObject *obj;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, FL_CHECKLIST_ERROR_TYPE, where, _("a step must be an object"));
      return NULL;
    }
  obj = json_node_get_object (node);

  if (!get_slug (obj, where, "id", TRUE, &step->id, error))
    return NULL;

  g_free (where);
  where = g_strdup_printf (_("step '%s'"), step->id);

  if (!get_string (obj, where, "kind", TRUE, 16, &kind, error))
    return NULL;

  if (g_str_equal (kind, "check"))
    step->kind = FL_CHECKLIST_STEP_CHECK;
  else if (g_str_equal (kind, "question"))
    step->kind = FL_CHECKLIST_STEP_QUESTION;
  else if (g_str_equal (kind, "input"))
    step->kind = FL_CHECKLIST_STEP_INPUT;
  else
    {
      fail (error, FL_CHECKLIST_ERROR_INVALID, where,
            _("field 'kind' must be \"check\", \"question\" or \"input\""));
      return NULL;
    }

  if (!get_localized (obj, where, "text", TRUE, FL_CHECKLIST_TEXT_MAX, &step->text, error) ||
      !get_localized (obj, where, "help", FALSE, FL_CHECKLIST_HELP_MAX, &step->help, error) ||
      !parse_requires (obj, where, step, error) ||
      !parse_mandatory (obj, where, step, error))
    return NULL;

  switch (step->kind)
    {
    case FL_CHECKLIST_STEP_CHECK:
      if (!reject_member (obj, where, "yes", kind, error) ||
          !reject_member (obj, where, "no", kind, error) ||
          !reject_member (obj, where, "pattern", kind, error) ||
          !reject_member (obj, where, "placeholder", kind, error) ||
          !reject_member (obj, where, "example", kind, error) ||
          !get_target (obj, where, "next", TRUE, &step->next, error) ||
          !get_target (obj, where, "failed", FALSE, &step->failed, error))
        return NULL;
      break;

    case FL_CHECKLIST_STEP_QUESTION:
      if (!reject_member (obj, where, "next", kind, error) ||
          !reject_member (obj, where, "failed", kind, error) ||
          !reject_member (obj, where, "pattern", kind, error) ||
          !reject_member (obj, where, "placeholder", kind, error) ||
          !reject_member (obj, where, "example", kind, error) ||
          !get_target (obj, where, "yes", TRUE, &step->yes, error) ||
          !get_target (obj, where, "no", TRUE, &step->no, error))
        return NULL;
      break;

    case FL_CHECKLIST_STEP_INPUT:
      if (!reject_member (obj, where, "yes", kind, error) ||
          !reject_member (obj, where, "no", kind, error) ||
          !reject_member (obj, where, "failed", kind, error) ||
          !get_target (obj, where, "next", TRUE, &step->next, error) ||
          !get_localized (obj, where, "placeholder", FALSE, FL_CHECKLIST_TEXT_MAX,
                          &step->placeholder, error) ||
          !get_string (obj, where, "pattern", FALSE, FL_CHECKLIST_PATTERN_MAX,
                       &step->pattern, error) ||
          !get_string (obj, where, "example", FALSE, FL_CHECKLIST_VALUE_MAX,
                       &step->example, error))
        return NULL;

      if (step->pattern != NULL)
        {
          g_autoptr(GError) local_error = NULL;
          g_autoptr(GRegex) regex = NULL;
          g_autofree char *anchored = g_strdup_printf ("\\A(?:%s)\\z", step->pattern);

          regex = g_regex_new (anchored, 0, 0, &local_error);
          if (regex == NULL)
            {
              fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                    _("field 'pattern' is not a valid regular expression: %s"),
                    local_error->message);
              return NULL;
            }
          if (step->example == NULL)
            {
              fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                    _("field 'example' is required with a pattern"));
              return NULL;
            }
          if (!g_regex_match (regex, step->example, 0, NULL))
            {
              fail (error, FL_CHECKLIST_ERROR_INVALID, where,
                    _("field 'example' does not match the pattern"));
              return NULL;
            }
        }
      break;

    default:
      g_assert_not_reached ();
    }

  return g_steal_pointer (&step);
}

/* -------------------------------------------------------------------------- */
/* The step graph                                                             */

typedef struct
{
  FlChecklist *self;
  guint        n;
  guint8      *color;    /* 0 unvisited, 1 on the path, 2 finished */
  guint       *order;    /* post order */
  guint        n_order;
} Graph;

static guint
step_index (FlChecklist *self,
            const char  *id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->index_of, id)) - 1;
}

/* The step edges leaving @step: target indexes, and whether taking the edge
 * means the step was done (done, yes) rather than answered no or failed. */
static guint
step_edges (FlChecklist           *self,
            const FlChecklistStep *step,
            guint                 *targets,
            gboolean              *positive)
{
  const FlChecklistTarget *t[3] = { NULL, NULL, NULL };
  gboolean pos[3] = { TRUE, FALSE, FALSE };
  guint n = 0;

  switch (step->kind)
    {
    case FL_CHECKLIST_STEP_CHECK:
      /* A skippable check may be left by "next" without being done */
      pos[0] = !step->skippable;
      t[0] = &step->next;
      t[1] = &step->failed;
      break;
    case FL_CHECKLIST_STEP_QUESTION:
      t[0] = &step->yes;
      t[1] = &step->no;
      break;
    case FL_CHECKLIST_STEP_INPUT:
      t[0] = &step->next;
      break;
    default:
      g_assert_not_reached ();
    }

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      if (t[i] == NULL || t[i]->kind != FL_CHECKLIST_TARGET_STEP)
        continue;
      targets[n] = step_index (self, t[i]->step_id);
      positive[n] = pos[i];
      n++;
    }

  return n;
}

static gboolean
visit (Graph   *g,
       guint    u,
       GError **error)
{
  const FlChecklistStep *step = g_ptr_array_index (g->self->steps, u);
  guint targets[3];
  gboolean positive[3];
  guint n;

  g->color[u] = 1;

  n = step_edges (g->self, step, targets, positive);
  for (guint i = 0; i < n; i++)
    {
      guint v = targets[i];

      if (g->color[v] == 1)
        {
          const FlChecklistStep *to = g_ptr_array_index (g->self->steps, v);
          g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
          return fail (error, FL_CHECKLIST_ERROR_CYCLE, where,
                       _("it leads back to step '%s': the steps have a cycle"), to->id);
        }
      if (g->color[v] == 0 && !visit (g, v, error))
        return FALSE;
    }

  g->color[u] = 2;
  g->order[g->n_order++] = u;
  return TRUE;
}

static gboolean
check_target_exists (FlChecklist             *self,
                     const FlChecklistStep   *step,
                     const char              *name,
                     const FlChecklistTarget *target,
                     GError                 **error)
{
  if (target->kind != FL_CHECKLIST_TARGET_STEP ||
      g_hash_table_contains (self->index_of, target->step_id))
    return TRUE;

  {
    g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
    return fail (error, FL_CHECKLIST_ERROR_UNKNOWN_STEP, where,
                 _("field '%s' names unknown step '%s'"), name, target->step_id);
  }
}

/* Whether on every path from start to step @target one step of @group is done, or, with
 * @skip_counts, at least reached (a skippable check of the group may be skipped). */
static gboolean
group_done_on_every_path (FlChecklist *self,
                          const guint *order,
                          guint        target,
                          GStrv        group,
                          gboolean     skip_counts)
{
  guint n = self->steps->len;
  g_autofree guint8 *done = g_new0 (guint8, n);   /* a member done on every path to v */
  g_autofree guint8 *seen = g_new0 (guint8, n);

  seen[step_index (self, self->start)] = TRUE;
  for (guint k = n; k > 0; k--)
    {
      guint u = order[k - 1];
      const FlChecklistStep *step = g_ptr_array_index (self->steps, u);
      gboolean member = g_strv_contains ((const char * const *) group, step->id);
      guint targets[3];
      gboolean positive[3];
      guint n_edges = step_edges (self, step, targets, positive);

      for (guint e = 0; e < n_edges; e++)
        {
          guint v = targets[e];
          gboolean pos = positive[e] || (skip_counts && step->skippable &&
                                         v == step_index (self, step->next.step_id));
          guint8 in = done[u] || (member && pos);

          done[v] = seen[v] ? (done[v] && in) : in;
          seen[v] = TRUE;
        }
    }

  return done[target];
}

static gboolean
check_group (FlChecklist  *self,
             const guint  *order,
             guint         target,
             GStrv         group,
             GError      **error)
{
  const FlChecklistStep *step = g_ptr_array_index (self->steps, target);
  g_autofree char *where = NULL;
  g_autofree char *names = NULL;

  if (group_done_on_every_path (self, order, target, group, FALSE))
    return TRUE;

  where = g_strdup_printf (_("step '%s'"), step->id);
  names = g_strjoinv ("', '", group);
  if (group_done_on_every_path (self, order, target, group, TRUE))
    return fail (error, FL_CHECKLIST_ERROR_REQUIRES, where,
                 _("one of the required steps '%s' can be skipped on the way: "
                   "mark it \"mandatory\": true"), names);

  return fail (error, FL_CHECKLIST_ERROR_REQUIRES, where,
               _("none of the required steps '%s' is done on every path before it"), names);
}

static gboolean
check_graph (FlChecklist  *self,
             GError      **error)
{
  guint n = self->steps->len;
  g_autofree guint8 *color = g_new0 (guint8, n);
  g_autofree guint *order = g_new0 (guint, n);
  g_autofree guint8 *must = NULL;     /* n × n: must[v * n + r]: r done on every path to v */
  g_autofree guint8 *seen = NULL;
  Graph g = { self, n, color, order, 0 };

  /* Every reference names a step */
  if (!g_hash_table_contains (self->index_of, self->start))
    return fail (error, FL_CHECKLIST_ERROR_UNKNOWN_STEP, _("checklist"),
                 _("field '%s' names unknown step '%s'"), "start", self->start);

  for (guint i = 0; i < n; i++)
    {
      FlChecklistStep *step = g_ptr_array_index (self->steps, i);

      if (!check_target_exists (self, step, "next", &step->next, error) ||
          !check_target_exists (self, step, "yes", &step->yes, error) ||
          !check_target_exists (self, step, "no", &step->no, error) ||
          !check_target_exists (self, step, "failed", &step->failed, error))
        return FALSE;

      for (guint j = 0; step->requires[j]; j++)
        {
          FlChecklistStep *required;

          if (!g_hash_table_contains (self->index_of, step->requires[j]))
            {
              g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
              return fail (error, FL_CHECKLIST_ERROR_UNKNOWN_STEP, where,
                           _("field '%s' names unknown step '%s'"), "requires",
                           step->requires[j]);
            }

          required = g_ptr_array_index (self->steps, step_index (self, step->requires[j]));
          required->mandatory = TRUE;
        }

      for (guint j = 0; j < step->requires_any->len; j++)
        {
          GStrv group = g_ptr_array_index (step->requires_any, j);

          for (guint k = 0; group[k]; k++)
            {
              if (!g_hash_table_contains (self->index_of, group[k]))
                {
                  g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
                  return fail (error, FL_CHECKLIST_ERROR_UNKNOWN_STEP, where,
                               _("field '%s' names unknown step '%s'"), "requires", group[k]);
                }
            }
        }
    }

  for (guint i = 0; i < n; i++)
    {
      FlChecklistStep *step = g_ptr_array_index (self->steps, i);

      step->skippable = step->kind == FL_CHECKLIST_STEP_CHECK && !step->mandatory &&
                        step->next.kind == FL_CHECKLIST_TARGET_STEP;
    }

  /* No cycles: then every path ends, since every step has its branches */
  if (!visit (&g, step_index (self, self->start), error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (color[i] == 0)
        {
          FlChecklistStep *step = g_ptr_array_index (self->steps, i);
          g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
          return fail (error, FL_CHECKLIST_ERROR_UNREACHABLE, where,
                       _("it cannot be reached from the start step"));
        }
    }

  /* Which steps are done on every path to each step: walk in topological
   * order (the reverse post order) and intersect over the incoming edges. */
  must = g_new0 (guint8, (gsize) n * n);
  seen = g_new0 (guint8, n);
  seen[step_index (self, self->start)] = TRUE;

  for (guint k = n; k > 0; k--)
    {
      guint u = order[k - 1];
      const FlChecklistStep *step = g_ptr_array_index (self->steps, u);
      guint targets[3];
      gboolean positive[3];
      guint n_edges = step_edges (self, step, targets, positive);

      for (guint e = 0; e < n_edges; e++)
        {
          guint v = targets[e];

          for (guint r = 0; r < n; r++)
            {
              guint8 in = must[(gsize) u * n + r] || (r == u && positive[e]);

              if (!seen[v])
                must[(gsize) v * n + r] = in;
              else
                must[(gsize) v * n + r] = must[(gsize) v * n + r] && in;
            }
          seen[v] = TRUE;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      FlChecklistStep *step = g_ptr_array_index (self->steps, i);

      for (guint j = 0; step->requires[j]; j++)
        {
          if (!must[(gsize) i * n + step_index (self, step->requires[j])])
            {
              g_autofree char *where = g_strdup_printf (_("step '%s'"), step->id);
              return fail (error, FL_CHECKLIST_ERROR_REQUIRES, where,
                           _("required step '%s' is not done on every path before it"),
                           step->requires[j]);
            }
        }

      for (guint j = 0; j < step->requires_any->len; j++)
        {
          GStrv group = g_ptr_array_index (step->requires_any, j);

          if (!check_group (self, order, i, group, error))
            return FALSE;
        }
    }

  return TRUE;
}

/* -------------------------------------------------------------------------- */
/* JSON output                                                                */

static void
build_localized (JsonBuilder           *builder,
                 const char            *name,
                 const FlLocalizedText *text)
{
  if (text->de == NULL)
    return;

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "de");
  json_builder_add_string_value (builder, text->de);
  json_builder_set_member_name (builder, "en");
  json_builder_add_string_value (builder, text->en);
  if (text->other != NULL)
    {
      g_autoptr(GList) langs = g_list_sort (g_hash_table_get_keys (text->other),
                                            (GCompareFunc) strcmp);

      for (GList *l = langs; l != NULL; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_string_value (builder, g_hash_table_lookup (text->other, l->data));
        }
    }
  json_builder_end_object (builder);
}

static void
build_target (JsonBuilder             *builder,
              const char              *name,
              const FlChecklistTarget *target)
{
  switch (target->kind)
    {
    case FL_CHECKLIST_TARGET_NONE:
      return;

    case FL_CHECKLIST_TARGET_STEP:
      json_builder_set_member_name (builder, name);
      json_builder_add_string_value (builder, target->step_id);
      return;

    case FL_CHECKLIST_TARGET_RESOLVE:
      json_builder_set_member_name (builder, name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "resolve");
      json_builder_add_string_value (builder, fl_resolution_code_to_string (target->code));
      json_builder_end_object (builder);
      return;

    case FL_CHECKLIST_TARGET_ESCALATE:
      json_builder_set_member_name (builder, name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "escalate");
      json_builder_add_string_value (builder, target->queue);
      json_builder_end_object (builder);
      return;

    default:
      g_assert_not_reached ();
    }
}

static void
build_step (JsonBuilder           *builder,
            const FlChecklistStep *step)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, step->id);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind_names[step->kind]);
  build_localized (builder, "text", &step->text);
  build_localized (builder, "help", &step->help);

  if (step->requires[0] != NULL || step->requires_any->len > 0)
    {
      json_builder_set_member_name (builder, "requires");
      json_builder_begin_array (builder);
      for (guint i = 0; step->requires[i]; i++)
        json_builder_add_string_value (builder, step->requires[i]);
      for (guint i = 0; i < step->requires_any->len; i++)
        {
          GStrv group = g_ptr_array_index (step->requires_any, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "any");
          json_builder_begin_array (builder);
          for (guint k = 0; group[k]; k++)
            json_builder_add_string_value (builder, group[k]);
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }

  if (step->marked_mandatory)
    {
      json_builder_set_member_name (builder, "mandatory");
      json_builder_add_boolean_value (builder, TRUE);
    }

  build_localized (builder, "placeholder", &step->placeholder);
  if (step->pattern != NULL)
    {
      json_builder_set_member_name (builder, "pattern");
      json_builder_add_string_value (builder, step->pattern);
    }
  if (step->example != NULL)
    {
      json_builder_set_member_name (builder, "example");
      json_builder_add_string_value (builder, step->example);
    }

  build_target (builder, "next", &step->next);
  build_target (builder, "yes", &step->yes);
  build_target (builder, "no", &step->no);
  build_target (builder, "failed", &step->failed);

  json_builder_end_object (builder);
}

/* -------------------------------------------------------------------------- */

static void
fl_checklist_finalize (GObject *object)
{
  FlChecklist *self = (FlChecklist *)object;

  g_clear_pointer (&self->index_of, g_hash_table_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_free (self->id);
  g_free (self->category);
  g_free (self->start);
  localized_text_clear (&self->title);

  G_OBJECT_CLASS (fl_checklist_parent_class)->finalize (object);
}

static void
fl_checklist_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FlChecklist *self = FL_CHECKLIST (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_VERSION:
      g_value_set_int64 (value, self->version);
      break;

    case PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_checklist_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FlChecklist *self = FL_CHECKLIST (object);

  switch (prop_id)
    {
    case PROP_VERSION:
      fl_checklist_set_version (self, g_value_get_int64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_checklist_class_init (FlChecklistClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_checklist_finalize;
  object_class->get_property = fl_checklist_get_property;
  object_class->set_property = fl_checklist_set_property;

  properties [PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_VERSION] =
    g_param_spec_int64 ("version", NULL, NULL, 1, G_MAXINT32, 1,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_CATEGORY] =
    g_param_spec_string ("category", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_checklist_init (FlChecklist *self)
{
  self->version = 1;
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  self->index_of = g_hash_table_new (g_str_hash, g_str_equal);
}

/* -------------------------------------------------------------------------- */
/* Public API                                                                 */

const char *
fl_checklist_outcome_to_string (FlChecklistOutcome outcome)
{
  if ((guint) outcome >= G_N_ELEMENTS (outcome_names))
    return NULL;
  return outcome_names[outcome];
}

gboolean
fl_checklist_outcome_from_string (const char         *str,
                                  FlChecklistOutcome *out)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (outcome_names); i++)
    {
      if (strcmp (outcome_names[i], str) == 0)
        {
          *out = (FlChecklistOutcome) i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
fl_checklist_outcome_get_label (FlChecklistOutcome outcome)
{
  switch (outcome)
    {
    case FL_CHECKLIST_OUTCOME_DONE:    return C_("checklist outcome", "done");
    case FL_CHECKLIST_OUTCOME_YES:     return C_("checklist outcome", "yes");
    case FL_CHECKLIST_OUTCOME_NO:      return C_("checklist outcome", "no");
    case FL_CHECKLIST_OUTCOME_SKIPPED: return C_("checklist outcome", "skipped");
    case FL_CHECKLIST_OUTCOME_FAILED:  return C_("checklist outcome", "failed");
    default:                           return "";
    }
}

const char *
fl_checklist_step_kind_to_string (FlChecklistStepKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names))
    return NULL;
  return kind_names[kind];
}

const char *
fl_checklist_pick_language (const char *lang)
{
  const char * const *names;

  if (lang != NULL)
    return g_str_has_prefix (lang, "de") ? "de" : "en";

  names = g_get_language_names ();
  for (guint i = 0; names[i]; i++)
    {
      if (g_str_has_prefix (names[i], "de"))
        return "de";
      if (g_str_has_prefix (names[i], "en") || g_str_equal (names[i], "C"))
        return "en";
    }

  return "en";
}

const char *
fl_localized_text_get (const FlLocalizedText *text,
                       const char            *lang)
{
  const char * const *names;
  const char *one[] = { lang, NULL };

  g_return_val_if_fail (text != NULL, NULL);

  if (text->en == NULL)
    return NULL;

  gboolean asked_catalog = FALSE;

  names = lang != NULL ? one : g_get_language_names ();
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *found;

      if (g_str_has_prefix (names[i], "de"))
        return text->de;
      if (g_str_has_prefix (names[i], "en") || g_str_equal (names[i], "C") ||
          g_str_equal (names[i], "POSIX"))
        return text->en;
      if (text->other != NULL && (found = g_hash_table_lookup (text->other, names[i])) != NULL)
        return found;

      /* A language the definition does not have: the message catalog of the
       * current locale may (po/LANG.po, context "checklist"). */
      if (lang == NULL && !asked_catalog)
        {
          found = g_dpgettext2 (GETTEXT_PACKAGE, "checklist", text->en);
          if (found != text->en && g_strcmp0 (found, text->en) != 0)
            return found;
          asked_catalog = TRUE;
        }
    }
  return text->en;
}

const char *
fl_checklist_step_get_text (const FlChecklistStep *step,
                            const char            *lang)
{
  g_return_val_if_fail (step != NULL, NULL);

  return fl_localized_text_get (&step->text, lang);
}

const char *
fl_checklist_step_get_help (const FlChecklistStep *step,
                            const char            *lang)
{
  g_return_val_if_fail (step != NULL, NULL);

  return fl_localized_text_get (&step->help, lang);
}

const FlChecklistTarget *
fl_checklist_step_get_branch (const FlChecklistStep  *step,
                              FlChecklistOutcome      outcome,
                              GError                **error)
{
  g_return_val_if_fail (step != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (step->kind)
    {
    case FL_CHECKLIST_STEP_CHECK:
      if (outcome == FL_CHECKLIST_OUTCOME_DONE)
        return &step->next;
      if (outcome == FL_CHECKLIST_OUTCOME_SKIPPED)
        {
          if (step->marked_mandatory)
            {
              g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                           _("Step '%s' is mandatory and cannot be skipped"), step->id);
              return NULL;
            }
          if (step->mandatory)
            {
              g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                           _("Step '%s' is required by a later step and cannot be skipped"),
                           step->id);
              return NULL;
            }
          if (!step->skippable)
            {
              g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                           _("Step '%s' ends the checklist and cannot be skipped"), step->id);
              return NULL;
            }
          return &step->next;
        }
      if (outcome == FL_CHECKLIST_OUTCOME_FAILED)
        {
          if (step->failed.kind == FL_CHECKLIST_TARGET_NONE)
            {
              g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                           _("Step '%s' cannot fail"), step->id);
              return NULL;
            }
          return &step->failed;
        }
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                   _("Step '%s' is a check: its outcome is done, skipped or failed"), step->id);
      return NULL;

    case FL_CHECKLIST_STEP_QUESTION:
      if (outcome == FL_CHECKLIST_OUTCOME_YES)
        return &step->yes;
      if (outcome == FL_CHECKLIST_OUTCOME_NO)
        return &step->no;
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                   _("Step '%s' is a question: its answer is yes or no"), step->id);
      return NULL;

    case FL_CHECKLIST_STEP_INPUT:
      if (outcome == FL_CHECKLIST_OUTCOME_DONE)
        return &step->next;
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                   _("Step '%s' is a field to fill: its outcome is done, with a value"),
                   step->id);
      return NULL;

    default:
      g_assert_not_reached ();
    }
}

char *
fl_checklist_target_describe (const FlChecklistTarget *target)
{
  g_return_val_if_fail (target != NULL, NULL);

  switch (target->kind)
    {
    case FL_CHECKLIST_TARGET_STEP:
      /* Translators: %s is a step id */
      return g_strdup_printf (_("Go on with step %s"), target->step_id);
    case FL_CHECKLIST_TARGET_RESOLVE:
      /* Translators: %s is a resolution code's label, "Solved at first contact" */
      return g_strdup_printf (_("Resolve: %s"), fl_resolution_code_get_label (target->code));
    case FL_CHECKLIST_TARGET_ESCALATE:
      /* Translators: %s is the name of a 2nd-level queue */
      return g_strdup_printf (_("Escalate to %s"), target->queue);
    case FL_CHECKLIST_TARGET_NONE:
    default:
      return g_strdup ("");
    }
}

FlChecklist *
fl_checklist_new_from_json (JsonNode  *node,
                            GError   **error)
{
  g_autoptr(FlChecklist) self = NULL;
  const char *where = _("checklist");
  JsonObject *obj;
  JsonNode *member;
  JsonArray *steps;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_TYPE,
                   _("A checklist must be a JSON object"));
      return NULL;
    }
  obj = json_node_get_object (node);

  self = g_object_new (FL_TYPE_CHECKLIST, NULL);

  if (!get_slug (obj, where, "id", TRUE, &self->id, error) ||
      !get_string (obj, where, "category", TRUE, FL_CHECKLIST_ID_MAX, &self->category, error) ||
      !get_localized (obj, where, "title", TRUE, FL_CHECKLIST_TITLE_MAX, &self->title, error) ||
      !get_slug (obj, where, "start", TRUE, &self->start, error))
    return NULL;

  member = json_object_get_member (obj, "version");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      fail (error, FL_CHECKLIST_ERROR_INVALID, where, _("field '%s' is required"), "version");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_INT64)
    {
      fail (error, FL_CHECKLIST_ERROR_TYPE, where, _("field '%s' must be an integer"), "version");
      return NULL;
    }
  self->version = json_node_get_int (member);
  if (self->version < 1 || self->version > G_MAXINT32)
    {
      fail (error, FL_CHECKLIST_ERROR_INVALID, where, _("field '%s' must be at least 1"),
            "version");
      return NULL;
    }

  member = json_object_get_member (obj, "steps");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      fail (error, FL_CHECKLIST_ERROR_INVALID, where, _("field '%s' is required"), "steps");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (member))
    {
      fail (error, FL_CHECKLIST_ERROR_TYPE, where, _("field '%s' must be an array"), "steps");
      return NULL;
    }
  steps = json_node_get_array (member);
  if (json_array_get_length (steps) == 0 ||
      json_array_get_length (steps) > FL_CHECKLIST_MAX_STEPS)
    {
      fail (error, FL_CHECKLIST_ERROR_INVALID, where, _("field '%s' must have 1 to %u steps"),
            "steps", FL_CHECKLIST_MAX_STEPS);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      FlChecklistStep *step = parse_step (json_array_get_element (steps, i), i, error);

      if (step == NULL)
        return NULL;

      g_ptr_array_add (self->steps, step);

      if (g_hash_table_contains (self->index_of, step->id))
        {
          g_autofree char *at = g_strdup_printf (_("step %u"), i + 1);
          fail (error, FL_CHECKLIST_ERROR_DUPLICATE_STEP, at,
                _("step id '%s' is used twice"), step->id);
          return NULL;
        }
      g_hash_table_insert (self->index_of, step->id, GUINT_TO_POINTER (i + 1));
    }

  if (!check_graph (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

FlChecklist *
fl_checklist_new_from_file (const char  *path,
                            GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *name = NULL;
  FlChecklist *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = fl_json_parse_file (path, FL_CHECKLIST_FILE_MAX, error);
  if (root == NULL)
    return NULL;

  name = g_path_get_basename (path);
  self = fl_checklist_new_from_json (root, error);
  if (self == NULL)
    g_prefix_error (error, "%s: ", name);

  return self;
}

void
fl_checklist_build_json (FlChecklist *self,
                         JsonBuilder *builder)
{
  g_return_if_fail (FL_IS_CHECKLIST (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, self->version);
  json_builder_set_member_name (builder, "category");
  json_builder_add_string_value (builder, self->category);
  build_localized (builder, "title", &self->title);
  json_builder_set_member_name (builder, "start");
  json_builder_add_string_value (builder, self->start);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->steps->len; i++)
    build_step (builder, g_ptr_array_index (self->steps, i));
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

JsonNode *
fl_checklist_to_json (FlChecklist *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  fl_checklist_build_json (self, builder);
  return json_builder_get_root (builder);
}

const char *
fl_checklist_get_id (FlChecklist *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  return self->id;
}

gint64
fl_checklist_get_version (FlChecklist *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), 0);

  return self->version;
}

void
fl_checklist_set_version (FlChecklist *self,
                          gint64       version)
{
  g_return_if_fail (FL_IS_CHECKLIST (self));
  g_return_if_fail (version >= 1 && version <= G_MAXINT32);

  if (self->version == version)
    return;

  self->version = version;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VERSION]);
}

const char *
fl_checklist_get_category (FlChecklist *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  return self->category;
}

const char *
fl_checklist_get_title (FlChecklist *self,
                        const char  *lang)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  return fl_localized_text_get (&self->title, lang);
}

const char *
fl_checklist_get_start (FlChecklist *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  return self->start;
}

const FlChecklistStep *
fl_checklist_get_step (FlChecklist *self,
                       const char  *step_id)
{
  guint index;

  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);

  if (step_id == NULL)
    return NULL;

  index = GPOINTER_TO_UINT (g_hash_table_lookup (self->index_of, step_id));
  if (index == 0)
    return NULL;

  return g_ptr_array_index (self->steps, index - 1);
}

guint
fl_checklist_get_n_steps (FlChecklist *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), 0);

  return self->steps->len;
}

const FlChecklistStep *
fl_checklist_get_nth_step (FlChecklist *self,
                           guint        index)
{
  g_return_val_if_fail (FL_IS_CHECKLIST (self), NULL);
  g_return_val_if_fail (index < self->steps->len, NULL);

  return g_ptr_array_index (self->steps, index);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
fl_checklist_load_dir (const char  *dir,
                       GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) checklists = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (name[0] != '.' && g_str_has_suffix (name, ".json"))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(FlChecklist) checklist = fl_checklist_new_from_file (path, error);

      if (checklist == NULL)
        return NULL;

      if (fl_checklist_find_by_id (checklists, checklist->id) != NULL)
        {
          g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_DUPLICATE_ID,
                       _("%s: checklist id '%s' is already defined by another file"),
                       (const char *) g_ptr_array_index (names, i), checklist->id);
          return NULL;
        }

      g_ptr_array_add (checklists, g_steal_pointer (&checklist));
    }

  return g_steal_pointer (&checklists);
}

FlChecklist *
fl_checklist_find_for_category (GPtrArray  *checklists,
                                const char *category)
{
  g_return_val_if_fail (checklists != NULL, NULL);

  for (guint i = 0; i < checklists->len; i++)
    {
      FlChecklist *checklist = g_ptr_array_index (checklists, i);

      if (g_strcmp0 (checklist->category, category) == 0)
        return checklist;
    }

  return NULL;
}

FlChecklist *
fl_checklist_find_by_id (GPtrArray  *checklists,
                         const char *id)
{
  g_return_val_if_fail (checklists != NULL, NULL);

  for (guint i = 0; i < checklists->len; i++)
    {
      FlChecklist *checklist = g_ptr_array_index (checklists, i);

      if (g_strcmp0 (checklist->id, id) == 0)
        return checklist;
    }

  return NULL;
}
