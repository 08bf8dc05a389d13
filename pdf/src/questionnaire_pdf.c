/*
 * The applicant questionnaire PDF, drawn with libharu.
 *
 * Reproducible by construction: no dates and no IDs come from the clock or a random source
 * (libharu 2.3.0 writes neither /CreationDate nor /ID unless asked, and we never ask), the font
 * is the compiled-in subset, and the layout depends only on the applicant and the options.
 *
 * Speed: libharu builds its font object per document. Loading the 760 KB DejaVuSans.ttf from
 * disk costs ~5 ms and saving it ~6 ms; the compiled-in subset (~60 KB, only the glyphs the
 * forms use) is loaded from memory through libharu's stream API in well under a millisecond.
 * libharu has no public "load TrueType from memory" call in 2.3.0, so we use the internal
 * functions its own HPDF_LoadTTFontFromFile uses (installed by libhpdf-dev: hpdf_doc.h,
 * hpdf_fontdef.h, hpdf_streams.h).
 */
#include <stdio.h>

#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_font.h>
#include <hpdf_fontdef.h>
#include <hpdf_streams.h>

#include "applicant_int.h"
#include "assets_int.h"
#include "questionnaire_labels.h"

/*
 * We reach into libharu 2.3's installed internal structures (the document's memory manager and
 * font tag, a font's CIDToGIDMap stream). The soname pins the ABI to the headers; a different
 * libharu must be re-checked here (2.4 has HPDF_LoadTTFontFromMemory, which replaces load_font).
 */
#if HPDF_VERSION_ID / 100 != 203
#error "questionnaire_pdf.c uses libharu 2.3 internals: re-check load_font and shorten_cid_map"
#endif

/* A4 in points, margins and type sizes. */
#define PAGE_W 595.276f
#define PAGE_H 841.89f
#define MARGIN_X 42.0f
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define TOP_Y (PAGE_H - 34.0f)
#define BOTTOM_Y 54.0f /* the footer lives below */
#define FONT_SIZE 8.0f
#define LEADING 9.3f
#define PAD 2.0f
#define LABEL_FULL_W 170.0f
#define LABEL_HALF_W 92.0f
#define LABEL_WIDE_W 400.0f /* yes/no questions */
#define MAX_LINES 64
#define LINE_BYTES 4096

typedef struct hpdf_status {
    HPDF_STATUS error_no;
    HPDF_STATUS detail_no;
} hpdf_status;

typedef struct layout {
    HPDF_Doc pdf;
    HPDF_Font font;
    HPDF_Page page;
    bool draw;       /* false: the measuring pass that counts pages */
    float y;         /* current baseline cursor, from the bottom */
    int page_no;     /* 1-based once a page exists */
    int pages_total; /* known in the drawing pass */
    const qtb_labels *L;
    const qtb_applicant *a;
    HPDF_STATUS failed; /* first libharu failure */
    const hpdf_status *st;
} layout;

static void HPDF_STDCALL on_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
    hpdf_status *st = user;
    if (st->error_no == 0) {
        st->error_no = error_no;
        st->detail_no = detail_no;
    }
}

static void *HPDF_STDCALL hpdf_alloc(HPDF_UINT size)
{
    return qtb_malloc(size);
}

static void HPDF_STDCALL hpdf_free(void *p)
{
    qtb_free(p);
}

/*
 * Draw only while libharu is healthy: after its first error (an allocation failure, say) the
 * document is not to be used any more except to free it, so every later call is skipped.
 */
static bool live(const layout *l)
{
    return l->draw && l->failed == HPDF_OK && (l->st == NULL || l->st->error_no == 0);
}

static void check(layout *l, HPDF_STATUS st)
{
    if (st != HPDF_OK && l->failed == HPDF_OK) {
        l->failed = st;
    }
}

/* ---- text measure and wrap --------------------------------------------------------------------
 */

/* Decode one UTF-8 sequence (input is valid UTF-8: libxml2 produced it). */
static size_t utf8_next(const char *s, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xE0) == 0xC0 && u[1] != 0) {
        *cp = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
        return 2;
    }
    if ((u[0] & 0xF0) == 0xE0 && u[1] != 0 && u[2] != 0) {
        *cp = ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
        return 3;
    }
    if ((u[0] & 0xF8) == 0xF0 && u[1] != 0 && u[2] != 0 && u[3] != 0) {
        *cp = 0xFFFD; /* outside the BMP: libharu's UTF-8 CID font cannot show it */
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

static float char_width(const layout *l, unsigned cp, float size)
{
    HPDF_INT w = HPDF_Font_GetUnicodeWidth(l->font, (HPDF_UNICODE)(cp > 0xFFFF ? 0xFFFD : cp));
    return (float)w * size / 1000.0f;
}

static float text_width(const layout *l, const char *s, float size)
{
    float w = 0;
    while (*s != '\0') {
        unsigned cp;
        s += utf8_next(s, &cp);
        w += char_width(l, cp, size);
    }
    return w;
}

typedef struct span {
    const char *p;
    size_t len;
} span;

/*
 * Greedy wrap at spaces; a word wider than the box is split between characters (hashes, IBANs).
 * A '\n' forces a break. Returns the number of lines (at most `max`; the rest is cut).
 */
static size_t wrap(const layout *l, const char *s, float width, float size, span *out, size_t max)
{
    size_t n = 0;
    while (*s != '\0' && n < max) {
        const char *start = s, *p = s, *brk = NULL, *brk_next = NULL;
        float w = 0;
        while (*p != '\0' && *p != '\n') {
            unsigned cp;
            size_t k = utf8_next(p, &cp);
            float cw = char_width(l, cp, size);
            if (w + cw > width && p > start) {
                break;
            }
            if (*p == ' ') {
                brk = p;
                brk_next = p + 1;
            }
            w += cw;
            p += k;
        }
        const char *end = p, *next = p;
        if (*p == '\n') {
            next = p + 1;
        } else if (*p != '\0' && brk != NULL && brk > start) {
            end = brk;
            next = brk_next;
        }
        out[n++] = (span){start, (size_t)(end - start)};
        s = next;
    }
    if (n == 0) {
        out[n++] = (span){s, 0};
    }
    return n;
}

static void text_at(layout *l, float x, float y, float size, const char *s, size_t len)
{
    if (!live(l) || len == 0) {
        return;
    }
    char buf[LINE_BYTES];
    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    check(l, HPDF_Page_BeginText(l->page));
    check(l, HPDF_Page_SetFontAndSize(l->page, l->font, size));
    check(l, HPDF_Page_TextOut(l->page, x, y, buf));
    check(l, HPDF_Page_EndText(l->page));
}

/* ---- pages -------------------------------------------------------------------------------- */

static void footer(layout *l)
{
    if (!live(l)) {
        return;
    }
    char line[512];
    snprintf(line, sizeof(line), "%s: %s    %s: %s", l->L->footer_app_id, l->a->application_id,
             l->L->footer_sha, l->a->sha256_hex);
    check(l, HPDF_Page_SetLineWidth(l->page, 0.5f));
    check(l, HPDF_Page_MoveTo(l->page, MARGIN_X, 48));
    check(l, HPDF_Page_LineTo(l->page, PAGE_W - MARGIN_X, 48));
    check(l, HPDF_Page_Stroke(l->page));
    span sp[3]; /* a 64-character application ID and the hash fit in three lines */
    size_t n = wrap(l, line, CONTENT_W - 60, 6.5f, sp, 3);
    for (size_t i = 0; i < n; i++) {
        text_at(l, MARGIN_X, 38 - 8.0f * (float)i, 6.5f, sp[i].p, sp[i].len);
    }
    char pg[128];
    snprintf(pg, sizeof(pg), "%s %d / %d", l->L->page, l->page_no, l->pages_total);
    float w = text_width(l, pg, 7.0f);
    text_at(l, PAGE_W - MARGIN_X - w, 38, 7.0f, pg, strlen(pg));
}

static void new_page(layout *l)
{
    l->page_no++;
    l->y = TOP_Y;
    if (!live(l)) {
        return;
    }
    l->page = HPDF_AddPage(l->pdf);
    if (l->page == NULL) {
        check(l, HPDF_INVALID_PAGE);
        l->draw = false; /* nothing more can be drawn; the failure is reported */
        return;
    }
    check(l, HPDF_Page_SetSize(l->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT));
    footer(l);
}

static void ensure_space(layout *l, float h)
{
    if (l->page_no == 0 || l->y - h < BOTTOM_Y) {
        new_page(l);
    }
}

/* ---- blocks ------------------------------------------------------------------------------- */

static void title(layout *l)
{
    ensure_space(l, 60);
    const char *t = l->L->title;
    float w = text_width(l, t, 14.0f);
    text_at(l, (PAGE_W - w) / 2, l->y - 14, 14.0f, t, strlen(t));
    l->y -= 21;
    const char *k = qtb_label_kind(l->L, l->a->kind);
    w = text_width(l, k, 9.0f);
    text_at(l, (PAGE_W - w) / 2, l->y - 9, 9.0f, k, strlen(k));
    l->y -= 17;
}

static void section(layout *l, int *no, const char *name)
{
    ensure_space(l, 14 + 2 * LEADING + PAD * 2); /* keep the heading with its first row */
    char buf[256];
    snprintf(buf, sizeof(buf), "%d. %s", ++*no, name);
    if (live(l)) {
        check(l, HPDF_Page_SetGrayFill(l->page, 0.88f));
        check(l, HPDF_Page_Rectangle(l->page, MARGIN_X, l->y - 13, CONTENT_W, 13));
        check(l, HPDF_Page_Fill(l->page));
        check(l, HPDF_Page_SetGrayFill(l->page, 0));
    }
    text_at(l, MARGIN_X + PAD, l->y - 9.6f, 9.0f, buf, strlen(buf));
    l->y -= 14;
}

typedef struct cell {
    const char *label;
    const char *value;
} cell;

/* One table row of one (full width) or two (half width) label/value cells. */
static void row_w(layout *l, const cell *cells, size_t ncells, float label_w)
{
    float cell_w = CONTENT_W / (float)ncells;
    span lab[2][MAX_LINES], val[2][MAX_LINES];
    size_t nl[2], nv[2], lines = 1;
    for (size_t i = 0; i < ncells; i++) {
        const char *v = cells[i].value != NULL ? cells[i].value : "—";
        nl[i] = wrap(l, cells[i].label, label_w - 2 * PAD, FONT_SIZE, lab[i], MAX_LINES);
        nv[i] = wrap(l, v, cell_w - label_w - 2 * PAD, FONT_SIZE, val[i], MAX_LINES);
        lines = nl[i] > lines ? nl[i] : lines;
        lines = nv[i] > lines ? nv[i] : lines;
    }
    float h = (float)lines * LEADING + 2 * PAD;
    ensure_space(l, h);
    float top = l->y;
    for (size_t i = 0; i < ncells; i++) {
        float x = MARGIN_X + cell_w * (float)i;
        if (live(l)) {
            check(l, HPDF_Page_SetGrayFill(l->page, 0.96f));
            check(l, HPDF_Page_Rectangle(l->page, x, top - h, label_w, h));
            check(l, HPDF_Page_Fill(l->page));
            check(l, HPDF_Page_SetGrayFill(l->page, 0));
            check(l, HPDF_Page_SetLineWidth(l->page, 0.4f));
            check(l, HPDF_Page_Rectangle(l->page, x, top - h, cell_w, h));
            check(l, HPDF_Page_MoveTo(l->page, x + label_w, top));
            check(l, HPDF_Page_LineTo(l->page, x + label_w, top - h));
            check(l, HPDF_Page_Stroke(l->page));
        }
        for (size_t k = 0; k < nl[i]; k++) {
            text_at(l, x + PAD, top - PAD - 7.5f - LEADING * (float)k, FONT_SIZE, lab[i][k].p,
                    lab[i][k].len);
        }
        for (size_t k = 0; k < nv[i]; k++) {
            text_at(l, x + label_w + PAD, top - PAD - 7.5f - LEADING * (float)k, FONT_SIZE,
                    val[i][k].p, val[i][k].len);
        }
    }
    l->y = top - h;
}

static void full(layout *l, const char *label, const char *value)
{
    cell c[1] = {{label, value}};
    row_w(l, c, 1, LABEL_FULL_W);
}

/* A yes/no question: a wide label, a short answer. */
static void question(layout *l, const char *label, bool yes)
{
    cell c[1] = {{label, yes ? l->L->yes : l->L->no}};
    row_w(l, c, 1, LABEL_WIDE_W);
}

static void half(layout *l, const char *l1, const char *v1, const char *l2, const char *v2)
{
    cell c[2] = {{l1, v1}, {l2, v2}};
    row_w(l, c, 2, LABEL_HALF_W);
}

static void gap(layout *l)
{
    l->y -= 3;
}

static void signature_box(layout *l)
{
    const float h = 80;
    ensure_space(l, h + 6);
    l->y -= 6;
    float top = l->y;
    if (live(l)) {
        const HPDF_UINT16 dash[] = {4, 2};
        check(l, HPDF_Page_SetLineWidth(l->page, 1.0f));
        check(l, HPDF_Page_SetDash(l->page, dash, 2, 0));
        check(l, HPDF_Page_Rectangle(l->page, MARGIN_X, top - h, CONTENT_W, h));
        check(l, HPDF_Page_Stroke(l->page));
        check(l, HPDF_Page_SetDash(l->page, NULL, 0, 0));
    }
    const char *t = l->L->sig_title;
    text_at(l, MARGIN_X + 8, top - 14, 10.0f, t, strlen(t));
    span sp[4];
    size_t n = wrap(l, l->L->sig_text, CONTENT_W - 16, FONT_SIZE, sp, 4);
    for (size_t i = 0; i < n; i++) {
        text_at(l, MARGIN_X + 8, top - 27 - LEADING * (float)i, FONT_SIZE, sp[i].p, sp[i].len);
    }
    char who[512];
    const qtb_applicant *a = l->a;
    snprintf(who, sizeof(who), "%s: %s %s%s%s (%s %s)", l->L->sig_signer, a->user_surname,
             a->user_name, a->user_patronymic != NULL ? " " : "",
             a->user_patronymic != NULL ? a->user_patronymic : "", l->L->iin, a->user_iin);
    text_at(l, MARGIN_X + 8, top - h + 26, FONT_SIZE, who, strlen(who));
    char line[256];
    snprintf(line, sizeof(line), "%s: ____________________________________________",
             l->L->sig_place);
    text_at(l, MARGIN_X + 8, top - h + 10, FONT_SIZE, line, strlen(line));
    l->y = top - h;
}

/* ---- the form ------------------------------------------------------------------------------ */

static void organisation(layout *l, int *no)
{
    const qtb_applicant *a = l->a;
    const qtb_labels *L = l->L;
    char d1[16], d2[16];
    section(l, no, L->sec_org);
    full(l, L->org_name, a->org_name);
    full(l, a->kind == QTB_APPLICANT_LEGAL_ENTITY ? L->bin : L->iin, a->org_idnum);
    full(l, L->reg_address, a->org_reg_address);
    full(l, L->act_address, a->org_act_address);
    half(l, L->sector, a->org_sector, L->oked, a->org_oked);
    full(l, L->activity, a->org_activity);
    gap(l);

    section(l, no, L->sec_reg);
    qtb_label_date(d1, a->reg_date);
    half(l, L->number, a->reg_number, L->date, d1);
    half(l, L->issued_by, a->reg_issuer, L->place, a->reg_place);
    gap(l);

    section(l, no, L->sec_licence);
    if (a->has_licence) {
        full(l, L->number, a->lic_number);
        qtb_label_date(d1, a->lic_issue);
        qtb_label_date(d2, a->lic_expiry);
        half(l, L->issue_date, d1, L->valid_until, d2);
        full(l, L->issued_by, a->lic_issuer);
    } else {
        full(l, L->sec_licence, L->not_provided);
    }
    gap(l);
}

static void person(layout *l, int *no)
{
    const qtb_applicant *a = l->a;
    const qtb_labels *L = l->L;
    char d1[16], d2[16];
    section(l, no, L->sec_bank);
    half(l, L->iban, a->iban, L->bank, a->bank_name);
    half(l, L->bic, a->bic, L->kbe, a->kbe);
    gap(l);

    section(l, no, a->has_org ? L->sec_iddoc_head : L->sec_iddoc);
    half(l, L->doc_kind, qtb_label_iddoc(L, a->id_kind), L->number, a->id_number);
    full(l, L->issued_by, a->id_issuer);
    qtb_label_date(d1, a->id_start);
    qtb_label_date(d2, a->id_end);
    half(l, L->issue_date, d1, L->valid_until, d2);
    gap(l);

    section(l, no, L->sec_pep);
    question(l, L->pep, a->pep);
    question(l, L->pep_relative, a->pep_relative);
    question(l, L->pep_foreign, a->pep_foreign);
    gap(l);

    section(l, no, a->has_org ? L->sec_user : L->sec_applicant);
    qtb_label_date(d1, a->user_birth);
    half(l, L->iin, a->user_iin, L->birth_date, d1);
    half(l, L->surname, a->user_surname, L->name, a->user_name);
    half(l, L->patronymic, a->user_patronymic, L->sex,
         strcmp(a->user_sex, "male") == 0 ? L->male : L->female);
    half(l, L->email, a->user_email, L->phone, a->user_phone);
    half(l, L->country, a->user_country, L->birth_place, a->user_birth_place);
    if (a->user_position != NULL) {
        full(l, L->position, a->user_position);
    }
    if (a->user_address != NULL) {
        full(l, L->address, a->user_address);
    }
    gap(l);
}

static void documents(layout *l, int *no)
{
    const qtb_applicant *a = l->a;
    const qtb_labels *L = l->L;
    section(l, no, L->sec_docs);
    if (a->ndocs == 0) {
        full(l, L->sec_docs, L->not_provided);
    }
    for (size_t i = 0; i < a->ndocs; i++) {
        char label[256], v[512];
        snprintf(label, sizeof(label), "%s\nSHA-256", qtb_label_attachment(L, a->docs[i].kind));
        snprintf(v, sizeof(v), "%s\n%s", a->docs[i].file_name, a->docs[i].sha256);
        full(l, label, v);
    }
}

static void form(layout *l)
{
    int no = 0;
    l->page_no = 0;
    title(l);
    half(l, l->L->app_id, l->a->application_id, l->L->notify_lang,
         l->a->lang == QTB_LANG_KK ? l->L->lang_kk : l->L->lang_ru);
    gap(l);
    if (l->a->has_org) {
        organisation(l, &no);
    }
    person(l, &no);
    documents(l, &no);
    signature_box(l);
}

/* ---- document ---------------------------------------------------------------------------------
 */

/*
 * libharu's UTF-8 encoder makes CID = Unicode code point and writes a CIDToGIDMap for all 65,536
 * of them (128 KiB, deflated again for every document). The compiled-in font has no glyph above
 * QTB_FONT_LAST_CODEPOINT (see QTB_FONT_UNICODES in pdf/assets.cmake), so every entry past it is
 * 0 (.notdef) either way; we write the map only up to there (17 KB), which changes no glyph
 * (ISO 32000-1 9.7.4.2) and saves a third of the save time. A unit test checks the bound.
 */
static int shorten_cid_map(HPDF_Font font)
{
    HPDF_FontAttr fa = (HPDF_FontAttr)font->attr;
    if (fa == NULL || fa->map_stream == NULL || fa->map_stream->stream == NULL) {
        return 0; /* nothing to shorten: libharu wrote no map */
    }
    unsigned char map[(QTB_FONT_LAST_CODEPOINT + 1) * 2];
    for (unsigned cp = 0; cp <= QTB_FONT_LAST_CODEPOINT; cp++) {
        HPDF_UINT16 gid = HPDF_TTFontDef_GetGlyphid(fa->fontdef, (HPDF_UINT16)cp);
        map[2 * cp] = (unsigned char)(gid >> 8);
        map[2 * cp + 1] = (unsigned char)(gid & 0xFF);
    }
    HPDF_MemStream_FreeData(fa->map_stream->stream);
    if (HPDF_Stream_Write(fa->map_stream->stream, map, sizeof(map)) != HPDF_OK) {
        return QTB_FAIL(QTB_ENOMEM, "libharu: cannot write the CIDToGIDMap");
    }
    return 0;
}

/*
 * libharu 2.3 gives the UTF-8 font a "ToUnicode" stream that is a copy of its encoding CMap
 * (cidrange operators, every code to CID 0): readers warn ("Invalid 'begincidrange' operator in
 * ToUnicode CMap") and text extraction works only by their guesswork. The codes it writes are
 * UTF-16 code units equal to the code point (Identity-H, CID = code point), so the right
 * ToUnicode is the identity over the font's range, as bfrange blocks that each stay inside one
 * high byte (ISO 32000-1 9.10.3) and at most 100 per block (the PostScript CMap limit).
 */
static int write_to_unicode(HPDF_Font font)
{
    HPDF_FontAttr fa = (HPDF_FontAttr)font->attr;
    if (fa == NULL || fa->cmap_stream == NULL || fa->cmap_stream->stream == NULL) {
        return 0;
    }
    HPDF_Stream s = fa->cmap_stream->stream;
    HPDF_MemStream_FreeData(s);
    HPDF_STATUS st =
        HPDF_Stream_WriteStr(s, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                                "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 "
                                ">> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    const unsigned last_hi = QTB_FONT_LAST_CODEPOINT >> 8;
    for (unsigned hi = 0; st == HPDF_OK && hi <= last_hi; hi += 100) {
        unsigned count = last_hi + 1 - hi < 100 ? last_hi + 1 - hi : 100;
        char line[48]; /* room for any unsigned, so the compiler can see it fits */
        snprintf(line, sizeof(line), "%u beginbfrange\n", count);
        st = HPDF_Stream_WriteStr(s, line);
        for (unsigned h = hi; st == HPDF_OK && h < hi + count; h++) {
            snprintf(line, sizeof(line), "<%02X00> <%02XFF> <%02X00>\n", h, h, h);
            st = HPDF_Stream_WriteStr(s, line);
        }
        if (st == HPDF_OK) {
            st = HPDF_Stream_WriteStr(s, "endbfrange\n");
        }
    }
    if (st == HPDF_OK) {
        st = HPDF_Stream_WriteStr(
            s, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    }
    return st == HPDF_OK ? 0 : QTB_FAIL(QTB_ENOMEM, "libharu: cannot write the ToUnicode CMap");
}

/*
 * libharu 2.3 writes its font subset through a 4 KiB-block memory stream, one table after the
 * other in a fixed order that ends with "prep", writing a table the font lacks as empty; it then
 * seeks to each table's start to checksum it. A seek to exactly the end of a stream whose size
 * is a multiple of 4 KiB fails (HPDF_MemStream_SeekFunc finds no block there). The subset is
 * made with --no-hinting (no prep), so whenever the glyphs a form uses added up to such a size,
 * HPDF_SaveToStream failed with HPDF_INVALID_OBJECT (0x1033) and leaked the font descriptor:
 * found by tests/fuzz/applicant_fuzz.c. So libharu gets the font with a one-byte prep table,
 * RTG (round to grid: the interpreter's default state, so it changes no glyph), and the last
 * table is never empty.
 */
#define TTF_TAG_PREP 0x70726570u /* "prep" */
#define TTF_MAX_TABLES 64u

static uint32_t ttf_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void ttf_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void ttf_put32(unsigned char *p, uint32_t v)
{
    ttf_put16(p, (unsigned)(v >> 16));
    ttf_put16(p + 2, (unsigned)(v & 0xFFFF));
}

/* Our compiled-in font with a prep table added (or unchanged if it has one), into `s`. */
static int write_font_with_prep(HPDF_Stream s, const unsigned char *ttf, size_t len)
{
    static const unsigned char prep[4] = {0x18, 0, 0, 0}; /* RTG, padded to 4 bytes */
    QTB_ENSURE(len >= 12 && len <= UINT32_MAX - 32, QTB_EGENERIC, "the compiled-in font is bad");
    unsigned n = (unsigned)ttf[4] << 8 | ttf[5];
    QTB_ENSURE(n > 0 && n < TTF_MAX_TABLES && len >= 12 + 16 * (size_t)n, QTB_EGENERIC,
               "the compiled-in font has a bad table directory");
    for (unsigned i = 0; i < n; i++) {
        const unsigned char *rec = ttf + 12 + 16 * i;
        if (ttf_u32(rec) == TTF_TAG_PREP) {
            QTB_ENSURE(ttf_u32(rec + 12) > 0, QTB_EGENERIC, "the compiled-in font's prep is empty");
            return HPDF_Stream_Write(s, ttf, (HPDF_UINT)len) == HPDF_OK ? 0 : QTB_ENOMEM;
        }
    }
    /* OpenType "Table Directory": one more record, every table moves 16 bytes down. */
    unsigned char dir[12 + 16 * TTF_MAX_TABLES];
    unsigned pow2 = 1, log2 = 0;
    while (pow2 * 2 <= n + 1) {
        pow2 *= 2;
        log2++;
    }
    memcpy(dir, ttf, 4); /* sfntVersion */
    ttf_put16(dir + 4, n + 1);
    ttf_put16(dir + 6, pow2 * 16);
    ttf_put16(dir + 8, log2);
    ttf_put16(dir + 10, (n + 1 - pow2) * 16);
    for (unsigned i = 0; i < n; i++) {
        const unsigned char *rec = ttf + 12 + 16 * i;
        uint32_t off = ttf_u32(rec + 8);
        QTB_ENSURE(off <= len && ttf_u32(rec + 12) <= len - off, QTB_EGENERIC,
                   "the compiled-in font has a table outside the file");
        memcpy(dir + 12 + 16 * i, rec, 12);
        ttf_put32(dir + 12 + 16 * i + 8, off + 16);
        memcpy(dir + 12 + 16 * i + 12, rec + 12, 4);
    }
    size_t pad = (4 - len % 4) % 4;
    unsigned char *rec = dir + 12 + 16 * n;
    ttf_put32(rec, TTF_TAG_PREP);
    ttf_put32(rec + 4, 0x18000000u); /* the checksum of the padded table */
    ttf_put32(rec + 8, (uint32_t)(len + 16 + pad));
    ttf_put32(rec + 12, 1);
    static const unsigned char zeros[3] = {0, 0, 0};
    if (HPDF_Stream_Write(s, dir, 12 + 16 * (n + 1)) != HPDF_OK ||
        HPDF_Stream_Write(s, ttf + 12 + 16 * n, (HPDF_UINT)(len - 12 - 16 * n)) != HPDF_OK ||
        (pad > 0 && HPDF_Stream_Write(s, zeros, (HPDF_UINT)pad) != HPDF_OK) ||
        HPDF_Stream_Write(s, prep, sizeof(prep)) != HPDF_OK) {
        return QTB_ENOMEM;
    }
    return 0;
}

/* What HPDF_LoadTTFontFromFile does, from our compiled-in bytes instead of a file. */
static int load_font(HPDF_Font *out, HPDF_Doc pdf)
{
    HPDF_Stream s = HPDF_MemStream_New(pdf->mmgr, 16384);
    if (s == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "libharu: cannot create a font stream");
    }
    int rc = write_font_with_prep(s, qtb_asset_font, qtb_asset_font_len);
    if (rc == QTB_ENOMEM || (rc == 0 && HPDF_Stream_Seek(s, 0, HPDF_SEEK_SET) != HPDF_OK)) {
        HPDF_Stream_Free(s);
        return QTB_FAIL(QTB_ENOMEM, "libharu: cannot buffer the font");
    }
    if (rc != 0) {
        HPDF_Stream_Free(s);
        return rc;
    }
    /* On success the font definition owns the stream (embedding keeps it for saving). */
    HPDF_FontDef def = HPDF_TTFontDef_Load(pdf->mmgr, s, HPDF_TRUE);
    if (def == NULL) {
        return QTB_FAIL(QTB_EGENERIC, "libharu: the compiled-in font does not load (0x%04X)",
                        (unsigned)HPDF_GetError(pdf));
    }
    if (HPDF_Doc_RegisterFontDef(pdf, def) != HPDF_OK) { /* it frees `def` on failure */
        return QTB_FAIL(QTB_EGENERIC, "libharu: cannot register the font (0x%04X)",
                        (unsigned)HPDF_GetError(pdf));
    }
    /* The subset tag of the first embedded font, as libharu would choose it: fixed, not random. */
    memcpy(pdf->ttfont_tag, "HPDFAA", 6);
    HPDF_TTFontDef_SetTagName(def, (char *)pdf->ttfont_tag);
    *out = HPDF_GetFont(pdf, def->base_font, "UTF-8");
    if (*out == NULL) {
        return QTB_FAIL(QTB_EGENERIC, "libharu: cannot create the UTF-8 font (0x%04X)",
                        (unsigned)HPDF_GetError(pdf));
    }
    QTB_TRY(write_to_unicode(*out));
    return shorten_cid_map(*out);
}

static int save(unsigned char **out, size_t *out_len, HPDF_Doc pdf)
{
    if (HPDF_SaveToStream(pdf) != HPDF_OK) {
        return QTB_FAIL(QTB_EGENERIC, "libharu: saving the PDF failed (0x%04X)",
                        (unsigned)HPDF_GetError(pdf));
    }
    HPDF_UINT32 size = HPDF_GetStreamSize(pdf);
    QTB_ENSURE(size > 0, QTB_EGENERIC, "libharu produced an empty PDF");
    unsigned char *buf = qtb_malloc(size);
    if (buf == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory holding a %u-byte PDF", (unsigned)size);
    }
    HPDF_UINT32 got = size;
    HPDF_STATUS st = HPDF_ReadFromStream(pdf, buf, &got);
    if ((st != HPDF_OK && st != HPDF_STREAM_EOF) || got != size) {
        qtb_free(buf);
        return QTB_FAIL(QTB_EGENERIC, "libharu: reading the PDF back failed (0x%04X)",
                        (unsigned)st);
    }
    *out = buf;
    *out_len = size;
    return 0;
}

int qtb_questionnaire_render(unsigned char **out, size_t *out_len, const qtb_applicant *a,
                             const qtb_questionnaire_options *opts)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL);
    QTB_ASSERT_ARG(a != NULL);
    QTB_ASSERT_ARG(opts == NULL || opts->version == QTB_QUESTIONNAIRE_OPTIONS_VERSION);
    *out = NULL;
    *out_len = 0;
    qtb_lang lang = opts != NULL && opts->lang != QTB_LANG_DEFAULT ? opts->lang : a->lang;

    int rc = 0;
    hpdf_status st = {0, 0};
    HPDF_Doc pdf = HPDF_NewEx(on_hpdf_error, hpdf_alloc, hpdf_free, 0, &st);
    if (pdf == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "libharu: cannot create a document");
    }
    if (HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL) != HPDF_OK ||
        HPDF_UseUTFEncodings(pdf) != HPDF_OK || HPDF_SetCurrentEncoder(pdf, "UTF-8") != HPDF_OK) {
        rc = QTB_FAIL(QTB_EGENERIC, "libharu: cannot set up the document (0x%04X)",
                      (unsigned)HPDF_GetError(pdf));
        goto done;
    }
    /* Fixed metadata only: no dates (HPDF_SetInfoDateAttr is never called), no random IDs. */
    char subject[96];
    snprintf(subject, sizeof(subject), "applicant-data-sha256:%s", a->sha256_hex);
    if (HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "qoltanba " QTB_VERSION_STRING) != HPDF_OK ||
        HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, "Applicant questionnaire") != HPDF_OK ||
        HPDF_SetInfoAttr(pdf, HPDF_INFO_SUBJECT, subject) != HPDF_OK) {
        rc = QTB_FAIL(QTB_EGENERIC, "libharu: cannot set the document info (0x%04X)",
                      (unsigned)HPDF_GetError(pdf));
        goto done;
    }
    layout l = {0};
    l.pdf = pdf;
    l.st = &st;
    l.L = qtb_labels_for(lang);
    l.a = a;
    QTB_TRY_GOTO(load_font(&l.font, pdf));
    /* Pass 1 measures (to know the page count for "page N of M"); pass 2 draws. */
    l.draw = false;
    form(&l);
    l.pages_total = l.page_no;
    l.draw = true;
    form(&l);
    if (l.failed != HPDF_OK || st.error_no != 0) {
        rc =
            QTB_FAIL(st.error_no == HPDF_FAILD_TO_ALLOC_MEM ? QTB_ENOMEM : QTB_EGENERIC,
                     "libharu: drawing the questionnaire failed (0x%04X, detail %u)",
                     (unsigned)(st.error_no != 0 ? st.error_no : l.failed), (unsigned)st.detail_no);
        goto done;
    }
    QTB_TRY_GOTO(save(out, out_len, pdf));
done:
    HPDF_Free(pdf);
    return rc;
}
