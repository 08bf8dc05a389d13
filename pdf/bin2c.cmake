# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P bin2c.cmake
# Writes `const unsigned char NAME[]` (with a trailing NUL) and `const size_t NAME_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
file(WRITE "${OUT}" "/* generated from ${IN} by pdf/bin2c.cmake: do not edit */\n#include <stddef.h>\n"
     "const unsigned char ${NAME}[] = {\n${body}0x00};\n"
     "const size_t ${NAME}_len = ${len};\n")
