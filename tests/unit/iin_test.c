/* IIN/BIN check digits and field decoding, against the vectors of kz-pki.md §3.7. */
#include <qtb/iin.h>

#include "qtb_test.h"

static void test_iin__valid_first_pass(void)
{
    QTB_CHECK(qtb_idnum_check("900101300007") == QTB_IDNUM_VALID);
    QTB_CHECK(qtb_idnum_check("900101300008") == QTB_IDNUM_BAD_CHECKSUM);
}

static void test_iin__valid_second_pass(void)
{
    QTB_CHECK(qtb_idnum_check("900101300811") == QTB_IDNUM_VALID);
    QTB_CHECK(qtb_idnum_check("900101300812") == QTB_IDNUM_BAD_CHECKSUM);
}

static void test_iin__never_issued(void)
{
    for (char d = '0'; d <= '9'; d++) {
        char s[13] = "90010130080";
        s[11] = d;
        s[12] = '\0';
        QTB_CHECK(qtb_idnum_check(s) == QTB_IDNUM_NEVER_ISSUED);
        char b[13] = "15034000009";
        b[11] = d;
        b[12] = '\0';
        QTB_CHECK(qtb_idnum_check(b) == QTB_IDNUM_NEVER_ISSUED);
    }
    int c = -1;
    QTB_CHECK(qtb_idnum_check_digit(&c, "90010130080") == QTB_ENOTFOUND);
}

static void test_iin__bin_vectors(void)
{
    QTB_CHECK(qtb_idnum_check("150340000109") == QTB_IDNUM_VALID);
    QTB_CHECK(qtb_idnum_check("150340000003") == QTB_IDNUM_VALID);
    QTB_CHECK(qtb_idnum_is_bin("150340000109"));
    QTB_CHECK(!qtb_idnum_is_bin("900101300007"));
}

static void test_iin__nca_test_numbers_fail(void)
{
    int c = -1;
    QTB_CHECK(qtb_idnum_check("123456789011") == QTB_IDNUM_BAD_CHECKSUM);
    QTB_OK_CALL(qtb_idnum_check_digit(&c, "12345678901"));
    QTB_CHECK(c == 3);
    QTB_CHECK(qtb_idnum_check("123456789012") == QTB_IDNUM_BAD_CHECKSUM);
    QTB_CHECK(qtb_idnum_check("123456789021") == QTB_IDNUM_BAD_CHECKSUM);
    QTB_OK_CALL(qtb_idnum_check_digit(&c, "12345678902"));
    QTB_CHECK(c == 5);
}

static void test_iin__bad_format(void)
{
    QTB_CHECK(qtb_idnum_check("") == QTB_IDNUM_BAD_FORMAT);
    QTB_CHECK(qtb_idnum_check(NULL) == QTB_IDNUM_BAD_FORMAT);
    QTB_CHECK(qtb_idnum_check("90010130000") == QTB_IDNUM_BAD_FORMAT);
    QTB_CHECK(qtb_idnum_check("9001013000070") == QTB_IDNUM_BAD_FORMAT);
    QTB_CHECK(qtb_idnum_check("90010130000a") == QTB_IDNUM_BAD_FORMAT);
    QTB_CHECK(qtb_idnum_check("IIN900101300") == QTB_IDNUM_BAD_FORMAT);
}

static void test_iin__decode_birth_and_sex(void)
{
    qtb_iin_info info;
    QTB_OK_CALL(qtb_iin_decode(&info, "900101300007"));
    QTB_CHECK(info.year == 1990 && info.month == 1 && info.day == 1);
    QTB_CHECK(info.sex == QTB_SEX_MALE);
}

static void test_iin__decode_rejects_impossible(void)
{
    qtb_iin_info info;
    QTB_CHECK(qtb_iin_decode(&info, "050229600001") == QTB_EPARSE); /* 2005-02-29 */
    QTB_CHECK(qtb_iin_decode(&info, "040229600001") == 0);          /* 2004-02-29 */
    QTB_CHECK(info.year == 2004 && info.sex == QTB_SEX_FEMALE);
    QTB_CHECK(qtb_iin_decode(&info, "123456789011") == QTB_EPARSE); /* month 34 */
    QTB_CHECK(qtb_iin_decode(&info, "900101000007") == QTB_EPARSE); /* digit 7 = 0 */
    QTB_CHECK(qtb_iin_decode(&info, "9001013") == QTB_EPARSE);
}

static void test_iin__bin_decode(void)
{
    qtb_bin_info b;
    QTB_OK_CALL(qtb_bin_decode(&b, "150340000109"));
    QTB_CHECK(b.year == 2015 && b.month == 3 && b.entity_type == 4 && b.unit_type == 0);
    QTB_CHECK_STR(b.entity_name, "resident legal entity");
    QTB_CHECK(qtb_bin_decode(&b, "900101300007") == QTB_EPARSE);
}

int main(void)
{
    QTB_RUN(test_iin__valid_first_pass);
    QTB_RUN(test_iin__valid_second_pass);
    QTB_RUN(test_iin__never_issued);
    QTB_RUN(test_iin__bin_vectors);
    QTB_RUN(test_iin__nca_test_numbers_fail);
    QTB_RUN(test_iin__bad_format);
    QTB_RUN(test_iin__decode_birth_and_sex);
    QTB_RUN(test_iin__decode_rejects_impossible);
    QTB_RUN(test_iin__bin_decode);
    return qtb_test_done();
}
