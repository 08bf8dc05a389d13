/*
 * IIN/BIN check digit and field decoding. The rule is that of Постановление Правительства РК
 * №565 (11.06.2003), as implemented identically by every public validator we compared
 * (see ../shared/reference/kz-pki.md §3.7).
 */
#include <ctype.h>

#include <qtb/iin.h>

#include "internal.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

int qtb_idnum_check_digit(int *out, const char *digits)
{
    QTB_ASSERT_ARG(out != NULL && digits != NULL);
    if (strnlen(digits, 11) < 11 || !all_digits(digits, 11)) {
        return QTB_FAIL(QTB_EPARSE, "an IIN/BIN needs 11 leading digits");
    }
    static const int w1[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const int w2[11] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};
    int s = 0;
    for (int i = 0; i < 11; i++) {
        s += (digits[i] - '0') * w1[i];
    }
    int c = s % 11;
    if (c == 10) {
        s = 0;
        for (int i = 0; i < 11; i++) {
            s += (digits[i] - '0') * w2[i];
        }
        c = s % 11;
    }
    if (c == 10) {
        return QTB_FAIL(QTB_ENOTFOUND, "no check digit exists for this prefix (never issued)");
    }
    *out = c;
    return 0;
}

qtb_idnum_status qtb_idnum_check(const char *s)
{
    if (s == NULL || strlen(s) != 12 || !all_digits(s, 12)) {
        return QTB_IDNUM_BAD_FORMAT;
    }
    int c = 0;
    int rc = qtb_idnum_check_digit(&c, s);
    if (rc == QTB_ENOTFOUND) {
        return QTB_IDNUM_NEVER_ISSUED;
    }
    if (rc < 0) {
        return QTB_IDNUM_BAD_FORMAT;
    }
    return (s[11] - '0') == c ? QTB_IDNUM_VALID : QTB_IDNUM_BAD_CHECKSUM;
}

bool qtb_idnum_is_bin(const char *s)
{
    return s != NULL && strlen(s) == 12 && all_digits(s, 12) && s[4] >= '4' && s[4] <= '6';
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

int qtb_iin_decode(qtb_iin_info *out, const char *iin)
{
    QTB_ASSERT_ARG(out != NULL && iin != NULL);
    memset(out, 0, sizeof(*out));
    if (strlen(iin) != 12 || !all_digits(iin, 12)) {
        return QTB_FAIL(QTB_EPARSE, "an IIN is exactly 12 digits");
    }
    int d7 = iin[6] - '0';
    if (d7 < 1 || d7 > 6) {
        return QTB_FAIL(QTB_EPARSE, "IIN digit 7 is %d; a person's IIN has 1..6", d7);
    }
    out->sex = d7 % 2 == 1 ? QTB_SEX_MALE : QTB_SEX_FEMALE;
    int century = 1800 + 100 * ((d7 - 1) / 2);
    int y = century + two(iin);
    int m = two(iin + 2);
    int d = two(iin + 4);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
        return QTB_FAIL(QTB_EPARSE, "IIN digits 1-6 are not a date (%c%c%c%c%c%c)", iin[0], iin[1],
                        iin[2], iin[3], iin[4], iin[5]);
    }
    out->year = y;
    out->month = m;
    out->day = d;
    return 0;
}

int qtb_bin_decode(qtb_bin_info *out, const char *bin)
{
    QTB_ASSERT_ARG(out != NULL && bin != NULL);
    memset(out, 0, sizeof(*out));
    out->entity_name = "unknown";
    if (!qtb_idnum_is_bin(bin)) {
        return QTB_FAIL(QTB_EPARSE, "not a BIN: 12 digits with 4, 5 or 6 as the fifth");
    }
    out->year = 2000 + two(bin);
    out->month = two(bin + 2);
    out->entity_type = bin[4] - '0';
    out->unit_type = bin[5] - '0';
    switch (out->entity_type) {
    case 4:
        out->entity_name = "resident legal entity";
        break;
    case 5:
        out->entity_name = "non-resident legal entity";
        break;
    case 6:
        out->entity_name = "joint individual entrepreneurship";
        break;
    default:
        break;
    }
    return 0;
}
