#include "cli/commands.h"

namespace epilabel::cli {

namespace {
int g_exit_code = 0;
}

void SetCommandExitCode(int code) { g_exit_code = code; }
int CommandExitCode() { return g_exit_code; }

void RegisterAllCommands(CLI::App& app) {
  AddDemoCommand(app);
  AddSynthCommand(app);
  AddDetectCommand(app);
  AddIntrinsicsCommand(app);
  AddCalibrateCommand(app);
  AddTriangulateCommand(app);
  AddSyncCommand(app);
  AddLabelCommand(app);
  AddBatchCommand(app);
  AddEval3dCommand(app);
  AddEvalCalibCommand(app);
  AddReportCommand(app);
#ifdef EPILABEL_HAVE_TORCH
  AddTrainCommand(app);
  AddEvalCommand(app);
  AddLiftCommand(app);
#endif
  AddInfoCommand(app);
  AddConvertCommand(app);
}

}  // namespace epilabel::cli
