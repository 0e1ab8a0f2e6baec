#include "foundation/output_commit.h"

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <signal.h>
#include <unistd.h>

#include "foundation/error.h"
#include "foundation/file_util.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

bool IsDigits(const std::string& s, size_t max_size = 19) {
  return !s.empty() && s.size() <= max_size && s.find_first_not_of("0123456789") == std::string::npos;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// "<n>" or "tmp.<pid>.<n>": what follows the pid in a WriteViaTemporary name.
bool IsCounterTail(const std::string& tail) {
  if (IsDigits(tail)) return true;
  if (!StartsWith(tail, "tmp.")) return false;
  const std::string t = tail.substr(4);
  const size_t dot = t.find('.');
  return dot != std::string::npos && IsDigits(t.substr(0, dot)) && IsDigits(t.substr(dot + 1));
}

// The pid of `entry` when it is one of our temporary names of the output `name` (see the
// header), or -1: "NAME.tmp-<pid>", "NAME.old.<pid>", ".NAME.tmp.<pid>.<n>" and
// ".NAME.tmp-<pid>.tmp.<pid>.<n>" (a file being written into a staged file).
long TemporaryPid(const std::string& entry, const std::string& name) {
  std::string rest;
  if (StartsWith(entry, name + ".tmp-")) {
    rest = entry.substr(name.size() + 5);
  } else if (StartsWith(entry, name + ".old.")) {
    rest = entry.substr(name.size() + 5);
  } else if (StartsWith(entry, "." + name + ".tmp.") || StartsWith(entry, "." + name + ".tmp-")) {
    rest = entry.substr(name.size() + 6);
  } else {
    return -1;
  }
  const size_t dot = rest.find('.');
  const std::string pid = rest.substr(0, dot);
  if (!IsDigits(pid, 9)) return -1;
  if (dot != std::string::npos && (entry[0] != '.' || !IsCounterTail(rest.substr(dot + 1)))) return -1;
  return std::stol(pid);
}

bool ProcessGone(long pid) {
  if (pid <= 0 || pid == static_cast<long>(::getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::runtime_error CannotCommit(const std::string& final_path, const std::error_code& ec) {
  return std::runtime_error(final_path + ": cannot move the finished output into place (" + ec.message() +
                            "); the run's outputs are incomplete");
}

void Rename(const fs::path& from, const fs::path& to, const std::string& final_path) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw CannotCommit(final_path, ec);
}

// Removes the files of `final_dir` that `owned` claims and `staging` does not hold.
void RemoveOwnedLeftovers(const fs::path& staging, const fs::path& final_dir,
                          const std::function<bool(const std::string&)>& owned) {
  if (!owned) return;
  std::error_code ec;
  std::vector<fs::path> leftovers;
  for (fs::directory_iterator it(final_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path name = it->path().filename();
    std::error_code ec2;
    if (owned(name.string()) && !fs::exists(staging / name, ec2) && !it->is_directory(ec2)) leftovers.push_back(name);
  }
  for (const fs::path& name : leftovers) fs::remove(final_dir / name, ec);
}

// Moves the files of `staging` into the existing folder `final_dir`, the marker last.
void MergeInto(const fs::path& staging, const fs::path& final_dir, const std::string& marker,
               const std::function<bool(const std::string&)>& owned) {
  std::error_code ec;
  if (!marker.empty()) fs::remove(final_dir / marker, ec);
  RemoveOwnedLeftovers(staging, final_dir, owned);
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(staging)) names.push_back(e.path().filename());
  bool has_marker = false;
  for (const fs::path& name : names) {
    if (!marker.empty() && name == marker) {
      has_marker = true;
      continue;
    }
    const fs::path target = final_dir / name;
    if (fs::is_directory(target, ec) || fs::is_directory(staging / name, ec)) fs::remove_all(target, ec);
    Rename(staging / name, target, target.string());
  }
  if (has_marker) Rename(staging / marker, final_dir / marker, (final_dir / marker).string());
  fs::remove_all(staging, ec);
}

}  // namespace

void RemoveStaleTemporaries(const std::string& final_path) {
  const fs::path out(WithoutTrailingSeparator(final_path));
  const std::string name = out.filename().string();
  if (name.empty() || name == "." || name == "..") return;
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = TemporaryPid(it->path().filename().string(), name);
    if (pid > 0 && ProcessGone(pid)) {
      std::error_code ec2;
      fs::remove_all(it->path(), ec2);
    }
  }
}

void CheckOutputFile(const std::string& path) {
  std::error_code ec;
  if (path.empty()) throw InputError("out", "no output file given");
  if (path.back() == '/' || fs::is_directory(path, ec))
    throw InputError(path, "is a folder; expected the name of a file to write (nothing was written)");
}

std::string StagingName(const std::string& final_path) {
  return WithoutTrailingSeparator(final_path) + ".tmp-" + std::to_string(::getpid());
}

OutputCommit::~OutputCommit() {
  if (committed_) return;
  for (const Staged& s : staged_) {
    std::error_code ec;
    fs::remove_all(s.staging, ec);
  }
}

std::string OutputCommit::StageFile(const std::string& final_path_in, bool marker) {
  CheckOutputFile(final_path_in);
  const std::string& final_path = final_path_in;
  std::error_code ec;
  RemoveStaleTemporaries(final_path);
  const fs::path staging = StagingName(final_path);
  fs::remove_all(staging, ec);
  if (staging.has_parent_path()) fs::create_directories(staging.parent_path());
  staged_.push_back({staging.string(), final_path, false, "", marker, {}});
  return staging.string();
}

std::string OutputCommit::StageFolder(const std::string& final_path_in, const std::string& marker,
                                      std::function<bool(const std::string&)> owned) {
  const std::string final_path = WithoutTrailingSeparator(final_path_in);
  std::error_code ec;
  if (fs::exists(final_path, ec) && !fs::is_directory(final_path, ec))
    throw InputError(final_path, "exists and is not a folder");
  RemoveStaleTemporaries(final_path);
  const fs::path staging = StagingName(final_path);
  fs::remove_all(staging, ec);
  fs::create_directories(staging);
  staged_.push_back({staging.string(), final_path, true, marker, false, std::move(owned)});
  return staging.string();
}

void OutputCommit::Commit() {
  std::error_code ec;
  for (const Staged& s : staged_)
    if (s.is_marker) fs::remove(s.final_path, ec);
  for (const Staged& s : staged_) {
    if (s.folder && fs::is_directory(s.final_path, ec)) {
      MergeInto(s.staging, s.final_path, s.folder_marker, s.owned);
    } else {
      Rename(s.staging, s.final_path, s.final_path);
    }
  }
  committed_ = true;
}

std::string OutputCommit::InFinalNames(std::string message) const {
  for (const Staged& s : staged_) {
    for (size_t at = message.find(s.staging); at != std::string::npos;
         at = message.find(s.staging, at + s.final_path.size()))
      message.replace(at, s.staging.size(), s.final_path);
  }
  return message;
}

void OutputCommit::Write(const std::function<void()>& write) const {
  try {
    write();
  } catch (const InputError& e) {
    std::string what = e.what();
    if (!e.where().empty() && what.compare(0, e.where().size() + 2, e.where() + ": ") == 0)
      what = what.substr(e.where().size() + 2);
    throw InputError(InFinalNames(e.where()), InFinalNames(what));
  } catch (const std::exception& e) {
    throw std::runtime_error(InFinalNames(e.what()));
  }
}

}  // namespace epilabel
