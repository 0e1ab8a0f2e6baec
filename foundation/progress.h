// Progress reporting: libraries never print; long operations take a callback that the CLI
// turns into a progress bar. The callback may be called from several threads.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace epilabel {

// done and total are counts of work items (frames, files, ...); `stage` names the work.
using ProgressCallback = std::function<void(const std::string& stage, size_t done, size_t total)>;

}  // namespace epilabel
