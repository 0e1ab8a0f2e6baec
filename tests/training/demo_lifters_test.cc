// The demo's lifter options (training/demo_lifters.h): what Check refuses, naming the option.
#include "training/demo_lifters.h"

#include <string>

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

DemoLifterOptions Valid() {
  DemoLifterOptions o;
  o.out_dir = "demo_out";
  return o;
}

std::string CheckError(const DemoLifterOptions& o) {
  try {
    o.Check();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(DemoLifterOptions, DefaultsWithAnOutputFolderAreValid) {
  EXPECT_EQ(CheckError(Valid()), "");
  EXPECT_TRUE(Valid().transformer);
  EXPECT_TRUE(Valid().diffusion);
}

TEST(DemoLifterOptions, TransformerEpochsAreCheckedOnlyWhenTheTransformerRuns) {
  DemoLifterOptions o = Valid();
  o.transformer_epochs = 0;
  EXPECT_NE(CheckError(o).find("transformer_epochs"), std::string::npos) << CheckError(o);
  o.transformer = false;
  EXPECT_EQ(CheckError(o), "");
}

TEST(DemoLifterOptions, EveryCountAndTheFolderAreNamed) {
  DemoLifterOptions o = Valid();
  o.epochs = 0;
  EXPECT_NE(CheckError(o).find("epochs"), std::string::npos);
  o = Valid();
  o.diffusion_epochs = 0;
  EXPECT_NE(CheckError(o).find("diffusion_epochs"), std::string::npos);
  o = Valid();
  o.hidden = 0;
  EXPECT_NE(CheckError(o).find("hidden"), std::string::npos);
  o = Valid();
  o.hypotheses = 0;
  EXPECT_NE(CheckError(o).find("hypotheses"), std::string::npos);
  o = Valid();
  o.out_dir.clear();
  EXPECT_NE(CheckError(o).find("out_dir"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
