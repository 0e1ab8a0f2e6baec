#include "pseudolabel/batch/store.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "foundation/error.h"
#include "foundation/file_util.h"
#include "pseudolabel/batch/fingerprint.h"
#include "pseudolabel/dataset.h"
#include "tests/pseudolabel/batch/batch_testing.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel::batch {
namespace {

using testing::TempDir;
using testing::WriteText;

std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

BatchSequence Sequence(int index, const std::string& name, const std::string& hash) {
  BatchSequence s;
  s.index = index;
  s.name = name;
  s.hash = hash;
  s.entry = {{"name", name}};
  return s;
}

// Stages a sequence as RunLabel would (report.json and dataset.npz in the staging folder).
void Stage(const std::string& root, const std::string& name, const std::string& content) {
  const fs::path staging = BeginSequence(root, name);
  WriteText((staging / "report.json").string(), "{}");
  WriteText((staging / "dataset.npz").string(), content);
}

TEST(BatchStore, PrepareRootAcceptsOnlyNewEmptyOrBatchFolders) {
  TempDir dir;
  const std::string root = dir / "out";
  EXPECT_THROW(PrepareRoot(root, true), InputError);  // merge-only needs an existing folder
  EXPECT_FALSE(fs::exists(root));
  PrepareRoot(root, false);
  EXPECT_EQ(ReadFileToString((fs::path(root) / kRootMarkerFile).string()), std::string(kBatchFormat) + "\n");
  WriteText(dir / "out/s1/dataset.npz", "x");
  PrepareRoot(root, true);  // an earlier batch's folder
  fs::create_directories(dir / "empty");
  PrepareRoot(dir / "empty", true);
  EXPECT_TRUE(fs::exists(dir.path() / "empty" / kRootMarkerFile));
  // A foreign folder or a file: refused, naming it, and nothing written.
  WriteText(dir / "other/notes.txt", "x");
  try {
    PrepareRoot(dir / "other", false);
    ADD_FAILURE() << "accepted a foreign folder";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), dir / "other");
    EXPECT_NE(std::string(e.what()).find("not the output folder of an earlier"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Entries(dir.path() / "other"), std::set<std::string>{"notes.txt"});
  EXPECT_THROW(PrepareRoot(dir / "other/notes.txt", false), InputError);
}

// A stale staging folder, RunLabel's temporary folder and CommitDirectory's old folder of the same
// sequence go; those of other sequences (also with a name that starts alike) stay.
TEST(BatchStore, RemovesTheLeftoversOfTheSameSequenceOnly) {
  TempDir dir;
  const std::string root = dir / "out";
  PrepareRoot(root, false);
  for (const std::string f : {".a.partial/dataset.npz", ".a.partial.tmp-123/x", "a.old.77/report.json", "a/report.json",
                              ".ab.partial/x", ".ab.partial.tmp-5/x", "ab.old.1/x", ".b.partial/x", "b/x"})
    WriteText(dir / ("out/" + f), "x");
  const fs::path staging = BeginSequence(root, "a");
  EXPECT_EQ(staging, fs::path(root) / ".a.partial");
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_EQ(Entries(root), (std::set<std::string>{kRootMarkerFile, "a", ".ab.partial", ".ab.partial.tmp-5", "ab.old.1",
                                                  ".b.partial", "b"}));
  RemoveLeftovers(root, "b");
  EXPECT_EQ(Entries(root),
            (std::set<std::string>{kRootMarkerFile, "a", ".ab.partial", ".ab.partial.tmp-5", "ab.old.1", "b"}));
}

TEST(BatchStore, RemovesRootTemporariesOfTheNamedFilesOnly) {
  TempDir dir;
  const std::string root = dir / "out";
  for (const std::string f : {".batch_report.json.tmp.11.0", ".dataset.npz.tmp.11.3", ".batch_report.shard-1-of-2.json.tmp.9.0",
                              "batch_report.json", ".a.partial/x"})
    WriteText(dir / ("out/" + f), "x");
  RemoveRootTemporaries(root, {"batch_report.json", "dataset.npz"});
  EXPECT_EQ(Entries(root),
            (std::set<std::string>{".batch_report.shard-1-of-2.json.tmp.9.0", "batch_report.json", ".a.partial"}));
}

TEST(BatchStore, ACommittedSequenceIsCompleteWithItsHashOnly) {
  TempDir dir;
  const std::string root = dir / "out";
  PrepareRoot(root, false);
  const BatchSequence s = Sequence(3, "s1", "00112233aabbccdd");
  EXPECT_FALSE(CompletedResult(root, s).has_value());
  Stage(root, "s1", "first");
  BatchSequenceResult r;
  r.index = 3;
  r.name = "s1";
  r.status = BatchStatus::kOk;
  r.samples = 1234;
  r.verdict = "good";
  r.seconds = 2.5;
  CommitSequence(root, s, r);
  EXPECT_EQ(Entries(root), (std::set<std::string>{kRootMarkerFile, "s1"}));  // the staging folder became s1
  const auto marker = nlohmann::json::parse(ReadFileToString(root + "/s1/" + kMarkerFile));
  EXPECT_EQ(marker["format"], kBatchFormat);
  EXPECT_EQ(marker["hash"], s.hash);
  EXPECT_EQ(marker["entry"], s.entry);

  const auto done = CompletedResult(root, s);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->samples, 1234);
  EXPECT_EQ(done->verdict, "good");
  EXPECT_DOUBLE_EQ(done->seconds, 2.5);
  // Index and name come from the manifest (a sequence moved within the manifest).
  const auto moved = CompletedResult(root, Sequence(0, "s1", s.hash));
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->index, 0);
  // Another hash, a missing data file, an unreadable record: not complete.
  EXPECT_FALSE(CompletedResult(root, Sequence(3, "s1", "00112233aabbccde")).has_value());
  fs::rename(root + "/s1/dataset.npz", root + "/s1/dataset.npz.bak");
  EXPECT_FALSE(CompletedResult(root, s).has_value());
  fs::rename(root + "/s1/dataset.npz.bak", root + "/s1/dataset.npz");
  EXPECT_TRUE(CompletedResult(root, s).has_value());
  WriteText(root + "/s1/" + kMarkerFile, "{\"format\": ");
  EXPECT_FALSE(CompletedResult(root, s).has_value());

  // Recomputing replaces the whole folder.
  Stage(root, "s1", "second");
  WriteText(root + "/s1/stale.txt", "x");
  CommitSequence(root, s, r);
  EXPECT_EQ(ReadFileToString(root + "/s1/dataset.npz"), "second");
  EXPECT_FALSE(fs::exists(root + "/s1/stale.txt"));
  EXPECT_EQ(Entries(root), (std::set<std::string>{kRootMarkerFile, "s1"}));
  // A failed sequence leaves nothing.
  Stage(root, "s2", "x");
  AbandonSequence(root, "s2");
  EXPECT_EQ(Entries(root), (std::set<std::string>{kRootMarkerFile, "s1"}));
}

TEST(BatchStore, ReportNames) {
  EXPECT_EQ(ReportName(0, 1), "batch_report.json");
  EXPECT_EQ(ReportName(3, 10), "batch_report.shard-3-of-10.json");
}

// A dataset of `n` samples of one joint, seen by camera "c", all in sequence `name`.
LabelDataset TinyDataset(const std::string& name, int n) {
  LabelDataset d;
  d.joint_names = {"hip"};
  d.Resize(n);
  const int32_t camera = d.CameraIndex("c");
  const int32_t sequence = d.SequenceIndex(name);
  for (int i = 0; i < n; ++i) {
    d.camera[i] = camera;
    d.sequence[i] = sequence;
    d.frame[i] = i;
    d.image_size[i] = Eigen::Vector2i(640, 480);
  }
  return d;
}

TEST(BatchStore, MergedDatasetFollowsItsKey) {
  TempDir dir;
  const std::string root = dir / "out";
  PrepareRoot(root, false);
  fs::create_directories(dir / "out/x");
  fs::create_directories(dir / "out/y");
  WriteDatasetNpz(TinyDataset("x", 2), dir / "out/x/dataset.npz");
  WriteDatasetNpz(TinyDataset("y", 3), dir / "out/y/dataset.npz");
  const std::string key = MergedDatasetKey({{"x", "1111"}, {"y", "2222"}});
  EXPECT_EQ(key.rfind(std::string(kBatchFormat) + " ", 0), 0u);
  EXPECT_NE(MergedDatasetKey({{"y", "2222"}, {"x", "1111"}}), key);  // the order counts
  EXPECT_NE(MergedDatasetKey({{"x", "1111"}, {"y", "2223"}}), key);
  EXPECT_FALSE(MergedDatasetUpToDate(root, key));

  EXPECT_EQ(WriteMergedDataset(root, {"x", "y"}, key), 5);
  const LabelDataset merged = ReadDatasetNpz(dir / "out/dataset.npz");
  EXPECT_EQ(merged.sequence_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(merged.num_samples(), 5);
  EXPECT_TRUE(MergedDatasetUpToDate(root, key));
  EXPECT_FALSE(MergedDatasetUpToDate(root, MergedDatasetKey({{"x", "1111"}})));

  // A part that cannot be read: an error, and the old dataset no longer counts as up to date.
  EXPECT_ANY_THROW(WriteMergedDataset(root, {"x", "z"}, MergedDatasetKey({{"x", "1111"}, {"z", "3"}})));
  EXPECT_FALSE(MergedDatasetUpToDate(root, key));

  EXPECT_TRUE(RemoveMergedDataset(root));
  EXPECT_FALSE(fs::exists(dir / "out/dataset.npz"));
  EXPECT_FALSE(fs::exists(dir.path() / "out" / kMergedKeyFile));
  EXPECT_FALSE(RemoveMergedDataset(root));
}

}  // namespace
}  // namespace epilabel::batch
