#include "pseudolabel/batch/fingerprint.h"

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/pseudolabel/batch/batch_testing.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel::batch {
namespace {

using testing::TempDir;
using testing::WriteText;

std::string RawHash(const std::string& bytes) {
  Fnv1a64 h;
  h.Add(bytes.data(), bytes.size());
  return h.Hex();
}

// The published FNV-1a 64 test vectors: resuming depends on the hash never changing.
TEST(BatchFingerprint, Fnv1a64MatchesTheReferenceValues) {
  EXPECT_EQ(RawHash(""), "cbf29ce484222325");
  EXPECT_EQ(RawHash("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(RawHash("foobar"), "85944171f73967e8");
  // Strings are separated: ("ab", "c") and ("a", "bc") differ; a string is its bytes then '\0'.
  Fnv1a64 ab_c, a_bc, a0;
  ab_c.Add(std::string_view("ab"));
  ab_c.Add(std::string_view("c"));
  a_bc.Add(std::string_view("a"));
  a_bc.Add(std::string_view("bc"));
  EXPECT_NE(ab_c.Hex(), a_bc.Hex());
  a0.Add(std::string_view("a"));
  EXPECT_EQ(a0.Hex(), RawHash(std::string("a\0", 2)));
  // An integer counts as its decimal text.
  Fnv1a64 i, s;
  i.Add(int64_t{-42});
  s.Add(std::string_view("-42"));
  EXPECT_EQ(i.Hex(), s.Hex());
}

TEST(BatchFingerprint, SmallFilesByContent) {
  TempDir dir;
  WriteText(dir / "a.toml", "[cam_0]\n");
  WriteText(dir / "b.toml", "[cam_0]\n");
  const std::string a = FileFingerprint(dir / "a.toml");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(FileFingerprint(dir / "b.toml"), a);  // same content elsewhere, written at another time
  // Same size, other content: changes even with the old modification time.
  const auto time = fs::last_write_time(dir / "a.toml");
  WriteText(dir / "a.toml", "[cam_1]\n");
  fs::last_write_time(dir / "a.toml", time);
  EXPECT_NE(FileFingerprint(dir / "a.toml"), a);
  // A missing file has a fingerprint (the manifest checks existence before).
  EXPECT_EQ(FileFingerprint(dir / "none"), FileFingerprint(dir / "none2"));
}

TEST(BatchFingerprint, PosesFolderByItsListing) {
  TempDir dir;
  const auto t0 = fs::file_time_type::clock::now() - std::chrono::hours(1);
  auto write = [&](const std::string& root, const std::string& file, const std::string& text) {
    WriteText(dir / (root + "/" + file), text);
    fs::last_write_time(dir / (root + "/" + file), t0);
  };
  for (const std::string root : {"p", "q"}) {
    write(root, "cam_1/f_0_keypoints.json", "{}");
    write(root, "cam_2/f_0_keypoints.json", "{ }");
  }
  const std::string p = PosesFingerprint(dir / "p");
  EXPECT_EQ(p.substr(0, 2), "2:");  // two files; folders do not count
  EXPECT_EQ(p.size(), 2u + 16u);
  EXPECT_EQ(PosesFingerprint(dir / "q"), p);  // relative names, sizes and times, not the folder's path

  // Each change of the listing changes it: a new file, a new size, a new time. The contents are
  // not read: the same size and time give the same fingerprint.
  write("q", "cam_1/f_1_keypoints.json", "{}");
  const std::string more = PosesFingerprint(dir / "q");
  EXPECT_EQ(more.substr(0, 2), "3:");
  fs::remove(dir / "q/cam_1/f_1_keypoints.json");
  EXPECT_EQ(PosesFingerprint(dir / "q"), p);
  write("q", "cam_2/f_0_keypoints.json", "{  }");
  EXPECT_NE(PosesFingerprint(dir / "q"), p);
  write("q", "cam_2/f_0_keypoints.json", "[ ]");
  EXPECT_EQ(PosesFingerprint(dir / "q"), p);
  fs::last_write_time(dir / "q/cam_2/f_0_keypoints.json", t0 + std::chrono::seconds(1));
  EXPECT_NE(PosesFingerprint(dir / "q"), p);
  // Renaming a file changes it.
  fs::last_write_time(dir / "q/cam_2/f_0_keypoints.json", t0);
  fs::rename(dir / "q/cam_2", dir / "q/cam_3");
  EXPECT_NE(PosesFingerprint(dir / "q"), p);

  // A poses file (keypoints2d.npz) is fingerprinted as a file.
  WriteText(dir / "k.npz", "x");
  EXPECT_EQ(PosesFingerprint(dir / "k.npz"), FileFingerprint(dir / "k.npz"));
}

}  // namespace
}  // namespace epilabel::batch
