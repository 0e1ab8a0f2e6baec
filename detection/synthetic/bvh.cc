#include "detection/synthetic/bvh.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <string_view>

#include "foundation/file_util.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

struct Token {
  std::string_view text;
  int line = 0;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Parses a whole token as a finite double.
bool ParseDouble(std::string_view s, double* value) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*value);
}

class HierarchyParser {
 public:
  HierarchyParser(std::vector<Token> tokens, std::string where) : tokens_(std::move(tokens)), where_(std::move(where)) {}

  void Parse(BvhMotion* motion) {
    Expect("HIERARCHY");
    Expect("ROOT");
    ParseJoint(motion, -1);
    if (pos_ < tokens_.size()) {
      const Token& t = tokens_[pos_];
      if (t.text == "ROOT") Fail(t.line, "a second ROOT; only one skeleton per file is supported");
      Fail(t.line, "unexpected '" + std::string(t.text) + "' after the ROOT block, expected MOTION");
    }
  }

 private:
  [[noreturn]] void Fail(int line, const std::string& what) const {
    throw InputError(where_ + ":" + std::to_string(line), what);
  }
  int LastLine() const { return tokens_.empty() ? 1 : tokens_.back().line; }
  const Token& Next(const std::string& expected) {
    if (pos_ >= tokens_.size()) Fail(LastLine(), "unexpected end of the HIERARCHY section, expected " + expected);
    return tokens_[pos_++];
  }
  void Expect(std::string_view word) {
    const Token& t = Next("'" + std::string(word) + "'");
    if (t.text != word) Fail(t.line, "expected '" + std::string(word) + "', found '" + std::string(t.text) + "'");
  }
  double Number(const std::string& what) {
    const Token& t = Next(what);
    double v = 0.0;
    if (!ParseDouble(t.text, &v)) Fail(t.line, "expected " + what + " (a finite number), found '" + std::string(t.text) + "'");
    return v;
  }
  Eigen::Vector3d Offset() {
    Expect("OFFSET");
    Eigen::Vector3d o;
    for (int i = 0; i < 3; ++i) o[i] = Number("an OFFSET value");
    return o;
  }

  void ParseJoint(BvhMotion* motion, int parent) {
    const Token& name = Next("a joint name");
    if (name.text == "{") Fail(name.line, "joint without a name");
    const int index = static_cast<int>(motion->joints.size());
    motion->joints.emplace_back();
    motion->joints[index].name = std::string(name.text);
    motion->joints[index].parent = parent;
    Expect("{");
    motion->joints[index].offset = Offset();
    // CHANNELS are optional in principle (a joint without channels is fixed).
    if (pos_ < tokens_.size() && tokens_[pos_].text == "CHANNELS") {
      ++pos_;
      const Token& count_token = Next("a channel count");
      double count = 0.0;
      if (!ParseDouble(count_token.text, &count) || count < 0 || count > 6 || count != std::floor(count)) {
        Fail(count_token.line, "expected a channel count from 0 to 6, found '" + std::string(count_token.text) + "'");
      }
      motion->joints[index].first_channel = motion->num_channels;
      for (int i = 0; i < static_cast<int>(count); ++i) {
        const Token& c = Next("a channel name");
        BvhChannel channel;
        if (c.text == "Xposition") channel = BvhChannel::kXposition;
        else if (c.text == "Yposition") channel = BvhChannel::kYposition;
        else if (c.text == "Zposition") channel = BvhChannel::kZposition;
        else if (c.text == "Xrotation") channel = BvhChannel::kXrotation;
        else if (c.text == "Yrotation") channel = BvhChannel::kYrotation;
        else if (c.text == "Zrotation") channel = BvhChannel::kZrotation;
        else Fail(c.line, "unknown channel '" + std::string(c.text) + "' (expected X/Y/Z position or rotation)");
        motion->joints[index].channels.push_back(channel);
      }
      motion->num_channels += static_cast<int>(count);
    }
    while (true) {
      const Token& t = Next("'}', JOINT or End Site");
      if (t.text == "}") return;
      if (t.text == "JOINT") {
        ParseJoint(motion, index);
      } else if (t.text == "End") {
        Expect("Site");
        Expect("{");
        if (motion->joints[index].has_end_site) Fail(t.line, "joint '" + motion->joints[index].name + "' has two End Sites");
        motion->joints[index].has_end_site = true;
        motion->joints[index].end_site = Offset();
        Expect("}");
      } else {
        Fail(t.line, "expected '}', JOINT or End Site in joint '" + motion->joints[index].name + "', found '" +
                         std::string(t.text) + "'");
      }
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::string where_;
};

// Splits [begin, end) into whitespace-separated tokens.
template <typename F>
void ForEachToken(std::string_view line, F&& f) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) f(line.substr(start, i - start));
  }
}

Eigen::Quaterniond AxisRotation(BvhChannel channel, double degrees) {
  const double radians = degrees * EIGEN_PI / 180.0;
  switch (channel) {
    case BvhChannel::kXrotation: return Eigen::Quaterniond(Eigen::AngleAxisd(radians, Eigen::Vector3d::UnitX()));
    case BvhChannel::kYrotation: return Eigen::Quaterniond(Eigen::AngleAxisd(radians, Eigen::Vector3d::UnitY()));
    case BvhChannel::kZrotation: return Eigen::Quaterniond(Eigen::AngleAxisd(radians, Eigen::Vector3d::UnitZ()));
    default: return Eigen::Quaterniond::Identity();
  }
}

}  // namespace

int BvhMotion::JointIndex(const std::string& joint_name) const {
  for (size_t i = 0; i < joints.size(); ++i) {
    if (joints[i].name == joint_name) return static_cast<int>(i);
  }
  return -1;
}

BvhMotion ParseBvh(const std::string& text, const std::string& where) {
  BvhMotion motion;
  // Lines, and the tokens of the HIERARCHY section up to MOTION.
  std::vector<Token> tokens;
  std::string_view all(text);
  size_t line_start = 0;
  int line_number = 0;
  bool found_motion = false;
  int motion_line = 0;
  while (line_start < all.size() && !found_motion) {
    size_t line_end = all.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = all.size();
    ++line_number;
    ForEachToken(all.substr(line_start, line_end - line_start), [&](std::string_view tok) {
      if (found_motion) return;
      if (tok == "MOTION") {
        found_motion = true;
        motion_line = line_number;
        return;
      }
      tokens.push_back({tok, line_number});
    });
    line_start = line_end + 1;
  }
  if (tokens.empty()) throw InputError(where, "empty file, expected a BVH HIERARCHY section");
  if (!found_motion) throw InputError(where, "no MOTION section (is this a BVH file?)");
  HierarchyParser(std::move(tokens), where).Parse(&motion);
  if (motion.num_channels == 0) throw InputError(where, "the hierarchy has no channels");

  // MOTION: "Frames: N", "Frame Time: t", then one row per frame.
  auto next_line = [&](std::string_view* line) {
    while (line_start < all.size()) {
      size_t line_end = all.find('\n', line_start);
      if (line_end == std::string_view::npos) line_end = all.size();
      *line = all.substr(line_start, line_end - line_start);
      line_start = line_end + 1;
      ++line_number;
      bool blank = true;
      for (char c : *line) blank = blank && IsSpace(c);
      if (!blank) return true;
    }
    return false;
  };
  auto fail = [&](const std::string& what) -> void { throw InputError(where + ":" + std::to_string(line_number), what); };
  std::string_view line;
  if (!next_line(&line)) throw InputError(where + ":" + std::to_string(motion_line), "MOTION without 'Frames:'");
  {
    std::vector<std::string_view> t;
    ForEachToken(line, [&](std::string_view s) { t.push_back(s); });
    if (t.size() == 1 && t[0].size() > 7 && t[0].substr(0, 7) == "Frames:") t = {t[0].substr(0, 7), t[0].substr(7)};
    double frames = -1.0;
    if (t.size() != 2 || t[0] != "Frames:" || !ParseDouble(t[1], &frames) || frames < 0 || frames != std::floor(frames) ||
        frames > 1e8) {
      fail("expected 'Frames: <count>', found '" + std::string(line) + "'");
    }
    motion.num_frames = static_cast<int>(frames);
  }
  if (!next_line(&line)) fail("expected 'Frame Time: <seconds>' after 'Frames:'");
  {
    std::vector<std::string_view> t;
    ForEachToken(line, [&](std::string_view s) { t.push_back(s); });
    if (t.size() == 2 && t[1].size() > 5 && t[1].substr(0, 5) == "Time:") t = {t[0], t[1].substr(0, 5), t[1].substr(5)};
    if (t.size() != 3 || t[0] != "Frame" || t[1] != "Time:" || !ParseDouble(t[2], &motion.frame_time)) {
      fail("expected 'Frame Time: <seconds>', found '" + std::string(line) + "'");
    }
    if (!(motion.frame_time > 0.0)) fail("the frame time must be positive");
  }
  if (motion.num_frames == 0) fail("the file has no frames ('Frames: 0')");
  motion.values.reserve(static_cast<size_t>(motion.num_frames) * motion.num_channels);
  int rows = 0;
  while (next_line(&line)) {
    if (rows == motion.num_frames) {
      fail("more frame rows than 'Frames: " + std::to_string(motion.num_frames) + "'");
    }
    int count = 0;
    ForEachToken(line, [&](std::string_view tok) {
      double v = 0.0;
      if (!ParseDouble(tok, &v)) {
        fail("frame " + std::to_string(rows) + ": '" + std::string(tok) + "' is not a finite number");
      }
      if (count < motion.num_channels) motion.values.push_back(v);
      ++count;
    });
    if (count != motion.num_channels) {
      fail("frame " + std::to_string(rows) + " has " + std::to_string(count) + " values, expected " +
           std::to_string(motion.num_channels) + " (one per channel)");
    }
    ++rows;
  }
  if (rows != motion.num_frames) {
    throw InputError(where, "'Frames: " + std::to_string(motion.num_frames) + "' but the file has " +
                                std::to_string(rows) + " frame rows (truncated?)");
  }
  return motion;
}

BvhMotion ReadBvh(const std::string& path) {
  BvhMotion motion = ParseBvh(ReadFileToString(path), path);
  motion.name = std::filesystem::path(path).stem().string();
  return motion;
}

std::vector<std::string> BvhFilesInFolder(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir, "motion folder not found");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".bvh") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError(dir, "no .bvh motion clips in this folder");
  return files;
}

BvhPose PoseAtFrame(const BvhMotion& motion, int frame) {
  if (frame < 0 || frame >= motion.num_frames) throw std::invalid_argument("PoseAtFrame: frame out of range");
  const double* row = motion.Frame(frame);
  BvhPose pose;
  pose.local_rotations.resize(motion.joints.size(), Eigen::Quaterniond::Identity());
  pose.translations.resize(motion.joints.size(), Eigen::Vector3d::Zero());
  for (size_t j = 0; j < motion.joints.size(); ++j) {
    const BvhJoint& joint = motion.joints[j];
    Eigen::Quaterniond q = Eigen::Quaterniond::Identity();
    for (size_t k = 0; k < joint.channels.size(); ++k) {
      const double v = row[joint.first_channel + k];
      switch (joint.channels[k]) {
        case BvhChannel::kXposition: pose.translations[j].x() = v; break;
        case BvhChannel::kYposition: pose.translations[j].y() = v; break;
        case BvhChannel::kZposition: pose.translations[j].z() = v; break;
        default: q = q * AxisRotation(joint.channels[k], v); break;
      }
    }
    pose.local_rotations[j] = q.normalized();
  }
  return pose;
}

BvhWorldPose ForwardKinematics(const std::vector<BvhJoint>& joints, const BvhPose& pose) {
  BvhWorldPose world;
  world.positions.resize(joints.size());
  world.orientations.resize(joints.size());
  for (size_t j = 0; j < joints.size(); ++j) {
    const int p = joints[j].parent;
    const Eigen::Vector3d local = joints[j].offset + pose.translations[j];
    if (p < 0) {
      world.positions[j] = local;
      world.orientations[j] = pose.local_rotations[j];
    } else {
      world.positions[j] = world.positions[p] + world.orientations[p] * local;
      world.orientations[j] = world.orientations[p] * pose.local_rotations[j];
    }
  }
  return world;
}

std::vector<Eigen::Vector3d> JointPositionsAtFrame(const BvhMotion& motion, int frame) {
  return ForwardKinematics(motion.joints, PoseAtFrame(motion, frame)).positions;
}

}  // namespace epilabel
