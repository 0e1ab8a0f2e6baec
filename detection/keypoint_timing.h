// Frame timestamps of 2D keypoints (CameraKeypoints::timestamps_s): what a video container says
// about when each frame was taken, measured (mean rate, whether it is variable) and used to put
// a variable-rate camera onto evenly spaced frames, so that the time model of every later stage
// (frame f of camera c at time f / fps[c], geometry/sync/time_offsets.h) holds.
//
// Times are seconds on the camera's own clock; only differences matter (the first frame's time
// is the camera's time 0 for the sync stages, as a camera without timestamps has its frame 0 at
// time 0).
#pragma once

#include <string>
#include <vector>

#include "detection/keypoints.h"

namespace epilabel {

// A camera's frames are variable-rate when a timestamp lies farther than this (in frames of the
// mean rate) from the evenly spaced time of its frame. A frame dropped by the camera shows as
// ~0.5 frame; millisecond rounding of a 60 fps clock as 0.03 frame.
inline constexpr double kVariableRateTolerance = 0.1;

// How a camera's frames are spaced in time.
struct FrameTiming {
  int frames = 0;                     // timestamps measured
  double fps = 0.0;                   // mean rate (frames - 1) / (last - first); 0 with < 2 timestamps
  double max_deviation_frames = 0.0;  // largest |t_i - t_0 - i / fps| x fps over the frames
  bool variable = false;              // max_deviation_frames > the tolerance
  bool known() const { return fps > 0.0; }
};

// Measures strictly increasing timestamps (CheckTimestamps); fewer than two give fps 0.
FrameTiming MeasureFrameTiming(const std::vector<double>& times_s, double tolerance_frames = kVariableRateTolerance);

// Throws InputError(where, ...) naming the first offending index unless every timestamp is
// finite and each is larger than the one before.
void CheckTimestamps(const std::vector<double>& times_s, const std::string& where);

// The fractional index at time t of strictly increasing timestamps: i + (t - t_i) / (t_{i+1} -
// t_i) between two of them; outside [t_0, t_last] it is extrapolated at the nearest interval's
// spacing. Needs at least two timestamps.
double FrameIndexAtTime(const std::vector<double>& times_s, double t_s);

// The camera on evenly spaced frames at `fps` from its first timestamp: output frame k is at
// time t_0 + k / fps (k = 0 .. while within the last timestamp), numbered first frame number +
// k, with timestamps_s set to those times. Each output frame takes the people of the nearer
// source frame in time; a person also found in the other neighbouring frame (the same track_id
// >= 0, or the only person of both frames) is interpolated in time: Catmull-Rom through the
// four frames around when the person and joint are seen in all four, else linear; a joint seen
// in only one of the two neighbours is missing (0, 0, 0). A frame within 1e-6 frame of a
// source frame is copied. Throws std::invalid_argument when the camera has fewer than two
// timestamps, timestamps not matching its frames, or fps <= 0.
CameraKeypoints OnEvenlySpacedFrames(const CameraKeypoints& camera, double fps);

}  // namespace epilabel
