/* replay-main.c — runs a fuzz target over files, without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: fuzz-NAME-replay FILE-OR-DIRECTORY...
 * Every regular file given, and every file directly inside a directory given,
 * is read and passed to LLVMFuzzerTestOneInput() once. A crash is the failure;
 * the exit status is 1 when nothing could be read at all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-common.h"

static int
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  unsigned char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;

  if (f == NULL)
    {
      fprintf (stderr, "%s: %s\n", path, strerror (errno));
      return -1;
    }

  for (;;)
    {
      size_t n;

      if (len == cap)
        {
          cap = cap ? cap * 2 : 4096;
          buf = realloc (buf, cap);
          if (buf == NULL)
            abort ();
        }
      n = fread (buf + len, 1, cap - len, f);
      len += n;
      if (n == 0)
        break;
    }
  fclose (f);

  /* An exact copy, so that AddressSanitizer sees reads past the end. */
  {
    unsigned char *copy = malloc (len ? len : 1);

    if (copy == NULL)
      abort ();
    memcpy (copy, buf, len);
    free (buf);
    fprintf (stderr, "replay %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput (copy, len);
    free (copy);
  }

  return 0;
}

static int
compare_names (const void *a,
               const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Files directly inside @dir, in name order; a missing directory has none. */
static int
run_dir (const char *dir,
         int        *n_run)
{
  DIR *d = opendir (dir);
  struct dirent *entry;
  char **names = NULL;
  size_t n = 0;
  int rc = 0;

  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      fprintf (stderr, "%s: %s\n", dir, strerror (errno));
      return -1;
    }

  while ((entry = readdir (d)) != NULL)
    {
      if (entry->d_name[0] == '.')
        continue;
      names = realloc (names, (n + 1) * sizeof *names);
      if (names == NULL)
        abort ();
      names[n++] = strdup (entry->d_name);
    }
  closedir (d);

  qsort (names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++)
    {
      size_t len = strlen (dir) + strlen (names[i]) + 2;
      char *path = malloc (len);
      struct stat st;

      snprintf (path, len, "%s/%s", dir, names[i]);
      if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
        {
          if (run_file (path) < 0)
            rc = -1;
          else
            (*n_run)++;
        }
      free (path);
      free (names[i]);
    }
  free (names);

  return rc;
}

int
main (int    argc,
      char **argv)
{
  int n_run = 0;
  int rc = 0;

  for (int i = 1; i < argc; i++)
    {
      struct stat st;

      if (stat (argv[i], &st) == 0 && S_ISDIR (st.st_mode))
        {
          if (run_dir (argv[i], &n_run) < 0)
            rc = 1;
        }
      else if (run_file (argv[i]) < 0)
        {
          rc = 1;
        }
      else
        {
          n_run++;
        }
    }

  printf ("%d inputs replayed\n", n_run);
  return rc != 0 || n_run == 0 ? 1 : 0;
}
