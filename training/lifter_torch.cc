// Everything that touches libtorch: the three models, the losses, the training loop,
// checkpoints, inference and the weight export. One translation unit keeps the build quick.
// It is built as a module of its own (epilabel_lifter_torch) that training/lifter_loader.cc
// loads on first use, so commands that never lift do not pay libtorch's start-up.
#include <torch/nn.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "training/graph.h"
#include "training/lifter.h"
#include "training/lifter_module.h"

namespace epilabel {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Models. Input [batch, window, joints, 2]; output [batch, joints, 3]. Module and parameter
// names follow the PyTorch models they mirror, so the exported state_dict loads there.

class LifterNetImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// Martinez et al. 2017, named as the common PyTorch port (LinearModel / Linear).
class MlpBlockImpl : public torch::nn::Module {
 public:
  MlpBlockImpl(int hidden, double dropout) {
    w1 = register_module("w1", torch::nn::Linear(hidden, hidden));
    batch_norm1 = register_module("batch_norm1", torch::nn::BatchNorm1d(hidden));
    w2 = register_module("w2", torch::nn::Linear(hidden, hidden));
    batch_norm2 = register_module("batch_norm2", torch::nn::BatchNorm1d(hidden));
    drop = register_module("dropout", torch::nn::Dropout(dropout));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = drop(torch::relu(batch_norm1(w1(x))));
    y = drop(torch::relu(batch_norm2(w2(y))));
    return x + y;
  }
  torch::nn::Linear w1{nullptr}, w2{nullptr};
  torch::nn::BatchNorm1d batch_norm1{nullptr}, batch_norm2{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(MlpBlock);

class MlpNet : public LifterNetImpl {
 public:
  MlpNet(int num_joints, const LifterModelOptions& o) : num_joints_(num_joints) {
    w1 = register_module("w1", torch::nn::Linear(2 * num_joints, o.mlp_hidden));
    batch_norm1 = register_module("batch_norm1", torch::nn::BatchNorm1d(o.mlp_hidden));
    stages = register_module("linear_stages", torch::nn::ModuleList());
    for (int i = 0; i < o.mlp_blocks; ++i) {
      blocks.push_back(MlpBlock(o.mlp_hidden, o.dropout));
      stages->push_back(blocks.back());
    }
    w2 = register_module("w2", torch::nn::Linear(o.mlp_hidden, 3 * num_joints));
    drop = register_module("dropout", torch::nn::Dropout(o.dropout));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const int64_t b = x.size(0);
    torch::Tensor y = drop(torch::relu(batch_norm1(w1(x.reshape({b, 2 * num_joints_})))));
    for (auto& block : blocks) y = block(y);
    return w2(y).reshape({b, num_joints_, 3});
  }

 private:
  int num_joints_;
  torch::nn::Linear w1{nullptr}, w2{nullptr};
  torch::nn::BatchNorm1d batch_norm1{nullptr};
  torch::nn::ModuleList stages{nullptr};
  std::vector<MlpBlock> blocks;
  torch::nn::Dropout drop{nullptr};
};

// VideoPose3D's TemporalModelOptimized1f (strided convolutions, filter width 3): the same
// parameters as the dilated TemporalModel.
class TcnNet : public LifterNetImpl {
 public:
  TcnNet(int num_joints, const LifterModelOptions& o) : num_joints_(num_joints) {
    int layers = 0;
    for (int r = o.tcn_receptive_field; r > 1; r /= 3) ++layers;
    const int c = o.tcn_channels;
    auto conv = [](int in, int out, int width) {
      return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, width).stride(width).bias(false));
    };
    expand_conv = register_module("expand_conv", conv(2 * num_joints, c, 3));
    expand_bn = register_module("expand_bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(c).momentum(0.1)));
    layers_conv = register_module("layers_conv", torch::nn::ModuleList());
    layers_bn = register_module("layers_bn", torch::nn::ModuleList());
    for (int i = 1; i < layers; ++i) {
      convs.push_back(conv(c, c, 3));
      convs.push_back(conv(c, c, 1));
      bns.push_back(torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(c).momentum(0.1)));
      bns.push_back(torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(c).momentum(0.1)));
      layers_conv->push_back(convs[convs.size() - 2]);
      layers_conv->push_back(convs.back());
      layers_bn->push_back(bns[bns.size() - 2]);
      layers_bn->push_back(bns.back());
    }
    shrink = register_module("shrink", torch::nn::Conv1d(torch::nn::Conv1dOptions(c, 3 * num_joints, 1)));
    drop = register_module("drop", torch::nn::Dropout(o.dropout));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const int64_t b = x.size(0), t = x.size(1);
    torch::Tensor y = x.reshape({b, t, 2 * num_joints_}).permute({0, 2, 1});
    y = drop(torch::relu(expand_bn(expand_conv(y))));
    for (size_t i = 0; i < convs.size(); i += 2) {
      // Residual: the centre of every group of 3 (filter width 3, offset 1, stride 3).
      const torch::Tensor res = y.slice(2, 1, torch::indexing::None, 3);
      y = drop(torch::relu(bns[i](convs[i](y))));
      y = res + drop(torch::relu(bns[i + 1](convs[i + 1](y))));
    }
    y = shrink(y);  // [b, 3J, 1]
    return y.permute({0, 2, 1}).reshape({b, num_joints_, 3});
  }

 private:
  int num_joints_;
  torch::nn::Conv1d expand_conv{nullptr}, shrink{nullptr};
  torch::nn::BatchNorm1d expand_bn{nullptr};
  torch::nn::ModuleList layers_conv{nullptr}, layers_bn{nullptr};
  std::vector<torch::nn::Conv1d> convs;
  std::vector<torch::nn::BatchNorm1d> bns;
  torch::nn::Dropout drop{nullptr};
};

// y_i = m_i * (a_ii x_i W_self + sum_{k != i} a_ik x_k W_neighbour + mean_k(x_k) W_global) + b:
// the normalised bone adjacency a mixes neighbours, the mean over all joints adds global
// context, and a learnt per-joint modulation m_i (Modulated GCN, Zou and Tang, ICCV 2021) lets
// the shared weights act differently on each joint.
class GraphConvImpl : public torch::nn::Module {
 public:
  GraphConvImpl(int num_joints, int in, int out) : out_(out) {
    self_weight = register_parameter("self_weight", torch::empty({in, out}));
    neighbour_weight = register_parameter("neighbour_weight", torch::empty({in, out}));
    global_weight = register_parameter("global_weight", torch::empty({in, out}));
    modulation = register_parameter("modulation", torch::ones({num_joints, out}));
    bias = register_parameter("bias", torch::zeros({out}));
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(self_weight);
    torch::nn::init::xavier_uniform_(neighbour_weight);
    torch::nn::init::xavier_uniform_(global_weight);
  }
  // x [b, J, in]; self_coeff [J] and neighbours [J, J] split the normalised adjacency.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& self_coeff, const torch::Tensor& neighbours) {
    // One matrix product for the three weights, then split.
    const torch::Tensor h = x.matmul(torch::cat({self_weight, neighbour_weight, global_weight}, 1));
    const torch::Tensor h_self = h.narrow(2, 0, out_), h_nb = h.narrow(2, out_, out_), h_global = h.narrow(2, 2 * out_, out_);
    torch::Tensor y = h_self * self_coeff.view({1, -1, 1});
    // sum_k a_ik h_k for every batch element as one matrix product: [b, out, J] x [J, J]^T.
    y = y + h_nb.transpose(1, 2).matmul(neighbours.t()).transpose(1, 2);
    y = y + h_global.mean(1, /*keepdim=*/true);
    return y * modulation + bias;
  }
  torch::Tensor self_weight, neighbour_weight, global_weight, modulation, bias;

 private:
  int out_;
};
TORCH_MODULE(GraphConv);

// Batch norm over the feature channel of [b, J, F].
torch::Tensor JointBatchNorm(torch::nn::BatchNorm1d& bn, const torch::Tensor& x) {
  // Contiguous copies: libtorch's CPU batch norm is very slow on the permuted (strided) view.
  return bn(x.permute({0, 2, 1}).contiguous()).permute({0, 2, 1}).contiguous();
}

class GcnBlockImpl : public torch::nn::Module {
 public:
  GcnBlockImpl(int num_joints, int hidden, double dropout) {
    conv1 = register_module("conv1", GraphConv(num_joints, hidden, hidden));
    bn1 = register_module("bn1", torch::nn::BatchNorm1d(hidden));
    conv2 = register_module("conv2", GraphConv(num_joints, hidden, hidden));
    bn2 = register_module("bn2", torch::nn::BatchNorm1d(hidden));
    drop = register_module("dropout", torch::nn::Dropout(dropout));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& self_coeff, const torch::Tensor& neighbours) {
    torch::Tensor y = drop(torch::relu(JointBatchNorm(bn1, conv1(x, self_coeff, neighbours))));
    y = drop(torch::relu(JointBatchNorm(bn2, conv2(y, self_coeff, neighbours))));
    return x + y;
  }
  GraphConv conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr}, bn2{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(GcnBlock);

class GcnNet : public LifterNetImpl {
 public:
  GcnNet(int num_joints, const LifterModelOptions& o, const Eigen::MatrixXd& adjacency) : num_joints_(num_joints) {
    torch::Tensor a = torch::empty({num_joints, num_joints}, torch::kFloat32);
    for (int i = 0; i < num_joints; ++i)
      for (int k = 0; k < num_joints; ++k) a[i][k] = static_cast<float>(adjacency(i, k));
    adjacency_ = register_buffer("adjacency", a);
    input_conv = register_module("input_conv", GraphConv(num_joints, 2, o.gcn_hidden));
    input_bn = register_module("input_bn", torch::nn::BatchNorm1d(o.gcn_hidden));
    blocks_list = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < o.gcn_blocks; ++i) {
      blocks.push_back(GcnBlock(num_joints, o.gcn_hidden, o.dropout));
      blocks_list->push_back(blocks.back());
    }
    output_conv = register_module("output_conv", GraphConv(num_joints, o.gcn_hidden, 3));
    drop = register_module("dropout", torch::nn::Dropout(o.dropout));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const int64_t b = x.size(0);
    const int64_t centre = x.size(1) / 2;
    const torch::Tensor self_coeff = adjacency_.diagonal();
    const torch::Tensor neighbours = adjacency_ - torch::diag(self_coeff);
    torch::Tensor y = x.select(1, centre).reshape({b, num_joints_, 2});
    y = drop(torch::relu(JointBatchNorm(input_bn, input_conv(y, self_coeff, neighbours))));
    for (auto& block : blocks) y = block(y, self_coeff, neighbours);
    return output_conv(y, self_coeff, neighbours);
  }

 private:
  int num_joints_;
  torch::Tensor adjacency_;
  GraphConv input_conv{nullptr}, output_conv{nullptr};
  torch::nn::BatchNorm1d input_bn{nullptr};
  torch::nn::ModuleList blocks_list{nullptr};
  std::vector<GcnBlock> blocks;
  torch::nn::Dropout drop{nullptr};
};

// The adjacency of the gcn from the skeleton's bones; identity when no bones are known.
Eigen::MatrixXd GcnAdjacency(int num_joints, const Skeleton* skeleton) {
  if (skeleton == nullptr) return Eigen::MatrixXd::Identity(num_joints, num_joints);
  return NormalizedAdjacency(BuildSkeletonGraph(num_joints, skeleton->bones));
}

std::shared_ptr<LifterNetImpl> MakeModel(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton) {
  if (o.type == "mlp") return std::make_shared<MlpNet>(num_joints, o);
  if (o.type == "tcn") return std::make_shared<TcnNet>(num_joints, o);
  return std::make_shared<GcnNet>(num_joints, o, GcnAdjacency(num_joints, skeleton));
}

int64_t NumParameters(const torch::nn::Module& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

// ---------------------------------------------------------------------------------------------
// Losses. pred, target [b, J, 3]; weight [b, J].

torch::Tensor JointDistances(const torch::Tensor& a, const torch::Tensor& b) {
  // The small epsilon keeps the gradient finite at zero distance.
  return (a - b).pow(2).sum(-1).add(1e-12).sqrt();
}

torch::Tensor WeightedMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight) {
  return (JointDistances(pred, target) * weight).sum() / weight.sum().clamp_min(1e-6);
}

// Each prediction scaled by its least-squares factor onto the target (Rhodin et al. 2018).
torch::Tensor WeightedNMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight) {
  const torch::Tensor w = weight.unsqueeze(-1);
  const torch::Tensor dot = (w * pred * target).sum({1, 2}, /*keepdim=*/true);
  const torch::Tensor norm2 = (w * pred * pred).sum({1, 2}, /*keepdim=*/true).clamp_min(1e-9);
  return WeightedMpjpe(pred * (dot / norm2), target, weight);
}

// Pairs of mirror-image bones (left/right) as index tensors.
struct BonePairs {
  torch::Tensor a, b, mirror_a, mirror_b;  // int64 [P]
  bool empty() const { return !a.defined() || a.numel() == 0; }
};

BonePairs MirrorBonePairs(const Skeleton* skeleton) {
  BonePairs pairs;
  if (skeleton == nullptr) return pairs;
  const std::vector<joint_t> perm = skeleton->FlipPermutation();
  std::vector<int64_t> a, b, ma, mb;
  const auto& bones = skeleton->bones;
  for (size_t i = 0; i < bones.size(); ++i) {
    const joint_t p = perm[bones[i].parent], c = perm[bones[i].child];
    for (size_t k = i + 1; k < bones.size(); ++k) {
      const bool same = (bones[k].parent == p && bones[k].child == c) || (bones[k].parent == c && bones[k].child == p);
      if (same) {
        a.push_back(bones[i].parent);
        b.push_back(bones[i].child);
        ma.push_back(bones[k].parent);
        mb.push_back(bones[k].child);
      }
    }
  }
  auto tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); };
  if (!a.empty()) {
    pairs.a = tensor(a);
    pairs.b = tensor(b);
    pairs.mirror_a = tensor(ma);
    pairs.mirror_b = tensor(mb);
  }
  return pairs;
}

torch::Tensor BoneSymmetryLoss(const torch::Tensor& pred, const BonePairs& pairs) {
  const torch::Tensor left = JointDistances(pred.index_select(1, pairs.a), pred.index_select(1, pairs.b));
  const torch::Tensor right = JointDistances(pred.index_select(1, pairs.mirror_a), pred.index_select(1, pairs.mirror_b));
  return (left - right).abs().mean();
}

// ---------------------------------------------------------------------------------------------
// Run files.

json ModelToJson(const LifterModelOptions& o) {
  return {{"type", o.type},           {"dropout", o.dropout},       {"mlp_hidden", o.mlp_hidden},
          {"mlp_blocks", o.mlp_blocks}, {"tcn_receptive_field", o.tcn_receptive_field},
          {"tcn_channels", o.tcn_channels}, {"gcn_hidden", o.gcn_hidden}, {"gcn_blocks", o.gcn_blocks}};
}

LifterModelOptions ModelFromJson(const json& j) {
  LifterModelOptions o;
  o.type = j.at("type").get<std::string>();
  o.dropout = j.at("dropout").get<double>();
  o.mlp_hidden = j.at("mlp_hidden").get<int>();
  o.mlp_blocks = j.at("mlp_blocks").get<int>();
  o.tcn_receptive_field = j.at("tcn_receptive_field").get<int>();
  o.tcn_channels = j.at("tcn_channels").get<int>();
  o.gcn_hidden = j.at("gcn_hidden").get<int>();
  o.gcn_blocks = j.at("gcn_blocks").get<int>();
  return o;
}

double JsonNumber(const json& j) { return j.is_number() ? j.get<double>() : kNaN; }

json HistoryToJson(const std::vector<EpochSummary>& history) {
  json out = json::array();
  for (const EpochSummary& e : history) {
    out.push_back({{"epoch", e.epoch},
                   {"train_loss", e.train_loss},
                   {"val_mpjpe_mm", std::isfinite(e.val_mpjpe_mm) ? json(e.val_mpjpe_mm) : json(nullptr)},
                   {"learning_rate", e.learning_rate},
                   {"samples", e.samples},
                   {"seconds", e.seconds}});
  }
  return out;
}

std::vector<EpochSummary> HistoryFromJson(const json& j) {
  std::vector<EpochSummary> out;
  for (const json& e : j) {
    EpochSummary s;
    s.epoch = e.at("epoch").get<int>();
    s.train_loss = JsonNumber(e.at("train_loss"));
    s.val_mpjpe_mm = JsonNumber(e.at("val_mpjpe_mm"));
    s.learning_rate = JsonNumber(e.at("learning_rate"));
    s.samples = e.at("samples").get<int64_t>();
    s.seconds = JsonNumber(e.at("seconds"));
    out.push_back(s);
  }
  return out;
}

std::string CheckpointPath(const std::string& run_dir) { return (fs::path(run_dir) / "checkpoint.pt").string(); }

// A model loaded from a run folder.
struct LoadedRun {
  json meta;
  LifterModelOptions model_options;
  std::vector<std::string> joint_names;
  std::string skeleton;
  std::shared_ptr<LifterNetImpl> model;
};

const Skeleton* SkeletonByName(const std::string& name, const std::vector<std::string>& joint_names) {
  LabelDataset probe;
  probe.skeleton = name;
  probe.joint_names = joint_names;
  return FindDatasetSkeleton(probe);
}

LoadedRun LoadRun(const std::string& run_dir, torch::optim::Adam* optimizer = nullptr,
                  std::shared_ptr<LifterNetImpl> model = nullptr) {
  const std::string path = CheckpointPath(run_dir);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(run_dir, "not a training run (no checkpoint.pt)");
  LoadedRun run;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue meta;
    archive.read("meta", meta);
    run.meta = json::parse(meta.toStringRef());
    run.model_options = ModelFromJson(run.meta.at("model"));
    run.joint_names = run.meta.at("joint_names").get<std::vector<std::string>>();
    run.skeleton = run.meta.at("skeleton").get<std::string>();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, std::string("unreadable checkpoint: ") + e.what());
  }
  run.model = model ? model
                    : MakeModel(run.model_options, static_cast<int>(run.joint_names.size()),
                                SkeletonByName(run.skeleton, run.joint_names));
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    run.model->load(model_archive);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
  } catch (const std::exception& e) {
    throw InputError(path, std::string("checkpoint does not match its model: ") + e.what());
  }
  run.model->eval();
  return run;
}

void WriteWeightsNpz(const torch::nn::Module& model, const std::string& path) {
  NpzWriter w(path);
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor t = item.value().detach().to(torch::kFloat32).contiguous();
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    w.Add(item.key(), NpyArray::FromData(t.data_ptr<float>(), shape));
  }
  for (const auto& item : model.named_buffers(/*recurse=*/true)) {
    const torch::Tensor& b = item.value();
    std::vector<int64_t> shape(b.sizes().begin(), b.sizes().end());
    if (b.scalar_type() == torch::kInt64) {
      const torch::Tensor t = b.contiguous();
      w.Add(item.key(), NpyArray::FromData(t.data_ptr<int64_t>(), shape));
    } else {
      const torch::Tensor t = b.detach().to(torch::kFloat32).contiguous();
      w.Add(item.key(), NpyArray::FromData(t.data_ptr<float>(), shape));
    }
  }
  w.Close();
}

void SaveRun(const std::string& run_dir, const json& meta, torch::nn::Module& model, torch::optim::Adam& optimizer) {
  fs::create_directories(run_dir);
  WriteViaTemporary(CheckpointPath(run_dir), [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("meta", c10::IValue(meta.dump()));
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.save_to(tmp);
  });
  WriteWeightsNpz(model, (fs::path(run_dir) / "weights.npz").string());
  WriteFileAtomic((fs::path(run_dir) / "run.json").string(), meta.dump(2) + "\n");
}

// ---------------------------------------------------------------------------------------------
// Inference.

torch::Tensor InputTensor(Batch& batch) {
  return torch::from_blob(batch.input.data(), {batch.size, batch.window, batch.num_joints, 2}, torch::kFloat32);
}

// Root-relative predictions [N * J] for the given samples (no augmentation; optional
// test-time flip).
std::vector<Eigen::Vector3d> Predict(LifterNetImpl& model, const LifterData& data, const std::vector<int>& samples,
                                     int window, const InferenceOptions& options,
                                     const std::vector<joint_t>& flip_permutation) {
  torch::NoGradGuard no_grad;
  model.eval();
  const int j_count = data.num_joints;
  std::vector<Eigen::Vector3d> out(samples.size() * j_count, Eigen::Vector3d::Zero());
  const int batch_size = std::max(1, options.batch_size);
  AugmentOptions flip_all;
  flip_all.flip_probability = 1.0;
  for (size_t begin = 0; begin < samples.size(); begin += batch_size) {
    const size_t end = std::min(samples.size(), begin + batch_size);
    const std::vector<int> chunk(samples.begin() + begin, samples.begin() + end);
    Batch batch = MakeBatch(data, chunk, window, AugmentOptions{}, nullptr);
    torch::Tensor pred = model.forward(InputTensor(batch)).contiguous();
    const float* p = pred.data_ptr<float>();
    torch::Tensor pred_flipped;
    const float* pf = nullptr;
    if (options.test_time_flip && !flip_permutation.empty()) {
      std::mt19937_64 unused(0);
      Batch flipped = MakeBatch(data, chunk, window, flip_all, &unused, flip_permutation);
      pred_flipped = model.forward(InputTensor(flipped)).contiguous();
      pf = pred_flipped.data_ptr<float>();
    }
    for (size_t i = 0; i < chunk.size(); ++i) {
      for (int k = 0; k < j_count; ++k) {
        const size_t src = (i * j_count + k) * 3;
        Eigen::Vector3d v(p[src], p[src + 1], p[src + 2]);
        if (pf != nullptr) {
          // The mirrored input predicts the mirrored pose: joint k is the mirror of its partner.
          const size_t m = (i * j_count + flip_permutation[k]) * 3;
          v = 0.5 * (v + Eigen::Vector3d(-pf[m], pf[m + 1], pf[m + 2]));
        }
        out[(begin + i) * j_count + k] = v;
      }
    }
  }
  return out;
}

std::vector<joint_t> FlipPermutationOf(const Skeleton* skeleton) {
  return skeleton != nullptr ? skeleton->FlipPermutation() : std::vector<joint_t>{};
}

void CheckJoints(const std::vector<std::string>& run_joints, const LabelDataset& dataset, const std::string& where) {
  if (run_joints != dataset.joint_names) {
    throw InputError(where, "the dataset's joints (" + std::to_string(dataset.num_joints()) +
                                ") differ from the model's (" + std::to_string(run_joints.size()) + ", skeleton order)");
  }
}

Points3d ToPoints(const std::vector<Eigen::Vector3d>& flat, int num_joints) {
  const int n = num_joints > 0 ? static_cast<int>(flat.size()) / num_joints : 0;
  Points3d points(n, num_joints);
  for (int s = 0; s < n; ++s)
    for (int k = 0; k < num_joints; ++k) points.at(s, k) = flat[static_cast<size_t>(s) * num_joints + k];
  return points;
}

std::vector<int> AllSamples(int n) {
  std::vector<int> s(n);
  for (int i = 0; i < n; ++i) s[i] = i;
  return s;
}

double ValidationMpjpeMm(LifterNetImpl& model, const LifterData& val, int window, const std::vector<joint_t>& root) {
  if (val.num_samples() == 0) return kNaN;
  InferenceOptions options;
  options.batch_size = 1024;
  const std::vector<Eigen::Vector3d> pred = Predict(model, val, AllSamples(val.num_samples()), window, options, {});
  const Points3d predicted = ToPoints(pred, val.num_joints);
  const Points3d truth = ToPoints(val.target, val.num_joints);
  FrameJointArray<uint8_t> valid(val.num_samples(), val.num_joints);
  valid.data() = val.valid;
  return 1e3 * MeanJointError(JointErrors(predicted, truth, &valid, PoseAlignment::kRoot, root));
}

// Seeds derived from the run seed and the epoch, so a resumed run draws what an uninterrupted
// one would have drawn.
uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions.

int64_t CountParameters(const LifterModelOptions& model, int num_joints) {
  model.Check();
  torch::NoGradGuard no_grad;
  const std::shared_ptr<LifterNetImpl> net =
      MakeModel(model, num_joints, nullptr);  // the adjacency is a buffer, not a parameter
  return NumParameters(*net);
}

TrainSummary TrainLifter(const TrainOptions& options, const LabelDataset& train, const LabelDataset& val,
                         const ProgressCallback& progress) {
  options.Check();
  train.Check("training data");
  if (val.num_samples() > 0) {
    val.Check("validation data");
    if (val.joint_names != train.joint_names) throw InputError("validation data", "joints differ from the training data's");
  }
  const int num_joints = train.num_joints();
  const Skeleton* skeleton = FindDatasetSkeleton(train);
  const bool needs_skeleton = options.augment.flip_probability > 0.0 || options.model.type == "gcn" ||
                              options.loss.bone_symmetry_weight > 0.0;
  if (needs_skeleton && skeleton == nullptr) {
    throw InputError("training data", "its joints match no known skeleton, which flipping, the gcn and the bone "
                                      "symmetry loss need (switch those off or name the skeleton in the dataset)");
  }
  const std::vector<joint_t> flip_permutation = FlipPermutationOf(skeleton);
  const std::vector<joint_t> root_joints = skeleton != nullptr ? skeleton->root : std::vector<joint_t>{};
  const int window = options.model.WindowLength();
  at::set_num_threads(options.num_threads);

  const LifterData train_data = PrepareLifterData(train, options.loss.label_weights);
  const LifterData val_data = PrepareLifterData(val, options.loss.label_weights);
  std::vector<int> train_samples;
  for (int s = 0; s < train_data.num_samples(); ++s) {
    bool labelled = false;
    for (int k = 0; k < num_joints && !labelled; ++k) labelled = train_data.weight[static_cast<size_t>(s) * num_joints + k] > 0.0f;
    if (labelled) train_samples.push_back(s);
  }
  if (train_samples.size() < 2) throw InputError("training data", "fewer than two samples carry a 3D label");

  GpaReference gpa = options.gpa_reference;
  if (options.augment.global_position_alignment && options.augment.virtual_camera_rate > 0.0 && gpa.empty()) {
    gpa = MakeGpaReference(val.keypoints2d, num_joints, val.image_size, root_joints);
    if (gpa.empty()) {
      throw InputError("global position alignment", "no target 2D poses (give a reference or a validation set with "
                                                    "visible root joints)");
    }
  }
  const BonePairs bone_pairs = MirrorBonePairs(skeleton);

  // The run folder.
  const std::string checkpoint = CheckpointPath(options.run_dir);
  std::error_code ec;
  const bool has_run = fs::exists(checkpoint, ec);
  if (has_run && !options.resume && !options.overwrite) {
    throw InputError(options.run_dir, "already holds a training run; give `resume` to continue it or `overwrite` to "
                                      "replace it");
  }

  torch::manual_seed(options.seed);
  std::shared_ptr<LifterNetImpl> model = MakeModel(options.model, num_joints, skeleton);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(options.learning_rate));
  TrainSummary summary;
  summary.model = options.model.type;
  summary.num_parameters = NumParameters(*model);
  summary.num_train_samples = static_cast<int>(train_samples.size());
  summary.num_val_samples = val.num_samples();
  summary.run_dir = options.run_dir;
  int start_epoch = 0;
  if (has_run && options.resume) {
    const LoadedRun previous = LoadRun(options.run_dir, &optimizer, model);
    if (ModelToJson(previous.model_options) != ModelToJson(options.model)) {
      throw InputError(options.run_dir, "the run was trained with other model options (" +
                                            previous.meta.at("model").dump() + "); resume with the same ones");
    }
    if (previous.joint_names != train.joint_names) {
      throw InputError(options.run_dir, "the run was trained on other joints than this dataset's");
    }
    summary.history = HistoryFromJson(previous.meta.at("history"));
    start_epoch = previous.meta.at("epochs_completed").get<int>();
  }
  summary.first_epoch = start_epoch + 1;

  auto meta_for = [&](int epochs_completed) {
    json augment = {{"flip_probability", options.augment.flip_probability},
                    {"virtual_camera_rate", options.augment.virtual_camera_rate},
                    {"virtual_rotation", options.augment.virtual_rotation},
                    {"global_position_alignment", options.augment.global_position_alignment}};
    json loss = {{"mpjpe_weight", options.loss.mpjpe_weight},
                 {"n_mpjpe_weight", options.loss.n_mpjpe_weight},
                 {"bone_symmetry_weight", options.loss.bone_symmetry_weight},
                 {"use_uncertainty", options.loss.label_weights.use_uncertainty},
                 {"uncertainty_scale", options.loss.label_weights.uncertainty_scale}};
    return json{{"format", "epilabel-lifter-run"},
                {"version", 1},
                {"model", ModelToJson(options.model)},
                {"skeleton", skeleton != nullptr ? skeleton->name : train.skeleton},
                {"joint_names", train.joint_names},
                {"num_parameters", summary.num_parameters},
                {"input", {{"layout", "[batch, window, joints, 2]"},
                           {"normalisation", "VideoPose3D: x / w * 2 - 1, y / w * 2 - h / w; missing joints 0"}}},
                {"output", {{"layout", "[batch, joints, 3]"}, {"units", "metres, camera frame, root-relative"}}},
                {"training", {{"epochs", options.epochs},
                              {"batch_size", options.batch_size},
                              {"learning_rate", options.learning_rate},
                              {"lr_decay", options.lr_decay},
                              {"max_samples_per_epoch", options.max_samples_per_epoch},
                              {"seed", options.seed},
                              {"num_threads", options.num_threads},
                              {"loss", loss},
                              {"augment", augment}}},
                {"epochs_completed", epochs_completed},
                {"history", HistoryToJson(summary.history)}};
  };

  const auto call_start = std::chrono::steady_clock::now();
  int64_t samples_this_call = 0;
  for (int epoch = start_epoch + 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const double lr = options.learning_rate * std::pow(options.lr_decay, epoch - 1);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    std::mt19937_64 rng(MixSeed(options.seed, 2 * static_cast<uint64_t>(epoch)));
    torch::manual_seed(MixSeed(options.seed, 2 * static_cast<uint64_t>(epoch) + 1));
    std::vector<int> order = train_samples;
    Shuffle(&order, rng);
    if (options.max_samples_per_epoch > 0 && static_cast<int>(order.size()) > options.max_samples_per_epoch) {
      order.resize(options.max_samples_per_epoch);
    }
    const size_t bs = static_cast<size_t>(options.batch_size);
    size_t num_batches = (order.size() + bs - 1) / bs;
    if (order.size() % bs == 1) --num_batches;  // a last batch of one sample cannot be batch-normalised
    const std::string stage = "epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs);
    model->train();
    double loss_sum = 0.0;
    int64_t seen = 0;
    for (size_t b = 0; b < num_batches; ++b) {
      const std::vector<int> chunk(order.begin() + b * bs, order.begin() + std::min(order.size(), (b + 1) * bs));
      Batch batch = MakeBatch(train_data, chunk, window, options.augment, &rng, flip_permutation, &gpa);
      const torch::Tensor input = InputTensor(batch);
      const torch::Tensor target = torch::from_blob(batch.target.data(), {batch.size, num_joints, 3}, torch::kFloat32);
      const torch::Tensor weight = torch::from_blob(batch.weight.data(), {batch.size, num_joints}, torch::kFloat32);
      const torch::Tensor pred = model->forward(input);
      torch::Tensor loss = torch::zeros({}, torch::kFloat32);
      if (options.loss.mpjpe_weight > 0.0) loss = loss + options.loss.mpjpe_weight * WeightedMpjpe(pred, target, weight);
      if (options.loss.n_mpjpe_weight > 0.0) loss = loss + options.loss.n_mpjpe_weight * WeightedNMpjpe(pred, target, weight);
      if (options.loss.bone_symmetry_weight > 0.0 && !bone_pairs.empty()) {
        loss = loss + options.loss.bone_symmetry_weight * BoneSymmetryLoss(pred, bone_pairs);
      }
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      seen += batch.size;
      if (progress) progress(stage, b + 1, num_batches);
    }
    EpochSummary e;
    e.epoch = epoch;
    e.train_loss = num_batches > 0 ? loss_sum / static_cast<double>(num_batches) : kNaN;
    e.learning_rate = lr;
    e.samples = seen;
    e.val_mpjpe_mm = ValidationMpjpeMm(*model, val_data, window, root_joints);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    samples_this_call += seen;
    summary.history.push_back(e);
    SaveRun(options.run_dir, meta_for(epoch), *model, optimizer);
    if (options.on_epoch) options.on_epoch(e);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call_start).count();
  summary.samples_per_second = seconds > 0.0 ? static_cast<double>(samples_this_call) / seconds : 0.0;
  summary.epochs_completed = std::max(start_epoch, options.epochs);
  if (!summary.history.empty()) summary.final_val_mpjpe_mm = summary.history.back().val_mpjpe_mm;
  return summary;
}

RunInfo ReadRunInfo(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "run.json").string();
  json j;
  try {
    j = json::parse(ReadFileToString(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("malformed run.json: ") + e.what());
  }
  RunInfo info;
  try {
    info.model = ModelFromJson(j.at("model"));
    info.skeleton = j.at("skeleton").get<std::string>();
    info.joint_names = j.at("joint_names").get<std::vector<std::string>>();
    info.epochs_completed = j.at("epochs_completed").get<int>();
    info.num_parameters = j.at("num_parameters").get<int64_t>();
    info.history = HistoryFromJson(j.at("history"));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not a training run description: ") + e.what());
  }
  return info;
}

Points3d PredictDataset(const std::string& run_dir, const LabelDataset& dataset, const InferenceOptions& options) {
  at::set_num_threads(std::max(1, options.num_threads));
  const LoadedRun run = LoadRun(run_dir);
  CheckJoints(run.joint_names, dataset, run_dir);
  const LifterData data = PrepareLifterData(dataset);
  const std::vector<joint_t> perm = FlipPermutationOf(SkeletonByName(run.skeleton, run.joint_names));
  return ToPoints(Predict(*run.model, data, AllSamples(data.num_samples()), run.model_options.WindowLength(), options, perm),
                  data.num_joints);
}

EvaluationSummary EvaluateLifter(const std::string& run_dir, const LabelDataset& dataset,
                                 const InferenceOptions& options, PoseMetricsOptions metrics) {
  const Points3d predicted = PredictDataset(run_dir, dataset, options);
  const LifterData data = PrepareLifterData(dataset);
  const Points3d truth = ToPoints(data.target, data.num_joints);
  FrameJointArray<uint8_t> valid(data.num_samples(), data.num_joints);
  valid.data() = data.valid;
  if (metrics.root_joints.empty()) {
    if (const Skeleton* s = FindDatasetSkeleton(dataset)) metrics.root_joints = s->root;
  }
  EvaluationSummary summary;
  summary.num_samples = dataset.num_samples();
  summary.metrics = EvaluatePoses(predicted, truth, &valid, metrics);
  return summary;
}

Points3d LiftPoses(const std::string& run_dir, const Track2d& track, const InferenceOptions& options) {
  at::set_num_threads(std::max(1, options.num_threads));
  const LoadedRun run = LoadRun(run_dir);
  if (track.num_joints != static_cast<int>(run.joint_names.size())) {
    throw InputError(run_dir, "the keypoints have " + std::to_string(track.num_joints) + " joints, the model " +
                                  std::to_string(run.joint_names.size()));
  }
  if (track.width <= 0 || track.height <= 0) throw InputError("keypoints", "the image size is unknown");
  // The track as a dataset without labels: one camera, frames in order, principal point at
  // the image centre (only the test-time flip uses it).
  LabelDataset d;
  d.joint_names = run.joint_names;
  d.camera_names = {"camera"};
  d.sequence_names = {"track"};
  const int n = track.num_frames();
  d.Resize(n);
  d.keypoints2d = track.keypoints;
  for (int f = 0; f < n; ++f) {
    d.frame[f] = f;
    d.image_size[f] = Eigen::Vector2i(track.width, track.height);
    d.K[f](0, 2) = 0.5 * (track.width - 1.0);
    d.K[f](1, 2) = 0.5 * (track.height - 1.0);
  }
  const LifterData data = PrepareLifterData(d);
  const std::vector<joint_t> perm = FlipPermutationOf(SkeletonByName(run.skeleton, run.joint_names));
  Points3d points =
      ToPoints(Predict(*run.model, data, AllSamples(n), run.model_options.WindowLength(), options, perm), data.num_joints);
  for (int f = 0; f < n; ++f) {
    bool any = false;
    for (int k = 0; k < track.num_joints && !any; ++k) any = data.keypoints[static_cast<size_t>(f) * track.num_joints + k].z() > 0.0;
    if (!any) {
      for (int k = 0; k < track.num_joints; ++k) points.at(f, k) = Eigen::Vector3d::Constant(kNaN);
    }
  }
  return points;
}

void ExportWeightsNpz(const std::string& run_dir, const std::string& npz_path) {
  const LoadedRun run = LoadRun(run_dir);
  WriteWeightsNpz(*run.model, npz_path);
}

}  // namespace epilabel

// The module's entry point (training/lifter_module.h).
extern "C" const epilabel::LifterModuleApi* epilabel_lifter_module_api() {
  static const epilabel::LifterModuleApi api{epilabel::kLifterModuleAbi,  &epilabel::TrainLifter,
                                             &epilabel::ReadRunInfo,      &epilabel::CountParameters,
                                             &epilabel::EvaluateLifter,   &epilabel::PredictDataset,
                                             &epilabel::LiftPoses,        &epilabel::ExportWeightsNpz};
  return &api;
}
