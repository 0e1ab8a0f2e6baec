#include "pseudolabel/batch.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
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
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::TempDir;

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return testing::SourceDir() + "/data";
}

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
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

// The manifest error text for `text` (empty when it parses).
std::string ManifestError(const std::string& path, const std::string& text) {
  try {
    ParseBatchManifest(text, path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
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

TEST(BatchManifest, AppliesDefaultsOverridesAndRelativePaths) {
  TempDir dir;
  WriteText(dir / "data/a/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "data/b/pose.npz", "x");
  WriteText(dir / "data/intr.toml", "[cam_0]\n");
  WriteText(dir / "data/calib.toml", "[cam_0]\n");
  const std::string manifest = dir / "data/manifest.toml";
  const BatchManifest ok = ParseBatchManifest(R"(
[defaults]
intrinsics = "intr.toml"
subject_height = 1.75
max_error_px = 8
smooth = true

[[sequence]]
name = "a"
poses = "a/pose"

[[sequence]]
name = "b-2"
poses = "b/pose.npz"
calib = "calib.toml"
subject_height = 1.9
min_views = 3
)",
                                              manifest);
  ASSERT_EQ(ok.sequences.size(), 2u);
  const LabelRunOptions& a = ok.sequences[0].options;
  const LabelRunOptions& b = ok.sequences[1].options;
  EXPECT_EQ(ok.sequences[0].name, "a");
  EXPECT_EQ(ok.sequences[1].index, 1);
  EXPECT_EQ(fs::path(a.poses_path), (dir.path() / "data/a/pose").lexically_normal());
  EXPECT_EQ(fs::path(a.intrinsics_path), (dir.path() / "data/intr.toml").lexically_normal());
  EXPECT_TRUE(a.calibration_path.empty());
  EXPECT_DOUBLE_EQ(a.subject_height_m, 1.75);
  EXPECT_TRUE(a.subject_height_given);
  EXPECT_DOUBLE_EQ(a.gates.max_reprojection_error_px, 8.0);
  EXPECT_EQ(a.gates.min_views, QualityGates{}.min_views);
  EXPECT_TRUE(a.smooth);
  EXPECT_EQ(a.sequence_name, "a");
  // The sequence's calib replaces the default intrinsics; its own values win.
  EXPECT_TRUE(b.intrinsics_path.empty());
  EXPECT_EQ(fs::path(b.calibration_path), (dir.path() / "data/calib.toml").lexically_normal());
  EXPECT_DOUBLE_EQ(b.subject_height_m, 1.9);
  EXPECT_EQ(b.gates.min_views, 3);
  EXPECT_TRUE(b.smooth);
  EXPECT_EQ(ok.sequences[0].hash.size(), 16u);
  EXPECT_NE(ok.sequences[0].hash, ok.sequences[1].hash);
}

TEST(BatchManifest, ErrorsNameTheManifestTheEntryAndTheKey) {
  TempDir dir;
  WriteText(dir / "a/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "b/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "intr.toml", "[cam_0]\n");
  WriteText(dir / "calib.toml", "[cam_0]\n");
  const std::string path = dir / "manifest.toml";
  const std::string head = "[defaults]\nintrinsics = \"intr.toml\"\n[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n";
  ASSERT_EQ(ManifestError(path, head), "");

  struct Case {
    std::string text;
    std::vector<std::string> expected;  // substrings of the message
  };
  const std::vector<Case> cases = {
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nsubject_heigth = 1.8\n",
       {path + ":", "[[sequence]] 2 ('b')", "unknown key 'subject_heigth'", "did you mean 'subject_height'"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nsubject_height = \"tall\"\n",
       {path + ":9", "[[sequence]] 2 ('b')", "key 'subject_height'", "expected a number, found a string"}},
      {head + "[[sequence]]\nname = \"a\"\nposes = \"b/pose\"\n",
       {"[[sequence]] 2 ('a')", "duplicate name", "[[sequence]] 1"}},
      {head + "[[sequence]]\nname = \"b\"\n", {"[[sequence]] 2 ('b')", "missing key 'poses'"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"c/pose\"\n",
       {"[[sequence]] 2 ('b')", "key 'poses'", "'c/pose' does not exist"}},
      {head + "[[sequence]]\nposes = \"b/pose\"\n", {"[[sequence]] 2", "missing key 'name'"}},
      {head + "[[sequence]]\nname = \"b c\"\nposes = \"b/pose\"\n", {"[[sequence]] 2", "key 'name'", "letters, digits"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nmin_views = 2.5\n",
       {"[[sequence]] 2 ('b')", "key 'min_views'", "expected an integer"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nmin_valid_share = 1.5\n",
       {"[[sequence]] 2 ('b')", "key 'min_valid_share'", "[0, 1]"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nimage_size = \"1920by1080\"\n",
       {"[[sequence]] 2 ('b')", "key 'image_size'", "WIDTHxHEIGHT"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\ncalib = \"calib.toml\"\nintrinsics = \"intr.toml\"\n",
       {"[[sequence]] 2 ('b')", "only one of calib, intrinsics or image_size"}},
      {"[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n", {"[[sequence]] 1 ('a')", "give one of calib"}},
      {"[defaults]\nposes = \"a/pose\"\n[[sequence]]\nname = \"a\"\n",
       {"[defaults]", "unknown key 'poses'", "belongs in each [[sequence]]"}},
      {"[defaults]\nintrinsics = \"intr.toml\"\n", {path, "no [[sequence]] entries"}},
      {"[sequence]\nname = \"a\"\n", {path, "write each entry as [[sequence]]"}},
      {head + "subject_height = 1.8\nsubject_height = 1.9\n", {path + ":", "TOML syntax error"}},
      {"intrinsics = \"intr.toml\"\n" + head, {"unknown top-level key 'intrinsics'", "[defaults]"}},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nskeleton = \"coco18\"\n",
       {"key 'skeleton'", "unknown skeleton 'coco18'", "coco17"}},
  };
  for (const Case& c : cases) {
    const std::string message = ManifestError(path, c.text);
    ASSERT_FALSE(message.empty()) << "accepted:\n" << c.text;
    for (const std::string& e : c.expected) EXPECT_NE(message.find(e), std::string::npos) << message << "\nlacks: " << e;
  }
  // From a file: a missing manifest names the file.
  try {
    ReadBatchManifest(dir / "nope.toml");
    FAIL() << "no error for a missing manifest";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.toml"), std::string::npos);
  }
}

TEST(BatchManifest, HashFollowsTheEffectiveEntryAndTheInputs) {
  TempDir dir;
  WriteText(dir / "a/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "b/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "intr.toml", "[cam_0]\n");
  const std::string path = dir / "manifest.toml";
  auto hashes = [&](const std::string& height, const std::string& extra) {
    const BatchManifest m = ParseBatchManifest("[defaults]\nintrinsics = \"intr.toml\"\nsubject_height = " + height +
                                                   "\n[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n" + extra +
                                                   "[[sequence]]\nposes = \"b/pose\"\nname = \"b\"\nsubject_height = 1.8\n",
                                               path);
    return std::make_pair(m.sequences[0].hash, m.sequences[1].hash);
  };
  const auto base = hashes("1.7", "");
  EXPECT_EQ(hashes("1.7", ""), base);                   // stable
  EXPECT_EQ(hashes("1.70", "").first, base.first);      // the value counts, not its spelling
  const auto taller = hashes("1.75", "");
  EXPECT_NE(taller.first, base.first);                  // inherits the changed default
  EXPECT_EQ(taller.second, base.second);                // overrides it: unchanged
  EXPECT_EQ(hashes("1.7", "subject_height = 1.7\n").first, base.first);  // same effective value
  EXPECT_NE(hashes("1.7", "max_error_px = 9\n").first, base.first);
  // The inputs: a new keypoint file, a changed intrinsics file.
  WriteText(dir / "a/pose/cam_1/f_1_keypoints.json", "{}");
  const auto more = hashes("1.7", "");
  EXPECT_NE(more.first, base.first);
  EXPECT_EQ(more.second, base.second);
  WriteText(dir / "intr.toml", "[cam_0]\nname = \"x\"\n");
  const auto intr = hashes("1.7", "");
  EXPECT_NE(intr.first, more.first);
  EXPECT_NE(intr.second, more.second);
}

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

// The issue's kill test: SIGKILL a batch at random moments, rerun it, and get exactly the
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

  // Killed twice at seeded random moments (on one thread, so the run lasts longer), then rerun.
  std::mt19937 rng(20240517);
  std::uniform_real_distribution<double> moment(0.2, 1.0);
  int kills = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const pid_t pid = Spawn({"-q", "-j", "1", "batch", manifest, "--out", killed});
    ASSERT_GT(pid, 0);
    const double delay = moment(rng) * ref_seconds;
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ++kills;
      EXPECT_TRUE(WIFSIGNALED(status));
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
  const std::string mpirun = std::string("OMPI_MCA_btl=self,vader OMPI_MCA_plm_rsh_agent= ") + EPILABEL_MPIEXEC +
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
