/* fl-categories.h — the ticket categories and the fields each one requires
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Categories come from a JSON file (data/categories.json, installed in
 * PKGDATADIR) so that a team can say, per category, what must be recorded
 * before a ticket is saved. The file is untrusted: when it is unreadable or
 * not valid, the built-in list is used, without extra required fields.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FL_CATEGORIES_ERROR (fl_categories_error_quark ())

typedef enum
{
  FL_CATEGORIES_ERROR_INVALID,   /* the file is not a valid category list */
} FlCategoriesError;

GQuark fl_categories_error_quark (void);

/* Limits for the file. */
#define FL_CATEGORIES_FILE_MAX    (256 * 1024)
#define FL_CATEGORIES_MAX         64
#define FL_CATEGORY_ID_MAX        64
#define FL_CATEGORY_LABEL_MAX     100
#define FL_CATEGORY_NOTE_MAX      500
#define FL_CATEGORY_LANGUAGES_MAX 32

typedef struct
{
  char        *id;          /* the API's category string: "password", … */
  GHashTable  *labels;      /* language ("de", "en", "pt_BR") → label */
  GHashTable  *notes;       /* language → why the fields are needed; may be empty */
  GStrv        required;    /* field names beyond the always required ones; never NULL */
  gboolean     builtin;     /* labels are English msgids, translated by gettext */
} FlCategory;

void         fl_category_free                  (FlCategory         *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlCategory, fl_category_free)

/* The label in the user's language (g_get_language_names ()), else English. */
const char  *fl_category_get_label             (const FlCategory   *self);
const char  *fl_category_get_label_for         (const FlCategory   *self,
                                                const char * const *languages);
/* NULL when the category has no note. */
const char  *fl_category_get_note              (const FlCategory   *self);
const char  *fl_category_get_note_for          (const FlCategory   *self,
                                                const char * const *languages);
/* TRUE when @field ("asset", "requester.phone", …) must be filled for this
 * category, including the fields every ticket needs. */
gboolean     fl_category_requires              (const FlCategory   *self,
                                                const char         *field);

/* The fields of a new ticket, in the order of the form, and the ones the API
 * always requires. NULL-terminated. */
const char * const *fl_intake_get_fields       (void);
const char * const *fl_intake_get_always_required (void);
gboolean     fl_intake_is_field                (const char         *field);

/* Arrays of FlCategory *, owning them. */
GPtrArray   *fl_categories_parse               (const char         *data,
                                                gssize              length,
                                                GError            **error);
GPtrArray   *fl_categories_load                (const char         *path,
                                                GError            **error);
GPtrArray   *fl_categories_new_builtin         (void);
/* The first of @paths that exists; the built-in list when none exists or the
 * first one that exists is not valid. Never NULL. @out_source receives the file
 * used, or NULL for the built-in list. */
GPtrArray   *fl_categories_load_first          (const char * const *paths,
                                                char              **out_source);
/* PKGDATADIR/categories.json, else the copy of data/categories.json built into
 * the program (fl-data.h); the built-in list when the file is not valid. Never NULL. @out_source
 * receives the file used, or NULL for the built-in list. */
GPtrArray   *fl_categories_load_default        (char              **out_source);
FlCategory  *fl_categories_find                (GPtrArray          *categories,
                                                const char         *id);
/* The label of category @id for people: from @categories, or the built-in
 * ones when @categories is NULL; @id itself for a category nobody knows. */
const char  *fl_categories_get_label_of        (GPtrArray          *categories,
                                                const char         *id);

G_END_DECLS
