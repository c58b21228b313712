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
  /* "u:NAME" or "a:ADDRESS" → Bucket */
  GHashTable *buckets;
  guint       max_per_user;
  guint       max_per_address;
  gint64      window;
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

typedef struct
{
  GArray *times;                /* gint64 failure times (seconds), oldest first */
  guint   pending;              /* attempts begun and not yet ended */
} Bucket;

static void
bucket_free (gpointer data)
{
  Bucket *bucket = data;

  g_array_unref (bucket->times);
  g_free (bucket);
}

FlAuthLimiter *
fl_auth_limiter_new_full (guint  max_per_user,
                          guint  max_per_address,
                          gint64 window_s)
{
  FlAuthLimiter *self = g_new0 (FlAuthLimiter, 1);

  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, bucket_free);
  self->max_per_user = MAX (max_per_user, 1);
  self->max_per_address = MAX (max_per_address, 1);
  self->window = MAX (window_s, 1);
  return self;
}

FlAuthLimiter *
fl_auth_limiter_new (void)
{
  return fl_auth_limiter_new_full (FL_AUTH_MAX_FAILURES, FL_AUTH_MAX_ADDRESS_FAILURES,
                                   FL_AUTH_WINDOW_SECONDS);
}

void
fl_auth_limiter_free (FlAuthLimiter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->buckets);
  g_free (self);
}

static char *
bucket_key (char        kind,
            const char *name)
{
  return g_strdup_printf ("%c:%s", kind, name);
}

/* The bucket of @key without failures older than the window; NULL when there is none. */
static Bucket *
lookup (FlAuthLimiter *self,
        const char    *key,
        gint64         now_s)
{
  Bucket *bucket = g_hash_table_lookup (self->buckets, key);

  if (bucket == NULL)
    return NULL;

  while (bucket->times->len > 0 &&
         g_array_index (bucket->times, gint64, 0) <= now_s - self->window)
    g_array_remove_index (bucket->times, 0);

  if (bucket->times->len == 0 && bucket->pending == 0)
    {
      g_hash_table_remove (self->buckets, key);
      return NULL;
    }
  return bucket;
}

static Bucket *
lookup_or_add (FlAuthLimiter *self,
               const char    *key,
               gint64         now_s)
{
  Bucket *bucket = lookup (self, key, now_s);

  if (bucket == NULL)
    {
      /* Bound the memory an attacker can make us use with random names. Buckets with
       * attempts under way stay, so that every begin still finds its end. */
      if (g_hash_table_size (self->buckets) > 100000)
        {
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, self->buckets);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            if (((Bucket *) value)->pending == 0)
              g_hash_table_iter_remove (&iter);
        }
      bucket = g_new0 (Bucket, 1);
      bucket->times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->buckets, g_strdup (key), bucket);
    }
  return bucket;
}

/* Seconds until @bucket is below @max again, counting attempts under way as failures
 * at @now_s; 0 when it is below already. */
static gint64
bucket_wait (FlAuthLimiter *self,
             Bucket        *bucket,
             guint          max,
             gint64         now_s)
{
  guint used;
  guint oldest;

  if (bucket == NULL)
    return 0;

  used = bucket->times->len + bucket->pending;
  if (used < max)
    return 0;

  /* The attempt that has to leave the window before one more may start. */
  oldest = used - max;
  if (oldest < bucket->times->len)
    return MAX (g_array_index (bucket->times, gint64, oldest) + self->window - now_s, 1);
  return self->window;
}

static void
bucket_add_failure (FlAuthLimiter *self,
                    Bucket        *bucket,
                    guint          max,
                    gint64         now_s)
{
  g_array_append_val (bucket->times, now_s);
  if (bucket->times->len > 2 * max)
    g_array_remove_index (bucket->times, 0);
}

gint64
fl_auth_limiter_check (FlAuthLimiter *self,
                       const char    *username,
                       gint64         now_s)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (username != NULL, 0);

  key = bucket_key ('u', username);
  return bucket_wait (self, lookup (self, key, now_s), self->max_per_user, now_s);
}

void
fl_auth_limiter_failure (FlAuthLimiter *self,
                         const char    *username,
                         gint64         now_s)
{
  g_autofree char *key = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (username != NULL);

  key = bucket_key ('u', username);
  bucket_add_failure (self, lookup_or_add (self, key, now_s), self->max_per_user, now_s);
}

gint64
fl_auth_limiter_begin (FlAuthLimiter *self,
                       const char    *username,
                       const char    *address,
                       gint64         now_s)
{
  g_autofree char *user_key = NULL;
  g_autofree char *address_key = NULL;
  gint64 wait;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (username != NULL, 0);

  user_key = bucket_key ('u', username);
  wait = bucket_wait (self, lookup (self, user_key, now_s), self->max_per_user, now_s);
  if (address != NULL)
    {
      address_key = bucket_key ('a', address);
      wait = MAX (wait, bucket_wait (self, lookup (self, address_key, now_s),
                                     self->max_per_address, now_s));
    }
  if (wait > 0)
    return wait;

  lookup_or_add (self, user_key, now_s)->pending++;
  if (address_key != NULL)
    lookup_or_add (self, address_key, now_s)->pending++;
  return 0;
}

static void
end_one (FlAuthLimiter *self,
         const char    *key,
         guint          max,
         gboolean       failed,
         gint64         now_s)
{
  Bucket *bucket = lookup_or_add (self, key, now_s);

  if (bucket->pending > 0)
    bucket->pending--;
  if (failed)
    bucket_add_failure (self, bucket, max, now_s);
  else
    lookup (self, key, now_s);   /* drops it when empty */
}

void
fl_auth_limiter_end (FlAuthLimiter *self,
                     const char    *username,
                     const char    *address,
                     gboolean       failed,
                     gint64         now_s)
{
  g_autofree char *user_key = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (username != NULL);

  user_key = bucket_key ('u', username);
  end_one (self, user_key, self->max_per_user, failed, now_s);
  if (address != NULL)
    {
      g_autofree char *address_key = bucket_key ('a', address);
      end_one (self, address_key, self->max_per_address, failed, now_s);
    }
}
