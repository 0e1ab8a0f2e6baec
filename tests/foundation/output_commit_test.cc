#include "foundation/output_commit.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

void Touch(const fs::path& path, const std::string& text = "x") { std::ofstream(path) << text; }

// Only our names of this output, of processes that are gone, are removed.
TEST(RemoveStaleTemporaries, RemovesOnlyOurNamesOfDeadProcesses) {
  testing::TempDir dir;
  const std::string alive = std::to_string(::getppid());
  for (const std::string& name : std::vector<std::string>{"out.tmp-999999999", ".out.tmp.999999999.0", ".out.tmp-999999999.tmp.999999999.2", "out.old.999999999",
        "out.tmp-" + alive, ".out.tmp." + alive + ".1", "out.tmp-12x", "out.tmp-999999999.bak", "out2.tmp-999999999",
        "xout.tmp-999999999", "out"})
    Touch(dir.path() / name);
  fs::create_directories(dir / "out.tmp-999999998/inner");
  RemoveStaleTemporaries(dir / "out/");
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"out.tmp-" + alive, ".out.tmp." + alive + ".1", "out.tmp-12x",
                                         "out.tmp-999999999.bak", "out2.tmp-999999999", "xout.tmp-999999999", "out"}));
}

TEST(OutputCommit, NothingMovesUntilCommitAndAFailedRunLeavesNothing) {
  testing::TempDir dir;
  Touch(dir.path() / "report.json", "old");
  {
    OutputCommit commit;
    Touch(commit.StageFile(dir / "a.toml"), "new a");
    Touch(commit.StageFile(dir / "report.json", /*marker=*/true), "new report");
    EXPECT_FALSE(fs::exists(dir / "a.toml"));
    EXPECT_EQ(testing::ReadAll(dir / "report.json"), "old");
  }  // not committed: the staged files go, the old ones stay
  EXPECT_FALSE(fs::exists(dir / "a.toml"));
  EXPECT_EQ(testing::ReadAll(dir / "report.json"), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  OutputCommit commit;
  Touch(commit.StageFile(dir / "a.toml"), "new a");
  Touch(commit.StageFile(dir / "report.json", /*marker=*/true), "new report");
  commit.Commit();
  EXPECT_EQ(testing::ReadAll(dir / "a.toml"), "new a");
  EXPECT_EQ(testing::ReadAll(dir / "report.json"), "new report");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

// A new folder arrives in one rename; into an existing folder the files move one by one, other
// files there are kept.
TEST(OutputCommit, AFolderIsRenamedOrMergedIntoAnExistingOne) {
  testing::TempDir dir;
  {
    OutputCommit commit;
    const std::string stage = commit.StageFolder(dir / "out/", "report.json");
    Touch(fs::path(stage) / "points.npz", "1");
    Touch(fs::path(stage) / "report.json", "1");
    commit.Commit();
  }
  EXPECT_EQ(testing::ReadAll(dir / "out/report.json"), "1");
  Touch(dir.path() / "out/notes.txt", "mine");
  {
    OutputCommit commit;
    const std::string stage = commit.StageFolder(dir / "out", "report.json");
    Touch(fs::path(stage) / "points.npz", "2");
    Touch(fs::path(stage) / "report.json", "2");
    commit.Commit();
  }
  EXPECT_EQ(testing::ReadAll(dir / "out/points.npz"), "2");
  EXPECT_EQ(testing::ReadAll(dir / "out/report.json"), "2");
  EXPECT_EQ(testing::ReadAll(dir / "out/notes.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  // Files the kind of run owns that this run did not write go; the user's stay.
  Touch(dir.path() / "out/report.html", "an earlier run's");
  Touch(dir.path() / "out/points_track7.csv", "a track that no longer exists");
  {
    OutputCommit commit;
    const std::string stage = commit.StageFolder(dir / "out", "report.json", [](const std::string& name) {
      return name.rfind("points", 0) == 0 || name == "report.html" || name == "report.json";
    });
    Touch(fs::path(stage) / "points.npz", "3");
    Touch(fs::path(stage) / "report.json", "3");
    EXPECT_TRUE(fs::exists(dir / "out/report.html"));  // nothing moves before the commit
    commit.Commit();
  }
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir / "out")) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"points.npz", "report.json", "notes.txt"}));
  EXPECT_EQ(testing::ReadAll(dir / "out/points.npz"), "3");
  EXPECT_THROW(OutputCommit().StageFolder(dir / "out/notes.txt"), InputError);
  EXPECT_THROW(OutputCommit().StageFile(dir / "out"), InputError);
  EXPECT_THROW(OutputCommit().StageFile(dir / "new/"), InputError);
}

// A failed write names the final file, not its staging name; InputError keeps its type and
// its `where`.
TEST(OutputCommit, AFailedWriteNamesTheFinalFile) {
  testing::TempDir dir;
  OutputCommit commit;
  const std::string folder = commit.StageFolder(dir / "tri");
  const std::string file = commit.StageFile(dir / "calib.toml");
  EXPECT_EQ(commit.InFinalNames(folder + "/points3d.npz: write failed; " + file + " and " + file),
            (dir / "tri/points3d.npz: write failed; ") + (dir / "calib.toml and ") + (dir / "calib.toml"));
  try {
    commit.Write([&] { throw std::runtime_error(folder + "/points3d.npz: write failed (disk full?)"); });
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir / "tri/points3d.npz: write failed (disk full?)");
  }
  try {
    commit.Write([&] { throw InputError(file, "is also an input"); });
    ADD_FAILURE() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), dir / "calib.toml");
    EXPECT_EQ(std::string(e.what()), dir / "calib.toml: is also an input");
  }
  int calls = 0;
  commit.Write([&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace epilabel
