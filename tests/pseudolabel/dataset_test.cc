#include "pseudolabel/dataset.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/pseudolabel/toy_scene.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

void ExpectSameDataset(const LabelDataset& a, const LabelDataset& b) {
  EXPECT_EQ(a.skeleton, b.skeleton);
  EXPECT_EQ(a.joint_names, b.joint_names);
  EXPECT_EQ(a.camera_names, b.camera_names);
  EXPECT_EQ(a.sequence_names, b.sequence_names);
  ASSERT_EQ(a.num_samples(), b.num_samples());
  for (size_t i = 0; i < a.keypoints2d.size(); ++i) {
    ASSERT_EQ(a.keypoints2d[i], b.keypoints2d[i]) << i;
    if (a.valid[i]) {
      ASSERT_EQ(a.points3d_cam[i], b.points3d_cam[i]) << i;
      ASSERT_EQ(a.uncertainty[i], b.uncertainty[i]) << i;
    }
  }
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.root_cam, b.root_cam);
  EXPECT_EQ(a.K, b.K);
  EXPECT_EQ(a.image_size, b.image_size);
  EXPECT_EQ(a.camera, b.camera);
  EXPECT_EQ(a.frame, b.frame);
  EXPECT_EQ(a.sequence, b.sequence);
}

TEST(GroundTruthDataset, LabelsArePosesInEachCameraFrame) {
  const Rig rig = testing::RingRig(3);
  const Points3d poses = testing::ToyMotion(20, 1);
  const Skeleton& skeleton = GetSkeleton("coco17");
  GroundTruthDatasetOptions options;
  options.sequence_name = "walk";
  options.skeleton = "coco17";
  options.joint_names = skeleton.joint_names;
  options.root_joints = skeleton.root;
  std::vector<int64_t> frames(20);
  for (int f = 0; f < 20; ++f) frames[f] = 100 + f;
  const LabelDataset d = MakeGroundTruthDataset(rig, poses, frames, nullptr, options);
  ASSERT_EQ(d.num_samples(), 3 * 20);  // the person is in view of every camera
  for (int s = 0; s < d.num_samples(); ++s) {
    const Camera& cam = rig[d.camera[s]];
    const int f = static_cast<int>(d.frame[s] - 100);
    EXPECT_EQ(d.K[s], cam.K());
    EXPECT_EQ(d.image_size[s], Eigen::Vector2i(cam.width, cam.height));
    const Eigen::Vector3d root = cam.cam_from_world * (0.5 * (poses.at(f, 11) + poses.at(f, 12)));
    EXPECT_LT((d.root_cam[s] - root).norm(), 1e-12);
    for (int j = 0; j < 17; ++j) {
      const size_t i = d.Index(s, j);
      EXPECT_LT((d.points3d_cam[i] - cam.cam_from_world * poses.at(f, j)).norm(), 1e-12);
      EXPECT_EQ(d.valid[i], 1);
      EXPECT_EQ(d.uncertainty[i], 0.0);
      // Exact projections: the 2D input is K times the 3D label.
      const Eigen::Vector3d h = d.K[s] * d.points3d_cam[i];
      EXPECT_LT((h.hnormalized() - d.keypoints2d[i].head<2>()).norm(), 1e-9);
      EXPECT_EQ(d.keypoints2d[i].z(), 1.0);
    }
  }
  // A camera that looks away sees nothing and contributes no sample.
  Rig away = rig;
  away.push_back(testing::LookAtCamera("away", Eigen::Vector3d(0, 10, 1), Eigen::Vector3d(0, 20, 1), 640, 480, 500));
  EXPECT_EQ(MakeGroundTruthDataset(away, poses, frames, nullptr, options).num_samples(), 3 * 20);
}

TEST(Dataset, NpzRoundTripKeepsEveryField) {
  testing::TempDir dir;
  LabelDataset d = testing::ToyDataset(2, 15, 3, "seq_a", 2.0);
  d.valid[d.Index(4, 3)] = 0;  // a masked joint
  d.points3d_cam[d.Index(4, 3)] = Eigen::Vector3d::Constant(kNaN);
  d.uncertainty[d.Index(4, 3)] = kNaN;
  d.uncertainty[d.Index(5, 2)] = 0.012;
  WriteDatasetNpz(d, dir / "set/dataset.npz");
  ExpectSameDataset(d, ReadDatasetNpz(dir / "set/dataset.npz"));
  // A dataset folder works as well.
  ExpectSameDataset(d, ReadDatasetNpz(dir / "set"));
}

TEST(Dataset, NumpyReadsTheShapesAndTypes) {
  testing::TempDir dir;
  const LabelDataset d = testing::ToyDataset(3, 10, 4, "s0");
  const std::string path = dir / "dataset.npz";
  WriteDatasetNpz(d, path);
  const std::string script = dir / "check.py";
  std::ofstream(script) << R"(import numpy as np, sys
z = np.load(sys.argv[1])
n, j = int(sys.argv[2]), int(sys.argv[3])
assert z['keypoints2d'].shape == (n, j, 3) and z['keypoints2d'].dtype == np.float64
assert z['points3d_cam'].shape == (n, j, 3) and z['points3d_cam'].dtype == np.float64
assert z['root_cam'].shape == (n, 3)
assert z['K'].shape == (n, 3, 3)
assert z['image_size'].shape == (n, 2) and z['image_size'].dtype == np.int32
assert z['camera'].shape == (n,) and z['camera'].dtype == np.int32
assert z['frame'].shape == (n,) and z['frame'].dtype == np.int64
assert z['sequence'].shape == (n,) and z['sequence'].dtype == np.int32
assert z['valid'].shape == (n, j) and z['valid'].dtype == np.uint8
assert z['uncertainty'].shape == (n, j) and z['uncertainty'].dtype == np.float64
assert len(z['joint_names']) == j and z['joint_names'][0] == 'nose'
assert list(z['camera_names']) == ['cam0', 'cam1', 'cam2']
assert list(z['sequence_names']) == ['s0'] and z['skeleton'][0] == 'coco17'
# K is row-major (fx at [0,0], cx at [0,2]) and the 2D points are the projections of the labels.
p = np.einsum('nab,njb->nja', z['K'], z['points3d_cam'])
assert np.abs(p[..., :2] / p[..., 2:] - z['keypoints2d'][..., :2]).max() < 1e-6
# The root is the mid-hip (COCO joints 11 and 12).
assert np.abs(z['points3d_cam'][:, 11:13].mean(axis=1) - z['root_cam']).max() < 1e-9
print('ok')
)";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path + " " +
                              std::to_string(d.num_samples()) + " 17");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(Dataset, MergeRemapsCamerasAndKeepsSequencesApart) {
  LabelDataset a = testing::ToyDataset(2, 5, 1, "a");
  LabelDataset b = testing::ToyDataset(3, 4, 2, "b");
  // b lists its cameras in another order: cam2, cam0, cam1.
  for (int32_t& c : b.camera) c = (c + 1) % 3;
  b.camera_names = {"cam2", "cam0", "cam1"};
  const LabelDataset m = MergeDatasets({a, b});
  EXPECT_EQ(m.num_samples(), a.num_samples() + b.num_samples());
  EXPECT_EQ(m.camera_names, (std::vector<std::string>{"cam0", "cam1", "cam2"}));
  EXPECT_EQ(m.sequence_names, (std::vector<std::string>{"a", "b"}));
  for (int s = 0; s < b.num_samples(); ++s) {
    const int row = a.num_samples() + s;
    EXPECT_EQ(m.camera_names[m.camera[row]], b.camera_names[b.camera[s]]);
    EXPECT_EQ(m.sequence[row], 1);
    EXPECT_EQ(m.keypoints2d[m.Index(row, 5)], b.keypoints2d[b.Index(s, 5)]);
  }
  for (int s = 0; s < a.num_samples(); ++s) EXPECT_EQ(m.camera[s], a.camera[s]);
  // The same sequence name twice is refused, as are different joints.
  EXPECT_THROW(MergeDatasets({a, a}), InputError);
  LabelDataset c = b;
  c.sequence_names = {"c"};
  c.joint_names[0] = "head";
  EXPECT_THROW(MergeDatasets({a, c}), InputError);
}

TEST(Dataset, SelectSamplesKeepsRowsInOrder) {
  const LabelDataset d = testing::ToyDataset(2, 6, 5, "s");
  const LabelDataset s = SelectSamples(d, {7, 2});
  ASSERT_EQ(s.num_samples(), 2);
  EXPECT_EQ(s.frame[0], d.frame[7]);
  EXPECT_EQ(s.camera[1], d.camera[2]);
  EXPECT_EQ(s.points3d_cam[s.Index(1, 16)], d.points3d_cam[d.Index(2, 16)]);
}

TEST(Dataset, ReadingBadFilesNamesTheProblem) {
  testing::TempDir dir;
  const LabelDataset d = testing::ToyDataset(2, 3, 6, "s");
  const std::string good = dir / "good.npz";
  WriteDatasetNpz(d, good);
  auto npz = ReadNpz(good);
  auto write_without = [&](const std::string& name, const std::string& path) {
    NpzWriter w(path);
    for (const auto& [key, array] : npz) {
      if (key != name) w.Add(key, array);
    }
    w.Close();
  };
  write_without("points3d_cam", dir / "missing.npz");
  try {
    ReadDatasetNpz(dir / "missing.npz");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("points3d_cam"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.npz"), std::string::npos) << e.what();
  }
  // A camera id out of range.
  std::vector<int32_t> cameras(d.num_samples(), 7);
  npz["camera"] = NpyArray::FromVector(cameras, {d.num_samples()});
  write_without("", dir / "badcam.npz");
  try {
    ReadDatasetNpz(dir / "badcam.npz");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("camera id 7"), std::string::npos) << e.what();
  }
  // A wrong shape.
  npz = ReadNpz(good);
  npz["valid"] = NpyArray::FromVector(std::vector<uint8_t>(d.num_samples() * 3, 1), {d.num_samples(), 3});
  write_without("", dir / "badshape.npz");
  EXPECT_THROW(ReadDatasetNpz(dir / "badshape.npz"), InputError);
  EXPECT_THROW(ReadDatasetNpz(dir / "nothing.npz"), InputError);
}

TEST(Dataset, OptionalArraysGetDefaults) {
  testing::TempDir dir;
  const LabelDataset d = testing::ToyDataset(2, 3, 7, "s");
  WriteDatasetNpz(d, dir / "full.npz");
  auto npz = ReadNpz(dir / "full.npz");
  NpzWriter w(dir / "minimal.npz");
  for (const auto& [key, array] : npz) {
    if (key != "valid" && key != "uncertainty" && key != "sequence_names" && key != "skeleton" && key != "image_size")
      w.Add(key, array);
  }
  w.Close();
  const LabelDataset m = ReadDatasetNpz(dir / "minimal.npz");
  EXPECT_EQ(m.valid, d.valid);
  EXPECT_EQ(m.sequence_names, (std::vector<std::string>{"seq0"}));
  EXPECT_TRUE(m.skeleton.empty());
  // The toy cameras have their principal point at the image centre: 2 cx = width - 1.
  EXPECT_NEAR(m.image_size[0].x(), d.image_size[0].x(), 1);
}

}  // namespace
}  // namespace epilabel
