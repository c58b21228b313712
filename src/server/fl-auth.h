/* fl-auth.h — password hashes, session tokens and the login limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FL_AUTH_MAX_FAILURES    10
#define FL_AUTH_MAX_ADDRESS_FAILURES 30
#define FL_AUTH_WINDOW_SECONDS  (5 * 60)
#define FL_AUTH_MIN_PASSWORD    8       /* characters, for a password a user chooses */

gboolean    fl_auth_init             (GError     **error);

/* Argon2id in libsodium's string format; NULL when out of memory. */
char       *fl_auth_hash_password    (const char  *password);
/* Constant time; @hash may be NULL, then a dummy hash is checked so the time is the same. */
gboolean    fl_auth_verify_password  (const char  *hash,
                                      const char  *password);

/* A new random token: 32 bytes, lowercase hex. */
char       *fl_auth_new_token        (void);
/* SHA-256 of @token, lowercase hex: the only form that is stored. */
char       *fl_auth_hash_token       (const char  *token);
gboolean    fl_auth_equal            (const char  *a,
                                      const char  *b);

typedef struct _FlAuthLimiter FlAuthLimiter;

/* Failed logins are counted per username and per client address in a sliding window.
 * An attempt is counted as it starts: fl_auth_limiter_begin() reserves a slot in both
 * counters before the password is checked and fl_auth_limiter_end() turns the
 * reservation into a failure or gives it back, so however many attempts run at once,
 * at most @max_per_user wrong passwords per username are ever checked in a window. */
FlAuthLimiter *fl_auth_limiter_new      (void);
FlAuthLimiter *fl_auth_limiter_new_full (guint          max_per_user,
                                         guint          max_per_address,
                                         gint64         window_s);
void           fl_auth_limiter_free     (FlAuthLimiter *self);
/* Returns 0 when a login for @username may be tried at @now_s, else the seconds to wait. */
gint64         fl_auth_limiter_check    (FlAuthLimiter *self,
                                         const char    *username,
                                         gint64         now_s);
void           fl_auth_limiter_failure  (FlAuthLimiter *self,
                                         const char    *username,
                                         gint64         now_s);
/* Reserves an attempt for @username from @address (may be NULL) at @now_s. Returns 0 when
 * it may go ahead (then call fl_auth_limiter_end() exactly once), else the seconds to wait. */
gint64         fl_auth_limiter_begin    (FlAuthLimiter *self,
                                         const char    *username,
                                         const char    *address,
                                         gint64         now_s);
void           fl_auth_limiter_end      (FlAuthLimiter *self,
                                         const char    *username,
                                         const char    *address,
                                         gboolean       failed,
                                         gint64         now_s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlAuthLimiter, fl_auth_limiter_free)

G_END_DECLS
