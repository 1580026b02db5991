/* identity_internal.h - private to the identity collector (parsers/identity*.c):
 * its types and the helpers its files share. Not part of the public surface
 * (redact.h is). */
#ifndef CPR_IDENTITY_INTERNAL_H
#define CPR_IDENTITY_INTERNAL_H

#include <glib.h>

#include "redact.h"

#define MAX_NAME_WORDS 5
#define MAX_NAME_BYTES 120
#define SIGNATURE_LINES 6   /* lines after a valediction searched for phones */
#define PHONE_MIN_DIGITS 7
#define PHONE_MAX_DIGITS 15

struct IdentityPerson {
    GPtrArray *names, *tokens, *emails, *phones; /* char*, NULL-terminated */
    GPtrArray *fnames, *ftokens;                 /* folded forms, for look-ups */
};

struct IdentitySet {
    GPtrArray *persons; /* IdentityPerson* */
    gboolean staff_are_persons;
    GPtrArray *public_staff; /* char*, lower-case, NULL-terminated */
};

typedef struct {
    const char *const *addresses;
    const char *const *domains;
    /* addresses at `domains` are the CA's staff: persons, except these */
    gboolean staff_are_persons;
    const char *const *public_staff;
} Exclude;

enum {
    RX_EMAIL,
    RX_NAME_BEFORE_ADDR,
    RX_ADDR_THEN_NAME,
    RX_INTRO,
    RX_COLLEAGUE,
    RX_ATTRIBUTION,
    RX_HEADER_LINE,
    RX_VALEDICTION,
    RX_PHONE,
    RX_PHONE_LABEL,
    RX_LABELLED_PHONE,
    RX_PROSE_VERB,
    RX_NAME_RUN,
    RX_BLOCK_SEPARATOR,
    RX_COUNT
};

typedef enum {
    CAND_CUT,    /* text around a trigger: keep the name words up to the first other word */
    CAND_STRICT, /* a line that should be only a name: any other word rejects it */
    CAND_QUOTED, /* a quoted display name: any case allowed */
} CandMode;

/* The state of one scan over a text or a message (identity_scan.c,
 * identity_prose.c). */
typedef struct {
    IdentitySet *set;
    Exclude ex;
    /* the author of the message: phones without a named owner go there */
    char *author_email;
    char *author_name;
} Ctx;

/* ---- identity_names.c ------------------------------------------------------ */

extern const char *const id_not_token_words[];
extern const char *const id_stop_words[];
extern const char *const id_phrase_words[];
extern const char *const id_particles[];
gboolean id_in_list(const char *const *list, const char *s);
gboolean id_folded_in_list(const char *const *list, const char *word);
GRegex *id_rx(int which);
GPtrArray *id_strv_new(void);
const char *const *id_lent(const GPtrArray *a);
gboolean id_strv_has(const GPtrArray *a, const char *s);
guint id_count_letters(const char *s);
gboolean id_has_continuous_script(const char *s);
char *id_clean_email(const char *raw);
gboolean id_looks_like_message_id(const char *raw_email);
gboolean id_email_excluded(const char *email, const Exclude *ex);
char *id_clean_name(const char *raw);
gboolean id_word_is_acronym(const char *w);
gboolean id_word_is_namey(const char *w, gboolean any_case);
gboolean id_names_excluded_domain(GPtrArray *words, const Exclude *ex);
char *id_name_candidate(const char *raw, CandMode mode, const Exclude *ex);

/* ---- identity.c ------------------------------------------------------------ */

IdentityPerson *id_person_new(void);
void id_person_add_token(IdentityPerson *p, const char *token);
void id_person_add_name_form(IdentityPerson *p, const char *name);
void id_person_add_name(IdentityPerson *p, const char *name);
void id_person_absorb(IdentityPerson *into, const IdentityPerson *from);
IdentityPerson *id_find_named(const IdentitySet *set, const char *name,
                              gboolean without_email, const IdentityPerson *skip);
void id_consolidate(IdentitySet *set);
IdentityPerson *id_add_clean(IdentitySet *set, const char *name, const char *email);

/* ---- identity_scan.c ------------------------------------------------------- */

void id_ctx_add(Ctx *c, const char *name, const char *raw_email, CandMode mode);
void id_scan_addresses(Ctx *c, const char *line);
void id_scan_address_list(Ctx *c, const char *value, gboolean name_alone, CandMode mode);
gboolean id_scan_attribution(Ctx *c, const char *line);
gboolean id_scan_header_line(Ctx *c, const char *line);
void id_scan_inline(Ctx *c, const char *text, int which);
void id_scan_signatures(Ctx *c, char **lines, guint n);
void id_scan_labelled_phones(Ctx *c, const char *text);
char **id_unquoted_lines(const char *text, guint *n_r);

#endif
