// The demo's lifters (`epilabel demo`, section 9): lifters trained on the first clips of the
// demo's one-person studio — on its ground truth, on the multi-view pseudo-labels and on the
// two-view pseudo-labels — and evaluated on the ground truth of the held-out last clips. An MLP
// for each; on the multi-view pseudo-labels also the spatio-temporal transformer with frame
// tokens (a window of frames, one token per frame: the lifter that beat the TCN and the MLP at
// equal CPU budgets, docs/training.md) and the diffusion lifter (H hypotheses aggregated per
// joint by JPMA).
//
// Units: millimetres (MPJPE, P-MPJPE, N-MPJPE), PCK at 150 mm as a share.
#pragma once

#include <string>
#include <vector>

#include "foundation/progress.h"
#include "pseudolabel/demo_run.h"
#include "training/lifter.h"

namespace epilabel {

struct DemoLifterOptions {
  int epochs = 20;             // MLP epochs
  int hidden = 256;            // MLP width (the Martinez et al. baseline uses 1024)
  bool transformer = true;     // also the frame-token transformer on the multi-view pseudo-labels
  int transformer_epochs = 8;  // about the MLP's CPU time (a transformer epoch costs ~3 MLP epochs)
  bool diffusion = true;       // also the diffusion lifter on the multi-view pseudo-labels
  int diffusion_epochs = 10;
  int hypotheses = 5;          // diffusion: H hypotheses, JPMA per joint
  uint64_t seed = 1;
  std::string out_dir;         // run folders lifter_gt, lifter_pseudo, ... (required)
  ProgressCallback progress;
  void Check() const;          // throws InputError naming the epochs / hidden / hypotheses / out_dir
};

struct DemoLifterRow {
  std::string name;            // what it was trained on
  std::string model;           // mlp / transformer (frame tokens) / diffusion (H = ...)
  int samples = 0;             // training samples
  BodyPoseMetrics metrics;     // on the held-out ground truth
};

struct DemoLifterResult {
  int split_frame = 0, frames = 0;  // train on [0, split_frame), test on [split_frame, frames)
  int test_samples = 0;
  std::vector<DemoLifterRow> rows;
  double seconds = 0;
};

DemoLifterResult RunDemoLifters(const DemoRunResult& demo, const DemoLifterOptions& options);

}  // namespace epilabel
