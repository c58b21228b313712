/* fl-credentials.h — where the login token is kept
 *
 * In the Secret Service (GNOME Keyring, KWallet) via libsecret; where no Secret
 * Service answers, in a file only the user can read ($XDG_CONFIG_HOME/firstline/token),
 * and the caller says so to the person.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FL_CREDENTIALS_TOKEN_MIN 16
#define FL_CREDENTIALS_TOKEN_MAX 512

typedef enum
{
  FL_CREDENTIALS_SECRET_SERVICE,
  FL_CREDENTIALS_FILE,
} FlCredentialsBackend;

/* Blocking: call from a worker thread (or a command-line program). */
gboolean  fl_credentials_store_token  (const char            *server_url,
                                       const char            *username,
                                       const char            *token,
                                       FlCredentialsBackend  *out_backend,
                                       GError               **error);
char     *fl_credentials_lookup_token (const char            *server_url,
                                       const char            *username,
                                       FlCredentialsBackend  *out_backend,
                                       GError               **error);
gboolean  fl_credentials_clear_token  (const char            *server_url,
                                       const char            *username,
                                       GError               **error);
char     *fl_credentials_dup_file_path (void);
/* A token fit for an Authorization header: 16–512 of [A-Za-z0-9._~+/=-]. */
gboolean  fl_credentials_token_is_valid (const char          *token);

G_END_DECLS
