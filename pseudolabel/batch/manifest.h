// The batch manifest: reading and validating the TOML file that lists the sequences of
// `epilabel batch`, applying [defaults], resolving paths and computing each entry's hash.
//
// Format (paths relative to the manifest's folder):
//   [defaults]                       # optional: applies to every sequence
//   intrinsics = "cams/intrinsics.toml"
//   subject_height = 1.75
//   [[sequence]]                     # one per sequence, run in this order
//   name = "s01"                     # letters, digits, '_' and '-'; unique; the output folder
//   poses = "s01/pose"               # required (here, not in [defaults])
//   subject_height = 1.82            # per-sequence override of a default
// Keys of [defaults] and [[sequence]] (the flags of `epilabel label`, '-' written '_'):
//   calib, intrinsics (paths), image_size ([w, h] or "WxH"): exactly one per sequence (a
//   sequence giving one of them drops the default's); skeleton, baseline, pairs, export_name
//   (strings); subject_height, fps (numbers); smooth, html_report (booleans); seed (integer
//   >= 0); the gates min_views (integer), max_error_px, max_bone_deviation, max_uncertainty,
//   min_valid_share, min_camera_joints, min_confidence (numbers).
//
// The hash of an entry (16 hex digits, FNV-1a 64 of the canonical entry's JSON with sorted keys)
// covers every effective option (also those left at the program's defaults), the input paths as
// written and the fingerprints of the inputs (fingerprint.h). It decides whether a finished
// sequence folder can be reused (store.h).
//
// Errors: bad input throws InputError whose `where` is "<manifest>:<line>" (the line of the
// offending value or table, when known; "<manifest>:<line>:<column>" for TOML syntax errors) and
// whose message names the entry ("[defaults]", "[[sequence]] 2 ('s02')") and the key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pseudolabel/label_run.h"

namespace epilabel {

// One [[sequence]] of a manifest, with the defaults applied and paths resolved.
struct BatchSequence {
  int index = 0;             // position in the manifest (0-based)
  std::string name;          // unique; the output folder ROOT/<name> and the dataset's sequence name
  LabelRunOptions options;   // effective options (out_dir, threads and progress are set by the batch)
  nlohmann::json entry;      // the canonical entry the hash is computed from (sorted keys)
  std::string hash;          // 16 hex digits (FNV-1a 64 of entry.dump())
};

struct BatchManifest {
  std::string path;          // the manifest file (for messages)
  std::vector<BatchSequence> sequences;
};

// Reads and validates a manifest. Throws InputError naming the manifest, the entry
// ("[[sequence]] 2 ('s02')" or "[defaults]") and the key for: TOML syntax errors, unknown
// tables or keys, wrong types or values, a missing or duplicate name, a missing `poses`, not
// exactly one of calib/intrinsics/image_size, and input paths that do not exist; and an
// InputError naming the file when it cannot be read. The whole manifest is checked (inputs
// fingerprinted in parallel with TBB); the first error in manifest order is thrown.
BatchManifest ReadBatchManifest(const std::string& path);
// The same from text; `path` names the manifest in messages and its folder anchors relative paths.
BatchManifest ParseBatchManifest(std::string_view text, const std::string& path);

}  // namespace epilabel
