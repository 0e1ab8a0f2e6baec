#include "geometry/sfm/world_frame.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

// COCO-17 indices of the walker.
constexpr joint_t kLEar = 3, kREar = 4, kLShoulder = 5, kRShoulder = 6, kLElbow = 7, kRElbow = 8, kLWrist = 9,
                  kRWrist = 10, kLHip = 11, kRHip = 12, kLKnee = 13, kRKnee = 14, kLAnkle = 15, kRAnkle = 16;

// The walker's segments (walker_fixture.h): shin 0.42, thigh 0.43, mid-hip to mid-ear 0.74,
// hip-shoulder 0.50, upper arm 0.29, forearm 0.26 (metres).
constexpr double kLegs = 0.42 + 0.43, kTrunk = 0.74, kTorso = 0.50, kArm = 0.29 + 0.26;

WorldFrameOptions CocoOptions() {
  WorldFrameOptions o;
  o.stature_model.legs = {{kLAnkle, kLKnee, kLHip}, {kRAnkle, kRKnee, kRHip}};
  o.stature_model.hips = {kLHip, kRHip};
  o.stature_model.head = {kLEar, kREar};
  o.height_model.legs = o.stature_model.legs;
  o.height_model.torso_bottom = {kLHip, kRHip};
  o.height_model.torso_top = {kLShoulder, kRShoulder};
  o.height_model.ratio = 0.779;
  o.arm_model.legs = {{kLShoulder, kLElbow, kLWrist}, {kRShoulder, kRElbow, kRWrist}};
  o.arm_model.ratio = 0.332;
  o.foot_joints = {kLAnkle, kRAnkle};
  o.root_joints = {kLHip, kRHip};
  o.shoulder_joints = {kLShoulder, kRShoulder};
  o.head_joints = {0, 1, 2, kLEar, kREar};
  return o;
}

// The walker in reconstruction units: metres divided by `metres_per_unit`.
Points3d Scaled(const Points3d& metres, double metres_per_unit) {
  return TransformPoints(metres, Sim3d{1.0 / metres_per_unit, Eigen::Quaterniond::Identity(), Eigen::Vector3d::Zero()});
}

void Erase(Points3d* p, std::initializer_list<joint_t> joints) {
  for (frame_t f = 0; f < p->num_frames(); ++f)
    for (joint_t j : joints) p->at(f, j) = Eigen::Vector3d::Constant(kNaN);
}

TEST(Stature, SegmentStackMeasuresLegsAndTrunk) {
  const WorldFrameOptions o = CocoOptions();
  const StatureMeasurement m = MeasureStature(testing::WalkerMotion(300), o.stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.method, "segment stack");
  EXPECT_NEAR(m.length, kLegs + kTrunk, 1e-9);
  EXPECT_NEAR(m.constant_m, o.stature_model.ankle_height_m + o.stature_model.head_top_m, 1e-12);
  EXPECT_DOUBLE_EQ(m.ratio, 1.0);
  // The parts, bottom to top: two constants around the shin, thigh and hips to head.
  ASSERT_EQ(m.segments.size(), 5u);
  EXPECT_EQ(m.segments[0].name, "ankle height");
  EXPECT_DOUBLE_EQ(m.segments[0].Metres(2.0), o.stature_model.ankle_height_m);
  EXPECT_EQ(m.segments[1].name, "shin");
  EXPECT_NEAR(m.segments[1].length, 0.42, 1e-9);
  EXPECT_EQ(m.segments[2].name, "thigh");
  EXPECT_NEAR(m.segments[2].length, 0.43, 1e-9);
  EXPECT_EQ(m.segments[3].name, "hips to head");
  EXPECT_NEAR(m.segments[3].length, kTrunk, 1e-9);
  EXPECT_EQ(m.segments[4].name, "head top");
  EXPECT_DOUBLE_EQ(m.segments[4].Metres(2.0), o.stature_model.head_top_m);
}

// The walker with feet: joints 17-20 = left heel, left toe tip, right heel, right toe tip, on a
// rigid foot that pitches with the shin: the line heel-toe passes `sole_depth` below the ankle
// along the shin, whatever the posture.
Points3d WalkerWithFeet(int frames, double sole_depth) {
  const Points3d walker = testing::WalkerMotion(frames);
  Points3d p(frames, 21);
  for (frame_t f = 0; f < frames; ++f) {
    for (joint_t j = 0; j < 17; ++j) p.at(f, j) = walker.at(f, j);
    for (int side = 0; side < 2; ++side) {
      const Eigen::Vector3d ankle = walker.at(f, side == 0 ? kLAnkle : kRAnkle);
      const Eigen::Vector3d down = (ankle - walker.at(f, side == 0 ? kLKnee : kRKnee)).normalized();
      const Eigen::Vector3d hint(std::cos(0.1 * f), std::sin(0.1 * f), 0.3);  // the foot turns and pitches
      const Eigen::Vector3d forward = (hint - hint.dot(down) * down).normalized();
      p.at(f, 17 + 2 * side) = ankle + sole_depth * down - 0.05 * forward;
      p.at(f, 18 + 2 * side) = ankle + sole_depth * down + 0.15 * forward;
    }
  }
  return p;
}

TEST(Stature, MeasuresTheAnkleAboveTheSoles) {
  WorldFrameOptions o = CocoOptions();
  o.stature_model.soles = {{17, 18}, {19, 20}};
  o.stature_model.sole_height_m = 0.03;
  const StatureMeasurement m = MeasureStature(WalkerWithFeet(200, 0.09), o.stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m.length, 0.09 + kLegs + kTrunk, 1e-9);
  EXPECT_NEAR(m.constant_m, 0.03 + o.stature_model.head_top_m, 1e-12);
  ASSERT_EQ(m.segments.size(), 6u);
  EXPECT_EQ(m.segments[0].name, "sole");
  EXPECT_DOUBLE_EQ(m.segments[0].Metres(2.0), 0.03);
  EXPECT_EQ(m.segments[1].name, "ankle above sole");
  EXPECT_NEAR(m.segments[1].length, 0.09, 1e-9);
  EXPECT_EQ(m.segments[2].name, "shin");
  // The stated height gives the scale exactly: 0.03 + 0.09 + legs + trunk + head top.
  EXPECT_NEAR(m.ScaleFor(0.03 + 0.09 + kLegs + kTrunk + o.stature_model.head_top_m), 1.0, 1e-9);
}

TEST(Stature, FallsBackToTheAnkleConstantWithoutSoles) {
  WorldFrameOptions o = CocoOptions();
  o.stature_model.soles = {{17, 18}, {19, 20}};
  Points3d p = WalkerWithFeet(200, 0.09);
  for (frame_t f = 4; f < 200; ++f) p.at(f, 18) = p.at(f, 20) = Eigen::Vector3d::Constant(kNaN);  // 8 seen
  const StatureMeasurement m = MeasureStature(p, o.stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m.length, kLegs + kTrunk, 1e-9);
  EXPECT_EQ(m.segments[0].name, "ankle height");
  EXPECT_NEAR(m.constant_m, o.stature_model.ankle_height_m + o.stature_model.head_top_m, 1e-12);
}

// Moves `joint` by `metres` toward `toward` in every frame (a detector that places it off).
void MoveToward(Points3d* p, joint_t joint, joint_t toward, double metres) {
  for (frame_t f = 0; f < p->num_frames(); ++f)
    p->at(f, joint) += metres * (p->at(f, toward) - p->at(f, joint)).normalized();
}

TEST(Stature, ReportsEachPartsSpreadAndLeftRightDisagreement) {
  const WorldFrameOptions o = CocoOptions();
  const StatureMeasurement exact = MeasureStature(testing::WalkerMotion(300), o.stature_model);
  ASSERT_TRUE(exact.ok());
  // Rigid bones: no spread, legs alike; constants have neither.
  EXPECT_NEAR(exact.segments[1].spread_rel, 0.0, 1e-9);     // shin
  EXPECT_NEAR(exact.segments[1].asymmetry_rel, 0.0, 1e-9);
  EXPECT_NEAR(exact.segments[3].spread_rel, 0.0, 1e-9);     // hips to head
  EXPECT_TRUE(std::isnan(exact.segments[3].asymmetry_rel));  // one trunk
  EXPECT_TRUE(std::isnan(exact.segments[0].spread_rel));    // ankle height, a constant
  // The right ankle 4.2 cm up the shin (0.378 against 0.42 m) and the left one in turn 2 cm
  // up, in place and 2 cm down (median 0.42 m): the shins disagree by 0.042 / 0.399, the left
  // one spreads by 0.04 / 0.42.
  Points3d p = testing::WalkerMotion(300);
  MoveToward(&p, kRAnkle, kRKnee, 0.042);
  for (frame_t f = 0; f < p.num_frames(); ++f)
    p.at(f, kLAnkle) += 0.02 * (f % 3 - 1.0) * (p.at(f, kLKnee) - p.at(f, kLAnkle)).normalized();
  const StatureMeasurement m = MeasureStature(p, o.stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.segments[1].name, "shin");
  EXPECT_NEAR(m.segments[1].asymmetry_rel, 0.042 / 0.399, 0.003);
  EXPECT_NEAR(m.segments[1].spread_rel, 0.5 * 0.04 / 0.42, 0.01);  // the left shin's, averaged with 0
  EXPECT_NEAR(m.segments[2].asymmetry_rel, 0.0, 1e-9);             // thighs untouched
  // In the report: the parts with their spread and disagreement.
  WorldFrameOptions scaled = o;
  scaled.subject_height_m = 1.7;
  const WorldFrameResult r = EstimateWorldFrame({}, p, scaled);
  ASSERT_TRUE(r.success) << r.failure_reason;
  ASSERT_EQ(r.stature_segments_m.size(), 5u);
  EXPECT_NEAR(r.stature_segments_m[1].asymmetry_rel, m.segments[1].asymmetry_rel, 1e-12);
  EXPECT_NEAR(r.stature_segments_m[1].spread_rel, m.segments[1].spread_rel, 1e-12);
}

TEST(Stature, MeasuresTheKneeFlexionOfTheLegs) {
  const WorldFrameOptions o = CocoOptions();
  const StatureMeasurement straight = MeasureStature(testing::WalkerMotion(300), o.stature_model);
  ASSERT_TRUE(straight.ok());
  EXPECT_LT(straight.knee_flexion_deg, 10.0);  // the walker's knees bend by at most 0.15 rad
  // Both shins turned 40 deg about the knee, away from the thigh's line.
  Points3d p = testing::WalkerMotion(300);
  for (frame_t f = 0; f < p.num_frames(); ++f)
    for (const auto& [ankle, knee, hip] : {std::array<joint_t, 3>{kLAnkle, kLKnee, kLHip}, {kRAnkle, kRKnee, kRHip}}) {
      const Eigen::Vector3d thigh = (p.at(f, knee) - p.at(f, hip)).normalized();
      const Eigen::Vector3d side = thigh.cross(Eigen::Vector3d::UnitZ().cross(thigh)).normalized();
      const Eigen::Vector3d axis = thigh.cross(side).normalized();
      p.at(f, ankle) = p.at(f, knee) + 0.42 * (Eigen::AngleAxisd(40.0 * M_PI / 180.0, axis) * thigh);
    }
  const StatureMeasurement bent = MeasureStature(p, o.stature_model);
  ASSERT_TRUE(bent.ok());
  EXPECT_NEAR(bent.knee_flexion_deg, 40.0, 1e-6);
  EXPECT_NEAR(bent.segments[1].length, 0.42, 1e-9);  // bone lengths do not change
}

TEST(Stature, NotesShinsOutOfProportion) {
  const WorldFrameOptions o = CocoOptions();
  // The exact walker (shin / thigh 0.98, knees nearly straight): nothing to say.
  EXPECT_TRUE(StatureNotes(MeasureStature(testing::WalkerMotion(300), o.stature_model), o.stature_model).empty());
  // Ankles 5 cm up the shins (a detector's high ankle): shins 0.37 / 0.43 = 0.86 of the thighs.
  Points3d p = testing::WalkerMotion(300);
  MoveToward(&p, kLAnkle, kLKnee, 0.05);
  MoveToward(&p, kRAnkle, kRKnee, 0.05);
  const std::vector<std::string> notes = StatureNotes(MeasureStature(p, o.stature_model), o.stature_model);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("shins measure 0.86 of the thighs"), std::string::npos) << notes[0];
  // The scale's notes carry it.
  WorldFrameOptions scaled = o;
  scaled.subject_height_m = 1.7;
  const WorldFrameResult r = EstimateWorldFrame({}, p, scaled);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) { return n.rfind("stature:", 0) == 0; }));
}

TEST(Stature, ScaleFromTheStackIsExact) {
  const WorldFrameOptions base = CocoOptions();
  const double stature = base.stature_model.ankle_height_m + kLegs + kTrunk + base.stature_model.head_top_m;
  for (double metres_per_unit : {0.37, 1.0, 4.2}) {
    WorldFrameOptions o = base;
    o.subject_height_m = stature;
    const WorldFrameResult r = EstimateWorldFrame({}, Scaled(testing::WalkerMotion(300), metres_per_unit), o);
    ASSERT_TRUE(r.success) << r.failure_reason;
    EXPECT_NEAR(r.scale, metres_per_unit, 1e-9 * metres_per_unit);
    EXPECT_EQ(r.scale_method, "subject height (segment stack)");
    EXPECT_NEAR(r.measured_height_m, stature, 1e-9);
    // The stature part by part, in metres, sums to the measured height.
    ASSERT_EQ(r.stature_segments_m.size(), 5u);
    double sum = 0.0;
    for (const StaturePart& part : r.stature_segments_m) sum += part.metres;
    EXPECT_NEAR(sum, stature, 1e-9);
    EXPECT_EQ(r.stature_segments_m[2].name, "thigh");
    EXPECT_NEAR(r.stature_segments_m[2].metres, 0.43, 1e-9);
    // The stated height's 0.09 m spread acts on the measured part only, so the scale is a
    // little less certain than 0.09 / H.
    EXPECT_GT(r.scale_sigma_rel, 0.09 / stature);
    EXPECT_LT(r.scale_sigma_rel, 0.09 / stature * 1.3);
  }
}

// Two people pooled: the walker (frames 0-299, id 7) and a child three quarters its size
// standing 2 m away (frames 300-599, id 3).
struct TwoPeople {
  Points3d points;
  std::vector<int> frame_person;
  double adult_m = 0.0, child_m = 0.0;
};
TwoPeople PooledAdultAndChild(const WorldFrameOptions& o) {
  const Points3d adult = testing::WalkerMotion(300);
  TwoPeople t;
  t.points = Points3d(600, adult.num_joints());
  for (frame_t f = 0; f < 300; ++f)
    for (joint_t j = 0; j < adult.num_joints(); ++j) {
      t.points.at(f, j) = adult.at(f, j);
      t.points.at(300 + f, j) = 0.75 * adult.at(f, j) + Eigen::Vector3d(2.0, 0.0, 0.0);
    }
  t.frame_person.assign(300, 7);
  t.frame_person.resize(600, 3);
  const double constants = o.stature_model.ankle_height_m + o.stature_model.head_top_m;
  t.adult_m = constants + kLegs + kTrunk;
  t.child_m = constants + 0.75 * (kLegs + kTrunk);
  return t;
}

TEST(Stature, SeveralPeopleEachMeasuredOnTheirOwnFrames) {
  WorldFrameOptions o = CocoOptions();
  const TwoPeople t = PooledAdultAndChild(o);
  o.frame_person = t.frame_person;
  o.person_heights_m = {{7, t.adult_m}, {3, t.child_m}};
  for (double metres_per_unit : {0.5, 2.0}) {
    const WorldFrameResult r = EstimateWorldFrame({}, Scaled(t.points, metres_per_unit), o);
    ASSERT_TRUE(r.success) << r.failure_reason;
    EXPECT_NEAR(r.scale, metres_per_unit, 1e-9 * metres_per_unit);
    EXPECT_EQ(r.scale_method, "heights of 2 people");
    ASSERT_EQ(r.people.size(), 2u);
    EXPECT_EQ(r.people[0].person, 3);  // ids in increasing order
    EXPECT_EQ(r.people[0].frames, 300);
    EXPECT_TRUE(r.people[0].height_given);
    EXPECT_NEAR(r.people[0].measured_height_m, t.child_m, 1e-9);
    EXPECT_NEAR(r.people[1].measured_height_m, t.adult_m, 1e-9);
    // Two people known to a centimetre: a tighter scale than either alone.
    EXPECT_LT(r.scale_sigma_rel, r.people[1].scale_sigma_rel);
  }
}

TEST(Stature, SeveralPeopleWithThePopulationPrior) {
  WorldFrameOptions o = CocoOptions();
  const TwoPeople t = PooledAdultAndChild(o);
  o.frame_person = t.frame_person;
  o.subject_height_m = 1.45;              // the child (1.40 m) on a prior near their height
  o.person_heights_m = {{7, t.adult_m}};  // the child's height unknown
  const WorldFrameResult r = EstimateWorldFrame({}, t.points, o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  ASSERT_EQ(r.people.size(), 2u);
  EXPECT_FALSE(r.people[0].height_given);
  EXPECT_NEAR(r.people[0].stated_height_m, 1.45, 1e-12);
  EXPECT_TRUE(r.people[0].used);
  EXPECT_TRUE(r.people[1].used);
  // The inverse-variance mean of the two people's scales: the adult's 1 cm outweighs the
  // child's 9 cm (about twenty times), so the child's +4 % costs about 0.2 %.
  const double w0 = 1.0 / std::pow(r.people[0].scale_sigma_rel, 2), w1 = 1.0 / std::pow(r.people[1].scale_sigma_rel, 2);
  EXPECT_NEAR(r.scale, (w0 * r.people[0].scale + w1 * r.people[1].scale) / (w0 + w1), 1e-12);
  EXPECT_GT(w1, 10.0 * w0);
  EXPECT_GT(r.scale, 1.0005);
  EXPECT_LT(r.scale, 1.01);
  EXPECT_EQ(r.scale_method, "heights of 2 people");
  // On the adult prior of 1.70 m the child's scale is +25 %, four combined standard deviations
  // from the adult's given height: left out (reported, measured at the adult's scale).
  o.subject_height_m = 1.70;
  const WorldFrameResult apart = EstimateWorldFrame({}, t.points, o);
  ASSERT_TRUE(apart.success) << apart.failure_reason;
  ASSERT_EQ(apart.people.size(), 2u);
  EXPECT_FALSE(apart.people[0].used);
  EXPECT_TRUE(apart.people[1].used);
  EXPECT_NEAR(apart.scale, 1.0, 1e-9);
  EXPECT_NEAR(apart.people[0].measured_height_m, t.child_m, 1e-9);
  EXPECT_EQ(apart.scale_method, "heights of 1 people");
  ASSERT_FALSE(apart.notes.empty());
  EXPECT_NE(apart.notes.back().find("left out of the scale"), std::string::npos);
  // Without a given height nobody anchors the scale: both count (their disagreement is the
  // population's spread).
  o.person_heights_m.clear();
  const WorldFrameResult prior = EstimateWorldFrame({}, t.points, o);
  ASSERT_TRUE(prior.success);
  EXPECT_TRUE(prior.people[0].used && prior.people[1].used);
  EXPECT_GT(prior.scale, 1.05);
  // One id for every frame is one person: the single-person scale.
  o.frame_person.assign(600, 5);
  const WorldFrameResult one = EstimateWorldFrame({}, t.points, o);
  ASSERT_TRUE(one.success);
  EXPECT_TRUE(one.people.empty());
  EXPECT_EQ(one.scale_method.rfind("subject height", 0), 0u);
}

TEST(Stature, MedianTrunkIgnoresAMinorityOfBentFramesAndNoise) {
  Points3d p = testing::WalkerMotion(400);
  // 40 % of the frames bow the head down by 25 cm (looking down, bending): the median keeps
  // the upright trunk length.
  for (frame_t f = 0; f < p.num_frames(); f += 5)
    for (int k = 0; k < 2 && f + k < p.num_frames(); ++k)
      for (joint_t j : {kLEar, kREar}) p.at(f + k, j).z() -= 0.25;
  const StatureMeasurement m = MeasureStature(p, CocoOptions().stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m.length, kLegs + kTrunk, 1e-9);
  // An upper quantile would not need the majority; the median does: 60 % bent frames shorten it.
  Points3d bent = testing::WalkerMotion(400);
  for (frame_t f = 0; f < bent.num_frames(); ++f)
    if (f % 5 < 3)
      for (joint_t j : {kLEar, kREar}) bent.at(f, j).z() -= 0.25;
  EXPECT_LT(MeasureStature(bent, CocoOptions().stature_model).length, kLegs + kTrunk - 0.05);
}

// Without the ears the stack ends at a crown joint when the skeleton has one (here the nose
// stands in for it: 0.10 m forward, 0.72 m above the mid-hip), plus the crown's constant.
TEST(Stature, EndsAtTheCrownWhenTheEarsAreNeverSeen) {
  WorldFrameOptions o = CocoOptions();
  o.stature_model.crown = {0};
  o.stature_model.crown_top_m = 0.05;
  const double crown = std::hypot(0.10, 0.72);
  // Ears seen: the crown is not used.
  EXPECT_NEAR(MeasureStature(testing::WalkerMotion(300), o.stature_model).length, kLegs + kTrunk, 1e-9);
  Points3d p = testing::WalkerMotion(300);
  Erase(&p, {kLEar, kREar});
  const StatureMeasurement m = MeasureStature(p, o.stature_model);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.method, "segment stack");
  EXPECT_NEAR(m.length, kLegs + crown, 1e-9);
  EXPECT_NEAR(m.constant_m, o.stature_model.ankle_height_m + 0.05, 1e-12);
  ASSERT_EQ(m.segments.size(), 5u);
  EXPECT_EQ(m.segments[3].name, "hips to crown");
  EXPECT_NEAR(m.segments[3].length, crown, 1e-9);
  EXPECT_EQ(m.segments[4].name, "crown to top");
  EXPECT_DOUBLE_EQ(m.segments[4].Metres(2.0), 0.05);
  // The scale from it is exact, and the subject height takes it over the leg + torso ratio.
  o.subject_height_m = o.stature_model.ankle_height_m + kLegs + crown + 0.05;
  const WorldFrameResult r = EstimateWorldFrame({}, Scaled(p, 3.0), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_NEAR(r.scale, 3.0, 1e-9);
  EXPECT_EQ(r.scale_method, "subject height (segment stack)");
  // Neither ears nor crown: not measurable (the leg + torso ratio takes over).
  Erase(&p, {0});
  EXPECT_FALSE(MeasureStature(p, o.stature_model).ok());
  EXPECT_EQ(MeasureSubjectHeight(p, o).method, "leg + torso ratio");
}

// Several people: each one's stature part by part at the combined scale, summing to their
// measured height (the child's thigh three quarters of the adult's).
TEST(Stature, SeveralPeopleReportTheirSegments) {
  WorldFrameOptions o = CocoOptions();
  const TwoPeople t = PooledAdultAndChild(o);
  o.frame_person = t.frame_person;
  o.person_heights_m = {{7, t.adult_m}, {3, t.child_m}};
  const WorldFrameResult r = EstimateWorldFrame({}, Scaled(t.points, 2.0), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_TRUE(r.stature_segments_m.empty());  // the pooled frames are no one's stature
  ASSERT_EQ(r.people.size(), 2u);
  for (const PersonStature& p : r.people) {
    ASSERT_EQ(p.stature_segments_m.size(), 5u) << p.person;
    double sum = 0.0;
    for (const StaturePart& part : p.stature_segments_m) sum += part.metres;
    EXPECT_NEAR(sum, p.measured_height_m, 1e-9) << p.person;
    EXPECT_EQ(p.stature_segments_m[2].name, "thigh");
  }
  EXPECT_NEAR(r.people[0].stature_segments_m[2].metres, 0.75 * 0.43, 1e-9);  // id 3, the child
  EXPECT_NEAR(r.people[1].stature_segments_m[2].metres, 0.43, 1e-9);
  EXPECT_DOUBLE_EQ(r.people[0].stature_segments_m[0].metres, o.stature_model.ankle_height_m);
}

TEST(Stature, FallsBackToTheLegTorsoRatioWithoutEars) {
  Points3d p = testing::WalkerMotion(300);
  Erase(&p, {kLEar, kREar});
  WorldFrameOptions o = CocoOptions();
  EXPECT_FALSE(MeasureStature(p, o.stature_model).ok());
  const StatureMeasurement m = MeasureSubjectHeight(p, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.method, "leg + torso ratio");
  EXPECT_NEAR(m.length, kLegs + kTorso, 1e-9);
  o.subject_height_m = 1.75;
  const WorldFrameResult r = EstimateWorldFrame({}, Scaled(p, 2.0), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_NEAR(r.scale, 1.75 * 0.779 / ((kLegs + kTorso) / 2.0), 1e-9);
  EXPECT_NEAR(r.scale_sigma_rel, std::hypot(0.09 / 1.75, 0.02), 1e-12);
}

TEST(Stature, FallsBackToTheArmsForUpperBodies) {
  Points3d p = testing::WalkerMotion(300);
  Erase(&p, {kLKnee, kRKnee, kLAnkle, kRAnkle});
  const WorldFrameOptions o = CocoOptions();
  const StatureMeasurement m = MeasureSubjectHeight(p, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.method, "arm ratio");
  EXPECT_NEAR(m.length, kArm, 1e-9);
  const WorldFrameResult r = EstimateWorldFrame({}, p, o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_EQ(r.scale_method, "subject height (arm ratio)");
  EXPECT_NEAR(r.scale, o.subject_height_m * 0.332 / kArm, 1e-9);
}

TEST(Stature, NoMeasurableBodyIsAnHonestFailure) {
  Points3d p = testing::WalkerMotion(100);
  Erase(&p, {kLKnee, kRKnee, kLAnkle, kRAnkle, kLElbow, kRElbow, kLWrist, kRWrist});
  const WorldFrameResult r = EstimateWorldFrame({}, p, CocoOptions());
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.failure_reason.find("`baseline`"), std::string::npos) << r.failure_reason;
}

TEST(WorldFrame, BaselineOverridesTheHeight) {
  Rig rig(2);
  rig[0].cam_from_world = Rigid3d(Eigen::Quaterniond::Identity(), Eigen::Vector3d(0, 0, 0));
  rig[1].cam_from_world = Rigid3d(Eigen::Quaterniond::Identity(), Eigen::Vector3d(-0.8, 0, 0));
  WorldFrameOptions o = CocoOptions();
  o.baseline = BaselineScale{0, 1, 2.0};
  const WorldFrameResult r = EstimateWorldFrame(rig, testing::WalkerMotion(200), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_NEAR(r.scale, 2.5, 1e-12);
  EXPECT_EQ(r.scale_method, "camera baseline");
  // The body then measures what it measures at that scale.
  EXPECT_NEAR(r.measured_height_m, 0.21 + 2.5 * (kLegs + kTrunk), 1e-9);
}

// The scale measured on one person's points (EstimateScale) and the frame placed on another's
// (PlaceWorldFrame): the second person's frame at the first one's scale; on the same points the
// two steps are EstimateWorldFrame.
TEST(WorldFrame, TheScaleCanComeFromOtherPoints) {
  const Points3d walker = testing::WalkerMotion(300);
  WorldFrameOptions o = CocoOptions();
  o.subject_height_m = 0.21 + kLegs + kTrunk;
  const WorldFrameResult scaled = EstimateScale({}, Scaled(walker, 2.0), o);
  ASSERT_TRUE(scaled.success) << scaled.failure_reason;
  EXPECT_NEAR(scaled.scale, 2.0, 1e-9);
  EXPECT_NEAR(scaled.measured_height_m, o.subject_height_m, 1e-9);
  // A body 10 % smaller in the same reconstruction: its own height would scale it wrongly.
  const Points3d smaller = Scaled(walker, 2.0 / 0.9);
  const WorldFrameResult placed = PlaceWorldFrame({}, smaller, o, scaled);
  ASSERT_TRUE(placed.success) << placed.failure_reason;
  EXPECT_NEAR(placed.scale, 2.0, 1e-9);
  EXPECT_NEAR(EstimateWorldFrame({}, smaller, o).scale, 2.0 / 0.9, 1e-9);
  // Same points: the two steps are the one.
  const WorldFrameResult one = EstimateWorldFrame({}, smaller, o);
  const WorldFrameResult two = PlaceWorldFrame({}, smaller, o, EstimateScale({}, smaller, o));
  EXPECT_EQ(one.scale, two.scale);
  EXPECT_TRUE(one.world_from_reconstruction.translation.isApprox(two.world_from_reconstruction.translation));
  // An unsuccessful scale is passed through.
  WorldFrameResult failed;
  failed.failure_reason = "no scale";
  EXPECT_FALSE(PlaceWorldFrame({}, smaller, o, failed).success);
}

TEST(WorldFrame, UpIsTheBodyAxisAndTheOriginIsUnderTheMotion) {
  // The walker in a frame tilted by 30 degrees: the world frame must bring its body axis back
  // to +z and put the origin under the centre of its hips.
  const Points3d metres = testing::WalkerMotion(600);
  const Sim3d tilt{1.0, Eigen::Quaterniond(Eigen::AngleAxisd(0.52, Eigen::Vector3d(1, 2, 0).normalized())),
                   Eigen::Vector3d(3, -1, 2)};
  WorldFrameOptions o = CocoOptions();
  o.subject_height_m = 0.21 + kLegs + kTrunk;
  const WorldFrameResult r = EstimateWorldFrame({}, TransformPoints(metres, tilt), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  const Points3d world = TransformPoints(TransformPoints(metres, tilt), r.world_from_reconstruction);
  Eigen::Vector3d axis = Eigen::Vector3d::Zero(), centre = Eigen::Vector3d::Zero();
  for (frame_t f = 0; f < world.num_frames(); ++f) {
    const Eigen::Vector3d hip = 0.5 * (world.at(f, kLHip) + world.at(f, kRHip));
    axis += (0.5 * (world.at(f, kLShoulder) + world.at(f, kRShoulder)) - hip).normalized();
    centre += hip;
  }
  centre /= world.num_frames();
  // The walker leans back and forth symmetrically, so its mean body axis is vertical.
  EXPECT_GT(axis.normalized().z(), std::cos(2.0 * M_PI / 180.0));
  EXPECT_NEAR(centre.x(), 0.0, 1e-6);
  EXPECT_NEAR(centre.y(), 0.0, 1e-6);
  EXPECT_GT(centre.z(), 0.7);  // hips well above the floor
}

TEST(WorldFrame, FloorIsTheFeetPlaneNotTheBodyAxis) {
  // 300 frames of a person leaning 10 degrees forward, the lowest ankle on the floor z = 0.08 in
  // every frame but every fifth (both feet lifted 0.3 m: outliers of the floor RANSAC), feet
  // spread over 2 x 2 m; all in a tilted, shifted frame. Scale 1 from a 1 m baseline.
  const int frames = 300;
  Points3d metres(frames, 17);
  const Eigen::Vector3d lean(std::sin(10.0 * M_PI / 180.0), 0.0, std::cos(10.0 * M_PI / 180.0));
  int on_floor = 0;
  for (frame_t f = 0; f < frames; ++f) {
    const Eigen::Vector3d foot(2.0 * ((f * 37) % 100) / 100.0 - 1.0, 2.0 * ((f * 61) % 100) / 100.0 - 1.0,
                               f % 5 == 4 ? 0.38 : 0.08);
    on_floor += f % 5 == 4 ? 0 : 1;
    metres.at(f, kLAnkle) = foot;
    metres.at(f, kRAnkle) = foot + Eigen::Vector3d(0.2, 0.1, 0.05);
    const Eigen::Vector3d hip = foot + 0.9 * lean;
    metres.at(f, kLHip) = hip;
    metres.at(f, kRHip) = hip + Eigen::Vector3d(0, 0.2, 0);
    metres.at(f, kLShoulder) = hip + 0.5 * lean;
    metres.at(f, kRShoulder) = hip + 0.5 * lean + Eigen::Vector3d(0, 0.2, 0);
  }
  const Sim3d tilt{1.0, Eigen::Quaterniond(Eigen::AngleAxisd(0.4, Eigen::Vector3d(2, -1, 0).normalized())),
                   Eigen::Vector3d(1, 2, -3)};
  Rig rig(2);
  rig[0].cam_from_world = Rigid3d(Eigen::Quaterniond::Identity(), Eigen::Vector3d(0, 0, 0));
  rig[1].cam_from_world = Rigid3d(Eigen::Quaterniond::Identity(), Eigen::Vector3d(-1, 0, 0));
  WorldFrameOptions o = CocoOptions();
  o.baseline = BaselineScale{0, 1, 1.0};
  const WorldFrameResult r = EstimateWorldFrame(rig, TransformPoints(metres, tilt), o);
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_TRUE(r.floor_from_feet);
  EXPECT_EQ(r.floor_inliers, on_floor);
  EXPECT_LT(r.floor_rms_m, 1e-9);
  const Points3d world = TransformPoints(TransformPoints(metres, tilt), r.world_from_reconstruction);
  // The floor joints are foot_height_m above z = 0, whatever the lean of the body.
  for (frame_t f = 0; f < frames; ++f)
    EXPECT_NEAR(world.at(f, kLAnkle).z(), f % 5 == 4 ? 0.38 : 0.08, 1e-9) << "frame " << f;
}

TEST(WorldFrameOptions, CheckRejectsNoFloorIterations) {
  WorldFrameOptions o = CocoOptions();
  EXPECT_NO_THROW(o.Check());
  o.floor_iterations = 0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
