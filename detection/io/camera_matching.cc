#include "detection/io/camera_matching.h"

#include <cctype>
#include <map>
#include <optional>
#include <sstream>

#include "foundation/error.h"

namespace epilabel {

std::optional<long long> CameraNameNumber(const std::string& name) {
  size_t end = name.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
  if (end == 0) return std::nullopt;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  // Leading zeros do not count; cap the length so that the value cannot overflow.
  while (begin + 1 < end && name[begin] == '0') ++begin;
  if (end - begin > 15) return std::nullopt;
  return std::stoll(name.substr(begin, end - begin));
}

namespace {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string List(const std::vector<std::string>& names) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << names[i];
  os << "]";
  return os.str();
}

}  // namespace

std::vector<int> MatchCameraNames(const std::vector<std::string>& folder_names,
                                  const std::vector<std::string>& calibration_names, const std::string& where) {
  const std::string both =
      "keypoint cameras " + List(folder_names) + ", calibration cameras " + List(calibration_names);

  // Lookups by exact name, by name ignoring case, and by number; -2 marks an ambiguous key.
  std::map<std::string, int> by_name, by_lower;
  std::map<long long, int> by_number;
  auto add = [](auto& map, const auto& key, int index) {
    auto [it, inserted] = map.emplace(key, index);
    if (!inserted) it->second = -2;
  };
  for (size_t i = 0; i < calibration_names.size(); ++i) {
    const int index = static_cast<int>(i);
    add(by_name, calibration_names[i], index);
    add(by_lower, Lower(calibration_names[i]), index);
    if (auto n = CameraNameNumber(calibration_names[i])) add(by_number, *n, index);
  }

  std::vector<int> match(folder_names.size(), -1);
  for (size_t f = 0; f < folder_names.size(); ++f) {
    const std::string& name = folder_names[f];
    int index = -1;
    if (auto it = by_name.find(name); it != by_name.end() && it->second >= 0) {
      index = it->second;
    } else if (auto it2 = by_lower.find(Lower(name)); it2 != by_lower.end() && it2->second >= 0) {
      index = it2->second;
    } else if (auto n = CameraNameNumber(name)) {
      auto it3 = by_number.find(*n);
      if (it3 != by_number.end() && it3->second == -2) {
        throw InputError(where, "camera '" + name + "' matches several calibration cameras by its number " +
                                    std::to_string(*n) + "; " + both);
      }
      if (it3 != by_number.end()) index = it3->second;
    }
    if (index < 0) {
      throw InputError(where, "camera '" + name +
                                  "' has no calibration entry (matched by exact name, then by the number in the "
                                  "name); " + both);
    }
    match[f] = index;
  }

  for (size_t a = 0; a < match.size(); ++a) {
    for (size_t b = a + 1; b < match.size(); ++b) {
      if (match[a] == match[b]) {
        throw InputError(where, "cameras '" + folder_names[a] + "' and '" + folder_names[b] +
                                    "' both match calibration camera '" + calibration_names[match[a]] + "'; " + both);
      }
    }
  }
  return match;
}

std::vector<int> MatchRigCameras(const std::vector<std::string>& camera_names, const Rig& calibration,
                                 const std::string& where) {
  std::vector<std::string> calibration_names;
  for (const Camera& cam : calibration) calibration_names.push_back(cam.name);
  return MatchCameraNames(camera_names, calibration_names, where);
}

std::vector<int> MatchKeypointCameras(const KeypointSequence& keypoints, const Rig& calibration,
                                      const std::string& where) {
  std::vector<std::string> names;
  for (const CameraKeypoints& cam : keypoints.cameras) names.push_back(cam.name);
  return MatchRigCameras(names, calibration, where);
}

}  // namespace epilabel
