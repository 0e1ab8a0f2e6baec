// Whole-output commits: the outputs of one run are written under staging names beside their
// final paths and renamed into place only once every one of them is complete, so that a killed
// or failed run leaves nothing that looks complete (and an earlier run's outputs as they were).
//
// Our temporary names, for an output "NAME" in folder D:
//   D/NAME.tmp-<pid>            a staged file or folder (OutputCommit, the label dataset folder);
//   D/.NAME.tmp.<pid>.<n>       a file being written by WriteViaTemporary (foundation/file_util.h).
// A temporary is stale when its name is one of these patterns of the output's name and the
// process <pid> no longer exists; RemoveStaleTemporaries removes exactly those.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace epilabel {

// Removes the stale temporaries of `final_path` (a file or folder; trailing separators are
// ignored) left in its folder by killed runs; those of a run still going are left alone.
void RemoveStaleTemporaries(const std::string& final_path);

// Throws InputError naming `path` when it cannot be an output file: it ends with a separator
// or is an existing folder.
void CheckOutputFile(const std::string& path);

// The staging name of `final_path` for this process: "<final_path>.tmp-<pid>".
std::string StagingName(const std::string& final_path);

// The outputs of one run, committed together:
//   OutputCommit commit;
//   const std::string dir = commit.StageFolder("out", "report.json");
//   const std::string toml = commit.StageFile("calib/calibration.toml");
//   ... write into dir/ and toml ...
//   commit.Commit();          // everything renamed into place, in staging order
// Destroying the object without Commit() (an exception, a failed run) removes what was staged.
class OutputCommit {
 public:
  OutputCommit() = default;
  OutputCommit(const OutputCommit&) = delete;
  OutputCommit& operator=(const OutputCommit&) = delete;
  ~OutputCommit();

  // Stages a file: removes stale temporaries of `final_path`, creates its parent folder and
  // returns the path to write ("<final_path>.tmp-<pid>"). A `marker` file is the one that says
  // "this run is complete" (report.json): Commit() removes the earlier one before the first
  // rename; stage it last. Throws InputError as CheckOutputFile.
  std::string StageFile(const std::string& final_path, bool marker = false);

  // Stages a folder: removes stale temporaries of `final_path`, creates an empty staging folder
  // beside it and returns its path. At Commit() the staging folder becomes `final_path` in one
  // rename when `final_path` does not exist; into an existing folder its files are moved one by
  // one, with the earlier run's `marker` file (the one that says "complete", e.g. "report.json")
  // removed first and the new one moved last. Other files there are kept, except those `owned`
  // says this kind of run writes (an earlier run's report.html after a run without one, its
  // points of a track that no longer exists): those this run did not write are removed. Throws
  // InputError when `final_path` exists and is not a folder.
  std::string StageFolder(const std::string& final_path, const std::string& marker = "",
                          std::function<bool(const std::string& file_name)> owned = nullptr);

  // Renames every staged output into place, in staging order, after removing the earlier marker
  // files. Throws std::runtime_error naming the file when a rename fails.
  void Commit();

  // Runs `write`, which writes the staged outputs. An exception it throws is rethrown with every
  // staging name in its message replaced by the final name (InputError stays InputError, any
  // other std::exception becomes std::runtime_error), so that a failed write (a full disk) names
  // the file the user asked for, not "<name>.tmp-<pid>".
  void Write(const std::function<void()>& write) const;

  // `message` with every staging name replaced by its final name.
  std::string InFinalNames(std::string message) const;

 private:
  struct Staged {
    std::string staging;
    std::string final_path;
    bool folder = false;
    std::string folder_marker;  // a folder's marker file name
    bool is_marker = false;     // a marker file
    std::function<bool(const std::string&)> owned;  // a folder's files of this kind of run

  };
  std::vector<Staged> staged_;
  bool committed_ = false;
};

}  // namespace epilabel
