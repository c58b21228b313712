/* fl-credentials.c — where the login token is kept
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-credentials"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "fl-credentials.h"

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.firstline.Firstline.Token", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* FIRSTLINE_CREDENTIALS=file skips the Secret Service (headless machines, tests). */
static gboolean
secret_service_wanted (void)
{
  return g_strcmp0 (g_getenv ("FIRSTLINE_CREDENTIALS"), "file") != 0;
}

static char *
group_name (const char *server_url,
            const char *username)
{
  return g_strdup_printf ("%s %s", username, server_url);
}

/* FIRSTLINE_TOKEN_FILE names another file (the demo keeps its token beside
 * its data, away from the user's own). */
char *
fl_credentials_dup_file_path (void)
{
  const char *path = g_getenv ("FIRSTLINE_TOKEN_FILE");

  if (path != NULL && *path != '\0')
    return g_strdup (path);
  return g_build_filename (g_get_user_config_dir (), "firstline", "token", NULL);
}

static GKeyFile *
load_file (void)
{
  g_autofree char *path = fl_credentials_dup_file_path ();
  GKeyFile *keyfile = g_key_file_new ();

  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL);
  return keyfile;
}

static gboolean
save_file (GKeyFile  *keyfile,
           GError   **error)
{
  g_autofree char *path = fl_credentials_dup_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  gsize len;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not create the folder %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }

  data = g_key_file_to_data (keyfile, &len, NULL);
  return g_file_set_contents_full (path, data, len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Removes the file's copy of a token, if there is one. */
static gboolean
clear_file_token (const char  *server_url,
                  const char  *username,
                  GError     **error)
{
  g_autoptr(GKeyFile) keyfile = load_file ();
  g_autofree char *group = group_name (server_url, username);

  if (!g_key_file_has_group (keyfile, group))
    return TRUE;

  g_key_file_remove_group (keyfile, group, NULL);
  return save_file (keyfile, error);
}

gboolean
fl_credentials_store_token (const char            *server_url,
                            const char            *username,
                            const char            *token,
                            FlCredentialsBackend  *out_backend,
                            GError               **error)
{
  g_autoptr(GKeyFile) keyfile = NULL;
  g_autofree char *group = NULL;

  g_return_val_if_fail (server_url != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (secret_service_wanted ())
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *label = g_strdup_printf (_("Firstline login for %s on %s"),
                                                username, server_url);

      if (secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                                      NULL, &local_error,
                                      "server", server_url, "username", username, NULL))
        {
          if (out_backend)
            *out_backend = FL_CREDENTIALS_SECRET_SERVICE;
          /* No stale copy in the file; the Secret Service keeps this one. */
          clear_file_token (server_url, username, NULL);
          return TRUE;
        }

      g_debug ("Secret Service unavailable, using the token file: %s", local_error->message);
    }

  keyfile = load_file ();
  group = group_name (server_url, username);
  g_key_file_set_string (keyfile, group, "server", server_url);
  g_key_file_set_string (keyfile, group, "username", username);
  g_key_file_set_string (keyfile, group, "token", token);

  if (!save_file (keyfile, error))
    return FALSE;

  if (out_backend)
    *out_backend = FL_CREDENTIALS_FILE;
  return TRUE;
}

char *
fl_credentials_lookup_token (const char            *server_url,
                             const char            *username,
                             FlCredentialsBackend  *out_backend,
                             GError               **error)
{
  g_autoptr(GKeyFile) keyfile = NULL;
  g_autofree char *group = NULL;
  char *token;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  if (secret_service_wanted ())
    {
      g_autoptr(GError) local_error = NULL;

      token = secret_password_lookup_sync (get_schema (), NULL, &local_error,
                                           "server", server_url, "username", username, NULL);
      if (token != NULL)
        {
          char *copy = g_strdup (token);
          secret_password_free (token);
          if (out_backend)
            *out_backend = FL_CREDENTIALS_SECRET_SERVICE;
          return copy;
        }
    }

  keyfile = load_file ();
  group = group_name (server_url, username);
  token = g_key_file_get_string (keyfile, group, "token", NULL);
  if (token == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Not logged in to %s as %s"), server_url, username);
      return NULL;
    }

  if (out_backend)
    *out_backend = FL_CREDENTIALS_FILE;
  return token;
}

gboolean
fl_credentials_clear_token (const char  *server_url,
                            const char  *username,
                            GError     **error)
{
  g_return_val_if_fail (server_url != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);

  if (secret_service_wanted ())
    secret_password_clear_sync (get_schema (), NULL, NULL,
                                "server", server_url, "username", username, NULL);

  return clear_file_token (server_url, username, error);
}

gboolean
fl_credentials_token_is_valid (const char *token)
{
  gsize len;

  if (token == NULL)
    return FALSE;

  len = strlen (token);
  if (len < FL_CREDENTIALS_TOKEN_MIN || len > FL_CREDENTIALS_TOKEN_MAX)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (token[i]) && strchr ("._~+/=-", token[i]) == NULL)
      return FALSE;

  return TRUE;
}
