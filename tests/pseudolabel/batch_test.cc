#include "pseudolabel/batch.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "foundation/file_util.h"
#include "detection/synthetic/studio.h"
#include "foundation/error.h"
#include "pseudolabel/dataset.h"
#include "tests/pseudolabel/batch/batch_testing.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::TempDir;
using testing::WriteText;

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return testing::SourceDir() + "/data";
}

// A small synthetic studio sequence (h36m4, COCO-17, known intrinsics) in DIR/<name>/.
void MakeScene(const TempDir& dir, const std::string& name, uint64_t seed, int frames) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = frames;
  o.seed = seed;
  o.data_dir = DataDir();
  WriteSyntheticScene(Synthesize(o), dir / name);
}

// The files a rerun must reproduce byte for byte.
const std::vector<std::string> kDataFiles = {"dataset.npz", "data_2d_epilabel.npz", "data_3d_epilabel.npz",
                                             "points3d.npz", "calibration.toml"};

// Removes every "timings_s" member (the only run-dependent values of report.json).
void EraseTimings(nlohmann::json* j) {
  if (j->is_object()) {
    j->erase("timings_s");
    for (auto& [key, value] : j->items()) EraseTimings(&value);
  } else if (j->is_array()) {
    for (auto& value : *j) EraseTimings(&value);
  }
}

// report.json without its timings.
nlohmann::json ReportWithoutTimings(const fs::path& path) {
  nlohmann::json j = nlohmann::json::parse(ReadFileToString(path.string()));
  EraseTimings(&j);
  return j;
}

// Every output of sequence folders `names` and the merged dataset are the same in both roots.
void ExpectSameOutputs(const fs::path& a, const fs::path& b, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    for (const std::string& f : kDataFiles) {
      ASSERT_TRUE(fs::exists(a / name / f)) << a / name / f;
      ASSERT_TRUE(fs::exists(b / name / f)) << b / name / f;
      EXPECT_EQ(ReadFileToString((a / name / f).string()), ReadFileToString((b / name / f).string()))
          << name << "/" << f << " differs";
    }
    const nlohmann::json ra = ReportWithoutTimings(a / name / "report.json");
    const nlohmann::json rb = ReportWithoutTimings(b / name / "report.json");
    EXPECT_TRUE(ra == rb) << name << "/report.json differs: " << nlohmann::json::diff(ra, rb).dump().substr(0, 2000);
  }
  ASSERT_TRUE(fs::exists(a / "dataset.npz"));
  ASSERT_TRUE(fs::exists(b / "dataset.npz"));
  EXPECT_EQ(ReadFileToString((a / "dataset.npz").string()), ReadFileToString((b / "dataset.npz").string()))
      << "merged dataset differs";
}

// Names of the entries of a folder (hidden ones included).
std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Starts `epilabel` with `args` (output discarded); returns the child's pid.
pid_t Spawn(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    std::vector<char*> argv;
    const std::string exe = testing::Exe();
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// ---------------------------------------------------------------------------------------------

TEST(Batch, SkipsFinishedSequencesAndRecomputesChangedOnes) {
  TempDir dir;
  MakeScene(dir, "s1", 1, 150);
  MakeScene(dir, "s2", 2, 150);
  const std::string manifest = dir / "manifest.toml";
  auto write_manifest = [&](const std::string& s2_height) {
    WriteText(manifest,
              "[defaults]\nintrinsics = \"s1/intrinsics.toml\"\n"
              "[[sequence]]\nname = \"s1\"\nposes = \"s1/pose\"\n"
              "[[sequence]]\nname = \"s2\"\nposes = \"s2/pose\"\ncalib = \"s2/calibration.toml\"\nsubject_height = " +
                  s2_height + "\n");
  };
  write_manifest("1.75");
  BatchOptions options;
  options.out_root = dir / "out";
  const BatchSummary first = RunBatch(ReadBatchManifest(manifest), options);
  ASSERT_EQ(first.sequences.size(), 2u);
  for (const auto& r : first.sequences) ASSERT_EQ(r.status, BatchStatus::kOk) << r.name << ": " << r.error;
  EXPECT_EQ(first.num_ok, 2);
  ASSERT_FALSE(first.merged_path.empty()) << first.merge_note;
  const fs::path out(options.out_root);
  for (const std::string name : {"s1", "s2"}) {
    ASSERT_TRUE(fs::exists(out / name / "report.json"));
    ASSERT_TRUE(fs::exists(out / name / ".epilabel_batch.json"));
  }
  const auto s1_time = fs::last_write_time(out / "s1" / "dataset.npz");
  const auto s2_time = fs::last_write_time(out / "s2" / "dataset.npz");
  const auto merged_time = fs::last_write_time(out / "dataset.npz");
  const LabelDataset merged = ReadDatasetNpz((out / "dataset.npz").string());
  EXPECT_EQ(merged.sequence_names, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(merged.num_samples(), first.sequences[0].samples + first.sequences[1].samples);

  // A second run skips both and rewrites nothing.
  const BatchSummary second = RunBatch(ReadBatchManifest(manifest), options);
  EXPECT_EQ(second.num_skipped, 2);
  EXPECT_EQ(second.num_ok, 0);
  EXPECT_EQ(second.sequences[0].samples, first.sequences[0].samples);  // from the folder's record
  EXPECT_EQ(fs::last_write_time(out / "s1" / "dataset.npz"), s1_time);
  EXPECT_EQ(fs::last_write_time(out / "s2" / "dataset.npz"), s2_time);
  EXPECT_EQ(fs::last_write_time(out / "dataset.npz"), merged_time);

  // A changed entry is recomputed, the other one is not; the merged dataset follows.
  write_manifest("1.85");
  const BatchSummary third = RunBatch(ReadBatchManifest(manifest), options);
  EXPECT_EQ(third.sequences[0].status, BatchStatus::kSkipped);
  EXPECT_EQ(third.sequences[1].status, BatchStatus::kOk) << third.sequences[1].error;
  EXPECT_EQ(fs::last_write_time(out / "s1" / "dataset.npz"), s1_time);
  EXPECT_NE(fs::last_write_time(out / "s2" / "dataset.npz"), s2_time);
  const auto marker = nlohmann::json::parse(ReadFileToString((out / "s2" / ".epilabel_batch.json").string()));
  EXPECT_DOUBLE_EQ(marker["entry"]["subject_height"].get<double>(), 1.85);  // the recomputed entry
  const LabelDataset merged3 = ReadDatasetNpz((out / "dataset.npz").string());
  EXPECT_EQ(merged3.num_samples(), third.sequences[0].samples + third.sequences[1].samples);
  const auto batch_report = nlohmann::json::parse(ReadFileToString((out / "batch_report.json").string()));
  EXPECT_EQ(batch_report["sequences"][0]["status"], "skipped");
  EXPECT_EQ(batch_report["sequences"][1]["status"], "ok");
  // --force recomputes everything, to the same bytes.
  const std::string s1_dataset = ReadFileToString((out / "s1" / "dataset.npz").string());
  options.force = true;
  const BatchSummary forced = RunBatch(ReadBatchManifest(manifest), options);
  EXPECT_EQ(forced.num_ok, 2);
  EXPECT_EQ(ReadFileToString((out / "s1" / "dataset.npz").string()), s1_dataset);
}

TEST(Batch, AFailingSequenceIsReportedAndTheOthersComplete) {
  TempDir dir;
  MakeScene(dir, "s1", 3, 150);
  // One camera only: labelling needs two.
  fs::create_directories(dir.path() / "bad/pose");
  fs::copy(dir.path() / "s1/pose/cam_01", dir.path() / "bad/pose/cam_01", fs::copy_options::recursive);
  const std::string manifest = dir / "manifest.toml";
  WriteText(manifest,
            "[defaults]\ncalib = \"s1/calibration.toml\"\n"
            "[[sequence]]\nname = \"first\"\nposes = \"s1/pose\"\n"
            "[[sequence]]\nname = \"bad\"\nposes = \"bad/pose\"\n"
            "[[sequence]]\nname = \"last\"\nposes = \"s1/pose\"\nmax_error_px = 6\n");
  BatchOptions options;
  options.out_root = dir / "out";
  const BatchSummary s = RunBatch(ReadBatchManifest(manifest), options);
  ASSERT_EQ(s.sequences.size(), 3u);
  EXPECT_EQ(s.sequences[0].status, BatchStatus::kOk) << s.sequences[0].error;
  EXPECT_EQ(s.sequences[1].status, BatchStatus::kFailed);
  EXPECT_TRUE(s.sequences[1].input_error);
  EXPECT_NE(s.sequences[1].error.find("camera"), std::string::npos) << s.sequences[1].error;
  EXPECT_EQ(s.sequences[2].status, BatchStatus::kOk) << s.sequences[2].error;
  EXPECT_FALSE(s.AllDone());
  const fs::path out(options.out_root);
  // Nothing of the failed sequence, no temporary folders; no merged dataset without it.
  EXPECT_EQ(Entries(out), (std::set<std::string>{".epilabel_batch_root", "batch_report.json", "first", "last"}));
  EXPECT_TRUE(s.merged_path.empty());
  const auto report = nlohmann::json::parse(ReadFileToString((out / "batch_report.json").string()));
  EXPECT_EQ(report["counts"]["failed"], 1);
  EXPECT_EQ(report["sequences"][1]["status"], "failed");
  EXPECT_EQ(report["sequences"][1]["error"], s.sequences[1].error);
  EXPECT_EQ(report["merged"], nullptr);
  const std::string table = s.Table();
  EXPECT_NE(table.find("FAILED bad"), std::string::npos) << table;

  // The command: a non-zero exit code and the list; --merge-partial merges the others.
  const auto cli = testing::Run(testing::Exe() + " batch " + manifest + " --out " + out.string() + " --merge-partial");
  EXPECT_EQ(cli.exit_code, 1) << cli.output;
  EXPECT_NE(cli.output.find("1 of 3 sequences failed: bad"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("skipped"), std::string::npos) << cli.output;
  const LabelDataset merged = ReadDatasetNpz((out / "dataset.npz").string());
  EXPECT_EQ(merged.sequence_names, (std::vector<std::string>{"first", "last"}));
}

TEST(Batch, ShardsThenMergeOnlyEqualOneRun) {
  TempDir dir;
  MakeScene(dir, "s1", 4, 120);
  MakeScene(dir, "s2", 5, 120);
  const std::string manifest = dir / "manifest.toml";
  WriteText(manifest,
            "[[sequence]]\nname = \"a\"\nposes = \"s1/pose\"\ncalib = \"s1/calibration.toml\"\n"
            "[[sequence]]\nname = \"b\"\nposes = \"s2/pose\"\ncalib = \"s2/calibration.toml\"\n"
            "[[sequence]]\nname = \"c\"\nposes = \"s1/keypoints2d.npz\"\ncalib = \"s1/calibration.toml\"\n");
  const std::string whole = dir / "whole", sharded = dir / "sharded";
  const std::string exe = testing::Exe() + " -q batch " + manifest + " --out ";
  ASSERT_EQ(testing::Run(exe + whole).exit_code, 0);
  const auto shard0 = testing::Run(exe + sharded + " --shard 0/2");
  ASSERT_EQ(shard0.exit_code, 0) << shard0.output;
  EXPECT_TRUE(fs::exists(fs::path(sharded) / "a"));
  EXPECT_FALSE(fs::exists(fs::path(sharded) / "b"));
  EXPECT_TRUE(fs::exists(fs::path(sharded) / "c"));
  EXPECT_TRUE(fs::exists(fs::path(sharded) / "batch_report.shard-0-of-2.json"));
  EXPECT_FALSE(fs::exists(fs::path(sharded) / "dataset.npz"));
  // Merging before every shard is done: "missing", exit code 1, no dataset.
  const auto early = testing::Run(exe + sharded + " --merge-only");
  EXPECT_EQ(early.exit_code, 1) << early.output;
  EXPECT_NE(early.output.find("MISSING b"), std::string::npos) << early.output;
  EXPECT_FALSE(fs::exists(fs::path(sharded) / "dataset.npz"));
  ASSERT_EQ(testing::Run(exe + sharded + " --shard 1/2").exit_code, 0);
  EXPECT_TRUE(fs::exists(fs::path(sharded) / "batch_report.shard-1-of-2.json"));
  const auto merged = testing::Run(exe + sharded + " --merge-only");
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  ExpectSameOutputs(whole, sharded, {"a", "b", "c"});
  const auto report = nlohmann::json::parse(ReadFileToString((fs::path(sharded) / "batch_report.json").string()));
  EXPECT_EQ(report["mode"], "merge-only");
  EXPECT_EQ(report["counts"]["skipped"], 3);
  // Bad shards are input errors.
  EXPECT_EQ(testing::Run(exe + sharded + " --shard 2/2").exit_code, 2);
  EXPECT_EQ(testing::Run(exe + sharded + " --shard x").exit_code, 2);
  // A folder that is not a batch's is refused.
  WriteText(dir / "other/file.txt", "x");
  const auto refused = testing::Run(exe + (dir / "other"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.output.find("not the output folder of an earlier"), std::string::npos) << refused.output;
}

// The kill test: SIGKILL a batch at random moments, rerun it, and get exactly the
// output of an uninterrupted run.
TEST(Batch, KilledAtRandomMomentsAndRerunEqualsAnUninterruptedRun) {
  TempDir dir;
  MakeScene(dir, "s1", 12, 200);
  MakeScene(dir, "s2", 13, 200);
  MakeScene(dir, "s3", 14, 200);
  const std::string manifest = dir / "manifest.toml";
  WriteText(manifest,
            "[defaults]\nintrinsics = \"s1/intrinsics.toml\"\nsubject_height = 1.75\n"
            "[[sequence]]\nname = \"s1\"\nposes = \"s1/pose\"\n"
            "[[sequence]]\nname = \"s2\"\nposes = \"s2/pose\"\nsmooth = true\n"
            "[[sequence]]\nname = \"s3\"\nposes = \"s3/pose\"\ncalib = \"s3/calibration.toml\"\n");
  const std::string reference = dir / "reference", killed = dir / "killed";
  // The uninterrupted run, on two threads.
  const auto t0 = std::chrono::steady_clock::now();
  const auto ref = testing::Run(testing::Exe() + " -q -j 2 batch " + manifest + " --out " + reference);
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  const double ref_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Killed (up to) twice at seeded random moments (on one thread, so the run lasts longer), then rerun.
  std::mt19937 rng(20240517);
  std::uniform_real_distribution<double> moment(0.2, 1.0);
  int kills = 0;
  for (int attempt = 0; attempt < 4 && kills < 2; ++attempt) {
    const pid_t pid = Spawn({"-q", "-j", "1", "batch", manifest, "--out", killed});
    ASSERT_GT(pid, 0);
    const double delay = moment(rng) * ref_seconds;
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      // A run already inside exit() when the signal comes ends normally: that is a finished
      // run, not a kill, and it must have succeeded.
      if (WIFSIGNALED(status)) {
        ++kills;
      } else {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
      }
    }
    // Whatever exists under its final name is complete.
    if (fs::exists(killed)) {
      for (const std::string name : {"s1", "s2", "s3"}) {
        const fs::path folder = fs::path(killed) / name;
        if (!fs::exists(folder)) continue;
        for (const std::string& f : kDataFiles) EXPECT_TRUE(fs::exists(folder / f)) << folder / f;
        EXPECT_TRUE(fs::exists(folder / "report.json"));
        EXPECT_TRUE(fs::exists(folder / ".epilabel_batch.json"));
      }
      if (fs::exists(fs::path(killed) / "dataset.npz")) {
        EXPECT_TRUE(fs::exists(fs::path(killed) / ".dataset.npz.key"));
      }
    }
  }
  std::cout << "killed the batch " << kills << " time(s) (uninterrupted run: " << ref_seconds << " s)\n";
  EXPECT_GE(kills, 1) << "no run was still going when killed";
  const auto rerun = testing::Run(testing::Exe() + " -q batch " + manifest + " --out " + killed);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  ExpectSameOutputs(reference, killed, {"s1", "s2", "s3"});
  // No leftovers of the interrupted runs.
  EXPECT_EQ(Entries(killed), Entries(reference));
  for (const std::string name : {"s1", "s2", "s3"})
    EXPECT_EQ(Entries(fs::path(killed) / name), Entries(fs::path(reference) / name)) << name;
}

#ifdef EPILABEL_MPIEXEC
TEST(Batch, MpiRunEqualsASingleProcessRun) {
  TempDir dir;
  MakeScene(dir, "s1", 21, 150);
  MakeScene(dir, "s2", 22, 150);
  const std::string manifest = dir / "manifest.toml";
  WriteText(manifest,
            "[defaults]\nintrinsics = \"s1/intrinsics.toml\"\n"
            "[[sequence]]\nname = \"s1\"\nposes = \"s1/pose\"\n"
            "[[sequence]]\nname = \"s2\"\nposes = \"s2/pose\"\n"
            "[[sequence]]\nname = \"s3\"\nposes = \"s1/pose\"\ncalib = \"s1/calibration.toml\"\n"
            "[[sequence]]\nname = \"s4\"\nposes = \"s2/keypoints2d.npz\"\ncalib = \"s2/calibration.toml\"\n");
  const std::string single = dir / "single", mpi = dir / "mpi";
  const auto one = testing::Run(testing::Exe() + " -q batch " + manifest + " --out " + single);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  // Open MPI in a container: as root, more ranks than cores, shared memory only.
  // Under the sanitizers (EPILABEL_MPI_SANITIZER_ENV): Open MPI's own leaks suppressed, its
  // plugins kept loaded and the slow unwinder used, so that those leaks have named frames.
  const std::string mpirun = std::string(EPILABEL_MPI_SANITIZER_ENV) +
                             "OMPI_MCA_btl=self,vader OMPI_MCA_plm_rsh_agent= " + EPILABEL_MPIEXEC +
                             " -np 2 --oversubscribe --allow-run-as-root ";
  const auto many = testing::Run(mpirun + testing::Exe() + " -j 1 batch " + manifest + " --out " + mpi);
  ASSERT_EQ(many.exit_code, 0) << many.output;
  // Rank 0 alone prints the summary.
  EXPECT_NE(many.output.find("on 2 MPI ranks"), std::string::npos) << many.output;
  size_t lines = 0;
  for (size_t p = many.output.find("4 sequences:"); p != std::string::npos; p = many.output.find("4 sequences:", p + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << many.output;
  ExpectSameOutputs(single, mpi, {"s1", "s2", "s3", "s4"});
  const auto report = nlohmann::json::parse(ReadFileToString((fs::path(mpi) / "batch_report.json").string()));
  EXPECT_EQ(report["processes"], 2);
  EXPECT_EQ(report["counts"]["ok"], 4);
  std::set<int> ranks;
  for (const auto& s : report["sequences"]) ranks.insert(s["rank"].get<int>());
  std::cout << "ranks that ran sequences: " << ranks.size() << "\n";
  // A second MPI run skips everything.
  const auto again = testing::Run(mpirun + testing::Exe() + " batch " + manifest + " --out " + mpi);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("4 skipped"), std::string::npos) << again.output;
}
#endif

TEST(Batch, RunsWithoutMpiWhenNotLaunchedByMpirun) {
  // A plain run never initialises MPI (see MpiLaunchDetected); the launcher variables decide.
  const char* vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
  for (const char* v : vars) ::unsetenv(v);
  EXPECT_FALSE(MpiLaunchDetected());
  EXPECT_EQ(MpiLaunchRank(), 0);
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  EXPECT_TRUE(MpiLaunchDetected());
  EXPECT_EQ(MpiLaunchRank(), 1);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("OMPI_COMM_WORLD_RANK");
}

}  // namespace
}  // namespace epilabel
