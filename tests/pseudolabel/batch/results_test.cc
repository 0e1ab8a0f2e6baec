#include "pseudolabel/batch/results.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "foundation/error.h"

namespace epilabel {
namespace {

BatchSequenceResult Done(const std::string& name, BatchStatus status, int frames, int64_t kept, int64_t poses,
                         int64_t samples, double seconds) {
  BatchSequenceResult r;
  r.name = name;
  r.status = status;
  r.frames = frames;
  r.cameras = 4;
  r.poses_kept = kept;
  r.poses = poses;
  r.samples = samples;
  r.verdict = "good";
  r.seconds = seconds;
  return r;
}

TEST(BatchResults, SequenceResultRoundTripsThroughJson) {
  BatchSequenceResult r = Done("s01", BatchStatus::kFailed, 2000, 1980, 2000, 7795, 8.4);
  r.index = 7;
  r.error = "bad/pose: needs at least 2 cameras";
  r.input_error = true;
  r.calibration_source = "self-calibrated";
  r.read_seconds = 0.25;
  r.rank = 3;
  const nlohmann::json j = r.ToJson();
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["samples"], 7795);
  const BatchSequenceResult back = BatchSequenceResult::FromJson(j);
  EXPECT_EQ(back.ToJson(), j);
  EXPECT_EQ(back.status, BatchStatus::kFailed);
  EXPECT_EQ(back.rank, 3);
  // Older or foreign records: missing members take their defaults, an unknown status is missing.
  const BatchSequenceResult empty = BatchSequenceResult::FromJson({{"status", "done"}, {"samples", 5}});
  EXPECT_EQ(empty.status, BatchStatus::kMissing);
  EXPECT_EQ(empty.samples, 5);
  EXPECT_EQ(empty.name, "");
  for (BatchStatus s : {BatchStatus::kOk, BatchStatus::kFailed, BatchStatus::kSkipped, BatchStatus::kMissing}) {
    BatchSequenceResult x;
    x.status = s;
    EXPECT_EQ(BatchSequenceResult::FromJson(x.ToJson()).status, s) << BatchStatusName(s);
  }
}

// The table of docs/batch.md.
TEST(BatchResults, SummaryTableAsDocumented) {
  BatchSummary s;
  s.sequences.push_back(Done("s01", BatchStatus::kOk, 2000, 1980, 2000, 7795, 8.4));
  s.sequences.push_back(Done("s02", BatchStatus::kSkipped, 2000, 1971, 2000, 7757, 7.9));
  BatchSequenceResult bad;
  bad.name = "bad";
  bad.status = BatchStatus::kFailed;
  bad.error = "bad/pose: needs at least 2 cameras, found 1 (cam_01)";
  s.sequences.push_back(bad);
  s.Count();
  EXPECT_EQ(s.num_ok, 1);
  EXPECT_EQ(s.num_skipped, 1);
  EXPECT_EQ(s.num_failed, 1);
  EXPECT_EQ(s.num_missing, 0);
  EXPECT_FALSE(s.AllDone());
  s.seconds = 8.5;
  s.merge_note = "not every sequence is done; --merge-partial merges the others";
  EXPECT_EQ(s.Table(),
            "sequence  status   frames  cams     poses kept   samples  verdict           seconds\n"
            "s01       ok         2000     4      1980/2000      7795  good                  8.4\n"
            "s02       skipped    2000     4      1971/2000      7757  good                  7.9\n"
            "bad       failed        -     -              -         -  -                     0.0\n"
            "3 sequences: 1 ok, 1 skipped (already done), 1 failed; 15552 samples; 8.5 s\n"
            "merged dataset: none (not every sequence is done; --merge-partial merges the others)\n"
            "FAILED bad: bad/pose: needs at least 2 cameras, found 1 (cam_01)\n");

  // Missing sequences (merge-only), MPI ranks, a merged dataset.
  BatchSummary m;
  m.sequences.push_back(Done("a", BatchStatus::kSkipped, 10, 9, 10, 36, 1.0));
  BatchSequenceResult missing;
  missing.name = "a_long_sequence_name";
  m.sequences.push_back(missing);
  m.Count();
  m.num_processes = 2;
  m.merged_path = "out/dataset.npz";
  m.merged_samples = 36;
  m.seconds = 1.3;
  EXPECT_EQ(m.Table(),
            "sequence              status   frames  cams     poses kept   samples  verdict           seconds\n"
            "a                     skipped      10     4           9/10        36  good                  1.0\n"
            "a_long_sequence_name  missing       -     -              -         -  -                       -\n"
            "2 sequences: 0 ok, 1 skipped (already done), 0 failed, 1 missing; 36 samples; 1.3 s on 2 MPI ranks\n"
            "merged dataset: out/dataset.npz (36 samples)\n"
            "MISSING a_long_sequence_name: not complete with this manifest entry\n");
}

TEST(BatchResults, OptionsCheckRefusesBadValues) {
  BatchOptions o;
  EXPECT_THROW(o.Check(), InputError);  // no out_root
  o.out_root = "out";
  EXPECT_NO_THROW(o.Check());
  BatchOptions shard = o;
  shard.shard_index = 2;
  shard.shard_count = 2;
  EXPECT_THROW(shard.Check(), InputError);
  shard.shard_index = -1;
  EXPECT_THROW(shard.Check(), InputError);
  shard.shard_index = 1;
  EXPECT_NO_THROW(shard.Check());
  BatchOptions per_rank = o;
  per_rank.sequences_per_rank = 0;
  EXPECT_THROW(per_rank.Check(), InputError);
  BatchOptions threads = o;
  threads.threads_per_sequence = 0;
  EXPECT_THROW(threads.Check(), InputError);
}

}  // namespace
}  // namespace epilabel
