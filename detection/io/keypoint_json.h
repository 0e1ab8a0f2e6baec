// JSON helpers shared by the OpenPose and COCO keypoint readers and writers (not a public API):
// a per-thread simdjson parser with a reusable padded read buffer, parse-error messages, the
// flat [x, y, c, ...] joint arrays, and shortest round-trip number text.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <simdjson.h>

#include "detection/keypoints.h"

namespace epilabel::keypoint_json {

// A reusable read buffer with simdjson's padding; grows but never shrinks. One per thread.
struct JsonWorker {
  simdjson::dom::parser parser;
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;

  // Reads the whole file into `buffer`; false with `*error` set when it cannot.
  bool Load(const std::string& path, size_t* length, std::string* error);
};

// A JSON parse error with a hint for the usual culprits (NaN and Infinity are not JSON).
std::string JsonErrorMessage(simdjson::error_code code, const char* text, size_t length);

// Reads a flat array of x, y, c triples (finite numbers) into `person`; returns an error message
// naming `key` and the joint, or "".
std::string ParseTriples(simdjson::dom::element value, const char* key, Person2d* person);

// Appends the shortest text that reads back to the same double.
void AppendNumber(std::string& out, double v);
// Appends [x0,y0,c0,x1,...]; joints with a non-finite value are written as 0,0,0.
void AppendJoints(std::string& out, const Person2d& person);

}  // namespace epilabel::keypoint_json
