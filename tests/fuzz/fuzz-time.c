/* fuzz-time.c — fl_time_parse() and fl_uuid_is_valid(), which every time and
 * id in a body goes through
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-types.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *str = NULL;
  gint64 ms = 0;

  fl_fuzz_init ();

  str = fl_fuzz_strndup (data, size);

  if (fl_uuid_is_valid (str))
    g_assert (strlen (str) == 36);

  if (fl_time_parse (str, &ms))
    {
      /* What we write, we read back as the same time. */
      g_autofree char *text = fl_time_format (ms);
      gint64 again = 0;

      if (!fl_time_parse (text, &again))
        g_error ("fl_time_format() wrote %s, which fl_time_parse() refuses", text);
      if (again != ms)
        g_error ("%s is %" G_GINT64_FORMAT " ms, written as %s which is %" G_GINT64_FORMAT " ms",
                 str, ms, text, again);
    }

  fl_text_is_valid (str, 0, 64);

  return 0;
}
