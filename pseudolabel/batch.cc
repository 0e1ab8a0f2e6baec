#include "pseudolabel/batch.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <fmt/core.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>

#ifdef EPILABEL_HAVE_MPI
#include <mpi.h>
#endif

#include "foundation/file_util.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "pseudolabel/dataset.h"
#include "pseudolabel/report_json.h"
#include "pseudolabel/run_outputs.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

// Changing this string makes every sequence of every batch recompute (hash input).
constexpr const char* kBatchFormat = "epilabel-batch/1";
constexpr const char* kMarkerFile = ".epilabel_batch.json";
constexpr const char* kRootMarkerFile = ".epilabel_batch_root";

// ---------------------------------------------------------------------------------------------
// Hashing: FNV-1a 64 (stable across platforms and runs).

class Fnv1a64 {
 public:
  void Add(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ULL;
    }
  }
  void Add(std::string_view s) {
    Add(s.data(), s.size());
    const char zero = '\0';
    Add(&zero, 1);  // separator, so ("ab","c") != ("a","bc")
  }
  void Add(int64_t v) { Add(std::to_string(v)); }
  std::string Hex() const { return fmt::format("{:016x}", h_); }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

int64_t MTimeNs(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

// A small file by content (a calibration), a large one by size and modification time.
std::string FileFingerprint(const fs::path& p) {
  Fnv1a64 h;
  std::error_code ec;
  const uintmax_t size = fs::file_size(p, ec);
  if (!ec && size <= (16u << 20)) {
    h.Add("content");
    h.Add(ReadFileToString(p.string()));
  } else {
    h.Add("stat");
    h.Add(static_cast<int64_t>(ec ? 0 : size));
    h.Add(MTimeNs(p));
  }
  return h.Hex();
}

// Poses: a file by its fingerprint; a folder by the sorted listing of its files (relative
// path, size, modification time), without reading them.
std::string PosesFingerprint(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return FileFingerprint(p);
  std::vector<std::tuple<std::string, int64_t, int64_t>> files;
  for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    const uintmax_t size = it->file_size(e2);
    files.emplace_back(it->path().lexically_relative(p).generic_string(), static_cast<int64_t>(e2 ? 0 : size),
                       MTimeNs(it->path()));
  }
  std::sort(files.begin(), files.end());
  Fnv1a64 h;
  h.Add("listing");
  for (const auto& [name, size, mtime] : files) {
    h.Add(name);
    h.Add(size);
    h.Add(mtime);
  }
  return fmt::format("{}:{}", files.size(), h.Hex());
}

// ---------------------------------------------------------------------------------------------
// The manifest.

enum class KeyKind { kPath, kString, kNumber, kInteger, kBool, kImageSize };

struct KeySpec {
  const char* name;
  KeyKind kind;
};

// Keys of [defaults] and [[sequence]]; `name` and `poses` only in [[sequence]].
constexpr KeySpec kKeys[] = {
    {"name", KeyKind::kString},          {"poses", KeyKind::kPath},
    {"calib", KeyKind::kPath},           {"intrinsics", KeyKind::kPath},
    {"image_size", KeyKind::kImageSize}, {"skeleton", KeyKind::kString},
    {"baseline", KeyKind::kString},      {"pairs", KeyKind::kString},
    {"export_name", KeyKind::kString},   {"subject_height", KeyKind::kNumber},
    {"fps", KeyKind::kNumber},           {"smooth", KeyKind::kBool},
    {"html_report", KeyKind::kBool},     {"seed", KeyKind::kInteger},
    {"min_views", KeyKind::kInteger},    {"max_error_px", KeyKind::kNumber},
    {"max_bone_deviation", KeyKind::kNumber}, {"max_uncertainty", KeyKind::kNumber},
    {"min_valid_share", KeyKind::kNumber},    {"min_camera_joints", KeyKind::kNumber},
    {"min_confidence", KeyKind::kNumber},
};

const KeySpec* FindKey(std::string_view name) {
  for (const KeySpec& k : kKeys)
    if (name == k.name) return &k;
  return nullptr;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string KnownKeysText(bool in_sequence) {
  std::string s;
  for (const KeySpec& k : kKeys) {
    if (!in_sequence && (std::string_view(k.name) == "name" || std::string_view(k.name) == "poses")) continue;
    if (!s.empty()) s += ", ";
    s += k.name;
  }
  return s;
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "floating-point number";
    case toml::node_type::boolean: return "boolean";
    default: return "date/time";
  }
}

// A value of the manifest, with where it came from (for messages).
struct ManifestValue {
  const toml::node* node = nullptr;
  std::string origin;  // "[defaults]" or "[[sequence]] 2 ('s02')"
};

class ManifestParser {
 public:
  explicit ManifestParser(std::string path) : path_(std::move(path)) {
    base_ = fs::path(path_).parent_path();
    if (base_.empty()) base_ = ".";
  }

  [[noreturn]] void Fail(const toml::node* node, const std::string& origin, const std::string& key,
                         const std::string& what) const {
    std::string where = path_;
    if (node != nullptr && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    std::string prefix = origin;
    if (!key.empty()) prefix += (prefix.empty() ? "" : " ") + std::string("key '") + key + "'";
    throw InputError(where, prefix.empty() ? what : prefix + ": " + what);
  }

  // Checks the keys and types of one table; returns its values by key.
  std::map<std::string, ManifestValue> ReadTable(const toml::table& table, const std::string& origin,
                                                 bool in_sequence) const {
    std::map<std::string, ManifestValue> out;
    for (const auto& [key_node, value] : table) {
      const std::string key(key_node.str());
      const KeySpec* spec = FindKey(key);
      if (spec == nullptr || (!in_sequence && (key == "name" || key == "poses"))) {
        std::string hint;
        if (spec != nullptr) {
          hint = " ('" + key + "' belongs in each [[sequence]])";
        } else {
          size_t best = 3;
          for (const KeySpec& k : kKeys) {
            const size_t d = EditDistance(key, k.name);
            if (d < best) {
              best = d;
              hint = std::string(" (did you mean '") + k.name + "'?)";
            }
          }
          if (key == "gates") hint = " (write the gate keys, e.g. min_views = 3, directly in the table)";
          if (key == "calibration") hint = " (did you mean 'calib'?)";
        }
        Fail(&value, origin, "", "unknown key '" + key + "'" + hint + "; known keys: " + KnownKeysText(in_sequence));
      }
      CheckType(value, *spec, origin);
      out[key] = ManifestValue{&value, origin};
    }
    return out;
  }

  void CheckType(const toml::node& v, const KeySpec& spec, const std::string& origin) const {
    const std::string key = spec.name;
    switch (spec.kind) {
      case KeyKind::kPath:
      case KeyKind::kString:
        if (!v.is_string()) Fail(&v, origin, key, "expected a string, found a " + TypeName(v));
        if (spec.kind == KeyKind::kPath && v.as_string()->get().empty())
          Fail(&v, origin, key, "expected a path, found an empty string");
        break;
      case KeyKind::kNumber: {
        double x = 0;
        if (const auto* f = v.as_floating_point()) {
          x = f->get();
        } else if (const auto* i = v.as_integer()) {
          x = static_cast<double>(i->get());
        } else {
          Fail(&v, origin, key, "expected a number, found a " + TypeName(v));
        }
        if (!std::isfinite(x)) Fail(&v, origin, key, "expected a finite number");
        break;
      }
      case KeyKind::kInteger:
        if (!v.is_integer()) Fail(&v, origin, key, "expected an integer, found a " + TypeName(v));
        break;
      case KeyKind::kBool:
        if (!v.is_boolean()) Fail(&v, origin, key, "expected true or false, found a " + TypeName(v));
        break;
      case KeyKind::kImageSize:
        ImageSize(v, origin);
        break;
    }
  }

  std::pair<int, int> ImageSize(const toml::node& v, const std::string& origin) const {
    int w = 0, h = 0;
    if (const auto* arr = v.as_array()) {
      if (arr->size() != 2 || !(*arr)[0].is_integer() || !(*arr)[1].is_integer())
        Fail(&v, origin, "image_size", "expected [width, height] (two integers) or \"WIDTHxHEIGHT\"");
      w = static_cast<int>((*arr)[0].as_integer()->get());
      h = static_cast<int>((*arr)[1].as_integer()->get());
    } else if (const auto* s = v.as_string()) {
      const std::string& text = s->get();
      const auto x = text.find('x');
      try {
        if (x == std::string::npos) throw std::invalid_argument("no x");
        size_t used = 0;
        w = std::stoi(text.substr(0, x), &used);
        if (used != x) throw std::invalid_argument("trailing");
        h = std::stoi(text.substr(x + 1), &used);
        if (used != text.size() - x - 1) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        Fail(&v, origin, "image_size", "expected \"WIDTHxHEIGHT\" (e.g. \"1920x1080\"), found \"" + text + "\"");
      }
    } else {
      Fail(&v, origin, "image_size", "expected [width, height] or \"WIDTHxHEIGHT\", found a " + TypeName(v));
    }
    if (w <= 0 || h <= 0) Fail(&v, origin, "image_size", "width and height must be positive");
    return {w, h};
  }

  static double Number(const ManifestValue& v) {
    if (const auto* f = v.node->as_floating_point()) return f->get();
    return static_cast<double>(v.node->as_integer()->get());
  }
  static const std::string& String(const ManifestValue& v) { return v.node->as_string()->get(); }

  // Applies the effective values of one sequence; fills options and the canonical entry.
  void Apply(const std::map<std::string, ManifestValue>& values, BatchSequence* seq) const {
    LabelRunOptions& o = seq->options;
    nlohmann::json& e = seq->entry;
    e = nlohmann::json::object();
    e["format"] = kBatchFormat;
    e["name"] = seq->name;
    auto get = [&](const char* key) -> const ManifestValue* {
      const auto it = values.find(key);
      return it == values.end() ? nullptr : &it->second;
    };
    auto range = [&](const char* key, double lo, double hi, bool lo_open, const std::string& text) -> double {
      const ManifestValue* v = get(key);
      const double x = Number(*v);
      if (x < lo || x > hi || (lo_open && x == lo)) Fail(v->node, v->origin, key, "must be " + text);
      return x;
    };
    // Inputs: path as written, resolved path, fingerprint of the contents.
    auto path = [&](const char* key, std::string* resolved) {
      const ManifestValue* v = get(key);
      if (v == nullptr) {
        e[key] = nullptr;
        return;
      }
      const std::string& written = String(*v);
      fs::path p(written);
      if (p.is_relative()) p = base_ / p;
      p = p.lexically_normal();
      std::error_code ec;
      if (!fs::exists(p, ec))
        Fail(v->node, v->origin, key, "'" + written + "' does not exist (looked for " + p.string() + ")");
      *resolved = p.string();
      const std::string fp = std::string_view(key) == "poses" ? PosesFingerprint(p) : FileFingerprint(p);
      e[key] = {{"path", written}, {"fingerprint", fp}};
    };
    path("poses", &o.keypoints_path);
    path("calib", &o.calibration_path);
    path("intrinsics", &o.intrinsics_path);
    if (const ManifestValue* v = get("image_size")) {
      const auto [w, h] = ImageSize(*v->node, v->origin);
      o.image_width = w;
      o.image_height = h;
      e["image_size"] = {w, h};
    } else {
      e["image_size"] = nullptr;
    }
    const int sources = (get("calib") ? 1 : 0) + (get("intrinsics") ? 1 : 0) + (get("image_size") ? 1 : 0);
    if (sources != 1) {
      const std::string origin = "[[sequence]] " + std::to_string(seq->index + 1) + " ('" + seq->name + "')";
      Fail(nullptr, origin, "",
           sources == 0 ? "give one of calib, intrinsics or image_size (here or in [defaults])"
                        : "give only one of calib, intrinsics or image_size");
    }
    if (const ManifestValue* v = get("skeleton")) {
      const auto names = SkeletonNames();
      if (std::find(names.begin(), names.end(), String(*v)) == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        Fail(v->node, v->origin, "skeleton", "unknown skeleton '" + String(*v) + "' (known: " + list + ")");
      }
      o.skeleton = String(*v);
    }
    if (const ManifestValue* v = get("pairs")) {
      if (!String(*v).empty() && String(*v) != "neighbours")
        Fail(v->node, v->origin, "pairs", "unknown mode '" + String(*v) + "' (expected \"neighbours\" or \"\")");
      o.pairs = String(*v);
    }
    std::string baseline;
    if (const ManifestValue* v = get("baseline")) {
      baseline = String(*v);
      try {
        o.calibration.baseline = ParseBaselineSpec(baseline);
      } catch (const InputError& err) {
        Fail(v->node, v->origin, "baseline", std::string(err.what()).substr(err.where().size() + 2));
      }
    }
    if (const ManifestValue* v = get("export_name")) {
      const std::string& n = String(*v);
      if (n.empty() || n.find('/') != std::string::npos || n.find('\\') != std::string::npos)
        Fail(v->node, v->origin, "export_name", "expected a non-empty file name part without slashes");
      o.export_name = n;
    }
    if (get("subject_height")) {
      o.calibration.subject_height_m = range("subject_height", 0.5, 2.8, false, "in [0.5, 2.8] metres");
      o.calibration.subject_height_given = true;
    }
    if (get("fps")) o.triangulation.fps = range("fps", 0.0, 1000.0, true, "in (0, 1000]");
    if (const ManifestValue* v = get("smooth")) o.triangulation.smooth = v->node->as_boolean()->get();
    if (const ManifestValue* v = get("html_report")) o.write_html_report = v->node->as_boolean()->get();
    if (const ManifestValue* v = get("seed")) {
      const int64_t s = v->node->as_integer()->get();
      if (s < 0) Fail(v->node, v->origin, "seed", "must be >= 0");
      o.seed = static_cast<uint64_t>(s);
    }
    QualityGates& g = o.gates;
    if (const ManifestValue* v = get("min_views")) {
      const int64_t n = v->node->as_integer()->get();
      if (n < 2 || n > 1000) Fail(v->node, v->origin, "min_views", "must be >= 2");
      g.min_views = static_cast<int>(n);
    }
    if (get("max_error_px")) g.max_reprojection_error_px = range("max_error_px", 0, 1e9, true, "> 0");
    if (get("max_bone_deviation")) g.max_bone_deviation_rel = range("max_bone_deviation", 0, 1e9, true, "> 0");
    if (get("max_uncertainty")) g.max_uncertainty_m = range("max_uncertainty", 0, 1e9, true, "> 0");
    if (get("min_valid_share")) g.min_valid_share = range("min_valid_share", 0, 1, false, "in [0, 1]");
    if (get("min_camera_joints")) g.min_camera_joint_share = range("min_camera_joints", 0, 1, false, "in [0, 1]");
    if (get("min_confidence")) g.min_confidence = range("min_confidence", 0, 1, false, "in [0, 1]");
    o.sequence_name = seq->name;

    // Every effective value, set or default, so that changing a program default recomputes.
    e["skeleton"] = o.skeleton;
    e["pairs"] = o.pairs;
    e["baseline"] = baseline;
    e["export_name"] = o.export_name;
    e["subject_height"] = o.calibration.subject_height_m;
    e["subject_height_given"] = o.calibration.subject_height_given;
    e["fps"] = o.triangulation.fps;
    e["smooth"] = o.triangulation.smooth;
    e["html_report"] = o.write_html_report;
    e["seed"] = o.seed;
    e["gates"] = {{"min_views", g.min_views},
                  {"max_error_px", g.max_reprojection_error_px},
                  {"max_bone_deviation", g.max_bone_deviation_rel},
                  {"max_uncertainty", g.max_uncertainty_m},
                  {"min_valid_share", g.min_valid_share},
                  {"min_camera_joints", g.min_camera_joint_share},
                  {"min_confidence", g.min_confidence}};
    Fnv1a64 h;
    h.Add(e.dump());
    seq->hash = h.Hex();
  }

  BatchManifest Parse(std::string_view text) const {
    toml::table root;
    try {
      root = toml::parse(text, path_);
    } catch (const toml::parse_error& err) {
      const auto& b = err.source().begin;
      throw InputError(path_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column),
                       std::string("TOML syntax error: ") + std::string(err.description()));
    }
    std::map<std::string, ManifestValue> defaults;
    const toml::array* sequences = nullptr;
    for (const auto& [key_node, value] : root) {
      const std::string key(key_node.str());
      if (key == "defaults") {
        const toml::table* t = value.as_table();
        if (t == nullptr) Fail(&value, "", "defaults", "expected a table [defaults], found a " + TypeName(value));
        defaults = ReadTable(*t, "[defaults]", false);
      } else if (key == "sequence") {
        sequences = value.as_array();
        if (sequences == nullptr || !sequences->is_array_of_tables())
          Fail(&value, "", "sequence", "expected an array of tables: write each entry as [[sequence]]");
      } else {
        std::string hint = FindKey(key) != nullptr ? " (put it under [defaults] or a [[sequence]])" : "";
        Fail(&value, "", "", "unknown top-level key '" + key + "'" + hint + "; expected [defaults] and [[sequence]]");
      }
    }
    if (sequences == nullptr || sequences->empty()) Fail(nullptr, "", "", "no [[sequence]] entries");

    BatchManifest manifest;
    manifest.path = path_;
    std::map<std::string, int> names;
    std::vector<std::map<std::string, ManifestValue>> merged;
    for (size_t i = 0; i < sequences->size(); ++i) {
      const toml::table& t = *(*sequences)[i].as_table();
      std::string origin = "[[sequence]] " + std::to_string(i + 1);
      const toml::node* name_node = t.get("name");
      if (name_node == nullptr) Fail(&t, origin, "", "missing key 'name'");
      if (!name_node->is_string()) Fail(name_node, origin, "name", "expected a string, found a " + TypeName(*name_node));
      const std::string name = name_node->as_string()->get();
      if (name.empty() || name.size() > 200 ||
          !std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
          }))
        Fail(name_node, origin, "name", "'" + name + "' must be 1-200 letters, digits, '_' or '-' (it names a folder)");
      origin += " ('" + name + "')";
      if (const auto [it, inserted] = names.emplace(name, static_cast<int>(i)); !inserted)
        Fail(name_node, origin, "name", "duplicate name (also [[sequence]] " + std::to_string(it->second + 1) + ")");
      std::map<std::string, ManifestValue> values = defaults;
      const std::map<std::string, ManifestValue> own = ReadTable(t, origin, true);
      // A sequence's calib / intrinsics / image_size replaces whichever of them [defaults] gives.
      if (own.count("calib") || own.count("intrinsics") || own.count("image_size"))
        for (const char* k : {"calib", "intrinsics", "image_size"}) values.erase(k);
      for (const auto& [k, v] : own) values[k] = v;
      if (values.count("poses") == 0) Fail(&t, origin, "", "missing key 'poses' (the sequence's 2D keypoints)");
      BatchSequence seq;
      seq.index = static_cast<int>(i);
      seq.name = name;
      manifest.sequences.push_back(std::move(seq));
      merged.push_back(std::move(values));
    }
    // Options, existence checks and fingerprints (file listings) in parallel; the first error
    // in manifest order is thrown.
    const size_t n = manifest.sequences.size();
    std::vector<std::exception_ptr> errors(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        try {
          Apply(merged[i], &manifest.sequences[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    });
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    return manifest;
  }

 private:
  std::string path_;
  fs::path base_;
};

// ---------------------------------------------------------------------------------------------
// Output folders.

fs::path SequenceDir(const BatchOptions& o, const std::string& name) { return fs::path(o.out_root) / name; }
fs::path StagingDir(const BatchOptions& o, const std::string& name) {
  return fs::path(o.out_root) / ("." + name + ".partial");
}

// ROOT must be absent, empty or an earlier batch's folder. Creates it and its marker.
void PrepareRoot(const BatchOptions& o, bool must_exist) {
  const fs::path root(o.out_root);
  std::error_code ec;
  if (fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) throw InputError(o.out_root, "exists and is not a folder");
    if (!fs::is_empty(root, ec) && !fs::exists(root / kRootMarkerFile, ec))
      throw InputError(o.out_root, "exists and is not the output folder of an earlier `epilabel batch`; "
                                   "choose a new folder (nothing was written)");
  } else if (must_exist) {
    throw InputError(o.out_root, "no such batch output folder");
  }
  fs::create_directories(root);
  if (!fs::exists(root / kRootMarkerFile, ec))
    WriteFileAtomic((root / kRootMarkerFile).string(), std::string(kBatchFormat) + "\n");
}

// Leftovers of an interrupted run of this sequence: the staging folder, RunLabel's temporary
// folder inside it (".<name>.partial.tmp-<pid>") and CommitDirectory's "<name>.old.<pid>".
void RemoveLeftovers(const BatchOptions& o, const std::string& name) {
  const std::string staging = "." + name + ".partial";
  const std::string old = name + ".old.";
  std::error_code ec;
  std::vector<fs::path> remove;
  for (const auto& entry : fs::directory_iterator(o.out_root, ec)) {
    const std::string f = entry.path().filename().string();
    if (f == staging || f.rfind(staging + ".tmp-", 0) == 0 || f.rfind(old, 0) == 0) remove.push_back(entry.path());
  }
  for (const auto& p : remove) fs::remove_all(p, ec);
}

// Temporary files that WriteViaTemporary left for ROOT-level outputs this process writes
// (".<file>.tmp.<pid>.<n>"); other shards' files are not touched.
void RemoveRootTemporaries(const BatchOptions& o, const std::vector<std::string>& files) {
  std::error_code ec;
  std::vector<fs::path> remove;
  for (const auto& entry : fs::directory_iterator(o.out_root, ec)) {
    const std::string f = entry.path().filename().string();
    for (const std::string& file : files)
      if (f.rfind("." + file + ".tmp.", 0) == 0) remove.push_back(entry.path());
  }
  for (const auto& p : remove) fs::remove_all(p, ec);
}

// The result recorded in a complete sequence folder whose hash matches, else nullopt.
std::optional<BatchSequenceResult> CompletedResult(const BatchOptions& o, const BatchSequence& s) {
  const fs::path dir = SequenceDir(o, s.name);
  std::error_code ec;
  if (!fs::exists(dir / "report.json", ec) || !fs::exists(dir / "dataset.npz", ec) || !fs::exists(dir / kMarkerFile, ec))
    return std::nullopt;
  try {
    const auto marker = nlohmann::json::parse(ReadFileToString((dir / kMarkerFile).string()));
    if (marker.value("format", "") != kBatchFormat || marker.value("hash", "") != s.hash) return std::nullopt;
    BatchSequenceResult r = BatchSequenceResult::FromJson(marker.at("result"));
    r.index = s.index;
    r.name = s.name;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Runs one sequence (or skips it when complete). Never throws: failures are results.
BatchSequenceResult RunOrSkip(const BatchSequence& s, const BatchOptions& o, int rank) {
  if (!o.force) {
    if (auto done = CompletedResult(o, s)) {
      done->status = BatchStatus::kSkipped;
      done->rank = rank;
      return *done;
    }
  }
  BatchSequenceResult r;
  r.index = s.index;
  r.name = s.name;
  r.rank = rank;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    RemoveLeftovers(o, s.name);
    LabelRunOptions opts = s.options;
    const fs::path staging = StagingDir(o, s.name);
    opts.out_dir = staging.string();
    opts.sequence_name = s.name;
    opts.num_threads = o.threads_per_sequence;
    opts.progress = {};
    const LabelRunResult lr = RunLabel(opts);
    r.status = BatchStatus::kOk;
    r.frames = lr.num_frames;
    r.cameras = lr.num_cameras;
    r.samples = lr.counts.samples;
    r.poses = lr.counts.poses;
    r.poses_kept = lr.counts.poses_kept;
    r.calibration_source = lr.calibration_source;
    r.verdict = lr.verdict;
    r.read_seconds = lr.report.contains("timings_s") ? lr.report["timings_s"].value("read", 0.0) : 0.0;
    r.seconds = SecondsSince(t0);
    const nlohmann::json marker = {{"format", kBatchFormat}, {"hash", s.hash}, {"entry", s.entry}, {"result", r.ToJson()}};
    WriteFileAtomic((staging / kMarkerFile).string(), marker.dump(2) + "\n");
    CommitDirectory(staging.string(), SequenceDir(o, s.name).string());
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(StagingDir(o, s.name), ec);
    r.status = BatchStatus::kFailed;
    r.error = e.what();
    r.input_error = dynamic_cast<const InputError*>(&e) != nullptr;
    r.seconds = SecondsSince(t0);
  }
  return r;
}

std::vector<int> SelectedIndices(const BatchManifest& m, const BatchOptions& o) {
  std::vector<int> out;
  for (const BatchSequence& s : m.sequences)
    if (s.index % o.shard_count == o.shard_index) out.push_back(s.index);
  return out;
}

std::string ReportName(const BatchOptions& o) {
  if (o.shard_count == 1) return "batch_report.json";
  return fmt::format("batch_report.shard-{}-of-{}.json", o.shard_index, o.shard_count);
}

// Counts, batch_report*.json and the merged dataset (the writer process only).
void Finish(const BatchManifest& manifest, const BatchOptions& o, bool merge_only, BatchSummary* summary) {
  for (const auto& r : summary->sequences) {
    switch (r.status) {
      case BatchStatus::kOk: ++summary->num_ok; break;
      case BatchStatus::kFailed: ++summary->num_failed; break;
      case BatchStatus::kSkipped: ++summary->num_skipped; break;
      case BatchStatus::kMissing: ++summary->num_missing; break;
    }
  }
  RemoveRootTemporaries(o, o.shard_count == 1 ? std::vector<std::string>{ReportName(o), "dataset.npz", ".dataset.npz.key"}
                                              : std::vector<std::string>{ReportName(o)});
  const fs::path merged = fs::path(o.out_root) / "dataset.npz";
  const bool complete = summary->num_failed == 0 && summary->num_missing == 0;
  bool write_merged = false;
  if (o.shard_count > 1) {
    summary->merge_note = "sharded run: merge with `epilabel batch --merge-only` when every shard is done";
  } else if (!o.merge) {
    summary->merge_note = "merging disabled";
  } else if (!complete && !o.merge_partial) {
    summary->merge_note = "not every sequence is done; --merge-partial merges the others";
  } else {
    write_merged = true;
  }
  if (write_merged) {
    std::vector<const BatchSequenceResult*> parts;
    for (const auto& r : summary->sequences)
      if (r.status == BatchStatus::kOk || r.status == BatchStatus::kSkipped) parts.push_back(&r);
    try {
      if (parts.empty()) throw std::runtime_error("no sequence to merge");
      // The merged dataset is a function of its parts' hashes: ROOT/.dataset.npz.key holds
      // them, written after dataset.npz (and removed before it is replaced), so an unchanged
      // batch is not merged again.
      Fnv1a64 key_hash;
      std::map<int, const BatchSequence*> by_index;
      for (const auto& s : manifest.sequences) by_index[s.index] = &s;
      for (const auto* r : parts) {
        key_hash.Add(r->name);
        key_hash.Add(by_index.at(r->index)->hash);
      }
      const std::string key = std::string(kBatchFormat) + " " + key_hash.Hex() + "\n";
      const fs::path key_path = fs::path(o.out_root) / ".dataset.npz.key";
      std::error_code ec;
      bool up_to_date = false;
      if (fs::exists(merged, ec) && fs::exists(key_path, ec)) {
        try {
          up_to_date = ReadFileToString(key_path.string()) == key;
        } catch (const std::exception&) {
        }
      }
      int64_t samples = 0;
      for (const auto* r : parts) samples += r->samples;
      if (!up_to_date) {
        fs::remove(key_path, ec);
        std::vector<LabelDataset> datasets(parts.size());
        tbb::parallel_for(size_t{0}, parts.size(), [&](size_t i) {
          datasets[i] = ReadDatasetNpz((SequenceDir(o, parts[i]->name) / "dataset.npz").string());
        });
        const LabelDataset all = MergeDatasets(datasets);
        datasets.clear();
        WriteDatasetNpz(all, merged.string());
        WriteFileAtomic(key_path.string(), key);
        samples = all.num_samples();
      }
      summary->merged_path = merged.string();
      summary->merged_samples = samples;
    } catch (const std::exception& e) {
      summary->merge_failed = true;
      summary->merge_note = std::string("merge failed: ") + e.what();
    }
  }
  if (summary->merged_path.empty() && o.shard_count == 1) {
    // An older merged dataset no longer matches the sequence folders.
    std::error_code ec;
    if (fs::exists(merged, ec) && (summary->num_ok > 0 || summary->num_failed > 0 || merge_only)) {
      fs::remove(fs::path(o.out_root) / ".dataset.npz.key", ec);
      fs::remove(merged, ec);
      summary->merge_note += "; removed the out-of-date dataset.npz";
    }
  }

  nlohmann::json report;
  report["kind"] = "batch";
  report["format"] = kBatchFormat;
  report["manifest"] = manifest.path;
  report["root"] = o.out_root;
  report["mode"] = merge_only ? "merge-only" : "run";
  report["shard"] = {{"index", o.shard_index}, {"count", o.shard_count}};
  report["processes"] = summary->num_processes;
  report["counts"] = {{"ok", summary->num_ok},
                      {"failed", summary->num_failed},
                      {"skipped", summary->num_skipped},
                      {"missing", summary->num_missing}};
  nlohmann::json seqs = nlohmann::json::array();
  std::map<int, const BatchSequence*> by_index;
  for (const auto& s : manifest.sequences) by_index[s.index] = &s;
  for (const auto& r : summary->sequences) {
    nlohmann::json j = r.ToJson();
    j["hash"] = by_index.at(r.index)->hash;
    seqs.push_back(std::move(j));
  }
  report["sequences"] = std::move(seqs);
  if (summary->merged_path.empty()) {
    report["merged"] = nullptr;
  } else {
    report["merged"] = {{"path", "dataset.npz"}, {"samples", summary->merged_samples}};
  }
  report["merge_note"] = summary->merge_note;
  report["seconds"] = summary->seconds;
  summary->report_path = (fs::path(o.out_root) / ReportName(o)).string();
  WriteJson(report, summary->report_path);
}

// The single-process run: TBB across the selected sequences (defined below).
BatchSummary RunBatchLocal(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected);

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// World size announced by the launcher (0 when unknown).
[[maybe_unused]] int LauncherWorldSize() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const std::string v = Env(var);
    if (!v.empty()) return std::atoi(v.c_str());
  }
  return 0;
}

#ifdef EPILABEL_HAVE_MPI
// ---------------------------------------------------------------------------------------------
// MPI: a dynamic queue on rank 0. Messages (MPI_COMM_WORLD):
//   worker -> 0, kTagRequest: a request for one sequence, carrying the JSON result of the
//                             sequence that slot just finished (empty for the first request);
//   0 -> worker, kTagAssign:  one int, the manifest index to run, or -1: this slot is done.
// Each rank runs `sequences_per_rank` slots; rank 0 runs its own slots from the same queue and
// polls (MPI_Iprobe, short sleeps) instead of blocking, so that dispatching costs no core.
// Only the main thread calls MPI (MPI_THREAD_FUNNELED); sequences run on std::async threads.

constexpr int kTagRequest = 17;
constexpr int kTagAssign = 18;

class MpiSession {
 public:
  MpiSession() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      owned_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiSession() {
    if (owned_) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  bool owned_ = false;
  int rank_ = 0, size_ = 1;
};

// Rank 0 broadcasts "" (go on) or an error message that every rank then throws.
void BroadcastError(std::string* message, bool input_error) {
  int len = static_cast<int>(message->size());
  int kind = input_error ? 1 : 0;
  MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Bcast(&kind, 1, MPI_INT, 0, MPI_COMM_WORLD);
  message->resize(static_cast<size_t>(len));
  if (len > 0) MPI_Bcast(message->data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (len > 0) {
    if (kind == 1) throw InputError("", *message);
    throw std::runtime_error(*message);
  }
}

using Pending = std::vector<std::pair<int, std::future<BatchSequenceResult>>>;

// Moves finished futures' results to `done`; true when any finished.
bool Harvest(Pending* running, std::vector<BatchSequenceResult>* done) {
  bool any = false;
  for (auto it = running->begin(); it != running->end();) {
    if (it->second.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) {
      done->push_back(it->second.get());
      it = running->erase(it);
      any = true;
    } else {
      ++it;
    }
  }
  return any;
}

void Nap() { std::this_thread::sleep_for(std::chrono::milliseconds(3)); }

BatchSummary RunBatchMpi(const BatchManifest& manifest, const BatchOptions& o, const std::vector<int>& selected) {
  const auto t0 = std::chrono::steady_clock::now();
  MpiSession mpi;
  const int rank = mpi.rank(), size = mpi.size();
  if (size == 1) {  // mpirun -np 1: one process, TBB across sequences as without MPI
    BatchSummary summary = RunBatchLocal(manifest, o, selected);
    return summary;
  }
  const int slots = std::max(1, o.sequences_per_rank);
  BatchSummary summary;
  summary.writer = rank == 0;
  summary.num_processes = size;
  std::map<int, const BatchSequence*> by_index;
  for (const auto& s : manifest.sequences) by_index[s.index] = &s;
  auto start = [&](int index) {
    const BatchSequence* s = by_index.at(index);
    return std::async(std::launch::async, [s, &o, rank]() {
      return tbb::this_task_arena::isolate([&] { return RunOrSkip(*s, o, rank); });
    });
  };
  {
    // Rank 0 prepares ROOT; on failure every rank throws the same error (MPI is finalised by
    // ~MpiSession), so nobody waits for a queue that never opens.
    std::string error;
    bool input_error = false;
    if (rank == 0) {
      try {
        PrepareRoot(o, false);
      } catch (const InputError& e) {
        error = e.what();
        input_error = true;
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    BroadcastError(&error, input_error);
  }

  std::vector<BatchSequenceResult> finished;
  Pending running;
  try {
    if (rank == 0) {
      size_t next = 0, done = 0;
      const int remote_slots = (size - 1) * slots;
      int stops_sent = 0;
      auto record = [&](BatchSequenceResult r) {
        finished.push_back(std::move(r));
        ++done;
        if (o.progress) o.progress("batch", done, selected.size());
      };
      while (true) {
        bool progressed = false;
        while (static_cast<int>(running.size()) < slots && next < selected.size()) {
          running.emplace_back(selected[next], start(selected[next]));
          ++next;
        }
        std::vector<BatchSequenceResult> local;
        if (Harvest(&running, &local)) {
          progressed = true;
          for (auto& r : local) record(std::move(r));
        }
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &status);
        while (flag) {
          progressed = true;
          int count = 0;
          MPI_Get_count(&status, MPI_CHAR, &count);
          std::string text(static_cast<size_t>(count), '\0');
          MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, kTagRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          if (!text.empty()) record(BatchSequenceResult::FromJson(nlohmann::json::parse(text)));
          int reply = -1;
          if (next < selected.size()) {
            reply = selected[next++];
          } else {
            ++stops_sent;
          }
          MPI_Send(&reply, 1, MPI_INT, status.MPI_SOURCE, kTagAssign, MPI_COMM_WORLD);
          MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &status);
        }
        if (stops_sent == remote_slots && running.empty() && next >= selected.size()) break;
        if (!progressed) Nap();
      }
    } else {
      int outstanding = 0, stops = 0, reply = 0;
      bool receiving = false;
      MPI_Request request = MPI_REQUEST_NULL;
      auto ask = [&](const std::string& text) {
        MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagRequest, MPI_COMM_WORLD);
        ++outstanding;
      };
      for (int s = 0; s < slots; ++s) ask("");
      while (stops < slots || !running.empty()) {
        bool progressed = false;
        if (outstanding > 0 && !receiving) {
          MPI_Irecv(&reply, 1, MPI_INT, 0, kTagAssign, MPI_COMM_WORLD, &request);
          receiving = true;
        }
        if (receiving) {
          int flag = 0;
          MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
          if (flag) {
            receiving = false;
            --outstanding;
            progressed = true;
            if (reply < 0) {
              ++stops;
            } else {
              running.emplace_back(reply, start(reply));
            }
          }
        }
        std::vector<BatchSequenceResult> local;
        if (Harvest(&running, &local)) {
          progressed = true;
          for (auto& r : local) {
            ask(r.ToJson().dump());
            finished.push_back(std::move(r));
          }
        }
        if (!progressed) Nap();
      }
    }
  } catch (const std::exception&) {
    // A broken protocol cannot be recovered: stop every rank rather than hang.
    for (auto& p : running) p.second.wait();
    MPI_Abort(MPI_COMM_WORLD, 1);
    throw;
  }

  std::sort(finished.begin(), finished.end(),
            [](const BatchSequenceResult& a, const BatchSequenceResult& b) { return a.index < b.index; });
  summary.sequences = std::move(finished);
  summary.seconds = SecondsSince(t0);
  if (rank == 0) {
    try {
      Finish(manifest, o, false, &summary);
    } catch (const std::exception&) {
      MPI_Abort(MPI_COMM_WORLD, 1);
      throw;
    }
  }
  return summary;
}
#endif  // EPILABEL_HAVE_MPI

}  // namespace

// ---------------------------------------------------------------------------------------------

BatchManifest ParseBatchManifest(std::string_view text, const std::string& path) {
  return ManifestParser(path).Parse(text);
}

BatchManifest ReadBatchManifest(const std::string& path) {
  const std::string text = ReadFileToString(path);
  return ParseBatchManifest(text, path);
}

void BatchOptions::Check() const {
  if (out_root.empty()) throw InputError("--out", "give the batch output folder");
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count)
    throw InputError("--shard", fmt::format("expected i/N with 0 <= i < N, got {}/{}", shard_index, shard_count));
  if (sequences_per_rank < 1) throw InputError("--per-rank", "must be >= 1");
  if (threads_per_sequence < 1) throw InputError("threads_per_sequence", "must be >= 1");
}

const char* BatchStatusName(BatchStatus status) {
  switch (status) {
    case BatchStatus::kOk: return "ok";
    case BatchStatus::kFailed: return "failed";
    case BatchStatus::kSkipped: return "skipped";
    case BatchStatus::kMissing: return "missing";
  }
  return "?";
}

nlohmann::json BatchSequenceResult::ToJson() const {
  return {{"index", index},
          {"name", name},
          {"status", BatchStatusName(status)},
          {"error", error},
          {"input_error", input_error},
          {"frames", frames},
          {"cameras", cameras},
          {"samples", samples},
          {"poses", poses},
          {"poses_kept", poses_kept},
          {"calibration_source", calibration_source},
          {"verdict", verdict},
          {"seconds", seconds},
          {"read_seconds", read_seconds},
          {"rank", rank}};
}

BatchSequenceResult BatchSequenceResult::FromJson(const nlohmann::json& j) {
  BatchSequenceResult r;
  r.index = j.value("index", 0);
  r.name = j.value("name", "");
  const std::string status = j.value("status", "missing");
  for (BatchStatus s : {BatchStatus::kOk, BatchStatus::kFailed, BatchStatus::kSkipped, BatchStatus::kMissing})
    if (status == BatchStatusName(s)) r.status = s;
  r.error = j.value("error", "");
  r.input_error = j.value("input_error", false);
  r.frames = j.value("frames", 0);
  r.cameras = j.value("cameras", 0);
  r.samples = j.value("samples", int64_t{0});
  r.poses = j.value("poses", int64_t{0});
  r.poses_kept = j.value("poses_kept", int64_t{0});
  r.calibration_source = j.value("calibration_source", "");
  r.verdict = j.value("verdict", "");
  r.seconds = j.value("seconds", 0.0);
  r.read_seconds = j.value("read_seconds", 0.0);
  r.rank = j.value("rank", 0);
  return r;
}

std::string BatchSummary::Table() const {
  size_t w = 8;
  for (const auto& r : sequences) w = std::max(w, r.name.size());
  std::string out = fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8}\n", "sequence", w, "status",
                                "frames", "cams", "poses kept", "samples", "verdict", "seconds");
  for (const auto& r : sequences) {
    if (r.status == BatchStatus::kOk || r.status == BatchStatus::kSkipped) {
      out += fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8.1f}\n", r.name, w,
                         BatchStatusName(r.status), r.frames, r.cameras, fmt::format("{}/{}", r.poses_kept, r.poses),
                         r.samples, r.verdict, r.seconds);
    } else {
      out += fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8}\n", r.name, w,
                         BatchStatusName(r.status), "-", "-", "-", "-", "-",
                         r.status == BatchStatus::kFailed ? fmt::format("{:.1f}", r.seconds) : "-");
    }
  }
  int64_t samples = 0;
  for (const auto& r : sequences) samples += r.samples;
  out += fmt::format("{} sequences: {} ok, {} skipped (already done), {} failed{}; {} samples; {:.1f} s", sequences.size(),
                     num_ok, num_skipped, num_failed, num_missing ? fmt::format(", {} missing", num_missing) : "",
                     samples, seconds);
  if (num_processes > 1) out += fmt::format(" on {} MPI ranks", num_processes);
  out += "\n";
  if (!merged_path.empty()) {
    out += fmt::format("merged dataset: {} ({} samples)\n", merged_path, merged_samples);
  } else if (!merge_note.empty()) {
    out += "merged dataset: none (" + merge_note + ")\n";
  }
  for (const auto& r : sequences)
    if (r.status == BatchStatus::kFailed) out += fmt::format("FAILED {}: {}\n", r.name, r.error);
  for (const auto& r : sequences)
    if (r.status == BatchStatus::kMissing) out += fmt::format("MISSING {}: not complete with this manifest entry\n", r.name);
  return out;
}

bool MpiLaunchDetected() {
  return !Env("OMPI_COMM_WORLD_SIZE").empty() || !Env("PMIX_RANK").empty() || !Env("PMI_SIZE").empty();
}

int MpiLaunchRank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const std::string v = Env(var);
    if (!v.empty()) return std::atoi(v.c_str());
  }
  return 0;
}

bool MpiBuilt() {
#ifdef EPILABEL_HAVE_MPI
  return true;
#else
  return false;
#endif
}

BatchSummary RunBatch(const BatchManifest& manifest, const BatchOptions& options) {
  options.Check();
  const std::vector<int> selected = SelectedIndices(manifest, options);
  if (options.use_mpi) {
#ifdef EPILABEL_HAVE_MPI
    return RunBatchMpi(manifest, options, selected);
#else
    if (LauncherWorldSize() > 1)
      throw InputError("mpirun", "this epilabel was built without MPI: run it as one process, or use --shard i/N");
#endif
  }
  return RunBatchLocal(manifest, options, selected);
}

namespace {

BatchSummary RunBatchLocal(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected) {
  const auto t0 = std::chrono::steady_clock::now();
  PrepareRoot(options, false);
  std::map<int, const BatchSequence*> by_index;
  for (const auto& s : manifest.sequences) by_index[s.index] = &s;
  BatchSummary summary;
  summary.sequences.resize(selected.size());
  std::atomic<size_t> done{0};
  // One task per sequence; isolation keeps a thread that waits inside a sequence's own
  // parallel loops from picking up another whole sequence meanwhile.
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, selected.size(), 1),
      [&](const tbb::blocked_range<size_t>& r) {
        for (size_t k = r.begin(); k != r.end(); ++k) {
          summary.sequences[k] =
              tbb::this_task_arena::isolate([&] { return RunOrSkip(*by_index.at(selected[k]), options, 0); });
          const size_t d = ++done;
          if (options.progress) options.progress("batch", d, selected.size());
        }
      },
      tbb::simple_partitioner());
  summary.seconds = SecondsSince(t0);
  Finish(manifest, options, false, &summary);
  return summary;
}

}  // namespace

BatchSummary MergeBatch(const BatchManifest& manifest, const BatchOptions& options) {
  BatchOptions o = options;
  o.shard_index = 0;
  o.shard_count = 1;
  o.merge = true;
  o.Check();
  const auto t0 = std::chrono::steady_clock::now();
  PrepareRoot(o, true);
  BatchSummary summary;
  for (const BatchSequence& s : manifest.sequences) {
    if (auto done = CompletedResult(o, s)) {
      done->status = BatchStatus::kSkipped;
      summary.sequences.push_back(*done);
    } else {
      BatchSequenceResult r;
      r.index = s.index;
      r.name = s.name;
      r.status = BatchStatus::kMissing;
      summary.sequences.push_back(r);
    }
  }
  summary.seconds = SecondsSince(t0);
  Finish(manifest, o, true, &summary);
  return summary;
}

}  // namespace epilabel
