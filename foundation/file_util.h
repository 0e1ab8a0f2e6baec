// Small file helpers shared by the readers and writers: whole-file reads with clear errors,
// and atomic writes (write to a temporary name in the same folder, then rename), so a crash
// never leaves a half-written file under the final name.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace epilabel {

// Reads a whole file; throws InputError naming the file when it cannot be read.
std::string ReadFileToString(const std::string& path);

// Writes `content` to `path` atomically; creates parent folders. Throws std::runtime_error on
// failure (naming the file).
void WriteFileAtomic(const std::string& path, const std::string& content);

// Calls `write(tmp_path)` to produce the file under a temporary name next to `path`, then renames
// it to `path`. If `write` throws, the temporary file is removed and the exception propagates.
void WriteViaTemporary(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// Renames a temporary folder to its final name, replacing an existing folder of that name.
void CommitDirectory(const std::string& tmp_dir, const std::string& final_dir);

}  // namespace epilabel

namespace epilabel {

// Throws InputError naming `output` when it is the same file as one of `inputs` (after
// resolving `.`, `..` and symbolic links): an output never overwrites an input.
void CheckNotAnInput(const std::string& output, const std::vector<std::string>& inputs);

// `path` without trailing separators ("out/" -> "out"), so that sibling temporary names
// ("out.tmp-123") and renames work; "/" stays "/".
std::string WithoutTrailingSeparator(const std::string& path);

// A name taken from data (a camera, a sequence, a person) made safe as one part of a file
// name: letters, digits, '-', '_' and '.' are kept, every other byte becomes '_', leading dots
// become '_' (no "..", no hidden files), and an empty result becomes "_". Never a path.
std::string SafeFileNamePart(const std::string& name);

}  // namespace epilabel
