/* drafts.c - the Preliminary Incident Report and the Bugzilla bug of a case
 * (see drafts.h; SPEC 2.4, 2.5).
 *
 * How a draft is made, and why in this order:
 *  1. the case's facts come from the database (identifiers, certificates,
 *     clocks) and its people from every stored message, re-parsed from the
 *     raw bytes: the identity set must be complete before any text is used;
 *  2. the only text taken from mail (an excerpt of the first report) is
 *     redacted first, then cut to size, then markdown-escaped: cutting before
 *     redacting could leave half a name that no longer matches;
 *  3. everything else is built from data (problem type, counts, times,
 *     configuration), never from what a reporter wrote;
 *  4. the finished output, as a whole, goes through redact_check() for every
 *     non-consenting person: a hit is CPR_ERROR_LEAK and an audit event, and
 *     nothing is returned.
 *
 * Templates are data files, one per CCADB Incident Reporting Guidelines
 * version (conf/templates/ccadb-preliminary-VERSION.md). Their directory is
 * [drafts] template_dir, else conf/templates under the current directory,
 * else CPR_SHARE_DIR/templates (make install). The version is [drafts]
 * template_version, else the newest found. A version superseded for more
 * than DRAFTS_SUPERSEDED_GRACE by a newer, effective one is refused (SPEC 2.5).
 *
 * drafts_render() writes its own transaction (the leak_blocked event): call it
 * outside any transaction of the caller. */
#include <string.h>

#include <gmime/gmime.h>

#include "bounds.h"
#include "cases.h"
#include "consent.h"
#include "cpr_error.h"
#include "drafts.h"
#include "jsonutil.h"
#include "mdescape.h"
#include "mime.h"
#include "redact.h"
#include "timefmt.h"

#ifndef CPR_SHARE_DIR
#define CPR_SHARE_DIR "/usr/local/share/cpr-intake"
#endif

#define DRAFTS_EXCERPT_BYTES 1500          /* of the first report, after redaction */
#define DRAFTS_MAX_MESSAGES 2000           /* a case bigger than this is refused */
#define DRAFTS_MAX_TEMPLATE_BYTES (64 * 1024)
#define DRAFTS_SUPERSEDED_GRACE (30 * G_GINT64_CONSTANT(86400))
#define DRAFTS_TEMPLATE_PREFIX "ccadb-preliminary-"
#define DAY (G_GINT64_CONSTANT(86400))

/* Posting addresses of the public lists: their From is never a reporter. */
static const char *const LIST_ADDRESSES[] = {
    "dev-security-policy@mozilla.org",
    "public@ccadb.org",
};

static void mime_message_destroy(MimeMessage *m) { mime_message_free(&m); }
static void identity_set_destroy(IdentitySet *s) { identity_set_free(&s); }
static void consent_entry_destroy(ConsentEntry *e) { consent_entry_free(&e); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MimeMessage, mime_message_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IdentitySet, identity_set_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConsentEntry, consent_entry_destroy)

/* ---- the facts of a case ------------------------------------------------ */

typedef struct {
    char *serial; /* lower-case hex, or NULL */
    char *sha256; /* lower-case hex, or NULL */
    char *subject;
} Cert;

typedef struct {
    CaseRow *row;
    gboolean security_sensitive;
    gint64 full_report_due;   /* 0 until disclosure starts the clock */
    gint64 revocation_due;    /* 0 when none */
    gint64 revocation_met;
    GPtrArray *messages;      /* MimeMessage* in aware order */
    GPtrArray *kinds;         /* char*: kind of each message */
    GPtrArray *authors;       /* char*: author address of each message, or NULL */
    GPtrArray *serials, *sha256, *crtsh_ids, *domains; /* char* */
    GPtrArray *certs;         /* Cert*: what the draft lists */
    IdentitySet *ids;
    GStrv consented;          /* addresses with consent in force */
    GPtrArray *protected_strings; /* char*, NULL-terminated */
} CaseFacts;

static void cert_free(gpointer p)
{
    Cert *c = p;
    g_free(c->serial);
    g_free(c->sha256);
    g_free(c->subject);
    g_free(c);
}

static void case_facts_free(CaseFacts *f)
{
    if (!f)
        return;
    case_row_free(&f->row);
    g_clear_pointer(&f->messages, g_ptr_array_unref);
    g_clear_pointer(&f->kinds, g_ptr_array_unref);
    g_clear_pointer(&f->authors, g_ptr_array_unref);
    g_clear_pointer(&f->serials, g_ptr_array_unref);
    g_clear_pointer(&f->sha256, g_ptr_array_unref);
    g_clear_pointer(&f->crtsh_ids, g_ptr_array_unref);
    g_clear_pointer(&f->domains, g_ptr_array_unref);
    g_clear_pointer(&f->certs, g_ptr_array_unref);
    identity_set_free(&f->ids);
    g_strfreev(f->consented);
    g_clear_pointer(&f->protected_strings, g_ptr_array_unref);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaseFacts, case_facts_free)

static char *column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? g_strdup((const char *)v) : NULL;
}

static gboolean is_hex(const char *s)
{
    if (!s || !*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isxdigit(*s))
            return FALSE;
    return TRUE;
}

static gboolean is_digits(const char *s)
{
    if (!s || !*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return FALSE;
    return TRUE;
}

static gboolean in_array(const GPtrArray *a, const char *s)
{
    for (guint i = 0; s && a && i < a->len; i++)
        if (g_strcmp0(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

static gboolean step_failed(Store *store, sqlite3_stmt *st, int rc, GError **error)
{
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_set_error(store, error, "cannot read the case");
        return TRUE;
    }
    return FALSE;
}

static gboolean load_identifiers(Store *store, CaseFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT DISTINCT i.type, i.value FROM identifiers i JOIN messages m ON m.id = i.message_row "
        "WHERE m.case_id = ? ORDER BY i.type, i.value",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        GPtrArray *to = !g_strcmp0(type, "serial")     ? f->serials
                        : !g_strcmp0(type, "sha256")   ? f->sha256
                        : !g_strcmp0(type, "crtsh_id") ? f->crtsh_ids
                        : !g_strcmp0(type, "domain")   ? f->domains
                                                       : NULL;
        if (to)
            g_ptr_array_add(to, column_dup(st, 1));
    }
    if (step_failed(store, st, rc, error))
        return FALSE;

    /* Certificates parsed from attachments pair a serial with its SHA-256;
     * identifiers found alone are listed alone. */
    st = store_prepare(store,
                       "SELECT DISTINCT c.serial, c.sha256, c.subject FROM certificates c "
                       "JOIN messages m ON m.id = c.message_row WHERE m.case_id = ? "
                       "ORDER BY c.serial, c.sha256",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        Cert *c = g_new0(Cert, 1);
        c->serial = column_dup(st, 0);
        c->sha256 = column_dup(st, 1);
        c->subject = column_dup(st, 2);
        g_ptr_array_add(f->certs, c);
    }
    if (step_failed(store, st, rc, error))
        return FALSE;
    g_autoptr(GPtrArray) paired_serials = g_ptr_array_new();
    g_autoptr(GPtrArray) paired_sha = g_ptr_array_new();
    for (guint i = 0; i < f->certs->len; i++) {
        Cert *c = g_ptr_array_index(f->certs, i);
        g_ptr_array_add(paired_serials, c->serial);
        g_ptr_array_add(paired_sha, c->sha256);
    }
    for (guint i = 0; i < f->serials->len; i++) {
        const char *s = g_ptr_array_index(f->serials, i);
        if (in_array(paired_serials, s))
            continue;
        Cert *c = g_new0(Cert, 1);
        c->serial = g_strdup(s);
        g_ptr_array_add(f->certs, c);
    }
    for (guint i = 0; i < f->sha256->len; i++) {
        const char *s = g_ptr_array_index(f->sha256, i);
        if (in_array(paired_sha, s))
            continue;
        Cert *c = g_new0(Cert, 1);
        c->sha256 = g_strdup(s);
        g_ptr_array_add(f->certs, c);
    }
    return TRUE;
}

static gboolean load_case_columns(Store *store, CaseFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT security_sensitive FROM cases WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        f->security_sensitive = sqlite3_column_int(st, 0) != 0;
        rc = sqlite3_step(st);
    }
    if (step_failed(store, st, rc, error))
        return FALSE;

    st = store_prepare(store,
                       "SELECT clock, coalesce(due_at, 0), coalesce(met_at, 0) FROM clocks "
                       "WHERE case_id = ? AND clock IN ('full_report', 'revocation')",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *clock = (const char *)sqlite3_column_text(st, 0);
        if (!g_strcmp0(clock, "full_report")) {
            f->full_report_due = sqlite3_column_int64(st, 1);
        } else {
            f->revocation_due = sqlite3_column_int64(st, 1);
            f->revocation_met = sqlite3_column_int64(st, 2);
        }
    }
    return !step_failed(store, st, rc, error);
}

/* The addresses and domains that are never persons: the CA's own and the
 * lists' (the same rule intake applies to certificate domains). */
static void exclusions(const Config *cfg, GPtrArray *addresses, GPtrArray *domains)
{
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++) {
        const char *a = cfg->ca_report_addresses[i];
        g_ptr_array_add(addresses, g_strdup(a));
        const char *at = strchr(a, '@');
        if (at && at[1])
            g_ptr_array_add(domains, g_strdup(at + 1));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(LIST_ADDRESSES); i++)
        g_ptr_array_add(addresses, g_strdup(LIST_ADDRESSES[i]));
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++)
        g_ptr_array_add(domains, g_strdup(cfg->ca_domains[i]));
    g_ptr_array_add(addresses, NULL);
    g_ptr_array_add(domains, NULL);
}

static gboolean load_messages(Store *store, const Config *cfg, CaseFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT count(*) FROM messages WHERE case_id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    gint64 n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0) {
        store_set_error(store, error, "cannot count the messages of the case");
        return FALSE;
    }
    /* Fail closed: a draft whose people were only partly collected could
     * name someone. */
    if (n > DRAFTS_MAX_MESSAGES) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "case %s has %" G_GINT64_FORMAT " messages, more than the %d a draft reads",
                    f->row->reference, n, DRAFTS_MAX_MESSAGES);
        return FALSE;
    }
    g_autoptr(GPtrArray) ex_addr = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) ex_dom = g_ptr_array_new_with_free_func(g_free);
    exclusions(cfg, ex_addr, ex_dom);
    Bounds bounds = bounds_default();

    st = store_prepare(store,
                       "SELECT raw, kind, from_email FROM messages WHERE case_id = ? "
                       "ORDER BY aware_at, id",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 0);
        gsize len = (gsize)sqlite3_column_bytes(st, 0);
        MimeMessage *msg = mime_message_parse(raw ? raw : (const guint8 *)"", len, &bounds);
        identity_set_add_message(f->ids, msg, (const char *const *)ex_addr->pdata,
                                 (const char *const *)ex_dom->pdata);
        g_ptr_array_add(f->messages, msg);
        g_ptr_array_add(f->kinds, column_dup(st, 1));
        g_ptr_array_add(f->authors, column_dup(st, 2));
    }
    return !step_failed(store, st, rc, error);
}

/* TRUE when `domain` is, or is a parent or subdomain of, the domain of an
 * address of a person on the case. Such a domain must not be protected or
 * listed: protection would shield the person's address from redaction. */
static gboolean domain_of_person(const IdentitySet *ids, const char *domain)
{
    for (guint i = 0; i < identity_set_count(ids); i++) {
        const char *const *emails = identity_person_emails(identity_set_get(ids, i));
        for (gsize e = 0; emails[e]; e++) {
            const char *at = strchr(emails[e], '@');
            if (!at)
                continue;
            const char *d = at + 1;
            gsize dl = strlen(d), ol = strlen(domain);
            if (!g_ascii_strcasecmp(d, domain) ||
                (dl > ol && d[dl - ol - 1] == '.' && !g_ascii_strcasecmp(d + dl - ol, domain)) ||
                (ol > dl && domain[ol - dl - 1] == '.' &&
                 !g_ascii_strcasecmp(domain + ol - dl, d)))
                return TRUE;
        }
    }
    return FALSE;
}

static void build_protected(const Config *cfg, CaseFacts *f)
{
    GPtrArray *p = f->protected_strings;
    const GPtrArray *lists[] = {f->serials, f->sha256, f->crtsh_ids};
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; i < lists[l]->len; i++)
            g_ptr_array_add(p, g_strdup(g_ptr_array_index(lists[l], i)));
    /* drop the domains the draft must not show or protect */
    for (guint i = 0; i < f->domains->len;) {
        const char *d = g_ptr_array_index(f->domains, i);
        if (domain_of_person(f->ids, d)) {
            g_ptr_array_remove_index(f->domains, i);
            continue;
        }
        g_ptr_array_add(p, g_strdup(d));
        i++;
    }
    if (cfg->ca_owner)
        g_ptr_array_add(p, g_strdup(cfg->ca_owner));
    for (gsize i = 0; cfg->ca_aliases && cfg->ca_aliases[i]; i++)
        g_ptr_array_add(p, g_strdup(cfg->ca_aliases[i]));
    for (gsize i = 0; cfg->ca_names && cfg->ca_names[i]; i++)
        g_ptr_array_add(p, g_strdup(cfg->ca_names[i]));
    g_ptr_array_add(p, NULL);
}

static CaseFacts *case_facts_load(Store *store, const Config *cfg, gint64 case_id,
                                  GError **error)
{
    g_autoptr(CaseFacts) f = g_new0(CaseFacts, 1);
    f->row = cases_load_id(store, case_id, error);
    if (!f->row)
        return NULL;
    f->messages = g_ptr_array_new_with_free_func((GDestroyNotify)mime_message_destroy);
    f->kinds = g_ptr_array_new_with_free_func(g_free);
    f->authors = g_ptr_array_new_with_free_func(g_free);
    f->serials = g_ptr_array_new_with_free_func(g_free);
    f->sha256 = g_ptr_array_new_with_free_func(g_free);
    f->crtsh_ids = g_ptr_array_new_with_free_func(g_free);
    f->domains = g_ptr_array_new_with_free_func(g_free);
    f->certs = g_ptr_array_new_with_free_func(cert_free);
    f->protected_strings = g_ptr_array_new_with_free_func(g_free);
    f->ids = identity_set_new();
    if (!load_case_columns(store, f, error) || !load_identifiers(store, f, error) ||
        !load_messages(store, cfg, f, error))
        return NULL;
    f->consented = consent_active_emails(store, error);
    if (!f->consented)
        return NULL;
    build_protected(cfg, f);
    return g_steal_pointer(&f);
}

/* ---- templates ---------------------------------------------------------- */

typedef struct {
    char *path;
    char *version;
    gint64 effective; /* 0 when not recorded */
    char *body;       /* the markdown after the header */
} Template;

static void template_free(gpointer p)
{
    Template *t = p;
    if (!t)
        return;
    g_free(t->path);
    g_free(t->version);
    g_free(t->body);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Template, template_free)

/* "3.2" < "3.10": compare dot-separated numbers. */
static int version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        guint64 x = 0, y = 0;
        while (g_ascii_isdigit(*a))
            x = x * 10 + (guint64)(*a++ - '0');
        while (g_ascii_isdigit(*b))
            y = y * 10 + (guint64)(*b++ - '0');
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
        if ((*a && !g_ascii_isdigit(*a)) || (*b && !g_ascii_isdigit(*b)))
            return strcmp(a, b);
    }
    return 0;
}

static gboolean version_valid(const char *v)
{
    gboolean digit = FALSE;
    for (; *v; v++) {
        if (g_ascii_isdigit(*v))
            digit = TRUE;
        else if (*v != '.' || !digit)
            return FALSE;
        else
            digit = FALSE;
    }
    return digit;
}

/* Read a template: "key: value" lines (version, effective) and '#' comments
 * up to a line "---", then the markdown. */
static Template *template_read(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, error))
        return NULL;
    if (len > DRAFTS_MAX_TEMPLATE_BYTES || !g_utf8_validate(data, (gssize)len, NULL) ||
        strlen(data) != len) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "template %s: expected UTF-8 text of at most %d bytes", path,
                    DRAFTS_MAX_TEMPLATE_BYTES);
        return NULL;
    }
    g_autoptr(Template) t = g_new0(Template, 1);
    t->path = g_strdup(path);
    char *line = data;
    guint lineno = 0;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        g_strchomp(line);
        if (!strcmp(line, "---")) {
            t->body = g_strdup(nl ? nl + 1 : "");
            break;
        }
        char *colon = strchr(line, ':');
        if (line[0] == '#' || line[0] == '\0') {
            /* comment */
        } else if (colon && !strncmp(line, "version:", 8)) {
            g_free(t->version);
            t->version = g_strdup(g_strstrip(colon + 1));
        } else if (colon && !strncmp(line, "effective:", 10)) {
            if (!timefmt_parse(g_strstrip(colon + 1), &t->effective)) {
                g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                            "template %s line %u: effective: expected a date YYYY-MM-DD", path,
                            lineno);
                return NULL;
            }
        } else {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                        "template %s line %u: expected \"version: N.N\", \"effective: "
                        "YYYY-MM-DD\", a # comment or \"---\" before the markdown",
                        path, lineno);
            return NULL;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!t->body || !t->version || !version_valid(t->version)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "template %s: expected a header with \"version: N.N\" ended by \"---\"",
                    path);
        return NULL;
    }
    return g_steal_pointer(&t);
}

static char *template_dir(const Config *cfg)
{
    if (cfg->drafts_template_dir)
        return g_strdup(cfg->drafts_template_dir);
    if (g_file_test("conf/templates", G_FILE_TEST_IS_DIR))
        return g_strdup("conf/templates");
    return g_build_filename(CPR_SHARE_DIR, "templates", NULL);
}

static gint template_order(gconstpointer a, gconstpointer b)
{
    const Template *x = *(Template *const *)a, *y = *(Template *const *)b;
    return version_cmp(x->version, y->version);
}

static char *day_string(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return dt ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
}

/* The template to use at `now`, per configuration; NULL with
 * CPR_ERROR_CONFIG when it is missing, unreadable or superseded too long. */
static Template *template_choose(const Config *cfg, gint64 now, GError **error)
{
    g_autofree char *dir = template_dir(cfg);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "no draft templates: cannot read directory %s (set [drafts] template_dir)",
                    dir);
        return NULL;
    }
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(template_free);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, DRAFTS_TEMPLATE_PREFIX) || !g_str_has_suffix(name, ".md"))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        Template *t = template_read(path, error);
        if (!t)
            return NULL;
        g_ptr_array_add(all, t);
    }
    if (all->len == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "no draft templates (%s*.md) in %s", DRAFTS_TEMPLATE_PREFIX, dir);
        return NULL;
    }
    g_ptr_array_sort(all, template_order);
    const char *want = cfg->drafts_template_version;
    guint chosen = all->len - 1; /* newest by default */
    if (want) {
        gboolean found = FALSE;
        for (guint i = 0; i < all->len && !found; i++)
            if (!version_cmp(((Template *)g_ptr_array_index(all, i))->version, want)) {
                chosen = i;
                found = TRUE;
            }
        if (!found) {
            g_autoptr(GString) have = g_string_new(NULL);
            for (guint i = 0; i < all->len; i++)
                g_string_append_printf(have, "%s%s", i ? ", " : "",
                                       ((Template *)g_ptr_array_index(all, i))->version);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                        "[drafts] template_version %s: no such template in %s (have %s)", want,
                        dir, have->str);
            return NULL;
        }
    }
    Template *t = g_ptr_array_index(all, chosen);
    /* Superseded when a newer version took effect; usable 30 days more. */
    for (guint i = chosen + 1; i < all->len; i++) {
        const Template *newer = g_ptr_array_index(all, i);
        if (newer->effective > 0 && now > newer->effective + DRAFTS_SUPERSEDED_GRACE) {
            g_autofree char *eff = day_string(newer->effective);
            g_autofree char *until = day_string(newer->effective + DRAFTS_SUPERSEDED_GRACE);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                        "the CCADB Incident Reporting Guidelines %s template was superseded by "
                        "version %s (effective %s) more than 30 days ago and could be used "
                        "until %s only; set [drafts] template_version to %s or remove it",
                        t->version, newer->version, eff, until, newer->version);
            return NULL;
        }
    }
    return g_ptr_array_steal_index(all, chosen);
}

/* The template body with every {{name}} replaced by its value in `values`
 * (alternating name, value; NULL-terminated). An unknown placeholder is an
 * error: a draft must not go out with a hole in it. */
static char *template_fill(const Template *t, const char *const *values, GError **error)
{
    g_autoptr(GString) out = g_string_sized_new(strlen(t->body) + 4096);
    const char *p = t->body;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            g_string_append(out, p);
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "template %s: unclosed \"{{\"",
                        t->path);
            return NULL;
        }
        g_string_append_len(out, p, open - p);
        g_autofree char *key = g_strstrip(g_strndup(open + 2, close - open - 2));
        const char *value = NULL;
        for (gsize i = 0; values[i] && !value; i += 2)
            if (!strcmp(values[i], key))
                value = values[i + 1];
        if (!value) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                        "template %s: unknown placeholder {{%s}}", t->path, key);
            return NULL;
        }
        g_string_append(out, value);
        p = close + 2;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ---- the report --------------------------------------------------------- */

typedef struct {
    const char *problem;
    const char *what;     /* "reports <what> N certificate(s)" */
    const char *title;    /* bug summary, after "<owner>: " */
    const char *policies; /* Relevant policies */
} ProblemText;

static const ProblemText PROBLEM_TEXT[] = {
    {"key_compromise", "the compromise of the private key of", "Key compromise reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 24 hours when the "
     "Subscriber's private key is compromised); BR section 4.9.5 (investigation and "
     "preliminary report to the Subscriber and the reporter within 24 hours of the Certificate "
     "Problem Report); BR section 6.1.1.3 (rejection of a compromised key)"},
    {"misissuance", "the misissuance of", "Misissuance reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 5 days when a "
     "certificate was not issued in accordance with the BR or the CA's CP/CPS); BR section 4.9.5 "
     "(investigation and preliminary report within 24 hours of the Certificate Problem Report); "
     "BR section 7.1 (certificate profiles); the CA's CP/CPS"},
    {"misuse", "the misuse of", "Certificate misuse reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 5 days when the CA "
     "obtains evidence that a certificate was misused); BR section 4.9.5 (investigation and "
     "preliminary report within 24 hours of the Certificate Problem Report); BR section 9.6.3 "
     "(Subscriber obligations)"},
    {"other", "a problem with", "Certificate Problem Report",
     "TLS Baseline Requirements (BR) section 4.9.5 (investigation and preliminary report within "
     "24 hours of the Certificate Problem Report); BR section 4.9.1.1 (revocation reasons and "
     "deadlines), as applicable once the problem is confirmed"},
};

static const ProblemText *problem_text(const char *problem)
{
    for (gsize i = 0; i < G_N_ELEMENTS(PROBLEM_TEXT); i++)
        if (!g_strcmp0(PROBLEM_TEXT[i].problem, problem))
            return &PROBLEM_TEXT[i];
    return &PROBLEM_TEXT[G_N_ELEMENTS(PROBLEM_TEXT) - 1];
}

static guint certificate_count(const CaseFacts *f)
{
    return f->certs->len > 0 ? f->certs->len : f->crtsh_ids->len;
}

/* What was received and what it reports, built from data only. */
static char *report_sentence(const CaseFacts *f, const char *owner, const ProblemText *pt)
{
    const CaseRow *c = f->row;
    guint n = certificate_count(f);
    g_autofree char *certs =
        n > 0 ? g_strdup_printf("%u certificate%s", n, n == 1 ? "" : "s")
              : g_strdup("certificates not yet identified");
    if (!g_strcmp0(c->kind, "list_post") || !g_strcmp0(c->kind, "bugzilla")) {
        const char *where = !g_strcmp0(c->kind, "bugzilla")
                                ? "A Bugzilla bug in the CA Program product"
                            : !g_strcmp0(c->list, "mdsp")
                                ? "A post on Mozilla's dev-security-policy mailing list"
                            : !g_strcmp0(c->list, "ccadb-public")
                                ? "A post on the CCADB public mailing list"
                                : "A post on a public mailing list";
        return g_strdup_printf("%s reports %s %s issued by %s.", where, pt->what, certs, owner);
    }
    return g_strdup_printf("%s received a Certificate Problem Report reporting %s %s.", owner,
                           pt->what, certs);
}

/* A serial seen alone and a SHA-256 seen alone may be the same certificate:
 * the count is then an upper bound, and says so. */
static gboolean count_is_upper_bound(const CaseFacts *f)
{
    gboolean serial_only = FALSE, sha_only = FALSE;
    for (guint i = 0; i < f->certs->len; i++) {
        const Cert *c = g_ptr_array_index(f->certs, i);
        serial_only |= c->serial && !c->sha256;
        sha_only |= c->sha256 && !c->serial;
    }
    return serial_only && sha_only;
}

static const char *aware_phrase(const char *source)
{
    if (!g_strcmp0(source, "imap_internaldate"))
        return "when the CA's mail server received it";
    if (!g_strcmp0(source, "received"))
        return "when the CA's mail server received it, per its Received: header";
    if (!g_strcmp0(source, "date"))
        return "per the Date: header of the message";
    return "when the message was ingested";
}

/* Who reported it: named with consent, else "a community member". */
static char *reporters_phrase(Store *store, const CaseFacts *f, GError **error)
{
    g_autoptr(GPtrArray) seen = g_ptr_array_new();
    g_autoptr(GPtrArray) named = g_ptr_array_new_with_free_func(g_free);
    guint anonymous = 0;
    for (guint i = 0; i < f->messages->len; i++) {
        const char *kind = g_ptr_array_index(f->kinds, i);
        const char *author = g_ptr_array_index(f->authors, i);
        if (!g_strcmp0(kind, "auto_reply") || !g_strcmp0(kind, "other") || !author)
            continue;
        const IdentityPerson *p = identity_set_find_email(f->ids, author);
        if (!p || g_ptr_array_find(seen, p, NULL))
            continue;
        g_ptr_array_add(seen, (gpointer)p);
        if (!identity_person_consented(p, (const char *const *)f->consented)) {
            anonymous++;
            continue;
        }
        const char *const *emails = identity_person_emails(p);
        g_autoptr(ConsentEntry) ce = NULL;
        for (gsize e = 0; emails[e] && !ce; e++) {
            ce = consent_lookup(store, emails[e], error);
            if (!ce && error && *error)
                return NULL;
        }
        const char *name = ce && ce->name ? ce->name : identity_person_names(p)[0];
        if (!name)
            name = ce ? ce->email : emails[0];
        g_ptr_array_add(named, mdescape_inline(name));
    }
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < named->len; i++)
        g_string_append_printf(s, "%s%s", i == 0 ? "" : (i + 1 == named->len && !anonymous)
                                                            ? " and " : ", ",
                               (const char *)g_ptr_array_index(named, i));
    if (anonymous > 0 || named->len == 0) {
        if (named->len > 0)
            g_string_append(s, " and ");
        if (anonymous > 1)
            g_string_append_printf(s, "%u community members", anonymous);
        else
            g_string_append(s, "a community member");
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The first report's text, redacted, cut to DRAFTS_EXCERPT_BYTES, escaped,
 * as a block quote indented for a nested list item. NULL on error. */
static char *report_excerpt(const CaseFacts *f, const RedactOptions *opts, GError **error)
{
    const MimeMessage *first = NULL;
    for (guint i = 0; i < f->messages->len && !first; i++) {
        const char *kind = g_ptr_array_index(f->kinds, i);
        if (g_strcmp0(kind, "auto_reply") && g_strcmp0(kind, "other"))
            first = g_ptr_array_index(f->messages, i);
    }
    if (!first && f->messages->len > 0)
        first = g_ptr_array_index(f->messages, 0);
    if (!first || !first->text)
        return g_strdup("");
    g_autofree char *red = redact_text(f->ids, first->text, opts, error);
    if (!red)
        return NULL;
    g_strstrip(red);
    if (!*red)
        return g_strdup("");
    gboolean cut = FALSE;
    if (strlen(red) > DRAFTS_EXCERPT_BYTES) {
        /* back to a character boundary, then to the last line or word break */
        const char *end = g_utf8_find_prev_char(red, red + DRAFTS_EXCERPT_BYTES + 1);
        gsize n = end ? (gsize)(end - red) : 0;
        for (gsize k = n; k > DRAFTS_EXCERPT_BYTES / 2; k--)
            if (red[k] == '\n' || red[k] == ' ') {
                n = k;
                break;
            }
        red[n] = '\0';
        cut = TRUE;
    }
    g_autofree char *escaped = mdescape_text(red);
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(escaped, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        g_strchomp(lines[i]);
        g_string_append_printf(out, "    >%s%s\n", lines[i][0] ? " " : "", lines[i]);
    }
    if (cut)
        g_string_append(out, "    > \\[…\\]\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void append_certificates(GString *s, const CaseFacts *f)
{
    guint n = certificate_count(f);
    if (n == 0)
        g_string_append(s, "\n  - **Affected certificates:** N/A (no certificate identified "
                           "in the reports yet)");
    else if (count_is_upper_bound(f))
        g_string_append_printf(s, "\n  - **Affected certificates (at most %u: a serial and a "
                                  "SHA-256 below may name the same certificate):**", n);
    else
        g_string_append_printf(s, "\n  - **Affected certificates (%u):**", n);
    for (guint i = 0; i < f->certs->len; i++) {
        const Cert *c = g_ptr_array_index(f->certs, i);
        gboolean serial_ok = is_hex(c->serial), sha_ok = is_hex(c->sha256);
        if (serial_ok && sha_ok)
            g_string_append_printf(s, "\n    - Serial `%s`, SHA-256 `%s`: https://crt.sh/?sha256=%s",
                                   c->serial, c->sha256, c->sha256);
        else if (sha_ok)
            g_string_append_printf(s, "\n    - SHA-256 `%s`: https://crt.sh/?sha256=%s", c->sha256,
                                   c->sha256);
        else if (serial_ok)
            g_string_append_printf(s, "\n    - Serial `%s` (SHA-256 not yet known): "
                                      "https://crt.sh/?serial=%s", c->serial, c->serial);
    }
    for (guint i = 0; i < f->crtsh_ids->len; i++) {
        const char *id = g_ptr_array_index(f->crtsh_ids, i);
        if (is_digits(id))
            g_string_append_printf(s, "\n    - crt.sh ID %s: https://crt.sh/?id=%s", id, id);
    }
    if (f->domains->len > 0) {
        g_string_append(s, "\n  - **Domain names in the reports:** ");
        for (guint i = 0; i < f->domains->len; i++) {
            g_autofree char *d = mdescape_inline(g_ptr_array_index(f->domains, i));
            g_string_append_printf(s, "%s%s", i ? ", " : "", d);
        }
    }
}

static char *full_report_expected(const CaseFacts *f)
{
    if (f->full_report_due > 0) {
        g_autofree char *due = timefmt_rfc3339(f->full_report_due);
        return g_strdup_printf("%s (14 days after the incident's disclosure)", due);
    }
    gint64 disclosure = f->row->aware_at + 3 * DAY;
    g_autofree char *due = timefmt_rfc3339(disclosure + 14 * DAY);
    g_autofree char *disc = timefmt_rfc3339(disclosure);
    return g_strdup_printf("%s at the latest (14 days after disclosure, which is due by %s)", due,
                           disc);
}

static char *render_markdown(Store *store, const Config *cfg, const CaseFacts *f,
                             const Template *t, const RedactOptions *opts, GError **error)
{
    const CaseRow *c = f->row;
    const ProblemText *pt = problem_text(c->problem);
    g_autofree char *reporters = reporters_phrase(store, f, error);
    if (!reporters)
        return NULL;
    g_autofree char *excerpt = report_excerpt(f, opts, error);
    if (!excerpt)
        return NULL;
    g_autofree char *owner = mdescape_inline(cfg->ca_owner ? cfg->ca_owner : "the CA");
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_autofree char *reference = mdescape_inline(c->reference);

    g_autoptr(GString) desc = g_string_new(NULL);
    g_autofree char *sentence = report_sentence(f, owner, pt);
    g_string_append(desc, sentence);
    g_string_append_printf(desc, " It was reported by %s. %s became aware of it at %s (UTC), %s. "
                                 "Internal reference: %s.",
                           reporters, owner, aware, aware_phrase(c->aware_source), reference);
    append_certificates(desc, f);
    if (*excerpt)
        g_string_append_printf(desc, "\n  - **Excerpt of the report (redacted):**\n\n%s",
                               excerpt);
    /* the description is a list item: end it cleanly before the next field */
    while (desc->len > 0 && desc->str[desc->len - 1] == '\n')
        g_string_truncate(desc, desc->len - 1);
    if (*excerpt)
        g_string_append(desc, "\n");

    g_autofree char *expected = full_report_expected(f);
    const char *values[] = {
        "incident_description", desc->str,
        "relevant_policies", pt->policies,
        "full_report_expected_by", expected,
        "source_of_incident_disclosure", "Third Party Reported",
        "ca_owner", owner,
        "case_reference", reference,
        "aware_at", aware,
        NULL,
    };
    return template_fill(t, values, error);
}

/* ---- the bug ------------------------------------------------------------ */

/* Validation level of a misissued certificate, from its subject: proposed
 * tags only (root program staff set the real ones). */
static const char *misissuance_tag(const CaseFacts *f)
{
    const char *tag = NULL;
    for (guint i = 0; i < f->certs->len; i++) {
        const Cert *c = g_ptr_array_index(f->certs, i);
        if (!c->subject)
            continue;
        g_autofree char *s = g_ascii_strdown(c->subject, -1);
        if (strstr(s, "jurisdiction") || strstr(s, "1.3.6.1.4.1.311.60.2.1"))
            return "[ev-misissuance]";
        if (g_str_has_prefix(s, "o=") || strstr(s, ",o=") || strstr(s, ", o="))
            tag = "[ov-misissuance]";
        else if (!tag)
            tag = "[dv-misissuance]";
    }
    return tag;
}

static char *whiteboard(const CaseFacts *f, gint64 now)
{
    g_autoptr(GString) w = g_string_new("[ca-compliance]");
    if (!g_strcmp0(f->row->problem, "misissuance")) {
        const char *tag = misissuance_tag(f);
        if (tag)
            g_string_append_printf(w, " %s", tag);
    }
    if (f->revocation_due > 0 && f->revocation_met == 0 && now > f->revocation_due)
        g_string_append(w, " [leaf-revocation-delay]");
    return g_string_free(g_steal_pointer(&w), FALSE);
}

static char *bug_summary(const Config *cfg, const CaseFacts *f)
{
    const ProblemText *pt = problem_text(f->row->problem);
    guint n = certificate_count(f);
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_append_printf(s, "%s: %s", cfg->ca_owner ? cfg->ca_owner : "CA", pt->title);
    if (n > 0)
        g_string_append_printf(s, " for %s%u certificate%s",
                               count_is_upper_bound(f) ? "up to " : "", n, n == 1 ? "" : "s");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *render_bugzilla(const Config *cfg, const CaseFacts *f, const char *markdown,
                             gint64 now)
{
    g_autofree char *summary = bug_summary(cfg, f);
    g_autofree char *wb = whiteboard(f, now);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "product", cfg->bugzilla_product ? cfg->bugzilla_product : "CA Program");
    jsonutil_add_string(b, "component",
                        f->security_sensitive ? "CA Security Vulnerability"
                        : cfg->bugzilla_component ? cfg->bugzilla_component
                                                  : "CA Certificate Compliance");
    jsonutil_add_string(b, "version", cfg->bugzilla_version ? cfg->bugzilla_version : "other");
    jsonutil_add_string(b, "type", "task");
    jsonutil_add_string(b, "summary", summary);
    jsonutil_add_string(b, "whiteboard", wb);
    jsonutil_add_string(b, "description", markdown);
    if (f->security_sensitive) {
        json_builder_set_member_name(b, "groups");
        json_builder_begin_array(b);
        json_builder_add_string_value(b, "ca-program-security");
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, TRUE);
}

/* ---- the leak check ----------------------------------------------------- */

/* Every string value of a JSON document, one per line: JSON escapes ("\n")
 * glue words together, so the check reads the decoded strings too. */
static char *json_strings(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, NULL))
        return NULL;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    if (!o)
        return NULL;
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        JsonNode *n = json_object_get_member(o, m->data);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_string_append_printf(s, "%s\n", json_node_get_string(n));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean audit_leak(Store *store, const CaseFacts *f, const char *output, gint64 now,
                           GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "output", output);
    jsonutil_add_string(b, "reference", f->row->reference);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    if (!store_begin(store, error))
        return FALSE;
    if (!store_event_append(store, now, "drafts", f->row->id, "leak_blocked", details, error) ||
        !store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    return TRUE;
}

static const char *format_name(DraftFormat format)
{
    return format == DRAFT_BUGZILLA_JSON ? "bugzilla-json" : "markdown";
}

char *drafts_render(Store *store, const Config *cfg, gint64 case_id, DraftFormat format,
                    gint64 now, GError **error)
{
    g_autoptr(CaseFacts) f = case_facts_load(store, cfg, case_id, error);
    if (!f)
        return NULL;
    g_autoptr(Template) t = template_choose(cfg, now, error);
    if (!t)
        return NULL;
    RedactOptions opts = {
        .protected_strings = (const char *const *)f->protected_strings->pdata,
        .consented_emails = (const char *const *)f->consented,
    };
    g_autofree char *markdown = render_markdown(store, cfg, f, t, &opts, error);
    if (!markdown)
        return NULL;
    g_autofree char *out = format == DRAFT_BUGZILLA_JSON ? render_bugzilla(cfg, f, markdown, now)
                                                         : g_strdup(markdown);
    g_autofree char *output_name =
        g_strdup_printf("case %s draft %s", f->row->reference, format_name(format));
    /* Fail closed: the whole output, and for JSON its decoded strings too. */
    g_autofree char *decoded = format == DRAFT_BUGZILLA_JSON ? json_strings(out) : NULL;
    GError *leak = NULL;
    if (format == DRAFT_BUGZILLA_JSON && !decoded)
        g_set_error(&leak, CPR_ERROR, CPR_ERROR_LEAK, "%s: the JSON cannot be read back",
                    output_name);
    if (!leak && redact_check(f->ids, out, &opts, output_name, &leak) &&
        (!decoded || redact_check(f->ids, decoded, &opts, output_name, &leak)))
        return g_steal_pointer(&out);
    /* The refusal stands whether or not its audit event could be written. */
    GError *audit_error = NULL;
    if (!audit_leak(store, f, output_name, now, &audit_error)) {
        g_prefix_error(&leak, "(the leak_blocked audit event was not written: %s) ",
                       audit_error->message);
        g_clear_error(&audit_error);
    }
    g_propagate_prefixed_error(error, leak, "case %s (%" G_GINT64_FORMAT "): draft %s not emitted: ",
                               f->row->reference, f->row->id, format_name(format));
    return NULL;
}
