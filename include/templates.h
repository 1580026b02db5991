/* templates.h - the CCADB report templates (SPEC 2.5): data files, one per
 * CCADB Incident Reporting Guidelines version, named
 * ccadb-preliminary-VERSION.md. Each has a header of "version: N.N",
 * "effective: YYYY-MM-DD" and '#' comment lines ended by "---", then the
 * markdown with {{name}} placeholders.
 *
 * A version superseded for more than TEMPLATES_SUPERSEDED_GRACE by a newer,
 * effective one is refused: a report must follow the guidelines in force. */
#ifndef CPR_TEMPLATES_H
#define CPR_TEMPLATES_H

#include <glib.h>

#define TEMPLATES_MAX_BYTES (64 * 1024)
#define TEMPLATES_SUPERSEDED_GRACE (30 * G_GINT64_CONSTANT(86400))

typedef struct Template Template;

/* The template of one report kind ("preliminary", "full", "closure",
 * "delayed-revocation", "reporter-mail", "subscriber-mail") to use at `now`
 * (Unix seconds): the file ccadb-KIND-VERSION.md of the version chosen for the
 * preliminary report. `configured_dir` is [drafts] template_dir; NULL:
 * conf/templates under the current directory, else CPR_SHARE_DIR/templates
 * (make install's PREFIX), else ../share/cpr-intake/templates next to the
 * program's own directory. `want` is [drafts] template_version; NULL: the
 * newest found. NULL with CPR_ERROR_CONFIG when it is missing, unreadable or
 * superseded too long, or naming the versions that have this kind when the
 * chosen version has none. Caller frees. */
Template *templates_choose_kind(const char *configured_dir, const char *kind, const char *want,
                                gint64 now, GError **error);
/* Free and clear *t (NULL-safe). */
void templates_free(Template **t);
static inline void templates_destroy(Template *t) { templates_free(&t); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Template, templates_destroy)

/* The template's markdown with every {{name}} replaced by its value in
 * `values` (alternating name, value; NULL-terminated). NULL with
 * CPR_ERROR_CONFIG on an unknown placeholder or an unclosed "{{": a draft
 * must not go out with a hole in it. Caller frees. */
char *templates_fill(const Template *t, const char *const *values, GError **error);

#endif
