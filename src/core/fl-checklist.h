/* fl-checklist.h — guided checklists: format, validation, loading
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fl-types.h"

G_BEGIN_DECLS

#define FL_CHECKLIST_ERROR (fl_checklist_error_quark ())

/* The format is described in docs/checklists.md. */
typedef enum
{
  /* Validation of a definition */
  FL_CHECKLIST_ERROR_TYPE,              /* a field has the wrong type or is not UTF-8: 400 */
  FL_CHECKLIST_ERROR_INVALID,           /* missing field, bad value, too long: 422 */
  FL_CHECKLIST_ERROR_UNKNOWN_STEP,      /* start, a branch or requires names no step: 422 */
  FL_CHECKLIST_ERROR_DUPLICATE_STEP,    /* two steps with one id: 422 */
  FL_CHECKLIST_ERROR_CYCLE,             /* the steps have a cycle (a path never ends): 422 */
  FL_CHECKLIST_ERROR_UNREACHABLE,       /* a step cannot be reached from start: 422 */
  FL_CHECKLIST_ERROR_REQUIRES,          /* a required step is not done on every path before: 422 */
  FL_CHECKLIST_ERROR_DUPLICATE_ID,      /* load_dir: two files define one checklist id */
  /* Recording a step (FlChecklistRun) */
  FL_CHECKLIST_ERROR_NOT_CURRENT,       /* the step is not the one to take now */
  FL_CHECKLIST_ERROR_REQUIRES_NOT_DONE, /* a step it requires has not been done */
  FL_CHECKLIST_ERROR_OUTCOME,           /* the outcome does not fit the step */
  FL_CHECKLIST_ERROR_VALUE,             /* missing value, or it does not match the pattern */
} FlChecklistError;

GQuark fl_checklist_error_quark (void);

/* Limits (characters) for untrusted definitions. */
#define FL_CHECKLIST_ID_MAX        64      /* checklist, step ids and queue names: [a-z0-9][a-z0-9_-]* */
#define FL_CHECKLIST_TITLE_MAX     200
#define FL_CHECKLIST_TEXT_MAX      1000    /* step text, placeholder */
#define FL_CHECKLIST_HELP_MAX      4000
#define FL_CHECKLIST_PATTERN_MAX   500
#define FL_CHECKLIST_VALUE_MAX     1000    /* an input step's value */
#define FL_CHECKLIST_LANGUAGES_MAX 34     /* languages of one text, "de" and "en" included */
#define FL_CHECKLIST_FILE_MAX      (1024 * 1024)   /* a definition file, in bytes */
#define FL_CHECKLIST_MAX_STEPS     200
#define FL_CHECKLIST_MAX_REQUIRES  16

/* The step id of the pseudo step that restarts a checklist on a ticket. */
#define FL_CHECKLIST_RESTART_STEP  "_restart"

typedef enum
{
  FL_CHECKLIST_STEP_CHECK,      /* something to do and tick: done / skipped / failed */
  FL_CHECKLIST_STEP_QUESTION,   /* a yes/no question that branches */
  FL_CHECKLIST_STEP_INPUT,      /* a field to fill: done with a value */
} FlChecklistStepKind;

/* The outcomes of the API's checklist op, in its order. */
typedef enum
{
  FL_CHECKLIST_OUTCOME_DONE,
  FL_CHECKLIST_OUTCOME_YES,
  FL_CHECKLIST_OUTCOME_NO,
  FL_CHECKLIST_OUTCOME_SKIPPED,
  FL_CHECKLIST_OUTCOME_FAILED,
} FlChecklistOutcome;

typedef enum
{
  FL_CHECKLIST_TARGET_NONE,     /* no branch (an absent optional "failed") */
  FL_CHECKLIST_TARGET_STEP,     /* go on with another step */
  FL_CHECKLIST_TARGET_RESOLVE,  /* finished: suggest resolving with a code */
  FL_CHECKLIST_TARGET_ESCALATE, /* finished: suggest a handoff to a 2nd-level queue */
} FlChecklistTargetKind;

typedef struct
{
  FlChecklistTargetKind  kind;
  char                  *step_id;  /* TARGET_STEP */
  FlResolutionCode       code;     /* TARGET_RESOLVE */
  char                  *queue;    /* TARGET_ESCALATE */
} FlChecklistTarget;

/* Text in German and English — both are set, or both NULL for absent optional
 * text — and in any further languages of the definition. */
typedef struct
{
  char       *de;
  char       *en;
  GHashTable *other;   /* nullable: language code ("fr", "pt_BR") → text */
} FlLocalizedText;

/* A step of a checklist. Owned by its FlChecklist and valid as long as it is;
 * read the fields directly, never change them. */
typedef struct
{
  char                *id;
  FlChecklistStepKind  kind;
  FlLocalizedText      text;
  FlLocalizedText      help;         /* optional */
  FlLocalizedText      placeholder;  /* optional, input only */
  char                *pattern;      /* optional, input only: GRegex matched against the whole value */
  char                *example;      /* input only, required with a pattern: a value it matches */
  GStrv                requires;     /* never NULL; steps that must be done before this one */
  GPtrArray           *requires_any; /* never NULL; GStrv groups: one step of each must be done */
  gboolean             marked_mandatory; /* "mandatory": true in the definition */
  gboolean             mandatory;    /* marked, or another step requires this one */
  gboolean             skippable;    /* check only: not mandatory, and "next" is another step */
  FlChecklistTarget    next;         /* check (done, skipped), input (done) */
  FlChecklistTarget    yes;          /* question */
  FlChecklistTarget    no;           /* question */
  FlChecklistTarget    failed;       /* check, optional: kind NONE when absent */
} FlChecklistStep;

const char *fl_checklist_outcome_to_string   (FlChecklistOutcome   outcome);
gboolean    fl_checklist_outcome_from_string (const char          *str,
                                              FlChecklistOutcome  *out);
/* "done", "yes", … for people, translated. */
const char *fl_checklist_outcome_get_label   (FlChecklistOutcome   outcome);

const char *fl_checklist_step_kind_to_string (FlChecklistStepKind  kind);

/* "de" or "en": @lang when it starts with "de" or is another language (then "en"), or
 * for NULL the current locale's language (g_get_language_names). */
const char *fl_checklist_pick_language       (const char          *lang);
/* The text in @lang (NULL: the current locale's languages, g_get_language_names ()):
 * the definition's own text in that language, else (for the current locale) the
 * translation of the English text in the "checklist" context of the message
 * catalog, else English. NULL when the text is absent. */
const char *fl_localized_text_get            (const FlLocalizedText *text,
                                              const char            *lang);

const char *fl_checklist_step_get_text       (const FlChecklistStep *step,
                                              const char            *lang);
const char *fl_checklist_step_get_help       (const FlChecklistStep *step,
                                              const char            *lang);
/* Whether @outcome fits the step's kind (a "failed" branch exists for "failed", the check
 * is skippable for "skipped"); when it does, the branch it leads to. */
const FlChecklistTarget *
            fl_checklist_step_get_branch     (const FlChecklistStep *step,
                                              FlChecklistOutcome     outcome,
                                              GError               **error);

/* "Resolve: Solved at first contact", "Escalate to accounts", for people. */
char       *fl_checklist_target_describe     (const FlChecklistTarget *target);

/* -------------------------------------------------------------------------- */

#define FL_TYPE_CHECKLIST (fl_checklist_get_type ())
G_DECLARE_FINAL_TYPE (FlChecklist, fl_checklist, FL, CHECKLIST, GObject)

/* Parses and validates a definition (untrusted input). Errors in FL_CHECKLIST_ERROR
 * name the step and field. */
FlChecklist *fl_checklist_new_from_json    (JsonNode     *node,
                                            GError      **error);
FlChecklist *fl_checklist_new_from_file    (const char   *path,
                                            GError      **error);
JsonNode    *fl_checklist_to_json          (FlChecklist  *self);
void         fl_checklist_build_json       (FlChecklist  *self,
                                            JsonBuilder  *builder);

const char  *fl_checklist_get_id           (FlChecklist  *self);
gint64       fl_checklist_get_version      (FlChecklist  *self);
void         fl_checklist_set_version      (FlChecklist  *self,
                                            gint64        version);
const char  *fl_checklist_get_category     (FlChecklist  *self);
const char  *fl_checklist_get_title        (FlChecklist  *self,
                                            const char   *lang);
const char  *fl_checklist_get_start        (FlChecklist  *self);
/* NULL when there is no such step. */
const FlChecklistStep *
             fl_checklist_get_step         (FlChecklist  *self,
                                            const char   *step_id);
guint        fl_checklist_get_n_steps      (FlChecklist  *self);
/* In definition order. */
const FlChecklistStep *
             fl_checklist_get_nth_step     (FlChecklist  *self,
                                            guint         index);

/* Every *.json file in @dir, sorted by file name: a GPtrArray of FlChecklist. */
GPtrArray   *fl_checklist_load_dir         (const char   *dir,
                                            GError      **error);
/* The first checklist in @checklists serving @category, or NULL. */
FlChecklist *fl_checklist_find_for_category (GPtrArray   *checklists,
                                            const char   *category);
FlChecklist *fl_checklist_find_by_id       (GPtrArray    *checklists,
                                            const char   *id);

G_END_DECLS
