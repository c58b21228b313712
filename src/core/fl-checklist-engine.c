/* fl-checklist-engine.c — a checklist's progress on one ticket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-checklist-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-checklist-engine.h"
#include "fl-json-private.h"

struct _FlChecklistRun
{
  GObject                  parent_instance;

  /* Owned */
  FlChecklist             *checklist;
  GPtrArray               *records;    /* FlChecklistRecord*, every attempt */
  GPtrArray               *done;       /* FlChecklistRecord*, borrowed from records */

  /* Borrowed from the checklist */
  const FlChecklistStep   *current;
  const FlChecklistTarget *result;

  guint                    attempt;
  guint                    n_ignored;
};

enum {
  PROP_0,
  PROP_CHECKLIST,
  PROP_FINISHED,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (FlChecklistRun, fl_checklist_run, G_TYPE_OBJECT)

static void
record_free (FlChecklistRecord *record)
{
  g_free (record->step_id);
  g_free (record->value);
  g_free (record->author);
  g_free (record);
}

static void
reset (FlChecklistRun *self)
{
  g_ptr_array_set_size (self->done, 0);
  self->current = fl_checklist_get_step (self->checklist, fl_checklist_get_start (self->checklist));
  self->result = NULL;
}

static gboolean
is_positive (FlChecklistOutcome outcome)
{
  return outcome == FL_CHECKLIST_OUTCOME_DONE || outcome == FL_CHECKLIST_OUTCOME_YES;
}

static const FlChecklistTarget *
check_step (FlChecklistRun     *self,
            const char         *step_id,
            FlChecklistOutcome  outcome,
            const char         *value,
            GError            **error)
{
  const FlChecklistStep *step;
  const FlChecklistTarget *target;
  g_autofree char *missing = NULL;

  step = fl_checklist_get_step (self->checklist, step_id);
  if (step == NULL)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT,
                   _("Checklist “%s” has no step '%s'"),
                   fl_checklist_get_id (self->checklist), step_id);
      return NULL;
    }

  if (self->current == NULL)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT,
                   _("The checklist is finished; restart it to take step '%s' again"), step_id);
      return NULL;
    }

  if (step != self->current)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT,
                   _("Step '%s' is not the current step ('%s')"), step_id, self->current->id);
      return NULL;
    }

  missing = fl_checklist_run_dup_missing_requires (self, step);
  if (missing != NULL)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_REQUIRES_NOT_DONE,
                   _("Step '%s' needs %s done first"), step_id, missing);
      return NULL;
    }

  target = fl_checklist_step_get_branch (step, outcome, error);
  if (target == NULL)
    return NULL;

  if (step->kind == FL_CHECKLIST_STEP_INPUT)
    {
      if (value == NULL || !fl_text_is_valid (value, 1, FL_CHECKLIST_VALUE_MAX))
        {
          g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE,
                       _("Step '%s' needs a value of 1 to %u characters"), step_id,
                       FL_CHECKLIST_VALUE_MAX);
          return NULL;
        }

      if (step->pattern != NULL)
        {
          g_autofree char *anchored = g_strdup_printf ("\\A(?:%s)\\z", step->pattern);
          g_autoptr(GRegex) regex = g_regex_new (anchored, 0, 0, NULL);

          /* The validator compiled the pattern already */
          if (regex == NULL || !g_regex_match (regex, value, 0, NULL))
            {
              if (step->example != NULL)
                g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE,
                             _("“%s” is not in the expected form, for example “%s”"),
                             value, step->example);
              else
                g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE,
                             _("“%s” is not in the expected form"), value);
              return NULL;
            }
        }
    }
  else if (value != NULL)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE,
                   _("Step '%s' takes no value"), step_id);
      return NULL;
    }

  return target;
}

static char *
describe_record (FlChecklistRun          *self,
                 const FlChecklistRecord *record)
{
  const FlChecklistStep *step = fl_checklist_get_step (self->checklist, record->step_id);
  const char *text = step ? fl_checklist_step_get_text (step, NULL) : record->step_id;

  /* Translators: a checklist step and its answer ("Is the cable plugged in? — yes") */
  if (record->value != NULL)
    return g_strdup_printf (_("%s — %s"), text, record->value);
  return g_strdup_printf (_("%s — %s"), text, fl_checklist_outcome_get_label (record->outcome));
}

static void
fl_checklist_run_finalize (GObject *object)
{
  FlChecklistRun *self = (FlChecklistRun *)object;

  g_clear_pointer (&self->done, g_ptr_array_unref);
  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_object (&self->checklist);

  G_OBJECT_CLASS (fl_checklist_run_parent_class)->finalize (object);
}

static void
fl_checklist_run_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FlChecklistRun *self = FL_CHECKLIST_RUN (object);

  switch (prop_id)
    {
    case PROP_CHECKLIST:
      g_value_set_object (value, self->checklist);
      break;

    case PROP_FINISHED:
      g_value_set_boolean (value, fl_checklist_run_is_finished (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_checklist_run_class_init (FlChecklistRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_checklist_run_finalize;
  object_class->get_property = fl_checklist_run_get_property;

  properties [PROP_CHECKLIST] =
    g_param_spec_object ("checklist", NULL, NULL, FL_TYPE_CHECKLIST,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_FINISHED] =
    g_param_spec_boolean ("finished", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_checklist_run_init (FlChecklistRun *self)
{
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  self->done = g_ptr_array_new ();
}

FlChecklistRun *
fl_checklist_run_new (FlChecklist *checklist,
                      GPtrArray   *events)
{
  FlChecklistRun *self;

  g_return_val_if_fail (FL_IS_CHECKLIST (checklist), NULL);

  self = g_object_new (FL_TYPE_CHECKLIST_RUN, NULL);
  self->checklist = g_object_ref (checklist);
  reset (self);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!fl_checklist_run_add_event (self, g_ptr_array_index (events, i), &error))
        {
          g_debug ("Ignoring checklist event: %s", error->message);
          self->n_ignored++;
        }
    }

  return self;
}

FlChecklist *
fl_checklist_run_get_checklist (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return self->checklist;
}

const FlChecklistStep *
fl_checklist_run_get_current_step (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return self->current;
}

GPtrArray *
fl_checklist_run_get_done_steps (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return self->done;
}

GPtrArray *
fl_checklist_run_get_records (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return self->records;
}

const FlChecklistRecord *
fl_checklist_run_lookup_record (FlChecklistRun *self,
                                const char     *step_id)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  for (guint i = 0; i < self->done->len; i++)
    {
      const FlChecklistRecord *record = g_ptr_array_index (self->done, i);

      if (g_strcmp0 (record->step_id, step_id) == 0)
        return record;
    }

  return NULL;
}

static gboolean
is_done (FlChecklistRun *self,
         const char     *step_id)
{
  const FlChecklistRecord *record = fl_checklist_run_lookup_record (self, step_id);

  return record != NULL && is_positive (record->outcome);
}

static void
append_step_text (FlChecklistRun *self,
                  GString        *out,
                  const char     *step_id)
{
  const FlChecklistStep *step = fl_checklist_get_step (self->checklist, step_id);

  g_string_append_printf (out, "“%s”", step ? fl_checklist_step_get_text (step, NULL) : step_id);
}

char *
fl_checklist_run_dup_missing_requires (FlChecklistRun        *self,
                                       const FlChecklistStep *step)
{
  g_autoptr(GString) missing = NULL;

  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);
  g_return_val_if_fail (step != NULL, NULL);

  for (guint i = 0; step->requires[i]; i++)
    {
      if (is_done (self, step->requires[i]))
        continue;
      if (missing == NULL)
        missing = g_string_new (NULL);
      else
        g_string_append (missing, ", ");
      append_step_text (self, missing, step->requires[i]);
    }

  for (guint i = 0; i < step->requires_any->len; i++)
    {
      GStrv group = g_ptr_array_index (step->requires_any, i);
      gboolean any = FALSE;

      for (guint k = 0; group[k] && !any; k++)
        any = is_done (self, group[k]);
      if (any)
        continue;

      if (missing == NULL)
        missing = g_string_new (NULL);
      else
        g_string_append (missing, ", ");
      for (guint k = 0; group[k]; k++)
        {
          if (k > 0)
            /* Translators: between the alternatives of a step's requirement: “A” or “B” */
            g_string_append (missing, group[k + 1] ? ", " : _(" or "));
          append_step_text (self, missing, group[k]);
        }
    }

  return missing ? g_string_free (g_steal_pointer (&missing), FALSE) : NULL;
}

gboolean
fl_checklist_run_is_started (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), FALSE);

  return self->done->len > 0;
}

gboolean
fl_checklist_run_is_finished (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), FALSE);

  return self->result != NULL;
}

const FlChecklistTarget *
fl_checklist_run_get_result (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return self->result;
}

guint
fl_checklist_run_get_attempt (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), 0);

  return self->attempt;
}

guint
fl_checklist_run_get_n_ignored (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), 0);

  return self->n_ignored;
}

const FlChecklistTarget *
fl_checklist_run_check_step (FlChecklistRun     *self,
                             const char         *step_id,
                             FlChecklistOutcome  outcome,
                             const char         *value,
                             GError            **error)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);
  g_return_val_if_fail (step_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return check_step (self, step_id, outcome, value, error);
}

static JsonObject *
make_data (FlChecklistRun     *self,
           const char         *step_id,
           FlChecklistOutcome  outcome,
           const char         *value)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "checklist_id", fl_checklist_get_id (self->checklist));
  json_object_set_int_member (data, "checklist_version",
                              fl_checklist_get_version (self->checklist));
  json_object_set_string_member (data, "step_id", step_id);
  json_object_set_string_member (data, "outcome", fl_checklist_outcome_to_string (outcome));
  if (value != NULL)
    json_object_set_string_member (data, "value", value);

  return data;
}

JsonObject *
fl_checklist_run_make_step_data (FlChecklistRun     *self,
                                 const char         *step_id,
                                 FlChecklistOutcome  outcome,
                                 const char         *value,
                                 GError            **error)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);
  g_return_val_if_fail (step_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (check_step (self, step_id, outcome, value, error) == NULL)
    return NULL;

  return make_data (self, step_id, outcome, value);
}

JsonObject *
fl_checklist_run_make_restart_data (FlChecklistRun *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  return make_data (self, FL_CHECKLIST_RESTART_STEP, FL_CHECKLIST_OUTCOME_DONE, NULL);
}

gboolean
fl_checklist_run_apply (FlChecklistRun  *self,
                        JsonObject      *data,
                        const char      *author,
                        gint64           at,
                        GError         **error)
{
  const FlChecklistTarget *target;
  FlChecklistRecord *record;
  FlChecklistOutcome outcome;
  const char *step_id;
  const char *value = NULL;
  JsonNode *node;
  gboolean was_finished;

  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_strcmp0 (_fl_json_string_member (data, "checklist_id", NULL),
                 fl_checklist_get_id (self->checklist)) != 0)
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT,
                   _("The step belongs to another checklist"));
      return FALSE;
    }

  step_id = _fl_json_string_member (data, "step_id", NULL);
  if (step_id == NULL ||
      !fl_checklist_outcome_from_string (_fl_json_string_member (data, "outcome", NULL), &outcome))
    {
      g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME,
                   _("The step has no step id or no valid outcome"));
      return FALSE;
    }

  node = json_object_get_member (data, "value");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE,
                       _("The step's value is not text"));
          return FALSE;
        }
      value = json_node_get_string (node);
    }

  was_finished = fl_checklist_run_is_finished (self);

  if (g_str_equal (step_id, FL_CHECKLIST_RESTART_STEP))
    {
      self->attempt++;
      reset (self);
      if (was_finished)
        g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_FINISHED]);
      return TRUE;
    }

  target = check_step (self, step_id, outcome, value, error);
  if (target == NULL)
    return FALSE;

  record = g_new0 (FlChecklistRecord, 1);
  record->step_id = g_strdup (step_id);
  record->outcome = outcome;
  record->value = g_strdup (value);
  record->author = g_strdup (author ? author : "");
  record->at = at;
  record->attempt = self->attempt;
  g_ptr_array_add (self->records, record);
  g_ptr_array_add (self->done, record);

  if (target->kind == FL_CHECKLIST_TARGET_STEP)
    {
      self->current = fl_checklist_get_step (self->checklist, target->step_id);
      g_assert (self->current != NULL);
    }
  else
    {
      self->current = NULL;
      self->result = target;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_FINISHED]);
    }

  return TRUE;
}

gboolean
fl_checklist_run_add_event (FlChecklistRun  *self,
                            FlEvent         *event,
                            GError         **error)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), FALSE);
  g_return_val_if_fail (FL_IS_EVENT (event), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (event->type != FL_OP_CHECKLIST || event->data == NULL ||
      g_strcmp0 (_fl_json_string_member (event->data, "checklist_id", NULL),
                 fl_checklist_get_id (self->checklist)) != 0)
    return TRUE;

  return fl_checklist_run_apply (self, event->data, event->author, event->at, error);
}

GStrv
fl_checklist_run_dup_steps_tried (FlChecklistRun *self)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  for (guint i = 0; i < self->records->len; i++)
    g_ptr_array_add (lines, describe_record (self, g_ptr_array_index (self->records, i)));
  g_ptr_array_add (lines, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

char *
fl_checklist_run_describe_steps (FlChecklistRun *self)
{
  g_auto(GStrv) lines = NULL;
  GString *str;

  g_return_val_if_fail (FL_IS_CHECKLIST_RUN (self), NULL);

  str = g_string_new (NULL);
  /* Translators: a checklist's title and version, heading its steps */
  g_string_append_printf (str, _("Checklist “%s” (version %d):"),
                          fl_checklist_get_title (self->checklist, NULL),
                          (int) fl_checklist_get_version (self->checklist));

  lines = fl_checklist_run_dup_steps_tried (self);
  for (guint i = 0; lines[i]; i++)
    g_string_append_printf (str, "\n- %s", lines[i]);

  if (self->result != NULL)
    {
      g_autofree char *result = fl_checklist_target_describe (self->result);
      g_string_append_printf (str, "\n%s", result);
    }

  return g_string_free (str, FALSE);
}
