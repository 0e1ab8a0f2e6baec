#include "detection/io/camera_matching.h"

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

std::string MatchError(const std::vector<std::string>& folders, const std::vector<std::string>& calib) {
  try {
    MatchCameraNames(folders, calib, "pose/");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MatchCameraNames, ExactNamesWinInAnyOrder) {
  EXPECT_EQ(MatchCameraNames({"c", "a", "b"}, {"a", "b", "c"}, "x"), (std::vector<int>{2, 0, 1}));
}

TEST(MatchCameraNames, Pose2SimFoldersMatchByNumber) {
  EXPECT_EQ(MatchCameraNames({"cam01_json", "cam02_json", "cam03_json", "cam04_json"},
                             {"cam_01", "cam_02", "cam_03", "cam_04"}, "x"),
            (std::vector<int>{0, 1, 2, 3}));
  // Leading zeros do not matter; the order comes from the numbers, not the positions.
  EXPECT_EQ(MatchCameraNames({"camera_3", "camera_1"}, {"cam1", "cam2", "cam03"}, "x"), (std::vector<int>{2, 0}));
}

TEST(MatchCameraNames, ExactNameBeatsNumberAndCaseIsIgnoredNext) {
  // "cam_1" matches itself exactly even though "1" also names "CAM1" by number.
  EXPECT_EQ(MatchCameraNames({"cam_1", "left"}, {"CAM1x", "cam_1", "LEFT"}, "x"), (std::vector<int>{1, 2}));
}

TEST(MatchCameraNames, UnmatchedFolderListsBothSets) {
  const std::string msg = MatchError({"cam01_json", "side"}, {"cam_01", "cam_02"});
  EXPECT_NE(msg.find("pose/"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'side'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[cam01_json, side]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[cam_01, cam_02]"), std::string::npos) << msg;
}

TEST(MatchCameraNames, TwoFoldersOnOneEntryIsAnError) {
  const std::string msg = MatchError({"cam1", "cam01_json"}, {"cam_1", "cam_2"});
  EXPECT_NE(msg.find("both match calibration camera 'cam_1'"), std::string::npos) << msg;
}

TEST(MatchCameraNames, AmbiguousNumbersAreAnError) {
  const std::string msg = MatchError({"cam01_json"}, {"cam_1", "camera1"});
  EXPECT_NE(msg.find("matches several calibration cameras"), std::string::npos) << msg;
}

TEST(MatchCameraNames, NamesWithoutNumbersOrMatchesFail) {
  EXPECT_NE(MatchError({"front"}, {"back"}).find("no calibration entry"), std::string::npos);
  EXPECT_NE(MatchError({"cam5"}, {"cam_1", "cam_2"}).find("no calibration entry"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
