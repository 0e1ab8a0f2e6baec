// The spatio-temporal transformer lifter ("transformer"): MotionAGFormer's AGFormer blocks
// (Mehraban et al., WACV 2024) at a CPU size, with KTPFormer's kinematic and trajectory prior
// attention (Peng et al., CVPR 2024) and HoT's token pruning and recovery (Li et al., CVPR
// 2024) as options, and tokens of body parts or whole frames instead of joints. See
// training/lifter.h for the architecture.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "training/lifter_models.h"
#include "training/lifter_small_ops.h"

namespace epilabel {
namespace lifter {
namespace {

// A learnable graph convolution over N nodes, KTPFormer's prior attention: x + (A x) W with A
// initialised to a normalised adjacency (the skeleton for KPA, a chain of frames for TPA) and
// learnt from there. x [..., N, c].
class PriorGraphImpl : public torch::nn::Module {
 public:
  PriorGraphImpl(const torch::Tensor& adjacency, int channels) {
    adjacency_weight = register_parameter("adjacency", adjacency.clone());
    linear = register_module("linear", torch::nn::Linear(channels, channels));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return x + linear(MixTokens(adjacency_weight, x));
  }
  torch::Tensor adjacency_weight;
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(PriorGraph);

// Multi-head self-attention over the second-to-last axis of x [..., N, c]; with a prior graph
// (KPA / TPA) applied to the tokens before the query, key and value projections.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int channels, int heads, const torch::Tensor& prior) : heads_(heads) {
    qkv = register_module("qkv", torch::nn::Linear(channels, 3 * channels));
    proj = register_module("proj", torch::nn::Linear(channels, channels));
    if (prior.defined()) prior_graph = register_module("prior", PriorGraph(prior, channels));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor in = prior_graph ? prior_graph(x) : x;
    const auto sizes = x.sizes().vec();
    const int64_t n = sizes[sizes.size() - 2], c = sizes.back(), d = c / heads_;
    // softmax(q k^T / sqrt(d)) v per group of N tokens and head, [B, N, h, d].
    return proj(SmallSelfAttention(qkv(in).reshape({-1, n, 3, heads_, d})).reshape(sizes));
  }
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  PriorGraph prior_graph{nullptr};

 private:
  int heads_;
};
TORCH_MODULE(Attention);

// MotionAGFormer's temporal GCN: every frame's token is mixed with its k nearest frames in
// feature space (the graph is rebuilt from the features of each sample), x [B, J, T, c].
class TemporalKnnGraphImpl : public torch::nn::Module {
 public:
  TemporalKnnGraphImpl(int channels, int k) : k_(k) {
    self_linear = register_module("self_linear", torch::nn::Linear(channels, channels));
    neighbour_linear = register_module("neighbour_linear", torch::nn::Linear(channels, channels));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t t = x.size(-2);
    const int64_t k = std::min<int64_t>(k_, t - 1);
    if (k < 1) return self_linear(x);
    return self_linear(x) + neighbour_linear(NearestFramesMean(x, k));
  }
  torch::nn::Linear self_linear{nullptr}, neighbour_linear{nullptr};

 private:
  int k_;
};
TORCH_MODULE(TemporalKnnGraph);

// Two channel MLP.
torch::nn::Sequential Mlp(int channels, int hidden) {
  return torch::nn::Sequential(torch::nn::Linear(channels, hidden), torch::nn::GELU(), torch::nn::Linear(hidden, channels));
}

// Adaptive fusion of the two streams: per token softmax weights over (attention, graph) from
// both outputs; the weighted streams are concatenated back to the full width.
class FusionImpl : public torch::nn::Module {
 public:
  explicit FusionImpl(int channels) { gate = register_module("gate", torch::nn::Linear(channels, 2)); }
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& g) {
    const torch::Tensor both = torch::cat({a, g}, -1);
    const torch::Tensor w = torch::softmax(gate(both), -1);
    return torch::cat({a * w.narrow(-1, 0, 1), g * w.narrow(-1, 1, 1)}, -1);
  }
  torch::nn::Linear gate{nullptr};
};
TORCH_MODULE(Fusion);

// One AGFormer block: a spatial part (attention over the tokens of each frame | skeleton GCN)
// and a temporal part (attention over the frames of each token | temporal k-NN GCN). In each,
// the first half of the channels goes through attention, the second through the graph, and
// the fused result is added to the input, followed by a channel MLP. x [B, T, N, C] with N
// tokens per frame (joints or parts; `adjacency` theirs). With one token per frame the spatial
// part has nothing to mix and is left out.
class AgBlockImpl : public torch::nn::Module {
 public:
  AgBlockImpl(const LifterModelOptions& o, int num_tokens, const torch::Tensor& kpa, const torch::Tensor& tpa)
      : half_(o.transformer_dim / 2), spatial_(num_tokens > 1) {
    const int c = o.transformer_dim, h = half_, heads = o.transformer_heads;
    auto layer_norm = [&](const char* name) {
      return register_module(name, torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
    };
    if (spatial_) {
      norm_s = layer_norm("norm_s");
      norm_s_mlp = layer_norm("norm_s_mlp");
    }
    norm_t = layer_norm("norm_t");
    norm_t_mlp = layer_norm("norm_t_mlp");
    if (spatial_) {
      spatial_attention = register_module("spatial_attention", Attention(h, heads, kpa));
      spatial_graph = register_module("spatial_graph", GraphConv(num_tokens, h, h));
    }
    temporal_attention = register_module("temporal_attention", Attention(h, heads, tpa));
    temporal_graph = register_module("temporal_graph", TemporalKnnGraph(h, o.transformer_knn));
    if (spatial_) spatial_fusion = register_module("spatial_fusion", Fusion(c));
    temporal_fusion = register_module("temporal_fusion", Fusion(c));
    if (spatial_) spatial_mlp = register_module("spatial_mlp", Mlp(c, 2 * c));
    temporal_mlp = register_module("temporal_mlp", Mlp(c, 2 * c));
  }
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& self_coeff, const torch::Tensor& neighbours) {
    torch::Tensor n;
    if (spatial_) {
      n = norm_s(x);
      x = x + spatial_fusion(spatial_attention(n.narrow(-1, 0, half_)),
                             spatial_graph(n.narrow(-1, half_, half_), self_coeff, neighbours));
      x = x + spatial_mlp->forward(norm_s_mlp(x));
    }
    n = norm_t(x).transpose(1, 2);  // [B, N, T, C]
    const torch::Tensor t = temporal_fusion(temporal_attention(n.narrow(-1, 0, half_)),
                                            temporal_graph(n.narrow(-1, half_, half_)));
    x = x + t.transpose(1, 2);
    return x + temporal_mlp->forward(norm_t_mlp(x));
  }
  torch::nn::LayerNorm norm_s{nullptr}, norm_s_mlp{nullptr}, norm_t{nullptr}, norm_t_mlp{nullptr};
  Attention spatial_attention{nullptr}, temporal_attention{nullptr};
  GraphConv spatial_graph{nullptr};
  TemporalKnnGraph temporal_graph{nullptr};
  Fusion spatial_fusion{nullptr}, temporal_fusion{nullptr};
  torch::nn::Sequential spatial_mlp{nullptr}, temporal_mlp{nullptr};

 private:
  int half_;
  bool spatial_;
};
TORCH_MODULE(AgBlock);

// HoT's token pruning (Li et al., "Hourglass Tokenizer", CVPR 2024): the indices [B, n] of the
// n most representative frames by density-peak clustering with k nearest neighbours (DPC-kNN)
// on the frame tokens f [B, T, C] (mean over the joints): density rho_i = exp(-mean squared
// distance to its k nearest frames), delta_i = distance to the nearest denser frame (the
// largest distance for the densest), score rho * delta; in temporal order. Not differentiated.
torch::Tensor DensityPeakFrames(const torch::Tensor& f, int n, int k) {
  torch::NoGradGuard no_grad;
  const int64_t t = f.size(1);
  const int64_t kk = std::max<int64_t>(1, std::min<int64_t>(k, t - 1));
  const torch::Tensor sq = f.pow(2).sum(-1, true);
  const torch::Tensor dist =
      (sq + sq.transpose(1, 2) - 2.0 * f.matmul(f.transpose(1, 2))).clamp_min(0.0).div(f.size(2)).sqrt();  // [B, T, T]
  const torch::Tensor nearest = std::get<0>(dist.topk(kk + 1, -1, /*largest=*/false));  // self (0) included
  // A tiny ramp breaks ties in a fixed way.
  const torch::Tensor density = (-nearest.pow(2).sum(-1) / static_cast<double>(kk)).exp() +
                                torch::arange(t, f.options()) * (1e-6 / static_cast<double>(t));
  const torch::Tensor denser = density.unsqueeze(1) > density.unsqueeze(2);  // [B, i, j]: rho_j > rho_i
  const torch::Tensor largest = dist.amax({1, 2}, /*keepdim=*/true);
  const torch::Tensor delta = std::get<0>(torch::where(denser, dist, largest.expand_as(dist)).min(-1));
  const torch::Tensor keep = std::get<1>((density * delta).topk(n, -1));
  return std::get<0>(keep.sort(-1));
}

// HoT's token recovering attention for the one frame the lifter outputs (the centre): a learnt
// query plus the centre frame's token before pruning attends, per joint, to the kept frames.
class RecoveryImpl : public torch::nn::Module {
 public:
  RecoveryImpl(int channels, int heads) : heads_(heads) {
    query = register_parameter("query", torch::zeros({channels}));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({channels})));
    q = register_module("q", torch::nn::Linear(channels, channels));
    kv = register_module("kv", torch::nn::Linear(channels, 2 * channels));
    proj = register_module("proj", torch::nn::Linear(channels, channels));
  }
  // centre [B, J, C] (before pruning), kept [B, N, J, C] -> [B, J, C].
  torch::Tensor forward(const torch::Tensor& centre, const torch::Tensor& kept) {
    const int64_t b = kept.size(0), n = kept.size(1), j = kept.size(2), c = kept.size(3), d = c / heads_;
    // One query per joint: products and sums instead of many tiny batched matrix products.
    const torch::Tensor qh = q(norm(centre + query)).reshape({b, 1, j, heads_, d});
    const torch::Tensor kvh = kv(norm(kept)).reshape({b, n, j, 2, heads_, d});
    const torch::Tensor w = torch::softmax((qh * kvh.select(3, 0)).sum(-1) / std::sqrt(double(d)), 1);  // [B, N, J, h]
    return centre + proj((w.unsqueeze(-1) * kvh.select(3, 1)).sum(1).reshape({b, j, c}));
  }
  torch::Tensor query;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear q{nullptr}, kv{nullptr}, proj{nullptr};

 private:
  int heads_;
};
TORCH_MODULE(Recovery);

// The normalised adjacency of a chain of `n` frames (t - 1, t, t + 1), TPA's prior.
torch::Tensor ChainAdjacency(int n) {
  torch::Tensor a = torch::eye(n);
  for (int i = 0; i + 1 < n; ++i) a[i][i + 1] = a[i + 1][i] = 1.0;
  const torch::Tensor d = a.sum(1).rsqrt();
  return d.unsqueeze(1) * a * d.unsqueeze(0);
}

// The body part of a joint by its name: 0 torso, 1 head, 2 / 3 left / right arm, 4 / 5 left /
// right leg (a hip with a side belongs to its leg, a shoulder to its arm; mid-hip, pelvis,
// spine, neck and unnamed joints to the torso).
int BodyPartOfJoint(const std::string& name) {
  auto has = [&name](std::initializer_list<const char*> words) {
    for (const char* w : words)
      if (name.find(w) != std::string::npos) return true;
    return false;
  };
  const int side = has({"left"}) ? 0 : has({"right"}) ? 1 : -1;
  if (side >= 0 && has({"hip", "knee", "ankle", "heel", "toe", "foot"})) return 4 + side;
  if (side >= 0 && has({"shoulder", "elbow", "wrist", "hand", "thumb", "index", "pinky", "finger"})) return 2 + side;
  if (has({"head", "nose", "eye", "ear", "mouth", "jaw", "chin"})) return 1;
  return 0;
}

// The joints of each token of a frame: one per joint ("joints"), per non-empty body part
// ("parts"; one part without a skeleton) or one of all joints ("frames").
std::vector<std::vector<int64_t>> TokenJoints(const std::string& tokens, int num_joints, const Skeleton* skeleton) {
  std::vector<std::vector<int64_t>> groups;
  if (tokens == "joints") {
    for (int k = 0; k < num_joints; ++k) groups.push_back({k});
    return groups;
  }
  std::vector<std::vector<int64_t>> parts(6);
  for (int k = 0; k < num_joints; ++k) {
    const bool named = tokens == "parts" && skeleton != nullptr && k < skeleton->num_joints();
    parts[named ? BodyPartOfJoint(skeleton->joint_names[k]) : 0].push_back(k);
  }
  for (auto& p : parts)
    if (!p.empty()) groups.push_back(std::move(p));
  return groups;
}

// The normalised adjacency D^-1/2 (A + I) D^-1/2 of the tokens: two parts are adjacent when a
// bone joins them (the skeleton's own for joint tokens).
torch::Tensor TokenAdjacency(const std::vector<std::vector<int64_t>>& groups, int num_joints, const Skeleton* skeleton) {
  const int64_t n = static_cast<int64_t>(groups.size());
  if (n == num_joints) return SkeletonAdjacency(num_joints, skeleton);
  std::vector<int64_t> group_of(num_joints, 0);
  for (int64_t g = 0; g < n; ++g)
    for (int64_t k : groups[g]) group_of[k] = g;
  torch::Tensor a = torch::eye(n);
  if (skeleton != nullptr) {
    for (const Bone& bone : skeleton->bones) {
      if (bone.parent < 0 || bone.child < 0 || bone.parent >= num_joints || bone.child >= num_joints) continue;
      const int64_t p = group_of[bone.parent], q = group_of[bone.child];
      a[p][q] = a[q][p] = 1.0;
    }
  }
  const torch::Tensor d = a.sum(1).rsqrt();
  return d.unsqueeze(1) * a * d.unsqueeze(0);
}

class TransformerNet : public LifterNetImpl {
 public:
  TransformerNet(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton)
      : prune_tokens_(o.transformer_prune_tokens), knn_(o.transformer_knn), num_joints_(num_joints),
        joint_tokens_(o.transformer_tokens == "joints") {
    const int c = o.transformer_dim, t = o.transformer_window;
    const std::vector<std::vector<int64_t>> groups = TokenJoints(o.transformer_tokens, num_joints, skeleton);
    const int tokens = static_cast<int>(groups.size());
    adjacency_ = register_buffer("adjacency", TokenAdjacency(groups, num_joints, skeleton));
    const torch::Tensor kpa = o.kpa ? adjacency_ : torch::Tensor();
    if (joint_tokens_) {
      embed = register_module("embed", torch::nn::Linear(o.InputChannels(), c));
      joint_position = register_parameter("joint_position", torch::randn({num_joints, c}) * 0.02);
    } else {
      // One linear map (or two-layer MLP) per token from the 2D of its joints (a part's, or the
      // whole frame's).
      part_embed = register_module("part_embed", torch::nn::ModuleList());
      for (size_t g = 0; g < groups.size(); ++g) {
        part_joints_.push_back(torch::tensor(groups[g]));  // constant indices, not state
        const int in = o.InputChannels() * static_cast<int>(groups[g].size());
        if (o.transformer_pose_mlp) {
          part_embed->push_back(torch::nn::Sequential(torch::nn::Linear(in, c), torch::nn::GELU(), torch::nn::Linear(c, c)));
        } else {
          part_embed->push_back(torch::nn::Linear(in, c));
        }
      }
      joint_position = register_parameter("token_position", torch::randn({tokens, c}) * 0.02);
    }
    frame_position = register_parameter("frame_position", torch::randn({t, 1, c}) * 0.02);
    blocks_list = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < o.transformer_depth; ++i) {
      // After pruning (from block kPruneAfter on) the temporal prior chains the kept frames.
      const int frames = prune_tokens_ > 0 && i >= kPruneAfter ? prune_tokens_ : t;
      blocks.push_back(AgBlock(o, tokens, kpa, o.tpa ? ChainAdjacency(frames) : torch::Tensor()));
      blocks_list->push_back(blocks.back());
    }
    if (prune_tokens_ > 0) recovery = register_module("recovery", Recovery(c, o.transformer_heads));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
    // Joint tokens: each token its joint's 3D; other tokens: a frame's tokens all joints' 3D.
    head = register_module("head", torch::nn::Linear(joint_tokens_ ? c : tokens * c, joint_tokens_ ? 3 : 3 * num_joints));
  }
  torch::Tensor ForwardAllFrames(const torch::Tensor& x) override {
    if (prune_tokens_ > 0) return {};
    const torch::Tensor self_coeff = adjacency_.diagonal();
    const torch::Tensor neighbours = adjacency_ - torch::diag(self_coeff);
    torch::Tensor y = Embed(x);  // [B, T, N, C]
    for (auto& block : blocks) y = block(y, self_coeff, neighbours);
    return Head(y);  // [B, T, J, 3]
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const torch::Tensor self_coeff = adjacency_.diagonal();
    const torch::Tensor neighbours = adjacency_ - torch::diag(self_coeff);
    const int64_t centre = x.size(1) / 2;
    torch::Tensor y = Embed(x);  // [B, T, N, C]
    torch::Tensor centre_token;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (prune_tokens_ > 0 && static_cast<int>(i) == kPruneAfter) {
        centre_token = y.select(1, centre);
        const torch::Tensor keep = DensityPeakFrames(y.mean(2), prune_tokens_, knn_);  // [B, N]
        y = y.gather(1, keep.view({y.size(0), -1, 1, 1}).expand({-1, -1, y.size(2), y.size(3)}));
      }
      y = blocks[i](y, self_coeff, neighbours);
    }
    const torch::Tensor out = prune_tokens_ > 0 ? recovery(centre_token, y) : y.select(1, centre);
    return Head(out);  // the centre frame, [B, J, 3]
  }

 private:
  // x [B, T, J, c_in] -> tokens with their positions [B, T, N, C].
  torch::Tensor Embed(const torch::Tensor& x) {
    if (joint_tokens_) return embed(x) + joint_position + frame_position;
    std::vector<torch::Tensor> tokens;
    for (size_t g = 0; g < part_joints_.size(); ++g) {
      const torch::Tensor part = x.index_select(2, part_joints_[g]);
      const std::shared_ptr<torch::nn::Module> embed_g = part_embed->ptr(g);
      const torch::Tensor flat = part.flatten(2);
      if (auto* linear = embed_g->as<torch::nn::Linear>()) {
        tokens.push_back(linear->forward(flat));
      } else {
        tokens.push_back(embed_g->as<torch::nn::Sequential>()->forward(flat));
      }
    }
    return torch::stack(tokens, 2) + joint_position + frame_position;
  }
  // Tokens [..., N, C] -> joints [..., J, 3].
  torch::Tensor Head(const torch::Tensor& y) {
    if (joint_tokens_) return head(norm(y));
    torch::Tensor out = head(norm(y).flatten(-2));
    std::vector<int64_t> shape = out.sizes().vec();
    shape.back() = num_joints_;
    shape.push_back(3);
    return out.reshape(shape);
  }

  static constexpr int kPruneAfter = 1;  // HoT prunes after an early block
  int prune_tokens_, knn_, num_joints_;
  bool joint_tokens_;
  Recovery recovery{nullptr};
  torch::Tensor adjacency_, joint_position, frame_position;
  std::vector<torch::Tensor> part_joints_;
  torch::nn::Linear embed{nullptr}, head{nullptr};
  torch::nn::ModuleList part_embed{nullptr}, blocks_list{nullptr};
  std::vector<AgBlock> blocks;
  torch::nn::LayerNorm norm{nullptr};
};

}  // namespace

std::shared_ptr<LifterNetImpl> MakeTransformer(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton) {
  return std::make_shared<TransformerNet>(o, num_joints, skeleton);
}

}  // namespace lifter
}  // namespace epilabel
