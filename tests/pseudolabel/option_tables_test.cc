#include "pseudolabel/option_tables.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace epilabel {
namespace {

// Every entry of a table: a unique key (also among the aliases), a doc line, a default inside its
// range, and an accessor of its own member (writing through one entry changes no other entry).
template <typename Options>
void ExpectWellFormed(const OptionTable<Options>& table) {
  std::set<std::string> names;
  const Options defaults{};
  EXPECT_NO_THROW(CheckOptionRanges(table, defaults));
  for (const auto& spec : table) {
    EXPECT_TRUE(names.insert(spec.key).second) << spec.key;
    for (const auto& alias : spec.aliases) EXPECT_TRUE(names.insert(alias).second) << alias;
    EXPECT_FALSE(spec.doc.empty()) << spec.key;
    EXPECT_EQ(FindOption(table, spec.key), &spec);
    Options changed{};
    if (auto* f = std::get_if<std::function<int&(Options&)>>(&spec.ref)) (*f)(changed) += 1;
    else if (auto* f = std::get_if<std::function<double&(Options&)>>(&spec.ref)) (*f)(changed) += 0.5;
    else if (auto* f = std::get_if<std::function<bool&(Options&)>>(&spec.ref)) (*f)(changed) = !(*f)(changed);
    for (const auto& other : table) {
      const bool same = &other == &spec;
      const bool differs = OptionNumber(other, changed) != OptionNumber(other, defaults);
      EXPECT_EQ(differs, same) << "writing " << spec.key << " and reading " << other.key;
    }
  }
}

TEST(OptionTables, EveryEntryHasItsOwnMemberAndADefaultInRange) {
  ExpectWellFormed(QualityGatesTable());
  ExpectWellFormed(TriangulateStageTable());
  ExpectWellFormed(CalibrateStageTable());
}

TEST(OptionTables, KeysReachTheStageOptions) {
  TriangulateStageOptions t;
  std::get<std::function<double&(TriangulateStageOptions&)>>(FindOption(TriangulateStageTable(), "threshold_px")->ref)(t) = 9;
  std::get<std::function<bool&(TriangulateStageOptions&)>>(FindOption(TriangulateStageTable(), "swap_repair")->ref)(t) = false;
  EXPECT_DOUBLE_EQ(t.triangulation.ransac.reprojection_threshold_px, 9.0);
  EXPECT_FALSE(t.triangulation.repair_swaps);
  CalibrateStageOptions c;
  std::get<std::function<int&(CalibrateStageOptions&)>>(FindOption(CalibrateStageTable(), "max_frames")->ref)(c) = 77;
  EXPECT_EQ(c.pipeline.self.max_ba_frames, 77);
  // The JSON echo has every key with its value.
  const nlohmann::json j = OptionsJson(TriangulateStageTable(), t);
  EXPECT_EQ(j.size(), TriangulateStageTable().size());
  EXPECT_EQ(j["threshold_px"], 9.0);
  EXPECT_EQ(j["swap_repair"], false);
}

TEST(OptionTables, RangeErrorsNameTheKeyAndSkippedKeysAreNotChecked) {
  TriangulateStageOptions t;
  t.triangulation.min_confidence = 1.5;
  try {
    CheckOptionRanges(TriangulateStageTable(), t);
    FAIL() << "a confidence of 1.5 passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "min_confidence");
  }
  EXPECT_NO_THROW(CheckOptionRanges(TriangulateStageTable(), t, {"min_confidence"}));
  t.fps = 0;
  EXPECT_THROW(CheckOptionRanges(TriangulateStageTable(), t, {"min_confidence"}), InputError);
}

}  // namespace
}  // namespace epilabel
