/*
 * qoltanba: Kazakh individual (ИИН) and business (БИН) identification numbers.
 *
 * Both are 12 digits whose last digit is a check digit (weights 1..11 mod 11; if that gives 10,
 * weights 3..11,1,2 mod 11; if that gives 10 again the number is never issued). A failed checksum
 * is a finding, not an error: NCA's own test certificates carry invalid numbers.
 */
#ifndef QTB_IIN_H
#define QTB_IIN_H

#include <stdbool.h>

#include <qtb/common.h>

QTB_BEGIN_DECLS

typedef enum qtb_idnum_status {
    QTB_IDNUM_VALID = 0,        /**< 12 digits, check digit matches */
    QTB_IDNUM_BAD_FORMAT = 1,   /**< not exactly 12 ASCII digits */
    QTB_IDNUM_BAD_CHECKSUM = 2, /**< check digit does not match */
    QTB_IDNUM_NEVER_ISSUED = 3, /**< both passes give 10: no number with this prefix exists */
} qtb_idnum_status;

/**
 * Compute the check digit of the first 11 digits.
 * @param out the check digit 0..9
 * @param digits at least 11 ASCII digits
 * @return 0; QTB_EPARSE if a character is not a digit; QTB_ENOTFOUND if both passes give 10.
 */
QTB_API int qtb_idnum_check_digit(int *out, const char *digits) QTB_MUST_USE;

/** Check a 12-digit IIN or BIN (the same algorithm); `s` must be NUL-terminated. */
QTB_API qtb_idnum_status qtb_idnum_check(const char *s);

/** Sex encoded in an IIN's 7th digit. */
typedef enum qtb_sex {
    QTB_SEX_UNKNOWN = 0,
    QTB_SEX_MALE = 1,
    QTB_SEX_FEMALE = 2,
} qtb_sex;

/** What an IIN's first seven digits say. */
typedef struct qtb_iin_info {
    int year, month, day; /**< birth date; 0 when the digits do not form a real date */
    qtb_sex sex;
} qtb_iin_info;

/**
 * Decode birth date and sex from an IIN (digits 1-6 YYMMDD, digit 7 century and sex).
 * @return 0; QTB_EPARSE when the format is wrong, digit 7 is not 1..6 or the date is impossible
 *         (the fields that could be decoded are still filled in).
 */
QTB_API int qtb_iin_decode(qtb_iin_info *out, const char *iin) QTB_MUST_USE;

/** What a BIN's fifth and sixth digits say. */
typedef struct qtb_bin_info {
    int year, month;         /**< registration year (2000+YY) and month */
    int entity_type;         /**< digit 5: 4 resident, 5 non-resident legal entity, 6 joint ИП */
    int unit_type;           /**< digit 6: 0 head unit, 1 branch, 2 representative office, 3 farm */
    const char *entity_name; /**< static English name of entity_type, or "unknown" */
} qtb_bin_info;

/** Decode a BIN; QTB_EPARSE when it is not 12 digits or digit 5 is not 4, 5 or 6. */
QTB_API int qtb_bin_decode(qtb_bin_info *out, const char *bin) QTB_MUST_USE;

/** True when digit 5 says BIN (4, 5 or 6); an IIN has the tens of a day (0..3) there. */
QTB_API bool qtb_idnum_is_bin(const char *s);

QTB_END_DECLS

#endif
