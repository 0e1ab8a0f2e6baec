#include "pseudolabel/run_outputs.h"

#include "foundation/file_util.h"

namespace epilabel {

double SecondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void WriteJson(const nlohmann::json& json, const std::string& path) { WriteFileAtomic(path, json.dump(2) + "\n"); }

}  // namespace epilabel
