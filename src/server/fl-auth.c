/* fl-auth.c — password hashes, session tokens and the login limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-auth"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "fl-auth.h"

struct _FlAuthLimiter
{
  /* username → GArray of gint64 failure times (seconds) */
  GHashTable *failures;
};

static char *dummy_hash;

gboolean
fl_auth_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Cannot initialize libsodium"));
      return FALSE;
    }
  return TRUE;
}

char *
fl_auth_hash_password (const char *password)
{
  char out[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (crypto_pwhash_str (out, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return NULL;

  return g_strdup (out);
}

gboolean
fl_auth_verify_password (const char *hash,
                         const char *password)
{
  g_return_val_if_fail (password != NULL, FALSE);

  if (hash == NULL)
    {
      /* Same work for an unknown user as for a wrong password. */
      if (g_once_init_enter (&dummy_hash))
        g_once_init_leave (&dummy_hash, fl_auth_hash_password ("firstline-dummy-password"));
      if (dummy_hash != NULL && crypto_pwhash_str_verify (dummy_hash, password, strlen (password)) == 0)
        g_debug ("dummy hash matched");
      return FALSE;
    }

  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

char *
fl_auth_new_token (void)
{
  guchar bytes[32];
  char hex[2 * sizeof bytes + 1];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (hex);
}

char *
fl_auth_hash_token (const char *token)
{
  guchar digest[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof digest + 1];

  g_return_val_if_fail (token != NULL, NULL);

  crypto_hash_sha256 (digest, (const guchar *) token, strlen (token));
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
  return g_strdup (hex);
}

gboolean
fl_auth_equal (const char *a,
               const char *b)
{
  gsize la, lb;

  if (a == NULL || b == NULL)
    return FALSE;

  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return FALSE;
  return sodium_memcmp (a, b, la) == 0;
}

/* -------------------------------------------------------------------------- */

FlAuthLimiter *
fl_auth_limiter_new (void)
{
  FlAuthLimiter *self = g_new0 (FlAuthLimiter, 1);

  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
  return self;
}

void
fl_auth_limiter_free (FlAuthLimiter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->failures);
  g_free (self);
}

static GArray *
prune (FlAuthLimiter *self,
       const char    *username,
       gint64         now_s)
{
  GArray *times = g_hash_table_lookup (self->failures, username);

  if (times == NULL)
    return NULL;

  while (times->len > 0 &&
         g_array_index (times, gint64, 0) <= now_s - FL_AUTH_WINDOW_SECONDS)
    g_array_remove_index (times, 0);

  if (times->len == 0)
    {
      g_hash_table_remove (self->failures, username);
      return NULL;
    }
  return times;
}

gint64
fl_auth_limiter_check (FlAuthLimiter *self,
                       const char    *username,
                       gint64         now_s)
{
  GArray *times;
  gint64 wait;

  g_return_val_if_fail (self != NULL, 0);

  times = prune (self, username, now_s);
  if (times == NULL || times->len < FL_AUTH_MAX_FAILURES)
    return 0;

  /* Blocked until the oldest failure that keeps the count at the limit leaves the window. */
  wait = g_array_index (times, gint64, times->len - FL_AUTH_MAX_FAILURES)
         + FL_AUTH_WINDOW_SECONDS - now_s;
  return MAX (wait, 1);
}

void
fl_auth_limiter_failure (FlAuthLimiter *self,
                         const char    *username,
                         gint64         now_s)
{
  GArray *times;

  g_return_if_fail (self != NULL);

  times = prune (self, username, now_s);
  if (times == NULL)
    {
      /* Bound the memory an attacker can make us use with random names. */
      if (g_hash_table_size (self->failures) > 100000)
        g_hash_table_remove_all (self->failures);
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->failures, g_strdup (username), times);
    }
  g_array_append_val (times, now_s);
  if (times->len > 2 * FL_AUTH_MAX_FAILURES)
    g_array_remove_index (times, 0);
}
