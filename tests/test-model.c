/* test-model.c — the ticket model and its JSON form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-ticket.h"

static void
test_priority (void)
{
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_HIGH), ==, 1);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_MEDIUM), ==, 2);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_HIGH), ==, 2);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_LOW), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_MEDIUM), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_HIGH), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_MEDIUM), ==, 4);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_LOW), ==, 4);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_LOW), ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/model/priority", test_priority);
  return g_test_run ();
}
