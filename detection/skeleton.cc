#include "detection/skeleton.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

#include "foundation/error.h"

namespace epilabel {

// Defined in the build-generated skeletons_data.cc (the text of data/skeletons.toml).
extern const char* const kSkeletonsToml;

namespace {

std::vector<std::string> StringArray(const toml::table& table, const std::string& key, const std::string& skeleton) {
  std::vector<std::string> out;
  const toml::array* arr = table[key].as_array();
  if (arr == nullptr) throw std::logic_error("skeletons.toml: [" + skeleton + "] lacks '" + key + "'");
  for (const auto& v : *arr) out.push_back(v.value_or(std::string()));
  return out;
}

std::vector<std::pair<std::string, std::string>> PairArray(const toml::table& table, const std::string& key,
                                                           const std::string& skeleton) {
  std::vector<std::pair<std::string, std::string>> out;
  const toml::array* arr = table[key].as_array();
  if (arr == nullptr) throw std::logic_error("skeletons.toml: [" + skeleton + "] lacks '" + key + "'");
  for (const auto& v : *arr) {
    const toml::array* pair = v.as_array();
    if (pair == nullptr || pair->size() != 2) throw std::logic_error("skeletons.toml: bad pair in " + skeleton + "." + key);
    out.emplace_back((*pair)[0].value_or(std::string()), (*pair)[1].value_or(std::string()));
  }
  return out;
}

struct Registry {
  std::vector<std::string> order;
  std::map<std::string, Skeleton> skeletons;
};

const Registry& GetRegistry() {
  static const Registry registry = [] {
    Registry r;
    const toml::table root = toml::parse(std::string_view(kSkeletonsToml), std::string_view("skeletons.toml"));
    for (const auto& [key, node] : root) {
      const toml::table* t = node.as_table();
      if (t == nullptr) continue;
      Skeleton s;
      s.name = std::string(key.str());
      s.joint_names = StringArray(*t, "joints", s.name);
      auto index = [&](const std::string& joint) {
        const joint_t j = s.JointIndex(joint);
        if (j == kInvalidJointId) throw std::logic_error("skeletons.toml: unknown joint '" + joint + "' in " + s.name);
        return j;
      };
      for (const auto& [a, b] : PairArray(*t, "bones", s.name)) s.bones.push_back({index(a), index(b)});
      for (const auto& [a, b] : PairArray(*t, "symmetric", s.name)) s.symmetric.push_back({index(a), index(b)});
      for (const auto& name : StringArray(*t, "to_coco17", s.name)) s.to_coco17.push_back(name.empty() ? -1 : index(name));
      if (s.to_coco17.size() != 17) throw std::logic_error("skeletons.toml: to_coco17 of " + s.name + " needs 17 entries");
      for (const auto& name : StringArray(*t, "root", s.name)) s.root.push_back(index(name));
      for (const auto& name : StringArray(*t, "feet", s.name)) s.feet.push_back(index(name));
      s.foot_height = (*t)["foot_height"].value_or(0.08);
      for (const auto& name : StringArray(*t, "shoulders", s.name)) s.shoulders.push_back(index(name));
      s.height_ratio = (*t)["height_ratio"].value_or(0.779);
      auto joint_lists = [&](const char* key) {
        std::vector<std::vector<joint_t>> out;
        if (const toml::array* lists = (*t)[key].as_array()) {
          for (const auto& list : *lists) {
            std::vector<joint_t> joints;
            if (const toml::array* l = list.as_array())
              for (const auto& name : *l) joints.push_back(index(name.value_or(std::string())));
            out.push_back(joints);
          }
        }
        return out;
      };
      s.height_legs = joint_lists("height_legs");
      s.height_torso = joint_lists("height_torso");
      s.height_arms = joint_lists("height_arms");
      s.height_soles = joint_lists("height_soles");
      if (!s.height_soles.empty() && s.height_soles.size() != s.height_legs.size())
        throw std::logic_error("skeletons.toml: height_soles of " + s.name + " needs one pair per height_legs chain");
      if ((*t)["height_head"].as_array() != nullptr)
        for (const auto& name : StringArray(*t, "height_head", s.name)) s.height_head.push_back(index(name));
      s.height_ankle = (*t)["height_ankle"].value_or(0.08);
      s.height_head_top = (*t)["height_head_top"].value_or(0.13);
      if ((*t)["height_crown"].as_array() != nullptr)
        for (const auto& name : StringArray(*t, "height_crown", s.name)) s.height_crown.push_back(index(name));
      s.height_crown_top = (*t)["height_crown_top"].value_or(0.0);
      if ((*t)["calibration_joints"].as_array() != nullptr)
        for (const auto& name : StringArray(*t, "calibration_joints", s.name))
          s.calibration_joints.push_back(index(name));
      s.height_arm_ratio = (*t)["height_arm_ratio"].value_or(0.332);
      r.order.push_back(s.name);
      r.skeletons.emplace(s.name, std::move(s));
    }
    // toml++ iterates tables by key; list the common skeletons first, defaults before variants.
    const std::vector<std::string> preferred = {"coco17", "h36m17", "body25", "body25b", "halpe26", "blazepose33"};
    std::stable_sort(r.order.begin(), r.order.end(), [&](const std::string& a, const std::string& b) {
      auto rank = [&](const std::string& n) {
        auto it = std::find(preferred.begin(), preferred.end(), n);
        return static_cast<size_t>(it - preferred.begin());
      };
      return rank(a) < rank(b);
    });
    return r;
  }();
  return registry;
}

}  // namespace

joint_t Skeleton::JointIndex(const std::string& joint_name) const {
  for (size_t i = 0; i < joint_names.size(); ++i) {
    if (joint_names[i] == joint_name) return static_cast<joint_t>(i);
  }
  return kInvalidJointId;
}

std::vector<joint_t> Skeleton::FlipPermutation() const {
  std::vector<joint_t> perm(joint_names.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<joint_t>(i);
  for (const SymmetricPair& p : symmetric) {
    perm[p.left] = p.right;
    perm[p.right] = p.left;
  }
  return perm;
}

Eigen::Vector3d Skeleton::Root(const Eigen::Vector3d* joints) const {
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  for (joint_t j : root) sum += joints[j];
  return sum / static_cast<double>(root.size());
}

std::vector<std::string> SkeletonNames() { return GetRegistry().order; }

const Skeleton& GetSkeleton(const std::string& name) {
  const Registry& r = GetRegistry();
  auto it = r.skeletons.find(name);
  if (it == r.skeletons.end()) {
    std::ostringstream known;
    for (size_t i = 0; i < r.order.size(); ++i) known << (i ? ", " : "") << r.order[i];
    throw InputError("skeleton", "unknown skeleton '" + name + "' (known: " + known.str() + ")");
  }
  return it->second;
}

std::vector<std::string> SkeletonsWithJointCount(int num_joints) {
  std::vector<std::string> out;
  for (const auto& name : GetRegistry().order) {
    if (GetSkeleton(name).num_joints() == num_joints) out.push_back(name);
  }
  return out;
}

std::optional<std::string> GuessSkeleton(int num_joints, const std::vector<Eigen::Vector3d>& sample_pose,
                                         std::string* reason) {
  const std::vector<std::string> candidates = SkeletonsWithJointCount(num_joints);
  if (candidates.empty()) {
    if (reason) {
      std::ostringstream os;
      os << "no skeleton has " << num_joints << " joints (known: ";
      bool first = true;
      for (const auto& name : SkeletonNames()) {
        os << (first ? "" : ", ") << name << " " << GetSkeleton(name).num_joints();
        first = false;
      }
      os << ")";
      *reason = os.str();
    }
    return std::nullopt;
  }
  if (candidates.size() == 1) return candidates[0];
  if (num_joints == 25 && static_cast<int>(sample_pose.size()) == 25) {
    // BODY_25: joint 1 is the neck, between the shoulders (2 and 5). BODY_25B: joint 1 is the
    // left eye, next to the nose (0), and joints 5/6 are the shoulders.
    const auto& p = sample_pose;
    auto seen = [&](int j) { return p[j].z() > 0.0; };
    if (seen(0) && seen(1) && seen(2) && seen(5)) {
      const double shoulder_span = (p[2].head<2>() - p[5].head<2>()).norm();
      const double neck_offset = (p[1].head<2>() - 0.5 * (p[2].head<2>() + p[5].head<2>())).norm();
      if (shoulder_span > 0 && neck_offset < 0.25 * shoulder_span) return std::string("body25");
      return std::string("body25b");
    }
  }
  if (reason) *reason = "several skeletons have " + std::to_string(num_joints) + " joints; chose the default";
  return candidates[0];  // registry order puts the common default first (coco17, body25)
}

std::vector<Eigen::Vector3d> ToCoco17(const Skeleton& skeleton, const std::vector<Eigen::Vector3d>& pose) {
  std::vector<Eigen::Vector3d> out(17, Eigen::Vector3d::Zero());
  for (int k = 0; k < 17; ++k) {
    const joint_t j = skeleton.to_coco17[k];
    if (j >= 0 && j < static_cast<joint_t>(pose.size())) out[k] = pose[j];
  }
  return out;
}

std::vector<Eigen::Vector3d> FromCoco17(const Skeleton& skeleton, const std::vector<Eigen::Vector3d>& coco) {
  if (coco.size() != 17)
    throw std::invalid_argument("FromCoco17 expects 17 joints, got " + std::to_string(coco.size()));
  std::vector<Eigen::Vector3d> out(skeleton.num_joints(), Eigen::Vector3d::Zero());
  for (int k = 0; k < 17; ++k) {
    const joint_t j = skeleton.to_coco17[k];
    if (j >= 0) out[j] = coco[k];
  }
  return out;
}

}  // namespace epilabel
