/* templates.c - the CCADB report templates (see templates.h). */
#include <string.h>

#include "cpr_error.h"
#include "templates.h"
#include "timefmt.h"

#ifndef CPR_SHARE_DIR
#define CPR_SHARE_DIR "/usr/local/share/cpr-intake"
#endif

struct Template {
    char *path;
    char *version;
    gint64 effective; /* 0 when not recorded */
    char *body;       /* the markdown after the header */
};

void templates_free(Template **t)
{
    if (!t || !*t)
        return;
    g_free((*t)->path);
    g_free((*t)->version);
    g_free((*t)->body);
    g_free(*t);
    *t = NULL;
}

/* For GPtrArray, which frees with a GDestroyNotify. */
static void template_free_one(gpointer p)
{
    Template *t = p;
    templates_free(&t);
}

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
    if (len > TEMPLATES_MAX_BYTES || !g_utf8_validate(data, (gssize)len, NULL) ||
        strlen(data) != len) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "template %s: expected UTF-8 text of at most %d bytes", path,
                    TEMPLATES_MAX_BYTES);
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

/* <directory of this program>/../share/cpr-intake/templates: where `make
 * install` put them whatever PREFIX the binary was compiled for, and where a
 * DESTDIR-staged binary finds its own. NULL when /proc/self/exe is unreadable. */
static char *templates_beside_program(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe || !g_path_is_absolute(exe))
        return NULL;
    g_autofree char *bindir = g_path_get_dirname(exe);
    g_autofree char *prefix = g_path_get_dirname(bindir);
    return g_build_filename(prefix, "share", "cpr-intake", "templates", NULL);
}

static char *template_dir(const char *configured)
{
    if (configured)
        return g_strdup(configured);
    if (g_file_test("conf/templates", G_FILE_TEST_IS_DIR))
        return g_strdup("conf/templates");
    g_autofree char *compiled_in = g_build_filename(CPR_SHARE_DIR, "templates", NULL);
    if (g_file_test(compiled_in, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&compiled_in);
    g_autofree char *beside = templates_beside_program();
    if (beside && g_file_test(beside, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&beside);
    return g_steal_pointer(&compiled_in); /* named by the error that follows */
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

/* The versions (newest first) of the templates in `dir` whose name starts
 * with `prefix`: "3.2, 2.1", or "none". */
static char *versions_with(const char *dir, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_prefix(name, prefix) && g_str_has_suffix(name, ".md"))
            g_ptr_array_add(v, g_strndup(name + strlen(prefix),
                                         strlen(name) - strlen(prefix) - 3));
    if (v->len == 0)
        return g_strdup("none");
    g_ptr_array_sort(v, (GCompareFunc)g_strcmp0);
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = v->len; i > 0; i--)
        g_string_append_printf(s, "%s%s", i == v->len ? "" : ", ",
                               (const char *)g_ptr_array_index(v, i - 1));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

Template *templates_choose_kind(const char *configured_dir, const char *kind, const char *want,
                                gint64 now, GError **error)
{
    g_autofree char *prefix = g_strdup_printf("ccadb-%s-", kind);
    /* a kind with no template in the version in force is refused, naming
     * the versions that have one */
    if (strcmp(kind, "preliminary") != 0) {
        g_autoptr(Template) prelim =
            templates_choose_kind(configured_dir, "preliminary", want, now, error);
        if (!prelim)
            return NULL;
        g_autofree char *dir = template_dir(configured_dir);
        g_autofree char *path = g_strdup_printf("%s/%s%s.md", dir, prefix, prelim->version);
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_autofree char *have = versions_with(dir, prefix);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                        "no %s report template for the CCADB Incident Reporting Guidelines "
                        "version %s in %s; versions with one: %s",
                        kind, prelim->version, dir, have);
            return NULL;
        }
        return template_read(path, error);
    }

    g_autofree char *dir = template_dir(configured_dir);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "no draft templates: cannot read directory %s (set [drafts] template_dir)",
                    dir);
        return NULL;
    }
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(template_free_one);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, prefix) || !g_str_has_suffix(name, ".md"))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        Template *t = template_read(path, error);
        if (!t)
            return NULL;
        g_ptr_array_add(all, t);
    }
    if (all->len == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "no draft templates (%s*.md) in %s", prefix, dir);
        return NULL;
    }
    g_ptr_array_sort(all, template_order);
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
        if (newer->effective > 0 && now > newer->effective + TEMPLATES_SUPERSEDED_GRACE) {
            g_autofree char *eff = day_string(newer->effective);
            g_autofree char *until = day_string(newer->effective + TEMPLATES_SUPERSEDED_GRACE);
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

char *templates_fill(const Template *t, const char *const *values, GError **error)
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
