/* identity.c - every person a case's messages identify (see redact.h).
 *
 * Headers give the reliable identities (display name + address); the text
 * gives the rest through a few heuristics, each tuned to prefer collecting one
 * word too many (over-redaction) to missing a name (a broken promise):
 * attributions, forwarded-header blocks, "Name <addr>", signatures,
 * self-introductions, "my colleague Name", and phone numbers.
 *
 * Persons are merged by address only. A name without an address joins the one
 * person it names; two people who share a name but not an address stay two
 * persons, so one's consent never un-redacts the other's address.
 *
 * This file holds the persons and the set; identity_names.c the word lists,
 * patterns and candidate cleaning; identity_scan.c the line scanners;
 * identity_prose.c names in prose and the entry points. identity_internal.h
 * holds what they share. */
#include <string.h>

#include "identity_internal.h"
#include "fold.h"

/* Short forms of first names (folded), each after its full name: a person
 * with the full name is redacted by these too. Short forms that are common
 * words are left out. */
static const char *const short_forms[] = {
    "robert bob bobby rob robbie",
    "william billy willy liam",
    "katherine kate kathy katie kath",
    "catherine cathy cate kate cath",
    "kathryn kate kathy katie",
    "alexander alex sasha xander",
    "alexandra alex sasha lexi",
    "elizabeth liz beth lizzie eliza",
    "margaret maggie meg peggy greta",
    "james jim jimmy jamie",
    "michael mike mick mikey",
    "thomas tom tommy",
    "edward eddie ted ned",
    "jonathan jon jonny",
    "christopher chris kit",
    "christina chris tina christie",
    "nicholas nick nicky",
    "benjamin ben benji",
    "daniel dan danny",
    "samuel sam sammy",
    "joseph joe joey",
    "anthony tony",
    "athanasios thanos thanasis",
    "alessandro sandro ale",
    "francesca fran frankie",
    "rebecca becky becca",
    "victoria vicky tori",
    "jennifer jen jenny",
    "patricia patty trish",
    "susan sue susie",
    "dmitri dima",
    "dmitry dima",
    "aleksandr sasha sanya",
    "ekaterina katya",
};

/* ---- persons ------------------------------------------------------------ */

IdentityPerson *id_person_new(void)
{
    IdentityPerson *p = g_new0(IdentityPerson, 1);
    p->names = id_strv_new();
    p->tokens = id_strv_new();
    p->emails = id_strv_new();
    p->phones = id_strv_new();
    p->fnames = g_ptr_array_new_with_free_func(g_free);
    p->ftokens = g_ptr_array_new_with_free_func(g_free);
    return p;
}

static void person_free(gpointer data)
{
    IdentityPerson *p = data;
    g_ptr_array_unref(p->names);
    g_ptr_array_unref(p->tokens);
    g_ptr_array_unref(p->emails);
    g_ptr_array_unref(p->phones);
    g_ptr_array_unref(p->fnames);
    g_ptr_array_unref(p->ftokens);
    g_free(p);
}

void id_person_add_token(IdentityPerson *p, const char *token)
{
    if (id_count_letters(token) < 3 || id_has_continuous_script(token) ||
        id_folded_in_list(id_not_token_words, token) || id_folded_in_list(id_particles, token) ||
        id_folded_in_list(id_phrase_words, token))
        return;
    char *f = redact_fold(token);
    if (!*f || id_strv_has(p->ftokens, f)) {
        g_free(f);
        return;
    }
    g_ptr_array_add(p->ftokens, f);
    g_ptr_array_add(p->tokens, g_strdup(token));
}

/* Is every word of `folded` one of the replacement phrases' words? */
static gboolean only_phrase_words(const char *folded)
{
    g_auto(GStrv) words = g_strsplit_set(folded, " []()\"'.,;:", -1);
    guint n = 0;
    for (guint i = 0; words[i]; i++) {
        if (!*words[i])
            continue;
        if (!id_in_list(id_phrase_words, words[i]))
            return FALSE;
        n++;
    }
    return n > 0;
}

void id_person_add_name_form(IdentityPerson *p, const char *name)
{
    char *f = redact_fold(name);
    if (!*f || id_strv_has(p->fnames, f) || only_phrase_words(f)) {
        g_free(f);
        return;
    }
    g_ptr_array_add(p->fnames, f);
    g_ptr_array_add(p->names, g_strdup(name));
}

/* Tokens of one word: "Nakagawa-Bell" -> itself, "Nakagawa", "Bell";
 * "O'Brien" -> itself, "Brien", "OBrien". */
static void person_add_word_tokens(IdentityPerson *p, const char *word)
{
    g_autofree char *w = g_strdup(word);
    gsize n = strlen(w);
    while (n > 0 && strchr(".,;:", w[n - 1]))
        w[--n] = '\0';
    if (!*w)
        return;
    id_person_add_token(p, w);
    if (strchr(w, '-')) {
        g_auto(GStrv) parts = g_strsplit(w, "-", -1);
        for (guint i = 0; parts[i]; i++)
            person_add_word_tokens(p, parts[i]);
        return;
    }
    const char *apos = strchr(w, '\'');
    const char *curly = strstr(w, "\u2019");
    if (apos || curly) {
        const char *a = apos ? apos : curly;
        gsize alen = apos ? 1 : 3;
        id_person_add_token(p, a + alen);
        g_autofree char *joined = g_strdup_printf("%.*s%s", (int)(a - w), w, a + alen);
        id_person_add_token(p, joined);
    }
}

/* "Bob" for a Robert: short forms of a first name are the person's tokens. */
static void person_add_short_forms(IdentityPerson *p)
{
    for (guint t = 0; t < p->ftokens->len; t++) {
        const char *f = g_ptr_array_index(p->ftokens, t);
        gsize n = strlen(f);
        for (gsize r = 0; r < G_N_ELEMENTS(short_forms); r++) {
            const char *row = short_forms[r];
            if (strcspn(row, " ") != n || strncmp(row, f, n) != 0)
                continue;
            g_auto(GStrv) forms = g_strsplit(row + n + 1, " ", -1);
            for (guint k = 0; forms[k]; k++) {
                forms[k][0] = g_ascii_toupper(forms[k][0]);
                id_person_add_token(p, forms[k]); /* appends to ftokens: the loop sees it */
            }
        }
    }
}

void id_person_add_name(IdentityPerson *p, const char *name)
{
    id_person_add_name_form(p, name);
    /* "Doe, Jane" -> also "Jane Doe" */
    const char *comma = strchr(name, ',');
    if (comma && !strchr(comma + 1, ',')) {
        g_autofree char *last = g_strstrip(g_strndup(name, (gsize)(comma - name)));
        g_autofree char *first = g_strstrip(g_strdup(comma + 1));
        if (*first && *last && !id_word_is_acronym(first)) {
            g_autofree char *swapped = g_strdup_printf("%s %s", first, last);
            id_person_add_name_form(p, swapped);
        }
    }
    /* "Taro Yamada (山田太郎)": the part in brackets is a name too */
    const char *open = strchr(name, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (open && close && close > open + 1) {
        g_autofree char *inner = g_strstrip(g_strndup(open + 1, (gsize)(close - open - 1)));
        g_autofree char *outer = g_strstrip(g_strndup(name, (gsize)(open - name)));
        if (id_count_letters(inner) >= 2)
            id_person_add_name(p, inner);
        if (id_count_letters(outer) >= 2)
            id_person_add_name(p, outer);
    }
    /* CJK written with a space: also without ("山田 太郎" = "山田太郎") */
    if (id_has_continuous_script(name) && strchr(name, ' ')) {
        GString *g = g_string_new(NULL);
        for (const char *c = name; *c; c++)
            if (*c != ' ')
                g_string_append_c(g, *c);
        id_person_add_name_form(p, g->str);
        g_string_free(g, TRUE);
    }
    g_auto(GStrv) words = g_strsplit_set(name, " ,()\t", -1);
    for (guint i = 0; words[i]; i++)
        if (*words[i])
            person_add_word_tokens(p, words[i]);
    person_add_short_forms(p);
}

void id_person_absorb(IdentityPerson *into, const IdentityPerson *from)
{
    for (guint i = 0; i < from->names->len; i++)
        id_person_add_name(into, g_ptr_array_index(from->names, i));
    for (guint i = 0; i < from->tokens->len; i++)
        id_person_add_token(into, g_ptr_array_index(from->tokens, i));
    for (guint i = 0; i < from->emails->len; i++)
        if (!id_strv_has(into->emails, g_ptr_array_index(from->emails, i)))
            g_ptr_array_add(into->emails, g_strdup(g_ptr_array_index(from->emails, i)));
    for (guint i = 0; i < from->phones->len; i++)
        if (!id_strv_has(into->phones, g_ptr_array_index(from->phones, i)))
            g_ptr_array_add(into->phones, g_strdup(g_ptr_array_index(from->phones, i)));
}

/* Does `name` (a whole name) name person p: the same name, or every word of it
 * one of p's tokens or names ("Rafferty" for Rafferty Nakagawa-Bell)? */
static gboolean person_named(const IdentityPerson *p, const char *name)
{
    g_autofree char *f = redact_fold(name);
    if (id_strv_has(p->fnames, f))
        return TRUE;
    g_auto(GStrv) words = g_strsplit(f, " ", -1);
    guint n = 0;
    for (guint i = 0; words[i]; i++) {
        if (!*words[i] || id_in_list(id_particles, words[i]))
            continue;
        if (!id_strv_has(p->ftokens, words[i]) && !id_strv_has(p->fnames, words[i]))
            return FALSE;
        n++;
    }
    return n > 0;
}

static IdentityPerson *find_email(const IdentitySet *set, const char *email)
{
    for (guint i = 0; i < set->persons->len; i++) {
        IdentityPerson *p = g_ptr_array_index(set->persons, i);
        if (id_strv_has(p->emails, email))
            return p;
    }
    return NULL;
}

/* The one person `name` names, or NULL when none or several do. With
 * `without_email`, only persons who have no address yet count. */
IdentityPerson *id_find_named(const IdentitySet *set, const char *name,
                              gboolean without_email, const IdentityPerson *skip)
{
    /* best first: the same whole name, then every word a token of theirs;
     * within each, a person with an address before one without */
    g_autofree char *f = redact_fold(name);
    for (int exact = 1; exact >= 0; exact--) {
        IdentityPerson *found = NULL, *found_addr = NULL;
        guint n = 0, n_addr = 0;
        for (guint i = 0; i < set->persons->len; i++) {
            IdentityPerson *p = g_ptr_array_index(set->persons, i);
            if (p == skip || (without_email && p->emails->len > 0))
                continue;
            if (exact ? id_strv_has(p->fnames, f) : person_named(p, name)) {
                found = p;
                n++;
                if (p->emails->len > 0) {
                    found_addr = p;
                    n_addr++;
                }
            }
        }
        if (n == 1)
            return found;
        if (n_addr == 1)
            return found_addr;
        if (n > 1)
            return NULL;
    }
    return NULL;
}

/* Persons known only by name who turn out to be one person with an address. */
void id_consolidate(IdentitySet *set)
{
    for (guint i = 0; i < set->persons->len;) {
        IdentityPerson *x = g_ptr_array_index(set->persons, i);
        IdentityPerson *into = NULL;
        if (x->emails->len == 0 && x->names->len > 0) {
            for (guint k = 0; k < x->names->len; k++) {
                IdentityPerson *cand =
                    id_find_named(set, g_ptr_array_index(x->names, k), FALSE, x);
                if (!cand || (into && cand != into)) {
                    into = NULL;
                    break;
                }
                into = cand;
            }
        }
        if (into) {
            id_person_absorb(into, x);
            g_ptr_array_remove_index(set->persons, i);
            continue;
        }
        i++;
    }
}

/* Add a (cleaned) name and/or address; returns the person. */
IdentityPerson *id_add_clean(IdentitySet *set, const char *name, const char *email)
{
    IdentityPerson *p = NULL;
    g_autofree char *fname = name ? redact_fold(name) : NULL;
    if (fname && only_phrase_words(fname))
        name = NULL; /* "Community Member" names nobody */
    if (!name && !email)
        return NULL;
    if (email) {
        p = find_email(set, email);
        if (!p && name) {
            /* adopt a person known by this exact name but no address yet */
            g_autofree char *f = redact_fold(name);
            for (guint i = 0; i < set->persons->len && !p; i++) {
                IdentityPerson *q = g_ptr_array_index(set->persons, i);
                if (q->emails->len == 0 && id_strv_has(q->fnames, f))
                    p = q;
            }
        }
    } else if (name) {
        p = id_find_named(set, name, FALSE, NULL);
    }
    if (!p) {
        p = id_person_new();
        g_ptr_array_add(set->persons, p);
    }
    if (email && !id_strv_has(p->emails, email))
        g_ptr_array_add(p->emails, g_strdup(email));
    if (name)
        id_person_add_name(p, name);
    return p;
}

/* ---- public: the set ---------------------------------------------------- */

IdentitySet *identity_set_new(void)
{
    IdentitySet *set = g_new0(IdentitySet, 1);
    set->persons = g_ptr_array_new_with_free_func(person_free);
    return set;
}

void identity_set_staff_are_persons(IdentitySet *set, const char *const *public_staff)
{
    g_return_if_fail(set != NULL);
    set->staff_are_persons = TRUE;
    g_clear_pointer(&set->public_staff, g_ptr_array_unref);
    set->public_staff = id_strv_new();
    for (const char *const *a = public_staff; a && *a; a++) {
        char *e = id_clean_email(*a);
        if (e)
            g_ptr_array_add(set->public_staff, e);
    }
}

void identity_set_free(IdentitySet **set)
{
    if (!set || !*set)
        return;
    g_clear_pointer(&(*set)->public_staff, g_ptr_array_unref);
    g_ptr_array_unref((*set)->persons);
    g_free(*set);
    *set = NULL;
}

void identity_set_add(IdentitySet *set, const char *name, const char *email)
{
    g_return_if_fail(set != NULL);
    g_autofree char *e = id_clean_email(email);
    g_autofree char *n = id_clean_name(name);
    if (!e && name && strchr(name, '@'))
        e = id_clean_email(name); /* a display name that is an address */
    if (!e && !n)
        return;
    id_add_clean(set, n, e);
    id_consolidate(set);
}

void identity_set_add_phone(IdentitySet *set, const char *name, const char *email,
                            const char *phone)
{
    g_return_if_fail(set != NULL);
    if (!phone)
        return;
    guint digits = 0;
    for (const char *c = phone; *c; c++)
        digits += g_ascii_isdigit(*c) ? 1 : 0;
    if (digits < PHONE_MIN_DIGITS)
        return;
    g_autofree char *e = id_clean_email(email);
    g_autofree char *n = id_clean_name(name);
    IdentityPerson *p = NULL;
    if (e)
        p = find_email(set, e);
    if (!p && n)
        p = id_find_named(set, n, FALSE, NULL);
    if (!p)
        p = id_add_clean(set, n, e);
    if (!p) {
        p = id_person_new();
        g_ptr_array_add(set->persons, p);
    }
    g_autofree char *ph = g_strstrip(g_strdup(phone));
    if (!id_strv_has(p->phones, ph))
        g_ptr_array_add(p->phones, g_strdup(ph));
}

guint identity_set_count(const IdentitySet *set)
{
    return set ? set->persons->len : 0;
}

const IdentityPerson *identity_set_get(const IdentitySet *set, guint index)
{
    g_return_val_if_fail(set != NULL && index < set->persons->len, NULL);
    return g_ptr_array_index(set->persons, index);
}

const IdentityPerson *identity_set_find_email(const IdentitySet *set, const char *email)
{
    g_autofree char *e = id_clean_email(email);
    return (set && e) ? find_email(set, e) : NULL;
}

const char *const *identity_person_names(const IdentityPerson *person)
{
    return id_lent(person->names);
}

const char *const *identity_person_tokens(const IdentityPerson *person)
{
    return id_lent(person->tokens);
}

const char *const *identity_person_emails(const IdentityPerson *person)
{
    return id_lent(person->emails);
}

const char *const *identity_person_phones(const IdentityPerson *person)
{
    return id_lent(person->phones);
}

gboolean identity_person_consented(const IdentityPerson *person,
                                   const char *const *consented_emails)
{
    for (const char *const *c = consented_emails; c && *c; c++) {
        g_autofree char *e = id_clean_email(*c);
        if (e && id_strv_has(person->emails, e))
            return TRUE;
    }
    return FALSE;
}
