// Option tables: flags derived from keys, aliases, ranges with errors that name the key; and
// the safe file-name part for names taken from data.
#include "foundation/option_table.h"

#include <gtest/gtest.h>

#include "foundation/file_util.h"

namespace epilabel {
namespace {

struct Toy {
  int count = 3;
  double ratio = 0.5;
  bool on = false;
  std::string name = "x";
};

constexpr double kInf = std::numeric_limits<double>::infinity();

OptionTable<Toy> ToyTable() {
  return {
      {"count", "a count", std::function<int&(Toy&)>([](Toy& t) -> int& { return t.count; }), 2, 10, false, {}},
      {"max_ratio_rel", "a share", std::function<double&(Toy&)>([](Toy& t) -> double& { return t.ratio; }), 0, 1,
       true, {"ratio"}},
      {"on", "a switch", std::function<bool&(Toy&)>([](Toy& t) -> bool& { return t.on; }), -kInf, kInf, false, {}},
      {"name", "a name", std::function<std::string&(Toy&)>([](Toy& t) -> std::string& { return t.name; }), -kInf, kInf, false, {}},
  };
}

TEST(OptionTable, FlagsComeFromTheKeys) {
  EXPECT_EQ(FlagOfKey("max_reprojection_error_px"), "--max-reprojection-error-px");
  EXPECT_EQ(FlagOfKey("seed"), "--seed");
}

TEST(OptionTable, FindsKeysAndAliases) {
  const auto table = ToyTable();
  ASSERT_NE(FindOption(table, "max_ratio_rel"), nullptr);
  EXPECT_EQ(FindOption(table, "ratio"), FindOption(table, "max_ratio_rel"));
  EXPECT_EQ(FindOption(table, "nope"), nullptr);
}

TEST(OptionTable, AccessorsReadAndWriteTheStruct) {
  const auto table = ToyTable();
  Toy t;
  std::get<std::function<double&(Toy&)>>(FindOption(table, "ratio")->ref)(t) = 0.25;
  EXPECT_EQ(t.ratio, 0.25);
  EXPECT_EQ(OptionNumber(*FindOption(table, "count"), t), 3.0);
  EXPECT_EQ(OptionNumber(*FindOption(table, "on"), t), 0.0);
}

TEST(OptionTable, RangeErrorsNameTheKey) {
  const auto table = ToyTable();
  Toy ok;
  EXPECT_NO_THROW(CheckOptionRanges(table, ok));
  Toy low;
  low.count = 1;
  try {
    CheckOptionRanges(table, low);
    FAIL() << "count 1 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "count");
    EXPECT_NE(std::string(e.what()).find("in [2, 10], got 1"), std::string::npos) << e.what();
  }
  Toy open;
  open.ratio = 0.0;  // the lower bound is exclusive
  EXPECT_THROW(CheckOptionRanges(table, open), InputError);
  Toy nan;
  nan.ratio = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(CheckOptionRanges(table, nan), InputError);
}

TEST(SafeFileNamePart, NamesFromDataNeverBecomePaths) {
  EXPECT_EQ(SafeFileNamePart("cam_01"), "cam_01");
  for (const char* hostile : {"../../x", "/etc/passwd", "..", "a/../../b"}) {
    const std::string safe = SafeFileNamePart(hostile);
    EXPECT_EQ(safe.find('/'), std::string::npos) << hostile;
    EXPECT_NE(safe.front(), '.') << hostile;
  }
  EXPECT_EQ(SafeFileNamePart("../../x"), "___.._x");
  EXPECT_EQ(SafeFileNamePart("a/b\\c d"), "a_b_c_d");
  EXPECT_EQ(SafeFileNamePart(".hidden"), "_hidden");
  EXPECT_EQ(SafeFileNamePart(""), "_");
  EXPECT_EQ(SafeFileNamePart("v1.2"), "v1.2");
}

}  // namespace
}  // namespace epilabel
