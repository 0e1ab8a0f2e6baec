// The sub-commands. Each Add*Command registers one sub-command whose callback runs the work
// and stores its exit code with SetCommandExitCode.
#pragma once

#include <CLI/CLI.hpp>

namespace epilabel::cli {

// epilabel synth: the synthetic studio, a scene with known truth (cli/synth.cc).
void AddSynthCommand(CLI::App& app);
// epilabel detect: 2D poses from videos or image folders (cli/detect.cc).
void AddDetectCommand(CLI::App& app);
// epilabel info: summary of a calibration, keypoint input or points3d.npz (cli/info.cc).
void AddInfoCommand(CLI::App& app);
// epilabel convert: keypoint and calibration formats (cli/convert.cc).
void AddConvertCommand(CLI::App& app);

// epilabel intrinsics: camera intrinsics from views of a board (cli/intrinsics.cc).
void AddIntrinsicsCommand(CLI::App& app);
// epilabel calibrate: cameras from the people (cli/calibrate.cc).
void AddCalibrateCommand(CLI::App& app);
// epilabel label: pseudo-3D labels of a sequence (cli/label.cc).
void AddLabelCommand(CLI::App& app);
// epilabel batch: label over the sequences of a manifest, resumable, TBB/MPI (cli/batch.cc).
void AddBatchCommand(CLI::App& app);
// epilabel demo: the whole pipeline on the synthetic studio (cli/demo.cc).
void AddDemoCommand(CLI::App& app);
// epilabel triangulate: 3D joints with a known calibration (cli/triangulate.cc).
void AddTriangulateCommand(CLI::App& app);
// epilabel sync (sync.cc)
void AddSyncCommand(CLI::App& app);
// epilabel eval3d / evalcalib: scores against ground truth (cli/evaluate.cc).
void AddEval3dCommand(CLI::App& app);
void AddEvalCalibCommand(CLI::App& app);
// epilabel report: the self-contained interactive HTML report (cli/report.cc).
void AddReportCommand(CLI::App& app);
// epilabel train / eval / lift: the libtorch lifters (cli/train.cc, cli/eval.cc, cli/lift.cc);
// registered only when built with libtorch (EPILABEL_HAVE_TORCH).
void AddTrainCommand(CLI::App& app);
void AddEvalCommand(CLI::App& app);
void AddLiftCommand(CLI::App& app);

// Registers every command above on `app` (order = order in --help).
void RegisterAllCommands(CLI::App& app);

void SetCommandExitCode(int code);
int CommandExitCode();

}  // namespace epilabel::cli
