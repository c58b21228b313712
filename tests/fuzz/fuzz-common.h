/* fuzz-common.h — what every fuzz target shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each fuzz target defines LLVMFuzzerTestOneInput() and calls fl_fuzz_init()
 * first. A g_critical() or g_warning() is a bug the fuzzer should find, so
 * both abort(); everything quieter is dropped to keep the output readable.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static GLogWriterOutput
fl_fuzz_log_writer (GLogLevelFlags   log_level,
                    const GLogField *fields,
                    gsize            n_fields,
                    gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_default (log_level, fields, n_fields, user_data);
      /* GLib would stop with SIGTRAP, which libFuzzer does not catch: it
       * keeps the input of an abort(). */
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

static inline void
fl_fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;

  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_writer_func (fl_fuzz_log_writer, NULL, NULL);
}

/* The input as a C string, as it would arrive from a URI or a header: up to
 * its first NUL. */
static inline char *
fl_fuzz_strndup (const uint8_t *data,
                 size_t         size)
{
  return g_strndup ((const char *) data, size);
}
