// The regression lifters: mlp (Martinez et al. 2017), tcn (VideoPose3D) and gcn (skeleton
// graph), and the model factory.
#include "training/lifter_models.h"

#include <cmath>
#include <utility>

#include "detection/skeleton.h"
#include "training/graph.h"

namespace epilabel {
namespace lifter {

namespace {

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
  MlpNet(int num_joints, const LifterModelOptions& o) : num_joints_(num_joints), channels_(o.InputChannels()) {
    w1 = register_module("w1", torch::nn::Linear(channels_ * num_joints, o.mlp_hidden));
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
    torch::Tensor y = drop(torch::relu(batch_norm1(w1(x.reshape({b, channels_ * num_joints_})))));
    for (auto& block : blocks) y = block(y);
    return w2(y).reshape({b, num_joints_, 3});
  }

 private:
  int num_joints_, channels_;
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
  TcnNet(int num_joints, const LifterModelOptions& o) : num_joints_(num_joints), channels_(o.InputChannels()) {
    int layers = 0;
    for (int r = o.tcn_receptive_field; r > 1; r /= 3) ++layers;
    const int c = o.tcn_channels;
    auto conv = [](int in, int out, int width) {
      return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, width).stride(width).bias(false));
    };
    expand_conv = register_module("expand_conv", conv(channels_ * num_joints, c, 3));
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
    torch::Tensor y = x.reshape({b, t, channels_ * num_joints_}).permute({0, 2, 1});
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
  int num_joints_, channels_;
  torch::nn::Conv1d expand_conv{nullptr}, shrink{nullptr};
  torch::nn::BatchNorm1d expand_bn{nullptr};
  torch::nn::ModuleList layers_conv{nullptr}, layers_bn{nullptr};
  std::vector<torch::nn::Conv1d> convs;
  std::vector<torch::nn::BatchNorm1d> bns;
  torch::nn::Dropout drop{nullptr};
};

}  // namespace

GraphConvImpl::GraphConvImpl(int num_joints, int in, int out) : out_(out) {
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

torch::Tensor GraphConvImpl::forward(const torch::Tensor& x, const torch::Tensor& self_coeff,
                                     const torch::Tensor& neighbours) {
  // One matrix product for the three weights, then split.
  const int64_t f = x.dim() - 1;
  const torch::Tensor h = x.matmul(torch::cat({self_weight, neighbour_weight, global_weight}, 1));
  const torch::Tensor h_self = h.narrow(f, 0, out_), h_nb = h.narrow(f, out_, out_), h_global = h.narrow(f, 2 * out_, out_);
  torch::Tensor y = h_self * self_coeff.view({-1, 1});
  // sum_k a_ik h_k for every batch element as one matrix product: [..., out, J] x [J, J]^T.
  y = y + h_nb.transpose(f - 1, f).matmul(neighbours.t()).transpose(f - 1, f);
  y = y + h_global.mean(f - 1, /*keepdim=*/true);
  return y * modulation + bias;
}

torch::Tensor JointBatchNorm(torch::nn::BatchNorm1d& bn, const torch::Tensor& x) {
  // Contiguous copies: libtorch's CPU batch norm is very slow on the permuted (strided) view.
  return bn(x.permute({0, 2, 1}).contiguous()).permute({0, 2, 1}).contiguous();
}

torch::Tensor SkeletonAdjacency(int num_joints, const Skeleton* skeleton) {
  const Eigen::MatrixXd adjacency = skeleton == nullptr
                                        ? Eigen::MatrixXd::Identity(num_joints, num_joints)
                                        : NormalizedAdjacency(BuildSkeletonGraph(num_joints, skeleton->bones));
  torch::Tensor a = torch::empty({num_joints, num_joints}, torch::kFloat32);
  for (int i = 0; i < num_joints; ++i)
    for (int k = 0; k < num_joints; ++k) a[i][k] = static_cast<float>(adjacency(i, k));
  return a;
}

namespace {

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
  GcnNet(int num_joints, const LifterModelOptions& o, const torch::Tensor& adjacency)
      : num_joints_(num_joints), channels_(o.InputChannels()) {
    adjacency_ = register_buffer("adjacency", adjacency);
    input_conv = register_module("input_conv", GraphConv(num_joints, channels_, o.gcn_hidden));
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
    torch::Tensor y = x.select(1, centre).reshape({b, num_joints_, channels_});
    y = drop(torch::relu(JointBatchNorm(input_bn, input_conv(y, self_coeff, neighbours))));
    for (auto& block : blocks) y = block(y, self_coeff, neighbours);
    return output_conv(y, self_coeff, neighbours);
  }

 private:
  int num_joints_, channels_;
  torch::Tensor adjacency_;
  GraphConv input_conv{nullptr}, output_conv{nullptr};
  torch::nn::BatchNorm1d input_bn{nullptr};
  torch::nn::ModuleList blocks_list{nullptr};
  std::vector<GcnBlock> blocks;
  torch::nn::Dropout drop{nullptr};
};

}  // namespace

namespace {

// UAO's uncertainty head around any regression lifter.
class UncertaintyNet : public LifterNetImpl {
 public:
  UncertaintyNet(std::shared_ptr<LifterNetImpl> backbone, int num_joints) : num_joints_(num_joints) {
    backbone_ = register_module("backbone", std::move(backbone));
    const int hidden = 128;
    head = register_module("sigma_head", torch::nn::Sequential(torch::nn::Linear(5 * num_joints, hidden),
                                                                torch::nn::ReLU(), torch::nn::Linear(hidden, num_joints)));
    // Start at sigma = 10 cm, the order of an untrained lifter's error.
    torch::NoGradGuard no_grad;
    head->ptr<torch::nn::LinearImpl>(2)->bias.fill_(std::log(0.1));
  }
  torch::Tensor forward(const torch::Tensor& x) override { return backbone_->forward(x); }
  torch::Tensor TrainingForward(const torch::Tensor& x, const torch::Tensor& target) override {
    return backbone_->TrainingForward(x, target);
  }
  torch::Tensor Hypotheses(const torch::Tensor& x, int hypotheses, int steps, uint64_t seed) override {
    return backbone_->Hypotheses(x, hypotheses, steps, seed);
  }
  torch::Tensor ForwardAllFrames(const torch::Tensor& x) override { return backbone_->ForwardAllFrames(x); }
  torch::Tensor LogSigma(const torch::Tensor& x, const torch::Tensor& pred) override {
    const int64_t b = x.size(0);
    // The normalised pixels of the centre frame (not the perspective encoding's rays).
    const torch::Tensor centre = x.select(1, x.size(1) / 2).narrow(-1, 0, 2).reshape({b, 2 * num_joints_});
    const torch::Tensor features = torch::cat({centre, pred.detach().reshape({b, 3 * num_joints_})}, 1);
    // Bounded to sigma in [1 mm, 7 m] for a stable loss.
    return head->forward(features).clamp(-7.0, 2.0);
  }

 private:
  int num_joints_;
  std::shared_ptr<LifterNetImpl> backbone_;
  torch::nn::Sequential head{nullptr};
};

std::shared_ptr<LifterNetImpl> MakeBackbone(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton) {
  if (o.type == "mlp") return std::make_shared<MlpNet>(num_joints, o);
  if (o.type == "tcn") return std::make_shared<TcnNet>(num_joints, o);
  if (o.type == "transformer") return MakeTransformer(o, num_joints, skeleton);
  if (o.type == "diffusion") return MakeDiffusion(o, num_joints, skeleton);
  return std::make_shared<GcnNet>(num_joints, o, SkeletonAdjacency(num_joints, skeleton));
}

}  // namespace

std::shared_ptr<LifterNetImpl> MakeModel(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton) {
  std::shared_ptr<LifterNetImpl> model = MakeBackbone(o, num_joints, skeleton);
  if (!o.uncertainty_head) return model;
  return std::make_shared<UncertaintyNet>(std::move(model), num_joints);
}

int64_t NumParameters(const torch::nn::Module& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

}  // namespace lifter
}  // namespace epilabel
