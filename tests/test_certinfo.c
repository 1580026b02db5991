/* test_certinfo.c - certinfo: DER and PEM certificates read with GnuTLS.
 *
 * Fixtures: tests/fixtures/samples/003-*.eml (a real certificate of the sample
 * CA) and tests/fixtures/certs/ (made once by gen.sh; values in expected.txt). */
#include <string.h>

#include <glib.h>

#include "certinfo.h"
#include "cpr_error.h"
#include "testutil.h"

#define S003_SERIAL "5e0c6024e790530851af5a5e33a2da55"
#define S003_SHA256 "2b93bdff010e7f319d979d865c292702348abeeffcf72bab344179aa94338937"
#define LEAF_SERIAL "8a6b3c4d5e6f70819293a4b5c6d7e8f9"
#define LEAF_SHA256 "f897c65c024aa7985737fcd3031d987a58a7a0228d330d3d9e53151204f796c6"
#define CA_SHA256 "4258bd11dda76897ba43dc468468ec861c79c0cfe45de90f323e90decc3bbd25"
#define PRECERT_SERIAL "1f2e3d4c5b6a7988"
#define PRECERT_SHA256 "4f044d233bb958efb24d0d49b5568b814530fb0496b3e35ac9bf742009b81ca6"

static gboolean sans_equal(const GPtrArray *sans, const char *const *expected)
{
    guint n = expected ? g_strv_length((char **)expected) : 0;
    if (sans->len != n)
        return FALSE;
    for (guint i = 0; i < n; i++)
        if (g_strcmp0(g_ptr_array_index(sans, i), expected[i]) != 0)
            return FALSE;
    return TRUE;
}

static void test_sample_003(void)
{
    g_autofree char *text = tu_read_fixture_text("samples/003-misissuance-pem-attachment.eml");
    g_assert_nonnull(text);
    if (!text)
        return;
    GPtrArray *certs = certinfo_from_pem_text(text, strlen(text));
    g_assert_cmpuint(certs->len, ==, 1);
    if (certs->len == 1) {
        CertInfo *c = g_ptr_array_index(certs, 0);
        g_assert_cmpstr(c->serial_hex, ==, S003_SERIAL);
        g_assert_cmpstr(c->sha256_hex, ==, S003_SHA256);
        g_assert_cmpstr(c->issuer_dn, ==, "CN=AcmeTrust TLS RSA CA 2024,O=Acme Trust Services B.V.,C=NL");
        g_assert_cmpstr(c->subject_dn, ==, "CN=www.saltcellar-bistro.test");
        static const char *const sans[] = { "www.saltcellar-bistro.test", "saltcellar-bistro.test", NULL };
        g_assert_true(sans_equal(c->sans, sans));
        g_assert_cmpint(c->not_before, ==, 1746087242); /* 2025-05-01T08:14:02Z */
        g_assert_cmpint(c->not_after, ==, 1753863241);  /* 2025-07-30T08:14:01Z */
        g_assert_false(c->precert);
    }
    g_ptr_array_unref(certs);
}

static void test_leaf_der(void)
{
    GBytes *der = tu_read_fixture("certs/leaf.der");
    g_assert_nonnull(der);
    if (!der)
        return;
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(der, &len);
    GError *error = NULL;
    CertInfo *c = certinfo_from_der(d, len, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    if (c) {
        /* DER has 00 8a 6b ...: the sign byte is dropped */
        g_assert_cmpstr(c->serial_hex, ==, LEAF_SERIAL);
        g_assert_cmpstr(c->sha256_hex, ==, LEAF_SHA256);
        g_assert_cmpstr(c->subject_dn, ==, "CN=www.fixture-leaf.test");
        g_assert_cmpstr(c->issuer_dn, ==, "CN=Fixture Test CA,O=cpr-intake fixtures,C=NL");
        /* "WWW.Fixture-Leaf.test." lower-cased, trailing dot gone; the IP SAN is
         * not a dNSName */
        static const char *const sans[] = { "www.fixture-leaf.test", "fixture-leaf.test", NULL };
        g_assert_true(sans_equal(c->sans, sans));
        g_assert_cmpint(c->not_before, ==, 1740830400);
        g_assert_cmpint(c->not_after, ==, 1748606400);
        g_assert_false(c->precert);
    }
    certinfo_free(&c);
    g_assert_null(c);
    certinfo_free(&c); /* NULL-safe */
    certinfo_free(NULL);
    g_bytes_unref(der);
}

static void test_precert(void)
{
    g_autofree char *text = tu_read_fixture_text("certs/precert.pem");
    g_assert_nonnull(text);
    if (!text)
        return;
    GPtrArray *certs = certinfo_from_pem_text(text, strlen(text));
    g_assert_cmpuint(certs->len, ==, 1);
    if (certs->len == 1) {
        CertInfo *c = g_ptr_array_index(certs, 0);
        g_assert_true(c->precert);
        g_assert_cmpstr(c->serial_hex, ==, PRECERT_SERIAL);
        g_assert_cmpstr(c->sha256_hex, ==, PRECERT_SHA256);
        static const char *const sans[] = { "shop.fixture-precert.test", NULL };
        g_assert_true(sans_equal(c->sans, sans));
        g_assert_cmpint(c->not_before, ==, 1743465600);
        g_assert_cmpint(c->not_after, ==, 1751241600);
    }
    g_ptr_array_unref(certs);
}

static void test_bundle(void)
{
    g_autofree char *text = tu_read_fixture_text("certs/bundle.pem");
    g_assert_nonnull(text);
    if (!text)
        return;
    GPtrArray *certs = certinfo_from_pem_text(text, strlen(text));
    g_assert_cmpuint(certs->len, ==, 2);
    if (certs->len == 2) {
        CertInfo *a = g_ptr_array_index(certs, 0), *b = g_ptr_array_index(certs, 1);
        g_assert_cmpstr(a->sha256_hex, ==, LEAF_SHA256);
        g_assert_cmpstr(b->sha256_hex, ==, CA_SHA256);
        g_assert_cmpstr(b->serial_hex, ==, "01");
        g_assert_cmpuint(b->sans->len, ==, 0);
    }
    g_ptr_array_unref(certs);
}

/* The leaf's base64 lines, for building PEM variants. */
static char **leaf_b64_lines(void)
{
    g_autofree char *pem = tu_read_fixture_text("certs/leaf.pem");
    if (pem == NULL)
        return g_new0(char *, 1);
    GPtrArray *lines = g_ptr_array_new();
    char **all = g_strsplit(pem, "\n", -1);
    for (char **l = all; *l; l++)
        if (**l && strncmp(*l, "-----", 5) != 0)
            g_ptr_array_add(lines, g_strdup(*l));
    g_strfreev(all);
    g_ptr_array_add(lines, NULL);
    return (char **)g_ptr_array_free(lines, FALSE);
}

typedef enum {
    V_PLAIN,
    V_INDENTED,
    V_QUOTED,
    V_DOUBLE_QUOTED,
    V_CRLF,
    V_IN_PROSE,
    V_QP_DAMAGED,
    V_QP_SOFT_BREAKS,
    V_CSR_LABEL,
    V_KEY_LABEL,
    V_PGP_LABEL,
    V_NO_END,
    V_TRUNCATED_THEN_GOOD,
    V_MISSING_LINE,
    V_GARBAGE_B64,
    V_TWO_BLOCKS,
    V_BAD_CHAR,
    V_HEADER_LINES,
} Variant;

static char *build_variant(Variant v, char **b64)
{
    GString *s = g_string_new(NULL);
    const char *prefix = "";
    const char *nl = "\n";
    const char *begin = "-----BEGIN CERTIFICATE-----", *end = "-----END CERTIFICATE-----";
    switch (v) {
    case V_INDENTED: prefix = "    "; break;
    case V_QUOTED: prefix = "> "; break;
    case V_DOUBLE_QUOTED: prefix = "> > "; break;
    case V_CRLF: nl = "\r\n"; break;
    case V_CSR_LABEL:
        begin = "-----BEGIN CERTIFICATE REQUEST-----";
        end = "-----END CERTIFICATE REQUEST-----";
        break;
    case V_KEY_LABEL:
        begin = "-----BEGIN PRIVATE KEY-----";
        end = "-----END PRIVATE KEY-----";
        break;
    case V_PGP_LABEL:
        begin = "-----BEGIN PGP SIGNATURE-----";
        end = "-----END PGP SIGNATURE-----";
        break;
    default: break;
    }
    if (v == V_IN_PROSE)
        g_string_append(s, "Hello,\nthe certificate is below:\n\n");
    if (v == V_TRUNCATED_THEN_GOOD)
        g_string_append_printf(s, "%s\n%s\n%s\n", begin, b64[0], b64[1]);
    g_string_append_printf(s, "%s%s%s", prefix, begin, nl);
    if (v == V_HEADER_LINES)
        g_string_append_printf(s, "Proc-Type: 4,CRL%s%s", nl, nl);
    guint n = g_strv_length(b64);
    for (guint i = 0; i < n; i++) {
        if (v == V_MISSING_LINE && i == 2)
            continue;
        GString *line = g_string_new(b64[i]);
        if (v == V_QP_DAMAGED) {
            char *pos;
            while ((pos = strchr(line->str, '=')) != NULL && pos[1] != '3') {
                gsize off = (gsize)(pos - line->str);
                g_string_erase(line, (gssize)off, 1);
                g_string_insert(line, (gssize)off, "=3D");
            }
        }
        if (v == V_QP_SOFT_BREAKS && line->len > 20) {
            g_string_insert(line, 20, "=\n");
        }
        if (v == V_GARBAGE_B64 && i == 3)
            g_string_assign(line, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        if (v == V_BAD_CHAR && i == 1)
            line->str[5] = '*';
        g_string_append_printf(s, "%s%s%s", prefix, line->str, nl);
        g_string_free(line, TRUE);
    }
    if (v != V_NO_END)
        g_string_append_printf(s, "%s%s%s", prefix, end, nl);
    if (v == V_TWO_BLOCKS) {
        g_string_append(s, "\nagain:\n");
        g_string_append_printf(s, "%s\n", begin);
        for (guint i = 0; i < n; i++)
            g_string_append_printf(s, "%s\n", b64[i]);
        g_string_append_printf(s, "%s\n", end);
    }
    if (v == V_IN_PROSE)
        g_string_append(s, "\nRegards\n");
    return g_string_free(s, FALSE);
}

static void test_pem_variants(void)
{
    static const struct {
        Variant v;
        guint expected; /* certificates found */
        const char *name;
    } rows[] = {
        { V_PLAIN, 1, "plain" },
        { V_INDENTED, 1, "indented" },
        { V_QUOTED, 1, "quoted >" },
        { V_DOUBLE_QUOTED, 1, "quoted > >" },
        { V_CRLF, 1, "CRLF" },
        { V_IN_PROSE, 1, "inside prose" },
        { V_HEADER_LINES, 1, "RFC 1421 header line" },
        { V_TWO_BLOCKS, 2, "same certificate twice" },
        { V_TRUNCATED_THEN_GOOD, 1, "truncated block, then a good one" },
        { V_QP_DAMAGED, 0, "QP =3D damage" },
        { V_QP_SOFT_BREAKS, 0, "QP soft breaks" },
        { V_CSR_LABEL, 0, "CERTIFICATE REQUEST label" },
        { V_KEY_LABEL, 0, "PRIVATE KEY label" },
        { V_PGP_LABEL, 0, "PGP SIGNATURE label" },
        { V_NO_END, 0, "no END line" },
        { V_MISSING_LINE, 0, "a line missing" },
        { V_GARBAGE_B64, 0, "garbage base64 line" },
        { V_BAD_CHAR, 0, "character outside base64" },
    };
    char **b64 = leaf_b64_lines();
    g_assert_cmpuint(g_strv_length(b64), >, 4);
    if (g_strv_length(b64) <= 4) {
        g_strfreev(b64);
        return;
    }
    /* the leaf's base64 ends with padding, so QP damage really changes it */
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        char *text = build_variant(rows[i].v, b64);
        GPtrArray *certs = certinfo_from_pem_text(text, strlen(text));
        g_test_message("variant %s: %u certificates", rows[i].name, certs->len);
        g_assert_cmpuint(certs->len, ==, rows[i].expected);
        for (guint j = 0; j < certs->len; j++) {
            CertInfo *c = g_ptr_array_index(certs, j);
            g_assert_cmpstr(c->serial_hex, ==, LEAF_SERIAL);
            g_assert_cmpstr(c->sha256_hex, ==, LEAF_SHA256);
        }
        g_ptr_array_unref(certs);
        g_free(text);
    }
    g_strfreev(b64);
}

static void test_der_hostile(void)
{
    GBytes *der = tu_read_fixture("certs/leaf.der");
    g_assert_nonnull(der);
    if (!der)
        return;
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(der, &len);

    /* every truncation fails cleanly */
    for (gsize n = 0; n < len; n++) {
        GError *error = NULL;
        CertInfo *c = certinfo_from_der(d, n, &error);
        if (c != NULL)
            g_test_message("truncated to %" G_GSIZE_FORMAT " bytes parsed", n);
        g_assert_null(c);
        g_assert_error(error, CPR_ERROR, CPR_ERROR_MESSAGE);
        g_clear_error(&error);
        certinfo_free(&c);
    }

    /* flipped bytes: never a crash; when it parses, the values are strings */
    guint8 *copy = g_memdup2(d, len);
    for (gsize i = 0; i < len; i += 7) {
        copy[i] ^= 0x5a;
        CertInfo *c = certinfo_from_der(copy, len, NULL);
        if (c) {
            g_assert_nonnull(c->serial_hex);
            g_assert_cmpuint(strlen(c->sha256_hex), ==, 64);
        }
        certinfo_free(&c);
        copy[i] ^= 0x5a;
    }
    g_free(copy);

    static const struct {
        const char *bytes;
        gsize len;
    } garbage[] = {
        { "", 0 },
        { "\x30", 1 },
        { "\x30\x82\xff\xff", 4 },
        { "\x30\x80\x00\x00", 4 },
        { "not a certificate at all", 24 },
        { "-----BEGIN CERTIFICATE-----\n", 28 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++) {
        GError *error = NULL;
        CertInfo *c = certinfo_from_der((const guint8 *)garbage[i].bytes, garbage[i].len, &error);
        g_assert_null(c);
        g_assert_error(error, CPR_ERROR, CPR_ERROR_MESSAGE);
        g_clear_error(&error);
    }
    GError *error = NULL;
    g_assert_null(certinfo_from_der(NULL, 10, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_MESSAGE);
    g_clear_error(&error);

    /* larger than any certificate: refused before GnuTLS sees it */
    gsize big = 2u * 1024 * 1024;
    guint8 *huge = g_malloc0(big);
    memcpy(huge, d, len);
    g_assert_null(certinfo_from_der(huge, big, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_MESSAGE);
    g_clear_error(&error);
    g_free(huge);
    g_bytes_unref(der);
}

static void test_pem_hostile(void)
{
    /* 1 MB of "00:" and 1 MB of hex digits: nothing, quickly */
    GString *s = g_string_new(NULL);
    for (int i = 0; i < 350000; i++)
        g_string_append(s, "00:");
    GPtrArray *certs = certinfo_from_pem_text(s->str, s->len);
    g_assert_cmpuint(certs->len, ==, 0);
    g_ptr_array_unref(certs);

    /* a BEGIN line followed by 1 MB of base64 and an END: too big, skipped */
    g_string_assign(s, "-----BEGIN CERTIFICATE-----\n");
    for (int i = 0; i < 16000; i++)
        g_string_append(s, "MIIEOTCCAyGgAwIBAgIQXgxgJOeQUwhRr1peM6LaVTANBgkqhkiG9w0BAQsFADBU\n");
    g_string_append(s, "-----END CERTIFICATE-----\n");
    certs = certinfo_from_pem_text(s->str, s->len);
    g_assert_cmpuint(certs->len, ==, 0);
    g_ptr_array_unref(certs);

    /* many empty blocks */
    g_string_truncate(s, 0);
    for (int i = 0; i < 5000; i++)
        g_string_append(s, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    certs = certinfo_from_pem_text(s->str, s->len);
    g_assert_cmpuint(certs->len, ==, 0);
    g_ptr_array_unref(certs);

    /* NULs and length handling: only `len` bytes are read */
    static const char with_nul[] = "-----BEGIN CERTIFICATE-----\nAA\0AA\n-----END CERTIFICATE-----\n";
    certs = certinfo_from_pem_text(with_nul, sizeof with_nul - 1);
    g_assert_cmpuint(certs->len, ==, 0);
    g_ptr_array_unref(certs);
    certs = certinfo_from_pem_text(NULL, 0);
    g_assert_nonnull(certs);
    g_assert_cmpuint(certs->len, ==, 0);
    g_ptr_array_unref(certs);

    /* a valid block cut off by `len` is not read past its end */
    g_autofree char *pem = tu_read_fixture_text("certs/leaf.pem");
    if (pem) {
        certs = certinfo_from_pem_text(pem, strlen(pem) - 10);
        g_assert_cmpuint(certs->len, ==, 0);
        g_ptr_array_unref(certs);
        certs = certinfo_from_pem_text(pem, strlen(pem));
        g_assert_cmpuint(certs->len, ==, 1);
        g_ptr_array_unref(certs);
    }
    g_string_free(s, TRUE);
}

/* The certificate policies of real certificates (certs/gen-policies.sh):
 * read in order, CA/Browser Forum identifiers named, others unknown. */
static void policies_of(const char *fixture, const char *sha256, const char *const *oids)
{
    g_autofree char *pem = tu_read_fixture_text(fixture);
    g_assert_nonnull(pem);
    if (!pem)
        return;
    GPtrArray *certs = certinfo_from_pem_text(pem, strlen(pem));
    g_assert_cmpuint(certs->len, ==, 1);
    if (certs->len == 1) {
        const CertInfo *c = g_ptr_array_index(certs, 0);
        g_assert_cmpstr(c->sha256_hex, ==, sha256);
        g_assert_nonnull(c->policy_oids);
        g_assert_true(sans_equal(c->policy_oids, oids));
    }
    g_ptr_array_unref(certs);
}

static void test_policies(void)
{
    static const char *const dv[] = {"2.23.140.1.2.1", NULL};
    static const char *const ov[] = {"1.3.6.1.4.1.32473.1.1", "2.23.140.1.2.2", NULL};
    static const char *const ev[] = {"2.23.140.1.1", NULL};
    static const char *const smime[] = {"2.23.140.1.5.4.3", NULL};
    static const char *const own[] = {"1.3.6.1.4.1.32473.1.7", NULL};
    policies_of("certs/policy-dv.pem",
                "f29aff6723a6e612a363e926e5f8b8cc97043bb0180503353d6aa7deda7797e5", dv);
    policies_of("certs/policy-ov.pem",
                "a42490e9906581cd6e09f12f99bcdebcbfe1cecf297a17ec30ae40060ab8f655", ov);
    policies_of("certs/policy-ev.pem",
                "f73693e70822e610baefa4681e83843af18ecbb50d01458e32206308a0c9c1f8", ev);
    policies_of("certs/policy-smime.pem",
                "bab650caae0b87cd9b948dcd1f3ccb5f82df75294e1517b3cfc792d4b213359a", smime);
    policies_of("certs/policy-own.pem",
                "6c9fe65aa064a4bcecd64a842808b5423a4a76d92b7938d21da78c031436608e", own);
    /* the sample CA's certificate is DV; a certificate without the extension has none */
    static const char *const none[] = {NULL};
    g_autofree char *text = tu_read_fixture_text("samples/003-misissuance-pem-attachment.eml");
    GPtrArray *certs = certinfo_from_pem_text(text, text ? strlen(text) : 0);
    g_assert_cmpuint(certs->len, ==, 1);
    if (certs->len == 1)
        g_assert_true(sans_equal(((CertInfo *)g_ptr_array_index(certs, 0))->policy_oids, dv));
    g_ptr_array_unref(certs);
    policies_of("certs/leaf.pem", "f897c65c024aa7985737fcd3031d987a58a7a0228d330d3d9e53151204f796c6",
                none);

    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.2.1"), ==, "DV TLS");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.2.2"), ==, "OV TLS");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.2.3"), ==, "IV TLS");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.1"), ==, "EV TLS");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.3"), ==, "EV Code Signing");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.4.1"), ==, "Code Signing");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.5.1.3"), ==, "S/MIME Mailbox-validated Strict");
    g_assert_cmpstr(certinfo_policy_type("2.23.140.1.5.4.3"), ==,
                    "S/MIME Individual-validated Strict");
    /* the Tor Service Descriptor extension, a CA's own policy, anyPolicy, a prefix */
    g_assert_null(certinfo_policy_type("2.23.140.1.31"));
    g_assert_null(certinfo_policy_type("1.3.6.1.4.1.32473.1.1"));
    g_assert_null(certinfo_policy_type("2.5.29.32.0"));
    g_assert_null(certinfo_policy_type("2.23.140.1.2"));
    g_assert_null(certinfo_policy_type(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/certinfo/sample-003", test_sample_003);
    g_test_add_func("/certinfo/leaf-der", test_leaf_der);
    g_test_add_func("/certinfo/precert", test_precert);
    g_test_add_func("/certinfo/bundle", test_bundle);
    g_test_add_func("/certinfo/pem-variants", test_pem_variants);
    g_test_add_func("/certinfo/der-hostile", test_der_hostile);
    g_test_add_func("/certinfo/pem-hostile", test_pem_hostile);
    g_test_add_func("/certinfo/policies", test_policies);
    return g_test_run();
}
