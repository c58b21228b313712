/* fuzz-checklist.c — a checklist definition (from the server, a file or an
 * upload): fl_checklist_new_from_json() and its validator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-checklist.h"
#include "fl-json.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FlChecklist) checklist = NULL;
  g_autoptr(FlChecklist) again = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;

  fl_fuzz_init ();

  if (!(root = fl_json_parse ((const char *) data, size, NULL)))
    return 0;
  checklist = fl_checklist_new_from_json (root, &error);
  g_assert ((checklist == NULL) == (error != NULL));
  if (checklist == NULL)
    return 0;

  g_assert (fl_checklist_get_step (checklist, fl_checklist_get_start (checklist)) != NULL);
  fl_checklist_get_title (checklist, "de");
  fl_checklist_get_title (checklist, "en");

  for (guint i = 0; i < fl_checklist_get_n_steps (checklist); i++)
    {
      const FlChecklistStep *step = fl_checklist_get_nth_step (checklist, i);

      fl_checklist_step_get_text (step, "de");
      fl_checklist_step_get_help (step, "en");
      for (FlChecklistOutcome o = FL_CHECKLIST_OUTCOME_DONE; o <= FL_CHECKLIST_OUTCOME_FAILED; o++)
        {
          g_autoptr(GError) branch_error = NULL;
          const FlChecklistTarget *target = fl_checklist_step_get_branch (step, o, &branch_error);

          g_assert ((target == NULL) == (branch_error != NULL));
          if (target != NULL)
            {
              g_autofree char *text = fl_checklist_target_describe (target);

              g_assert (target->kind != FL_CHECKLIST_TARGET_STEP ||
                        fl_checklist_get_step (checklist, target->step_id) != NULL);
            }
        }
    }

  /* The server and the cache store what fl_checklist_to_json() writes and
   * read it back: it must be accepted again. */
  json = fl_checklist_to_json (checklist);
  g_clear_error (&error);
  again = fl_checklist_new_from_json (json, &error);
  if (again == NULL)
    g_error ("a checklist written by fl_checklist_to_json() was refused: %s", error->message);
  g_assert (fl_checklist_get_n_steps (again) == fl_checklist_get_n_steps (checklist));

  return 0;
}
