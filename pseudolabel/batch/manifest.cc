#include "pseudolabel/batch/manifest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <iterator>
#include <map>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <toml++/toml.h>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "pseudolabel/batch/fingerprint.h"
#include "pseudolabel/option_tables.h"
#include "pseudolabel/stages/calibrate.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

using batch::Fnv1a64;
using batch::kBatchFormat;

// ---------------------------------------------------------------------------------------------
// The key table.

enum class KeyKind { kPath, kString, kNumber, kInteger, kBool, kImageSize };

struct KeySpec {
  std::string name;
  KeyKind kind;
};

// The kind of an option table's entry.
template <typename Options>
KeyKind KindOf(const OptionSpec<Options>& spec) {
  if (std::holds_alternative<std::function<int&(Options&)>>(spec.ref)) return KeyKind::kInteger;
  if (std::holds_alternative<std::function<double&(Options&)>>(spec.ref)) return KeyKind::kNumber;
  if (std::holds_alternative<std::function<bool&(Options&)>>(spec.ref)) return KeyKind::kBool;
  return KeyKind::kString;
}

// The keys of the option tables the manifest sets; min_confidence is the gates' (it also applies
// to the triangulation), so the stage tables skip it.
const std::vector<std::string> kStageSkip = {"min_confidence"};

template <typename Options>
void AddTableKeys(const OptionTable<Options>& table, const std::vector<std::string>& skip, std::vector<KeySpec>* keys) {
  for (const auto& spec : table) {
    if (std::find(skip.begin(), skip.end(), spec.key) != skip.end()) continue;
    keys->push_back({spec.key, KindOf(spec)});
    for (const auto& alias : spec.aliases) keys->push_back({alias, KindOf(spec)});
  }
}

// Keys of [defaults] and [[sequence]]; `name` and `poses` only in [[sequence]] (IsSequenceOnly).
// The tuning keys come from the option tables (pseudolabel/option_tables.h), with their older
// spellings.
const std::vector<KeySpec>& Keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k = {
        {"name", KeyKind::kString},          {"poses", KeyKind::kPath},
        {"calib", KeyKind::kPath},           {"intrinsics", KeyKind::kPath},
        {"image_size", KeyKind::kImageSize}, {"skeleton", KeyKind::kString},
        {"baseline", KeyKind::kString},      {"pairs", KeyKind::kString},
        {"export_name", KeyKind::kString},   {"subject_height", KeyKind::kNumber},
        {"html_report", KeyKind::kBool},     {"seed", KeyKind::kInteger},
    };
    AddTableKeys(QualityGatesTable(), {}, &k);
    AddTableKeys(TriangulateStageTable(), kStageSkip, &k);
    AddTableKeys(CalibrateStageTable(), kStageSkip, &k);
    return k;
  }();
  return keys;
}

// The keys that choose the calibration source; exactly one per sequence.
constexpr const char* kCalibrationKeys[] = {"calib", "intrinsics", "image_size"};

const KeySpec* FindKey(std::string_view name) {
  for (const KeySpec& k : Keys())
    if (name == k.name) return &k;
  return nullptr;
}

bool IsSequenceOnly(std::string_view key) { return key == "name" || key == "poses"; }

std::string KnownKeysText(bool in_sequence) {
  std::string s;
  for (const KeySpec& k : Keys()) {
    if (!in_sequence && IsSequenceOnly(k.name)) continue;
    if (!s.empty()) s += ", ";
    s += k.name;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Error messages.

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

// " (did you mean 'x'?)" and the like for an unknown key of [defaults] or a [[sequence]].
std::string UnknownKeyHint(const std::string& key) {
  if (FindKey(key) != nullptr) return " ('" + key + "' belongs in each [[sequence]])";
  std::string hint;
  size_t best = 3;
  for (const KeySpec& k : Keys()) {
    const size_t d = EditDistance(key, k.name);
    if (d < best) {
      best = d;
      hint = " (did you mean '" + k.name + "'?)";
    }
  }
  if (key == "gates") hint = " (write the gate keys, e.g. min_views = 3, directly in the table)";
  if (key == "calibration") hint = " (did you mean 'calib'?)";
  return hint;
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

std::string SequenceOrigin(size_t index) { return "[[sequence]] " + std::to_string(index + 1); }
std::string SequenceOrigin(size_t index, const std::string& name) {
  return SequenceOrigin(index) + " ('" + name + "')";
}

// The manifest file: names it in errors and anchors relative paths.
class ManifestFile {
 public:
  explicit ManifestFile(std::string path) : path_(std::move(path)) {
    base_ = fs::path(path_).parent_path();
    if (base_.empty()) base_ = ".";
  }
  const std::string& path() const { return path_; }
  fs::path Resolve(const std::string& written) const {
    fs::path p(written);
    if (p.is_relative()) p = base_ / p;
    return p.lexically_normal();
  }

  // Throws InputError("<manifest>[:<line of node>]", "<origin> key '<key>': <what>").
  [[noreturn]] void Fail(const toml::node* node, const std::string& origin, const std::string& key,
                         const std::string& what) const {
    std::string where = path_;
    if (node != nullptr && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    std::string prefix = origin;
    if (!key.empty()) prefix += (prefix.empty() ? "" : " ") + std::string("key '") + key + "'";
    throw InputError(where, prefix.empty() ? what : prefix + ": " + what);
  }

 private:
  std::string path_;
  fs::path base_;
};

// ---------------------------------------------------------------------------------------------
// Per-table readers: keys and types of [defaults] and of each [[sequence]].

// A value of the manifest, with where it came from (for messages).
struct ManifestValue {
  const toml::node* node = nullptr;
  std::string origin;  // "[defaults]" or "[[sequence]] 2 ('s02')"
};
using ManifestValues = std::map<std::string, ManifestValue>;

std::pair<int, int> ReadImageSize(const ManifestFile& file, const toml::node& v, const std::string& origin) {
  int w = 0, h = 0;
  if (const auto* arr = v.as_array()) {
    if (arr->size() != 2 || !(*arr)[0].is_integer() || !(*arr)[1].is_integer())
      file.Fail(&v, origin, "image_size", "expected [width, height] (two integers) or \"WIDTHxHEIGHT\"");
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
      file.Fail(&v, origin, "image_size", "expected \"WIDTHxHEIGHT\" (e.g. \"1920x1080\"), found \"" + text + "\"");
    }
  } else {
    file.Fail(&v, origin, "image_size", "expected [width, height] or \"WIDTHxHEIGHT\", found a " + TypeName(v));
  }
  if (w <= 0 || h <= 0) file.Fail(&v, origin, "image_size", "width and height must be positive");
  return {w, h};
}

void CheckType(const ManifestFile& file, const toml::node& v, const KeySpec& spec, const std::string& origin) {
  const std::string key = spec.name;
  switch (spec.kind) {
    case KeyKind::kPath:
    case KeyKind::kString:
      if (!v.is_string()) file.Fail(&v, origin, key, "expected a string, found a " + TypeName(v));
      if (spec.kind == KeyKind::kPath && v.as_string()->get().empty())
        file.Fail(&v, origin, key, "expected a path, found an empty string");
      break;
    case KeyKind::kNumber: {
      double x = 0;
      if (const auto* f = v.as_floating_point()) {
        x = f->get();
      } else if (const auto* i = v.as_integer()) {
        x = static_cast<double>(i->get());
      } else {
        file.Fail(&v, origin, key, "expected a number, found a " + TypeName(v));
      }
      if (!std::isfinite(x)) file.Fail(&v, origin, key, "expected a finite number");
      break;
    }
    case KeyKind::kInteger:
      if (!v.is_integer()) file.Fail(&v, origin, key, "expected an integer, found a " + TypeName(v));
      break;
    case KeyKind::kBool:
      if (!v.is_boolean()) file.Fail(&v, origin, key, "expected true or false, found a " + TypeName(v));
      break;
    case KeyKind::kImageSize:
      ReadImageSize(file, v, origin);
      break;
  }
}

// Checks the keys and types of one table; returns its values by key.
ManifestValues ReadTable(const ManifestFile& file, const toml::table& table, const std::string& origin,
                         bool in_sequence) {
  ManifestValues out;
  for (const auto& [key_node, value] : table) {
    const std::string key(key_node.str());
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr || (!in_sequence && IsSequenceOnly(key)))
      file.Fail(&value, origin, "",
                "unknown key '" + key + "'" + UnknownKeyHint(key) + "; known keys: " + KnownKeysText(in_sequence));
    CheckType(file, value, *spec, origin);
    out[key] = ManifestValue{&value, origin};
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The document: the TOML, its top-level tables, each [[sequence]] with the defaults applied.

toml::table ParseToml(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    const auto& b = err.source().begin;
    throw InputError(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column),
                     std::string("TOML syntax error: ") + std::string(err.description()));
  }
}

struct TopLevel {
  ManifestValues defaults;
  const toml::array* sequences = nullptr;  // an array of tables, not empty
};

TopLevel ReadTopLevel(const ManifestFile& file, const toml::table& root) {
  TopLevel top;
  for (const auto& [key_node, value] : root) {
    const std::string key(key_node.str());
    if (key == "defaults") {
      const toml::table* t = value.as_table();
      if (t == nullptr) file.Fail(&value, "", "defaults", "expected a table [defaults], found a " + TypeName(value));
      top.defaults = ReadTable(file, *t, "[defaults]", false);
    } else if (key == "sequence") {
      top.sequences = value.as_array();
      if (top.sequences == nullptr || !top.sequences->is_array_of_tables())
        file.Fail(&value, "", "sequence", "expected an array of tables: write each entry as [[sequence]]");
    } else {
      const std::string hint = FindKey(key) != nullptr ? " (put it under [defaults] or a [[sequence]])" : "";
      file.Fail(&value, "", "", "unknown top-level key '" + key + "'" + hint + "; expected [defaults] and [[sequence]]");
    }
  }
  if (top.sequences == nullptr || top.sequences->empty()) file.Fail(nullptr, "", "", "no [[sequence]] entries");
  return top;
}

// The `name` of [[sequence]] `index`: present, a string, usable as a folder name.
std::string ReadSequenceName(const ManifestFile& file, const toml::table& t, size_t index) {
  const std::string origin = SequenceOrigin(index);
  const toml::node* node = t.get("name");
  if (node == nullptr) file.Fail(&t, origin, "", "missing key 'name'");
  if (!node->is_string()) file.Fail(node, origin, "name", "expected a string, found a " + TypeName(*node));
  const std::string name = node->as_string()->get();
  const auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  if (name.empty() || name.size() > 200 || !std::all_of(name.begin(), name.end(), allowed))
    file.Fail(node, origin, "name", "'" + name + "' must be 1-200 letters, digits, '_' or '-' (it names a folder)");
  return name;
}

// The effective values of a sequence: its own over the defaults; a sequence's calibration source
// replaces whichever of them [defaults] gives.
ManifestValues ApplyDefaults(const ManifestValues& defaults, const ManifestValues& own) {
  ManifestValues values = defaults;
  const bool own_source = std::any_of(std::begin(kCalibrationKeys), std::end(kCalibrationKeys),
                                      [&](const char* k) { return own.count(k) > 0; });
  if (own_source)
    for (const char* k : kCalibrationKeys) values.erase(k);
  for (const auto& [k, v] : own) values[k] = v;
  return values;
}

// ---------------------------------------------------------------------------------------------
// Validation of one sequence's effective values into LabelRunOptions and the canonical entry.

class EntryBuilder {
 public:
  EntryBuilder(const ManifestFile& file, const ManifestValues& values, BatchSequence* seq)
      : file_(file), values_(values), seq_(*seq), o_(seq->options), e_(seq->entry) {}

  void Build() {
    e_ = nlohmann::json::object();
    e_["format"] = kBatchFormat;
    e_["name"] = seq_.name;
    ApplyInputs();
    ApplyLabelOptions();
    ApplyTable(QualityGatesTable(), {}, &o_.gates);
    ApplyTable(TriangulateStageTable(), kStageSkip, &o_.triangulation);
    ApplyTable(CalibrateStageTable(), kStageSkip, &o_.calibration);
    o_.sequence_name = seq_.name;
    RecordEffectiveValues();
    Fnv1a64 h;
    h.Add(e_.dump());
    seq_.hash = h.Hex();
  }

 private:
  const ManifestValue* Get(const char* key) const {
    const auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  static double Number(const ManifestValue& v) {
    if (const auto* f = v.node->as_floating_point()) return f->get();
    return static_cast<double>(v.node->as_integer()->get());
  }
  static const std::string& String(const ManifestValue& v) { return v.node->as_string()->get(); }
  [[noreturn]] void Fail(const ManifestValue& v, const char* key, const std::string& what) const {
    file_.Fail(v.node, v.origin, key, what);
  }
  // The number under `key` (present), in [lo, hi] (or (lo, hi] when lo_open).
  double Range(const char* key, double lo, double hi, bool lo_open, const std::string& text) const {
    const ManifestValue* v = Get(key);
    const double x = Number(*v);
    if (x < lo || x > hi || (lo_open && x == lo)) Fail(*v, key, "must be " + text);
    return x;
  }

  // An input path: must exist; the entry records the path as written and its fingerprint.
  void Path(const char* key, std::string* resolved) {
    const ManifestValue* v = Get(key);
    if (v == nullptr) {
      e_[key] = nullptr;
      return;
    }
    const std::string& written = String(*v);
    const fs::path p = file_.Resolve(written);
    std::error_code ec;
    if (!fs::exists(p, ec)) Fail(*v, key, "'" + written + "' does not exist (looked for " + p.string() + ")");
    *resolved = p.string();
    const std::string fp = std::string_view(key) == "poses" ? batch::PosesFingerprint(p) : batch::FileFingerprint(p);
    e_[key] = {{"path", written}, {"fingerprint", fp}};
  }

  // poses, and exactly one of calib, intrinsics, image_size.
  void ApplyInputs() {
    Path("poses", &o_.keypoints_path);
    Path("calib", &o_.calibration_path);
    Path("intrinsics", &o_.intrinsics_path);
    if (const ManifestValue* v = Get("image_size")) {
      const auto [w, h] = ReadImageSize(file_, *v->node, v->origin);
      o_.image_width = w;
      o_.image_height = h;
      e_["image_size"] = {w, h};
    } else {
      e_["image_size"] = nullptr;
    }
    int sources = 0;
    for (const char* k : kCalibrationKeys) sources += Get(k) != nullptr ? 1 : 0;
    if (sources != 1)
      file_.Fail(nullptr, SequenceOrigin(seq_.index, seq_.name), "",
                 sources == 0 ? "give one of calib, intrinsics or image_size (here or in [defaults])"
                              : "give only one of calib, intrinsics or image_size");
  }

  void ApplyLabelOptions() {
    if (const ManifestValue* v = Get("skeleton")) {
      const auto names = SkeletonNames();
      if (std::find(names.begin(), names.end(), String(*v)) == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        Fail(*v, "skeleton", "unknown skeleton '" + String(*v) + "' (known: " + list + ")");
      }
      o_.skeleton = String(*v);
    }
    if (const ManifestValue* v = Get("pairs")) {
      if (!String(*v).empty() && String(*v) != "neighbours")
        Fail(*v, "pairs", "unknown mode '" + String(*v) + "' (expected \"neighbours\" or \"\")");
      o_.pairs = String(*v);
    }
    if (const ManifestValue* v = Get("baseline")) {
      baseline_ = String(*v);
      try {
        o_.calibration.baseline = ParseBaselineSpec(baseline_);
      } catch (const InputError& e) {
        Fail(*v, "baseline", std::string(e.what()).substr(e.where().size() + 2));
      }
    }
    if (const ManifestValue* v = Get("export_name")) {
      const std::string& n = String(*v);
      if (n.empty() || n.find('/') != std::string::npos || n.find('\\') != std::string::npos)
        Fail(*v, "export_name", "expected a non-empty file name part without slashes");
      o_.export_name = n;
    }
    if (Get("subject_height")) {
      o_.calibration.subject_height_m = Range("subject_height", 0.5, 2.8, false, "in [0.5, 2.8] metres");
      o_.calibration.subject_height_given = true;
    }
    if (const ManifestValue* v = Get("html_report")) o_.write_html_report = v->node->as_boolean()->get();
    if (const ManifestValue* v = Get("seed")) {
      const int64_t s = v->node->as_integer()->get();
      if (s < 0) Fail(*v, "seed", "must be >= 0");
      o_.seed = static_cast<uint64_t>(s);
    }
  }

  // The keys of an option table: each under its key or an older spelling, range-checked by the
  // table (errors name the manifest line and the key as written).
  template <typename Options>
  void ApplyTable(const OptionTable<Options>& table, const std::vector<std::string>& skip, Options* options) {
    for (const OptionSpec<Options>& spec : table) {
      if (std::find(skip.begin(), skip.end(), spec.key) != skip.end()) continue;
      std::vector<std::string> names = {spec.key};
      names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
      for (const std::string& name : names) {
        const ManifestValue* v = Get(name.c_str());
        if (v == nullptr) continue;
        if (auto* f = std::get_if<std::function<int&(Options&)>>(&spec.ref)) {
          const int64_t n = v->node->as_integer()->get();
          (*f)(*options) = static_cast<int>(std::clamp<int64_t>(n, -1000000000, 1000000000));
        } else if (auto* f = std::get_if<std::function<double&(Options&)>>(&spec.ref)) {
          (*f)(*options) = Number(*v);
        } else if (auto* f = std::get_if<std::function<bool&(Options&)>>(&spec.ref)) {
          (*f)(*options) = v->node->as_boolean()->get();
        } else if (auto* f = std::get_if<std::function<std::string&(Options&)>>(&spec.ref)) {
          (*f)(*options) = v->node->as_string()->get();
        }
        try {
          CheckOptionRanges(OptionTable<Options>{spec}, *options);
        } catch (const InputError& e) {
          Fail(*v, name.c_str(), std::string(e.what()).substr(e.where().size() + 2));
        }
      }
    }
  }

  // Every effective value, set or default, so that changing a program default recomputes.
  void RecordEffectiveValues() {
    e_["skeleton"] = o_.skeleton;
    e_["pairs"] = o_.pairs;
    e_["baseline"] = baseline_;
    e_["export_name"] = o_.export_name;
    e_["subject_height"] = o_.calibration.subject_height_m;
    e_["subject_height_given"] = o_.calibration.subject_height_given;
    e_["html_report"] = o_.write_html_report;
    e_["seed"] = o_.seed;
    e_["gates"] = OptionsJson(QualityGatesTable(), o_.gates);
    e_["triangulation"] = OptionsJson(TriangulateStageTable(), o_.triangulation, kStageSkip);
    e_["calibration"] = OptionsJson(CalibrateStageTable(), o_.calibration, kStageSkip);
  }

  const ManifestFile& file_;
  const ManifestValues& values_;
  BatchSequence& seq_;
  LabelRunOptions& o_;
  nlohmann::json& e_;
  std::string baseline_;  // the baseline as written (echoed in the canonical entry)
};

// Builds every entry (existence checks and fingerprints, i.e. file listings, in parallel); throws
// the first error in manifest order.
void BuildEntries(const ManifestFile& file, const std::vector<ManifestValues>& values,
                  std::vector<BatchSequence>* sequences) {
  const size_t n = sequences->size();
  std::vector<std::exception_ptr> errors(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      try {
        EntryBuilder(file, values[i], &(*sequences)[i]).Build();
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  });
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

BatchManifest Parse(const ManifestFile& file, std::string_view text) {
  const toml::table root = ParseToml(text, file.path());
  const TopLevel top = ReadTopLevel(file, root);
  BatchManifest manifest;
  manifest.path = file.path();
  std::map<std::string, size_t> first_index;  // name -> index
  std::vector<ManifestValues> values;
  for (size_t i = 0; i < top.sequences->size(); ++i) {
    const toml::table& t = *(*top.sequences)[i].as_table();
    const std::string name = ReadSequenceName(file, t, i);
    const std::string origin = SequenceOrigin(i, name);
    if (const auto [it, inserted] = first_index.emplace(name, i); !inserted)
      file.Fail(t.get("name"), origin, "name", "duplicate name (also " + SequenceOrigin(it->second) + ")");
    values.push_back(ApplyDefaults(top.defaults, ReadTable(file, t, origin, true)));
    if (values.back().count("poses") == 0) file.Fail(&t, origin, "", "missing key 'poses' (the sequence's 2D keypoints)");
    BatchSequence seq;
    seq.index = static_cast<int>(i);
    seq.name = name;
    manifest.sequences.push_back(std::move(seq));
  }
  BuildEntries(file, values, &manifest.sequences);
  return manifest;
}

}  // namespace

BatchManifest ParseBatchManifest(std::string_view text, const std::string& path) {
  return Parse(ManifestFile(path), text);
}

BatchManifest ReadBatchManifest(const std::string& path) {
  const std::string text = ReadFileToString(path);
  return ParseBatchManifest(text, path);
}

}  // namespace epilabel
