// The catalogue of bad inputs and output paths (bad_inputs_cli_test.cc), for the commands of the
// lifters (train, eval): each ends with the documented exit code and a message naming the file,
// writes nothing that looks complete, and never touches an input.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "pseudolabel/dataset.h"
#include "tests/pseudolabel/toy_scene.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::ReadAll;

std::string Epilabel() { return testing::Exe() + " -q -j 1 "; }

// A toy dataset of two sequences and a lifter trained on it for one epoch, shared by the cases.
class BadTrainingInputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    WriteDatasetNpz(MergeDatasets({testing::ToyDataset(2, 12, 40, "seq0", 1.0), testing::ToyDataset(2, 12, 41, "seq1", 1.0)}),
                    *dir_ / "ds.npz");
    const auto r = testing::Run(Epilabel() + "train --data " + (*dir_ / "ds.npz") + " --hidden 64 --epochs 1 --out " +
                                (*dir_ / "run"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Shared(const std::string& leaf) { return *dir_ / leaf; }
  static inline testing::TempDir* dir_ = nullptr;
};

// The names in `dir` that contain ".tmp".
std::vector<std::string> Temporaries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) names.push_back(e.path().filename().string());
  return names;
}

// Every joint masked: no label to score against; exit 2 naming the dataset, not a table of nan.
TEST_F(BadTrainingInputs, EvalOnADatasetWithEveryJointMaskedIsRefused) {
  testing::TempDir dir;
  LabelDataset masked = ReadDatasetNpz(Shared("ds.npz"));
  std::fill(masked.valid.begin(), masked.valid.end(), uint8_t{0});
  WriteDatasetNpz(masked, dir / "masked.npz");
  const auto r = testing::Run(Epilabel() + "eval --run " + Shared("run") + " --data " + (dir / "masked.npz") +
                              " --json " + (dir / "scores.json"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("masked.npz: no valid 3D label"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("nan"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "scores.json"));
}

// A full disk (writes limited by RLIMIT_FSIZE, SIGXFSZ ignored): libtorch's own writer would
// abort; the command ends with exit 1 naming the file, and leaves no temporary and no file that
// makes the folder look like a run.
TEST_F(BadTrainingInputs, TrainOnAFullDiskEndsCleanly) {
  testing::TempDir dir;
  fs::create_directories(dir / "run");
  std::ofstream(dir / "run/.checkpoint.pt.tmp.999999999.0") << "a killed run's";
  std::ofstream(dir / "run/checkpoint.pt.tmp-999999999") << "a killed run's";
  const auto r = testing::Run("sh -c \"trap '' XFSZ; ulimit -f 8; exec " + Epilabel() + "train --data " +
                              Shared("ds.npz") + " --hidden 64 --epochs 1 --out " + (dir / "run") + "\"");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir / "run/"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(".tmp-"), std::string::npos) << "names a staging file: " << r.output;
  EXPECT_FALSE(fs::exists(dir / "run/checkpoint.pt"));
  EXPECT_TRUE(Temporaries(dir / "run").empty());
  // A run folder the failed run created itself is not left behind empty.
  const auto fresh = testing::Run("sh -c \"trap '' XFSZ; ulimit -f 8; exec " + Epilabel() + "train --data " +
                                  Shared("ds.npz") + " --hidden 64 --epochs 1 --out " + (dir / "fresh") + "\"");
  EXPECT_EQ(fresh.exit_code, 1) << fresh.output;
  EXPECT_NE(fresh.output.find(dir / "fresh/"), std::string::npos) << fresh.output;
  EXPECT_FALSE(fs::exists(dir / "fresh"));
}

// A damaged checkpoint: exit 2 with one line naming the file (no libtorch backtrace); the file
// is left as it was.
TEST_F(BadTrainingInputs, ACorruptCheckpointIsOneLineNamingTheFile) {
  testing::TempDir dir;
  fs::copy(Shared("run"), dir / "run");
  const std::string checkpoint = ReadAll(dir / "run/checkpoint.pt");
  std::ofstream(dir / "run/checkpoint.pt", std::ios::binary) << checkpoint.substr(0, checkpoint.size() / 2);
  const std::string damaged = ReadAll(dir / "run/checkpoint.pt");
  const auto r = testing::Run(Epilabel() + "eval --run " + (dir / "run") + " --data " + Shared("ds.npz"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir / "run/checkpoint.pt: unreadable checkpoint"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_EQ(r.output.find("frame #"), std::string::npos) << r.output;
  EXPECT_EQ(ReadAll(dir / "run/checkpoint.pt"), damaged);
}

}  // namespace
}  // namespace epilabel
