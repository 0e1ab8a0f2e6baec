#include "pseudolabel/batch/manifest.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/pseudolabel/batch/batch_testing.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::TempDir;
using testing::WriteText;
using testing::Contains;

// The manifest error text for `text` (empty when it parses).
std::string ManifestError(const std::string& path, const std::string& text) {
  try {
    ParseBatchManifest(text, path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

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
  EXPECT_EQ(fs::path(a.keypoints_path), (dir.path() / "data/a/pose").lexically_normal());
  EXPECT_EQ(fs::path(a.intrinsics_path), (dir.path() / "data/intr.toml").lexically_normal());
  EXPECT_TRUE(a.calibration_path.empty());
  EXPECT_DOUBLE_EQ(a.calibration.subject_height_m, 1.75);
  EXPECT_TRUE(a.calibration.subject_height_given);
  EXPECT_DOUBLE_EQ(a.gates.max_reprojection_error_px, 8.0);
  EXPECT_EQ(a.gates.min_views, QualityGates{}.min_views);
  EXPECT_TRUE(a.triangulation.smooth);
  EXPECT_EQ(a.sequence_name, "a");
  // The sequence's calib replaces the default intrinsics; its own values win.
  EXPECT_TRUE(b.intrinsics_path.empty());
  EXPECT_EQ(fs::path(b.calibration_path), (dir.path() / "data/calib.toml").lexically_normal());
  EXPECT_DOUBLE_EQ(b.calibration.subject_height_m, 1.9);
  EXPECT_EQ(b.gates.min_views, 3);
  EXPECT_TRUE(b.triangulation.smooth);
  EXPECT_EQ(ok.sequences[0].hash.size(), 16u);
  EXPECT_NE(ok.sequences[0].hash, ok.sequences[1].hash);
}

// The triangulation and calibration keys come from the stages' option tables: a manifest sets
// them under the same keys as the command line's flags, range-checked, and echoes every one of
// them in the canonical entry (so that changing one recomputes the sequence).
TEST(BatchManifest, StageOptionTablesAreManifestKeys) {
  TempDir dir;
  WriteText(dir / "data/a/pose.npz", "x");
  WriteText(dir / "data/intr.toml", "[cam_0]\n");
  const std::string manifest = dir / "data/manifest.toml";
  const std::string head = "[defaults]\nintrinsics = \"intr.toml\"\n";
  const BatchManifest ok = ParseBatchManifest(head + R"(threshold_px = 9.5
swap_repair = false
max_gap = 4
ba_bones = true
max_frames = 200

[[sequence]]
name = "a"
poses = "a/pose.npz"
smooth_accel = 7
)",
                                              manifest);
  const LabelRunOptions& a = ok.sequences[0].options;
  EXPECT_DOUBLE_EQ(a.triangulation.triangulation.ransac.reprojection_threshold_px, 9.5);
  EXPECT_FALSE(a.triangulation.triangulation.repair_swaps);
  EXPECT_TRUE(a.triangulation.triangulation.skeleton_check);
  EXPECT_EQ(a.triangulation.smoothing.max_gap_frames, 4);
  EXPECT_DOUBLE_EQ(a.triangulation.smoothing.acceleration_sigma, 7.0);
  EXPECT_TRUE(a.calibration.pipeline.self.bone_constancy_in_ba);
  EXPECT_EQ(a.calibration.pipeline.self.max_ba_frames, 200);
  const nlohmann::json& e = ok.sequences[0].entry;
  EXPECT_EQ(e["triangulation"]["threshold_px"], 9.5);
  EXPECT_EQ(e["triangulation"]["swap_repair"], false);
  EXPECT_EQ(e["calibration"]["max_frames"], 200);
  EXPECT_EQ(e["gates"]["max_reprojection_error_px"], QualityGates{}.max_reprojection_error_px);
  // min_confidence is the gates' key: the stage tables do not take it over.
  EXPECT_FALSE(e["triangulation"].contains("min_confidence"));
  // Another value of a stage option is another entry.
  const BatchManifest other = ParseBatchManifest(head + "threshold_px = 10\n[[sequence]]\nname = \"a\"\n"
                                                 "poses = \"a/pose.npz\"\nsmooth_accel = 7\n", manifest);
  EXPECT_NE(other.sequences[0].hash, ok.sequences[0].hash);
  // Ranges and types are the table's, named by key and line.
  const std::string bad = ManifestError(manifest, head + "threshold_px = 0\n[[sequence]]\nname = \"a\"\n"
                                                  "poses = \"a/pose.npz\"\n");
  EXPECT_TRUE(Contains(bad, "threshold_px")) << bad;
  EXPECT_TRUE(Contains(bad, "> 0")) << bad;
  EXPECT_TRUE(Contains(bad, ":3")) << bad;
  const std::string wrong_type = ManifestError(manifest, head + "robust = 1\n[[sequence]]\nname = \"a\"\n"
                                                         "poses = \"a/pose.npz\"\n");
  EXPECT_TRUE(Contains(wrong_type, "robust")) << wrong_type;
  EXPECT_TRUE(Contains(wrong_type, "true or false")) << wrong_type;
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


// Errors point at the line of the offending value (or of its [[sequence]] for a missing key), and
// an error in a default names [defaults], not the sequence inheriting it.
TEST(BatchManifest, ErrorsGiveTheFileAndLine) {
  TempDir dir;
  WriteText(dir / "a/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "b/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "intr.toml", "[cam_0]\n");
  const std::string path = dir / "manifest.toml";
  // Lines 1-5; a second [[sequence]] starts on line 6.
  const std::string head = "[defaults]\nintrinsics = \"intr.toml\"\n[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n";
  struct Case {
    std::string text;
    std::string where;    // InputError::where()
    std::string message;  // the whole message, or its start when `prefix_only`
    bool prefix_only = false;
  };
  const std::vector<Case> cases = {
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nsubject_heigth = 1.8\n", path + ":9",
       path + ":9: [[sequence]] 2 ('b'): unknown key 'subject_heigth' (did you mean 'subject_height'?); known keys: "
              "name, poses, calib",
       true},
      {head + "[[sequence]]\nname = \"a\"\nposes = \"b/pose\"\n", path + ":7",
       path + ":7: [[sequence]] 2 ('a') key 'name': duplicate name (also [[sequence]] 1)"},
      {head + "[[sequence]]\nname = \"b\"\n", path + ":6",
       path + ":6: [[sequence]] 2 ('b'): missing key 'poses' (the sequence's 2D keypoints)"},
      {head + "[[sequence]]\nposes = \"b/pose\"\n", path + ":6", path + ":6: [[sequence]] 2: missing key 'name'"},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"c/pose\"\n", path + ":8",
       path + ":8: [[sequence]] 2 ('b') key 'poses': 'c/pose' does not exist (looked for " +
           (dir.path() / "c/pose").string() + ")"},
      {"[defaults]\nintrinsics = \"intr.toml\"\nfps = 0\n[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n", path + ":3",
       path + ":3: [defaults] key 'fps': must be in (0, 1000], got 0"},
      {"[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n", path,
       path + ": [[sequence]] 1 ('a'): give one of calib, intrinsics or image_size (here or in [defaults])"},
      {head + "[[sequence]]\nname = \"b\"\nposes = \"b/pose\"\nimage_size = [640]\n", path + ":9",
       path + ":9: [[sequence]] 2 ('b') key 'image_size': expected [width, height] (two integers) or \"WIDTHxHEIGHT\""},
  };
  for (const Case& c : cases) {
    try {
      ParseBatchManifest(c.text, path);
      ADD_FAILURE() << "accepted:\n" << c.text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.where(), c.where) << e.what();
      const std::string message = e.what();
      if (c.prefix_only) {
        EXPECT_EQ(message.substr(0, c.message.size()), c.message);
      } else {
        EXPECT_EQ(message, c.message);
      }
    }
  }
  // A TOML syntax error gives the line and the column.
  try {
    ParseBatchManifest(head + "subject_height = = 1\n", path);
    ADD_FAILURE() << "accepted a syntax error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.where()).rfind(path + ":6:", 0), 0u) << e.where();
    EXPECT_NE(std::string(e.what()).find("TOML syntax error"), std::string::npos) << e.what();
  }
}

// The inputs of all sequences are checked in parallel; the error reported is still the first one
// in manifest order.
TEST(BatchManifest, ReportsTheFirstErrorInManifestOrder) {
  TempDir dir;
  WriteText(dir / "a/pose/cam_1/f_0_keypoints.json", "{}");
  WriteText(dir / "intr.toml", "[cam_0]\n");
  std::string text = "[defaults]\nintrinsics = \"intr.toml\"\n[[sequence]]\nname = \"a\"\nposes = \"a/pose\"\n";
  for (int i = 2; i <= 12; ++i) {
    const std::string n = std::to_string(i);
    text += "[[sequence]]\nname = \"s" + n + "\"\nposes = \"" + (i % 2 == 0 ? "missing" + n : std::string("a/pose")) + "\"\n";
  }
  for (int repeat = 0; repeat < 10; ++repeat) {
    const std::string message = ManifestError(dir / "manifest.toml", text);
    EXPECT_NE(message.find("[[sequence]] 2 ('s2') key 'poses': 'missing2' does not exist"), std::string::npos) << message;
  }
}

TEST(BatchManifest, CalibrationSourceOfASequenceReplacesTheDefaults) {
  TempDir dir;
  WriteText(dir / "a/pose.npz", "x");
  WriteText(dir / "intr.toml", "[cam_0]\n");
  const BatchManifest m = ParseBatchManifest(
      "[defaults]\nimage_size = [1920, 1080]\n"
      "[[sequence]]\nname = \"a\"\nposes = \"a/pose.npz\"\n"
      "[[sequence]]\nname = \"b\"\nposes = \"a/pose.npz\"\nimage_size = \"640x480\"\n"
      "[[sequence]]\nname = \"c\"\nposes = \"a/pose.npz\"\nintrinsics = \"intr.toml\"\n",
      dir / "manifest.toml");
  ASSERT_EQ(m.sequences.size(), 3u);
  EXPECT_EQ(m.sequences[0].options.image_width, 1920);
  EXPECT_EQ(m.sequences[0].options.image_height, 1080);
  EXPECT_EQ(m.sequences[0].entry["image_size"], nlohmann::json({1920, 1080}));
  EXPECT_EQ(m.sequences[1].options.image_width, 640);
  EXPECT_EQ(m.sequences[1].options.image_height, 480);
  const LabelRunOptions& c = m.sequences[2].options;
  EXPECT_EQ(c.image_width, LabelRunOptions{}.image_width);
  EXPECT_EQ(fs::path(c.intrinsics_path), (dir.path() / "intr.toml").lexically_normal());
  EXPECT_TRUE(m.sequences[2].entry["image_size"].is_null());
  EXPECT_EQ(m.sequences[2].entry["intrinsics"]["path"], "intr.toml");
  EXPECT_EQ(m.sequences[2].entry["poses"]["path"], "a/pose.npz");
}

}  // namespace
}  // namespace epilabel
