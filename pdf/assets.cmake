# Files compiled into libqoltanba (pdf/src/assets_int.h): the applicant schema and the
# questionnaire font. Included by the top-level CMakeLists.txt once qtb_objects exists.
#
# The font is a subset of Debian's DejaVuSans.ttf (fonts-dejavu-core) made with pyftsubset
# (Debian package fonttools): Latin, Latin-1, all of Cyrillic (Russian and Kazakh
# ӘҒҚҢӨҰҮҺІ), general punctuation, № and ₸. Embedding it costs ~14 KB per PDF instead of
# ~90 KB, and libharu loads it in a fraction of the time. Without pyftsubset the whole font is
# embedded (same output text, slower and bigger PDFs).
set(QTB_GEN_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${QTB_GEN_DIR})

find_file(QTB_DEJAVU_SANS DejaVuSans.ttf
          PATHS /usr/share/fonts/truetype/dejavu /usr/share/fonts/TTF NO_DEFAULT_PATH)
if(NOT QTB_DEJAVU_SANS)
  message(FATAL_ERROR "DejaVuSans.ttf not found: install the Debian package fonts-dejavu-core")
endif()
find_program(QTB_PYFTSUBSET pyftsubset)

set(QTB_FONT_UNICODES "U+0020-007E,U+00A0-00FF,U+0400-04FF,U+2010-2027,U+2116,U+20B8")
if(QTB_PYFTSUBSET)
  add_custom_command(
    OUTPUT ${QTB_GEN_DIR}/qtb_font.ttf
    COMMAND ${QTB_PYFTSUBSET} ${QTB_DEJAVU_SANS} --unicodes=${QTB_FONT_UNICODES}
            --layout-features= --drop-tables+=GSUB,GPOS,GDEF,MATH --no-hinting
            --output-file=${QTB_GEN_DIR}/qtb_font.ttf
    DEPENDS ${QTB_DEJAVU_SANS} ${CMAKE_SOURCE_DIR}/pdf/assets.cmake
    COMMENT "Subsetting DejaVuSans for the questionnaire PDF")
  set(QTB_FONT_FILE ${QTB_GEN_DIR}/qtb_font.ttf)
else()
  message(WARNING "pyftsubset (Debian package fonttools) not found: the questionnaire embeds the "
                  "whole DejaVuSans.ttf (about 6x slower and 90 KB per PDF)")
  set(QTB_FONT_FILE ${QTB_DEJAVU_SANS})
endif()

foreach(asset "font;${QTB_FONT_FILE};qtb_asset_font"
              "xsd;${CMAKE_SOURCE_DIR}/schemas/applicant.xsd;qtb_asset_applicant_xsd")
  list(GET asset 0 tag)
  list(GET asset 1 in)
  list(GET asset 2 sym)
  add_custom_command(
    OUTPUT ${QTB_GEN_DIR}/qtb_asset_${tag}.c
    COMMAND ${CMAKE_COMMAND} -DIN=${in} -DOUT=${QTB_GEN_DIR}/qtb_asset_${tag}.c -DNAME=${sym}
            -P ${CMAKE_SOURCE_DIR}/pdf/bin2c.cmake
    DEPENDS ${in} ${CMAKE_SOURCE_DIR}/pdf/bin2c.cmake
    COMMENT "Embedding ${in}")
  target_sources(qtb_objects PRIVATE ${QTB_GEN_DIR}/qtb_asset_${tag}.c)
endforeach()
