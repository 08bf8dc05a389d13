/*
 * qoltanba: files compiled into the library at build time (pdf/assets.cmake), so it works from
 * any directory: the applicant schema and the questionnaire font (a DejaVu Sans subset).
 */
#ifndef QTB_ASSETS_INT_H
#define QTB_ASSETS_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stddef.h>

/* schemas/applicant.xsd, NUL-terminated (the length excludes the NUL). */
extern const unsigned char qtb_asset_applicant_xsd[];
extern const size_t qtb_asset_applicant_xsd_len;

/* The questionnaire TrueType font: a DejaVuSans subset made by pyftsubset, or the whole font. */
extern const unsigned char qtb_asset_font[];
extern const size_t qtb_asset_font_len;

/* The highest code point in the font subset (U+2116 №; QTB_FONT_UNICODES in pdf/assets.cmake). */
#define QTB_FONT_LAST_CODEPOINT 0x2116u

#endif
