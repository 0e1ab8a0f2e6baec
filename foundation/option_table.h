// Option tables: one table per options struct, so that every option has ONE spelling.
//
// An entry names the option's key (snake_case: the spelling of error messages, batch manifests
// and JSON echoes), documents it, gives its range and says where it lives in the struct. The
// command line derives its flag from the key (`max_reprojection_error_px` ->
// `--max-reprojection-error-px`) and accepts the entry's aliases (older spellings) as further
// flags and manifest keys; `CheckOptionRanges` enforces the ranges with errors that name the key.
// Libraries name keys, never flags; the CLI maps keys back to flags in its messages.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "foundation/error.h"

namespace epilabel {

template <typename Options>
struct OptionSpec {
  using Ref = std::variant<std::function<int&(Options&)>, std::function<double&(Options&)>,
                           std::function<bool&(Options&)>, std::function<std::string&(Options&)>>;
  std::string key;                     // snake_case, unique in its table
  std::string doc;                     // one line, for --help and the docs
  Ref ref;                             // the member it sets
  double min = -std::numeric_limits<double>::infinity();  // inclusive range of numbers
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;          // (min, max] instead of [min, max]
  std::vector<std::string> aliases;    // older keys, still accepted (as keys and as flags)
};

template <typename Options>
using OptionTable = std::vector<OptionSpec<Options>>;

// `--key-with-dashes` for a key.
inline std::string FlagOfKey(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

// The entry for a key or one of its aliases, or nullptr.
template <typename Options>
const OptionSpec<Options>* FindOption(const OptionTable<Options>& table, const std::string& key) {
  for (const auto& spec : table) {
    if (spec.key == key) return &spec;
    for (const auto& alias : spec.aliases)
      if (alias == key) return &spec;
  }
  return nullptr;
}

// The numeric value of an entry as a double (bools as 0/1); NaN for strings.
template <typename Options>
double OptionNumber(const OptionSpec<Options>& spec, const Options& options) {
  Options& o = const_cast<Options&>(options);  // the accessors are shared by reads and writes
  if (auto* f = std::get_if<std::function<int&(Options&)>>(&spec.ref)) return (*f)(o);
  if (auto* f = std::get_if<std::function<double&(Options&)>>(&spec.ref)) return (*f)(o);
  if (auto* f = std::get_if<std::function<bool&(Options&)>>(&spec.ref)) return (*f)(o) ? 1.0 : 0.0;
  return std::numeric_limits<double>::quiet_NaN();
}

// Throws InputError(key, "must be ...") for the first number outside its range (or not finite);
// keys in `skip` are not checked.
template <typename Options>
void CheckOptionRanges(const OptionTable<Options>& table, const Options& options,
                       const std::vector<std::string>& skip = {}) {
  for (const auto& spec : table) {
    if (std::find(skip.begin(), skip.end(), spec.key) != skip.end()) continue;
    if (std::holds_alternative<std::function<std::string&(Options&)>>(spec.ref) ||
        std::holds_alternative<std::function<bool&(Options&)>>(spec.ref))
      continue;
    const double v = OptionNumber(spec, options);
    const bool low_ok = spec.min_exclusive ? v > spec.min : v >= spec.min;
    if (!(low_ok && v <= spec.max)) {
      auto num = [](double x) {
        std::string s = std::to_string(x);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
      };
      const bool has_min = spec.min > -std::numeric_limits<double>::infinity();
      const bool has_max = spec.max < std::numeric_limits<double>::infinity();
      std::string range = "a finite number";
      if (has_min && has_max)
        range = std::string("in ") + (spec.min_exclusive ? "(" : "[") + num(spec.min) + ", " + num(spec.max) + "]";
      else if (has_min)
        range = (spec.min_exclusive ? "> " : ">= ") + num(spec.min);
      else if (has_max)
        range = "<= " + num(spec.max);
      throw InputError(spec.key, "must be " + range + ", got " + num(v));
    }
  }
}

}  // namespace epilabel
